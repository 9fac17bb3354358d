//! Every shipped model securely, as spawned processes of the real binary: the model owner's
//! `gcc-nn model encrypt` (no `--activation`: the model file names it, and the upload's signed
//! header must carry that activation), the cloud's `gcc-nn serve` and the user's `gcc-nn
//! denoise --connect` over loopback TLS on a small crop; the user's image equals the
//! fixed-point reference of the model with its own activation, and `denoise --plain`, pixel
//! for pixel.
//!
//! Key size: a 2048-bit upload and re-sharing of a whole shipped model costs over a minute
//! per model, so these processes get 512-bit keys through `GCC_NN_INSECURE_TEST_KEYS=1`,
//! which only a debug build (what `cargo test` builds) honours; release builds have no code
//! reading it (src/cmd/keys.rs, docs/cli.md "Test builds"). The default model also runs at
//! 2048 bits in `tests/secure_cli.rs`.

use crate::secure_common;

use model::Mlp;
use secure_common::{Server, arg, owner_dir, pixels, start_server_env, tls_dir, write_key_files};
use std::path::Path;
use std::process::{Command, Output};

/// The environment variable of the debug builds' small-key allowance.
const TEST_KEYS: (&str, &str) = ("GCC_NN_INSECURE_TEST_KEYS", "1");

/// The user's key: 512 bits (insecure size; the fast setup packs 5 slots of 91 bits).
fn small_key() -> paillier::SecretKey {
    paillier::SecretKey::generate_any_size(512, &mut rand::rng()).expect("key")
}

/// `gcc-nn ARGS…` with the small-key allowance; its output.
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args(args)
        .env(TEST_KEYS.0, TEST_KEYS.1)
        .output()
        .expect("spawn")
}

/// [`run`], asserting success; its stdout.
fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "gcc-nn {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `gcc-nn serve --model d/model.enc` over TLS with the small-key allowance, for one
/// connection; returns it with its address.
fn serve(d: &Path) -> (Server, String) {
    start_server_env(
        &d.join("model.enc"),
        &["--max-connections", "1"],
        &[TEST_KEYS],
    )
}

/// Model owner, cloud and user as processes on a `side`×`side` crop of the noisy sample with
/// the shipped model file `file` (`mlp` decoded), which names `activation`.
fn secure_run_equals_reference(file: &str, mlp: &Mlp, activation: &str, side: usize) {
    assert_eq!(mlp.activation.name(), activation, "the file names it");
    let model_file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(file);
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_key_files(d, &small_key());
    let clean = model::shipped::sample_image()
        .expect("sample")
        .crop(90, 70, side, side)
        .expect("crop");
    model::metrics::add_noise(&clean, 25.0, 4)
        .save_png(&d.join("noisy.png"))
        .expect("png");

    let encrypt = run_ok(&[
        "model",
        "encrypt",
        "--model",
        &model_file.to_string_lossy(),
        "--user-key",
        &arg(d, "paillier.pub"),
        "--owner-key",
        &owner_dir(d).to_string_lossy(),
        "-o",
        &arg(d, "model.enc"),
    ]);
    assert!(encrypt.contains("512-bit key"), "{encrypt}");
    // The signed header carries the activation the model file names: name and source hash.
    let upload = protocol::upload::EncryptedModel::load(&d.join("model.enc")).expect("upload");
    assert_eq!(upload.header.activation.name(), activation);
    assert_eq!(upload.header.activation.sha256(), mlp.activation.sha256());

    // The reference: the model's own activation on the noisy PNG's 8-bit pixels.
    let noisy = model::GrayImage::load(&d.join("noisy.png")).expect("noisy");
    let fixed = model::fixed::FixedMlp::from_model(
        mlp,
        model::fixed::FIXED,
        mlp.activation_for(None).expect("own activation"),
    )
    .expect("fixed point");
    let reference = model::denoise::denoise_fixed(&fixed, &noisy, mlp.stride)
        .expect("reference")
        .0
        .to_u8();
    assert_eq!(reference.len(), side * side);
    // `denoise --plain` of the file without --activation runs the same network.
    run_ok(&[
        "denoise",
        "--plain",
        "--model",
        &model_file.to_string_lossy(),
        &arg(d, "noisy.png"),
        "-o",
        &arg(d, "plain.png"),
    ]);
    assert_eq!(pixels(&d.join("plain.png")), reference, "denoise --plain");

    let (_server, addr) = serve(d);
    let tls = tls_dir(d);
    let user = run_ok(&[
        "denoise",
        "--connect",
        &addr,
        "--key",
        &arg(d, "paillier.key"),
        "--owner-pub",
        &owner_dir(d).to_string_lossy(),
        "--identity",
        &tls.to_string_lossy(),
        "--cloud-cert",
        &arg(&tls, "cloud.crt"),
        "--no-share",
        &arg(d, "noisy.png"),
        "-o",
        &arg(d, "secure.png"),
    ]);
    assert!(user.contains("fast: linear layers on rlwe"), "{user}");
    assert_eq!(
        pixels(&d.join("secure.png")),
        reference,
        "{file}: the secure image differs from the fixed-point reference"
    );
}

#[test]
fn the_default_model_securely_as_processes_equals_its_fixed_point_reference() {
    let mlp = model::shipped::model().expect("model");
    secure_run_equals_reference("denoiser.gccmlp", &mlp, "tanh_fit", 16);
}

#[test]
fn the_relu_model_securely_as_processes_equals_its_fixed_point_reference() {
    let mlp = model::shipped::relu_model().expect("relu model");
    secure_run_equals_reference("denoiser_relu.gccmlp", &mlp, "relu", 16);
}

/// The allowance is opt-in: without the variable the same debug binary refuses the small
/// key at once (`model encrypt` names the key and its size), nothing written.
#[test]
fn without_the_variable_small_keys_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_key_files(d, &small_key());
    let out = Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args(["model", "encrypt", "--user-key", &arg(d, "paillier.pub")])
        .args(["--owner-key", &owner_dir(d).to_string_lossy()])
        .args(["-o", &arg(d, "model.enc")])
        .env_remove(TEST_KEYS.0)
        .output()
        .expect("spawn");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("user's public key") && err.contains("512"),
        "{err}"
    );
    assert!(!d.join("model.enc").exists(), "nothing written");
}
