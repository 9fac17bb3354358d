//! Session messages: tagged, length-prefixed frames, and runs of fixed-width ciphertexts.
//!
//! ```text
//! frame:       tag u8 | length u32 (LE) | payload          (length ≤ MAX_FRAME)
//! job request: patches u64 (LE) | chunk u32 (LE) | session id [32]   (a Job frame's payload)
//! ciphertexts: count × PublicKey::ciphertext_bytes() big-endian values (count known to both)
//! ```
//!
//! Every length read from the peer is checked against a named limit ([`MAX_FRAME`],
//! [`MAX_REASON`], [`MAX_PATCHES`], [`MAX_CHUNK`]) before anything is allocated for it.
//!
//! The job request carries the session id (the channel's, from the TLS exporter): it is the
//! header of a job, and of the reference protocol's run in particular (whose own messages are
//! runs of ciphertexts; its bridges and garbled circuits carry the id in their headers). The
//! cloud refuses a job request of another session ([`JobRequest::check_session`]).

use super::SessionError;
use super::error::chan;
use runtime::channel::{Channel, SessionId};

pub use crate::wire::{
    MAX_CHUNK, MAX_FRAME, MAX_PATCHES, MAX_REASON, recv_ciphertexts, send_ciphertexts,
};

/// Frame tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Tag {
    /// cloud → user: the server cannot take another user now (payload: message).
    Busy = 1,
    /// cloud → user: version, protocols served, model header.
    Offer = 2,
    /// user → cloud: protocol chosen and the digest of the offer.
    Accept = 3,
    /// either way: refusal (payload: reason).
    Reject = 4,
    /// cloud → user: agreement confirmed.
    Agreed = 5,
    /// user → cloud: a job (patch count, chunk size, stride).
    Job = 6,
    /// cloud → user: the job is complete.
    Done = 7,
}

impl Tag {
    /// The tag of wire code `v`, if any.
    pub fn from_u8(v: u8) -> Option<Tag> {
        [
            Tag::Busy,
            Tag::Offer,
            Tag::Accept,
            Tag::Reject,
            Tag::Agreed,
            Tag::Job,
            Tag::Done,
        ]
        .into_iter()
        .find(|t| *t as u8 == v)
    }
}

/// Sends one frame and flushes.
pub fn send_frame<C: Channel + ?Sized>(
    ch: &mut C,
    tag: Tag,
    payload: &[u8],
    phase: &'static str,
) -> Result<(), SessionError> {
    // The peer refuses longer frames: say so here rather than send one.
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n as usize <= MAX_FRAME)
        .ok_or_else(|| SessionError::Protocol {
            phase,
            what: format!(
                "{tag:?} message of {} bytes exceeds the limit {MAX_FRAME}",
                payload.len()
            ),
        })?;
    let mut head = [0u8; 5];
    head[0] = tag as u8;
    head[1..].copy_from_slice(&len.to_le_bytes());
    ch.send(&head).map_err(chan(phase))?;
    ch.send(payload).map_err(chan(phase))?;
    ch.flush().map_err(chan(phase))
}

/// Receives one frame; a `Reject` frame becomes [`SessionError::Rejected`] and a `Busy`
/// frame [`SessionError::Busy`].
pub fn recv_frame<C: Channel + ?Sized>(
    ch: &mut C,
    phase: &'static str,
) -> Result<(Tag, Vec<u8>), SessionError> {
    let mut head = [0u8; 5];
    ch.recv_exact(&mut head).map_err(chan(phase))?;
    let tag = Tag::from_u8(head[0]).ok_or_else(|| SessionError::Protocol {
        phase,
        what: format!("unknown message tag {}", head[0]),
    })?;
    let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let limit = match tag {
        Tag::Reject | Tag::Busy => MAX_REASON,
        _ => MAX_FRAME,
    };
    if len > limit {
        return Err(SessionError::Protocol {
            phase,
            what: format!("{tag:?} message declares {len} bytes, the limit is {limit}"),
        });
    }
    let mut payload = vec![0u8; len];
    ch.recv_exact(&mut payload).map_err(chan(phase))?;
    let text = || peer_text(&payload);
    match tag {
        Tag::Reject => Err(SessionError::Rejected(text())),
        Tag::Busy => Err(SessionError::Busy(text())),
        _ => Ok((tag, payload)),
    }
}

/// The peer's text made printable: invalid UTF-8 and control characters become `�`.
pub fn peer_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// A user's job: how many patches, in chunks of how many per round, in which session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobRequest {
    /// Patches of the image (1..=[`MAX_PATCHES`]).
    pub patches: u64,
    /// Patches per round of the reference protocol (1..=[`MAX_CHUNK`]).
    pub chunk: u32,
    /// The session of the job (the channel's id).
    pub session: SessionId,
}

impl JobRequest {
    /// Size of the byte form.
    pub const BYTES: usize = 44;

    /// The byte form (a `Job` frame's payload).
    pub fn to_bytes(self) -> [u8; Self::BYTES] {
        let mut out = [0u8; Self::BYTES];
        out[..8].copy_from_slice(&self.patches.to_le_bytes());
        out[8..12].copy_from_slice(&self.chunk.to_le_bytes());
        out[12..].copy_from_slice(&self.session);
        out
    }

    /// Refuses a job request of another session than `ours`, naming both.
    pub fn check_session(&self, ours: &SessionId) -> Result<(), SessionError> {
        match super::error::other_session("the job request", ours, &self.session) {
            None => Ok(()),
            Some(what) => Err(SessionError::Protocol {
                phase: "job request",
                what,
            }),
        }
    }

    /// Reads a `Job` frame's payload, checking both counts against their limits (the
    /// session id is checked by the reader, [`JobRequest::check_session`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SessionError> {
        let bad = |what: String| SessionError::Protocol {
            phase: "job request",
            what,
        };
        let Ok(b) = <[u8; Self::BYTES]>::try_from(bytes) else {
            return Err(bad(format!(
                "{} bytes, expected {}",
                bytes.len(),
                Self::BYTES
            )));
        };
        let (mut p, mut c, mut session) = ([0u8; 8], [0u8; 4], [0u8; 32]);
        p.copy_from_slice(&b[..8]);
        c.copy_from_slice(&b[8..12]);
        session.copy_from_slice(&b[12..]);
        let (patches, chunk) = (u64::from_le_bytes(p), u32::from_le_bytes(c));
        if patches == 0 || patches > MAX_PATCHES || chunk == 0 || chunk as usize > MAX_CHUNK {
            return Err(bad(format!(
                "{patches} patches in chunks of {chunk} (1..={MAX_PATCHES}, 1..={MAX_CHUNK})"
            )));
        }
        Ok(Self {
            patches,
            chunk,
            session,
        })
    }
}

/// Receives a frame that must carry `want`.
pub fn expect_frame<C: Channel + ?Sized>(
    ch: &mut C,
    want: Tag,
    phase: &'static str,
) -> Result<Vec<u8>, SessionError> {
    let (tag, payload) = recv_frame(ch, phase)?;
    if tag != want {
        return Err(SessionError::Protocol {
            phase,
            what: format!("expected {want:?}, got {tag:?}"),
        });
    }
    Ok(payload)
}
