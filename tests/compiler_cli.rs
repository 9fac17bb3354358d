//! `gcc-nn compile` and `gcc-nn report` end to end: files written, read back, same function.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gcc-nn");
const TANH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/circuits/tanh.dsl");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().expect("gcc-nn runs")
}

fn tanh_of_half(c: &compiler::Circuit) -> u128 {
    compiler::simulate::simulate_raw(c, &[vec![2048]])[0][0]
}

fn interpreter_tanh_of_half() -> u128 {
    let src = std::fs::read_to_string(TANH).expect("tanh.dsl");
    let program = dsl::check(&src, "tanh.dsl").expect("checks");
    dsl::interpret(&program, &[2048]).expect("runs")[0]
}

#[test]
fn compile_writes_bristol_with_side_file_and_binary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bristol = dir.path().join("tanh.bristol");
    let out = run(&["compile", TANH, "-o", bristol.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut c =
        compiler::bristol::read_fashion(&std::fs::read_to_string(&bristol).expect("written"))
            .expect("valid Bristol Fashion");
    let meta = compiler::meta::meta_path(&bristol);
    compiler::meta::apply(&mut c, &std::fs::read_to_string(&meta).expect("side file"))
        .expect("applies");
    assert_eq!(c.inputs[0].party, Some(compiler::Party::Garbler));
    assert_eq!(tanh_of_half(&c), interpreter_tanh_of_half());

    let bin = dir.path().join("tanh.bin");
    let out = run(&[
        "compile",
        TANH,
        "-o",
        bin.to_str().expect("utf-8"),
        "--format",
        "binary",
    ]);
    assert!(out.status.success());
    let c = compiler::binary::read(&std::fs::read(&bin).expect("written")).expect("valid binary");
    assert_eq!(tanh_of_half(&c), interpreter_tanh_of_half());

    // report works on all three and agrees on the AND count.
    let and_count = |file: &Path| {
        let out = run(&["report", "--json", file.to_str().expect("utf-8")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v["stats"]["and_gates"].as_u64().expect("and_gates")
    };
    let n = and_count(Path::new(TANH));
    assert_eq!(and_count(&bristol), n);
    assert_eq!(and_count(&bin), n);
}

#[test]
fn pass_switches_and_overrides_change_the_circuit() {
    let ands_of = |file: &str, extra: &[&str]| {
        let mut args = vec!["report", "--json", file];
        args.extend_from_slice(extra);
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        (
            v["stats"]["and_gates"].as_u64().expect("ands"),
            v["outputs"][0]["format"].to_string(),
        )
    };
    let ands = |extra: &[&str]| ands_of(TANH, extra);
    let (all, format) = ands(&[]);
    assert!(ands(&["--no-range"]).0 > all);
    assert!(ands(&["--no-fusion"]).0 > all);
    // Shared signed-digit pairs: tanh_fine's exact constant products have them (tanh*'s
    // truncated products do not: their rows are different words).
    let fine = TANH.replace("tanh.dsl", "tanh_fine.dsl");
    assert!(ands_of(&fine, &["--no-shared-rows"]).0 > ands_of(&fine, &[]).0);
    // tanh* has no redundant select: the switch is accepted and changes nothing.
    assert_eq!(ands(&["--no-redundant-selects"]).0, all);
    let (_, narrower) = ands(&["-D", "FA=10"]);
    assert_ne!(format, narrower, "-D FA=10 changes the activation format");
}

#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.dsl");
    std::fs::write(&bad, "input garbler x: int<4>;\noutput y: int<4> = x +;\n").expect("write");
    let out = run(&["compile", bad.to_str().expect("utf-8"), "-o", "/dev/null"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.dsl:2:"),
        "names file and line"
    );
    let junk = dir.path().join("junk.bristol");
    std::fs::write(&junk, "3 5\n2 1 1\n1 1\n2 1 0 1 2 NAND\n").expect("write");
    let out = run(&["report", junk.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn huge_declared_sizes_and_failed_writes_are_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A 24-byte Bristol file declaring 10^11 gates.
    let huge = dir.path().join("huge.bristol");
    std::fs::write(&huge, "99999999999 3\n2 1 1\n1 1\n").expect("write");
    let out = run(&["report", huge.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gate count 99999999999 exceeds the limit"),
        "{err}"
    );
    // An output in a missing directory: an error, and nothing (not even a temporary file)
    // is left behind anywhere in the temp dir.
    let missing = dir.path().join("no/such/dir/tanh.bristol");
    let out = run(&["compile", TANH, "-o", missing.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
    let bin = dir.path().join("tanh.bin");
    let out = run(&[
        "compile",
        TANH,
        "-o",
        bin.to_str().expect("utf-8"),
        "--format",
        "binary",
    ]);
    assert!(out.status.success());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["huge.bristol", "tanh.bin"],
        "no temporary files remain"
    );
}
