//! Time per phase and bytes each way of one job, for the user's summary and benches.

use std::time::{Duration, Instant};

/// What one side spent on a job.
#[derive(Debug, Clone, Default)]
pub struct JobStats {
    /// Wall time per phase name, in first-seen order (`offline:` phases precompute
    /// Paillier randomness; `wait:` phases wait for the peer).
    pub phases: Vec<(String, Duration)>,
    /// Bytes this side sent.
    pub bytes_sent: u64,
    /// Bytes this side received.
    pub bytes_received: u64,
    /// Patches processed.
    pub patches: usize,
    /// Prefix of the phases being recorded (e.g. `L2 ` while layer 2 runs).
    pub scope: String,
}

impl JobStats {
    /// Adds `d` to phase `name`.
    pub fn add(&mut self, name: &str, d: Duration) {
        let name = format!("{}{name}", self.scope);
        match self.phases.iter_mut().find(|(n, _)| *n == name) {
            Some((_, t)) => *t += d,
            None => self.phases.push((name, d)),
        }
    }

    /// Runs `f`, charging its wall time to phase `name`.
    pub fn time<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.add(name, t.elapsed());
        out
    }

    /// Total of the phases whose name contains `part` (e.g. `offline:`).
    pub fn total(&self, part: &str) -> Duration {
        self.phases
            .iter()
            .filter(|(n, _)| n.contains(part))
            .map(|(_, d)| *d)
            .sum()
    }

    /// Merges the phases and byte counts of `other` into this.
    pub fn absorb(&mut self, other: &JobStats) {
        for (n, d) in &other.phases {
            self.add(n, *d);
        }
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.patches += other.patches;
    }
}
