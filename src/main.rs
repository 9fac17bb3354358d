//! `gcc-nn`: the command-line front end of the garbled-circuit compiler and runtime.
//!
//! Each subcommand group lives in its own module under `src/cmd/` with its own clap
//! `Subcommand` enum, flattened into [`Command`] here; this file only parses the command
//! line and dispatches. Errors are printed to stderr with a non-zero exit status.

// Command output goes through `outln!`/`out!` (src/cmd/mod.rs), which end quietly on a
// closed pipe; a bare `println!` would panic there.
#![warn(clippy::print_stdout)]

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

mod cmd;

/// `--version`: the package version and the git commit it was built from (`build.rs`;
/// "unknown" when built outside a git checkout).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GCC_NN_GIT_COMMIT"),
    ")"
);

/// Garbled-circuit compiler and two-party runtime for secure neural networks
/// (semi-honest security, κ = 128, σ = 40).
#[derive(Parser)]
#[command(name = "gcc-nn", version = VERSION, about, long_about = None)]
struct Cli {
    /// No progress bars (they are also off when stderr is not a terminal).
    #[arg(short = 'q', long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// All subcommands; each group's variants come from its module in `src/cmd/`.
#[derive(Subcommand)]
enum Command {
    // One line per group, e.g.:  #[command(flatten)] Dsl(cmd::dsl::DslCommand),
    #[command(flatten)]
    Dsl(cmd::dsl::DslCommand),
    #[command(flatten)]
    Gc(cmd::gc::GcCommand),
    #[command(flatten)]
    Compile(cmd::compile::CompileCommand),
    #[command(flatten)]
    Paillier(cmd::paillier::PaillierCommand),
    #[command(flatten)]
    Denoise(cmd::denoise::DenoiseCommand),
    #[command(flatten)]
    Secure(cmd::secure::SecureCommand),
    #[command(flatten)]
    SecureBench(cmd::secure_bench::SecureBenchCommand),
    #[command(flatten)]
    Demo(cmd::demo::DemoCommand),
    #[command(flatten)]
    Identity(cmd::identity::IdentityCommand),
    #[command(flatten)]
    Train(cmd::train::TrainCommand),
    #[command(flatten)]
    Cost(cmd::cost::CostCommand),
    #[command(flatten)]
    Front(cmd::front::FrontCommand),
    /// Print a shell completion script: `gcc-nn completions bash > ~/.local/share/bash-completion/completions/gcc-nn`
    /// (zsh: a file `_gcc-nn` in a directory of `$fpath`; fish: `~/.config/fish/completions/gcc-nn.fish`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = cmd::progress::install(cli.quiet) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let result: Result<(), cmd::CliError> = match cli.command {
        // One arm per group, e.g.:  Command::Dsl(c) => cmd::dsl::run(c),
        Command::Dsl(c) => cmd::dsl::run(c),
        Command::Gc(c) => cmd::gc::run(c),
        Command::Compile(c) => cmd::compile::run(c),
        Command::Paillier(c) => cmd::paillier::run(c),
        Command::Denoise(c) => cmd::denoise::run(c),
        Command::Secure(c) => cmd::secure::run(c),
        Command::SecureBench(c) => cmd::secure_bench::run(c),
        Command::Demo(c) => cmd::demo::run(c),
        Command::Identity(c) => cmd::identity::run(c),
        Command::Train(c) => cmd::train::run(c),
        Command::Cost(c) => cmd::cost::run(c),
        Command::Front(c) => cmd::front::run(c),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "gcc-nn", &mut script);
            // A closed pipe (`gcc-nn completions bash | head`) is not an error.
            match std::io::Write::write_all(&mut std::io::stdout().lock(), &script) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
