//! Errors of sessions, model files and the secure protocols.

use crate::error::BridgeError;
use runtime::channel::ChannelError;

/// A failure of a session, naming what and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The link to the peer failed while doing `phase`.
    #[error("{phase}: {source}")]
    Channel {
        /// What was being sent or received.
        phase: &'static str,
        /// Underlying channel error.
        source: ChannelError,
    },
    /// The masked-activation bridge failed.
    #[error("activation bridge: {0}")]
    Bridge(#[from] BridgeError),
    /// A Paillier operation failed.
    #[error("paillier ({phase}): {source}")]
    Paillier {
        /// Which step.
        phase: &'static str,
        /// Underlying error.
        source: paillier::PaillierError,
    },
    /// Bytes that do not decode.
    #[error("malformed {what}: {why}")]
    Format {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The model cannot be used (shape, bounds, circuit).
    #[error("model: {0}")]
    Model(String),
    /// The two sides disagree on something checked in the handshake.
    #[error("handshake: {0}")]
    Handshake(String),
    /// The model on the server was encrypted for another Paillier key.
    #[error(
        "wrong key: the server's model is encrypted for key {model}, but your secret key is {yours} \
         (use the key pair whose public key the model owner encrypted with)"
    )]
    WrongKey {
        /// Fingerprint of the model's key (hex).
        model: String,
        /// Fingerprint of the user's key (hex).
        yours: String,
    },
    /// The server is serving as many users as it may; try again later.
    #[error("server busy: {0}")]
    Busy(String),
    /// The peer refused to go on.
    #[error("the peer refused: {0}")]
    Rejected(String),
    /// The peer sent something that breaks the protocol.
    #[error("protocol violation in {phase}: {what}")]
    Protocol {
        /// Which message.
        phase: &'static str,
        /// What is wrong with it.
        what: String,
    },
    /// A protocol this build does not implement yet.
    #[error("protocol `{0}` is not available in this build")]
    Unsupported(&'static str),
    /// A Paillier key fails the production checks ([`super::KeyPolicy::Production`]); the
    /// message names the key and its size.
    #[error("{whose}: {source}")]
    InsecureKey {
        /// Which key ("the user's public key", "the model's key", …).
        whose: String,
        /// The failed check, with the modulus size.
        source: paillier::PaillierError,
    },
    /// A file or socket operation failed.
    #[error("{0}")]
    Io(String),
}

/// Shorthand for mapping a channel error to a phase.
pub(crate) fn chan(phase: &'static str) -> impl Fn(ChannelError) -> SessionError {
    move |source| SessionError::Channel { phase, source }
}

/// Shorthand for mapping a Paillier error to a phase.
pub(crate) fn he(phase: &'static str) -> impl Fn(paillier::PaillierError) -> SessionError {
    move |source| SessionError::Paillier { phase, source }
}

/// Lower-case hex of a fingerprint.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
