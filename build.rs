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
    if ours {
        // Rebuild when HEAD moves: HEAD itself (branch switches), the branch's ref, and
        // packed-refs. Only existing files are named (a missing one would rerun every build).
        let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
        if let Some(r) = git(&dir, &["symbolic-ref", "-q", "HEAD"]) {
            watched.push(r);
        }
        for name in watched {
            if let Some(p) = git(
                &dir,
                &["rev-parse", "--path-format=absolute", "--git-path", &name],
            ) && Path::new(&p).exists()
            {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
}
