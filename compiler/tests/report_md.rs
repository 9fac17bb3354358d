//! `circuits/REPORT.md` must show what its regeneration command prints today: the test
//! regenerates the tables in-process ([`markdown_report`], the code of `gcc-nn report
//! --markdown`) and compares.

use gcc_nn_compiler::CompileOptions;
use gcc_nn_compiler::report::markdown_report;
use std::path::{Path, PathBuf};

/// The tables of a Markdown text: maximal runs of lines starting with `|`.
fn tables(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut current = Vec::new();
    for line in text.lines() {
        if line.starts_with('|') {
            current.push(line.trim_end());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The shipped programs in the order `circuits/*.dsl` expands to, as relative paths (the
/// form the report prints).
fn shipped_programs(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("circuits"))
        .expect("circuits/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "dsl"))
        .filter_map(|p| p.file_name().map(|n| Path::new("circuits").join(n)))
        .collect();
    files.sort();
    files
}

/// Every generated table must appear in `report` exactly (same header, same rows, nothing
/// more); returns what differs.
fn stale_tables(generated: &str, report: &str) -> Vec<String> {
    let shipped = tables(report);
    let mut problems = Vec::new();
    for table in tables(generated) {
        match shipped.iter().find(|t| t.first() == table.first()) {
            None => problems.push(format!("no table with the header {}", table[0])),
            Some(t) if *t != table => problems.push(format!(
                "table {} differs:\n--- REPORT.md\n{}\n--- regenerated\n{}",
                table[0],
                t.join("\n"),
                table.join("\n")
            )),
            Some(_) => {}
        }
    }
    problems
}

#[test]
fn circuits_report_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = shipped_programs(&root);
    assert!(files.len() >= 7, "{files:?}");
    // The report names files as given; the command is run at the repository root. The
    // working directory is the process's (shared by the tests of this binary), so the files
    // are given under `root` and the rows are then named relative to it, as the command does.
    let absolute: Vec<PathBuf> = files.iter().map(|f| root.join(f)).collect();
    let generated = markdown_report(&absolute, &CompileOptions::default())
        .expect("every shipped program compiles")
        .replace(&format!("`{}/", root.display()), "`");
    let report = std::fs::read_to_string(root.join("circuits/REPORT.md")).expect("REPORT.md");
    let problems = stale_tables(&generated, &report);
    assert!(
        problems.is_empty(),
        "circuits/REPORT.md is stale: regenerate its tables with \
         `cargo run --release -- report --markdown circuits/*.dsl`\n\n{}",
        problems.join("\n\n")
    );
}

#[test]
fn a_missing_or_changed_row_is_caught() {
    let generated = "| circuit | AND |\n|---|---:|\n| `a.dsl` | 5 |\n| `b.dsl` | 7 |\n";
    let same = format!("# Report\n\ntext\n\n{generated}\nmore text\n");
    assert!(stale_tables(generated, &same).is_empty());
    let missing_row = "| circuit | AND |\n|---|---:|\n| `a.dsl` | 5 |\n\ntext\n";
    assert_eq!(stale_tables(generated, missing_row).len(), 1);
    let changed = same.replace("| 7 |", "| 8 |");
    assert_eq!(stale_tables(generated, &changed).len(), 1);
    let extra = same.replace("| `b.dsl` | 7 |\n", "| `b.dsl` | 7 |\n| `c.dsl` | 1 |\n");
    assert_eq!(stale_tables(generated, &extra).len(), 1);
    assert_eq!(stale_tables(generated, "no tables").len(), 1);
}
