//! Resource limits: the circuit-file limits of [`::circuit::limits`] (re-exported) and
//! the compiler's own limit on the size of a lowered program.

pub use ::circuit::limits::*;

/// Most gate-builder nodes a program may lower to (2^25: 33 million gates) before the
/// compiler gives up with [`crate::lower::LowerError::TooLarge`].
pub const MAX_LOWERED_NODES: usize = 1 << 25;
