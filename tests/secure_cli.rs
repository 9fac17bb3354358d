//! The three roles as separate processes over real sockets: `model encrypt`, `serve`,
//! `denoise --connect`; the result equals the plaintext fixed-point denoiser's image.
//!
//! Expensive setup is paid once per binary: one 2048-bit key ([`production_key`]), one
//! encrypted upload of the tiny model ([`tiny_upload`], copied into each test's folder so that
//! every test starts from empty share stores), and one upload of the shipped model, whose
//! re-sharing serves both the Paillier and the RLWE run on it.

use crate::secure_common;

use secure_common::*;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// `gcc-nn model encrypt --user-key DIR` of the tiny model under this binary's key, run once
/// per test binary: the bytes of its `model.enc` and of the signing owner's `owner.pub`.
fn tiny_upload() -> &'static (Vec<u8>, Vec<u8>) {
    static UPLOAD: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    UPLOAD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tmp");
        let keys = dir.path().join("keys");
        std::fs::create_dir(&keys).expect("keys dir");
        write_key_files(&keys, production_key());
        encrypt_tiny_model(dir.path(), &keys);
        let upload = std::fs::read(dir.path().join("model.enc")).expect("model.enc");
        let owner = std::fs::read(owner_dir(dir.path()).join("owner.pub")).expect("owner.pub");
        (upload, owner)
    })
}

/// A fresh folder for one test: the key pair in `keys/`, `tiny.gccmlp`, its upload
/// `model.enc` and the public key of the owner who signed it, `owner/owner.pub` (no share
/// stores yet).
fn tiny_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir(d.join("keys")).expect("keys dir");
    write_key_files(&d.join("keys"), production_key());
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    let (upload, owner_pub) = tiny_upload();
    std::fs::write(d.join("model.enc"), upload).expect("model.enc");
    std::fs::create_dir(d.join("owner")).expect("owner dir");
    std::fs::write(d.join("owner").join("owner.pub"), owner_pub).expect("owner.pub");
    dir
}

#[test]
fn three_processes_denoise_exactly_like_the_plaintext_fixed_point_model() {
    // 2048-bit reference patches cost about a second each: a 4x3 crop.
    three_processes_match_plaintext("reference", (4, 3), &[]);
}

#[test]
fn three_processes_denoise_exactly_with_the_fast_protocol() {
    three_processes_match_plaintext("fast", (8, 6), &[]);
}

#[test]
fn three_processes_denoise_exactly_with_three_halves_garbling() {
    // The user's choice travels in the image header; the cloud (no option) follows it.
    let out = three_processes_match_plaintext("fast", (8, 6), &["--scheme", "three-halves"]);
    assert!(out.contains("fast: garbling scheme three-halves"), "{out}");
    assert!(out.contains("three-halves garbling"), "{out}");
}

