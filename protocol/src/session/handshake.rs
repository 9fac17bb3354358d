//! The versioned handshake. Nothing secret-dependent is sent before both sides agree on the
//! session version, the protocol, the fixed-point formats, the model shape, the key and the
//! hash of the activation circuit.
//!
//! ```text
//! cloud → user: Offer  "GCCNN-SE" | version u32 | session id [32] | protocols served (bit mask) u8
//!                      | ModelSeal [128] (the owner's signature of the model, `upload::seal`)
//!                      | ModelHeader                (or Busy: message, then the cloud hangs up)
//! user → cloud: Accept protocol u8 | session id [32] | SHA-256 of the Offer payload
//!                                                                      (or Reject: reason)
//! cloud → user: Agreed                                                 (or Reject: reason)
//! ```
//!
//! The session id is the channel's ([`Channel::session_id`]: from the TLS exporter); each side
//! refuses an Offer or Accept carrying another, naming both.

use super::SessionError;
use super::activation::ActivationCircuit;
use super::error::{hex, other_session};
use super::wire::{Tag, expect_frame, send_frame};
use crate::upload::{ModelHeader, ModelSeal, OwnerPublicKey, SEAL_BYTES};
use paillier::PublicKey;
use runtime::channel::{Channel, SessionId};
use runtime::scheme::Scheme;
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"GCCNN-SE";
/// Version of the session messages.
pub const SESSION_VERSION: u32 = 3;

/// The secure protocols a session can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolKind {
    /// The paper's protocol (docs/protocol.md §2).
    Reference,
    /// The fast whole-image protocol (docs/protocol.md §3), linear layers on packed Paillier.
    Fast,
    /// The fast whole-image protocol with its linear layers on ring-LWE (docs/protocol.md §4).
    FastRlwe,
}

impl ProtocolKind {
    /// Wire code.
    pub fn code(self) -> u8 {
        match self {
            ProtocolKind::Reference => 1,
            ProtocolKind::Fast => 2,
            ProtocolKind::FastRlwe => 3,
        }
    }

    /// From the wire code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(ProtocolKind::Reference),
            2 => Some(ProtocolKind::Fast),
            3 => Some(ProtocolKind::FastRlwe),
            _ => None,
        }
    }

    /// Name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolKind::Reference => "reference",
            ProtocolKind::Fast => "fast",
            ProtocolKind::FastRlwe => "fast-rlwe",
        }
    }

    /// The linear-layer engine of a fast protocol (`None` for the reference protocol).
    pub fn fast_engine(self) -> Option<crate::fast::CrossEngine> {
        match self {
            ProtocolKind::Reference => None,
            ProtocolKind::Fast => Some(crate::fast::CrossEngine::Paillier),
            ProtocolKind::FastRlwe => Some(crate::fast::CrossEngine::Rlwe),
        }
    }

    /// Refuses a garbling scheme the protocol cannot run, before anything is sent: the
    /// reference protocol (its bridge) garbles with half-gates only; the fast protocols name
    /// the user's scheme in the image header.
    pub fn check_scheme(self, scheme: Scheme) -> Result<(), SessionError> {
        match (self, scheme) {
            (ProtocolKind::Reference, Scheme::ThreeHalves) => Err(SessionError::Unsupported(
                "reference with three-halves garbling (the reference protocol garbles with \
                 half-gates only; three-halves runs under fast and fast-rlwe)",
            )),
            _ => Ok(()),
        }
    }

    /// The protocols this build implements.
    pub fn implemented() -> &'static [ProtocolKind] {
        &[
            ProtocolKind::Reference,
            ProtocolKind::Fast,
            ProtocolKind::FastRlwe,
        ]
    }
}

fn mask(kinds: &[ProtocolKind]) -> u8 {
    kinds.iter().fold(0, |m, k| m | (1 << k.code()))
}

/// Size of an `Accept` payload: protocol code, session id and SHA-256 of the offer.
pub const ACCEPT_BYTES: usize = 65;

/// The payload of the cloud's `Offer` in session `session`: the model's header with the
/// owner's seal of it.
pub fn offer_payload(
    header: &ModelHeader,
    seal: &ModelSeal,
    served: &[ProtocolKind],
    session: &SessionId,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SESSION_VERSION.to_le_bytes());
    out.extend_from_slice(session);
    out.push(mask(served));
    out.extend_from_slice(&seal.to_bytes());
    out.extend_from_slice(&header.to_bytes());
    out
}

