//! Reading any circuit source and reporting circuit sizes: one loader for `.dsl` programs
//! (compiled) and circuit files ([`circuit::load`]), the user-facing name of a value format,
//! and the Markdown tables of `circuits/REPORT.md` (`gcc-nn report --markdown`).

use crate::stats::CircuitStats;
use crate::{Circuit, CompileError, CompileOptions, PassOptions, ValueFormat, compile_file};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A program or circuit file that could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadAnyError {
    /// The `.dsl` program did not compile (the rendered diagnostics name the file).
    #[error("{0}")]
    Program(String),
    /// The circuit file could not be read or decoded.
    #[error(transparent)]
    Circuit(#[from] circuit::load::LoadError),
}

impl From<CompileError> for LoadAnyError {
    fn from(e: CompileError) -> Self {
        LoadAnyError::Program(e.render())
    }
}

/// A `.dsl` program (compiled with `options`) or a circuit file in any supported format
/// (`meta`: a side file to apply, else `FILE.meta.json` if present).
pub fn load_any(
    path: &Path,
    meta: Option<&Path>,
    options: &CompileOptions,
) -> Result<Circuit, LoadAnyError> {
    if path.extension().is_some_and(|e| e == "dsl") {
        return Ok(compile_file(path, options)?);
    }
    Ok(circuit::load::load(path, meta)?)
}

/// The DSL type of a circuit value format (for parsing and printing values): `bool`,
/// `int<8>`, `fixed<16, 12>`, `ufixed<77, 24>`, …
pub fn value_type(f: ValueFormat) -> dsl::Ty {
    let num = |signed, width, frac| {
        dsl::Ty::Num(dsl::NumTy {
            signed,
            width,
            frac,
        })
    };
    match f {
        ValueFormat::Bool => dsl::Ty::Bool,
        ValueFormat::Signed { width, frac } => num(true, width, frac),
        ValueFormat::Unsigned { width, frac } => num(false, width, frac),
    }
}

/// The pass switched off in each column of the pass table.
fn pass_variants(base: PassOptions) -> Vec<(&'static str, PassOptions)> {
    let none = PassOptions::none();
    vec![
        (
            "no const-prop",
            PassOptions {
                constant_propagation: false,
                ..base
            },
        ),
        ("no CSE", PassOptions { cse: false, ..base }),
        (
            "no dead-gate elim.",
            PassOptions {
                dead_gates: false,
                ..base
            },
        ),
        (
            "no range",
            PassOptions {
                range: false,
                path_ranges: false,
                redundant_selects: false,
                ..base
            },
        ),
        (
            "no path ranges",
            PassOptions {
                path_ranges: false,
                ..base
            },
        ),
        (
            "no fusion",
            PassOptions {
                fusion: false,
                ..base
            },
        ),
        (
            "no shared rows",
            PassOptions {
                shared_rows: false,
                ..base
            },
        ),
        (
            "no redundant selects",
            PassOptions {
                redundant_selects: false,
                ..base
            },
        ),
        ("none", none),
    ]
}

/// The tables of `circuits/REPORT.md` for `files` (named as given): the size of every
/// circuit, then for the `.dsl` programs the AND count with each optimisation pass switched
/// off in turn.
pub fn markdown_report(
    files: &[PathBuf],
    options: &CompileOptions,
) -> Result<String, LoadAnyError> {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| circuit | garbler bits | evaluator bits | output bits | AND | XOR | INV | AND depth | wires | peak live | garbled bytes | OTs |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for file in files {
        let s = CircuitStats::of(&load_any(file, None, options)?);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            file.display(),
            s.garbler_input_bits,
            s.evaluator_input_bits + s.unowned_input_bits,
            s.output_bits,
            s.and_gates,
            s.xor_gates,
            s.inv_gates,
            s.and_depth,
            s.wires,
            s.peak_live_wires,
            s.garbled_bytes,
            s.ots_needed
        );
    }
    let dsl_files: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "dsl"))
        .collect();
    if dsl_files.is_empty() {
        return Ok(out);
    }
    let variants = pass_variants(options.passes);
    let _ = writeln!(
        out,
        "\nAND gates with one pass switched off (all others on):\n"
    );
    let header: Vec<&str> = variants.iter().map(|(n, _)| *n).collect();
    let _ = writeln!(out, "| circuit | all passes | {} |", header.join(" | "));
    let _ = writeln!(out, "|---|---:|{}", "---:|".repeat(variants.len()));
    for file in dsl_files {
        let all = compile_file(file, options)?.and_count();
        let mut row = format!("| `{}` | {all} |", file.display());
        for (_, passes) in &variants {
            let c = compile_file(
                file,
                &CompileOptions {
                    passes: *passes,
                    overrides: options.overrides.clone(),
                },
            )?;
            let _ = write!(row, " {} |", c.and_count());
        }
        let _ = writeln!(out, "{row}");
    }
    Ok(out)
}

