//! Drives the session layer's decoders from bytes: the cloud's and the user's side of a
//! session whose peer is a script (the fuzz input, or a mutated honest transcript). Shared
//! by the proptests (`protocol/tests/session_decoders.rs`) and the fuzz target
//! `fuzz/fuzz_targets/session_wire.rs`. Byte 0 of an input picks the mode ([`MODES`]).
#![allow(dead_code)]

use model::fixed::{FIXED, FixedMlp};
use model::mlp::{Dense, Mlp};
use paillier::SecretKey;
use protocol::session::client::Session;
use protocol::session::handshake::{cloud_handshake, parse_accept, parse_offer};
use protocol::session::serve::{CloudState, read_job, serve_connection, serve_job};
use protocol::session::wire::{JobRequest, recv_frame};
use protocol::session::{KeyPolicy, ProtocolKind, SessionError, client};
use protocol::upload::{EncryptedModel, ModelHeader, OwnerKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::MemChannel;
use runtime::scripted::{RecordingChannel, ScriptedChannel};
use std::sync::OnceLock;
use std::time::Duration;

/// Modes, by byte 0 of an input (modulo their count). Modes 0–3 cost microseconds; 4–6
/// run the reference protocol's job (OT, garbling, Paillier: milliseconds).
pub(crate) const MODES: [&str; 7] = [
    "frames: frame decoder until the script ends",
    "cloud handshake: offer, accept, confirmation and job request from a scripted user",
    "user handshake: offer and confirmation from a scripted cloud",
    "decoders: offer, accept, job request and model header on the raw bytes",
    "cloud: whole session (handshake, reference job) against a scripted user",
    "cloud job: job request and reference-protocol chunks after the handshake",
    "user: handshake and a 1-patch reference job against a scripted cloud",
];

/// Modes `0..FUZZ_MODES` are the cheap ones the fuzz target runs.
pub(crate) const FUZZ_MODES: usize = 4;

/// The modes that run a session (an honest transcript cut short must fail in them).
pub(crate) const SESSION_MODES: [usize; 5] = [1, 2, 4, 5, 6];

/// Key size of the harness (the reference protocol works with 512-bit test keys).
const KEY_BITS: u32 = 512;
/// The harness's 512-bit key needs the tests' key policy (production refuses it).
const TEST_KEYS: KeyPolicy = KeyPolicy::InsecureTestKeys;

/// A 3x3 → 3 → 1x1 model, small enough for thousands of runs per second.
fn tiny_fixed() -> FixedMlp {
    let w1: Vec<f32> = (0..27)
        .map(|k| ((k * 37 % 23) as f32 - 11.0) / 9.0)
        .collect();
    let mlp = Mlp::new(
        3,
        1,
        1,
        25.0,
        vec![
            Dense {
                inputs: 9,
                outputs: 3,
                weights: w1,
                bias: vec![0.3, -0.7, 0.05],
            },
            Dense {
                inputs: 3,
                outputs: 1,
                weights: vec![0.8, -1.1, 0.45],
                bias: vec![-0.1],
            },
        ],
    )
    .expect("tiny model");
    FixedMlp::from_model(
        &mlp,
        FIXED,
        activation::Activation::shipped("tanh_fit").expect("tanh_fit"),
    )
    .expect("fixed model")
}

/// The model owner's signing key of the harness.
pub(crate) fn owner() -> OwnerKey {
    OwnerKey::from_seed(&[0x0e; 32])
}

/// The harness's fixed user key and the cloud's state (the same for every run: the
/// offer, and so the seeds, stay valid).
pub(crate) fn fixture() -> &'static (SecretKey, CloudState) {
    static F: OnceLock<(SecretKey, CloudState)> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(0x5e55_1017);
        let sk = SecretKey::generate_any_size(KEY_BITS, &mut rng).expect("key");
        // Small keys only through the test path: the seeded upload and the tests' key policy.
        let enc =
            EncryptedModel::encrypt_with_rng(&tiny_fixed(), sk.public_key(), &owner(), &mut rng)
                .expect("encrypt");
        let state =
            CloudState::with_key_policy(enc, &owner().public(), KeyPolicy::InsecureTestKeys)
                .expect("servable");
        (sk, state)
    })
}

