//! Errors of the protocols.

use runtime::channel::ChannelError;
use runtime::driver::DriverError;

/// A failure of the bridge, naming the phase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The link to the peer failed while doing `phase`.
    #[error("{phase}: {source}")]
    Channel {
        /// What was being sent or received.
        phase: &'static str,
        /// Underlying channel error.
        source: ChannelError,
    },
    /// The garbled-circuit run failed.
    #[error("garbled circuit: {0}")]
    Driver(#[from] DriverError),
    /// A Paillier operation failed.
    #[error("paillier ({phase}): {source}")]
    Paillier {
        /// Which step.
        phase: &'static str,
        /// Underlying error.
        source: paillier::PaillierError,
    },
    /// An RLWE operation of the linear layers failed.
    #[error("rlwe ({phase}): {source}")]
    Rlwe {
        /// Which step.
        phase: &'static str,
        /// Underlying error.
        source: rlwe::RlweError,
    },
    /// The activation circuit did not compile.
    #[error("activation circuit: {0}")]
    Compile(String),
    /// The activation circuit does not have the bridge's interface.
    #[error("activation circuit interface: {0}")]
    Interface(String),
    /// The reference interpreter failed.
    #[error("reference interpreter: {0}")]
    Interpret(String),
    /// The peer sent something that breaks the protocol.
    #[error("protocol violation in {phase}: {what}")]
    Protocol {
        /// Which message.
        phase: &'static str,
        /// What is wrong with it.
        what: String,
    },
    /// A pre-activation does not fit the circuit's input width.
    #[error("pre-activation {index} is out of range: {what}")]
    InputRange {
        /// Index in the batch.
        index: usize,
        /// Why.
        what: String,
    },
}

/// Shorthand for mapping a channel error to a phase.
pub(crate) fn chan(phase: &'static str) -> impl Fn(ChannelError) -> BridgeError {
    move |source| BridgeError::Channel { phase, source }
}

/// Shorthand for mapping a Paillier error to a phase.
pub(crate) fn he(phase: &'static str) -> impl Fn(paillier::PaillierError) -> BridgeError {
    move |source| BridgeError::Paillier { phase, source }
}

/// Shorthand for mapping an RLWE error to a phase.
pub(crate) fn rl(phase: &'static str) -> impl Fn(rlwe::RlweError) -> BridgeError {
    move |source| BridgeError::Rlwe { phase, source }
}