/// Where a program's ANDs go: one line per core variable whose lowering built ANDs the
/// circuit keeps (`v12 = mul v7 v7 : ufixed<28, 24>  91`), then the total, which equals the
/// circuit's AND count. With linked programs the variables of the callee appear inline.
pub fn and_breakdown_text(
    program: &dsl::core::Program,
    passes: &PassOptions,
) -> Result<String, CompileError> {
    use dsl::core::{Op, for_each_node};
    let rows = crate::lower::and_breakdown(program, passes)?;
    let mut ops = std::collections::HashMap::new();
    for_each_node(&program.body, &mut |n| {
        let what = match &n.op {
            Op::Input(i) => format!("input {i}"),
            Op::Const(_) => "const".to_string(),
            Op::Cast(x) => format!("cast v{x}"),
            Op::Unary(op, x) => format!("{op:?} v{x}").to_lowercase(),
            Op::Binary(op, x, y) => format!("{op:?} v{x} v{y}").to_lowercase(),
            Op::Shl(x, k) => format!("v{x} << {k}"),
            Op::Shr(x, k) => format!("v{x} >> {k}"),
            Op::If {
                cond,
                then_block,
                else_block,
            } => format!(
                "if v{cond} then v{} else v{}",
                then_block.result, else_block.result
            ),
        };
        ops.insert(n.var, format!("{what} : {}", n.ty));
    });
    let mut out = String::new();
    let mut total = 0;
    for (var, ands) in rows {
        total += ands;
        let what = ops.get(&var).map_or("(inputs)", String::as_str);
        let _ = writeln!(out, "v{var:<5} {what:<50} {ands:>5}");
    }
    let _ = writeln!(out, "total {:<50} {total:>5}", "");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_types_read_as_the_dsl_writes_them() {
        let t = |f| value_type(f).to_string();
        assert_eq!(t(ValueFormat::Bool), "bool");
        assert_eq!(t(ValueFormat::Signed { width: 8, frac: 0 }), "int<8>");
        assert_eq!(
            t(ValueFormat::Signed {
                width: 16,
                frac: 12
            }),
            "fixed<16, 12>"
        );
        assert_eq!(
            t(ValueFormat::Unsigned {
                width: 77,
                frac: 24
            }),
            "ufixed<77, 24>"
        );
        assert_eq!(t(ValueFormat::Unsigned { width: 3, frac: 0 }), "uint<3>");
    }

    #[test]
    fn load_any_names_the_file_in_every_error() {
        let dir = std::env::temp_dir().join(format!("gcc-nn-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let bad = dir.join("bad.dsl");
        std::fs::write(&bad, "output z: int<8> = nope;").expect("write");
        let err = load_any(&bad, None, &CompileOptions::default()).expect_err("bad program");
        assert!(matches!(err, LoadAnyError::Program(_)));
        assert!(err.to_string().contains("bad.dsl"), "{err}");
        let junk = dir.join("junk.txt");
        std::fs::write(&junk, "not a circuit").expect("write");
        let err = load_any(&junk, None, &CompileOptions::default()).expect_err("junk");
        assert!(matches!(err, LoadAnyError::Circuit(_)));
        assert!(err.to_string().contains("junk.txt"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
