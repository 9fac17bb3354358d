//! Every integration-test file is compiled. A crate with `autotests = false` (one test binary
//! per crate: one link instead of one per file, and all its tests run in parallel) names its
//! binaries as `[[test]]` targets, and cargo silently skips any file under `tests/` that no
//! binary declares. So every `.rs` file under such a crate's `tests/` (outside the `data/`
//! and `fixtures/` folders) must be reachable from one of its `[[test]]` roots through `mod`
//! declarations (`mod x;`, `#[path = "…"] mod x;`).
//!
//! The check runs on the real workspace and, as a negative control, on a small synthetic
//! crate with an undeclared test file and an undeclared helper folder.

use crate::architecture::{synthetic, workspace_root};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The folders of the workspace's packages: the root package's and every member's.
pub(crate) fn packages(root: &Path) -> Vec<PathBuf> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).expect("workspace Cargo.toml");
    let members = manifest
        .split_once("members")
        .and_then(|(_, rest)| rest.split_once('['))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .expect("a members list");
    let mut out = vec![root.to_path_buf()];
    for m in members.split(',') {
        let m = m.trim().trim_matches('"');
        if !m.is_empty() {
            out.push(root.join(m));
        }
    }
    out
}

/// `path` with `.` and `dir/..` removed (no file system access).
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// The value of a `key = "value"` line.
fn string_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
    rest.trim()
        .strip_prefix('"')?
        .split_once('"')
        .map(|(v, _)| v)
}

/// The root files of the `[[test]]` targets of the package in `dir` when its manifest says
/// `autotests = false`; `None` when cargo finds the test files itself.
fn test_roots(dir: &Path) -> Option<Vec<PathBuf>> {
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let lines: Vec<&str> = manifest.lines().map(str::trim).collect();
    if !lines
        .iter()
        .any(|l| l.replace(' ', "") == "autotests=false")
    {
        return None;
    }
    let mut roots = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] != "[[test]]" {
            i += 1;
            continue;
        }
        let (mut name, mut path) = (None, None);
        i += 1;
        while i < lines.len() && !lines[i].starts_with('[') {
            name = name.or(string_value(lines[i], "name"));
            path = path.or(string_value(lines[i], "path"));
            i += 1;
        }
        match (path, name) {
            (Some(p), _) => roots.push(clean(&dir.join(p))),
            (None, Some(n)) => roots.push(dir.join("tests").join(format!("{n}.rs"))),
            (None, None) => {}
        }
    }
    Some(roots)
}

/// The files `file` declares as modules. `owns_dir`: its children live in its own folder
/// (a crate root, a `mod.rs` or a file loaded through `#[path]`), not in `<stem>/`.
fn declared_modules(file: &Path, owns_dir: bool) -> Vec<(PathBuf, bool)> {
    let text = fs::read_to_string(file).unwrap_or_default();
    let dir = file.parent().unwrap_or(Path::new(""));
    let children = if owns_dir {
        dir.to_path_buf()
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    };
    let mut out = Vec::new();
    let mut path_attr: Option<PathBuf> = None;
    for line in text.lines().map(str::trim) {
        if let Some(p) = line
            .strip_prefix("#[path")
            .and_then(|r| string_value(r, ""))
        {
            path_attr = Some(clean(&dir.join(p)));
            continue;
        }
        if line.starts_with("#[") {
            continue;
        }
        let decl = line
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ")
            .strip_prefix("mod ")
            .and_then(|r| r.strip_suffix(';'));
        match (decl, path_attr.take()) {
            (Some(_), Some(p)) => out.push((p, true)),
            (Some(name), None) => {
                let flat = children.join(format!("{name}.rs"));
                if flat.is_file() {
                    out.push((flat, false));
                } else {
                    out.push((children.join(name).join("mod.rs"), true));
                }
            }
            (None, _) => {}
        }
    }
    out
}

/// Every file compiled into the test binaries rooted at `roots`.
fn reachable(roots: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<(PathBuf, bool)> = roots.iter().map(|r| (r.clone(), true)).collect();
    while let Some((file, owns_dir)) = stack.pop() {
        if seen.insert(file.clone()) {
            stack.extend(declared_modules(&file, owns_dir));
        }
    }
    seen
}

