//! Shared fixtures of the secure-protocol tests: a tiny model, small keys, a served model.
#![allow(dead_code)]

use model::fixed::{FIXED, FixedMlp};
use model::mlp::{Dense, Mlp};
use paillier::SecretKey;
use protocol::session::client::{Session, connect_with_policy, handshake_with_policy};
use protocol::session::serve::{CloudState, ServeOptions, serve};
use protocol::session::{KeyPolicy, ProtocolKind, SessionError};
use protocol::upload::{EncryptedModel, OwnerKey};
use runtime::channel::Channel;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use transport::{ClientTransport, Link};

/// A 3x3 → 4 → 1x1 model with weights spread so that some pre-activations saturate the
/// activation and others stay in its curved pieces.
pub(crate) fn tiny_mlp() -> Mlp {
    let w1: Vec<f32> = (0..36)
        .map(|k| ((k * 37 % 23) as f32 - 11.0) / 9.0)
        .collect();
    let b1 = vec![0.3, -0.7, 0.05, 1.2];
    let w2 = vec![0.8, -1.1, 0.45, -0.3];
    let b2 = vec![-0.1];
    Mlp::new(
        3,
        1,
        1,
        25.0,
        vec![
            Dense {
                inputs: 9,
                outputs: 4,
                weights: w1,
                bias: b1,
            },
            Dense {
                inputs: 4,
                outputs: 1,
                weights: w2,
                bias: b2,
            },
        ],
    )
    .expect("tiny model")
}

/// The fixed-point reference of the tiny model.
pub(crate) fn tiny_fixed() -> FixedMlp {
    FixedMlp::from_model(
        &tiny_mlp(),
        FIXED,
        activation::Activation::shipped("tanh_fit").expect("tanh_fit"),
    )
    .expect("fixed model")
}

/// A small test key (insecure size, fast): only for in-process library runs under
/// [`KeyPolicy::InsecureTestKeys`]; every shipped command refuses it.
pub(crate) fn small_key(bits: u32) -> SecretKey {
    SecretKey::generate_any_size(bits, &mut rand::rng()).expect("key")
}

/// The one 2048-bit key pair of this test binary (production size, what the shipped
/// commands accept), generated on first use and shared by its tests.
pub(crate) fn production_key() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| SecretKey::generate(2048, &mut rand::rng()).expect("2048-bit key"))
}

/// Writes `sk` as `dir/paillier.pub` and `dir/paillier.key` (what `gcc-nn keygen` writes).
pub(crate) fn write_key_files(dir: &Path, sk: &SecretKey) {
    std::fs::write(dir.join("paillier.pub"), sk.public_key().to_bytes()).expect("pub");
    std::fs::write(dir.join("paillier.key"), &*sk.to_bytes()).expect("key");
}

/// The model owner's signing key of the in-process tests (fixed: every upload and every
/// check of these tests agree on it).
pub(crate) fn test_owner() -> OwnerKey {
    OwnerKey::from_seed(&[0x0a; 32])
}

/// The tests' upload, signed by [`test_owner`]: any key size (the library's test path;
/// `model encrypt` refuses small keys).
pub(crate) fn encrypt_test_key(fixed: &FixedMlp, sk: &SecretKey) -> EncryptedModel {
    EncryptedModel::encrypt_with_rng(fixed, sk.public_key(), &test_owner(), &mut rand::rng())
        .expect("encrypt")
}

/// A client connection under the tests' key policy (small keys; `denoise --connect` cannot).
pub(crate) fn connect_test_key(
    addr: &str,
    sk: &SecretKey,
    kind: ProtocolKind,
    timeout: Duration,
    wait: Duration,
) -> Result<Session<Link>, SessionError> {
    let plain = ClientTransport::InsecurePlaintext;
    let owner = test_owner().public();
    let policy = KeyPolicy::InsecureTestKeys;
    connect_with_policy(&plain, addr, sk, &owner, kind, timeout, wait, policy)
}

/// A handshake on `ch` under the tests' key policy.
pub(crate) fn handshake_test_key<C: Channel>(
    ch: C,
    sk: &SecretKey,
    kind: ProtocolKind,
) -> Result<Session<C>, SessionError> {
    handshake_with_policy(
        ch,
        sk,
        &test_owner().public(),
        kind,
        KeyPolicy::InsecureTestKeys,
    )
}

/// Quantised patches covering the input range: extremes, zero and a spread in between.
pub(crate) fn test_patches(n: usize) -> Vec<Vec<i64>> {
    let max = (FIXED.input_clamp * f64::from(1u32 << FIXED.fa)) as i64;
    (0..n)
        .map(|k| {
            (0..9)
                .map(|j| match (k + j) % 5 {
                    0 => max,
                    1 => -max,
                    2 => 0,
                    _ => ((k as i64 * 7919 + j as i64 * 104_729) % (2 * max)) - max,
                })
                .collect()
        })
        .collect()
}

/// Log lines of a server.
pub(crate) type Lines = Arc<Mutex<Vec<String>>>;

/// Serves `enc` on a free loopback port in a background thread (the library's serve loop
/// under the tests' key policy, so small keys work); returns the address and the server's
/// log lines.
pub(crate) fn spawn_server(enc: EncryptedModel, opts: ServeOptions) -> (String, Lines) {
    let owner = test_owner().public();
    let state = CloudState::with_key_policy(enc, &owner, KeyPolicy::InsecureTestKeys)
        .expect("servable model");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let lines: Lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        let log = Arc::new(move |l: String| sink.lock().expect("log").push(l));
        serve(&listener, Arc::new(state), &opts, log).expect("serve");
    });
    (addr, lines)
}

/// The `gcc-nn` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_gcc-nn");

