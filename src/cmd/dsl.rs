//! `gcc-nn check` and `gcc-nn eval`: the DSL front end on the command line.

use super::CliError;
use clap::Subcommand;
use std::path::{Path, PathBuf};

/// DSL commands.
#[derive(Subcommand)]
pub(crate) enum DslCommand {
    /// Parse and type-check a .dsl program; print its inputs and outputs (exit 1 on errors).
    Check {
        /// The program, e.g. circuits/tanh.dsl.
        file: PathBuf,
        /// Override a named constant: -D K=40 (repeatable).
        #[arg(short = 'D', value_name = "NAME=VALUE")]
        define: Vec<String>,
        /// Also print the elaborated core IR (typed SSA nodes) the compiler lowers.
        #[arg(long)]
        ir: bool,
    },
    /// Run a .dsl program in the reference interpreter and print each output
    /// (exact decimal value and raw bits).
    Eval {
        /// The program, e.g. circuits/tanh.dsl.
        file: PathBuf,
        /// An input value: --input x=0.5 (decimal, quantised like a literal) or x=0x2b7e
        /// (raw bit pattern); one per input.
        #[arg(short = 'i', long = "input", value_name = "NAME=VALUE")]
        inputs: Vec<String>,
        /// Override a named constant: -D K=40 (repeatable).
        #[arg(short = 'D', value_name = "NAME=VALUE")]
        define: Vec<String>,
        /// Print one JSON object (fields: docs/cli.md) instead of one line per output.
        #[arg(long)]
        json: bool,
    },
}

/// The party name as programs and commands write it.
fn party_name(p: dsl::ast::Party) -> &'static str {
    match p {
        dsl::ast::Party::Garbler => "garbler",
        dsl::ast::Party::Evaluator => "evaluator",
    }
}

/// Runs a DSL command.
pub(crate) fn run(cmd: DslCommand) -> Result<(), CliError> {
    match cmd {
        DslCommand::Check { file, define, ir } => {
            let program = load(&file, &define)?;
            outln!("{}: ok", file.display());
            for i in &program.inputs {
                outln!(
                    "  input  {:<10} {:<22} {}",
                    i.name,
                    i.ty.to_string(),
                    party_name(i.party)
                );
            }
            for o in &program.outputs {
                outln!("  output {:<10} {}", o.name, o.ty);
            }
            outln!("  {} core operations", program.node_count());
            if ir {
                out!("{program}");
            }
            Ok(())
        }
        DslCommand::Eval {
            file,
            inputs,
            define,
            json,
        } => {
            let program = load(&file, &define)?;
            let mut given: Vec<(String, u128)> = Vec::new();
            for text in &inputs {
                let (name, value) = dsl::split_override(text)
                    .ok_or_else(|| format!("--input `{text}`: expected NAME=VALUE"))?;
                let input = program.input(&name).ok_or_else(|| {
                    let names: Vec<&str> = program.inputs.iter().map(|i| i.name.as_str()).collect();
                    format!(
                        "--input {name}: no such input (inputs: {})",
                        names.join(", ")
                    )
                })?;
                let raw = dsl::parse_value(&value, &input.ty)
                    .map_err(|e| format!("--input {name}: {e}"))?;
                given.push((name, raw));
            }
            let named: Vec<(&str, u128)> = given.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let outputs = dsl::interpret_named(&program, &named)?;
            if json {
                let list: Vec<serde_json::Value> = program
                    .outputs
                    .iter()
                    .zip(&outputs)
                    .map(|(o, (_, raw))| {
                        serde_json::json!({
                            "name": o.name,
                            "value": dsl::format_value(*raw, &o.ty),
                            "raw": dsl::format_raw_hex(*raw, &o.ty),
                            "type": o.ty.to_string(),
                        })
                    })
                    .collect();
                let value = serde_json::json!({
                    "file": file.display().to_string(),
                    "outputs": list,
                });
                outln!("{value}");
                return Ok(());
            }
            for (o, (_, raw)) in program.outputs.iter().zip(outputs) {
                outln!(
                    "{} = {}  (raw {}, {})",
                    o.name,
                    dsl::format_value(raw, &o.ty),
                    dsl::format_raw_hex(raw, &o.ty),
                    o.ty
                );
            }
            Ok(())
        }
    }
}

/// Reads and checks a program, printing rendered diagnostics to stderr on failure.
fn load(file: &Path, define: &[String]) -> Result<dsl::core::Program, CliError> {
    let source = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut overrides = Vec::new();
    for d in define {
        overrides
            .push(dsl::split_override(d).ok_or_else(|| format!("-D `{d}`: expected NAME=VALUE"))?);
    }
    let name = file.display().to_string();
    dsl::check_with(&source, &name, &overrides).map_err(|diags| {
        eprint!("{}", diags.render_with(dsl::Style::for_stderr()));
        let n = diags.errors.len();
        format!("{name}: {n} error{}", if n == 1 { "" } else { "s" }).into()
    })
}
