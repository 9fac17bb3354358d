//! The bridge's own messages (the garbled-circuit run has its own handshake).
//!
//! ```text
//! cloud → user:  "GCCNN-BR" | version u32 | mode u8 | batch u64 | ciphertexts u64 | key fingerprint [8]
//!                | ciphertexts (fixed width each)
//! user → cloud:  ciphertexts of −ru (count implied by the header) | then the GC run
//! ```

use crate::error::{BridgeError, chan};
use paillier::{Ciphertext, PublicKey};
use runtime::channel::Channel;

const MAGIC: &[u8; 8] = b"GCCNN-BR";
const VERSION: u32 = 1;
/// Largest batch a user accepts.
pub const MAX_BATCH: u64 = 1 << 24;
/// Ciphertexts allocated for before they arrive; a longer run grows as the bytes come, so a
/// header announcing many ciphertexts costs nothing until they are actually sent.
const PREALLOCATED_CIPHERTEXTS: usize = 1024;

/// Whether masked values travel one per ciphertext or packed in slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One ciphertext per activation each way.
    Unpacked,
    /// Masked pre-activations packed K_in per ciphertext; −ru packed K_out per ciphertext.
    Packed,
    /// Packed with one σ per ciphertext and borrow/carry chains in the circuit (needs
    /// [`super::BridgeCircuit::with_chained`]).
    Chained,
}

/// The header the cloud sends first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) mode: Mode,
    pub(crate) batch: u64,
    pub(crate) ciphertexts: u64,
}

pub(crate) fn send_header<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    h: Header,
) -> Result<(), BridgeError> {
    let mut msg = Vec::with_capacity(37);
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&VERSION.to_le_bytes());
    msg.push(match h.mode {
        Mode::Unpacked => 1,
        Mode::Packed => 2,
        Mode::Chained => 3,
    });
    msg.extend_from_slice(&h.batch.to_le_bytes());
    msg.extend_from_slice(&h.ciphertexts.to_le_bytes());
    msg.extend_from_slice(&pk.fingerprint());
    ch.send(&msg).map_err(chan("bridge header"))
}

pub(crate) fn recv_header<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
) -> Result<Header, BridgeError> {
    let mut msg = [0u8; 37];
    ch.recv_exact(&mut msg).map_err(chan("bridge header"))?;
    let bad = |what: String| BridgeError::Protocol {
        phase: "bridge header",
        what,
    };
    if &msg[..8] != MAGIC {
        return Err(bad("peer is not a gcc-nn bridge cloud".into()));
    }
    let version = u32::from_le_bytes([msg[8], msg[9], msg[10], msg[11]]);
    if version != VERSION {
        return Err(bad(format!("version {version}, expected {VERSION}")));
    }
    let mode = match msg[12] {
        1 => Mode::Unpacked,
        2 => Mode::Packed,
        3 => Mode::Chained,
        m => return Err(bad(format!("unknown mode {m}"))),
    };
    let word = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&msg[at..at + 8]);
        u64::from_le_bytes(b)
    };
    let (batch, ciphertexts) = (word(13), word(21));
    if batch == 0 || batch > MAX_BATCH {
        return Err(bad(format!("batch size {batch} outside 1..={MAX_BATCH}")));
    }
    if msg[29..37] != pk.fingerprint() {
        return Err(bad("ciphertexts are under another Paillier key".into()));
    }
    Ok(Header {
        mode,
        batch,
        ciphertexts,
    })
}

pub(crate) fn send_ciphertexts<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    cts: &[Ciphertext],
    phase: &'static str,
) -> Result<(), BridgeError> {
    let mut buf = Vec::with_capacity(pk.ciphertext_bytes() * cts.len().min(64));
    for chunk in cts.chunks(64) {
        buf.clear();
        for c in chunk {
            pk.write_ciphertext(c, &mut buf);
        }
        ch.send(&buf).map_err(chan(phase))?;
    }
    ch.flush().map_err(chan(phase))
}

pub(crate) fn recv_ciphertexts<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    count: usize,
    phase: &'static str,
) -> Result<Vec<Ciphertext>, BridgeError> {
    let mut buf = vec![0u8; pk.ciphertext_bytes()];
    let mut out = Vec::with_capacity(count.min(PREALLOCATED_CIPHERTEXTS));
    for _ in 0..count {
        ch.recv_exact(&mut buf).map_err(chan(phase))?;
        out.push(pk.read_ciphertext(&buf).map_err(crate::error::he(phase))?);
    }
    Ok(out)
}
