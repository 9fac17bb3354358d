//! gcc-nn compiler: checked DSL programs → optimised boolean circuits.
//!
//! Pure: no I/O beyond the bytes and text it is handed.

pub mod circuit;

pub use circuit::{Circuit, CircuitError, Gate, IoValue, Party, ValueFormat, WireId};
pub mod bristol;
pub mod builder;
pub mod stats;
