//! The three roles as separate processes over real sockets: `model encrypt`, `serve`,
//! `denoise --connect`; the result equals the plaintext fixed-point denoiser's image.

mod secure_common;

use secure_common::*;
use std::path::Path;
use std::process::Command;

/// Writes this test binary's 2048-bit key pair into `dir`: the shipped commands refuse
/// smaller keys, so every spawned-process test runs at production size (one key, generated
/// once, keeps the suite quick).
fn write_keys(dir: &Path) {
    write_key_files(dir, production_key());
}

/// Saves the tiny model as `d/tiny.gccmlp` and encrypts it under `user_key` into
/// `d/model.enc` with `gcc-nn model encrypt` (the model owner's step).
fn encrypt_tiny_model(d: &Path, user_key: &Path) {
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    run_ok(&[
        "model",
        "encrypt",
        "--model",
        &p("tiny.gccmlp"),
        "--user-key",
        &user_key.to_string_lossy(),
        "-o",
        &p("model.enc"),
    ]);
}

/// Saves the `w`×`h` crop of the sample at (`x`, `y`) as `d/crop.png`.
fn save_sample_crop(d: &Path, x: usize, y: usize, w: usize, h: usize) {
    model::shipped::sample_image()
        .expect("sample")
        .crop(x, y, w, h)
        .expect("crop")
        .save_png(&d.join("crop.png"))
        .expect("png");
}

#[test]
fn three_processes_denoise_exactly_like_the_plaintext_fixed_point_model() {
    // 2048-bit reference patches cost about a second each: a 4x3 crop.
    three_processes_match_plaintext("reference", (4, 3));
}

#[test]
fn three_processes_denoise_exactly_with_the_fast_protocol() {
    three_processes_match_plaintext("fast", (8, 6));
}

/// Files of `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|it| {
            it.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

/// Sent + received bytes from a user summary line `bytes: S sent, R received …`.
fn summary_bytes(out: &str) -> u64 {
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("bytes:"))
        .unwrap_or_else(|| panic!("no bytes line in {out}"));
    line.split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .take(2)
        .map(|w| w.parse::<u64>().expect("number"))
        .sum()
}

/// The fast protocol end to end at 2048 bits: the first image runs the re-sharing and both
/// sides store their shares (0600); the second skips it (log line, far fewer bytes); a
/// corrupt user share leads to a fresh setup, never to a wrong image.
#[test]
fn fast_protocol_stores_shares_and_later_images_skip_the_setup() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir(d.join("keys")).expect("keys dir");
    write_keys(&d.join("keys"));
    encrypt_tiny_model(d, &d.join("keys"));
    save_sample_crop(d, 60, 90, 7, 5);
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    run_ok(&[
        "denoise",
        "--plain",
        "--model",
        &p("tiny.gccmlp"),
        &p("crop.png"),
        "-o",
        &p("plain.png"),
    ]);
    let plain = model::GrayImage::load(&d.join("plain.png")).expect("plain");
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "3"]);
    let denoise = |out: &str| {
        let stdout = run_ok(&[
            "denoise",
            "--connect",
            &addr,
            "--key",
            &p("keys"),
            &p("crop.png"),
            "-o",
            &p(out),
        ]);
        let img = model::GrayImage::load(&d.join(out)).expect("secure");
        assert_eq!(
            img.to_u8(),
            plain.to_u8(),
            "{out} differs from the plaintext"
        );
        stdout
    };
    let first = denoise("first.png");
    assert!(first.contains("setup (re-sharing)"), "{first}");
    assert!(!first.contains("setup skipped"), "{first}");
    let user_files = files_ending(&d.join("keys"), ".usershare");
    let cloud_files = files_ending(&d.join("model.enc.shares"), ".cloudshare");
    assert_eq!((user_files.len(), cloud_files.len()), (1, 1));
    #[cfg(unix)]
    for f in user_files.iter().chain(&cloud_files) {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }

    let second = denoise("second.png");
    assert!(second.contains("setup skipped"), "{second}");
    assert!(!second.contains("setup (re-sharing)"), "{second}");
    assert!(
        summary_bytes(&second) < summary_bytes(&first),
        "the second image moves fewer bytes:\n{first}\n{second}"
    );

    // A damaged user share: detected by its checksum, replaced by a fresh setup.
    let mut bytes = std::fs::read(&user_files[0]).expect("read share");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    std::fs::write(&user_files[0], &bytes).expect("damage");
    let third = denoise("third.png");
    assert!(
        third.contains("unusable") && third.contains("checksum"),
        "{third}"
    );
    assert!(third.contains("setup (re-sharing)"), "{third}");
}

