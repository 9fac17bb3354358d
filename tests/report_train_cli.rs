//! Safe defaults of `gcc-nn psnr-report` and `gcc-nn train`: inputs must be named, missing
//! or empty folders are errors naming them, output goes where the user says or into a new
//! run folder (never docs/ or over the shipped model).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gcc_nn_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the gcc-nn binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One folder `runs/<kind>-…` under `cwd`, and its path.
fn only_run_dir(cwd: &Path, kind: &str) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(cwd.join("runs"))
        .expect("runs/ created")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let name = dirs[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with(&format!("{kind}-20")), "{name}");
    dirs[0].clone()
}

/// A folder holding one small gray test image.
fn one_image_set(root: &Path) -> PathBuf {
    let set = root.join("set");
    std::fs::create_dir(&set).expect("mkdir");
    let img =
        image::GrayImage::from_fn(40, 30, |x, y| image::Luma([((x * 5 + y * 3) % 256) as u8]));
    img.save(set.join("ramp.png")).expect("write");
    set
}

#[test]
fn psnr_report_needs_a_set_and_refuses_missing_or_empty_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let out = gcc_nn_in(cwd, &["psnr-report"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--set <DIR>"),
        "{}",
        text(&out.stderr)
    );

    let missing = cwd.join("no-such-set");
    let out = gcc_nn_in(
        cwd,
        &[
            "psnr-report",
            "--set",
            &missing.to_string_lossy(),
            "-o",
            "r",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no-such-set"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "no table for missing data: {}",
        text(&out.stdout)
    );

    let empty = cwd.join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    std::fs::write(empty.join("notes.txt"), "not an image").expect("write");
    let out = gcc_nn_in(
        cwd,
        &["psnr-report", "--set", &empty.to_string_lossy(), "-o", "r"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("empty: no image files"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn psnr_report_writes_into_a_new_run_folder_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let set = one_image_set(cwd);
    let out = gcc_nn_in(cwd, &["psnr-report", "--set", &set.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("| set/ramp |"), "{stdout}");
    assert!(stdout.contains("| **set average** |"), "{stdout}");
    let run = only_run_dir(cwd, "psnr-report");
    assert!(run.join("set_ramp_fixed.png").is_file());
    assert!(run.join("denoise_comparison.png").is_file());
    assert!(!cwd.join("docs").exists(), "nothing written into docs/");
    // A second run gets its own folder.
    let out = gcc_nn_in(cwd, &["psnr-report", "--set", &set.to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_dir(cwd.join("runs")).expect("runs").count(),
        2
    );
}

#[test]
fn train_needs_data_and_never_replaces_files_silently() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let out = gcc_nn_in(cwd, &["train"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--data <DIR>"),
        "{}",
        text(&out.stderr)
    );

    let out = gcc_nn_in(cwd, &["train", "--data", "missing-data", "-o", "m.gccmlp"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("missing-data"),
        "{}",
        text(&out.stderr)
    );
    assert!(!cwd.join("m.gccmlp").exists());

    // An existing file needs --force; the shipped model is never replaced.
    let set = one_image_set(cwd);
    let existing = cwd.join("old.gccmlp");
    std::fs::write(&existing, b"previous model").expect("write");
    let args = |o: &Path, force: bool| {
        let mut a = vec![
            "train".to_string(),
            "--data".into(),
            set.to_string_lossy().into_owned(),
            "-o".into(),
            o.to_string_lossy().into_owned(),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        gcc_nn_in(cwd, &a)
    };
    let out = run(args(&existing, false));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("old.gccmlp: exists (pass --force"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&existing).expect("kept"), b"previous model");

    let shipped_copy = cwd.join("denoiser.gccmlp");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/denoiser.gccmlp");
    std::fs::copy(&shipped, &shipped_copy).expect("copy");
    let out = run(args(&shipped_copy, true));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("that is the shipped model"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&shipped_copy).expect("kept"),
        std::fs::read(&shipped).expect("shipped")
    );
}

#[test]
fn train_without_output_writes_a_new_run_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path();
    let set = one_image_set(cwd);
    let out = gcc_nn_in(
        cwd,
        &[
            "train",
            "--data",
            &set.to_string_lossy(),
            "--steps",
            "2",
            "--batch",
            "4",
            "--hidden",
            "4",
            "--input-patch",
            "5",
            "--output-patch",
            "1",
            "--stride",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let run = only_run_dir(cwd, "train");
    let model = run.join("denoiser.gccmlp");
    assert!(
        text(&out.stdout).contains(&model.file_name().expect("f").to_string_lossy().into_owned())
    );
    let bytes = std::fs::read(&model).expect("model written");
    assert!(bytes.starts_with(b"GCCNNMLP"), "a model file");
}