/// Reads an `Offer` payload: checks magic, version and the owner's signature (under the key
/// the seal names; the user also checks that key, [`user_handshake`]) before it parses the
/// header; returns its session id, the mask of protocols served (bit `1 << code`), the
/// model header and the seal.
pub fn parse_offer(
    payload: &[u8],
) -> Result<(SessionId, u8, ModelHeader, ModelSeal), SessionError> {
    let (session, served, seal, header) = split_offer(payload)?;
    seal.check(header, None)?;
    Ok((session, served, ModelHeader::from_bytes(header)?, seal))
}

/// An `Offer` payload's parts: session id, served mask, the owner's seal and the header's
/// bytes (not parsed yet).
fn split_offer(payload: &[u8]) -> Result<(SessionId, u8, ModelSeal, &[u8]), SessionError> {
    let Some((magic, rest)) = payload.split_first_chunk::<8>() else {
        return Err(not_a_server());
    };
    let Some((version, rest)) = rest.split_first_chunk::<4>() else {
        return Err(not_a_server());
    };
    if magic != MAGIC {
        return Err(not_a_server());
    }
    let version = u32::from_le_bytes(*version);
    if version != SESSION_VERSION {
        return Err(SessionError::Handshake(format!(
            "server speaks session version {version}, this build {SESSION_VERSION}"
        )));
    }
    let Some((session, rest)) = rest.split_first_chunk::<32>() else {
        return Err(not_a_server());
    };
    let Some((&served, rest)) = rest.split_first() else {
        return Err(not_a_server());
    };
    let Some((seal, header)) = rest.split_first_chunk::<SEAL_BYTES>() else {
        return Err(SessionError::Handshake(
            "the offer is too short for the model owner's seal".into(),
        ));
    };
    let seal = ModelSeal::read(&mut bytes::Reader::new(seal, "owner seal"))
        .map_err(|e| SessionError::Handshake(format!("owner seal: {}: {}", e.field, e.reason)))?;
    Ok((*session, served, seal, header))
}

/// Refuses a message of session `theirs` in session `ours`, naming both.
pub fn check_session(what: &str, ours: &SessionId, theirs: &SessionId) -> Result<(), SessionError> {
    match other_session(what, ours, theirs) {
        None => Ok(()),
        Some(why) => Err(SessionError::Handshake(why)),
    }
}

fn not_a_server() -> SessionError {
    SessionError::Handshake("the peer is not a gcc-nn server".into())
}

/// The payload of the user's `Accept` of `offer` (an `Offer` payload) for protocol `kind`
/// in session `session`.
pub fn accept_payload(kind: ProtocolKind, session: &SessionId, offer: &[u8]) -> [u8; ACCEPT_BYTES] {
    let mut out = [0u8; ACCEPT_BYTES];
    out[0] = kind.code();
    out[1..33].copy_from_slice(session);
    out[33..].copy_from_slice(&Sha256::digest(offer));
    out
}

/// Reads an `Accept` payload: the protocol code asked for, the session id and the digest of
/// the offer.
pub fn parse_accept(payload: &[u8]) -> Result<(u8, SessionId, [u8; 32]), SessionError> {
    match payload.split_first() {
        Some((&code, rest)) if rest.len() == 64 => {
            let (mut session, mut d) = ([0u8; 32], [0u8; 32]);
            session.copy_from_slice(&rest[..32]);
            d.copy_from_slice(&rest[32..]);
            Ok((code, session, d))
        }
        _ => Err(SessionError::Handshake(format!(
            "accept of {} bytes, expected {ACCEPT_BYTES}",
            payload.len()
        ))),
    }
}

fn reject<C: Channel + ?Sized>(ch: &mut C, err: SessionError) -> SessionError {
    // Best effort: the peer may already be gone; the local error is what matters.
    let _ = send_frame(ch, Tag::Reject, err.to_string().as_bytes(), "reject");
    err
}

