//! A party facing recorded, truncated, mutated or random peer bytes: replays of honest
//! transcripts give the honest outputs; anything else ends in an error, never a panic, a
//! hang or a large allocation. The same harness drives the `runtime_evaluator` and
//! `runtime_garbler` fuzz targets.
//!
//! `GCC_NN_WRITE_FUZZ_SEEDS=1 cargo test -p gcc-nn-runtime --test it -- hostile_peer::` also
//! writes the recorded transcripts to `fuzz/seeds/runtime_{evaluator,garbler}/`.

#[path = "harness/gc_replay.rs"]
mod gc_replay;

use gc_replay::{
    CONFIGS, Transcript, evaluator_from_script, evaluator_on, garbler_from_script, record,
};
use proptest::prelude::*;
use runtime::channel::{Channel, ChannelError, MemChannel};
use runtime::driver::DriverError;
use runtime::driver::{HANDSHAKE_BYTES, INPUT_SEED_MESSAGE_BYTES as SEED_MSG};
use runtime::scripted::{RecordingChannel, ScriptedChannel};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use testkit::mutate::{flipped, flips};

fn transcripts() -> &'static [Transcript] {
    static T: OnceLock<Vec<Transcript>> = OnceLock::new();
    T.get_or_init(|| (0..CONFIGS.len()).map(record).collect())
}

fn write_seeds(target: &str, scripts: &[&[u8]]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    std::fs::create_dir_all(&dir).expect("create seed directory");
    for (i, s) in scripts.iter().enumerate() {
        std::fs::write(dir.join(format!("honest_config{i}")), s).expect("write seed");
    }
}

#[test]
fn recorded_transcripts_replay_to_the_honest_outputs() {
    for (i, t) in transcripts().iter().enumerate() {
        let (reveal, n) = CONFIGS[i];
        let e = evaluator_from_script(&t.evaluator_script).expect("evaluator replay");
        let g = garbler_from_script(&t.garbler_script).expect("garbler replay");
        assert_eq!(e.outputs, t.evaluator.outputs, "config {i} ({reveal:?})");
        assert_eq!(g.outputs, t.garbler.outputs, "config {i} ({reveal:?})");
        let learned = e
            .outputs
            .as_ref()
            .or(g.outputs.as_ref())
            .expect("someone learns");
        assert_eq!(learned.len(), n);
        if let (Some(a), Some(b)) = (&e.outputs, &g.outputs) {
            assert_eq!(a, b, "both parties decode the same outputs");
        }
    }
    if std::env::var_os("GCC_NN_WRITE_FUZZ_SEEDS").is_some() {
        let t = transcripts();
        let ev: Vec<&[u8]> = t.iter().map(|t| t.evaluator_script.as_slice()).collect();
        let ga: Vec<&[u8]> = t.iter().map(|t| t.garbler_script.as_slice()).collect();
        write_seeds("runtime_evaluator", &ev);
        write_seeds("runtime_garbler", &ga);
    }
}

/// Handshake offset of the batch size: magic 8, version 4, role 1, reveal 1.
const BATCH_AT: usize = 1 + 14;

