//! Known answer for the fast protocol's setup on the wire: with seeded keys, model and cloud
//! randomness, the bytes the user receives, taken apart by the documented format
//! (fast::setup), hash to the value that the channel-driving code of session 4 produced
//! (commit 193d9bc, before the setup became two sans-IO cores with thin runners), so the
//! cores keep the wire format byte for byte; and the shares of that run still reconstruct
//! the model. (The pairing's bytes are checked field by field in fast::pairing_core.)
//!
//! What is hashed does not depend on the owner's upload beyond the model itself: the model
//! hash is blanked and each setup ciphertext is replaced by its decryption (the masked slots
//! `W + t`, a function of the model and the cloud's seeded masks).
//!
//! Session binding (issue 17, setup version 4): the header now ends in the session id (32
//! bytes after its five words) and its version word is 4. The canonical form maps the new
//! stream back onto the session-4 one: the version word must be 4 and is written as the old
//! 3, the session id must be the channel's and is checked then dropped. Everything else is
//! hashed as before, so the expected hash is still the session-4 code's value (unchanged),
//! and the received byte count is the old one plus the 32 bytes of the id: the new cores
//! send the same content plus the session id.

use gcc_nn_protocol::fast::setup::SETUP_SIGMA;
use gcc_nn_protocol::fast::{EncryptedModel, Ring, cloud_setup, user_setup};
use model::fixed::{FIXED, FixedActivation, FixedDense, FixedMlp};
use paillier::SecretKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::MemChannel;
use runtime::scripted::RecordingChannel;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// SHA-256 of what the user received in the session-4 code (canonical form: module docs).
const USER_RECEIVED: &str = "625cbd6aac92dba7f06cc972bbac24a8a1b6a8dcea56d1bd0e89a13161484781";
/// Bytes the user received in the session-4 code.
const OLD_USER_BYTES: usize = 916;
/// The session of the run (both channel ends carry it, as a TLS link's exporter value would).
const SESSION: [u8; 32] = [0x5e; 32];
/// The setup header's version in the session-4 code, and now (with the session id).
const OLD_VERSION: u64 = 3;
const VERSION: u64 = 4;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `stream` front to back.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(self.0.len() >= n, "{n} more bytes expected");
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn word(&mut self) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8));
        u64::from_le_bytes(w)
    }
}

/// The user's received stream in canonical form: every byte as sent, except the model hash
/// (blanked), the setup ciphertexts (their plaintexts, little-endian, 128 bytes each) and
/// the header's version and session id (mapped back to the session-4 form: module docs).
fn canonical(stream: &[u8], user: &SecretKey, hash: &[u8; 32], slots: usize) -> Vec<u8> {
    let mut cur = Cursor(stream);
    let mut out = Vec::new();
    // Setup header: magic, version, k, user key, layers, session id, then (inputs, outputs)
    // per layer.
    let mut head: Vec<u64> = (0..5).map(|_| cur.word()).collect();
    assert_eq!(head[1], VERSION, "the setup header's version");
    head[1] = OLD_VERSION;
    assert_eq!(
        cur.take(32),
        SESSION,
        "the header carries the channel's session id"
    );
    let dims: Vec<u64> = (0..2 * head[4]).map(|_| cur.word()).collect();
    out.extend(head.iter().chain(&dims).flat_map(|w| w.to_le_bytes()));
    // The cloud's key and the binding (pair id, model hash), length-prefixed.
    let key_len = cur.word();
    out.extend_from_slice(&key_len.to_le_bytes());
    out.extend_from_slice(cur.take(key_len as usize));
    assert_eq!(cur.word(), 64);
    out.extend_from_slice(cur.take(32));
    assert_eq!(cur.take(32), hash);
    let pk = user.public_key();
    for d in dims.chunks(2) {
        let values = (d[0] * d[1] + d[1]) as usize;
        for _ in 0..values.div_ceil(slots) {
            let c = pk
                .read_ciphertext(cur.take(pk.ciphertext_bytes()))
                .expect("ciphertext");
            let mut m = user.decrypt(&c).expect("decrypt").to_bytes_le();
            m.resize(128, 0);
            out.extend_from_slice(&m);
        }
    }
    assert!(cur.0.is_empty(), "{} bytes left over", cur.0.len());
    out
}

#[test]
fn setup_bytes_equal_the_recorded_transcript() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let user = SecretKey::generate_any_size(512, &mut rng).expect("user key");
    let cloud = Arc::new(SecretKey::generate_any_size(512, &mut rng).expect("cloud key"));
    let model = FixedMlp {
        params: FIXED,
        activation: FixedActivation::shipped("tanh").expect("tanh"),
        input_patch: 1,
        output_patch: 1,
        stride: 1,
        layers: vec![
            FixedDense {
                inputs: 1,
                outputs: 7,
                weights: vec![3000, -3500, 4000, 1, -1, 0, 2047],
                bias: vec![30_000, -200_000, 5_000, 0, 1, -1, 1 << 20],
            },
            FixedDense {
                inputs: 7,
                outputs: 1,
                weights: vec![2500, -1800, 900, -2048, 2047, 3, -3],
                bias: vec![-40_000],
            },
        ],
    };
    let owner = gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]);
    let enc = EncryptedModel::encrypt_with_rng(&model, user.public_key(), &owner, &mut rng)
        .expect("upload");
    let ring = Ring::new(FIXED.ring_bits).expect("ring");
    let (a, b) = MemChannel::pair(Duration::from_secs(60));
    let (a, b) = (a.with_session(SESSION), b.with_session(SESSION));
    let (user_got, user_share, cloud_share) = std::thread::scope(|s| {
        let (enc, user_pk) = (&enc, user.public_key());
        let cloud = s.spawn(move || {
            let mut b = b;
            let mut rng = ChaCha20Rng::seed_from_u64(6);
            cloud_setup(&mut b, user_pk, enc, cloud.clone(), ring, &mut rng).expect("setup")
        });
        let mut ch = RecordingChannel::new(a);
        let share = user_setup(&mut ch, &user, &enc.shapes(), ring).expect("user setup");
        let cloud_share = cloud.join().expect("cloud thread");
        (ch.into_received(), share, cloud_share)
    });
    // The shares of this run reconstruct the model: W_U − α = W (mod 2^k).
    for ((u, c), l) in user_share
        .layers
        .iter()
        .zip(&cloud_share.layers)
        .zip(&model.layers)
    {
        for ((&wu, &a), &w) in u
            .weights
            .iter()
            .chain(&u.bias)
            .zip(c.weights.iter().chain(&c.bias))
            .zip(l.weights.iter().chain(&l.bias))
        {
            assert_eq!(ring.sub(wu, a), ring.from_signed(w));
        }
    }
    assert_eq!(user_share.binding, cloud_share.binding);
    let slots = ring
        .setup_layout(SETUP_SIGMA, user.public_key().bits())
        .expect("layout")
        .slots();
    let user_canonical = canonical(&user_got, &user, &enc.model_hash(), slots);
    let user_hash = hex(&Sha256::digest(&user_canonical));
    println!(
        "user received {} bytes, canonical SHA-256 {user_hash}",
        user_got.len()
    );
    assert_eq!(
        user_got.len(),
        OLD_USER_BYTES + 32,
        "the old bytes and the session id"
    );
    assert_eq!(user_hash, USER_RECEIVED, "the user's received bytes");
}