/// The `.rs` files under `dir`, outside folders named `data` or `fixtures`, sorted.
fn test_sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("data") && !p.ends_with("fixtures") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The test files of the package in `dir` that no `[[test]]` binary compiles, relative to
/// `root` (none when cargo discovers the tests itself).
fn skipped_test_files(dir: &Path, root: &Path) -> Vec<String> {
    let Some(roots) = test_roots(dir) else {
        return Vec::new();
    };
    let compiled = reachable(&roots);
    test_sources(&dir.join("tests"))
        .into_iter()
        .filter(|f| !compiled.contains(&clean(f)))
        .map(|f| f.strip_prefix(root).unwrap_or(&f).display().to_string())
        .collect()
}

#[test]
fn every_test_file_of_every_crate_is_compiled() {
    let root = workspace_root();
    let skipped: Vec<String> = packages(&root)
        .iter()
        .flat_map(|dir| skipped_test_files(dir, &root))
        .collect();
    assert!(
        skipped.is_empty(),
        "test files no test binary compiles (add `mod <file>;` to the crate's tests/it.rs): \
         {skipped:?}"
    );
}

/// How many `.rs` files lie directly in the `tests/` folder of the package in `dir` (each its
/// own binary unless `autotests = false`).
fn top_level_test_files(dir: &Path) -> usize {
    fs::read_dir(dir.join("tests")).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| e.path().is_file() && e.path().extension().is_some_and(|x| x == "rs"))
            .count()
    })
}

#[test]
fn every_crate_with_integration_tests_has_one_binary() {
    // One binary per crate (protocol: two, `serial.rs` for the tests that switch process-wide
    // state): cargo would otherwise link every top-level file of `tests/` on its own. A crate
    // with a single test file is one binary either way.
    let root = workspace_root();
    let per_file: Vec<String> = packages(&root)
        .iter()
        .filter(|dir| top_level_test_files(dir) > 1 && test_roots(dir).is_none())
        .map(|dir| dir.strip_prefix(&root).unwrap_or(dir).display().to_string())
        .collect();
    assert!(
        per_file.is_empty(),
        "crates whose tests/ files are one binary each (set `autotests = false` and list them in \
         a tests/it.rs): {per_file:?}"
    );
}

#[test]
fn the_checker_reports_an_undeclared_file_and_helper_folder() {
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"x\"\nautotests = false\n\n[[test]]\nname = \"it\"\n\n\
             [[test]]\nname = \"other\"\npath = \"tests/other/main.rs\"\n",
        ),
        (
            "tests/it.rs",
            "//! x\nmod a;\n#[path = \"b.rs\"]\nmod b;\nmod helpers;\n// mod c;\n",
        ),
        (
            "tests/a.rs",
            "mod nested;\n#[path = \"../../elsewhere/s.rs\"]\nmod s;\n",
        ),
        ("tests/a/nested.rs", ""),
        ("tests/b.rs", "#[test]\nfn t() {}\n"),
        ("tests/c.rs", "#[test]\nfn skipped() {}\n"),
        ("tests/helpers/mod.rs", "pub(crate) mod deep;\n"),
        ("tests/helpers/deep.rs", ""),
        ("tests/unused/mod.rs", ""),
        ("tests/other/main.rs", "mod inner;\n"),
        ("tests/other/inner.rs", ""),
        ("tests/data/generated.rs", "not rust"),
    ];
    let dir = synthetic(&files.map(|(path, text)| (path, text.to_string())));
    let root = dir.path();
    assert_eq!(
        skipped_test_files(root, root),
        vec!["tests/c.rs".to_string(), "tests/unused/mod.rs".to_string()]
    );
    assert_eq!(test_roots(root).map(|r| r.len()), Some(2));
    // Without `autotests = false` cargo builds every top-level file itself: nothing to check,
    // but the crate is one with a binary per test file.
    fs::write(root.join("Cargo.toml"), "[package]\nname = \"x\"\n").expect("write");
    assert!(skipped_test_files(root, root).is_empty());
    assert!(test_roots(root).is_none());
    assert_eq!(
        top_level_test_files(root),
        4,
        "it.rs, a.rs, b.rs, c.rs: four binaries"
    );
}
