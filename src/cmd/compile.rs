//! `gcc-nn compile` and `gcc-nn report`: DSL programs to circuit files, and circuit sizes.

use super::CliError;
use clap::{Args, Subcommand, ValueEnum};
use compiler::stats::CircuitStats;
use compiler::{Circuit, CompileOptions, PassOptions};
use protocol::atomic_file::{PendingFile, Visibility};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Compiler commands.
#[derive(Subcommand)]
pub(crate) enum CompileCommand {
    /// Compile a .dsl program to a boolean circuit file (Bristol Fashion plus a
    /// FILE.meta.json side file with parties and formats, or the binary format).
    Compile {
        /// The program, e.g. circuits/tanh.dsl.
        file: PathBuf,
        /// Output file, e.g. tanh.bristol.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Circuit file format.
        #[arg(long, value_enum, default_value_t = Format::Bristol)]
        format: Format,
        #[command(flatten)]
        passes: PassFlags,
    },
    /// Print a circuit's size: inputs per party, outputs, AND/XOR/INV counts, AND depth,
    /// wires, peak live wires, garbled bytes (32 per AND), OTs needed. Works on .dsl
    /// programs (compiled first) and circuit files (Bristol Fashion, old Bristol, binary).
    Report {
        /// Programs or circuit files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Machine-readable JSON (one object per file).
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// A Markdown table of all files, plus what each optimisation pass contributes
        /// for .dsl programs (the table of circuits/REPORT.md).
        #[arg(long)]
        markdown: bool,
        #[command(flatten)]
        passes: PassFlags,
    },
}

/// Circuit file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Bristol Fashion (basic XOR/AND/INV) with a FILE.meta.json side file.
    Bristol,
    /// Compact versioned binary format with a SHA-256 checksum.
    Binary,
}

/// Switches for the optimisation passes and constant overrides.
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct PassFlags {
    /// Override a named constant: -D K=40 (repeatable).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Disable constant propagation (and static constant-select muxes).
    #[arg(long)]
    no_const: bool,
    /// Disable structural hashing / common-subexpression elimination.
    #[arg(long)]
    no_cse: bool,
    /// Disable dead-gate elimination.
    #[arg(long)]
    no_dce: bool,
    /// Disable value-range narrowing (implies --no-path-ranges).
    #[arg(long)]
    no_range: bool,
    /// Disable path-sensitive ranges inside `if` arms.
    #[arg(long)]
    no_path_ranges: bool,
    /// Disable fused carry-save sums.
    #[arg(long)]
    no_fusion: bool,
}

impl PassFlags {
    fn options(&self) -> Result<CompileOptions, CliError> {
        let mut overrides = Vec::new();
        for d in &self.define {
            overrides.push(
                dsl::split_override(d).ok_or_else(|| format!("-D `{d}`: expected NAME=VALUE"))?,
            );
        }
        let passes = PassOptions {
            constant_propagation: !self.no_const,
            cse: !self.no_cse,
            dead_gates: !self.no_dce,
            range: !self.no_range,
            path_ranges: !self.no_path_ranges && !self.no_range,
            fusion: !self.no_fusion,
        };
        Ok(CompileOptions { passes, overrides })
    }
}

/// Runs a compiler command.
pub(crate) fn run(cmd: CompileCommand) -> Result<(), CliError> {
    match cmd {
        CompileCommand::Compile {
            file,
            output,
            format,
            passes,
        } => {
            let circuit = compile(&file, &passes.options()?)?;
            match format {
                Format::Bristol => {
                    // Both files are complete in temporary files before either is renamed
                    // into place, so a failure leaves no half-written circuit.
                    let meta = compiler::meta::meta_path(&output);
                    let circuit_tmp = TempFile::write(
                        &output,
                        compiler::bristol::write_fashion(&circuit).as_bytes(),
                        false,
                    )?;
                    let meta_tmp = TempFile::write(
                        &meta,
                        compiler::meta::to_json(&circuit).as_bytes(),
                        false,
                    )?;
                    circuit_tmp.commit()?;
                    meta_tmp.commit()?;
                    eprintln!("wrote {} and {}", output.display(), meta.display());
                }
                Format::Binary => {
                    write(&output, &compiler::binary::write(&circuit))?;
                    eprintln!("wrote {}", output.display());
                }
            }
            let s = CircuitStats::of(&circuit);
            eprintln!(
                "{} ANDs, {} XORs, {} INVs, AND depth {}",
                s.and_gates, s.xor_gates, s.inv_gates, s.and_depth
            );
            Ok(())
        }
        CompileCommand::Report {
            files,
            json,
            markdown,
            passes,
        } => {
            let options = passes.options()?;
            if markdown {
                out!("{}", markdown_report(&files, &options)?);
                return Ok(());
            }
            for file in &files {
                let circuit = load_any(file, &options)?;
                let stats = CircuitStats::of(&circuit);
                if json {
                    let value = serde_json::json!({
                        "file": file.display().to_string(),
                        "inputs": circuit.inputs,
                        "outputs": circuit.outputs,
                        "stats": stats,
                    });
                    outln!("{value}");
                } else {
                    out!("{}", text_report(file, &circuit, &stats));
                }
            }
            Ok(())
        }
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    TempFile::write(path, bytes, false)?.commit()
}

/// A file written in full next to its destination and put in place only when complete
/// (removed if dropped before): readers never see half a file. A thin wrapper that names the
/// destination in its errors around the one atomic writer, [`protocol::atomic_file`]
/// (exclusive creation with a random suffix, mode 0600 from creation, no symbolic link
/// followed).
pub(crate) struct TempFile {
    pending: PendingFile,
    dest: PathBuf,
}

impl TempFile {
    /// Writes `bytes` to a temporary file in `dest`'s directory; `secret` keeps it at mode
    /// 0600 once placed (else 0644).
    pub(crate) fn write(dest: &Path, bytes: &[u8], secret: bool) -> Result<TempFile, CliError> {
        let visibility = if secret {
            Visibility::Private
        } else {
            Visibility::Public
        };
        let pending = PendingFile::write(dest, bytes, visibility)
            .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        Ok(TempFile {
            pending,
            dest: dest.to_path_buf(),
        })
    }

    /// Renames the file onto the destination, replacing what is there.
    pub(crate) fn commit(self) -> Result<(), CliError> {
        self.place(true)
    }

    /// Puts the file at its destination: `overwrite` renames over an existing file, else an
    /// existing file is refused (the file is hard-linked into place only if nothing is there).
    pub(crate) fn place(self, overwrite: bool) -> Result<(), CliError> {
        let dest = self.dest.display().to_string();
        let placed = if overwrite {
            self.pending.replace()
        } else {
            self.pending.place_new()
        };
        placed.map_err(|e| -> CliError {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!("{dest} exists (use --force to overwrite)").into()
            } else {
                format!("cannot write {dest}: {e}").into()
            }
        })
    }
}