/// Tells a connecting user that the server is full, then the caller hangs up.
pub fn send_busy<C: Channel + ?Sized>(ch: &mut C, message: &str) -> Result<(), SessionError> {
    send_frame(ch, Tag::Busy, message.as_bytes(), "busy notice")
}

/// The cloud's side: offers the model's header with the owner's seal and the protocols it
/// serves; returns the protocol the user chose once both agree.
pub fn cloud_handshake<C: Channel + ?Sized>(
    ch: &mut C,
    header: &ModelHeader,
    seal: &ModelSeal,
    served: &[ProtocolKind],
) -> Result<ProtocolKind, SessionError> {
    let session = ch.session_id();
    let payload = offer_payload(header, seal, served, &session);
    send_frame(ch, Tag::Offer, &payload, "handshake offer")?;
    let accept = expect_frame(ch, Tag::Accept, "handshake accept")?;
    let (code, theirs, digest) = match parse_accept(&accept) {
        Ok(v) => v,
        Err(e) => return Err(reject(ch, e)),
    };
    if let Err(e) = check_session("the user's accept", &session, &theirs) {
        return Err(reject(ch, e));
    }
    let Some(kind) = ProtocolKind::from_code(code).filter(|k| served.contains(k)) else {
        return Err(reject(
            ch,
            SessionError::Handshake(format!(
                "protocol code {code} is not served here (served: {})",
                served
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ));
    };
    if Sha256::digest(&payload).as_slice() != digest {
        return Err(reject(
            ch,
            SessionError::Handshake("the user agreed to a different offer".into()),
        ));
    }
    send_frame(ch, Tag::Agreed, &[], "handshake confirmation")?;
    Ok(kind)
}

/// The user's side: checks the cloud's offer against this build, the model owner's key
/// `owner` (the model must be signed by it: checked before the header is parsed) and the
/// user's public key, asks for protocol `want`, and returns the model header and its
/// activation circuit.
pub fn user_handshake<C: Channel + ?Sized>(
    ch: &mut C,
    own_key: &PublicKey,
    owner: &OwnerPublicKey,
    want: ProtocolKind,
) -> Result<(ModelHeader, ActivationCircuit), SessionError> {
    let payload = expect_frame(ch, Tag::Offer, "handshake offer")?;
    let session = ch.session_id();
    let checked = check_offer(&payload, own_key, owner, want, &session);
    let (header, circuit) = match checked {
        Ok(v) => v,
        Err(e) => return Err(reject(ch, e)),
    };
    let accept = accept_payload(want, &session, &payload);
    send_frame(ch, Tag::Accept, &accept, "handshake accept")?;
    expect_frame(ch, Tag::Agreed, "handshake confirmation")?;
    Ok((header, circuit))
}

fn check_offer(
    payload: &[u8],
    own_key: &PublicKey,
    owner: &OwnerPublicKey,
    want: ProtocolKind,
    session: &SessionId,
) -> Result<(ModelHeader, ActivationCircuit), SessionError> {
    let (theirs, served, seal, header) = split_offer(payload)?;
    check_session("the cloud's offer", session, &theirs)?;
    seal.check(header, Some(owner))?;
    let header = ModelHeader::from_bytes(header)?;
    if served & (1 << want.code()) == 0 {
        return Err(SessionError::Handshake(format!(
            "the server does not serve the {} protocol",
            want.name()
        )));
    }
    if header.public_key != *own_key {
        return Err(SessionError::WrongKey {
            model: hex(&header.public_key.fingerprint()),
            yours: hex(&own_key.fingerprint()),
        });
    }
    if header.fixed != model::fixed::FIXED {
        return Err(SessionError::Handshake(format!(
            "fixed-point formats differ: server {:?}, this build {:?}",
            header.fixed,
            model::fixed::FIXED
        )));
    }
    let circuit = ActivationCircuit::for_activation(&header.activation, &header.fixed)?;
    if circuit.hash() != header.circuit_hash {
        return Err(SessionError::Handshake(format!(
            "activation circuit `{}` differs: server {}, this build {}",
            header.activation.name(),
            hex(&header.circuit_hash[..8]),
            hex(&circuit.hash()[..8])
        )));
    }
    header
        .check_bounds(circuit.bridge.params().x_bits)
        .map_err(|e| SessionError::Handshake(e.to_string()))?;
    Ok((header, circuit))
}