#[test]
fn the_reference_protocol_with_three_halves_is_refused_before_connecting() {
    let dir = tiny_folder();
    let d = dir.path();
    save_sample_crop(d, 100, 80, 4, 3);
    // Nothing listens on this address: the refusal comes before any connection.
    let out = Command::new(BIN)
        .args(["denoise", "--connect", "127.0.0.1:9"])
        .args(["--key", &arg(&d.join("keys"), "paillier.key")])
        .args(["--owner-pub", &arg(&d.join("owner"), "owner.pub")])
        .args(["--protocol", "reference", "--scheme", "three-halves"])
        .args([&arg(d, "crop.png"), "-o", &arg(d, "out.png")])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("reference with three-halves garbling"),
        "{err}"
    );
    assert!(err.contains("half-gates only"), "{err}");
    assert!(
        !err.contains("127.0.0.1:9"),
        "no connection was tried: {err}"
    );
    assert!(!d.join("out.png").exists(), "nothing written");
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
    let dir = tiny_folder();
    let d = dir.path();
    let keys = d.join("keys");
    save_sample_crop(d, 60, 90, 7, 5);
    let plain = denoise_plain(d, true, "crop.png", "plain.png");
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "3"]);
    let denoise = |out: &str| {
        let (stdout, img) = denoise_connect(&addr, &keys, d, ("crop.png", out), &[]);
        assert_eq!(img, plain, "{out} differs from the plaintext");
        stdout
    };
    let first = denoise("first.png");
    assert!(first.contains("setup (re-sharing)"), "{first}");
    assert!(!first.contains("setup skipped"), "{first}");
    let user_files = files_ending(&keys, ".usershare");
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
/// loopback at 2048 bits (the shipped commands refuse smaller keys), one upload and one
/// server: `--protocol fast` runs the re-sharing, then `--protocol fast-rlwe` (linear layers
/// on ring-LWE) runs on the stored share pair. Both secure images equal the fixed-point
/// reference and `denoise --plain` pixel for pixel.
#[test]
fn fast_and_fast_rlwe_protocols_with_the_shipped_model_on_a_64x64_crop_equal_the_fixed_point_reference()
 {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_key_files(d, production_key());
    let clean = model::shipped::sample_image()
        .expect("sample")
        .crop(96, 64, 64, 64)
        .expect("crop");
    let noisy = model::metrics::add_noise(&clean, 25.0, 3);
    noisy.save_png(&d.join("noisy.png")).expect("png");
    run_ok(&[
        "model",
        "encrypt",
        "--user-key",
        &arg(d, "paillier.pub"),
        "--owner-key",
        &owner_dir(d).to_string_lossy(),
        "-o",
        &arg(d, "model.enc"),
    ]);
    let noisy = model::GrayImage::load(&d.join("noisy.png")).expect("noisy");
    let fixed = model::fixed::FixedMlp::from_model(
        &model::shipped::model().expect("model"),
        model::fixed::FIXED,
        activation::Activation::shipped("tanh_fit").expect("tanh_fit"),
    )
    .expect("fixed");
    let (reference, _) =
        model::denoise::denoise_fixed(&fixed, &noisy, fixed.stride).expect("reference");
    assert_eq!(reference.width(), 64);
    let reference = reference.to_u8();
    let plain = denoise_plain(d, false, "noisy.png", "plain.png");
    assert_eq!(
        plain, reference,
        "denoise --plain and the fixed-point reference differ"
    );

    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "2"]);
    let key = d.join("paillier.key");
    let run = |protocol: &str| {
        let out = format!("{protocol}.png");
        let (stdout, secure) = denoise_connect(
            &addr,
            &key,
            d,
            ("noisy.png", &out),
            &["--protocol", protocol],
        );
        assert_eq!(
            secure, reference,
            "{protocol}: secure and fixed-point images differ"
        );
        let width = model::GrayImage::load(&d.join(&out))
            .expect("secure")
            .width();
        assert_eq!(width, 64, "{protocol}");
        stdout
    };
    let fast = run("fast");
    assert!(fast.contains("setup (re-sharing)"), "{fast}");
    let rlwe = run("fast-rlwe");
    assert!(rlwe.contains("fast: linear layers on rlwe"), "{rlwe}");
    assert!(rlwe.contains("setup skipped"), "the pair is reused: {rlwe}");
}

/// Model owner, cloud and user as spawned processes under `protocol` (and the user's `extra`
/// options) on a `crop` (width, height) of the sample; the secure image equals `denoise
/// --plain` pixel for pixel. Returns the user's output.
fn three_processes_match_plaintext(protocol: &str, crop: (usize, usize), extra: &[&str]) -> String {
    let dir = tiny_folder();
    let d = dir.path();
    save_sample_crop(d, 100, 80, crop.0, crop.1);
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "1"]);
    let clean = arg(d, "crop.png");
    let (out, secure) = denoise_connect(
        &addr,
        &d.join("keys").join("paillier.key"),
        d,
        ("crop.png", "secure.png"),
        &[
            &[
                "--clean",
                clean.as_str(),
                "--chunk",
                "16",
                "--protocol",
                protocol,
            ][..],
            extra,
        ]
        .concat(),
    );
    assert!(out.contains("bytes:") && out.contains("PSNR"), "{out}");
    let plain = denoise_plain(d, true, "crop.png", "plain.png");
    assert_eq!(secure, plain, "secure and plaintext images differ");
    out
}

#[test]
fn the_cloud_refuses_a_corrupt_model_file_at_start() {
    let dir = tiny_folder();
    let d = dir.path();
    let mut bytes = std::fs::read(d.join("model.enc")).expect("read");
    let n = bytes.len();
    bytes[n / 3] ^= 1;
    std::fs::write(d.join("bad.enc"), bytes).expect("write");
    let out = Command::new(BIN)
        .args([
            "serve",
            "--owner-pub",
            &owner_dir(d).to_string_lossy(),
            "--model",
            &arg(d, "bad.enc"),
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("spawn");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.enc") && err.contains("checksum"), "{err}");
}
