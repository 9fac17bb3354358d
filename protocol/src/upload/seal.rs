//! The model owner's signature of an upload ([`ModelSeal`]): what lets the cloud and the user
//! check that the model they serve or use comes from the owner whose public key they were
//! given.
//!
//! The signature is plain Ed25519 (RFC 8032) by the owner's key ([`super::owner`]) over a
//! domain-separated message that covers every byte the cloud and the user rely on:
//!
//! ```text
//! SIGNATURE_DOMAIN ("gcc-nn owner-signed encrypted model" 0x00) | file version u32
//! | header length u64 | header (ModelHeader::to_bytes: the user's key, formats, shape,
//!   the activation's name, source and SHA-256, the circuit hash, the bounds)
//! | SHA-256 of the ciphertext section (every weight and bias ciphertext, as in the file)
//! ```
//!
//! The seal is `parameters digest [32] | owner public key [32] | signature [64]`
//! ([`SEAL_BYTES`]); the file carries it after the header and the cloud sends it in the
//! handshake's offer, so the user checks the same signature over the header it is offered
//! (it relies on the header; the ciphertexts stay with the cloud and are named by their
//! digest). Every check compares the owner's key with the expected one first (an error names
//! both fingerprints), then verifies strictly ([`OwnerPublicKey::verify`]).

use super::owner::{OWNER_KEY_BYTES, OwnerKey, OwnerPublicKey, SIGNATURE_BYTES};
use crate::error::ProtocolError;
use bytes::{DecodeError, Put, Reader};

/// The domain separator that starts every signed message (no other gcc-nn signature, and no
/// other version of this one, can be taken for it).
pub const SIGNATURE_DOMAIN: &[u8] = b"gcc-nn owner-signed encrypted model\0";
/// Bytes of a seal: parameters digest, owner public key, signature.
pub const SEAL_BYTES: usize = 32 + OWNER_KEY_BYTES + SIGNATURE_BYTES;

/// The owner's signature of one upload, with what is needed to check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSeal {
    /// SHA-256 of the upload's ciphertext section (as written in the file).
    pub params_digest: [u8; 32],
    /// The owner key that signed.
    pub owner: OwnerPublicKey,
    /// The Ed25519 signature of [`signed_message`].
    pub signature: [u8; SIGNATURE_BYTES],
}

/// The message the owner signs for the header bytes `header` and the ciphertext digest
/// `params_digest` (module docs).
pub fn signed_message(header: &[u8], params_digest: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNATURE_DOMAIN.len() + 12 + header.len() + 32);
    m.put(SIGNATURE_DOMAIN);
    m.put_u32(super::MODEL_FILE_VERSION);
    m.put_bytes64(header);
    m.put(params_digest);
    m
}

impl ModelSeal {
    /// The owner `key`'s seal of the header bytes `header` and the ciphertext digest
    /// `params_digest`.
    pub fn sign(header: &[u8], params_digest: [u8; 32], key: &OwnerKey) -> Self {
        Self {
            params_digest,
            owner: key.public(),
            signature: key.sign(&signed_message(header, &params_digest)),
        }
    }

    /// Checks that the seal's key is `expected` (when given: an error names both
    /// fingerprints) and that its signature verifies over `header` and the seal's digest.
    pub fn check(
        &self,
        header: &[u8],
        expected: Option<&OwnerPublicKey>,
    ) -> Result<(), ProtocolError> {
        if let Some(expected) = expected {
            self.check_owner(expected)?;
        }
        if !self.owner.verify(
            &signed_message(header, &self.params_digest),
            &self.signature,
        ) {
            return Err(ProtocolError::Signature(format!(
                "the signature by owner key {} does not verify over this model's header and \
                 parameters: the model was changed after it was signed (re-run `gcc-nn model \
                 encrypt --owner-key …`)",
                self.owner.fingerprint()
            )));
        }
        Ok(())
    }

    /// Checks that the seal's key is `expected` (the error names both fingerprints).
    pub fn check_owner(&self, expected: &OwnerPublicKey) -> Result<(), ProtocolError> {
        if *expected != self.owner {
            return Err(ProtocolError::WrongOwner {
                model: self.owner.fingerprint(),
                expected: expected.fingerprint(),
            });
        }
        Ok(())
    }

    /// The byte form ([`SEAL_BYTES`]).
    pub fn to_bytes(&self) -> [u8; SEAL_BYTES] {
        let mut out = [0u8; SEAL_BYTES];
        out[..32].copy_from_slice(&self.params_digest);
        out[32..64].copy_from_slice(&self.owner.to_bytes());
        out[64..].copy_from_slice(&self.signature);
        out
    }

    /// Reads a seal from `r` (the owner key must be a valid, non-weak Ed25519 key).
    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let params_digest = r.array("parameters digest")?;
        let at = r.offset();
        let owner = r.array::<OWNER_KEY_BYTES>("owner public key")?;
        let owner = OwnerPublicKey::from_bytes(&owner)
            .map_err(|why| r.error_at("owner public key", at, why))?;
        let signature = r.array("owner signature")?;
        Ok(Self {
            params_digest,
            owner,
            signature,
        })
    }
}