/// Runs `gcc-nn ARGS…`, asserts success and returns its stdout.
pub(crate) fn run_ok(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("spawn");
    assert!(
        out.status.success(),
        "gcc-nn {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A spawned `gcc-nn serve`, killed when dropped.
pub(crate) struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The TLS identities of the CLI tests in `d`: `d/tls/cloud.{key,crt}`, `d/tls/user.{key,crt}`
/// and `d/tls/allow.txt` naming the user, created on first use (`gcc-nn cloud-identity`,
/// `user-identity`, `fingerprint`).
pub(crate) fn tls_dir(d: &Path) -> std::path::PathBuf {
    let dir = d.join("tls");
    if !dir.join("allow.txt").exists() {
        let dir_arg = dir.to_string_lossy().into_owned();
        run_ok(&["cloud-identity", "-o", &dir_arg]);
        run_ok(&["user-identity", "-o", &dir_arg]);
        let fp = run_ok(&["fingerprint", &arg(&dir, "user.crt")]);
        std::fs::write(dir.join("allow.txt"), format!("{} test-user\n", fp.trim()))
            .expect("allow list");
    }
    dir
}

/// The model owner's key pair of the CLI tests in `d`: `d/owner/owner.{key,pub}`, created on
/// first use (`gcc-nn model owner-key`).
pub(crate) fn owner_dir(d: &Path) -> std::path::PathBuf {
    let dir = d.join("owner");
    if !dir.join("owner.pub").exists() {
        run_ok(&["model", "owner-key", "-o", &dir.to_string_lossy()]);
    }
    dir
}

/// Starts `gcc-nn serve --model MODEL --listen 127.0.0.1:0 EXTRA…` over TLS (the identities of
/// [`tls_dir`] beside MODEL) and returns it with the address it listens on (its first stdout
/// line).
pub(crate) fn start_server(model: &Path, extra: &[&str]) -> (Server, String) {
    start_server_env(model, extra, &[])
}

/// [`start_server`] with extra environment variables for the server process.
pub(crate) fn start_server_env(
    model: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Server, String) {
    let tls = tls_dir(model.parent().expect("model dir"));
    let mut child = Command::new(BIN)
        .args(["serve", "--model"])
        .arg(model)
        .args(["--listen", "127.0.0.1:0"])
        .arg("--identity")
        .arg(&tls)
        .arg("--allow-users")
        .arg(tls.join("allow.txt"))
        .arg("--owner-pub")
        .arg(owner_dir(model.parent().expect("model dir")))
        .args(extra)
        .envs(env.iter().copied())
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

/// `dir/file` as a command-line argument.
pub(crate) fn arg(dir: &Path, file: &str) -> String {
    dir.join(file).to_string_lossy().into_owned()
}

/// Saves the tiny model as `d/tiny.gccmlp` and encrypts it under `user_key` (a key file or
/// its directory) into `d/model.enc` with `gcc-nn model encrypt` (the model owner's step).
pub(crate) fn encrypt_tiny_model(d: &Path, user_key: &Path) {
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    run_ok(&[
        "model",
        "encrypt",
        "--model",
        &arg(d, "tiny.gccmlp"),
        "--user-key",
        &user_key.to_string_lossy(),
        "--owner-key",
        &owner_dir(d).to_string_lossy(),
        "-o",
        &arg(d, "model.enc"),
    ]);
}

/// Saves the `w`×`h` crop of the shipped sample at (`x`, `y`) as `d/crop.png`.
pub(crate) fn save_sample_crop(d: &Path, x: usize, y: usize, w: usize, h: usize) {
    model::shipped::sample_image()
        .expect("sample")
        .crop(x, y, w, h)
        .expect("crop")
        .save_png(&d.join("crop.png"))
        .expect("png");
}

/// The 8-bit pixels of the image file at `path`.
pub(crate) fn pixels(path: &Path) -> Vec<u8> {
    model::GrayImage::load(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_u8()
}

/// `gcc-nn denoise --plain [--model d/tiny.gccmlp] d/INPUT -o d/OUT` (the shipped model when
/// `tiny` is false); returns the output's 8-bit pixels.
pub(crate) fn denoise_plain(d: &Path, tiny: bool, input: &str, out: &str) -> Vec<u8> {
    let model = arg(d, "tiny.gccmlp");
    let (input_arg, out_arg) = (arg(d, input), arg(d, out));
    let mut args = vec!["denoise", "--plain"];
    if tiny {
        args.extend(["--model", model.as_str()]);
    }
    args.extend([input_arg.as_str(), "-o", out_arg.as_str()]);
    run_ok(&args);
    pixels(&d.join(out))
}

/// `gcc-nn denoise --connect ADDR --key KEY d/INPUT -o d/OUT EXTRA…` (the user's step, over
/// TLS with the identities of [`tls_dir`]); returns its stdout and the output's 8-bit pixels.
pub(crate) fn denoise_connect(
    addr: &str,
    key: &Path,
    d: &Path,
    (input, out): (&str, &str),
    extra: &[&str],
) -> (String, Vec<u8>) {
    let key = key.to_string_lossy();
    let (input_arg, out_arg) = (arg(d, input), arg(d, out));
    let tls = tls_dir(d);
    let (identity, cert) = (tls.to_string_lossy().into_owned(), arg(&tls, "cloud.crt"));
    let owner = owner_dir(d).to_string_lossy().into_owned();
    let mut args = vec![
        "denoise",
        "--connect",
        addr,
        "--key",
        key.as_ref(),
        input_arg.as_str(),
        "-o",
        out_arg.as_str(),
        "--identity",
        identity.as_str(),
        "--cloud-cert",
        cert.as_str(),
        "--owner-pub",
        owner.as_str(),
    ];
    args.extend(extra);
    let stdout = run_ok(&args);
    (stdout, pixels(&d.join(out)))
}
