//! Oblivious transfer: Chou–Orlandi base OT over Ristretto and IKNP correlated OT extension.
//!
//! Security: semi-honest, κ = 128. The extension's correlation is the garbler's Δ, so the
//! evaluator's input labels come straight out of it: the sender (garbler) learns `q_j`
//! (label of 0), the receiver (evaluator) learns `t_j = q_j ⊕ r_j·Δ` for its choice bit
//! `r_j` and nothing about `q_j ⊕ (1 − r_j)·Δ`.

pub mod base;
pub mod iknp;
pub mod transpose;

use crate::channel::ChannelError;

/// Maps a channel error to [`OtError::Channel`] naming the message in transit.
pub(crate) fn chan(what: &'static str) -> impl Fn(ChannelError) -> OtError {
    move |source| OtError::Channel { what, source }
}

/// A failure of an OT protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OtError {
    /// The channel failed while sending or receiving `what`.
    #[error("{what}: {source}")]
    Channel {
        /// The message in transit (e.g. "receiving base OT points").
        what: &'static str,
        /// Underlying channel error.
        source: ChannelError,
    },
    /// The peer sent bytes that are not a valid Ristretto point.
    #[error("base OT: peer sent an invalid curve point (message {index})")]
    InvalidPoint {
        /// Which point of the message.
        index: usize,
    },
}
