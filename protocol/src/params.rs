//! The security and size parameters of every protocol, each declared once with its reason.
//!
//! - κ = 128: computational security of garbling (half-gates, fixed-key AES) and OT.
//! - σ = 40: statistical security of every mask. A mask used for the same secret several
//!   times is widened by log2 of the counted uses, so the whole view of one secret stays
//!   within statistical distance `2^−σ` of a view independent of it:
//!   the bridge demo masks fresh values once ([`BRIDGE_SIGMA`]), the reference protocol masks
//!   a secret up to [`MASK_USES`] times ([`REFERENCE_SIGMA`]), the fast protocol's setup mask
//!   is reused over at most [`MAX_RESHARINGS`] re-sharings ([`SETUP_SIGMA`]) and its cross
//!   products mask fresh slots ([`FAST_SIGMA`]).
//! - Paillier modulus: [`DEFAULT_KEY_BITS`] bits by default.
//! - Ring `Z_(2^K)` of the fast protocol: K is the model's fixed-point `ring_bits`, within
//!   [`RING_BITS`].

use crate::error::ProtocolError;
use paillier::PublicKey;
use std::ops::RangeInclusive;

/// κ, the computational security parameter (bits) of garbling and oblivious transfer.
pub const KAPPA: u32 = 128;

/// σ, the statistical security parameter (bits): every party's view of a secret is within
/// statistical distance `2^−σ` of a view independent of it.
pub const SIGMA: u32 = 40;

/// σ of the bridge on its own (demo, benches): each mask hides one fresh value once.
pub const BRIDGE_SIGMA: u32 = SIGMA;

/// log2 of [`MASK_USES`].
pub const MASK_USES_LOG2: u32 = 40;

/// The stated cap on how often the reference protocol masks one secret (a weight, an
/// activation, a pre-activation) for the same user key and model: a job has at most
/// [`crate::wire::MAX_PATCHES`] = 2^24 patches (enforced when the job request is decoded) and
/// the bound allows 2^16 jobs, i.e. 2^40 masked copies. It is a cost bound, not a counter: the
/// reference protocol costs minutes of CPU per patch at 2048 bits (README), so 2^40 patches
/// are some 10^8 CPU-years out of reach.
pub const MASK_USES: u64 = 1 << MASK_USES_LOG2;

/// σ of every mask of the reference protocol (linear layers and activation bridge):
/// σ + log2([`MASK_USES`]) + 1 = 81 bits (the bound is proved at
/// [`crate::reference::draw_mask`]).
pub const REFERENCE_SIGMA: u32 = SIGMA + MASK_USES_LOG2 + 1;

/// log2 of [`MAX_RESHARINGS`].
pub const RESHARING_BITS: u32 = 10;

/// Most re-sharings of one model to one user key in the fast protocol (sizes
/// [`SETUP_SIGMA`]).
pub const MAX_RESHARINGS: u64 = 1 << RESHARING_BITS;

/// σ_s, the fast protocol's setup mask: σ + log2([`MAX_RESHARINGS`]), since the same weights
/// are masked once per re-sharing.
pub const SETUP_SIGMA: u32 = SIGMA + RESHARING_BITS;

/// σ of the fast protocol's cross-product slots: each slot mask is fresh, used once.
pub const FAST_SIGMA: u32 = SIGMA;

/// Default Paillier modulus size (bits).
pub const DEFAULT_KEY_BITS: u32 = paillier::DEFAULT_KEY_BITS;

/// Ring sizes K the fast protocol accepts (`Z_(2^K)`, values held in a `u64`).
pub const RING_BITS: RangeInclusive<u32> = 1..=63;

// Checked when the crate compiles: a reference mask of a 1-bit value fits 128 bits, and a
// setup mask of the largest ring does too (k + σ_s ≤ 127).
const _: () = assert!(REFERENCE_SIGMA < 127 && *RING_BITS.end() + SETUP_SIGMA <= 127);

/// Which Paillier moduli an upload, a served model, a client and the cloud's per-user key
/// accept.
///
/// Every shipped command (`keygen`, `model encrypt`, `serve`, `denoise --connect`,
/// `secure-bench`) takes the default, [`KeyPolicy::Production`], and has no option to
/// change it; only a debug build of `model encrypt`, `serve` and `denoise --connect` takes
/// the test policy under `GCC_NN_INSECURE_TEST_KEYS=1` (the spawned-process tests; release
/// builds have no such code). Otherwise the test-only policy is reachable only through
/// library calls
/// ([`crate::session::serve::CloudState::with_key_policy`],
/// [`crate::session::client::connect_with_policy`],
/// [`crate::session::client::handshake_with_policy`], [`crate::upload::EncryptedModel::encrypt_with_rng`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyPolicy {
    /// At least 2048 bits, no prime factor below 2^16, not a perfect power
    /// ([`paillier::validate_production_modulus`]).
    #[default]
    Production,
    /// INSECURE, tests only: any modulus the paillier crate can represent (small keys keep
    /// the test suite fast).
    InsecureTestKeys,
}

impl KeyPolicy {
    /// Checks `pk` (described as `whose` in the error) against this policy.
    pub fn check(self, pk: &PublicKey, whose: &str) -> Result<(), ProtocolError> {
        match self {
            KeyPolicy::Production => {
                pk.validate_production()
                    .map_err(|source| ProtocolError::InsecureKey {
                        whose: whose.to_string(),
                        source,
                    })
            }
            KeyPolicy::InsecureTestKeys => Ok(()),
        }
    }
}

/// `⌈log2 n⌉` (0 for n ≤ 1): the bits a count of `n` uses adds to a statistical bound.
pub fn ceil_log2(n: usize) -> u32 {
    if n <= 1 {
        0
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived σs are the documented figures (a change here changes the security claims
    /// of README and docs).
    #[test]
    fn derived_sigmas_are_the_documented_figures() {
        assert_eq!(KAPPA, 128);
        assert_eq!(SIGMA, 40);
        assert_eq!(REFERENCE_SIGMA, 81);
        assert_eq!(SETUP_SIGMA, 50);
        assert_eq!(MAX_RESHARINGS, 1024);
        assert_eq!(DEFAULT_KEY_BITS, 2048);
    }
}
