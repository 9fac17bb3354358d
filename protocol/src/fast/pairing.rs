//! The start of every fast job: do both parties still hold the two halves of the same setup?
//!
//! ```text
//! cloud → user: words magic | version, then bytes model hash [32] | stored pair id [32]
//!               (all zero when the cloud has no share for this user and model)
//! user → cloud: words magic | decision (1 reuse, 0 new setup), then bytes pair id [32]
//! ```
//!
//! The user answers "reuse" only when its own stored share has the same pair id, the same
//! model hash and its own key; the cloud accepts "reuse" only when the echoed pair id is its
//! own and non-zero. Anything else means a fresh setup, whose new pair id both store; the
//! image header carries the pair id again ([`super::party`]), so two shares of different
//! setups can never be combined into a wrong result.
//!
//! With the RLWE engine, a party whose stored share has no room left in its pair's flooding
//! budget for this image ([`super::store::rlwe_fit`]) treats it as absent: the cloud offers no
//! pair, the user answers "new setup", and the pair is re-shared with fresh masks.

use super::shares::ShareBinding;
use super::wire::{expect_words, protocol, recv_bytes, recv_words, send_bytes, send_words};
use crate::error::BridgeError;
use runtime::channel::Channel;

const MAGIC: u64 = u64::from_le_bytes(*b"GCCNN-FP");
const VERSION: u64 = 1;

/// What the cloud offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairOffer {
    /// The model the cloud serves.
    pub model_hash: [u8; 32],
    /// The pair id of the cloud's stored share for this user, if any.
    pub cloud_pair: Option<[u8; 32]>,
}

fn read32(bytes: &[u8], phase: &'static str) -> Result<[u8; 32], BridgeError> {
    let mut a = [0u8; 32];
    if bytes.len() != 32 {
        return Err(protocol(
            phase,
            format!("{} bytes, expected 32", bytes.len()),
        ));
    }
    a.copy_from_slice(bytes);
    Ok(a)
}

/// Cloud: offers its model hash and the pair id of its stored share (if any).
pub fn cloud_offer<C: Channel + ?Sized>(
    ch: &mut C,
    model_hash: &[u8; 32],
    stored: Option<&ShareBinding>,
) -> Result<(), BridgeError> {
    send_words(ch, &[MAGIC, VERSION], "share pairing offer")?;
    let mut bytes = model_hash.to_vec();
    bytes.extend_from_slice(&stored.map_or([0u8; 32], |b| b.pair_id));
    send_bytes(ch, &bytes, "share pairing offer")
}

/// User: reads the cloud's offer.
pub fn user_read_offer<C: Channel + ?Sized>(ch: &mut C) -> Result<PairOffer, BridgeError> {
    let head = recv_words(ch, 2, "share pairing offer")?;
    expect_words(
        "share pairing offer",
        &["magic", "version"],
        &[MAGIC, VERSION],
        &head,
    )?;
    let bytes = recv_bytes(ch, 64, "share pairing offer")?;
    if bytes.len() != 64 {
        return Err(protocol(
            "share pairing offer",
            format!("{} bytes, expected 64", bytes.len()),
        ));
    }
    let model_hash = read32(&bytes[..32], "share pairing offer")?;
    let pair = read32(&bytes[32..], "share pairing offer")?;
    Ok(PairOffer {
        model_hash,
        cloud_pair: (pair != [0; 32]).then_some(pair),
    })
}

/// User: answers `reuse` with its pair id (or a new setup).
pub fn user_answer<C: Channel + ?Sized>(
    ch: &mut C,
    reuse: Option<&ShareBinding>,
) -> Result<(), BridgeError> {
    send_words(
        ch,
        &[MAGIC, u64::from(reuse.is_some())],
        "share pairing answer",
    )?;
    send_bytes(
        ch,
        &reuse.map_or([0u8; 32], |b| b.pair_id),
        "share pairing answer",
    )
}

/// Cloud: reads the user's answer; `true` when both reuse the stored pair `stored`.
pub fn cloud_read_answer<C: Channel + ?Sized>(
    ch: &mut C,
    stored: Option<&ShareBinding>,
) -> Result<bool, BridgeError> {
    let head = recv_words(ch, 2, "share pairing answer")?;
    expect_words("share pairing answer", &["magic"], &[MAGIC], &head)?;
    let pair = read32(
        &recv_bytes(ch, 32, "share pairing answer")?,
        "share pairing answer",
    )?;
    match (head[1], stored) {
        (0, _) => Ok(false),
        (1, Some(b)) if b.pair_id == pair => Ok(true),
        (1, _) => Err(protocol(
            "share pairing answer",
            "the user wants to reuse a share pair the cloud does not hold".into(),
        )),
        (d, _) => Err(protocol(
            "share pairing answer",
            format!("decision {d}, expected 0 or 1"),
        )),
    }
}
