//! Draws the library's progress events ([`protocol::progress`]) as indicatif bars on
//! stderr: one bar per phase, the last finished step beside it. Nothing is drawn with
//! `--quiet` or when stderr is not a terminal. With `GCC_NN_PROGRESS_EVENTS=FILE` the events
//! are appended to FILE as lines instead (tests and scripts).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use protocol::progress::{ProgressSink, set_sink};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};

/// The bar of the current phase, if any.
#[derive(Default)]
struct Bars {
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        let guard = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bar) = guard.as_ref() {
            f(bar);
        }
    }
}

impl ProgressSink for Bars {
    fn phase(&self, name: &str, total: u64) {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta} {msg}",
        ) {
            bar.set_style(style);
        }
        bar.set_prefix(name.to_string());
        let mut guard = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = guard.replace(bar) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, n: u64) {
        self.with(|b| b.inc(n));
    }

    fn step(&self, label: &str, n: u64) {
        self.with(|b| {
            b.inc(n);
            b.set_message(label.to_string());
        });
    }

    fn finish(&self) {
        let mut guard = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bar) = guard.take() {
            // One plain line instead of the bar: what ran and how long it took (a finished
            // bar would leave the cursor on its line for the next stdout text).
            bar.finish_and_clear();
            eprintln!("{}: {:.1} s", bar.prefix(), bar.elapsed().as_secs_f64());
        }
    }
}

/// The environment variable naming a file that receives every progress event as a line,
/// from this process and the children it starts (`gcc-nn demo`'s roles): a record for
/// tests and scripts, independent of the terminal (docs/cli.md).
pub(crate) const EVENTS_VAR: &str = "GCC_NN_PROGRESS_EVENTS";

/// Appends each event to a file as one tab-separated line: `PID phase NAME TOTAL`,
/// `PID advance N`, `PID step LABEL N`, `PID finish`. Lines are written whole with
/// `O_APPEND`, so several processes can share the file.
struct EventFile {
    file: Mutex<std::fs::File>,
}

impl EventFile {
    fn line(&self, fields: &[&str]) {
        let mut line = std::process::id().to_string();
        for f in fields {
            line.push('\t');
            line.push_str(f);
        }
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        // A progress record must never stop the computation: a failed write is dropped.
        let _ = std::io::Write::write_all(&mut *file, line.as_bytes());
    }
}

impl ProgressSink for EventFile {
    fn phase(&self, name: &str, total: u64) {
        self.line(&["phase", name, &total.to_string()]);
    }

    fn advance(&self, n: u64) {
        self.line(&["advance", &n.to_string()]);
    }

    fn step(&self, label: &str, n: u64) {
        self.line(&["step", label, &n.to_string()]);
    }

    fn finish(&self) {
        self.line(&["finish"]);
    }
}

/// Installs the event file of [`EVENTS_VAR`] if it is set, else the bars unless `quiet` or
/// stderr is not a terminal.
pub(crate) fn install(quiet: bool) -> Result<(), String> {
    if let Some(path) = std::env::var_os(EVENTS_VAR) {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("{EVENTS_VAR}={}: {e}", path.to_string_lossy()))?;
        set_sink(Some(Arc::new(EventFile {
            file: Mutex::new(file),
        })));
    } else if !quiet && std::io::stderr().is_terminal() {
        set_sink(Some(Arc::new(Bars::default())));
    }
    Ok(())
}
