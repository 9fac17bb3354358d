//! The start of every fast job: do both parties still hold the two halves of the same setup?
//!
//! ```text
//! cloud → user: words magic | version, then bytes model hash [32] | stored pair id [32]
//!               | session id [32]   (pair id all zero when the cloud has no share for this
//!               user and model)
//! user → cloud: words magic | decision (1 reuse, 0 new setup), then bytes pair id [32]
//!               | session id [32]
//! ```
//!
//! The session id is the channel's ([`Channel::session_id`]); a message of another session is
//! refused (by the core, [`super::pairing_core`]).
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
//!
//! The messages and the cloud's decision are a pure core ([`super::pairing_core`]); the
//! functions here are its thin runners over a channel.

use super::msg::{Expect, Framing};
use super::party::read_framed;
use super::shares::ShareBinding;
use crate::error::{BridgeError, chan};
use runtime::channel::Channel;

use super::pairing_core::{ANSWER, OFFER};
pub use super::pairing_core::{PairAnswer, PairOffer};

/// Sends one message's wire form and flushes.
fn send<C: Channel + ?Sized>(
    ch: &mut C,
    bytes: &[u8],
    phase: &'static str,
) -> Result<(), BridgeError> {
    ch.send(bytes).map_err(chan(phase))?;
    ch.flush().map_err(chan(phase))
}

/// Reads `len` bytes of `phase`.
fn recv<C: Channel + ?Sized>(
    ch: &mut C,
    len: usize,
    phase: &'static str,
) -> Result<Vec<u8>, BridgeError> {
    read_framed(
        ch,
        Expect {
            framing: Framing::Exact(len),
            phase,
        },
    )
}

/// Cloud: offers its model hash and the pair id of its stored share (if any).
pub fn cloud_offer<C: Channel + ?Sized>(
    ch: &mut C,
    model_hash: &[u8; 32],
    stored: Option<&ShareBinding>,
) -> Result<(), BridgeError> {
    let offer = PairOffer::new(model_hash, stored, ch.session_id());
    send(ch, &offer.to_bytes(), OFFER)
}

/// User: reads the cloud's offer.
pub fn user_read_offer<C: Channel + ?Sized>(ch: &mut C) -> Result<PairOffer, BridgeError> {
    let bytes = recv(ch, PairOffer::BYTES, OFFER)?;
    PairOffer::from_bytes(&bytes, &ch.session_id())
}

/// User: answers `reuse` with its pair id (or a new setup).
pub fn user_answer<C: Channel + ?Sized>(
    ch: &mut C,
    reuse: Option<&ShareBinding>,
) -> Result<(), BridgeError> {
    let answer = PairAnswer::new(reuse, ch.session_id());
    send(ch, &answer.to_bytes(), ANSWER)
}

/// Cloud: reads the user's answer; `true` when both reuse the stored pair `stored`.
pub fn cloud_read_answer<C: Channel + ?Sized>(
    ch: &mut C,
    stored: Option<&ShareBinding>,
) -> Result<bool, BridgeError> {
    let bytes = recv(ch, PairAnswer::BYTES, ANSWER)?;
    PairAnswer::from_bytes(&bytes, &ch.session_id())?.reuses(stored)
}
