//! The three roles as separate processes over real sockets: `model encrypt`, `serve`,
//! `denoise --connect`; the result equals the plaintext fixed-point denoiser's image.

mod secure_common;

use secure_common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gcc-nn");

fn run_ok(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("spawn");
    assert!(
        out.status.success(),
        "gcc-nn {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(model: &Path, extra: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--model"])
        .arg(model)
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (Server(child), addr)
}

fn write_keys(dir: &Path) {
    write_keys_of(dir, 512);
}

fn write_keys_of(dir: &Path, bits: u32) {
    let sk = small_key(bits);
    std::fs::write(dir.join("paillier.pub"), sk.public_key().to_bytes()).expect("pub");
    std::fs::write(dir.join("paillier.key"), &*sk.to_bytes()).expect("key");
}

#[test]
fn three_processes_denoise_exactly_like_the_plaintext_fixed_point_model() {
    three_processes_match_plaintext("reference", 512);
}

#[test]
fn three_processes_denoise_exactly_with_the_fast_protocol() {
    three_processes_match_plaintext("fast", 1024);
}

/// Model owner, cloud and user as spawned processes under `protocol`; the secure image
/// equals `denoise --plain` pixel for pixel.
fn three_processes_match_plaintext(protocol: &str, key_bits: u32) {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_keys_of(d, key_bits);
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    let crop = model::shipped::sample_image()
        .expect("sample")
        .crop(100, 80, 8, 6)
        .expect("crop");
    crop.save_png(&d.join("crop.png")).expect("png");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    run_ok(&[
        "model",
        "encrypt",
        "--model",
        &p("tiny.gccmlp"),
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
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    run_ok(&[
        "model",
        "encrypt",
        "--model",
        &p("tiny.gccmlp"),
        "--user-key",
        &p("paillier.pub"),
        "-o",
        &p("model.enc"),
    ]);
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
