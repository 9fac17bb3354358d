//! Model format version 3 names the activation (name and SHA-256 of its DSL source): the
//! shipped models name theirs, a version-2 file is refused with the upgrade command and
//! converts bit for bit, a bad activation section is refused naming the field, and the rule
//! of a run's activation (the model's own; an explicit one only if its source agrees).

use activation::Activation;
use gcc_nn_model::mlp::{MODEL_FILE, MODEL_FILE_V2};
use gcc_nn_model::{Mlp, ModelActivation, ModelError, shipped};

/// The body of a model file (between the envelope's header and its checksum).
fn body(file: &[u8]) -> &[u8] {
    &file[20..file.len() - 32]
}

/// The activation section as the format defines it: name length, name, SHA-256.
fn section(name: &[u8], sha256: &[u8; 32]) -> Vec<u8> {
    let mut s = vec![name.len() as u8];
    s.extend_from_slice(name);
    s.extend_from_slice(sha256);
    s
}

/// A DSL activation that is not a shipped one (ReLU's source with a comment added).
fn custom_relu() -> Activation {
    let relu = activation::SHIPPED
        .iter()
        .find(|(n, _, _)| *n == "relu")
        .expect("relu")
        .2;
    Activation::from_source("my_relu", &format!("// my own\n{relu}"), "my_relu.dsl")
        .expect("checks")
}

#[test]
fn the_shipped_models_name_their_activations_in_the_file() {
    let default = shipped::model().expect("default model");
    let relu = shipped::relu_model().expect("relu model");
    // The bytes on disk carry the section (not only the decoded struct).
    let tanh_fit = ModelActivation::shipped("tanh_fit").expect("tanh_fit");
    let relu_act = ModelActivation::shipped(shipped::RELU_MODEL_ACTIVATION).expect("relu");
    assert!(body(shipped::MODEL_BYTES).starts_with(&section(b"tanh_fit", &tanh_fit.sha256())));
    assert!(body(shipped::RELU_MODEL_BYTES).starts_with(&section(b"relu", &relu_act.sha256())));
    assert_eq!(default.activation, tanh_fit);
    assert_eq!(relu.activation, relu_act);
    // Without an explicit activation each runs its own.
    assert_eq!(
        default.activation_for(None).expect("own").name(),
        "tanh_fit"
    );
    assert_eq!(relu.activation_for(None).expect("own").name(), "relu");
    // Written back, the files are byte for byte what is shipped.
    assert_eq!(default.to_bytes(), shipped::MODEL_BYTES);
    assert_eq!(relu.to_bytes(), shipped::RELU_MODEL_BYTES);
}

#[test]
fn a_version_2_file_is_refused_with_the_upgrade_command_and_converts_bit_for_bit() {
    let relu = shipped::relu_model().expect("relu model");
    let v3 = shipped::RELU_MODEL_BYTES;
    let n = 1 + "relu".len() + 32;
    let v2 = MODEL_FILE_V2.seal(&body(v3)[n..]);
    assert_eq!(Mlp::file_version(&v2), Some(2));
    let e = Mlp::from_bytes(&v2, "old.gccmlp").expect_err("v2 refused");
    let msg = e.to_string();
    for want in [
        "old.gccmlp",
        "format version 2",
        "names no activation",
        "gcc-nn model upgrade",
        "--activation",
    ] {
        assert!(msg.contains(want), "{want}: {msg}");
    }
    let act = ModelActivation::shipped("relu").expect("relu");
    let back = Mlp::from_v2_bytes(&v2, "old.gccmlp", act).expect("converts");
    assert_eq!(back, relu);
    assert_eq!(
        back.to_bytes(),
        v3,
        "the converted file is the shipped v3 file"
    );
    // A v3 file is not a v2 one.
    let e = Mlp::from_v2_bytes(v3, "new", ModelActivation::shipped("relu").expect("relu"))
        .expect_err("v3 is not v2");
    assert!(e.to_string().contains("format version 3"), "{e}");
}

#[test]
fn a_bad_activation_section_is_refused_naming_the_field() {
    let file = shipped::MODEL_BYTES;
    let rest = &body(file)[1 + "tanh_fit".len() + 32..];
    let sha = ModelActivation::shipped("tanh_fit")
        .expect("tanh_fit")
        .sha256();
    let with = |section: Vec<u8>| {
        let mut b = section;
        b.extend_from_slice(rest);
        match Mlp::from_bytes(&MODEL_FILE.seal(&b), "m.gccmlp") {
            Err(e @ ModelError::BadModelFile { .. }) => e.to_string(),
            other => panic!("expected a model file error, got {other:?}"),
        }
    };
    let e = with(section(b"", &sha));
    assert!(e.contains("activation name: 0 bytes"), "{e}");
    let e = with(section(&[b'a'; 65], &sha));
    assert!(
        e.contains("activation name: 65 bytes, outside 1..=64"),
        "{e}"
    );
    let e = with(section(b"tan\xffh", &sha));
    assert!(e.contains("activation name is not UTF-8"), "{e}");
    let e = with(section(b"tanh\n_fit", &sha));
    assert!(e.contains("control character"), "{e}");
    // A name length beyond the body.
    let e = match Mlp::from_bytes(&MODEL_FILE.seal(&[200, b'a']), "short") {
        Err(e) => e.to_string(),
        Ok(m) => panic!("read {m:?}"),
    };
    assert!(e.contains("activation name"), "{e}");
    // Another hash under the same name reads (the name and hash are what the file says) but
    // does not run without the activation's own source.
    let mut other = sha;
    other[0] ^= 1;
    let mut b = section(b"tanh_fit", &other);
    b.extend_from_slice(rest);
    let m = Mlp::from_bytes(&MODEL_FILE.seal(&b), "m").expect("reads");
    let e = m.activation_for(None).expect_err("no such source");
    assert!(e.to_string().contains("has another source"), "{e}");
    let e = m
        .activation_for(Some(Activation::shipped("tanh_fit").expect("tanh_fit")))
        .expect_err("the shipped source disagrees");
    assert!(matches!(e, ModelError::ActivationMismatch { .. }), "{e}");
}

