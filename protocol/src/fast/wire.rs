//! The fast protocol's messages: fixed-width ciphertexts, ring elements, small headers.

use crate::error::{BridgeError, chan};
use runtime::channel::Channel;

/// Ciphertext vectors travel exactly as in the bridge: one framing for both.
pub(crate) use crate::wire::{recv_ciphertexts as recv_cts, send_ciphertexts as send_cts};

/// Sends little-endian u64 words and flushes.
pub(crate) fn send_words<C: Channel + ?Sized>(
    ch: &mut C,
    words: &[u64],
    phase: &'static str,
) -> Result<(), BridgeError> {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    ch.send(&bytes).map_err(chan(phase))?;
    ch.flush().map_err(chan(phase))
}

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

/// Sends a length-prefixed byte string.
pub(crate) fn send_bytes<C: Channel + ?Sized>(
    ch: &mut C,
    bytes: &[u8],
    phase: &'static str,
) -> Result<(), BridgeError> {
    ch.send(&(bytes.len() as u64).to_le_bytes())
        .map_err(chan(phase))?;
    ch.send(bytes).map_err(chan(phase))?;
    ch.flush().map_err(chan(phase))
}

/// Receives a length-prefixed byte string of at most `max` bytes.
pub(crate) fn recv_bytes<C: Channel + ?Sized>(
    ch: &mut C,
    max: usize,
    phase: &'static str,
) -> Result<Vec<u8>, BridgeError> {
    let [len] = recv_words(ch, 1, phase)?[..] else {
        return Err(protocol(phase, "missing length".into()));
    };
    if len > max as u64 {
        return Err(protocol(phase, format!("{len} bytes, more than {max}")));
    }
    let mut bytes = vec![0u8; len as usize];
    ch.recv_exact(&mut bytes).map_err(chan(phase))?;
    Ok(bytes)
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
