//! What one party did in one fast-protocol run: phases, traffic, AND gates.

use std::time::{Duration, Instant};

/// Phase names start with one of these categories.
pub const CATEGORIES: [&str; 3] = ["cross", "gc", "other"];

/// Phases (prefixed `cross:`, `gc:` or `other:`), traffic and garbled gates of one party.
#[derive(Clone, Debug, Default)]
pub struct FastReport {
    /// Phases in order with their wall time (computation plus waiting for the peer).
    pub phases: Vec<(String, Duration)>,
    /// Bytes this party sent.
    pub bytes_sent: u64,
    /// Bytes this party received.
    pub bytes_received: u64,
    /// AND gates garbled or evaluated.
    pub ands: u64,
    /// Activations computed by garbled circuits.
    pub activations: u64,
    /// Pixels revealed to the user by the output circuits.
    pub pixels: u64,
    /// AND gates of the output circuits (all pixels).
    pub output_ands: u64,
    /// Bytes this party received during the output circuits.
    pub output_bytes_received: u64,
    /// Bytes received during each garbled batch, in order: the activations of every hidden
    /// layer, then the output circuit of every distinct coverage (view accounting).
    pub gc_bytes_received: Vec<u64>,
}

impl FastReport {
    /// Total wall time of the phases of one category (`cross`, `gc`, `other`).
    pub fn category(&self, name: &str) -> Duration {
        self.phases
            .iter()
            .filter(|(n, _)| n.split(':').next() == Some(name))
            .map(|(_, d)| *d)
            .sum()
    }

    /// Total wall time.
    pub fn total(&self) -> Duration {
        self.phases.iter().map(|(_, d)| *d).sum()
    }
}

/// Times phases one after the other.
pub(crate) struct Clock {
    last: Instant,
}

impl Clock {
    pub(crate) fn start() -> Self {
        Self {
            last: Instant::now(),
        }
    }

    pub(crate) fn lap(&mut self, report: &mut FastReport, name: String) {
        let now = Instant::now();
        report.phases.push((name, now - self.last));
        self.last = now;
    }
}
