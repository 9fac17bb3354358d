//! Errors of sessions, model files and the secure protocols: the one protocol error of
//! [`crate::error`], which the session names `SessionError`.

pub use crate::error::ProtocolError as SessionError;
pub(crate) use crate::error::{chan, hex};
