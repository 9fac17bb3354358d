//! Issue 16: the RLWE engine's flooding bound per share pair is enforced. Every image on
//! `--protocol fast-rlwe` is counted in both share files (user's `*.usershare`, cloud's
//! `*.cloudshare`) before it runs; a pair with no room left for the next image is re-shared
//! with fresh masks, and the image stays exact. The counters are driven to the bound by
//! editing both stored shares (the bound itself is 2^24 coefficients, ≈ 12 whole images).

use crate::secure_common;

use protocol::fast::ModelShare;
use protocol::fast::store::{RLWE_BUDGET, rlwe_image_cost, write_atomic};
use secure_common::*;
use std::path::{Path, PathBuf};

/// The one file of `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(
        files.len(),
        1,
        "{suffix} files in {}: {files:?}",
        dir.display()
    );
    files.into_iter().next().expect("one")
}

fn load(path: &Path) -> ModelShare {
    ModelShare::from_bytes(&std::fs::read(path).expect("read share")).expect("share parses")
}

/// Sets the stored RLWE coefficient count of the share at `path`.
fn set_used(path: &Path, coefficients: u64) {
    let mut share = load(path);
    share.rlwe_use.coefficients = coefficients;
    write_atomic(path, &share.to_bytes()).expect("write share");
}

/// After a re-sharing: both stored shares hold one new pair (not `old_pair`) that has
/// counted exactly one RLWE image of `cost`; returns the user's share.
fn assert_fresh_pair(
    user_file: &Path,
    cloud_file: &Path,
    old_pair: [u8; 32],
    cost: u64,
) -> ModelShare {
    let (user, cloud) = (load(user_file), load(cloud_file));
    assert_ne!(user.binding.pair_id, old_pair, "a new share pair");
    assert_eq!(cloud.binding.pair_id, user.binding.pair_id);
    assert_eq!(
        (user.rlwe_use.images, user.rlwe_use.coefficients),
        (1, cost)
    );
    assert_eq!(cloud.rlwe_use, user.rlwe_use);
    user
}

#[test]
fn an_rlwe_share_pair_at_its_flooding_bound_is_re_shared_and_the_image_stays_exact() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let keys = d.join("keys");
    std::fs::create_dir(&keys).expect("keys dir");
    write_key_files(&keys, production_key());
    encrypt_tiny_model(d, &keys);
    save_sample_crop(d, 60, 90, 7, 5);
    let plain = denoise_plain(d, true, "crop.png", "plain.png");
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "4"]);
    let denoise = |out: &str| {
        let (stdout, img) = denoise_connect(
            &addr,
            &keys,
            d,
            ("crop.png", out),
            &["--protocol", "fast-rlwe"],
        );
        assert_eq!(img, plain, "{out} differs from the plaintext");
        stdout
    };

    // Image 1: a fresh pair, counted in both files.
    let first = denoise("first.png");
    assert!(first.contains("setup (re-sharing)"), "{first}");
    let user_file = only_file(&keys, ".usershare");
    let cloud_file = only_file(&d.join("model.enc.shares"), ".cloudshare");
    let (user, cloud) = (load(&user_file), load(&cloud_file));
    let pair = user.binding.pair_id;
    assert_eq!(cloud.binding.pair_id, pair);
    let cost = user.rlwe_use.coefficients;
    assert_eq!(user.rlwe_use.images, 1);
    assert_eq!(cloud.rlwe_use, user.rlwe_use, "both sides count the same");
    // Every output of every layer returned once per patch.
    let per_patch = rlwe_image_cost(&user.shapes(), 1);
    assert!(
        cost > 0 && cost % per_patch == 0,
        "{cost} for {per_patch} per patch"
    );
    let first_weights = user.layers[0].weights.clone();

    // Image 2: both counters edited so that this image exactly reaches the bound: reused.
    set_used(&user_file, RLWE_BUDGET - cost);
    set_used(&cloud_file, RLWE_BUDGET - cost);
    let second = denoise("second.png");
    assert!(second.contains("setup skipped"), "{second}");
    assert!(!second.contains("setup (re-sharing)"), "{second}");
    let (user, cloud) = (load(&user_file), load(&cloud_file));
    assert_eq!(user.binding.pair_id, pair);
    assert_eq!(
        (user.rlwe_use.images, user.rlwe_use.coefficients),
        (2, RLWE_BUDGET)
    );
    assert_eq!(cloud.rlwe_use, user.rlwe_use);

    // Image 3: no room left on either side: the cloud no longer offers the pair (the user
    // sees that its share is not the cloud's partner any more), the pair is re-shared (fresh
    // masks, a new pair id), never run past the bound, and the image is still exact.
    let third = denoise("third.png");
    assert!(third.contains("not the cloud's partner share"), "{third}");
    assert!(third.contains("setup (re-sharing)"), "{third}");
    let user = assert_fresh_pair(&user_file, &cloud_file, pair, cost);
    assert_ne!(
        user.layers[0].weights, first_weights,
        "fresh masks give other shares"
    );

    // Image 4: only the user's counter is at the bound (the cloud would reuse): the user
    // refuses the pair by itself, and the pair is re-shared again.
    let pair = user.binding.pair_id;
    set_used(&user_file, RLWE_BUDGET);
    let fourth = denoise("fourth.png");
    assert!(fourth.contains("re-sharing with fresh masks"), "{fourth}");
    assert!(fourth.contains("setup (re-sharing)"), "{fourth}");
    assert_fresh_pair(&user_file, &cloud_file, pair, cost);
}
