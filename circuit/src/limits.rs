//! Resource limits on circuits read from untrusted files.
//!
//! Every size a circuit file declares (gate and wire counts, the number and widths of
//! input/output values, name lengths) is checked against these limits before anything is
//! allocated for it, so a tiny file cannot make a reader allocate gigabytes. The largest
//! circuits in use are far below them (SHA-256: 135,073 gates; the shipped DSL programs:
//! under 10,000 gates).

/// Most wires a circuit file may declare (2^27: 134 million).
pub const MAX_WIRES: u64 = 1 << 27;
/// Most gates a circuit file may declare (2^27).
pub const MAX_GATES: u64 = 1 << 27;
/// Most input or output values a circuit file may declare (2^20 of each).
pub const MAX_IO_VALUES: u64 = 1 << 20;
/// Widest input or output value, in bits (every bit is a wire).
pub const MAX_VALUE_WIDTH: u64 = MAX_WIRES;
/// Most fractional bits of a value format (the DSL's own limit): printing a value costs
/// time and memory in its fractional bits.
pub const MAX_FRAC_BITS: u64 = 128;
/// Longest value name in a binary circuit, in bytes.
pub const MAX_NAME_BYTES: u64 = 4096;

/// A declared size above its limit: names the field, the value and the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value} exceeds the limit of {limit}")]
pub struct LimitError {
    /// Which declared size (e.g. "gate count").
    pub field: &'static str,
    /// The declared value.
    pub value: u64,
    /// The limit it exceeds.
    pub limit: u64,
}

/// `Ok(value)` if `value <= limit`, else a [`LimitError`] naming `field`.
pub fn check(field: &'static str, value: u64, limit: u64) -> Result<u64, LimitError> {
    if value > limit {
        Err(LimitError {
            field,
            value,
            limit,
        })
    } else {
        Ok(value)
    }
}
