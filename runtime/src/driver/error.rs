//! The errors of a two-party run: each names the phase or the mismatch.

use super::{MAX_INSTANCES, Reveal};
use crate::channel::ChannelError;
use crate::ot::OtError;
use crate::scheme::Scheme;
use circuit::CircuitError;

/// A failure of a two-party run, naming the phase or the mismatch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The link failed during `phase`.
    #[error("{phase}: {source}")]
    Channel {
        /// Phase of the run.
        phase: &'static str,
        /// Underlying channel error.
        source: ChannelError,
    },
    /// Oblivious transfer failed.
    #[error("oblivious transfer: {0}")]
    Ot(#[from] OtError),
    /// The circuit is malformed.
    #[error("invalid circuit: {0}")]
    Circuit(#[from] CircuitError),
    /// The peer is not a gcc-nn garbled-circuit peer (bad magic bytes).
    #[error("handshake: peer is not a gcc-nn garbled-circuit peer (got {got:02x?})")]
    NotAPeer {
        /// The bytes received instead of the magic.
        got: [u8; 8],
    },
    /// The peer speaks another protocol version.
    #[error("handshake: protocol version mismatch (ours {ours}, peer {theirs})")]
    Version {
        /// Our version.
        ours: u32,
        /// The peer's version.
        theirs: u32,
    },
    /// The peer's handshake belongs to another session (replayed or misrouted).
    #[error(
        "handshake: message from another session (session {theirs}…, this session is {ours}…): refused"
    )]
    WrongSession {
        /// Our session identifier (first 8 bytes, hex).
        ours: String,
        /// The one in the peer's handshake.
        theirs: String,
    },
    /// The peer has the same role (two garblers or two evaluators).
    #[error("handshake: both sides are {0}s")]
    SameRole(&'static str),
    /// The two sides hold different circuits (or party assignments).
    #[error(
        "handshake: circuit mismatch (ours {ours}, peer {theirs}): both sides must run the same circuit"
    )]
    CircuitMismatch {
        /// Our circuit hash (hex prefix).
        ours: String,
        /// The peer's circuit hash (hex prefix).
        theirs: String,
    },
    /// The two sides asked for different batch sizes.
    #[error("handshake: batch size mismatch (ours {ours}, peer {theirs})")]
    InstanceMismatch {
        /// Our batch size.
        ours: u64,
        /// The peer's batch size.
        theirs: u64,
    },
    /// The two sides disagree on who learns the outputs.
    #[error(
        "handshake: the two sides disagree on who learns the outputs (this side: --reveal \
         {ours}, the peer: {})",
        Reveal::from_code(*theirs).map_or_else(|| format!("unknown setting {theirs}"), |r| format!("--reveal {r}"))
    )]
    RevealMismatch {
        /// Our setting.
        ours: Reveal,
        /// The peer's code ([`Reveal::from_code`]).
        theirs: u8,
    },
    /// The two sides garble with different schemes.
    #[error(
        "handshake: the two sides use different garbling schemes (this side: --scheme {ours}, \
         the peer: {})",
        Scheme::from_code(*theirs).map_or_else(|| format!("unknown scheme {theirs}"), |s| format!("--scheme {s}"))
    )]
    SchemeMismatch {
        /// Our scheme.
        ours: Scheme,
        /// The peer's code ([`Scheme::from_code`]).
        theirs: u8,
    },
    /// The evaluator's input-label seed message announces a length other than 16 bytes.
    #[error("setup: the evaluator's input-label seed message announces {got} bytes, expected 16")]
    InputSeedLength {
        /// The announced length.
        got: u32,
    },
    /// An input value has no owner.
    #[error("input value '{name}' is not assigned to a party")]
    UnassignedInput {
        /// Name of the input value.
        name: String,
    },
    /// The party map has the wrong length.
    #[error("party map lists {got} inputs, circuit has {expected}")]
    PartyMapLength {
        /// Input values of the circuit.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// An instance's input has the wrong number of bits.
    #[error("instance {instance}: {party} input has {got} bits, expected {expected}")]
    InputWidth {
        /// Instance index.
        instance: usize,
        /// Whose input.
        party: &'static str,
        /// Bits expected.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// A batch must hold at least one instance.
    #[error("a run needs at least one instance")]
    NoInstances,
    /// A batch (ours or the one the peer announces) is larger than [`MAX_INSTANCES`].
    #[error("{who} batch of {got} instances exceeds the limit of {MAX_INSTANCES}")]
    TooManyInstances {
        /// `"our"` or `"the peer's"`.
        who: &'static str,
        /// Instances asked for.
        got: u64,
    },
}

pub(super) fn chan(phase: &'static str) -> impl Fn(ChannelError) -> DriverError {
    move |source| DriverError::Channel { phase, source }
}
