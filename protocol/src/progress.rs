//! Progress of the long phases (the owner's upload encryption, the re-sharing, each layer's
//! cross products and activations per patch block), reported to one process-wide sink.
//!
//! The library only announces: [`phase`] opens a phase with its total amount of work,
//! [`advance`] adds done work to it, [`finish`] closes it. With no sink installed (the
//! default) the calls cost an atomic load and do nothing. The command-line front end
//! installs a sink that draws progress bars on stderr ([`set_sink`]); tests install a
//! [`Recorder`] and look at the events. Events carry names and counts only: never a value
//! of the computation.
//!
//! The sink is global because the phases run in several threads (the parties of an
//! in-process run, rayon workers): a test that records events should run alone in its
//! test binary.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Where progress events go.
pub trait ProgressSink: Send + Sync {
    /// A phase starts: `name` (e.g. "layer 2/4: cross products"), `total` units of work.
    fn phase(&self, name: &str, total: u64);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
    /// `n` more units are done, the last of them finishing the step `label` (e.g.
    /// "layer 2/4: activations"); by default just [`ProgressSink::advance`].
    fn step(&self, label: &str, n: u64) {
        let _ = label;
        self.advance(n);
    }
    /// The current phase is over.
    fn finish(&self);
}

static INSTALLED: AtomicBool = AtomicBool::new(false);
static SINK: RwLock<Option<Arc<dyn ProgressSink>>> = RwLock::new(None);

/// Installs `sink` for the whole process (`None`: progress off). Returns the previous one.
pub fn set_sink(sink: Option<Arc<dyn ProgressSink>>) -> Option<Arc<dyn ProgressSink>> {
    let mut slot = SINK.write().unwrap_or_else(PoisonError::into_inner);
    INSTALLED.store(sink.is_some(), Ordering::Release);
    std::mem::replace(&mut *slot, sink)
}

fn with_sink(f: impl FnOnce(&dyn ProgressSink)) {
    if !INSTALLED.load(Ordering::Acquire) {
        return;
    }
    let slot = SINK.read().unwrap_or_else(PoisonError::into_inner);
    if let Some(sink) = slot.as_deref() {
        f(sink);
    }
}

/// Opens a phase of `total` units.
pub fn phase(name: &str, total: u64) {
    with_sink(|s| s.phase(name, total));
}

/// Marks `n` units of the current phase done.
pub fn advance(n: u64) {
    with_sink(|s| s.advance(n));
}

/// Marks `n` units done, finishing the step `label`.
pub fn step(label: &str, n: u64) {
    with_sink(|s| s.step(label, n));
}

/// Closes the current phase.
pub fn finish() {
    with_sink(|s| s.finish());
}

/// One recorded progress event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// [`phase`]`(name, total)`.
    Phase(String, u64),
    /// [`advance`]`(n)`.
    Advance(u64),
    /// [`step`]`(label, n)`.
    Step(String, u64),
    /// [`finish`]`()`.
    Finish,
}

/// A sink that keeps every event, for tests.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// The events so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, e: Event) {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(e);
    }
}

impl ProgressSink for Recorder {
    fn phase(&self, name: &str, total: u64) {
        self.push(Event::Phase(name.to_string(), total));
    }

    fn advance(&self, n: u64) {
        self.push(Event::Advance(n));
    }

    fn step(&self, label: &str, n: u64) {
        self.push(Event::Step(label.to_string(), n));
    }

    fn finish(&self) {
        self.push(Event::Finish);
    }
}

/// Per phase of a recording: its name, total, and the units reported done.
pub fn summarise(events: &[Event]) -> Vec<(String, u64, u64)> {
    let mut out: Vec<(String, u64, u64)> = Vec::new();
    for e in events {
        match e {
            Event::Phase(name, total) => out.push((name.clone(), *total, 0)),
            Event::Advance(n) | Event::Step(_, n) => {
                if let Some(last) = out.last_mut() {
                    last.2 += n;
                }
            }
            Event::Finish => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The global routing is tested by protocol/tests/progress_events.rs, alone in its
    // binary (other unit tests here may run protocol code that reports progress).
    #[test]
    fn recorder_and_summary() {
        let rec = Recorder::new();
        rec.phase("upload", 4);
        rec.advance(1);
        rec.advance(3);
        rec.finish();
        rec.phase("re-sharing", 2);
        rec.advance(1);
        rec.step("layer 1/2", 1);
        assert_eq!(
            rec.events(),
            vec![
                Event::Phase("upload".into(), 4),
                Event::Advance(1),
                Event::Advance(3),
                Event::Finish,
                Event::Phase("re-sharing".into(), 2),
                Event::Advance(1),
                Event::Step("layer 1/2".into(), 1),
            ]
        );
        assert_eq!(
            summarise(&rec.events()),
            vec![("upload".into(), 4, 4), ("re-sharing".into(), 2, 2)]
        );
    }
}
