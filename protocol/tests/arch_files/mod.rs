//! Rule 2 of the architecture test: the import graph between sibling files of every folder
//! of a crate (module docs of `architecture.rs`).

use super::{cycles, non_test_code, rust_files};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module's path inside its crate: `["fast", "core"]` for `src/fast/core.rs` (or
/// `src/fast/core/mod.rs`), empty for the crate root.
pub(crate) type ModPath = Vec<String>;

/// The module a file under `src` defines.
fn module_path(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts
}

/// Whether `file` holds its module's children in its own folder (`mod.rs`, `lib.rs`,
/// `main.rs`); a file `x.rs` keeps them in `x/`.
fn is_mod_rs(file: &Path) -> bool {
    file.file_name()
        .is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs")
}

/// Files declared by `file` only for tests: `#[cfg(test)]` followed by `#[path = "…"]`
/// and/or `mod name;`.
fn test_only_children(file: &Path, text: &str) -> Vec<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new(""));
    let own = if is_mod_rs(file) {
        dir.to_path_buf()
    } else {
        dir.join(file.file_stem().unwrap_or_default())
    };
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !l.starts_with("#[cfg(test)]") {
            continue;
        }
        let mut path = None;
        for next in lines.iter().skip(i + 1).take(3) {
            if let Some(p) = next
                .strip_prefix("#[path = \"")
                .and_then(|r| r.split_once('"'))
            {
                path = Some(dir.join(p.0));
            } else if let Some(name) = next
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ")
                .strip_prefix("mod ")
                .and_then(|r| r.strip_suffix(';'))
            {
                out.push(
                    path.take()
                        .unwrap_or_else(|| own.join(format!("{name}.rs"))),
                );
                out.push(own.join(name).join("mod.rs"));
                break;
            }
        }
    }
    out
}

/// One path of a use tree, with the name it is imported under when renamed (`as`).
type UsePath = (Vec<String>, Option<String>);

/// The paths of the use tree at the start of `s` (after its head and `::`), with the bytes
/// it spans: `a::b::{c, d::e as f}` gives `[a, b, c]`, `[a, b, d, e]` (alias `f`); `self` in
/// a group names the prefix.
fn use_tree(s: &str) -> (Vec<UsePath>, usize) {
    fn parse(s: &str, at: &mut usize, prefix: &[String], out: &mut Vec<UsePath>) {
        let b = s.as_bytes();
        let mut path = prefix.to_vec();
        let skip_ws = |at: &mut usize| {
            while *at < b.len() && (b[*at] as char).is_whitespace() {
                *at += 1;
            }
        };
        loop {
            skip_ws(at);
            if *at < b.len() && b[*at] == b'{' {
                *at += 1;
                loop {
                    parse(s, at, &path, out);
                    skip_ws(at);
                    match b.get(*at) {
                        Some(b',') => *at += 1,
                        Some(b'}') => {
                            *at += 1;
                            return;
                        }
                        _ => return,
                    }
                    skip_ws(at);
                    if b.get(*at) == Some(&b'}') {
                        *at += 1;
                        return;
                    }
                }
            }
            let start = *at;
            while *at < b.len() && (b[*at].is_ascii_alphanumeric() || b[*at] == b'_') {
                *at += 1;
            }
            let ident = &s[start..*at];
            if ident.is_empty() {
                // `*` or the end of the path: the prefix itself.
                out.push((path, None));
                return;
            }
            if ident != "self" {
                path.push(ident.to_string());
            }
            let rest = &s[*at..];
            let trimmed = rest.trim_start();
            if let Some(after) = trimmed.strip_prefix("::") {
                *at = s.len() - after.len();
                continue;
            }
            let mut alias = None;
            if let Some(after_as) = trimmed.strip_prefix("as ") {
                let name_at = after_as.trim_start();
                let name: String = name_at
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                *at = s.len() - name_at.len() + name.len();
                alias = Some(name);
            }
            out.push((path, alias));
            return;
        }
    }
    let (mut out, mut at) = (Vec::new(), 0);
    parse(s, &mut at, &[], &mut out);
    (out, at)
}

/// Every path named in `code` from module `here` (whose child modules are `children`), made
/// absolute: `crate::…`, `super::…` (repeatable), `self::…`, `child::…`.
fn named_paths(code: &str, here: &[String], children: &BTreeSet<String>) -> Vec<UsePath> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || {
            let c = b[i - 1];
            !(c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c == b':')
        };
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i == start {
            i += 1;
            continue;
        }
        let head = &code[start..i];
        if !boundary || !code[i..].starts_with("::") {
            continue;
        }
        let mut base: Vec<String> = match head {
            "crate" => Vec::new(),
            "super" => here[..here.len().saturating_sub(1)].to_vec(),
            "self" => here.to_vec(),
            h if children.contains(h) => [here, &[h.to_string()]].concat(),
            _ => continue,
        };
        let mut rest = &code[i + 2..];
        while head == "super" && rest.trim_start().starts_with("super::") {
            base.pop();
            rest = &rest.trim_start()["super::".len()..];
        }
        let (paths, used) = use_tree(rest);
        for (p, alias) in paths {
            out.push(([base.clone(), p].concat(), alias));
        }
        i = code.len() - rest.len() + used.max(1);
    }
    out
}

