//! Helpers shared by the command-line tests that spawn the real `gcc-nn` binary.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs `gcc-nn ARGS…` from the package directory and returns its output.
pub(crate) fn gcc_nn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the gcc-nn binary runs")
}

/// Lossy UTF-8 text of a captured stream.
pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The dB figure of the stdout line starting with `label` (third word of the line).
pub(crate) fn db(stdout: &str, label: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {stdout}"));
    line.split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad line {line}"))
}