/// The input patch of the user mode.
pub(crate) fn user_patches() -> Vec<Vec<i64>> {
    vec![vec![100, -2000, 0, 4095, -4096, 7, 300, -300, 1]]
}

/// Runs `input` through the mode its first byte picks; returns `Ok` or the error. Must
/// never panic, hang or allocate much more than the script's size.
pub(crate) fn run(input: &[u8]) -> Result<(), SessionError> {
    let Some((&mode, script)) = input.split_first() else {
        return Ok(());
    };
    let (sk, state) = fixture();
    let mut ch = ScriptedChannel::new(script);
    match mode as usize % MODES.len() {
        0 => loop {
            recv_frame(&mut ch, "fuzzed frame")?;
        },
        1 => {
            let served = ProtocolKind::implemented();
            cloud_handshake(&mut ch, &state.model.header, &state.model.seal, served)?;
            read_job(&mut ch).map(|_| ())
        }
        2 => client::handshake_with_policy(
            ch,
            sk,
            &owner().public(),
            ProtocolKind::Reference,
            TEST_KEYS,
        )?
        .shell_model()
        .map(|_| ()),
        3 => {
            let _ = parse_accept(script);
            let _ = JobRequest::from_bytes(script);
            let _ = ModelHeader::from_bytes(script);
            parse_offer(script).map(|_| ())
        }
        4 => serve_connection(&mut ch, state).map(|_| ()),
        5 => serve_job(&mut ch, state, ProtocolKind::Reference).map(|_| ()),
        _ => {
            let mut s = client::handshake_with_policy(
                ch,
                sk,
                &owner().public(),
                ProtocolKind::Reference,
                TEST_KEYS,
            )?;
            s.shell_model()?;
            s.run_job(sk, &user_patches(), 1, &mut |_| {}).map(|_| ())
        }
    }
}

/// Honest inputs, one per mode, each prefixed with its mode byte: what the user received
/// from an honest cloud (modes 0 and 6; its handshake frames: mode 2), what the cloud
/// received from an honest user (whole: mode 4; its handshake and job request frames: mode
/// 1; after the handshake: mode 5) and the offer's payload (mode 3).
pub(crate) fn honest_inputs() -> Vec<Vec<u8>> {
    let sk = &fixture().0;
    let (user_end, cloud_end) = MemChannel::pair(Duration::from_secs(60));
    let cloud = std::thread::spawn(move || {
        let mut rec = RecordingChannel::new(cloud_end);
        serve_connection(&mut rec, &fixture().1).expect("honest cloud");
        rec.into_received()
    });
    let mut s: Session<RecordingChannel<MemChannel>> = client::handshake_with_policy(
        RecordingChannel::new(user_end),
        sk,
        &owner().public(),
        ProtocolKind::Reference,
        TEST_KEYS,
    )
    .expect("honest handshake");
    let patches = user_patches();
    let (q, _) = s.run_job(sk, &patches, 1, &mut |_| {}).expect("honest job");
    let fixed = tiny_fixed();
    for (p, q) in patches.iter().zip(&q) {
        assert_eq!(q, &fixed.forward(p).0, "honest run is exact");
    }
    let to_user = s.channel.into_received();
    let to_cloud = cloud.join().expect("cloud thread");
    // The user's accept frame (tag, length, ACCEPT_BYTES), then its job frame (tag, length,
    // JobRequest::BYTES).
    let accept_end = 5 + protocol::session::handshake::ACCEPT_BYTES;
    let job_end = accept_end + 5 + JobRequest::BYTES;
    let offer_len = u32::from_le_bytes([to_user[1], to_user[2], to_user[3], to_user[4]]);
    let offer_end = 5 + offer_len as usize;
    // The offer frame, then the empty confirmation frame.
    let agreed_end = offer_end + 5;
    let with_mode = |m: u8, bytes: &[u8]| [&[m][..], bytes].concat();
    vec![
        with_mode(0, &to_user),
        with_mode(1, &to_cloud[..job_end]),
        with_mode(2, &to_user[..agreed_end]),
        with_mode(3, &to_user[5..offer_end]),
        with_mode(4, &to_cloud),
        with_mode(5, &to_cloud[accept_end..]),
        with_mode(6, &to_user),
    ]
}