#[test]
fn handshake_announcing_a_huge_batch_is_rejected_at_once() {
    let t = &transcripts()[0];
    let mut script = t.evaluator_script[..1 + HANDSHAKE_BYTES].to_vec();
    script[BATCH_AT..BATCH_AT + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let start = Instant::now();
    let err = evaluator_from_script(&script).expect_err("a huge batch is refused");
    assert!(
        matches!(
            err,
            DriverError::TooManyInstances {
                who: "the peer's",
                got: u64::MAX
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn peer_hanging_up_after_the_handshake_names_the_phase() {
    let t = &transcripts()[0];
    let err =
        evaluator_from_script(&t.evaluator_script[..1 + HANDSHAKE_BYTES]).expect_err("truncated");
    assert!(
        matches!(
            err,
            DriverError::Channel {
                phase: "setup (receiving the hash start point)",
                source: ChannelError::Closed { needed: 16 }
            }
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with("setup (receiving"), "{err}");
    // Cut inside the garbled tables: the evaluator says it was evaluating.
    let cut = t.evaluator_script.len() - 100;
    let err = evaluator_from_script(&t.evaluator_script[..cut]).expect_err("truncated");
    assert!(
        err.to_string()
            .starts_with("evaluation (receiving garbled tables): peer closed"),
        "{err}"
    );
    // The garbler reads the evaluator's input-label seed message next, then the base OT.
    let err =
        garbler_from_script(&t.garbler_script[..1 + HANDSHAKE_BYTES + 10]).expect_err("truncated");
    assert!(
        matches!(
            err,
            DriverError::Channel {
                phase: "setup (receiving the input-label seed)",
                source: ChannelError::Closed { needed: 10 }
            }
        ),
        "{err}"
    );
    let err = garbler_from_script(&t.garbler_script[..1 + HANDSHAKE_BYTES + SEED_MSG + 10])
        .expect_err("truncated");
    assert!(
        err.to_string()
            .starts_with("oblivious transfer: base OT (receiving a curve point): peer closed"),
        "{err}"
    );
}

#[test]
fn a_seed_message_of_the_wrong_length_or_cut_short_is_a_clear_error() {
    let t = &transcripts()[0];
    let at = 1 + HANDSHAKE_BYTES;
    // The honest message: length 16, then the seed.
    assert_eq!(t.garbler_script[at..at + 4], 16u32.to_le_bytes());
    for len in [0u32, 8, 15, 17, 32, u32::MAX] {
        let mut script = t.garbler_script.clone();
        script[at..at + 4].copy_from_slice(&len.to_le_bytes());
        let err = garbler_from_script(&script).expect_err("wrong seed length");
        assert!(
            matches!(err, DriverError::InputSeedLength { got } if got == len),
            "{len}: {err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "setup: the evaluator's input-label seed message announces {len} bytes, \
                 expected 16"
            )
        );
    }
    // Cut inside the length and inside the seed: the phase and the bytes missing are named.
    for (cut, needed) in [(2, 2), (4, 16), (4 + 9, 7)] {
        let err = garbler_from_script(&t.garbler_script[..at + cut]).expect_err("cut short");
        assert!(
            matches!(
                err,
                DriverError::Channel {
                    phase: "setup (receiving the input-label seed)",
                    source: ChannelError::Closed { needed: n }
                } if n == needed
            ),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn peer_stalling_mid_batch_times_out_naming_the_message() {
    let t = &transcripts()[1];
    let script = &t.evaluator_script[1..];
    // Stalls after: the handshake and start point; half the base OT; half the tables.
    for (cut, expected) in [
        (
            HANDSHAKE_BYTES + 16,
            "oblivious transfer: base OT (receiving a curve point)",
        ),
        (
            HANDSHAKE_BYTES + 16 + 64 * 32 + 5,
            "oblivious transfer: base OT (receiving a curve point)",
        ),
        (
            script.len() - 10_000,
            "evaluation (receiving garbled tables)",
        ),
        (script.len() - 3, "output (receiving the decoding bits)"),
    ] {
        let (mut peer, mut ch) = MemChannel::pair(Duration::from_millis(300));
        peer.send(&script[..cut]).expect("send");
        peer.flush().expect("flush");
        let start = Instant::now();
        let err = evaluator_on(&mut ch, CONFIGS[1]).expect_err("stalled peer");
        assert!(start.elapsed() < Duration::from_secs(3), "bounded wait");
        let msg = err.to_string();
        assert!(msg.starts_with(expected), "{msg}");
        assert!(msg.contains("timed out"), "{msg}");
        drop(peer);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_peer_bytes_are_errors(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(evaluator_from_script(&data).is_err());
        prop_assert!(garbler_from_script(&data).is_err());
    }

    #[test]
    fn honest_prefix_then_random_bytes_are_errors(
        config in 0usize..3,
        cut in 0usize..20_000,
        tail in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let t = &transcripts()[config];
        for (script, evaluator) in [(&t.evaluator_script, true), (&t.garbler_script, false)] {
            let keep = cut % script.len();
            let data = [&script[..keep], &tail[..]].concat();
            // Shorter than the honest transcript: the party must run out and say so.
            let r = if evaluator { evaluator_from_script(&data).err() } else {
                garbler_from_script(&data).err()
            };
            if data.len() < script.len() {
                prop_assert!(r.is_some());
            }
        }
    }

    #[test]
    fn mutated_transcripts_never_panic(
        config in 0usize..3,
        edits in flips(6),
        keep in any::<usize>(),
    ) {
        let t = &transcripts()[config];
        let e = flipped(&t.evaluator_script, &edits, keep);
        let g = flipped(&t.garbler_script, &edits, keep);
        // Flipped table or label bits decode to wrong outputs, not errors; only the
        // absence of panics and, for shortened scripts, an error is promised.
        let (re, rg) = (evaluator_from_script(&e), garbler_from_script(&g));
        if e.len() < t.evaluator_script.len() {
            prop_assert!(re.is_err());
        }
        if g.len() < t.garbler_script.len() {
            prop_assert!(rg.is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn base_ot_takes_exactly_the_valid_curve_points(point in any::<[u8; 32]>()) {
        use curve25519_dalek::ristretto::CompressedRistretto;
        use rand::SeedableRng;
        let mut ch = ScriptedChannel::new(&point);
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(1);
        let r = runtime::ot::base::receive(&mut ch, &[true, false], &mut rng);
        let valid = CompressedRistretto(point).decompress().is_some();
        match r {
            Ok(keys) => prop_assert!(valid && keys.len() == 2),
            Err(e) => {
                prop_assert!(!valid);
                let invalid = matches!(e, runtime::ot::OtError::InvalidPoint { index: 0 });
                prop_assert!(invalid);
            }
        }
    }

    #[test]
    fn blocks_and_lengths_round_trip(
        values in proptest::collection::vec(any::<u128>(), 0..600),
        limit in any::<u64>(),
    ) {
        use runtime::block::Block;
        use runtime::channel::{recv_blocks, recv_len, send_blocks, send_u64};
        let (mut a, b) = MemChannel::pair(Duration::from_secs(5));
        let mut rec = RecordingChannel::new(b);
        let blocks: Vec<Block> = values.iter().map(|&v| Block(v)).collect();
        send_u64(&mut a, blocks.len() as u64).expect("send");
        send_blocks(&mut a, &blocks).expect("send");
        a.flush().expect("flush");
        let mut got = vec![Block::ZERO; blocks.len()];
        let n = recv_len(&mut rec, "blocks", 600).expect("length within limit");
        recv_blocks(&mut rec, &mut got[..n]).expect("recv");
        prop_assert_eq!(&got, &blocks);
        // The same bytes replayed: a smaller limit is a LengthLimit error naming the length.
        let bytes = rec.into_received();
        let mut ch = ScriptedChannel::new(&bytes);
        let r = recv_len(&mut ch, "blocks", limit);
        if (blocks.len() as u64) > limit {
            let is_limit = matches!(r, Err(ChannelError::LengthLimit { what: "blocks", .. }));
            prop_assert!(is_limit);
        } else {
            prop_assert_eq!(r.expect("within limit"), blocks.len());
        }
    }
}
