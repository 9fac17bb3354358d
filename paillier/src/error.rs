//! Errors of the Paillier crate.

/// Everything that can go wrong in Paillier key handling, encryption, decoding and packing.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaillierError {
    /// Key generation was asked for an unsupported modulus size.
    #[error("unsupported key size: {bits} bits (use 2048 or 3072; tests may use 128..=4096)")]
    UnsupportedKeySize {
        /// Requested modulus size in bits.
        bits: u32,
    },
    /// The primes handed to [`crate::SecretKey::from_primes`] are unusable.
    #[error("invalid primes: {reason}")]
    InvalidPrimes {
        /// What is wrong with them.
        reason: &'static str,
    },
    /// A plaintext is not in the range the operation accepts.
    #[error("plaintext out of range: {what}")]
    PlaintextOutOfRange {
        /// Which value and which range.
        what: String,
    },
    /// A modulus fails the production checks of [`crate::validate_production_modulus`].
    #[error("insecure Paillier key: {bits}-bit modulus, {reason}")]
    InsecureKey {
        /// Bit length of the modulus.
        bits: u32,
        /// Which check failed.
        reason: String,
    },
    /// A ciphertext is not a unit modulo N (gcd(c, N) ≠ 1, e.g. c = 0, N or kN): no valid
    /// encryption is, so it cannot be decrypted.
    #[error("ciphertext is not a unit modulo N (gcd(c, N) != 1): not a valid encryption")]
    NotAUnit,
    /// A ciphertext belongs to another key (its modulus differs from this key's).
    #[error("ciphertext was made under a different key (modulus mismatch)")]
    KeyMismatch,
    /// A decrypted value fails the encoding's range check: wrong key, or the value overflowed.
    #[error(
        "decrypted value is outside the encoding's range (|v| < 2^{bound_bits}): wrong key or overflow"
    )]
    DecodedOutOfRange {
        /// The bound that was checked.
        bound_bits: u32,
    },
    /// A serialized key or ciphertext could not be read.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with the bytes.
        reason: String,
    },
    /// A slot layout does not fit in the plaintext space, or a slot value overflows its slot.
    #[error("packing: {what}")]
    Packing {
        /// What does not fit.
        what: String,
    },
    /// Inputs of an operation have mismatched lengths.
    #[error("length mismatch in {what}: expected {expected}, got {actual}")]
    LengthMismatch {
        /// Which operation.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
}

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, PaillierError>;