/// The re-exports of one module (`pub use`, `pub(crate) use`, …): exported name → the
/// absolute path it names.
fn reexports(
    code: &str,
    here: &[String],
    children: &BTreeSet<String>,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (pos, _) in code.match_indices("use ") {
        let line = code[..pos].rsplit('\n').next().unwrap_or("").trim();
        if !(line == "pub" || (line.starts_with("pub(") && line.ends_with(')'))) {
            continue;
        }
        let stmt = &code[pos + "use ".len()..];
        let stmt = &stmt[..stmt.find(';').unwrap_or(stmt.len())];
        for (path, alias) in named_paths(stmt, here, children) {
            if let Some(name) = alias.or_else(|| path.last().cloned()) {
                out.insert(name, path);
            }
        }
    }
    out
}

/// One crate's modules: path → (file, non-test code, child modules, re-exports).
struct Crate {
    modules: BTreeMap<ModPath, (PathBuf, String)>,
    exports: BTreeMap<ModPath, BTreeMap<String, Vec<String>>>,
    children: BTreeMap<ModPath, BTreeSet<String>>,
}

impl Crate {
    fn read(src: &Path) -> Self {
        let files = rust_files(src);
        let texts: Vec<(PathBuf, String)> = files
            .iter()
            .map(|f| (f.clone(), fs::read_to_string(f).unwrap_or_default()))
            .collect();
        let test_only: BTreeSet<PathBuf> = texts
            .iter()
            .flat_map(|(f, t)| test_only_children(f, t))
            .collect();
        let mut modules = BTreeMap::new();
        for (f, text) in &texts {
            if !test_only.contains(f) {
                modules.insert(module_path(src, f), (f.clone(), non_test_code(text)));
            }
        }
        let mut children: BTreeMap<ModPath, BTreeSet<String>> = BTreeMap::new();
        for m in modules.keys() {
            if let Some((last, parent)) = m.split_last() {
                children
                    .entry(parent.to_vec())
                    .or_default()
                    .insert(last.clone());
            }
        }
        let exports = modules
            .iter()
            .map(|(m, (_, code))| {
                let kids = children.get(m).cloned().unwrap_or_default();
                (m.clone(), reexports(code, m, &kids))
            })
            .collect();
        Self {
            modules,
            exports,
            children,
        }
    }

    /// The module that defines what `path` names (re-exports followed).
    fn resolve(&self, path: &[String]) -> Option<ModPath> {
        let mut path = path.to_vec();
        for _ in 0..8 {
            let k = (0..=path.len())
                .rev()
                .find(|&k| self.modules.contains_key(&path[..k]))?;
            let module = path[..k].to_vec();
            let next = path
                .get(k)
                .and_then(|item| self.exports.get(&module)?.get(item));
            match next {
                Some(target) if target.as_slice() != path.as_slice() => {
                    path = [target.clone(), path[k + 1..].to_vec()].concat();
                }
                _ => return Some(module),
            }
        }
        None
    }

    /// Per folder below the crate root (a module path): its children's import graph.
    fn sibling_graphs(&self) -> BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> {
        let mut graphs: BTreeMap<ModPath, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for (here, (_, code)) in &self.modules {
            let kids = self.children.get(here).cloned().unwrap_or_default();
            for (path, _) in named_paths(code, here, &kids) {
                let Some(there) = self.resolve(&path) else {
                    continue;
                };
                let k = here.iter().zip(&there).take_while(|(a, b)| a == b).count();
                if k >= 1 && k < here.len() && k < there.len() {
                    graphs
                        .entry(here[..k].to_vec())
                        .or_default()
                        .entry(here[k].clone())
                        .or_default()
                        .insert(there[k].clone());
                }
            }
        }
        graphs
    }
}

/// The sibling-file loops of the crate at `src`, as `folder: a, b` (the folder as a module
/// path joined by `::`).
pub(crate) fn file_loops(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (folder, graph) in Crate::read(src).sibling_graphs() {
        for comp in cycles(&graph) {
            out.push(format!("{}: {}", folder.join("::"), comp.join(", ")));
        }
    }
    out
}

#[test]
fn use_trees_expand_groups_renames_and_self() {
    let paths = |s: &str| -> Vec<String> {
        use_tree(s)
            .0
            .into_iter()
            .map(|(p, a)| {
                format!(
                    "{}{}",
                    p.join("::"),
                    a.map(|a| format!(" as {a}")).unwrap_or_default()
                )
            })
            .collect()
    };
    assert_eq!(paths("a::b::C;"), ["a::b::C"]);
    assert_eq!(
        paths("a::{b::{C, D as E}, self, f};"),
        ["a::b::C", "a::b::D as E", "a", "a::f"]
    );
    assert_eq!(paths("x::*;"), ["x"]);
    assert_eq!(paths("f(); }"), ["f"]);
}
