//! `gcc-nn compile` and `gcc-nn report`: DSL programs to circuit files, and circuit sizes.

use super::CliError;
use clap::{Args, Subcommand, ValueEnum};
use compiler::report::{self, value_type};
use compiler::stats::CircuitStats;
use compiler::{Circuit, CompileOptions, PassOptions};
use platform::atomic_file::{PendingFile, Visibility, WriteError, write_file};
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
    /// Disable shared row pairs in fused sums.
    #[arg(long)]
    no_shared_rows: bool,
    /// Disable redundant-select elimination.
    #[arg(long)]
    no_redundant_selects: bool,
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
            shared_rows: !self.no_shared_rows,
            redundant_selects: !self.no_redundant_selects && !self.no_range,
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
                    let pending = |path: &Path, text: String| {
                        PendingFile::write(path, text.as_bytes(), Visibility::Public)
                            .map_err(|e| WriteError::new(path, e))
                    };
                    let circuit_tmp = pending(&output, compiler::bristol::write_fashion(&circuit))?;
                    let meta_tmp = pending(&meta, compiler::meta::to_json(&circuit))?;
                    circuit_tmp.place(true)?;
                    meta_tmp.place(true)?;
                    eprintln!("wrote {} and {}", output.display(), meta.display());
                }
                Format::Binary => {
                    write_file(
                        &output,
                        &compiler::binary::write(&circuit),
                        Visibility::Public,
                    )?;
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
                out!("{}", report::markdown_report(&files, &options)?);
                return Ok(());
            }
            for file in &files {
                let circuit = report::load_any(file, None, &options)?;
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

fn compile(file: &Path, options: &CompileOptions) -> Result<Circuit, CliError> {
    compiler::compile_file(file, options).map_err(|e| e.render().into())
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
            format!("{}: {}{party}", v.name, value_type(v.format))
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
