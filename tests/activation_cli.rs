//! Any DSL activation end to end, through spawned processes at production key size (one
//! 2048-bit key for the binary): the model owner encrypts with `--activation circuits/gelu.dsl`,
//! the cloud compiles GELU's wrappers from the source in the encrypted model's header, the
//! user gets the same source in the handshake (no `--activation` on its side), and the secure
//! image equals `denoise --plain --activation circuits/gelu.dsl` pixel for pixel. A file with
//! the wrong interface, an unknown name and an oversized source are refused, named, with no
//! output written.

use crate::secure_common;

use secure_common::*;
use std::path::Path;
use std::process::Command;

/// `gcc-nn ARGS…` from the repository root (so `circuits/gelu.dsl` resolves).
fn gcc_nn(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("spawn")
}

fn ok(args: &[&str]) -> String {
    let out = gcc_nn(args);
    assert!(
        out.status.success(),
        "gcc-nn {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(args: &[&str]) -> String {
    let out = gcc_nn(args);
    assert!(!out.status.success(), "gcc-nn {args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Saves the tiny model as `d/tiny.gccmlp`, made for the activation of the DSL file `dsl`
/// (model format v3 names it: `model encrypt` and `denoise --plain` accept only that source).
fn save_tiny_for(d: &Path, dsl: &Path) {
    let act = activation::Activation::from_file(dsl).expect("activation");
    tiny_mlp()
        .with_activation(model::ModelActivation::of(&act).expect("name"))
        .save(&d.join("tiny.gccmlp"))
        .expect("model");
}

/// `d/tiny.gccmlp` made for GELU, the sample's 4x3 crop `d/crop.png` (12 patches: a 2048-bit
/// reference patch costs about a second), the key pair in `d`.
fn setup(d: &Path) {
    write_key_files(d, production_key());
    save_tiny_for(
        d,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/gelu.dsl"),
    );
    model::shipped::sample_image()
        .expect("sample")
        .crop(100, 80, 4, 3)
        .expect("crop")
        .save_png(&d.join("crop.png"))
        .expect("png");
}

/// `gcc-nn model encrypt` of `d/tiny.gccmlp` under `d/paillier.pub` with `--activation ACT`
/// into `d/model.enc`, run through `check` ([`ok`] or [`refused`]).
fn encrypt(d: &Path, act: &str, check: fn(&[&str]) -> String) -> String {
    check(&[
        "model",
        "encrypt",
        "--model",
        &arg(d, "tiny.gccmlp"),
        "--user-key",
        &arg(d, "paillier.pub"),
        "--owner-key",
        &owner_dir(d).to_string_lossy(),
        "--activation",
        act,
        "-o",
        &arg(d, "model.enc"),
    ])
}

fn plain(d: &Path, activation: &str, out: &str) -> Vec<u8> {
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    ok(&[
        "denoise",
        "--plain",
        "--model",
        &p("tiny.gccmlp"),
        "--activation",
        activation,
        &p("crop.png"),
        "-o",
        &p(out),
    ]);
    model::GrayImage::load(&d.join(out)).expect("plain").to_u8()
}

#[test]
fn gelu_from_a_dsl_file_runs_securely_and_equals_denoise_plain() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    setup(d);
    encrypt(d, "circuits/gelu.dsl", ok);
    let (_server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "2"]);
    let gelu = plain(d, "circuits/gelu.dsl", "plain_gelu.png");
    for protocol in ["fast", "reference"] {
        let (summary, secure) = denoise_connect(
            &addr,
            &d.join("paillier.key"),
            d,
            ("crop.png", &format!("{protocol}.png")),
            &["--chunk", "16", "--no-share", "--protocol", protocol],
        );
        assert!(summary.contains("bytes:"), "{summary}");
        assert_eq!(
            secure, gelu,
            "{protocol}: secure GELU and denoise --plain differ"
        );
    }
    // The activation mattered: the same weights made for the shipped default (tanh_fit)
    // give another image.
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    assert_ne!(
        plain(d, "tanh_fit", "plain_fit.png"),
        gelu,
        "GELU and tanh_fit agree"
    );
}

#[test]
fn a_wrong_interface_activation_file_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    write_key_files(d, production_key());
    tiny_mlp().save(&d.join("tiny.gccmlp")).expect("model");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    // Checks as DSL, but maps uint<8> → uint<8>, not fixed<16, 12> → fixed<16, 12>.
    std::fs::write(
        d.join("byte_act.dsl"),
        "input garbler x: uint<8>;\noutput y: uint<8> = x + 1;\n",
    )
    .expect("write");
    let encrypt = |act: &str| encrypt(d, act, refused);
    let err = encrypt(&p("byte_act.dsl"));
    assert!(
        err.contains("byte_act.dsl") && err.contains("--activation"),
        "{err}"
    );
    assert!(!d.join("model.enc").exists(), "nothing written");
    let err = refused(&[
        "denoise",
        "--plain",
        "--activation",
        &p("byte_act.dsl"),
        "-o",
        &p("x.png"),
    ]);
    assert!(err.contains("byte_act.dsl"), "{err}");
    assert!(!d.join("x.png").exists(), "nothing written");
    // An unknown name lists the shipped ones.
    let err = encrypt("swish");
    assert!(err.contains("swish") && err.contains("gelu"), "{err}");
    // A valid activation whose source exceeds what a model header carries (32 KiB).
    let relu =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/relu.dsl"))
            .expect("relu.dsl");
    let padding = "// padding\n".repeat(4000);
    std::fs::write(d.join("long_relu.dsl"), format!("{padding}{relu}")).expect("write");
    // The model is made for it (else the disagreement would be refused first).
    save_tiny_for(d, &d.join("long_relu.dsl"));
    let err = encrypt(&p("long_relu.dsl"));
    assert!(
        err.contains("long_relu.dsl") && err.contains("limit"),
        "{err}"
    );
    assert!(!d.join("model.enc").exists(), "nothing written");
}

#[test]
fn psnr_report_compares_the_activations_it_is_given() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir(d.join("set")).expect("set dir");
    model::shipped::sample_image()
        .expect("sample")
        .crop(64, 64, 32, 32)
        .expect("crop")
        .save_png(&d.join("set").join("crop.png"))
        .expect("png");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();
    let (set, r1, r2) = (p("set"), p("r1"), p("r2"));
    let report = |extra: &[&str], out: &str| {
        let mut args = vec!["psnr-report", "--set", &set, "-o", out];
        args.extend(extra);
        ok(&args)
    };
    let table = report(
        &["--activation", "relu", "--activation", "circuits/gelu.dsl"],
        &r1,
    );
    assert!(
        table.contains(
            "| image | noisy | float tanh | fixed relu | gap | fixed gelu | gap | gelu 8-bit |"
        ),
        "{table}"
    );
    let row = table
        .lines()
        .find(|l| l.starts_with("| set/crop |"))
        .unwrap_or_else(|| panic!("no row in {table}"));
    assert_eq!(row.matches('|').count(), 9, "{row}");
    // Without --activation: the README's table (tanh*, then tanh_fit).
    let table = report(&[], &r2);
    assert!(
        table.contains(
            "| image | noisy | float tanh | fixed tanh* | gap | fixed tanh_fit | gap | tanh_fit 8-bit |"
        ),
        "{table}"
    );
}
