//! Errors of the RLWE crate.

/// Everything that can go wrong in RLWE encryption, products, decryption and decoding.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RlweError {
    /// A slice has the wrong length.
    #[error("{what}: expected {expected} values, got {actual}")]
    LengthMismatch {
        /// Which input.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// A parameter is outside the supported range.
    #[error("invalid parameter: {what}")]
    InvalidParameter {
        /// Which parameter and why.
        what: String,
    },
    /// The noise bound of a layout does not fit the ciphertext modulus (see [`crate::noise`]).
    #[error(
        "noise budget exceeded: {what} needs {needed_bits} bits of modulus, {available_bits} available"
    )]
    NoiseBudget {
        /// Which layout or operation.
        what: String,
        /// Bits needed.
        needed_bits: u32,
        /// Bits available.
        available_bits: u32,
    },
    /// Serialized bytes are malformed.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, RlweError>;
