//! Errors of sessions, model files and the secure protocols: the one protocol error of
//! [`crate::error`], which the session names `SessionError`.

pub use crate::error::ProtocolError as SessionError;
pub(crate) use crate::error::{chan, hex};
use runtime::channel::{SessionId, short_session};

/// `None` when `theirs` is `ours`; else why a message (`what`) of session `theirs` is refused
/// in session `ours`, naming both.
pub(crate) fn other_session(what: &str, ours: &SessionId, theirs: &SessionId) -> Option<String> {
    (ours != theirs).then(|| {
        format!(
            "{what} belongs to another session (session {}…, this session is {}…): refused",
            short_session(theirs),
            short_session(ours)
        )
    })
}
