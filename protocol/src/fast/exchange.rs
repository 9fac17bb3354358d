//! The per-image key exchange of the fast protocol's cross products, right after the image
//! header: each party draws its own material ([`OwnKeys::draw`]) and publishes its public
//! half ([`KeyMsg`]): the Paillier randomness base `h_K` ([`super::fresh`]) or a fresh RLWE
//! public key for this image; [`super::engine`]'s `Cross` is completed with the peer's.

use super::cross_engine::CrossEngine;
use super::fresh::FreshZeros;
use super::ring::Ring;
use super::wire::protocol;
use crate::error::{ProtocolError, he, rl};
use crate::wire::MAX_RLWE_KEY_BYTES;
use num_integer::Integer;
use num_traits::One;
use paillier::{Ciphertext, PublicKey};
use rand::CryptoRng;

/// Which party this is (the user speaks first in the key exchange).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Key holder of cross product 1, multiplier of cross product 2.
    User,
    /// Key holder of cross product 2, multiplier of cross product 1.
    Cloud,
}

impl Side {
    /// This party's sign in the share arithmetic: the user's shares add, the cloud's
    /// subtract (`W = W_U − α`, `b = b_U − b_C`, docs/protocol.md §3).
    pub(crate) fn sign(self, ring: &Ring, v: u64) -> u64 {
        match self {
            Side::User => v,
            Side::Cloud => ring.neg(v),
        }
    }

    /// Name of this party's shares in phase names (`a_U`, `a_C`).
    pub(crate) fn share_name(self) -> &'static str {
        match self {
            Side::User => "a_U",
            Side::Cloud => "a_C",
        }
    }

    /// The other party.
    pub(crate) fn peer(self) -> Side {
        match self {
            Side::User => Side::Cloud,
            Side::Cloud => Side::User,
        }
    }
}

/// The public half of a party's per-image key material (its key-exchange message).
#[derive(Clone)]
pub enum KeyMsg {
    /// Paillier: the party's randomness base `h_K` under its own key ([`super::fresh`]).
    Paillier(Ciphertext),
    /// RLWE: the party's fresh public key for this image.
    Rlwe(rlwe::PublicKey),
}

impl std::fmt::Debug for KeyMsg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyMsg::Paillier(_) => f.write_str("KeyMsg::Paillier(base)"),
            KeyMsg::Rlwe(_) => f.write_str("KeyMsg::Rlwe(public key)"),
        }
    }
}

/// This party's own half of the per-image key material, before the peer's half arrives.
pub(crate) enum OwnKeys {
    /// Fresh zeros under this party's own key (its inputs), with the published base.
    Paillier(FreshZeros),
    /// This image's RLWE secret key.
    Rlwe(rlwe::SecretKey),
}

impl OwnKeys {
    /// Draws this party's material for `engine`; `uses` bounds the Paillier fresh zeros.
    /// Returns it with the message that publishes its public half.
    pub(crate) fn draw<R: CryptoRng + ?Sized>(
        engine: CrossEngine,
        own_pk: &PublicKey,
        uses: usize,
        rng: &mut R,
    ) -> Result<(Self, KeyMsg), ProtocolError> {
        match engine {
            CrossEngine::Paillier => {
                let own = FreshZeros::short_exponent_for(own_pk, uses, rng);
                let base = own.base().cloned().ok_or_else(|| {
                    protocol(
                        "randomness base",
                        "full-randomness zeros have no base to publish".into(),
                    )
                })?;
                Ok((OwnKeys::Paillier(own), KeyMsg::Paillier(base)))
            }
            CrossEngine::Rlwe => {
                let sk = rlwe::SecretKey::generate(rng);
                let pk = sk.public_key(rng);
                Ok((OwnKeys::Rlwe(sk), KeyMsg::Rlwe(pk)))
            }
        }
    }
}

/// Phase of `side`'s key-exchange message.
pub(crate) fn key_phase(engine: CrossEngine, side: Side) -> &'static str {
    match (engine, side) {
        (CrossEngine::Paillier, Side::User) => "user randomness base",
        (CrossEngine::Paillier, Side::Cloud) => "cloud randomness base",
        (CrossEngine::Rlwe, Side::User) => "user RLWE public key",
        (CrossEngine::Rlwe, Side::Cloud) => "cloud RLWE public key",
    }
}

impl KeyMsg {
    /// Wire form (without the length prefix): a fixed-width ciphertext under `pk`, or the
    /// RLWE key's serialization.
    pub(crate) fn to_bytes(&self, pk: &PublicKey) -> Vec<u8> {
        match self {
            KeyMsg::Paillier(h) => {
                let mut bytes = Vec::with_capacity(pk.ciphertext_bytes());
                pk.write_ciphertext(h, &mut bytes);
                bytes
            }
            KeyMsg::Rlwe(k) => k.to_bytes(),
        }
    }

    /// Most bytes of the wire form for `engine` under `pk`.
    pub(crate) fn max_bytes(engine: CrossEngine, pk: &PublicKey) -> usize {
        match engine {
            CrossEngine::Paillier => pk.ciphertext_bytes(),
            CrossEngine::Rlwe => MAX_RLWE_KEY_BYTES,
        }
    }

    /// Reads the wire form for `engine` under `pk`: a Paillier base must be a unit mod N.
    pub(crate) fn from_bytes(
        engine: CrossEngine,
        pk: &PublicKey,
        bytes: &[u8],
        phase: &'static str,
    ) -> Result<Self, ProtocolError> {
        match engine {
            CrossEngine::Paillier => {
                let h = pk.read_ciphertext(bytes).map_err(he(phase))?;
                if !h.to_biguint().gcd(pk.n()).is_one() {
                    return Err(protocol(phase, "the base is not a unit mod N".into()));
                }
                Ok(KeyMsg::Paillier(h))
            }
            CrossEngine::Rlwe => Ok(KeyMsg::Rlwe(
                rlwe::PublicKey::from_bytes(bytes).map_err(rl(phase))?,
            )),
        }
    }
}
