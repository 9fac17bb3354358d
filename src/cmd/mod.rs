//! One module per subcommand group, and the stdout helpers every command prints with.

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

pub(crate) mod compile;
pub(crate) mod demo;
pub(crate) mod denoise;
pub(crate) mod dsl;
pub(crate) mod gc;
pub(crate) mod paillier;
pub(crate) mod progress;
#[cfg(test)]
mod report_md;
pub(crate) mod secure;
pub(crate) mod secure_bench;

/// An error that ends a command: printed to stderr, exit status 1.
pub(crate) type CliError = Box<dyn std::error::Error + Send + Sync>;

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

/// Whether `e` (or an error it wraps) is a write to a closed pipe.
pub(crate) fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        cur = err.source();
    }
    false
}
