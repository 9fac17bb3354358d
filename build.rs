//! Build script: records the git commit this binary is built from, for `gcc-nn --version`.
//! Outside a git checkout of this repository (a source tarball, `cargo install` from a
//! package) the commit is "unknown"; the build never fails for want of git.

use std::path::Path;
use std::process::Command;

/// `git ARGS` run in the package directory: trimmed stdout if it succeeded and is not empty.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| std::path::PathBuf::from("."), std::path::PathBuf::from);
    // Only this repository's own checkout counts, not an enclosing one the sources sit in.
    let ours = git(&dir, &["rev-parse", "--show-toplevel"])
        .and_then(|top| Path::new(&top).canonicalize().ok())
        .zip(dir.canonicalize().ok())
        .is_some_and(|(top, dir)| top == dir);
    let commit = ours
        .then(|| git(&dir, &["rev-parse", "--short", "HEAD"]))
        .flatten();
    println!(
        "cargo:rustc-env=GCC_NN_GIT_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
    // Rebuild when HEAD moves (a commit, a branch switch), whether or not git ran this
    // time: HEAD, the branch refs and packed-refs. Only existing paths are named (a missing
    // one would rerun every build).
    let dot_git = dir.join(".git");
    for name in ["HEAD", "refs/heads", "packed-refs"] {
        let p = dot_git.join(name);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}
