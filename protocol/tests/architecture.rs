//! Architecture rules of the whole workspace, checked on the source text:
//!
//! 1. No import loop between the folders of a crate: a folder is a top-level module of the
//!    crate (`src/x.rs` or `src/x/`), and module x depends on y when a non-test line of x
//!    names `crate::y…` (in a `use` or inline) or, from `src/x.rs`/`src/x/mod.rs`, `super::y`.
//!    Lower layers never import higher ones, so the dependency graph has no cycle.
//! 2. No import loop between sibling files inside any folder of a crate (`src/a/x.rs`,
//!    `src/a/y.rs`, `src/a/z/`: the children of module `a`, at every depth): x depends on y
//!    when a non-test line of x (or of a file below it) names an item of y (or below it)
//!    through `crate::…`, `super::…`, `self::…` or a child module, re-exports followed to the
//!    module that defines the item. A folder's own root file (`mod.rs`) is the parent of its
//!    files, not their sibling: children may use its items and it may use theirs. Files only
//!    compiled for tests (`#[cfg(test)] mod …;`) do not count.
//! 3. No non-test source file (under a crate's `src/`) over [`MAX_LINES`] lines.
//!
//! The checker runs on the real workspace and, as a negative control, on small synthetic
//! trees that break each rule (it must report them).

#[path = "arch_files/mod.rs"]
mod arch_files;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Most lines of a non-test source file.
const MAX_LINES: usize = 600;

/// Files allowed over [`MAX_LINES`] for now, each with the reason. Only files another helper
/// is still splitting belong here; the lead removes them.
const OVERSIZE_EXCEPTIONS: &[&str] = &[];

/// Folder cycles allowed for now (sorted member lists `crate: a, b`), each with the reason.
/// Only loops another helper is still taking apart belong here; the lead removes them.
const CYCLE_EXCEPTIONS: &[&str] = &[];

/// Sibling-file cycles allowed for now (`crate folder: a, b`, the folder as a module path),
/// each with the reason. Only loops another helper is still taking apart belong here.
const FILE_CYCLE_EXCEPTIONS: &[&str] = &[];

/// The workspace root (the parent of this crate).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The `src/` folders of the workspace: the root package's and every member's.
fn crate_sources(root: &Path) -> Vec<(String, PathBuf)> {
    crate::test_layout::packages(root)
        .into_iter()
        .filter(|dir| dir.join("src").is_dir())
        .map(|dir| {
            let name = match dir.strip_prefix(root) {
                Ok(m) if !m.as_os_str().is_empty() => m.display().to_string(),
                _ => "gcc-nn".to_string(),
            };
            (name, dir.join("src"))
        })
        .collect()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The source without its `#[cfg(test)]` modules and comments: the lines that build the
/// library.
fn non_test_code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            // Skip the item that follows (a `mod tests { … }` or a single item) by braces.
            let mut depth = 0i64;
            let mut opened = false;
            for l in lines.by_ref() {
                depth += l.matches('{').count() as i64 - l.matches('}').count() as i64;
                opened |= l.contains('{');
                if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The top-level module a file under `src` belongs to (`None` for the crate root files).
fn folder_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string());
    let first = parts.next()?;
    if rel.components().count() == 1 {
        let stem = first.trim_end_matches(".rs");
        if stem == "lib" || stem == "main" {
            return None;
        }
        return Some(stem.to_string());
    }
    Some(first)
}

/// Whether `file` is a folder's own root (`src/x.rs` or `src/x/mod.rs`), where `super::`
/// names the crate root.
fn is_folder_root(src: &Path, file: &Path) -> bool {
    let Ok(rel) = file.strip_prefix(src) else {
        return false;
    };
    let n = rel.components().count();
    n == 1 || (n == 2 && rel.file_name().is_some_and(|f| f == "mod.rs"))
}

/// Identifiers right after each occurrence of `prefix` (`crate::` or `super::`), expanding
/// one level of `{a, b::c}` groups.
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        // Skip `$crate::` and longer paths such as `my_crate::`.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = code[i + prefix.len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        out.push(ident(&group[k..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|n| !n.is_empty() && n != "self" && n != "super" && n != "crate");
    out
}

/// Folder → folders it imports, for one crate's `src`.
fn folder_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(src);
    let folders: BTreeSet<String> = files.iter().filter_map(|f| folder_of(src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(from) = folder_of(src, f) else {
            continue;
        };
        let code = non_test_code(&fs::read_to_string(f).unwrap_or_default());
        let mut targets = names_after(&code, "crate::");
        if is_folder_root(src, f) {
            // In src/x.rs and src/x/mod.rs, `super::` is the crate root.
            targets.extend(names_after(&code, "super::"));
        }
        let edges = graph.entry(from.clone()).or_default();
        for t in targets {
            if t != from && folders.contains(&t) {
                edges.insert(t);
            }
        }
    }
    graph
}

