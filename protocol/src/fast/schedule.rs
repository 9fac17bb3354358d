//! The message order of one fast image run, per party ([`schedule`]), and what a party's
//! core asks its runner to do next ([`Action`]).
//!
//! ```text
//! user                                   cloud
//! ── header words, base h_U ───────────▶
//! ◀──────────────────────────── base h_C
//! ── Enc_U(a_U) packed [n][B] ──────────▶
//! ◀────────────── Enc_C(a_C) packed [n][B]   (not on layer 1: a_C = −B is public)
//! W_U·a_C + μ (multi-exp)                α·a_U + ρ (multi-exp)       ← both at once
//! ── Enc_C(W_U·a_C + μ) [m][B] ─────────▶
//! ◀────────────────── Enc_U(α·a_U + ρ) [m][B]
//! decrypt                                decrypt
//! ── garbled activation batch (user garbles, cloud evaluates, y to the cloud) ──
//! after the last layer, per coverage n of a pixel:
//! ── output circuit batch (user garbles, cloud evaluates, the pixels to the user) ──
//! ```
//! Either side reads what the other has already sent, so there is no deadlock however large
//! the messages. Layer 1 starts from `a_U = p + B`, `a_C = −B`
//! ([`super::step::input_offset`]), so its terms with `a_C` are local and its cross product
//! 1 packs narrower slots. The last layer sends nothing in clear: each party sums its output
//! shares per pixel (the user adds `centre(p)·2^Fw`) and the output circuits
//! ([`super::output`]) reveal the 8-bit pixels to the user alone; `z_C` never leaves the
//! cloud. The header carries the image's width, height and stride (public, in the leakage
//! statement anyway): the cloud needs them to know which outputs sum to which pixel and
//! checks them against the patch count.

use super::exchange::Side;
use super::msg::{Expect, GcBatch, Msg};
use super::step::CloudView;
use model::patches::ImageLayout;

/// One step of a party's schedule; layer steps carry the layer index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// User: send the image header.
    SendHeader,
    /// Cloud: read and check the image header.
    RecvHeader,
    /// Draw this party's per-image key material.
    OwnKeys,
    /// Send its public half.
    SendKey,
    /// Read the peer's public half.
    RecvKey,
    /// Finish the key exchange (randomness tables toward the peer).
    PeerKeys,
    /// Compile the output circuits for the image's coverages.
    PlanOutput,
    /// The layer's local term `±(E·a + b)`.
    Local(usize),
    /// Encrypt this party's shares under its own key.
    Encrypt(usize),
    /// Send them.
    SendInputs(usize),
    /// Read the peer's encrypted shares.
    RecvInputs(usize),
    /// Multiply them by this party's matrix share, masked.
    Multiply(usize),
    /// Send the masked products back.
    SendProducts(usize),
    /// Read the products of this party's own shares.
    RecvProducts(usize),
    /// Decrypt them.
    Decrypt(usize),
    /// The layer's garbled activation batch.
    Activation(usize),
    /// Pixel sums and the output circuits, one batch per coverage group.
    Output,
}

/// The message order of `side` for a model of `layers` layers (the protocol's schedule).
pub fn schedule(side: Side, layers: usize) -> Vec<Op> {
    use Op::*;
    let mut ops = match side {
        Side::User => vec![SendHeader, OwnKeys, SendKey, RecvKey, PeerKeys, PlanOutput],
        Side::Cloud => vec![RecvHeader, OwnKeys, RecvKey, SendKey, PeerKeys, PlanOutput],
    };
    for li in 0..layers {
        let steps: &[Op] = match (side, li == 0) {
            (Side::User, true) => &[Local(li), Encrypt(li), SendInputs(li)],
            (Side::User, false) => &[
                Local(li),
                Encrypt(li),
                SendInputs(li),
                RecvInputs(li),
                Multiply(li),
                SendProducts(li),
            ],
            (Side::Cloud, true) => &[Local(li), RecvInputs(li), Multiply(li), SendProducts(li)],
            (Side::Cloud, false) => &[
                Local(li),
                RecvInputs(li),
                Encrypt(li),
                SendInputs(li),
                Multiply(li),
                RecvProducts(li),
                SendProducts(li),
            ],
        };
        ops.extend_from_slice(steps);
        // The user reads its products after sending; the cloud's came before its send.
        if side == Side::User {
            ops.push(RecvProducts(li));
        }
        if side == Side::User || li > 0 {
            ops.push(Decrypt(li));
        }
        ops.push(if li + 1 == layers {
            Output
        } else {
            Activation(li)
        });
    }
    ops
}

/// What the runner does next.
#[derive(Debug)]
pub enum Action {
    /// A pure step was computed.
    Computed(Op),
    /// Send this message ([`super::core::PartyCore::encode`]).
    Send(Op, Msg),
    /// Read a message so framed, then decode and receive it ([`super::core::PartyCore`]).
    Recv(Op, Expect),
    /// Run this batch on the channel, then hand its outputs to
    /// [`super::core::PartyCore::garbled`].
    Garble(Op, GcBatch),
    /// The run is over.
    Done(Finished),
}

/// A party's result of the run.
#[derive(Debug)]
pub struct Finished {
    /// The user's 8-bit pixels (empty for the cloud).
    pub pixels: Vec<u8>,
    /// The image's layout.
    pub image: ImageLayout,
    /// Patches of the image.
    pub patches: usize,
    /// The cloud's view, when asked to record it.
    pub view: Option<CloudView>,
}
