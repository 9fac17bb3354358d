//! Ring-LWE linear layers for gcc-nn's fast protocol (docs/protocol.md §4, issue 16): BFV-style
//! encryption over `R_q = Z_q[X]/(X^N + 1)` with the share ring `Z_(2^k)` as plaintext space,
//! Cheetah's coefficient encoding batched over patches, and function privacy toward the key
//! holder (re-randomisation with a fresh public-key encryption of zero, noise flooding,
//! modulus switching, only the useful coefficients returned).
//!
//! Security: semi-honest parties, 128-bit computational security (RLWE at N = 8192,
//! `log2 q ≈ 175`, HE Standard), σ = 40 statistical (flooding, masks uniform mod 2^k).
//!
//! # Library choice (measured)
//!
//! `fhe` 0.1.1 (fhe.rs) was tried first in a scratch project (N = 8192, moduli 3×56 bits,
//! t = 2^40, `Encoding::poly()`, release build, this machine): it accepts a power-of-two t and
//! its encryption scales exactly (floor `⌊q·m/t⌋` via `−t^−1·[q·m]_t`, error below 1, which is
//! enough; its plaintext operand of a product is not centred, one bit more noise); a Cheetah
//! block product (48 rows × 169 columns) decrypted correctly (48/48 rows). Measured per operation:
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
//! # Design for whole images
//!
//! With 2,704 patches an image fills a third of a polynomial on its own, so [`Layout::choose`]
//! puts all patches of an input in one polynomial (`pp = P`) and ŵ gets only `n_o·n_i ≤ 3`
//! nonzero coefficients. The products then run in the coefficient domain
//! ([`Engine::Coefficient`]): each weight is one signed negacyclic shift-and-multiply-
//! accumulate over a ciphertext (`L·N` word MACs into u128, reduced once), no NTT per weight,
//! tiled so that every input coefficient is read from cache by all output blocks. With few
//! patches (Cheetah's original setting, dense ŵ) the chooser takes [`Engine::Ntt`] instead:
//! one transform of ŵ per block product, pointwise products. Either way the key holder's `b`
//! is sent only on the support the useful coefficients read, and the returned ciphertexts
//! carry all of `a` but only the useful coefficients of `b`, switched down to Q0 (55 bits).
//!
//! # Measurements
//!
//! `cargo run --release -p gcc-nn-rlwe --example rlwe_bench` on the 2-core AMD EPYC Zen 4
//! (2.45 GHz) while other helpers' builds ran (load average ≈ 3.4–4.4 on 2 cores, so the
//! single-operation figures are up to ≈ 2× slow and vary by ±30 % between runs), k = 40:
//!
//! | operation (N = 8192, one thread) | time |
//! | --- | --- |
//! | NTT forward, one prime | 160–245 µs |
//! | plaintext×ciphertext product in the NTT domain (ŵ transformed) | 200–310 µs (+ 3 NTTs for ŵ) |
//! | secret-key encryption of one input (seeded a) | 1.6–2.1 ms |
//! | one returned ciphertext: mask, public-key encryption of zero, flooding, switch | 3.1–4.2 ms |
//! | per weight in the coefficient domain (a and useful b, 3 primes) | 10–23 µs |
//! | decryption of one returned ciphertext | 0.25–0.41 ms |
//!
//! The shipped model's five cross products (layers 169→128, 128→128, 128→25; layer 1 has no
//! second one), rayon on both cores, run one after another:
//!
//! | patches | CPU-s (key owners + multipliers) | wall | bytes (up + down) |
//! | --- | --- | --- | --- |
//! | 2,704 (256×256 image) | **4.34** (0.82 + 3.52) | 4.68 s | **112.3 MB** (90.6 + 21.7) |
//! | 1 | 0.05 (0.01 + 0.04) | 0.05 s | 1.8 MB (1.5 + 0.3) |
//!
//! `cargo bench -p gcc-nn-rlwe` (criterion, same conditions, load ≈ 5.5): NTT 210 µs, input
//! encryption 1.94 ms, one returned ciphertext 4.08 ms, decryption 0.38 ms; the 128→25
//! cross product of a whole image: inputs 136 ms, masked products 296 ms (wall, 2 cores).
//!
//! Targets for the image's linear layers: ≤ 15 CPU-s and ≤ 1 GB. Layouts chosen for 2,704
//! patches: `n_i = 1, n_o = 2` (coefficient engine) for the 128-row layers, `n_i = 2, n_o = 1`
//! for 128→25; for one patch dense blocks (`n_o` = all rows) on the NTT engine. The
//! multipliers' time is mostly the ≈ 2.4·10^9 word multiply-accumulates of an image (≈ 1.2 ns
//! each under that load), the rest the 242 returned ciphertexts (≈ 3–4 ms each).

#![forbid(unsafe_code)]

pub mod arith;
pub mod bits;
pub mod cipher;
mod dense;
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

pub use cipher::{Ciphertext, InputCiphertext, OutputCiphertext};
pub use error::{Result, RlweError};
pub use keys::{PublicKey, SecretKey};
pub use layout::{Engine, Layout};
pub use matvec::{decrypt_outputs, encrypt_inputs, masked_products};
pub use noise::Budget;