/// The cycles of a graph: its strongly connected components of more than one folder, each
/// sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |start: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start.clone()];
        while let Some(n) = stack.pop() {
            for m in graph.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    stack.push(m.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|k| (k, reach(k))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for (k, r) in &reaches {
        if placed.contains(*k) || !r.contains(*k) {
            continue;
        }
        let comp: Vec<String> = r
            .iter()
            .filter(|m| reaches.get(m).is_some_and(|rm| rm.contains(*k)))
            .cloned()
            .collect();
        placed.extend(comp.iter().cloned());
        out.push(comp);
    }
    out
}

/// Every violation of the two rules in the crates `sources`, as readable lines.
fn violations(sources: &[(String, PathBuf)], root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (name, src) in sources {
        for comp in cycles(&folder_graph(src)) {
            let key = format!("{name}: {}", comp.join(", "));
            if !CYCLE_EXCEPTIONS.contains(&key.as_str()) {
                out.push(format!("import loop between folders of {key}"));
            }
        }
        for found in arch_files::file_loops(src) {
            let key = format!("{name} {found}");
            if !FILE_CYCLE_EXCEPTIONS.contains(&key.as_str()) {
                out.push(format!("import loop between sibling files of {key}"));
            }
        }
        for (rel, lines) in oversized(src, root) {
            if !OVERSIZE_EXCEPTIONS.contains(&rel.as_str()) {
                out.push(format!("{rel}: {lines} lines (limit {MAX_LINES})"));
            }
        }
    }
    out
}

/// Files of `src` over [`MAX_LINES`], as paths relative to `root`, with their line counts.
fn oversized(src: &Path, root: &Path) -> Vec<(String, usize)> {
    rust_files(src)
        .into_iter()
        .filter_map(|f| {
            let lines = fs::read_to_string(&f)
                .map(|t| t.lines().count())
                .unwrap_or(0);
            let rel = f
                .strip_prefix(root)
                .unwrap_or(&f)
                .to_string_lossy()
                .to_string();
            (lines > MAX_LINES).then_some((rel, lines))
        })
        .collect()
}

/// Exceptions that no longer match anything (a loop taken apart, a file split): they must go,
/// or they would hide the next regression at the same place.
fn stale_exceptions(sources: &[(String, PathBuf)], root: &Path) -> Vec<String> {
    let mut live: BTreeSet<String> = BTreeSet::new();
    for (name, src) in sources {
        for comp in cycles(&folder_graph(src)) {
            live.insert(format!("{name}: {}", comp.join(", ")));
        }
        live.extend(oversized(src, root).into_iter().map(|(rel, _)| rel));
        let files = arch_files::file_loops(src);
        live.extend(files.into_iter().map(|f| format!("{name} {f}")));
    }
    CYCLE_EXCEPTIONS
        .iter()
        .chain(FILE_CYCLE_EXCEPTIONS)
        .chain(OVERSIZE_EXCEPTIONS)
        .filter(|e| !live.contains(**e))
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn the_workspace_has_no_folder_or_file_import_loop_and_no_oversized_source_file() {
    let root = workspace_root();
    let sources = crate_sources(&root);
    assert!(
        sources.iter().any(|(n, _)| n == "protocol"),
        "the scan must see the protocol crate: {sources:?}"
    );
    let found = violations(&sources, &root);
    assert!(
        found.is_empty(),
        "architecture rules broken:\n{}",
        found.join("\n")
    );
    let stale = stale_exceptions(&sources, &root);
    assert!(
        stale.is_empty(),
        "remove these exceptions, they no longer apply: {stale:?}"
    );
}

/// Writes `files` (path, text) under a fresh temporary directory (the synthetic crates of
/// this file's and `test_layout`'s negative controls).
pub(crate) fn synthetic(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    }
    dir
}

#[test]
fn the_checker_reports_a_folder_loop_and_an_oversized_file() {
    let long = "fn f() {}\n".repeat(MAX_LINES + 1);
    let dir = synthetic(&[
        (
            "src/lib.rs",
            "pub mod low;\npub mod high;\npub mod wire;\n".into(),
        ),
        (
            "src/low/mod.rs",
            "pub mod step;\nuse super::wire::X;\n".into(),
        ),
        // The loop: low/step.rs names a higher layer inline, high imports low in a group.
        ("src/low/step.rs", "fn f() { crate::high::g(); }\n".into()),
        (
            "src/high.rs",
            "use crate::{low::Y, wire};\npub fn g() {}\n".into(),
        ),
        ("src/wire.rs", long),
    ]);
    let sources = vec![("synthetic".to_string(), dir.path().join("src"))];
    let graph = folder_graph(&sources[0].1);
    assert_eq!(
        graph
            .get("low")
            .map(|s| s.iter().cloned().collect::<Vec<_>>()),
        Some(vec!["high".to_string(), "wire".to_string()])
    );
    let found = violations(&sources, dir.path());
    assert!(
        found.iter().any(|v| v.contains("synthetic: high, low")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|v| v.contains("src/wire.rs: 601 lines")),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn the_checker_ignores_tests_comments_and_layered_imports() {
    let dir = synthetic(&[
        ("src/lib.rs", "pub mod low;\npub mod high;\n".into()),
        // A test module and comments may name higher layers; only code counts.
        (
            "src/low.rs",
            "// see crate::high\n/// [`crate::high::g`]\npub fn f() {}\n\
             #[cfg(test)]\nmod tests {\n    use crate::high::g;\n    fn t() { g(); }\n}\n"
                .into(),
        ),
        (
            "src/high/mod.rs",
            "use super::low::f;\npub mod inner;\n".into(),
        ),
        // In a nested file `super::` is the folder itself, not the crate root.
        (
            "src/high/inner.rs",
            "use super::g;\nuse crate::low::f;\n".into(),
        ),
        ("src/high/more.rs", "// ".repeat(10) + "\n"),
    ]);
    let sources = vec![("layered".to_string(), dir.path().join("src"))];
    let found = violations(&sources, dir.path());
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_checker_reports_a_loop_between_sibling_files_at_any_depth() {
    let dir = synthetic(&[
        ("src/lib.rs", "pub mod outer;\npub mod plain;\n".into()),
        (
            "src/outer/mod.rs",
            "mod a;\nmod b;\npub mod deep;\npub use a::Thing;\npub struct Error;\n".into(),
        ),
        // The loop: a names b in a group; b names a's item through the parent's re-export.
        (
            "src/outer/a.rs",
            "use super::{Error, b::B};\npub struct Thing;\n".into(),
        ),
        (
            "src/outer/b.rs",
            "pub struct B(crate::outer::Thing);\n".into(),
        ),
        // One level deeper, through `self::` and an inline path.
        (
            "src/outer/deep/mod.rs",
            "mod x;\nmod y;\nuse self::x::X;\n".into(),
        ),
        (
            "src/outer/deep/x.rs",
            "pub struct X;\nfn f() { super::y::g(); }\n".into(),
        ),
        (
            "src/outer/deep/y.rs",
            "pub fn g() { let _ = super::x::X; }\n".into(),
        ),
        ("src/plain.rs", "use crate::outer::Error;\n".into()),
    ]);
    let src = dir.path().join("src");
    assert_eq!(
        arch_files::file_loops(&src),
        ["outer: a, b", "outer::deep: x, y"]
    );
    let sources = vec![("synthetic".to_string(), src)];
    let found = violations(&sources, dir.path());
    assert_eq!(
        found,
        [
            "import loop between sibling files of synthetic outer: a, b",
            "import loop between sibling files of synthetic outer::deep: x, y"
        ]
    );
}

#[test]
fn the_file_checker_allows_parents_renamed_imports_and_test_files() {
    let dir = synthetic(&[
        ("src/lib.rs", "pub mod outer;\n".into()),
        // The parent uses its children and they use its items: not siblings.
        (
            "src/outer/mod.rs",
            "mod a;\nmod b;\npub use a::A as Renamed;\npub struct Error;\n\
             fn f() { b::g(a::A); }\n#[cfg(test)]\n#[path = \"outer_tests.rs\"]\nmod tests;\n"
                .into(),
        ),
        (
            "src/outer/a.rs",
            "use super::Error;\npub struct A;\n".into(),
        ),
        // b uses a (through the renamed re-export); a never uses b.
        (
            "src/outer/b.rs",
            "use super::{Error, Renamed};\npub fn g(_: Renamed) {}\n".into(),
        ),
        // A test file may name anything.
        (
            "src/outer/outer_tests.rs",
            "use super::b::g;\nuse super::a::A;\n".into(),
        ),
    ]);
    let src = dir.path().join("src");
    assert!(arch_files::file_loops(&src).is_empty());
    let sources = vec![("layered".to_string(), src)];
    assert!(violations(&sources, dir.path()).is_empty());
}
