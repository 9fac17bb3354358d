//! Session messages: tagged, length-prefixed frames, and runs of fixed-width ciphertexts.
//!
//! ```text
//! frame:       tag u8 | length u32 (LE) | payload
//! ciphertexts: count × PublicKey::ciphertext_bytes() big-endian values (count known to both)
//! ```

use super::SessionError;
use super::error::{chan, he};
use paillier::{Ciphertext, PublicKey};
use runtime::channel::Channel;

/// Largest frame payload accepted.
pub const MAX_FRAME: usize = 1 << 22;

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
    fn from_u8(v: u8) -> Option<Tag> {
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
    let mut head = [0u8; 5];
    head[0] = tag as u8;
    head[1..].copy_from_slice(&(payload.len() as u32).to_le_bytes());
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
    if len > MAX_FRAME {
        return Err(SessionError::Protocol {
            phase,
            what: format!("message of {len} bytes exceeds {MAX_FRAME}"),
        });
    }
    let mut payload = vec![0u8; len];
    ch.recv_exact(&mut payload).map_err(chan(phase))?;
    let text = || String::from_utf8_lossy(&payload).into_owned();
    match tag {
        Tag::Reject => Err(SessionError::Rejected(text())),
        Tag::Busy => Err(SessionError::Busy(text())),
        _ => Ok((tag, payload)),
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

/// Sends ciphertexts in their fixed-width form and flushes.
pub fn send_ciphertexts<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    cts: &[Ciphertext],
    phase: &'static str,
) -> Result<(), SessionError> {
    let mut buf = Vec::with_capacity(pk.ciphertext_bytes() * 64);
    for chunk in cts.chunks(64) {
        buf.clear();
        for c in chunk {
            pk.write_ciphertext(c, &mut buf);
        }
        ch.send(&buf).map_err(chan(phase))?;
    }
    ch.flush().map_err(chan(phase))
}

/// Receives `count` ciphertexts under `pk` (each checked to lie in (0, N²)).
pub fn recv_ciphertexts<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    count: usize,
    phase: &'static str,
) -> Result<Vec<Ciphertext>, SessionError> {
    let width = pk.ciphertext_bytes();
    let mut buf = vec![0u8; width];
    (0..count)
        .map(|_| {
            ch.recv_exact(&mut buf).map_err(chan(phase))?;
            pk.read_ciphertext(&buf).map_err(he(phase))
        })
        .collect()
}
