//! `gcc-nn`: the command-line front end of the garbled-circuit compiler and runtime.
//!
//! Each subcommand lives in its own module under `src/cmd/`; this file only parses the
//! command line and dispatches. Errors are printed to stderr with a non-zero exit.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// Garbled-circuit compiler and two-party runtime for secure neural networks
/// (semi-honest security, κ = 128, σ = 40).
#[derive(Parser)]
#[command(name = "gcc-nn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<(), cmd::CliError> = match cli.command {};
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
