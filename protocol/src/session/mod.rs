//! Sessions between the cloud and a user over any [`runtime::channel::Channel`]: the
//! versioned handshake, job framing and limits, the cloud's serve loop with its session
//! slots, and the user's client, shared by every secure protocol. A job runs through the
//! agreed protocol's one interface ([`crate::reference::job`], [`crate::fast::job`]).
//!
//! A session: the cloud offers its model's public header (or says it is busy); the user
//! checks protocol version, fixed-point formats, shape, key and circuit hash and accepts with
//! the digest of the offer and its protocol choice; the cloud confirms; then one job (an
//! image's patches, in chunks) runs under the chosen protocol and the cloud says done.

pub mod activation;
pub mod client;
mod dispatch;
pub(crate) mod error;
pub mod handshake;
pub mod serve;
pub mod stats;
pub mod wire;

pub use error::SessionError;
pub use handshake::ProtocolKind;
pub use stats::JobStats;

use paillier::PublicKey;

/// Which Paillier moduli an upload, a served model, a client and the cloud's per-user key
/// accept.
///
/// Every shipped command (`keygen`, `model encrypt`, `serve`, `denoise --connect`,
/// `secure-bench`) takes the default, [`KeyPolicy::Production`], and has no option to
/// change it: the test-only policy is reachable only through library calls
/// ([`serve::CloudState::with_key_policy`], [`client::connect_with_policy`],
/// [`client::handshake_with_policy`], [`crate::upload::EncryptedModel::encrypt_with_rng`]).
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
    pub fn check(self, pk: &PublicKey, whose: &str) -> Result<(), SessionError> {
        match self {
            KeyPolicy::Production => {
                pk.validate_production()
                    .map_err(|source| SessionError::InsecureKey {
                        whose: whose.to_string(),
                        source,
                    })
            }
            KeyPolicy::InsecureTestKeys => Ok(()),
        }
    }
}
