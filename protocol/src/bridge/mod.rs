//! The HE↔GC bridge (docs/design.md §6, the paper's §3.1): the cloud holds `Enc(x_i)` under the
//! user's key and ends with `Enc(f(x_i))` for a compiled activation circuit f.
//!
//! 1. Cloud: masks each `Enc(x)` to `Enc(x + m)` (cheap plaintext addition), re-randomises
//!    it with precomputed `r^N` and sends it (packed mode: K_in masked values per ciphertext,
//!    Horner-packed homomorphically).
//! 2. User: decrypts x + m, draws its output mask ru and sends `Enc(−ru)` (fresh, so it
//!    needs no further re-randomisation; equivalent to the paper's `Enc(ru)` with the
//!    inversion done by the key owner), then garbles `y = f((x+m) − m) + ru` over a batch.
//! 3. Cloud: gets the labels of its m by OT, evaluates, learns y, and computes
//!    `Enc(f(x)) = Enc(−ru) · (1 + y·N)` — no multiplication mod N² needed.
//!
//! Each role is a pure per-step core ([`core`]: messages as types, no I/O, no timing) and a
//! thin runner over any [`runtime::channel::Channel`] that moves the messages, runs the
//! garbled circuit and records a [`crate::timeline::Timeline`] ([`run_cloud`], [`run_user`]).
//!
//! Untrusted bytes: the user checks the cloud's header (magic, version, mode, batch within
//! [`MAX_BATCH`], ciphertext count equal to what the batch needs, key fingerprint) before
//! reading on; every ciphertext is checked to lie in (0, N²) and every decrypted masked value
//! against its width; runs of ciphertexts are allocated as they arrive, so an announced count
//! costs nothing by itself. Errors name the message being received. `protocol/tests/bridge_wire.rs`
//! replays, truncates, mutates and randomises honest transcripts of both roles; the fuzz
//! target `bridge_wire` runs the same harness.

pub mod activation_circuit;
pub mod chained;
pub mod chained_circuit;
pub mod circuit;
mod cloud;
pub mod core;
pub mod demo;
pub mod masks;
mod output;
mod user;
pub(crate) mod wire;

/// Largest bridge batch ([`crate::wire::MAX_BATCH`]).
pub use crate::wire::MAX_BATCH;
pub use circuit::{BridgeCircuit, DEFAULT_SIGMA};
pub use cloud::run_cloud;
pub use masks::MaskParams;
pub use output::CloudOutput;
pub use user::run_user;
pub use wire::{BATCH_AT, CIPHERTEXTS_AT, HEADER_BYTES, Header, Mode};

use paillier::{PublicKey, SlotLayout};

/// Slot layouts of packed mode for a key: masked pre-activations in, masked activations out.
pub fn packed_layouts(
    pk: &PublicKey,
    p: MaskParams,
) -> Result<(SlotLayout, SlotLayout), paillier::PaillierError> {
    let w_in = p.masked_x_width();
    let w_out = p.masked_y_width();
    Ok((
        SlotLayout::new(SlotLayout::max_slots(w_in, pk.bits()), w_in, pk.bits())?,
        SlotLayout::new(SlotLayout::max_slots(w_out, pk.bits()), w_out, pk.bits())?,
    ))
}

/// Ciphertexts needed for a batch in one direction.
pub(crate) fn groups(batch: usize, per_ciphertext: usize) -> usize {
    batch.div_ceil(per_ciphertext.max(1))
}
