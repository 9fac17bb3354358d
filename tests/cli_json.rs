//! `--json`: each listed command prints exactly one JSON object on stdout with the fields
//! docs/cli.md documents, and its figures agree with the text output; the renamed options
//! (`-o/--output`, `--timeout`, `--wait`) keep their old spellings as hidden aliases; a
//! disagreement on `--reveal` is reported in the command line's words.

use serde_json::Value;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli_common;
use cli_common::{gcc_nn, text};

/// The one JSON object a successful run printed (nothing else on stdout).
fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.trim().lines().count(), 1, "one line: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn eval_json_gives_each_output_as_the_text_mode_does() {
    let args = ["eval", "circuits/tanh.dsl", "--input", "x=0.5"];
    let plain = text(&gcc_nn(&args).stdout);
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let v = json_of(&gcc_nn(&with_json));
    assert_eq!(v["file"], "circuits/tanh.dsl");
    let outputs = v["outputs"].as_array().expect("outputs");
    assert_eq!(outputs.len(), 1, "{v}");
    let o = &outputs[0];
    let (name, value, raw, ty) = (
        o["name"].as_str().expect("name"),
        o["value"].as_str().expect("value"),
        o["raw"].as_str().expect("raw"),
        o["type"].as_str().expect("type"),
    );
    assert_eq!(ty, "fixed<16, 12>");
    // tanh(0.5) = 0.4621…; the paper's tanh* gives 0.448.
    let x: f64 = value.parse().expect("decimal");
    assert!((x - 0.4621).abs() < 0.02, "{v}");
    assert_eq!(
        plain.trim(),
        format!("{name} = {value}  (raw {raw}, {ty})"),
        "the text line carries the same figures"
    );
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gcc-nn")
}

/// Waits for `child` at most a minute.
fn finish(mut child: Child) -> Output {
    let t0 = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("a party did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Garbler and evaluator of circuits/tanh.dsl (x = 0.5 from the garbler) with their
/// `--reveal` settings, over plain TCP (the JSON output is what is checked here).
fn tanh_pair(garbler_reveal: &str, evaluator_reveal: &str, json: bool) -> (Output, Output) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut g = vec![
        "garbler",
        "--circuit",
        "circuits/tanh.dsl",
        "--listen",
        &addr,
        "--input",
        "x=0.5",
        "--reveal",
        garbler_reveal,
        "--timeout-secs",
        "30",
        "--insecure-plaintext",
    ];
    let mut e = vec![
        "evaluator",
        "--circuit",
        "circuits/tanh.dsl",
        "--connect",
        &addr,
        "--retry",
        "20",
        "--reveal",
        evaluator_reveal,
        "--insecure-plaintext",
    ];
    if json {
        g.push("--json");
        e.push("--json");
    }
    let g = spawn(&g);
    let e = spawn(&e);
    (finish(g), finish(e))
}

#[test]
fn garbler_and_evaluator_json_objects_agree() {
    let (g, e) = tanh_pair("both", "both", true);
    let (g, e) = (json_of(&g), json_of(&e));
    assert_eq!(
        (g["role"].as_str(), e["role"].as_str()),
        (Some("garbler"), Some("evaluator"))
    );
    for v in [&g, &e] {
        let outputs = v["outputs"].as_array().expect("both learn the outputs");
        assert_eq!(outputs.len(), 1, "one instance: {v}");
        let y: f64 = outputs[0][0]["value"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("decimal output");
        assert!((y - 0.4621).abs() < 0.02, "{v}");
        assert!(v["ands"].as_u64().expect("ands") > 0);
        assert_eq!(v["ands"], v["ands_per_instance"]);
        assert_eq!(v["instances"], 1);
        assert!(v["seconds"].as_f64().expect("seconds") > 0.0);
        assert!(!v["phases"].as_array().expect("phases").is_empty());
    }
    // What one side sends, the other receives.
    assert_eq!(g["bytes"]["sent"], e["bytes"]["received"]);
    assert_eq!(g["bytes"]["received"], e["bytes"]["sent"]);
    assert_eq!(g["ots"], e["ots"]);
    // With the default reveal the garbler learns nothing: its outputs are null.
    let (g, e) = tanh_pair("evaluator", "evaluator", true);
    assert!(json_of(&g)["outputs"].is_null());
    assert!(json_of(&e)["outputs"].is_array());
}

#[test]
fn a_reveal_mismatch_is_named_in_command_line_words() {
    let (g, e) = tanh_pair("both", "evaluator", false);
    for out in [&g, &e] {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    }
    let all = format!("{}{}", text(&g.stderr), text(&e.stderr));
    assert!(all.contains("disagree on who learns the outputs"), "{all}");
    assert!(
        all.contains("--reveal both") && all.contains("--reveal evaluator"),
        "{all}"
    );
    assert!(
        !all.contains("code") && !all.contains("Both"),
        "no Debug text: {all}"
    );
}

#[test]
fn bench_gc_json_has_a_rate_per_measurement() {
    let v = json_of(&gcc_nn(&[
        "bench-gc", "--ands", "2000", "--ots", "20000", "--reps", "1", "--json",
    ]));
    let circuits = v["circuits"].as_array().expect("circuits");
    assert_eq!(circuits.len(), 1, "{v}");
    assert_eq!(circuits[0]["ands"], 2000);
    for m in ["garble_memory", "evaluate_memory", "loopback_tcp"] {
        assert!(
            circuits[0][m]["wall"].as_f64().expect("wall") > 0.0,
            "{m}: {v}"
        );
    }
    assert!(v["iknp_cot"]["wall"].as_f64().expect("ot wall") > 0.0);
    assert_eq!(v["ots"], 20000);
    assert_eq!(v["bytes_per_and"].as_f64(), Some(32.0));
}

#[test]
fn denoise_plain_json_reports_the_image_and_its_quality() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_png = dir.path().join("d.png");
    let out_png = out_png.to_string_lossy();
    let v = json_of(&gcc_nn(&[
        "denoise", "--plain", "--sigma", "25", "-o", &out_png, "--json",
    ]));
    assert_eq!(v["mode"], "plain");
    assert!(v["input"].is_null(), "the shipped sample: {v}");
    assert_eq!(v["output"], out_png.as_ref());
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(256), Some(256))
    );
    assert_eq!(v["format"], "PNG");
    assert_eq!(v["activation"], "tanh_fit");
    let noisy = v["quality"]["noisy_psnr_db"].as_f64().expect("noisy");
    let denoised = v["quality"]["denoised_psnr_db"].as_f64().expect("denoised");
    assert!((noisy - 20.6).abs() < 0.5, "σ = 25: {v}");
    assert!(denoised > noisy + 4.0, "{v}");
    assert!(std::path::Path::new(out_png.as_ref()).exists());
    // The text mode prints the same figures, with the PSNR definition stated.
    let text_out = text(&gcc_nn(&["denoise", "--plain", "--sigma", "25", "-o", &out_png]).stdout);
    assert!(
        text_out.contains(&format!("noisy    PSNR {noisy:.2} dB")),
        "{text_out}"
    );
    assert!(
        text_out.contains(&format!("denoised PSNR {denoised:.2} dB")),
        "{text_out}"
    );
    assert!(text_out.contains("8-bit images"), "{text_out}");
    // Without a reference, quality is null.
    let v = json_of(&gcc_nn(&["denoise", "--plain", "-o", &out_png, "--json"]));
    assert!(v["quality"].is_null(), "{v}");
}

