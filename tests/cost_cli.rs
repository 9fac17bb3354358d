//! `gcc-nn cost` and `gcc-nn front`: the cost of the shipped model as JSON, errors for an
//! image below one patch, and the front plot written from a results file (or refused with
//! the line and column of a bad value, nothing written).

use crate::cli_common;

use cli_common::{gcc_nn, text};

#[test]
fn cost_of_the_shipped_model_and_of_the_relu_model() {
    let out = gcc_nn(&["cost", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["macs_per_patch"], 41_216);
    assert_eq!(v["images"][0]["patches"], 2_704);
    assert_eq!(v["images"][1]["side"], 512);
    let tanh_s = v["images"][0]["seconds_fast_rlwe"]
        .as_f64()
        .expect("seconds");
    let paillier_s = v["images"][0]["seconds_fast_paillier"]
        .as_f64()
        .expect("seconds");
    assert!(paillier_s > 5.0 * tanh_s, "{paillier_s} vs {tanh_s}");

    let relu = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/denoiser_relu.gccmlp");
    let out = gcc_nn(&[
        "cost",
        relu,
        "--activation",
        "relu",
        "--side",
        "256",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(r["activation"], "relu");
    // The ReLU model: twice the width (more MACs), a far cheaper activation circuit (fewer
    // activation ANDs per image although it has twice the activations).
    let num = |v: &serde_json::Value, k: &str| v["images"][0][k].as_u64().expect(k);
    assert!(num(&r, "macs") > 2 * num(&v, "macs"), "{r} vs {v}");
    assert_eq!(num(&r, "activations"), 2 * num(&v, "activations"));
    assert!(
        num(&r, "activation_ands") < num(&v, "activation_ands"),
        "{r} vs {v}"
    );
    let relu_s = r["images"][0]["seconds_fast_rlwe"]
        .as_f64()
        .expect("seconds");
    assert!(relu_s > 0.0 && tanh_s > 0.0, "{relu_s} {tanh_s}");
}

#[test]
fn cost_refuses_an_image_below_one_patch() {
    let out = gcc_nn(&["cost", "--side", "8"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("8x8"), "{}", text(&out.stderr));
}

#[test]
fn front_writes_an_svg_or_names_the_bad_value() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("front.csv");
    std::fs::write(
        &csv,
        "name,five_secure,seconds_512,status\na,29.18,177,shipped default\nb,29.51,120,\n",
    )
    .expect("csv");
    let svg = dir.path().join("front.svg");
    let p = |x: &std::path::Path| x.to_string_lossy().into_owned();
    let out = gcc_nn(&["front", &p(&csv), "-o", &p(&svg)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = std::fs::read_to_string(&svg).expect("svg written");
    assert!(body.starts_with("<svg") && body.contains("b (29.51 dB, 2.0 min)"));

    std::fs::write(&csv, "name,five_secure,seconds_512,status\na,x,177,\n").expect("csv");
    let bad = dir.path().join("bad.svg");
    let out = gcc_nn(&["front", &p(&csv), "-o", &p(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("line 2: five_secure `x`"),
        "{}",
        text(&out.stderr)
    );
    assert!(!bad.exists(), "nothing written");
}

/// `gcc-nn front --predict` prices each row from its shape columns with the cost model: the
/// shipped model's row gets what `gcc-nn cost` says of the model file itself, the seconds of
/// the wrong row are replaced, the rest of the file is kept; a row whose shape cannot be
/// read is refused with its line, and nothing is written.
#[test]
fn front_predict_rewrites_the_seconds_from_the_shape_columns() {
    let out = gcc_nn(&["cost", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let secs = |i: usize| {
        format!(
            "{:.1}",
            v["images"][i]["seconds_fast_rlwe"].as_f64().expect("s")
        )
    };
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("front.csv");
    let svg = dir.path().join("front.svg");
    let head = "# a comment\nname,hidden,input_patch,output_patch,stride,secure_activation,five_secure,seconds_256,seconds_512,status\n";
    std::fs::write(
        &csv,
        format!("{head}shipped,128-128,13,5,5,tanh_fit,29.18,1,2,shipped default\nrelu,256-256,13,5,5,relu,29.51,1,2,\n"),
    )
    .expect("write");
    let (c, s) = (csv.to_string_lossy(), svg.to_string_lossy());
    let out = gcc_nn(&["front", &c, "--predict", "-o", &s]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rewritten = std::fs::read_to_string(&csv).expect("csv");
    assert!(rewritten.starts_with(head), "{rewritten}");
    let row = |name: &str| -> Vec<String> {
        rewritten
            .lines()
            .find(|l| l.starts_with(&format!("{name},")))
            .unwrap_or_else(|| panic!("no row {name}: {rewritten}"))
            .split(',')
            .map(str::to_string)
            .collect()
    };
    assert_eq!(row("shipped")[7..9], [secs(0), secs(1)]);
    assert_eq!(row("shipped")[6], "29.18");
    let relu: Vec<f64> = row("relu")[7..9]
        .iter()
        .map(|v| v.parse().expect("number"))
        .collect();
    assert!(relu[0] > 1.0 && relu[1] > 2.0 * relu[0], "{relu:?}");
    assert!(svg.exists());

    std::fs::write(
        &csv,
        format!("{head}bad,128-x,13,5,5,tanh_fit,29.18,1,2,\n"),
    )
    .expect("write");
    std::fs::remove_file(&svg).expect("rm");
    let out = gcc_nn(&["front", &c, "--predict", "-o", &s]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("hidden") && err.contains("128-x"),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(&csv)
            .expect("csv")
            .contains(",1,2,"),
        "unchanged"
    );
    assert!(!svg.exists(), "nothing written");
}