#[test]
fn an_explicit_activation_runs_only_if_its_source_is_the_models() {
    let relu = shipped::relu_model().expect("relu model");
    let e = relu
        .activation_for(Some(Activation::shipped("tanh_fit").expect("tanh_fit")))
        .expect_err("disagrees");
    let msg = e.to_string();
    assert!(
        msg.contains("tanh_fit") && msg.contains("relu"),
        "names both: {msg}"
    );
    assert!(msg.contains("circuits/tanh_fit.dsl"), "{msg}");
    let same = relu
        .activation_for(Some(Activation::shipped("relu").expect("relu")))
        .expect("agrees");
    assert_eq!(same.name(), "relu");

    // A user-written DSL activation is pinned by its hash.
    let mine = custom_relu();
    let m = relu
        .clone()
        .with_activation(ModelActivation::of(&mine).expect("name"));
    let back = Mlp::from_bytes(&m.to_bytes(), "mine").expect("round trip");
    assert_eq!(back.activation.name(), "my_relu");
    let e = back.activation_for(None).expect_err("not shipped");
    assert!(
        e.to_string().contains("my_relu") && e.to_string().contains("--activation FILE.dsl"),
        "{e}"
    );
    assert_eq!(
        back.activation_for(Some(mine.clone()))
            .expect("its file")
            .sha256(),
        mine.sha256()
    );
    // The shipped relu (another source) is not it.
    let e = back
        .activation_for(Some(Activation::shipped("relu").expect("relu")))
        .expect_err("other source");
    assert!(e.to_string().contains("my_relu"), "{e}");
}

#[test]
fn models_built_in_memory_are_for_tanh_fit_unless_told_otherwise() {
    let m = shipped::model().expect("model");
    let fresh = Mlp::new(
        m.input_patch,
        m.output_patch,
        m.stride,
        m.sigma,
        m.layers.clone(),
    )
    .expect("model");
    assert_eq!(fresh.activation.name(), "tanh_fit");
    let r = fresh.with_activation(ModelActivation::shipped("relu").expect("relu"));
    assert_eq!(r.activation_for(None).expect("own").name(), "relu");
    let e = ModelActivation::shipped("swish").expect_err("unknown");
    assert!(e.to_string().contains("swish"), "{e}");
}

#[test]
fn the_float_baseline_of_a_relu_model_is_relu_and_tracks_its_fixed_point_network() {
    use gcc_nn_model::denoise::{FloatActivation, denoise_fixed, denoise_float};
    use gcc_nn_model::fixed::{FIXED, FixedMlp};
    use gcc_nn_model::metrics::{add_noise, psnr};
    let m = shipped::relu_model().expect("relu model");
    let clean = shipped::sample_image()
        .and_then(|i| i.crop(0, 0, 64, 64))
        .expect("crop");
    let noisy = add_noise(&clean, 25.0, 1);
    let baseline = FloatActivation::trained_for(&m.activation);
    assert_eq!(baseline, FloatActivation::Relu);
    assert_eq!(
        FloatActivation::trained_for(&shipped::model().expect("model").activation),
        FloatActivation::Tanh
    );
    let fixed =
        FixedMlp::from_model(&m, FIXED, m.activation_for(None).expect("own")).expect("fixed");
    let fixed_psnr = psnr(
        &clean,
        &denoise_fixed(&fixed, &noisy, m.stride).expect("fixed").0,
    )
    .expect("psnr");
    let float_psnr = psnr(
        &clean,
        &denoise_float(&m, &noisy, m.stride, baseline).expect("float"),
    )
    .expect("psnr");
    // Fixed point follows the network it approximates to a few hundredths of a dB...
    assert!(
        (float_psnr - fixed_psnr).abs() < 0.1,
        "{float_psnr} vs {fixed_psnr}"
    );
    // ...and tanh in place of ReLU (the old baseline) is another network altogether.
    let tanh_psnr = psnr(
        &clean,
        &denoise_float(&m, &noisy, m.stride, FloatActivation::Tanh).expect("float tanh"),
    )
    .expect("psnr");
    assert!(fixed_psnr - tanh_psnr > 1.0, "{tanh_psnr} vs {fixed_psnr}");
}
