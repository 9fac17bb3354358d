//! The model file names its activation (format v3) and every command follows it: `denoise
//! --plain` and `cost` run the model's own activation by default and refuse an explicit one
//! that disagrees, naming both (nothing written); `model encrypt` refuses it before reading
//! any key; `gcc-nn model upgrade` converts a version-2 file bit for bit and refuses what it
//! cannot convert.

use crate::cli_common;

use cli_common::{gcc_nn, text};
use model::mlp::MODEL_FILE_V2;
use std::path::Path;

const RELU: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/denoiser_relu.gccmlp");

/// `gcc-nn ARGS…` that must fail: its stderr (no panic).
fn refused(args: &[&str]) -> String {
    let out = gcc_nn(args);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "gcc-nn {args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn denoise_plain_runs_the_models_activation_and_refuses_another() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let clean = model::shipped::sample_image()
        .expect("sample")
        .crop(40, 40, 24, 24)
        .expect("crop");
    model::metrics::add_noise(&clean, 25.0, 2)
        .save_png(&d.join("noisy.png"))
        .expect("png");
    let noisy = model::GrayImage::load(&d.join("noisy.png")).expect("noisy");
    let (input, out) = (d.join("noisy.png"), d.join("out.png"));
    let (input, out) = (input.to_string_lossy(), out.to_string_lossy());
    let plain = |extra: &[&str]| {
        let mut args = vec!["denoise", "--plain", "--model", RELU, &input, "-o", &out];
        args.extend(extra);
        args.push("--json");
        gcc_nn(&args)
    };
    let o = plain(&[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["activation"], "relu");
    let relu = model::shipped::relu_model().expect("relu");
    let reference = |act: &str| {
        let a = activation::Activation::shipped(act).expect("activation");
        let f = model::fixed::FixedMlp::from_model(&relu, model::fixed::FIXED, a).expect("fixed");
        model::denoise::denoise_fixed(&f, &noisy, relu.stride)
            .expect("denoise")
            .0
            .to_u8()
    };
    let written = model::GrayImage::load(&d.join("out.png"))
        .expect("out")
        .to_u8();
    assert_eq!(written, reference("relu"));
    // What a tanh_fit run would have given instead (the silent error of format v2).
    assert_ne!(written, reference("tanh_fit"));
    std::fs::remove_file(d.join("out.png")).expect("rm");

    let err = text(&plain(&["--activation", "tanh_fit"]).stderr);
    assert!(
        err.contains("tanh_fit") && err.contains("relu") && err.contains("disagrees"),
        "{err}"
    );
    assert!(!d.join("out.png").exists(), "nothing written");
    // The model's own, named explicitly, is accepted.
    let o = plain(&["--activation", "relu"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn cost_and_model_encrypt_follow_the_models_activation() {
    let out = gcc_nn(&["cost", RELU, "--side", "256", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["activation"], "relu");
    let err = refused(&["cost", RELU, "--activation", "gelu"]);
    assert!(err.contains("gelu") && err.contains("relu"), "{err}");
    // --shape has no model file: any activation.
    let out = gcc_nn(&[
        "cost",
        "--shape",
        "13,64,5",
        "--activation",
        "gelu",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // model encrypt: refused on the activation before any key is read (none exists here).
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let owner = d.join("owner");
    let o = gcc_nn(&["model", "owner-key", "-o", &owner.to_string_lossy()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let enc = d.join("model.enc");
    let err = refused(&[
        "model",
        "encrypt",
        "--model",
        RELU,
        "--user-key",
        &d.join("no-such-key").to_string_lossy(),
        "--owner-key",
        &owner.to_string_lossy(),
        "--activation",
        "tanh_fit",
        "-o",
        &enc.to_string_lossy(),
    ]);
    assert!(err.contains("tanh_fit") && err.contains("relu"), "{err}");
    assert!(!enc.exists(), "nothing written");
}

#[test]
fn model_upgrade_converts_a_version_2_file_bit_for_bit() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let v3 = model::shipped::RELU_MODEL_BYTES;
    // The version-2 file of the same model: its body without the activation section.
    let v2 = MODEL_FILE_V2.seal(&v3[20 + 1 + 4 + 32..v3.len() - 32]);
    std::fs::write(d.join("old.gccmlp"), &v2).expect("write");
    let p = |f: &str| d.join(f).to_string_lossy().into_owned();

    // Refused where it is used, with the command that converts it.
    let err = refused(&[
        "denoise",
        "--plain",
        "--model",
        &p("old.gccmlp"),
        "-o",
        &p("x.png"),
    ]);
    assert!(
        err.contains("format version 2") && err.contains("gcc-nn model upgrade"),
        "{err}"
    );
    assert!(!Path::new(&p("x.png")).exists());

    let out = gcc_nn(&[
        "model",
        "upgrade",
        &p("old.gccmlp"),
        "--activation",
        "relu",
        "-o",
        &p("new.gccmlp"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("activation relu"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read(d.join("new.gccmlp")).expect("new"), v3);

    // An existing output needs --force; a v3 file has nothing to convert.
    let again = [
        "model",
        "upgrade",
        &p("old.gccmlp"),
        "--activation",
        "relu",
        "-o",
        &p("new.gccmlp"),
    ];
    assert!(refused(&again).contains("exists (pass --force"));
    let err = refused(&[
        "model",
        "upgrade",
        &p("new.gccmlp"),
        "--activation",
        "relu",
        "-o",
        &p("newer.gccmlp"),
    ]);
    assert!(
        err.contains("already version 3") && err.contains("relu"),
        "{err}"
    );
    assert!(!d.join("newer.gccmlp").exists());
    // Not a model at all: the decoder's message.
    std::fs::write(d.join("junk.gccmlp"), b"not a model, just bytes").expect("write");
    let err = refused(&[
        "model",
        "upgrade",
        &p("junk.gccmlp"),
        "--activation",
        "relu",
        "-o",
        &p("j.gccmlp"),
    ]);
    assert!(err.contains("not a gcc-nn model"), "{err}");
}