fn compile(file: &Path, options: &CompileOptions) -> Result<Circuit, CliError> {
    compiler::compile_file(file, options).map_err(|e| e.render().into())
}

/// A .dsl program (compiled) or a circuit file in any supported format.
fn load_any(file: &Path, options: &CompileOptions) -> Result<Circuit, CliError> {
    if file.extension().is_some_and(|e| e == "dsl") {
        return compile(file, options);
    }
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    if bytes.starts_with(compiler::binary::MAGIC) {
        return compiler::binary::read(&bytes)
            .map_err(|e| format!("{}: {e}", file.display()).into());
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: neither a binary circuit nor text", file.display()))?;
    let mut circuit = match compiler::bristol::read_fashion(&text) {
        Ok(c) => c,
        Err(fashion_err) => compiler::bristol::read_old_format(&text).map_err(|_| {
            format!(
                "{}: not a Bristol Fashion circuit ({fashion_err}) nor an old Bristol format one",
                file.display()
            )
        })?,
    };
    let meta = compiler::meta::meta_path(file);
    if let Ok(json) = std::fs::read_to_string(&meta) {
        compiler::meta::apply(&mut circuit, &json)
            .map_err(|e| format!("{}: {e}", meta.display()))?;
    }
    Ok(circuit)
}

fn values(values: &[compiler::IoValue]) -> String {
    values
        .iter()
        .map(|v| {
            let party = match v.party {
                Some(compiler::Party::Garbler) => " (garbler)",
                Some(compiler::Party::Evaluator) => " (evaluator)",
                None => "",
            };
            format!("{}: {:?}{party}", v.name, v.format)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn text_report(file: &Path, c: &Circuit, s: &CircuitStats) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", file.display());
    let _ = writeln!(out, "  inputs          {}", values(&c.inputs));
    let _ = writeln!(
        out,
        "  input bits      garbler {}, evaluator {}, unowned {}",
        s.garbler_input_bits, s.evaluator_input_bits, s.unowned_input_bits
    );
    let _ = writeln!(
        out,
        "  outputs         {} ({} bits)",
        values(&c.outputs),
        s.output_bits
    );
    let _ = writeln!(
        out,
        "  gates           {} AND, {} XOR, {} INV",
        s.and_gates, s.xor_gates, s.inv_gates
    );
    let _ = writeln!(out, "  AND depth       {}", s.and_depth);
    let _ = writeln!(
        out,
        "  wires           {} (peak live {})",
        s.wires, s.peak_live_wires
    );
    let _ = writeln!(out, "  garbled bytes   {} (32 per AND)", s.garbled_bytes);
    let _ = writeln!(out, "  OTs needed      {}", s.ots_needed);
    out
}

/// The pass switched off in each column of the pass table.
fn pass_variants(base: PassOptions) -> Vec<(&'static str, PassOptions)> {
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
            "none",
            PassOptions {
                constant_propagation: false,
                cse: false,
                dead_gates: false,
                range: false,
                path_ranges: false,
                fusion: false,
            },
        ),
    ]
}

pub(crate) fn markdown_report(
    files: &[PathBuf],
    options: &CompileOptions,
) -> Result<String, CliError> {
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
        let s = CircuitStats::of(&load_any(file, options)?);
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
        let all = compile(file, options)?.and_count();
        let mut row = format!("| `{}` | {all} |", file.display());
        for (_, passes) in &variants {
            let c = compile(
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
