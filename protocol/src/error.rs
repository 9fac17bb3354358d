//! The one error of the protocol layer: [`ProtocolError`], for the bridge, both secure
//! protocols, sessions, model uploads and the share store.
//!
//! Every variant names where it happened ([`ProtocolError::phase`]): the message being sent
//! or received, the arithmetic step, or a fixed phase such as `handshake` or `share store`.
//! Errors of lower layers (channel, garbled-circuit driver, Paillier, RLWE, share store) stay
//! nested as [`std::error::Error::source`]s, so a front end can print the whole chain.
//! Messages are meant for the person running the command: what failed, where, and (where
//! there is one) what to do.

use runtime::channel::ChannelError;
use runtime::driver::DriverError;
use std::path::PathBuf;

/// A failure of the protocol layer, tagged with the phase where it happened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
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
    /// The model is signed by another owner key than the one this party was given.
    #[error(
        "wrong model owner: the model is signed by owner key {model}, but the owner key given \
         is {expected} (use the owner.pub of the owner who signed this model, or a model that \
         owner signed)"
    )]
    WrongOwner {
        /// Fingerprint of the key that signed the model (hex).
        model: String,
        /// Fingerprint of the owner key this party was given (hex).
        expected: String,
    },
    /// The owner's signature of a model does not verify.
    #[error("owner signature: {0}")]
    Signature(String),
    /// The server is serving as many users as it may; try again later.
    #[error("server busy: {0}")]
    Busy(String),
    /// The peer refused to go on.
    #[error("the peer refused: {0}")]
    Rejected(String),
    /// A protocol this build does not implement yet.
    #[error("protocol `{0}` is not available in this build")]
    Unsupported(&'static str),
    /// A Paillier key fails the production checks; the message names the key and its size.
    #[error("{whose}: {source}")]
    InsecureKey {
        /// Which key ("the user's public key", "the model's key", …).
        whose: String,
        /// The failed check, with the modulus size.
        source: paillier::PaillierError,
    },
    /// The share store could not be used (nested: which file and why).
    #[error("share store: {0}")]
    Store(#[from] StoreError),
    /// A file or socket operation failed.
    #[error("{0}")]
    Io(String),
}

impl ProtocolError {
    /// The phase the error happened in: the message or step named by the variant, or the
    /// fixed phase of variants that have one place only.
    pub fn phase(&self) -> &'static str {
        match self {
            Self::Channel { phase, .. }
            | Self::Paillier { phase, .. }
            | Self::Rlwe { phase, .. }
            | Self::Protocol { phase, .. } => phase,
            Self::Format { what, .. } => what,
            Self::Driver(_) => "garbled circuit",
            Self::Compile(_) | Self::Interface(_) => "activation circuit",
            Self::Interpret(_) => "reference interpreter",
            Self::InputRange { .. } => "pre-activations",
            Self::Model(_) => "model",
            Self::Handshake(_) | Self::WrongKey { .. } | Self::Busy(_) | Self::Rejected(_) => {
                "handshake"
            }
            Self::WrongOwner { .. } | Self::Signature(_) => "owner signature",
            Self::Unsupported(_) => "protocol choice",
            Self::InsecureKey { .. } => "key check",
            Self::Store(_) => "share store",
            Self::Io(_) => "i/o",
        }
    }

    /// A protocol violation in `phase`.
    pub fn protocol(phase: &'static str, what: impl Into<String>) -> Self {
        Self::Protocol {
            phase,
            what: what.into(),
        }
    }
}

/// The bridge's name for [`ProtocolError`] (the same type).
pub type BridgeError = ProtocolError;

/// Why a stored model share could not be used (nested in [`ProtocolError::Store`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading, writing or renaming failed.
    #[error("{path}: {why}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        why: String,
    },
    /// The file exists but is not a usable share.
    #[error("{path}: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The store refuses: unsafe permissions, or the re-sharing cap is reached.
    #[error("{path}: {why}")]
    Refused {
        /// The directory or counter file.
        path: PathBuf,
        /// Why, and what to do.
        why: String,
    },
}

/// Shorthand for mapping a channel error to a phase.
pub(crate) fn chan(phase: &'static str) -> impl Fn(ChannelError) -> ProtocolError {
    move |source| ProtocolError::Channel { phase, source }
}

/// Shorthand for mapping a Paillier error to a phase.
pub(crate) fn he(phase: &'static str) -> impl Fn(paillier::PaillierError) -> ProtocolError {
    move |source| ProtocolError::Paillier { phase, source }
}

/// Shorthand for mapping an RLWE error to a phase.
pub(crate) fn rl(phase: &'static str) -> impl Fn(rlwe::RlweError) -> ProtocolError {
    move |source| ProtocolError::Rlwe { phase, source }
}

/// Lower-case hex of a fingerprint.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn nested_errors_keep_their_source_and_phase() {
        let store = ProtocolError::from(StoreError::Refused {
            path: PathBuf::from("/tmp/shares"),
            why: "group-writable".into(),
        });
        assert_eq!(store.phase(), "share store");
        assert_eq!(
            store.to_string(),
            "share store: /tmp/shares: group-writable"
        );
        let inner = store.source().expect("the store error is the source");
        assert!(inner.to_string().contains("group-writable"));

        let ch = chan("encrypted patches")(ChannelError::Closed { needed: 5 });
        assert_eq!(ch.phase(), "encrypted patches");
        assert!(ch.to_string().starts_with("encrypted patches: "), "{ch}");
        assert!(ch.source().is_some());

        let bad = ProtocolError::protocol("bridge header", "unknown mode 9");
        assert_eq!(bad.phase(), "bridge header");
        assert_eq!(
            bad.to_string(),
            "protocol violation in bridge header: unknown mode 9"
        );
        assert_eq!(ProtocolError::Busy("full".into()).phase(), "handshake");
    }

    #[test]
    fn fingerprints_print_as_lower_case_hex() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
    }
}