/// The shipped model on a 64x64 crop of the shipped sample, every role a process over
/// loopback at 2048 bits (the shipped commands refuse smaller keys): the secure image equals
/// the fixed-point plaintext reference pixel for pixel.
#[test]
fn fast_protocol_with_the_shipped_model_on_a_64x64_crop_equals_the_fixed_point_reference() {
    shipped_crop_equals_reference("fast");
}

/// The same with the linear layers on ring-LWE (`--protocol fast-rlwe`): the secure image
/// also equals `denoise --plain`'s pixel for pixel.
#[test]
fn fast_rlwe_protocol_with_the_shipped_model_on_a_64x64_crop_equals_denoise_plain() {
    let (dir, out) = shipped_crop_equals_reference("fast-rlwe");
    assert!(out.contains("fast: linear layers on rlwe"), "{out}");
    let p = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    run_ok(&["denoise", "--plain", &p("noisy.png"), "-o", &p("plain.png")]);
    let plain = model::GrayImage::load(&dir.path().join("plain.png")).expect("plain");
    let secure = model::GrayImage::load(&dir.path().join("secure.png")).expect("secure");
    assert_eq!(
        secure.to_u8(),
        plain.to_u8(),
        "fast-rlwe and denoise --plain images differ"
    );
}

/// The shipped model on a 64x64 crop under `protocol` (three processes, 2048 bits): checks
/// the secure image against the fixed-point reference; returns the folder (noisy.png,
/// secure.png) and the user's output.
fn shipped_crop_equals_reference(protocol: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_keys(d);
    let clean = model::shipped::sample_image()
        .expect("sample")
        .crop(96, 64, 64, 64)
        .expect("crop");
    let noisy = model::metrics::add_noise(&clean, 25.0, 3);
    noisy.save_png(&d.join("noisy.png")).expect("png");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    run_ok(&[
        "model",
        "encrypt",
        "--user-key",
        &p("paillier.pub"),
        "-o",
        &p("model.enc"),
    ]);
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "1"]);
    let out = run_ok(&[
        "denoise",
        "--connect",
        &addr,
        "--key",
        &p("paillier.key"),
        &p("noisy.png"),
        "-o",
        &p("secure.png"),
        "--protocol",
        protocol,
    ]);
    assert!(out.contains("setup (re-sharing)"), "{out}");
    let noisy = model::GrayImage::load(&d.join("noisy.png")).expect("noisy");
    let fixed = model::fixed::FixedMlp::from_model(
        &model::shipped::model().expect("model"),
        model::fixed::FIXED,
        activation::Activation::shipped("tanh_fit").expect("tanh_fit"),
    )
    .expect("fixed");
    let (reference, _) =
        model::denoise::denoise_fixed(&fixed, &noisy, fixed.stride).expect("reference");
    let secure = model::GrayImage::load(&d.join("secure.png")).expect("secure");
    assert_eq!(secure.width(), 64);
    assert_eq!(
        secure.to_u8(),
        reference.to_u8(),
        "{protocol}: secure and fixed-point images differ"
    );
    (dir, out)
}

/// Model owner, cloud and user as spawned processes under `protocol` on a `crop` (width,
/// height) of the sample; the secure image equals `denoise --plain` pixel for pixel.
fn three_processes_match_plaintext(protocol: &str, crop: (usize, usize)) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_keys(d);
    encrypt_tiny_model(d, &d.join("paillier.pub"));
    save_sample_crop(d, 100, 80, crop.0, crop.1);
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "1"]);
    let out = run_ok(&[
        "denoise",
        "--connect",
        &addr,
        "--key",
        &p("paillier.key"),
        &p("crop.png"),
        "-o",
        &p("secure.png"),
        "--clean",
        &p("crop.png"),
        "--chunk",
        "16",
        "--protocol",
        protocol,
    ]);
    assert!(out.contains("bytes:") && out.contains("PSNR"), "{out}");
    run_ok(&[
        "denoise",
        "--plain",
        "--model",
        &p("tiny.gccmlp"),
        &p("crop.png"),
        "-o",
        &p("plain.png"),
    ]);
    let a = model::GrayImage::load(&d.join("secure.png")).expect("secure");
    let b = model::GrayImage::load(&d.join("plain.png")).expect("plain");
    assert_eq!(a.to_u8(), b.to_u8(), "secure and plaintext images differ");
}

#[test]
fn the_cloud_refuses_a_corrupt_model_file_at_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_keys(d);
    encrypt_tiny_model(d, &d.join("paillier.pub"));
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    let mut bytes = std::fs::read(d.join("model.enc")).expect("read");
    let n = bytes.len();
    bytes[n / 3] ^= 1;
    std::fs::write(d.join("bad.enc"), bytes).expect("write");
    let out = Command::new(BIN)
        .args(["serve", "--model", &p("bad.enc"), "--listen", "127.0.0.1:0"])
        .output()
        .expect("spawn");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.enc") && err.contains("checksum"), "{err}");
}
