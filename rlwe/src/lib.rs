//! Ring-LWE linear layers for gcc-nn's fast protocol (PROTOCOL.md §4, issue 16): BFV-style
//! encryption over `R_q = Z_q[X]/(X^N + 1)` with the share ring `Z_(2^k)` as plaintext space,
//! Cheetah's coefficient encoding batched over patches, and function privacy toward the key
//! holder (re-randomisation with a fresh public-key encryption of zero, noise flooding,
//! modulus switching, only the useful coefficients returned).
//!
//! # Library choice (measured)
//!
//! `fhe` 0.1.1 (fhe.rs) was tried first in a scratch project (N = 8192, moduli 3×56 bits,
//! t = 2^40, `Encoding::poly()`, release build, this machine): it accepts a power-of-two t and
//! its encryption scales exactly (`⌊q·m/t⌋` via `−t^−1·[q·m]_t`); a Cheetah block product
//! (48 rows × 169 columns) decrypted correctly (48/48 rows). Measured per operation:
//! secret-key encryption 2.95 ms, public-key encryption 3.82 ms, plaintext encoding (with NTT)
//! 0.88 ms, plaintext×ciphertext product 0.20 ms, decryption 3.19 ms; a ciphertext is
//! 344,094 bytes (172,081 seeded). It was not adopted because it has no flooding, no
//! extraction of coefficients or partial `b`, no product in the coefficient domain (where a
//! batched layer costs `n_out·n_in` shifted multiply-accumulates per ciphertext instead of an
//! NTT per plaintext), its decryption costs 3 ms, and it is built on `rand` 0.9 (the workspace
//! uses 0.10, whose traits it does not accept). No kept NTT crate is in this workspace's
//! package lists; the NTT here is ≈ 130 lines with known-answer tests.
//!
//! So this crate is a small core of its own: three NTT primes (Q0 < 2^55, Q1, Q2 < 2^60,
//! `log2 q ≈ 175 ≤ 218`, HE Standard N = 8192, ternary secret), Harvey's lazy negacyclic NTT,
//! centred-binomial errors (η = 21), seeded secret-key encryption for the key holder's inputs,
//! public-key encryption of zero for re-randomisation. Parameters: [`params`]; noise
//! budget: [`noise`]; encoding: [`layout`]; the protocol step functions: [`matvec`].
//!
//! # Measurements
//!
//! `cargo run --release -p gcc-nn-rlwe --example rlwe_bench` (numbers in the README of this
//! crate's section and in the helper's report; `cargo bench -p gcc-nn-rlwe` for the
//! primitives with criterion).

pub mod arith;
pub mod bits;
pub mod cipher;
pub mod error;
pub mod keys;
pub mod layout;
pub mod matvec;
pub mod noise;
pub mod ntt;
pub mod params;
pub mod poly;
pub mod sample;

#[cfg(test)]
mod extreme_tests;
#[cfg(test)]
mod privacy_tests;

pub use cipher::{InputCiphertext, OutputCiphertext};
pub use error::{Result, RlweError};
pub use keys::{PublicKey, SecretKey};
pub use layout::Layout;
pub use matvec::{decrypt_outputs, encrypt_inputs, masked_products};
pub use noise::Budget;
