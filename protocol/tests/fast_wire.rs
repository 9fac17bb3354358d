//! Both parties of the fast protocol (whole job, or image run with stored shares) facing
//! recorded, truncated, mutated or random peer bytes: honest transcripts replay to the
//! honest result; anything else ends in an error, never a panic, a hang or a huge
//! allocation. The same harness drives the `fast_wire` fuzz target.
//!
//! `GCC_NN_WRITE_FUZZ_SEEDS=1 cargo test -p gcc-nn-protocol --test it -- fast_wire::` also
//! writes the recorded transcripts (heads) to `fuzz/seeds/fast_wire/` and the fixture's upload
//! and share files to `fuzz/seeds/upload_file/` and `fuzz/seeds/share_file/`.

use crate::fast_harness;

use fast_harness::{ROLES, fixture, honest_transcripts, run_script};
use gcc_nn_protocol::fast::engine::CrossEngine;
use gcc_nn_protocol::fast::shares::ShareKey;
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::Instant;

/// Largest seed file written.
const SEED_LIMIT: usize = 1 << 16;

fn transcripts() -> &'static [(Vec<u8>, fast_harness::Outcome)] {
    static T: OnceLock<Vec<(Vec<u8>, fast_harness::Outcome)>> = OnceLock::new();
    T.get_or_init(honest_transcripts)
}

#[test]
fn honest_transcripts_replay_to_the_reference_outputs() {
    let f = fixture();
    let expected = f.reference_pixels();
    for (script, out) in transcripts() {
        assert_eq!(
            out.as_ref(),
            Some(&expected),
            "honest run of role {}",
            script[0]
        );
        let replay = run_script(script).expect("replay of an honest transcript");
        if let Some(px) = replay {
            assert_eq!(px, expected, "user replay of role {}", script[0]);
        }
    }
    if std::env::var_os("GCC_NN_WRITE_FUZZ_SEEDS").is_some() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
        let write = |dir: &str, name: &str, bytes: &[u8]| {
            std::fs::create_dir_all(root.join(dir)).expect("seed directory");
            std::fs::write(
                root.join(dir).join(name),
                &bytes[..bytes.len().min(SEED_LIMIT)],
            )
            .expect("write seed");
        };
        for (script, _) in transcripts() {
            write(
                "fast_wire",
                &format!("{:?}", ROLES[script[0] as usize]),
                script,
            );
        }
        write("upload_file", "tiny_512", &f.enc.to_bytes());
        write("share_file", "user_512", &f.shares.0.to_bytes());
        write("share_file", "cloud_512", &f.shares.1.to_bytes());
    }
}

#[test]
fn truncated_transcripts_fail_cleanly_at_every_cut() {
    for (script, _) in transcripts() {
        let len = script.len();
        let step = (len / 37).max(1);
        for cut in (1..len).step_by(step) {
            let t = Instant::now();
            assert!(
                run_script(&script[..cut]).is_err(),
                "role {} succeeded on {cut} of {len} bytes",
                script[0]
            );
            assert!(t.elapsed().as_secs() < 10, "cut {cut} took too long");
        }
    }
}

#[test]
fn huge_declared_patch_counts_are_refused_before_allocation() {
    // The cloud's image header announcing 2^40 patches.
    let f = fixture();
    let mut script = vec![3u8];
    let words = [
        u64::from_le_bytes(*b"GCCNN-FI"),
        8,
        u64::from(f.shares.1.ring.k),
        1 << 40,
        0,
        0,
        0,
        3,
        1,
        1,
        1,
        1 << 40,
        1,
    ];
    for w in words {
        script.extend_from_slice(&w.to_le_bytes());
    }
    // The session id: the scripted channel's (unbound).
    script.extend_from_slice(&runtime::channel::UNBOUND_SESSION);
    let err = run_script(&script).expect_err("refused");
    assert!(err.to_string().contains("patches"), "{err}");
}

/// The cloud's image header with honest keys and pair id but an image geometry that does
/// not fit: refused by name before anything is allocated.
fn header_with_image(width: u64, height: u64, stride: u64) -> Vec<u8> {
    let f = fixture();
    let ShareKey::CloudSecret(cloud_sk) = &f.shares.1.key else {
        panic!("the fixture's cloud share holds the cloud's key");
    };
    let mut script = vec![3u8];
    let words = [
        u64::from_le_bytes(*b"GCCNN-FI"),
        8,
        u64::from(f.shares.1.ring.k),
        f.inputs.len() as u64,
        u64::from_le_bytes(f.user.public_key().fingerprint()),
        u64::from_le_bytes(cloud_sk.public_key().fingerprint()),
        f.shares.1.binding.pair_word(),
        width,
        height,
        stride,
        CrossEngine::Paillier.code(),
        f.inputs.len() as u64,
        1, // half-gates
    ];
    for w in words {
        script.extend_from_slice(&w.to_le_bytes());
    }
    // The session id: the scripted channel's (unbound).
    script.extend_from_slice(&runtime::channel::UNBOUND_SESSION);
    script
}

#[test]
fn image_geometry_in_the_header_is_checked_against_the_patch_count() {
    // The fixture's 3 patches are a 3x1 image at stride 1.
    for (w, h, stride, what) in [
        (4, 1, 1, "patches"),
        (2, 2, 1, "patches"),
        (3, 1, 0, "stride"),
        (1 << 40, 1, 1, "pixels a side"),
        (0, 1, 1, "image"),
    ] {
        let err = run_script(&header_with_image(w, h, stride)).expect_err("refused");
        assert!(
            err.to_string().contains(what),
            "{w}x{h} at stride {stride}: {err}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_peer_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = run_script(&bytes);
    }

    #[test]
    fn mutated_transcripts_never_panic(which in 0usize..4, at in any::<usize>(), xor in 1u8..=255) {
        let (script, _) = &transcripts()[which];
        let mut s = script.clone();
        let i = 1 + at % (s.len() - 1);
        s[i] ^= xor;
        let _ = run_script(&s);
    }
}
