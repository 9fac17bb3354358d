//! Both roles of the bridge facing recorded, truncated, mutated or random peer bytes:
//! replays of honest transcripts give the honest result; anything else ends in an error,
//! never a panic, a hang or a large allocation. The same harness drives the `bridge_wire`
//! fuzz target.
//!
//! `GCC_NN_WRITE_FUZZ_SEEDS=1 cargo test -p gcc-nn-protocol --test it -- bridge_wire::` also
//! writes the recorded transcripts to `fuzz/seeds/bridge_wire/`.

extern crate gcc_nn_protocol as protocol;

use crate::bridge_harness;

use bridge_harness::{Outcome, Role, Transcript, XS, circuit, key, record, run_role, run_script};
use proptest::prelude::*;
use protocol::BridgeError;
use protocol::bridge::{BATCH_AT, CIPHERTEXTS_AT, HEADER_BYTES, MAX_BATCH, Mode};
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::{Channel, ChannelError, MemChannel};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use testkit::mutate::{flipped, flips};

/// Largest seed file written.
const SEED_LIMIT: usize = 1 << 16;

const MODES: [Mode; 3] = [Mode::Unpacked, Mode::Packed, Mode::Chained];

fn transcripts() -> &'static [Transcript] {
    static T: OnceLock<Vec<Transcript>> = OnceLock::new();
    T.get_or_init(|| MODES.iter().map(|&m| record(m)).collect())
}

fn cloud_result(out: &Outcome) -> Vec<i128> {
    match out {
        Outcome::Cloud(c) => c.decrypt(key()).expect("decrypt"),
        Outcome::User(_) => panic!("expected the cloud's output"),
    }
}

#[test]
fn recorded_transcripts_replay_to_the_honest_result() {
    let reference: Vec<i128> = XS
        .iter()
        .map(|&x| circuit().reference(x).expect("reference"))
        .collect();
    for (t, mode) in transcripts().iter().zip(MODES) {
        assert_eq!(
            t.cloud.decrypt(key()).expect("decrypt"),
            reference,
            "{mode:?}"
        );
        let cloud = run_script(&t.cloud_script).expect("cloud replay");
        assert_eq!(cloud_result(&cloud), reference, "{mode:?} replayed");
        let user = run_script(&t.user_script).expect("user replay");
        let Outcome::User(report) = user else {
            panic!("expected the user's report")
        };
        assert_eq!(report.ands as usize, t_ands(mode), "{mode:?}");
    }
    if std::env::var_os("GCC_NN_WRITE_FUZZ_SEEDS").is_some() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/bridge_wire");
        std::fs::create_dir_all(&dir).expect("seed directory");
        // Seeds stay small: beyond 64 KiB a transcript is garbled tables, whose prefix
        // exercises the same decoding.
        let head = |s: &[u8]| s[..s.len().min(SEED_LIMIT)].to_vec();
        for (t, mode) in transcripts().iter().zip(MODES) {
            std::fs::write(dir.join(format!("user_{mode:?}")), head(&t.user_script))
                .expect("write");
            std::fs::write(dir.join(format!("cloud_{mode:?}")), head(&t.cloud_script))
                .expect("write");
        }
    }
}

/// AND gates the user garbles for the three activations in `mode`.
fn t_ands(mode: Mode) -> usize {
    match mode {
        Mode::Unpacked | Mode::Packed => XS.len() * circuit().and_count(),
        Mode::Chained => {
            let cc = circuit().chained().expect("chained circuit");
            cc.two_party().and_count()
        }
    }
}

/// The honest unpacked user script with the header's batch and ciphertext count replaced.
fn header_script(batch: u64, ciphertexts: u64) -> Vec<u8> {
    let t = &transcripts()[0];
    let mut s = t.user_script[..1 + HEADER_BYTES].to_vec();
    s[1 + BATCH_AT..1 + BATCH_AT + 8].copy_from_slice(&batch.to_le_bytes());
    s[1 + CIPHERTEXTS_AT..1 + CIPHERTEXTS_AT + 8].copy_from_slice(&ciphertexts.to_le_bytes());
    s
}

