//! What every protocol puts on the wire in the same way: the limits on every length read from
//! a peer or a file (each `MAX_*` declared here once, with its reason), and runs of
//! fixed-width Paillier ciphertexts.
//!
//! ```text
//! ciphertexts: count × PublicKey::ciphertext_bytes() big-endian values (count known to both)
//! ```
//!
//! A run of ciphertexts is allocated as it arrives ([`PREALLOCATED_CIPHERTEXTS`] at most up
//! front), so a count announced by a peer costs nothing until the bytes are actually sent;
//! every ciphertext is checked to lie in (0, N²).

use crate::error::{ProtocolError, chan, he};
use paillier::{Ciphertext, PublicKey};
use runtime::channel::Channel;

/// Largest bridge batch a user accepts (activations per garbled batch).
pub const MAX_BATCH: u64 = 1 << 24;

/// Largest session frame payload accepted (the largest frame is the offer: a model header
/// of a few KiB).
pub const MAX_FRAME: usize = 1 << 16;

/// Largest `Reject` or `Busy` reason accepted (shown to a person, so kept short).
pub const MAX_REASON: usize = 4096;

/// Largest chunk of patches per round of the reference protocol (bounds the cloud's memory
/// per session: a chunk's encrypted inputs are held at once).
pub const MAX_CHUNK: usize = 256;

/// Largest number of patches of one job (checked when the job request is decoded; it also
/// bounds the reference protocol's mask uses, [`crate::params::MASK_USES`]).
pub const MAX_PATCHES: u64 = 1 << 24;

/// Largest number of patches of one fast-protocol run, tighter than [`MAX_PATCHES`] because
/// the cloud allocates its shares for this many patches before their ciphertexts arrive
/// (2^16: a 1280×1280 image at stride 5).
pub const MAX_FAST_PATCHES: u64 = 1 << 16;

/// Largest encrypted-model header the reader accepts (bytes).
pub const MAX_MODEL_HEADER: usize = 1 << 20;

/// Largest number of layers or neurons per layer a model header may announce.
pub const MAX_MODEL_WIDTH: u32 = 1 << 16;

/// Largest number of weights plus biases a model header may announce.
pub const MAX_PARAMETERS: usize = 1 << 24;

/// Largest encoded Paillier public key a model header may carry (bytes).
pub const MAX_MODEL_KEY_BYTES: usize = 4096;

/// Largest activation DSL source a model header may carry (bytes): with the largest key and
/// shape the header stays inside one handshake frame ([`MAX_FRAME`]).
pub const MAX_ACTIVATION_SOURCE: usize = 1 << 15;

/// Longest activation name a model header may carry (bytes).
pub const MAX_ACTIVATION_NAME: usize = 64;

/// Most layers a fast-protocol share file or header may declare.
pub const MAX_SHARE_LAYERS: usize = 64;

/// Largest layer side (inputs or outputs) a share file or fast header may declare.
pub const MAX_SHARE_SIDE: usize = 1 << 16;

/// Largest key a share file may carry (bytes; a cloud share holds a secret key).
pub const MAX_SHARE_KEY_BYTES: usize = 1 << 16;

/// Most bytes of a serialized RLWE public key (the seed and `p0` at 175 bits per coefficient
/// are ≈ 179 KB).
pub const MAX_RLWE_KEY_BYTES: usize = 1 << 18;

/// Ciphertexts allocated for before they arrive; a longer run grows as the bytes come.
pub const PREALLOCATED_CIPHERTEXTS: usize = 1024;

/// Ciphertexts written per `send` call.
const SEND_CHUNK: usize = 64;

/// Sends ciphertexts in their fixed-width form and flushes; `phase` names the message in
/// errors.
pub fn send_ciphertexts<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    cts: &[Ciphertext],
    phase: &'static str,
) -> Result<(), ProtocolError> {
    let mut buf = Vec::with_capacity(pk.ciphertext_bytes() * cts.len().min(SEND_CHUNK));
    for chunk in cts.chunks(SEND_CHUNK) {
        buf.clear();
        for c in chunk {
            pk.write_ciphertext(c, &mut buf);
        }
        ch.send(&buf).map_err(chan(phase))?;
    }
    ch.flush().map_err(chan(phase))
}

/// Receives `count` ciphertexts under `pk`, each checked to lie in (0, N²); allocates as
/// they arrive.
pub fn recv_ciphertexts<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    count: usize,
    phase: &'static str,
) -> Result<Vec<Ciphertext>, ProtocolError> {
    let mut buf = vec![0u8; pk.ciphertext_bytes()];
    let mut out = Vec::with_capacity(count.min(PREALLOCATED_CIPHERTEXTS));
    for _ in 0..count {
        ch.recv_exact(&mut buf).map_err(chan(phase))?;
        out.push(pk.read_ciphertext(&buf).map_err(he(phase))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paillier::SecretKey;
    use rand::SeedableRng;
    use runtime::channel::MemChannel;
    use runtime::scripted::ScriptedChannel;
    use std::time::Duration;

    fn key() -> SecretKey {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        SecretKey::generate_any_size(256, &mut rng).expect("keygen")
    }

    #[test]
    fn ciphertexts_round_trip_over_more_than_one_send_chunk() {
        let sk = key();
        let pk = sk.public_key();
        let cts: Vec<Ciphertext> = (0..SEND_CHUNK as u64 + 3)
            .map(|v| pk.encrypt_deterministic(&v.into()).expect("encrypt"))
            .collect();
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
        send_ciphertexts(&mut a, pk, &cts, "test run").expect("send");
        let got = recv_ciphertexts(&mut b, pk, cts.len(), "test run").expect("recv");
        assert!(got == cts);
        assert_eq!(a.bytes_sent(), (cts.len() * pk.ciphertext_bytes()) as u64);
    }

    #[test]
    fn out_of_range_and_missing_ciphertexts_name_the_message() {
        let sk = key();
        let pk = sk.public_key();
        // All ones is ≥ N², not a ciphertext.
        let bytes = vec![0xffu8; pk.ciphertext_bytes()];
        let err = recv_ciphertexts(&mut ScriptedChannel::new(&bytes), pk, 1, "masked values")
            .expect_err("out of range");
        assert!(
            matches!(
                err,
                ProtocolError::Paillier {
                    phase: "masked values",
                    ..
                }
            ),
            "{err}"
        );
        // A huge announced count with no bytes: an error naming the message, nothing
        // allocated for the count.
        let err = recv_ciphertexts(&mut ScriptedChannel::new(&[]), pk, usize::MAX, "products")
            .expect_err("truncated");
        assert!(
            matches!(
                err,
                ProtocolError::Channel {
                    phase: "products",
                    ..
                }
            ),
            "{err}"
        );
    }
}
