//! Every flag does something or is refused, spawning the real binary: `denoise --connect`
//! refuses the plain-mode flags, plain mode refuses the secure-only ones and honours
//! `--clean`; a closed stdout ends a command quietly with status 0 (no panic).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::cli_common;
use cli_common::{db, gcc_nn, text};

/// Asserts the command failed without panicking and its stderr names every one of `words`.
fn refused(out: &Output, words: &[&str]) {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap usage error expected: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    for w in words {
        assert!(err.contains(w), "stderr must name {w}: {err}");
    }
}

#[test]
fn connect_refuses_the_plain_mode_flags() {
    // Port 9 (discard) on loopback: nothing listens, but clap refuses before any connect.
    let base = [
        "denoise",
        "--connect",
        "127.0.0.1:9",
        "--key",
        "nokey",
        "assets/camera256.png",
    ];
    let cases: [(&[&str], &str); 7] = [
        (&["--sigma", "25"], "--sigma"),
        (&["--activation", "tanh-star"], "--activation"),
        (&["--float"], "--float"),
        (&["--stride", "3"], "--stride"),
        (&["--model", "assets/denoiser.gccmlp"], "--model"),
        (&["--plain"], "--plain"),
        (&["--seed", "2"], "--seed"),
    ];
    for (extra, flag) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = gcc_nn(&args);
        refused(&out, &["--connect", flag, "cannot be used with"]);
    }
}

#[test]
fn plain_mode_refuses_the_secure_only_flags() {
    let base = ["denoise", "--plain", "assets/camera256.png", "-o", "x.png"];
    let cases: [&[&str]; 7] = [
        &["--protocol", "reference"],
        &["--chunk", "4"],
        &["--wait", "1"],
        &["--timeout", "5"],
        &["--share", "s.share"],
        &["--no-share"],
        &["--key", "k"],
    ];
    for extra in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let out = gcc_nn(&args);
        refused(&out, &[extra[0], "--plain", "cannot be used with"]);
    }
}

#[test]
fn conflicting_plain_flags_are_refused() {
    let base = ["denoise", "--plain", "assets/camera256.png", "-o", "x.png"];
    let cases: [(&[&str], [&str; 2]); 4] = [
        (
            &["--float", "--activation", "tanh-star"],
            ["--float", "--activation"],
        ),
        (
            &["--sigma", "25", "--clean", "assets/camera256.png"],
            ["--sigma", "--clean"],
        ),
        (&["--seed", "4"], ["--seed", "--sigma"]),
        (
            &["--seed", "4", "--clean", "assets/camera256.png"],
            ["--seed", "--clean"],
        ),
    ];
    for (extra, words) in cases {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        refused(&gcc_nn(&args), &words);
    }
}

/// Writes the shipped sample with deterministic noise of amplitude ±20 as an 8-bit PNG.
fn noisy_copy(dir: &Path) -> std::path::PathBuf {
    let clean = image::open(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/camera256.png"))
        .expect("sample")
        .to_luma8();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noisy = image::GrayImage::from_fn(clean.width(), clean.height(), |x, y| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let v = i32::from(clean.get_pixel(x, y)[0]) + (state % 41) as i32 - 20;
        image::Luma([v.clamp(0, 255) as u8])
    });
    let p = dir.join("noisy.png");
    noisy.save(&p).expect("write noisy");
    p
}

#[test]
fn plain_mode_measures_against_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let noisy = noisy_copy(dir.path());
    let out_png = dir.path().join("out.png");
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        &noisy.to_string_lossy(),
        "--clean",
        "assets/camera256.png",
        "-o",
        &out_png.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let (n, d) = (db(&stdout, "noisy"), db(&stdout, "denoised"));
    // Uniform noise on ±20 (σ ≈ 11.8, a little clipped): about 26.7 dB.
    assert!((n - 26.7).abs() < 0.6, "{stdout}");
    assert!(d > n + 1.0, "denoising must help: {stdout}");
    // Without --clean no PSNR is printed (there is nothing to measure against).
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        &noisy.to_string_lossy(),
        "-o",
        &out_png.to_string_lossy(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("PSNR"), "{}", text(&out.stdout));

    // A reference of another size is a clear error naming it and both sizes.
    let small = dir.path().join("small.png");
    image::GrayImage::new(64, 32).save(&small).expect("write");
    let out = gcc_nn(&[
        "denoise",
        "--plain",
        &noisy.to_string_lossy(),
        "--clean",
        &small.to_string_lossy(),
        "-o",
        &out_png.to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("--clean")
            && err.contains("small.png")
            && err.contains("64x32")
            && err.contains("256x256"),
        "{err}"
    );
}

/// Runs `args` with stdout connected to a pipe whose read end is already closed, so the
/// first write fails with EPIPE.
fn with_closed_stdout(args: &[&str], cwd: &Path) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args(args)
        .current_dir(cwd)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("runs")
}

#[test]
fn closed_stdout_exits_quietly_with_status_0() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let out_png = dir.path().join("o.png");
    let out_png = out_png.to_string_lossy();
    let commands: [&[&str]; 3] = [
        &["check", "--ir", "circuits/tanh.dsl"],
        &["eval", "circuits/tanh.dsl", "--input", "x=0.5"],
        &["denoise", "--plain", "-o", &out_png],
    ];
    for args in commands {
        let out = with_closed_stdout(args, root);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            err.is_empty() || !err.contains("panicked"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
    // psnr-report writes its table through an io::Write (cmd::Stdout), not outln!.
    let set = dir.path().join("set");
    std::fs::create_dir(&set).expect("mkdir");
    image::GrayImage::from_fn(20, 20, |x, y| image::Luma([(x * 9 + y) as u8]))
        .save(set.join("a.png"))
        .expect("write");
    let report_dir = dir.path().join("report");
    let out = with_closed_stdout(
        &[
            "psnr-report",
            "--set",
            &set.to_string_lossy(),
            "-o",
            &report_dir.to_string_lossy(),
        ],
        root,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "psnr-report: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    // The same commands really print: with a live stdout they write something.
    let out = gcc_nn(&["check", "--ir", "circuits/tanh.dsl"]);
    assert!(out.status.success() && out.stdout.len() > 100);
}
