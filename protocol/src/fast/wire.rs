//! What the fast protocol's runners and cores share on the wire: u64 words, protocol errors,
//! header checks.

use crate::error::{BridgeError, chan};
use runtime::channel::Channel;

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
