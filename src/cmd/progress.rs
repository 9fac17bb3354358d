//! Draws the library's progress events ([`protocol::progress`]) as indicatif bars on
//! stderr: one bar per phase, the last finished step beside it. Nothing is drawn with
//! `--quiet` or when stderr is not a terminal.

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

/// Installs the bars unless `quiet` or stderr is not a terminal.
pub(crate) fn install(quiet: bool) {
    if !quiet && std::io::stderr().is_terminal() {
        set_sink(Some(Arc::new(Bars::default())));
    }
}