#[test]
fn old_option_spellings_still_work_and_the_new_ones_are_shown() {
    // `--wait-secs` (now `--wait`) and `--timeout-secs` reach the key check, not a usage error.
    for old in [["--wait-secs", "0"], ["--timeout-secs", "5"]] {
        let mut args = vec![
            "denoise",
            "--connect",
            "127.0.0.1:9",
            "--key",
            "no-such-key",
            "assets/camera256.png",
        ];
        args.extend(old);
        let out = gcc_nn(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{old:?}: {err}");
        assert!(err.contains("no-such-key"), "{old:?}: {err}");
    }
    // keygen --out and psnr-report --out-dir are now -o/--output.
    let dir = tempfile::tempdir().expect("tmp");
    let keys = dir.path().join("k");
    let out = gcc_nn(&["keygen", "--out", &keys.to_string_lossy(), "--bits", "1024"]);
    assert!(
        text(&out.stderr).contains("1024-bit"),
        "{}",
        text(&out.stderr)
    );
    let help = text(&gcc_nn(&["denoise", "--help"]).stdout);
    assert!(
        help.contains("--wait <SECS>") && help.contains("--timeout <SECS>"),
        "{help}"
    );
    assert!(
        !help.contains("--wait-secs"),
        "old spellings are hidden: {help}"
    );
    let help = text(&gcc_nn(&["serve", "--help"]).stdout);
    assert!(help.contains("--timeout <SECS>") && help.contains("--session-limit <SECS>"));
    for cmd in ["keygen", "demo", "psnr-report"] {
        let help = text(&gcc_nn(&[cmd, "--help"]).stdout);
        assert!(help.contains("-o, --output"), "{cmd}: {help}");
    }
}

#[test]
fn text_output_uses_the_languages_words_not_rust_debug() {
    // `check`: parties by name.
    let out = gcc_nn(&["check", "circuits/output_pixel.dsl"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains(" garbler") && stdout.contains(" evaluator"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("Garbler") && !stdout.contains("Evaluator"),
        "{stdout}"
    );
    // `report`: value formats as DSL types (`uint<40>`), never `Signed { width: … }`.
    let out = gcc_nn(&["report", "circuits/output_pixel.dsl"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("su: uint<40> (garbler)"), "{stdout}");
    assert!(
        !stdout.contains("width:") && !stdout.contains('{'),
        "{stdout}"
    );
}