#[test]
fn header_announcing_a_huge_batch_fails_fast_without_allocating() {
    let start = Instant::now();
    for (batch, ciphertexts) in [(u64::MAX, 3), (MAX_BATCH + 1, MAX_BATCH + 1), (0, 0)] {
        let err = run_script(&header_script(batch, ciphertexts)).expect_err("refused");
        assert!(err.to_string().contains("batch size"), "{err}");
    }
    // A batch within the limit but a wrong ciphertext count.
    let err = run_script(&header_script(MAX_BATCH, u64::MAX)).expect_err("refused");
    assert!(err.to_string().contains("ciphertexts announced"), "{err}");
    // The largest batch, honestly counted, then silence: the user waits for data it never
    // gets and fails naming the message, having allocated nothing for 2^24 ciphertexts.
    let err = run_script(&header_script(MAX_BATCH, MAX_BATCH)).expect_err("truncated");
    assert!(
        matches!(
            err,
            BridgeError::Channel {
                phase: "masked pre-activations",
                source: ChannelError::Closed { .. }
            }
        ),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn peer_hanging_up_mid_run_names_what_was_being_received() {
    let t = &transcripts()[0];
    let cut = |s: &[u8], n: usize| s[..n].to_vec();
    let err = run_script(&cut(&t.user_script, 1 + HEADER_BYTES + 10)).expect_err("truncated");
    assert!(
        err.to_string().starts_with("masked pre-activations:"),
        "{err}"
    );
    let err = run_script(&cut(&t.cloud_script, 1 + 10)).expect_err("truncated");
    assert!(
        err.to_string().starts_with("encrypted output masks:"),
        "{err}"
    );
    let n = t.cloud_script.len() - 5;
    let err = run_script(&cut(&t.cloud_script, n)).expect_err("truncated");
    assert!(err.to_string().contains("output"), "{err}");
}

#[test]
fn cloud_refuses_an_empty_batch_before_sending() {
    let pk = key().public_key();
    let mut ch = runtime::scripted::ScriptedChannel::new(&[]);
    let mut pool = paillier::RandomnessPool::new();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let r = protocol::bridge::run_cloud(
        &mut ch,
        pk,
        circuit(),
        &[],
        Mode::Unpacked,
        &mut pool,
        &mut rng,
    );
    let err = r.expect_err("empty batch");
    assert!(err.to_string().contains("1..="), "{err}");
    assert_eq!(ch.bytes_sent(), 0);
}

#[test]
fn peer_stalling_mid_run_times_out_naming_the_message() {
    let t = &transcripts()[1];
    for (script, role, cut, expected) in [
        (
            &t.user_script,
            Role::User,
            HEADER_BYTES + 100,
            "masked pre-activations: timed out",
        ),
        (
            &t.cloud_script,
            Role::Cloud(Mode::Packed),
            50,
            "encrypted output masks: timed out",
        ),
        (
            &t.cloud_script,
            Role::Cloud(Mode::Packed),
            2000,
            "garbled circuit: oblivious transfer: base OT (receiving a curve point): timed out",
        ),
    ] {
        let (mut peer, mut ch) = MemChannel::pair(Duration::from_millis(300));
        peer.send(&script[1..1 + cut]).expect("send");
        peer.flush().expect("flush");
        let start = Instant::now();
        let err = run_role(role, &mut ch).expect_err("stalled peer");
        assert!(start.elapsed() < Duration::from_secs(3), "bounded wait");
        assert!(err.to_string().starts_with(expected), "{err}");
        drop(peer);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn random_peer_bytes_are_errors(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(run_script(&data).is_err());
    }

    #[test]
    fn mutated_transcripts_never_panic(
        which in 0usize..6,
        edits in flips(5),
        keep in any::<usize>(),
    ) {
        let t = &transcripts()[which / 2];
        let script = if which % 2 == 0 { &t.user_script } else { &t.cloud_script };
        let data = flipped(script, &edits, keep);
        let r = run_script(&data);
        if data.len() < script.len() {
            prop_assert!(r.is_err());
        }
    }
}

#[test]
fn a_bridge_header_recorded_in_another_session_is_refused_naming_both() {
    // The honest transcripts were recorded on unbound channels (session 00…); the user's
    // replayed into session b2… is refused at the cloud's header, naming both.
    let t = &transcripts()[0];
    let script = &t.user_script[1..];
    let mut ch = runtime::scripted::ScriptedChannel::new(script).with_session([0xb2; 32]);
    let err = run_role(Role::User, &mut ch)
        .map(|_| ())
        .expect_err("another session");
    let text = err.to_string();
    assert!(
        text.starts_with("protocol violation in bridge header"),
        "{text}"
    );
    testkit::sessions::assert_names_both_sessions(&text, 0, 0xb2);
    assert_eq!(
        ch.remaining(),
        script.len() - HEADER_BYTES,
        "only the header read"
    );
    // Control: the same replay in the recorded session is the honest run.
    let mut ch = runtime::scripted::ScriptedChannel::new(script)
        .with_session(runtime::channel::UNBOUND_SESSION);
    run_role(Role::User, &mut ch).expect("same session");
}
