//! What the fast protocol's runners and cores share on the wire: u64 words, protocol errors,
//! header checks (words, the session id).

use crate::error::{BridgeError, chan};
use runtime::channel::{Channel, SessionId, short_session};

/// Receives `count` little-endian u64 words.
pub(crate) fn recv_words<C: Channel + ?Sized>(
    ch: &mut C,
    count: usize,
    phase: &'static str,
) -> Result<Vec<u64>, BridgeError> {
    let mut bytes = vec![0u8; count * 8];
    ch.recv_exact(&mut bytes).map_err(chan(phase))?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect())
}

/// A protocol violation in `phase`.
pub(crate) fn protocol(phase: &'static str, what: String) -> BridgeError {
    BridgeError::Protocol { phase, what }
}

/// Checks that the peer's header words equal ours.
pub(crate) fn expect_words(
    phase: &'static str,
    names: &[&str],
    ours: &[u64],
    theirs: &[u64],
) -> Result<(), BridgeError> {
    for ((name, a), b) in names.iter().zip(ours).zip(theirs) {
        if a != b {
            return Err(protocol(
                phase,
                format!("{name}: peer says {b}, expected {a}"),
            ));
        }
    }
    Ok(())
}

/// Refuses a message of session `theirs` in session `ours` (every header of the fast protocol
/// carries the channel's session id), naming both in short hex.
pub(crate) fn check_session(
    phase: &'static str,
    ours: &SessionId,
    theirs: &SessionId,
) -> Result<(), BridgeError> {
    if ours == theirs {
        return Ok(());
    }
    Err(protocol(
        phase,
        format!(
            "message of another session (session {}…, this session is {}…): refused",
            short_session(theirs),
            short_session(ours)
        ),
    ))
}

/// The session id at the end of a header of `bytes` (at least 32 bytes, checked by the
/// caller's length check).
pub(crate) fn trailing_session(bytes: &[u8]) -> SessionId {
    let mut id = [0u8; 32];
    id.copy_from_slice(&bytes[bytes.len() - 32..]);
    id
}
