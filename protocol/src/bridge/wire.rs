//! The bridge's own messages (the garbled-circuit run has its own handshake).
//!
//! ```text
//! cloud → user:  "GCCNN-BR" | version u32 | session id [32] | mode u8 | batch u64 | ciphertexts u64
//!                | key fingerprint [8] | ciphertexts (fixed width each)
//! user → cloud:  ciphertexts of −ru (count implied by the header) | then the GC run
//! ```
//!
//! The session id is the channel's ([`Channel::session_id`]); a header of another session is
//! refused.

use crate::error::{BridgeError, chan};
use crate::wire::MAX_BATCH;
use paillier::PublicKey;
use runtime::channel::{Channel, short_session};

const MAGIC: &[u8; 8] = b"GCCNN-BR";
const VERSION: u32 = 2;
/// Bytes of the header.
pub const HEADER_BYTES: usize = 69;
/// Offset of the session id in the header.
const SESSION_AT: usize = 12;
/// Offset of the mode byte in the header.
const MODE_AT: usize = 44;
/// Offset of the batch size (u64) in the header.
pub const BATCH_AT: usize = 45;
/// Offset of the ciphertext count (u64) in the header.
pub const CIPHERTEXTS_AT: usize = 53;
/// Offset of the key fingerprint (8 bytes) in the header.
const KEY_AT: usize = 61;

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
pub struct Header {
    /// How the masked values travel.
    pub mode: Mode,
    /// Activations in the batch (1..=[`MAX_BATCH`]).
    pub batch: u64,
    /// Ciphertexts that follow.
    pub ciphertexts: u64,
}

pub(crate) fn send_header<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    h: Header,
) -> Result<(), BridgeError> {
    let mut msg = Vec::with_capacity(HEADER_BYTES);
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&VERSION.to_le_bytes());
    msg.extend_from_slice(&ch.session_id());
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
    let mut msg = [0u8; HEADER_BYTES];
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
    let ours = ch.session_id();
    if msg[SESSION_AT..MODE_AT] != ours {
        let mut theirs = [0u8; 32];
        theirs.copy_from_slice(&msg[SESSION_AT..MODE_AT]);
        return Err(bad(format!(
            "header of another session (session {}…, this session is {}…): refused",
            short_session(&theirs),
            short_session(&ours)
        )));
    }
    let mode = match msg[MODE_AT] {
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
    let (batch, ciphertexts) = (word(BATCH_AT), word(CIPHERTEXTS_AT));
    if batch == 0 || batch > MAX_BATCH {
        return Err(bad(format!("batch size {batch} outside 1..={MAX_BATCH}")));
    }
    if msg[KEY_AT..HEADER_BYTES] != pk.fingerprint() {
        return Err(bad("ciphertexts are under another Paillier key".into()));
    }
    Ok(Header {
        mode,
        batch,
        ciphertexts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{recv_ciphertexts, send_ciphertexts};
    use paillier::{Ciphertext, SecretKey};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use runtime::channel::MemChannel;
    use runtime::scripted::ScriptedChannel;
    use std::sync::OnceLock;
    use std::time::Duration;

    fn key() -> &'static SecretKey {
        static K: OnceLock<SecretKey> = OnceLock::new();
        K.get_or_init(|| {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
            SecretKey::generate_any_size(256, &mut rng).expect("keygen")
        })
    }

    /// What the cloud's side writes for `h` and `cts`, as the user receives it.
    fn sent_bytes(h: Header, cts: &[Ciphertext]) -> Vec<u8> {
        let pk = key().public_key();
        let (mut a, b) = MemChannel::pair(Duration::from_secs(5));
        let mut rec = runtime::scripted::RecordingChannel::new(b);
        send_header(&mut a, pk, h).expect("send header");
        send_ciphertexts(&mut a, pk, cts, "test").expect("send");
        let mut buf = vec![0u8; HEADER_BYTES + cts.len() * pk.ciphertext_bytes()];
        rec.recv_exact(&mut buf).expect("recv");
        rec.into_received()
    }

    const MODES: [Mode; 3] = [Mode::Unpacked, Mode::Packed, Mode::Chained];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn header_and_ciphertexts_round_trip(
            mode in 0usize..3,
            batch in 1u64..=MAX_BATCH,
            count in 0u64..u64::MAX,
            values in proptest::collection::vec(any::<u64>(), 0..5),
        ) {
            let pk = key().public_key();
            let h = Header { mode: MODES[mode], batch, ciphertexts: count };
            let cts: Vec<Ciphertext> = values
                .iter()
                .map(|&v| pk.encrypt_deterministic(&v.into()).expect("encrypt"))
                .collect();
            let bytes = sent_bytes(h, &cts);
            let mut ch = ScriptedChannel::new(&bytes);
            prop_assert_eq!(recv_header(&mut ch, pk).expect("header"), h);
            let got = recv_ciphertexts(&mut ch, pk, cts.len(), "test").expect("ciphertexts");
            prop_assert!(got == cts);
            prop_assert_eq!(ch.remaining(), 0);
        }

        #[test]
        fn random_header_and_ciphertext_bytes_are_errors_or_values(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            count in 0usize..1_000_000,
        ) {
            let pk = key().public_key();
            let mut ch = ScriptedChannel::new(&bytes);
            if let Ok(h) = recv_header(&mut ch, pk) {
                prop_assert!(h.batch >= 1 && h.batch <= MAX_BATCH);
            }
            let mut ch = ScriptedChannel::new(&bytes);
            // Whatever the announced count, at most the bytes present are decoded.
            match recv_ciphertexts(&mut ch, pk, count, "test") {
                Ok(cts) => prop_assert!(cts.len() * pk.ciphertext_bytes() <= bytes.len()),
                Err(e) => prop_assert!(e.to_string().contains("test"), "{}", e),
            }
        }
    }
}
