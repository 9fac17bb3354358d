//! Paillier encryption for gcc-nn (g = N + 1, CRT decryption, off-line randomness, packing,
//! multi-exponentiation).
//!
//! Security: IND-CPA under the decisional composite residuosity assumption with a 2048-bit
//! (default) or 3072-bit modulus; primes come from [`prime::random_prime`] (trial division
//! and 40 Miller–Rabin rounds) fed by the OS-seeded CSPRNG. Smaller keys exist for tests only.
//!
//! Big integers: Montgomery arithmetic modulo N², p², q² from `crypto-bigint` 0.7
//! (`BoxedMontyForm`), plaintext-side arithmetic with `num-bigint` 0.5. The choice was
//! measured on this machine (2048-bit N, one core): multiplication mod N² 6.7 µs with
//! crypto-bigint vs 9.2 µs with num-bigint (multiply + remainder); one CRT half of a
//! decryption (2048-bit modulus, 1024-bit exponent) 2.2–2.3 ms with either, and
//! crypto-bigint's exponentiation is constant-time in the secret exponent. A hand-written
//! u128 CIOS/SOS Montgomery loop was slower than crypto-bigint's at 64 limbs, so it was not
//! adopted. Consequence: a CRT decryption costs ≈ 4.5 ms on one core, above the 2.6 ms of
//! GMP (see the README's figures); the bridge amortises it over the slots of a packed
//! ciphertext. `cargo bench -p gcc-nn-paillier` reproduces every figure (group `backend`
//! for the comparison).
//!
//! Cheap operations: adding a plaintext k costs no multiplication mod N², since
//! `(1 + kN)·c ≡ c + N·(k·c mod N) (mod N²)` (also in Montgomery form); encryption with a
//! precomputed `r^N` ([`RandomnessPool`]) is the same operation.

mod bigint;
pub mod cipher;
mod crt;
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
pub use keys::{
    DEFAULT_KEY_BITS, MIN_PRODUCTION_KEY_BITS, PublicKey, SecretKey, validate_production_modulus,
};
pub use multiexp::{FixedBaseTable, inner_product};
pub use packing::SlotLayout;
pub use pool::RandomnessPool;
pub use serial::FORMAT_VERSION;

/// Re-exported big-integer types used in this crate's API.
pub use num_bigint::{BigInt, BigUint};
