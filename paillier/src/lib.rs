//! Paillier encryption for gcc-nn (g = N + 1, CRT decryption, off-line randomness, packing,
//! multi-exponentiation).
//!
//! Security: IND-CPA under the decisional composite residuosity assumption with a 2048-bit
//! (default) or 3072-bit modulus; primes come from [`prime::random_prime`] (trial division
//! and 40 Miller–Rabin rounds) fed by the OS-seeded CSPRNG. Smaller keys exist for tests only.
//!
//! Big integers: Montgomery arithmetic modulo N², p², q² from `crypto-bigint` 0.7
//! (`BoxedMontyForm`), plaintext-side arithmetic with `num-bigint` 0.5. The choice was
//! measured (2048-bit N, one core of this machine): multiplication mod N² 6.7 µs
//! (crypto-bigint) vs 9.2 µs (num-bigint, multiply + remainder); a 2048-bit-modulus
//! exponentiation with a 1024-bit exponent (one CRT half of a decryption) 2.2–2.3 ms with
//! either; crypto-bigint's exponentiation is also constant-time in the secret exponent.
//! `cargo bench -p gcc-nn-paillier` reproduces the figures.

mod bigint;
pub mod cipher;
pub mod encoding;
pub mod error;
pub mod keys;
pub mod multiexp;
pub mod packing;
pub mod pool;
pub mod prime;
pub mod serial;

pub use cipher::{Ciphertext, Randomness, residue_to_signed, signed_to_residue};
pub use encoding::FixedPoint;
pub use error::{PaillierError, Result};
pub use keys::{DEFAULT_KEY_BITS, PublicKey, SecretKey};
pub use multiexp::{FixedBaseTable, inner_product};
pub use packing::SlotLayout;
pub use pool::RandomnessPool;
pub use serial::FORMAT_VERSION;

/// Re-exported big-integer types used in this crate's API.
pub use num_bigint::{BigInt, BigUint};
