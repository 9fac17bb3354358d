//! The user's summary of a secure run, as `gcc-nn denoise --connect` and `gcc-nn
//! secure-bench` print it: wall time per phase (phases that did not happen are not listed),
//! notes, CPU per side where known, and bytes each way.

use crate::session::JobStats;
use crate::timeline::Category;
use std::fmt;
use std::time::Duration;

/// The figures of one run, ready to print ([`fmt::Display`]).
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a> {
    /// What ran, e.g. "secure denoising (fast)".
    pub title: &'a str,
    /// The user's time per phase and bytes each way.
    pub stats: &'a JobStats,
    /// Connecting and the handshake.
    pub handshake: Duration,
    /// The whole run.
    pub total: Duration,
    /// Patches processed.
    pub patches: usize,
    /// Layers of the model.
    pub layers: usize,
    /// The user's CPU time, if measured.
    pub user_cpu: Option<Duration>,
    /// The cloud's CPU time, if known (the cloud runs elsewhere: only a caller that started
    /// it, such as `gcc-nn demo`, can tell).
    pub cloud_cpu: Option<Duration>,
}

impl Summary<'_> {
    /// The phases with a duration, merged by label, in order.
    pub fn timed_phases(&self) -> impl Iterator<Item = (String, Duration)> {
        self.stats
            .phases()
            .into_iter()
            .filter(|(_, d)| !d.is_zero())
    }

    /// The notes recorded during the run (e.g. "fast: setup skipped, stored share pair
    /// reused").
    pub fn notes(&self) -> impl Iterator<Item = &str> {
        self.stats.notes.iter().map(String::as_str)
    }
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.stats;
        writeln!(
            f,
            "{}: {} patches × {} layers in {:.2} s",
            self.title,
            self.patches,
            self.layers,
            self.total.as_secs_f64()
        )?;
        writeln!(
            f,
            "  {:<44} {:>10.3} s",
            "handshake",
            self.handshake.as_secs_f64()
        )?;
        for (name, d) in self.timed_phases() {
            writeln!(f, "  {name:<44} {:>10.3} s", d.as_secs_f64())?;
        }
        let extras = [
            ("off-line r^N precomputation", s.category(Category::Offline)),
            ("waiting for the cloud", s.category(Category::Wait)),
        ];
        for (what, d) in extras.iter().filter(|(_, d)| !d.is_zero()) {
            writeln!(f, "  of which {what} {:.3} s", d.as_secs_f64())?;
        }
        for note in self.notes() {
            writeln!(f, "  note: {note}")?;
        }
        let cpu: Vec<String> = [("user", self.user_cpu), ("cloud", self.cloud_cpu)]
            .iter()
            .filter_map(|(side, c)| c.map(|c| format!("{side} {:.1} s", c.as_secs_f64())))
            .collect();
        if !cpu.is_empty() {
            writeln!(f, "  CPU: {}", cpu.join(", "))?;
        }
        writeln!(
            f,
            "  bytes: {} sent, {} received (user→cloud {:.2} MB, cloud→user {:.2} MB; {:.1} KiB per patch)",
            s.bytes_sent,
            s.bytes_received,
            s.bytes_sent as f64 / 1e6,
            s.bytes_received as f64 / 1e6,
            (s.bytes_sent + s.bytes_received) as f64 / 1024.0 / self.patches.max(1) as f64
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> JobStats {
        let mut s = JobStats::default();
        s.record(
            Category::Other,
            "fast: setup (re-sharing)",
            Duration::from_millis(1500),
        );
        s.note("fast: setup skipped, stored share pair reused");
        s.record(Category::Other, "fast: image", Duration::from_millis(2250));
        s.bytes_sent = 3_000_000;
        s.bytes_received = 250_000;
        s
    }

    #[test]
    fn phases_notes_cpu_and_bytes_are_listed_and_absent_ones_omitted() {
        let stats = stats();
        let summary = Summary {
            title: "secure denoising (fast)",
            stats: &stats,
            handshake: Duration::from_millis(12),
            total: Duration::from_millis(3800),
            patches: 4,
            layers: 3,
            user_cpu: Some(Duration::from_millis(2500)),
            cloud_cpu: None,
        };
        let text = summary.to_string();
        assert!(text.starts_with("secure denoising (fast): 4 patches × 3 layers in 3.80 s\n"));
        assert!(text.contains("fast: setup (re-sharing)"), "{text}");
        assert!(text.contains("1.500 s"), "{text}");
        assert!(text.contains("  note: fast: setup skipped"), "{text}");
        assert!(
            !text.contains("0.000 s"),
            "no zero-length phase is timed: {text}"
        );
        assert!(!text.contains("waiting for the cloud"), "{text}");
        assert!(!text.contains("off-line"), "{text}");
        assert!(text.contains("  CPU: user 2.5 s\n"), "{text}");
        assert!(!text.contains("cloud 0"), "{text}");
        assert!(text.contains("  bytes: 3000000 sent, 250000 received (user→cloud 3.00 MB"));
        let with_cloud = Summary {
            cloud_cpu: Some(Duration::from_secs(7)),
            ..summary
        };
        assert!(
            with_cloud
                .to_string()
                .contains("CPU: user 2.5 s, cloud 7.0 s")
        );
    }

    #[test]
    fn waiting_and_offline_totals_appear_only_when_they_happened() {
        let mut stats = stats();
        stats.set_layer(Some(1));
        stats.record(Category::Wait, "cloud products", Duration::from_millis(750));
        stats.set_layer(None);
        let summary = Summary {
            title: "t",
            stats: &stats,
            handshake: Duration::ZERO,
            total: Duration::from_secs(1),
            patches: 1,
            layers: 1,
            user_cpu: None,
            cloud_cpu: None,
        };
        let text = summary.to_string();
        assert!(
            text.contains("of which waiting for the cloud 0.750 s"),
            "{text}"
        );
        assert!(!text.contains("off-line"), "{text}");
        assert!(!text.contains("CPU:"), "unknown CPU is not printed: {text}");
    }
}
