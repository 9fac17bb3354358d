//! One module per subcommand group, the support modules they share, and the stdout helpers
//! every command prints with.

/// `println!` for command output: a closed stdout (`gcc-nn … | head`) ends the process
/// quietly with status 0 instead of panicking; see [`write_stdout`].
macro_rules! outln {
    () => {
        $crate::cmd::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cmd::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output, with the closed-pipe handling of `outln!`.
#[allow(unused_macros)]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cmd::write_stdout(format_args!($($arg)*))
    };
}

// Command modules: one per subcommand group, each with its clap `Subcommand` enum and its
// `run`. They import libraries and the support modules below, never each other.
pub(crate) mod compile;
pub(crate) mod cost;
pub(crate) mod demo;
pub(crate) mod denoise;
pub(crate) mod dsl;
pub(crate) mod front;
pub(crate) mod gc;
pub(crate) mod identity;
pub(crate) mod paillier;
pub(crate) mod secure;
pub(crate) mod secure_bench;
pub(crate) mod train;

// Support modules: command-line helpers that several commands share (no command logic).
pub(crate) mod args;
pub(crate) mod images;
pub(crate) mod json;
pub(crate) mod keys;
pub(crate) mod progress;
pub(crate) mod runs;

/// An error that ends a command: printed to stderr, exit status 1.
pub(crate) type CliError = Box<dyn std::error::Error + Send + Sync>;

/// The one CLI type for `--activation FILE.dsl|NAME`: a shipped activation (`tanh_fit`,
/// `tanh` = the paper's tanh*, `tanh_fine`, `relu`, `sigmoid`, `gelu`; the former values
/// `tanh-fit`/`tanh-star` still work) or any DSL file of a function `fixed<16, 12> →
/// fixed<16, 12>`. A file that does not check or has another interface is refused with its
/// name and the DSL's diagnostics.
pub(crate) fn parse_activation(s: &str) -> Result<activation::Activation, String> {
    let name = match s {
        "tanh-fit" => "tanh_fit",
        "tanh-star" => "tanh",
        other => other,
    };
    activation::Activation::resolve(name).map_err(|e| e.to_string())
}

/// Writes command output to stdout. When the reader has gone (EPIPE: `| head`, `| true`)
/// the process exits quietly with status 0, as Unix filters do; any other write error
/// (disk full behind a redirection) is reported and exits with status 1.
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        exit_on_stdout_error(&e);
    }
}

/// Ends the process after a failed write to stdout: status 0 and no message for a closed
/// pipe, else the error and status 1.
pub(crate) fn exit_on_stdout_error(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {e}");
    std::process::exit(1);
}

/// Standard output as an [`std::io::Write`] for library code that writes reports: a
/// failed write ends the process like [`write_stdout`] (quietly with status 0 on a closed
/// pipe), so such errors never reach `main`, where an EPIPE from a network peer must stay
/// an error.
pub(crate) struct Stdout;

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().lock().write(buf).or_else(stdout_failed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush().or_else(stdout_failed)
    }
}

/// An interrupted write is retried by the caller; any other failure ends the process.
fn stdout_failed<T>(e: std::io::Error) -> std::io::Result<T> {
    if e.kind() == std::io::ErrorKind::Interrupted {
        return Err(e);
    }
    exit_on_stdout_error(&e)
}
