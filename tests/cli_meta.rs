//! What a newcomer types first: `gcc-nn --version` (version and git commit) and
//! `gcc-nn completions SHELL`, spawning the real binary.

use std::process::Command;

use crate::cli_common;
use cli_common::{gcc_nn, text};

#[test]
fn version_names_the_package_version_and_the_commit() {
    let out = gcc_nn(&["--version"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    let want = format!("gcc-nn {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&want), "{line}");
    let commit = line
        .trim_end()
        .strip_prefix(&want)
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("`gcc-nn X.Y.Z (commit C)` expected: {line}"));
    if commit == "unknown" {
        return; // built outside a git checkout (a source tarball)
    }
    assert!(
        commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{commit:?}"
    );
    // When git can see the repository, the commit is one of its commits.
    let known = Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "cat-file", "-e"])
        .arg(format!("{commit}^{{commit}}"))
        .output();
    if let Ok(known) = known
        && Command::new("git")
            .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
            .output()
            .is_ok_and(|o| o.status.success())
    {
        assert!(known.status.success(), "{commit} is not a commit here");
    }
}

#[test]
fn completion_scripts_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef gcc-nn"),
        ("fish", "complete -c gcc-nn"),
    ] {
        let out = gcc_nn(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        // The subcommands and their flags are in it.
        for word in ["denoise", "demo", "check", "completions", "--sigma"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let out = gcc_nn(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("tcsh"));
}
