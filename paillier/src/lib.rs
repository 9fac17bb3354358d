//! Paillier encryption for gcc-nn (g = N + 1, CRT decryption, off-line randomness, packing,
//! multi-exponentiation).
//!
//! Security: IND-CPA under the decisional composite residuosity assumption with a 2048-bit
//! (default) or 3072-bit modulus; primes come from [`prime::random_prime_boxed`]
//! (`crypto-primes`: sieve, Baillie–PSW and random-base Miller–Rabin) fed by the OS-seeded
//! CSPRNG. Smaller keys exist for tests only ([`SecretKey::generate_any_size`]); every
//! production path checks [`PublicKey::validate_production`] (≥ 2048 bits, no prime factor
//! below 2^16, not a perfect power). A ciphertext that is not a unit mod N (c = kN, …)
//! decrypts to [`PaillierError::NotAUnit`], never a panic.
//!
//! Secret-key arithmetic (module `crt`): CRT decryption and the key owner's randomness
//! `r^N` use only `crypto-bigint`'s constant-time operations (reduction modulo p², the
//! exponentiation with a secret fixed-length exponent, the exact division by p as a
//! multiplication by p^(−1) mod 2^k, Garner's recombination); p, q and every secret
//! temporary live in `crypto-bigint` integers that are wiped on drop, and key files are read
//! straight into them. The key owner's `r^N mod p²` is `s^p mod p²` for a uniform s (same
//! distribution, half the exponent length of `N mod p(p−1)`).
//! The two exponentiations modulo p² and q² run on the fixed-size constant-time Montgomery
//! arithmetic of [`monty`] (safe Rust, product scanning, fixed 5-bit window with masked table
//! lookup; about 15 % faster than `BoxedMontyForm::pow`, figures in its docs).
//!
//! Big integers: Montgomery arithmetic modulo N², p², q² from `crypto-bigint` 0.7
//! (`BoxedMontyForm`), plaintext-side arithmetic with `num-bigint` 0.5. Measured on this
//! machine (2-core AMD EPYC Zen 4, 2.45 GHz; 2048-bit N, one core, idle): multiplication
//! mod N² 6.7 µs with crypto-bigint vs 9.2 µs with num-bigint (multiply + remainder); one
//! CRT half of a decryption (2048-bit modulus, 1024-bit exponent) 2.2–2.3 ms with either.
//! A hand-written u128 CIOS/SOS Montgomery loop was slower than crypto-bigint's at 64 limbs.
//!
//! Constant-time rewrite (issue 13), old and new measured in one run of
//! `cargo bench -p gcc-nn-paillier -- "old-vs-new|backend/crypto"` while other builds kept
//! both cores busy (every figure about 2× its idle value: mul mod N² 13.5 µs there):
//! CRT decryption old 7.97 ms, new 7.91 ms (median) — the constant-time code costs nothing,
//! but it is no faster: both are two exponentiations modulo p² and q² with exponents p−1,
//! q−1 (inherent to Paillier decryption), 3.9 ms each there, ≈ 2.1 ms idle, so ≈ 4.2–4.5 ms
//! per decryption on one idle core, not the 2.6 ms of GMP's assembly. crypto-bigint's
//! fixed-width types are slower for that exponentiation (`FixedMontyForm<32>`: 4.39 ms
//! with `pow`, 5.05 ms with `pow_amm`, against 3.90 ms for `BoxedMontyForm`). Key-owner
//! randomness `r^N`: old 16.1 ms, new 8.1 ms (half-length exponent). `(1 + kN)·Y`
//! (encryption with given randomness, `add_plain`): old num-bigint 7.4 µs, new
//! constant-time 19.9 µs — still under 1/400 of one `r^N`.
//! [`SecretKey::decrypt_parallel`] runs the halves on two cores; the bridge amortises
//! decryption over the slots of a packed ciphertext. `cargo bench -p gcc-nn-paillier`
//! reproduces every figure (group `backend` for the big-integer comparison).
//!
//! Cheap operations: adding a plaintext k costs no multiplication mod N², since
//! `(1 + kN)·c ≡ c + N·(k·c mod N) (mod N²)` (also in Montgomery form); encryption with a
//! precomputed `r^N` ([`RandomnessPool`]) is the same operation. Every kind of encryption
//! randomness (full `r^N`, the pool, fixed-base comb powers) lives in [`randomness`].

mod bigint;
pub mod cipher;
mod crt;
pub mod encoding;
pub mod error;
pub mod keys;
pub mod monty;
pub mod multiexp;
pub mod packing;
pub mod prime;
pub mod randomness;
pub mod serial;

pub use cipher::{Ciphertext, Randomness, residue_to_signed, signed_to_residue};
pub use encoding::FixedPoint;
pub use error::{PaillierError, Result};
pub use keys::{
    DEFAULT_KEY_BITS, MIN_PRODUCTION_KEY_BITS, PublicKey, SecretKey, validate_production_modulus,
};
pub use multiexp::{FixedBaseTable, inner_product};
pub use packing::SlotLayout;
pub use randomness::{CombTable, RandomnessPool, full_zero};
pub use serial::FORMAT_VERSION;

/// Re-exported big-integer types used in this crate's API.
pub use num_bigint::{BigInt, BigUint};
