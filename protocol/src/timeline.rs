//! One record of where a party's time and traffic went, for every protocol: the garbled-circuit
//! driver's phases, the bridge, the reference and fast protocols and the session append to a
//! [`Timeline`], and the front end prints it ([`Timeline`]'s `Display` is the summary).
//!
//! An entry is a wall-clock span with a typed [`Category`], a name and, while a layer runs,
//! that layer's number. Counts (bytes each way, AND gates, OTs, cross products, activations,
//! pixels, patches, randomness used) and the process CPU time sit beside the entries.
//! Entries hold names and durations only, never a value of the computation.

use std::fmt;
use std::time::{Duration, Instant};

/// What a span of time was spent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Off-line work done ahead of the peer's messages (precomputed Paillier randomness).
    Offline,
    /// Local computation on ciphertexts or shares.
    Compute,
    /// Sending a message.
    Send,
    /// Receiving a message, including the wait for the peer to produce it.
    Wait,
    /// The packed cross products of a linear layer (fast protocol).
    Cross,
    /// A garbled-circuit run (handshake, OT, garbling or evaluation, outputs).
    Gc,
    /// Anything else (set-up, output mapping).
    Other,
}

impl Category {
    /// Every category, in summary order.
    pub const ALL: [Category; 7] = [
        Category::Offline,
        Category::Compute,
        Category::Send,
        Category::Wait,
        Category::Cross,
        Category::Gc,
        Category::Other,
    ];

    /// Short lower-case name (`offline`, `compute`, `send`, `wait`, `cross`, `gc`, `other`).
    pub fn name(self) -> &'static str {
        match self {
            Category::Offline => "offline",
            Category::Compute => "compute",
            Category::Send => "send",
            Category::Wait => "wait",
            Category::Cross => "cross",
            Category::Gc => "gc",
            Category::Other => "other",
        }
    }
}

/// One span of a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What kind of work.
    pub category: Category,
    /// The layer (1-based) that was running, if any.
    pub layer: Option<u32>,
    /// What was done (`"decrypt blinded factors"`, `"garble"`, …).
    pub name: String,
    /// Wall time.
    pub wall: Duration,
}

impl Entry {
    /// `L2 gc: garble`-style label: layer, category (none for [`Category::Other`]), name.
    pub fn label(&self) -> String {
        let category = match self.category {
            Category::Other => String::new(),
            c => format!("{}: ", c.name()),
        };
        match self.layer {
            Some(l) => format!("L{l} {category}{}", self.name),
            None => format!("{category}{}", self.name),
        }
    }
}

/// Where one party's time and traffic went.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Spans in the order they ended.
    pub entries: Vec<Entry>,
    /// Bytes this party sent.
    pub bytes_sent: u64,
    /// Bytes this party received.
    pub bytes_received: u64,
    /// AND gates garbled or evaluated.
    pub ands: u64,
    /// Oblivious transfers run.
    pub ots: u64,
    /// Packed cross products (fast protocol).
    pub cross_products: u64,
    /// Activations computed by garbled circuits.
    pub activations: u64,
    /// Pixels revealed to the user by output circuits.
    pub pixels: u64,
    /// Patches processed.
    pub patches: u64,
    /// Precomputed `r^N` values taken from a pool.
    pub randomness_from_pool: u64,
    /// `r^N` values computed on line because the pool ran dry.
    pub randomness_computed: u64,
    /// CPU time of the process over the run, when the caller measured it.
    pub cpu: Option<Duration>,
    /// Remarks on the run, in order (e.g. "fast: setup skipped, stored share pair reused").
    pub notes: Vec<String>,
    layer: Option<u32>,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the layer (1-based) that the next entries belong to; `None` after the layers.
    pub fn set_layer(&mut self, layer: Option<u32>) {
        self.layer = layer;
    }

    /// The layer the next entries belong to.
    pub fn layer(&self) -> Option<u32> {
        self.layer
    }

    /// Appends a span of `wall` spent on `name`.
    pub fn record(&mut self, category: Category, name: impl Into<String>, wall: Duration) {
        self.entries.push(Entry {
            category,
            layer: self.layer,
            name: name.into(),
            wall,
        });
    }

    /// Adds a remark on the run (no time).
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// Runs `f`, recording its wall time as `name`.
    pub fn time<T>(&mut self, category: Category, name: &str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.record(category, name, t.elapsed());
        out
    }

    /// Appends the phases and counts of a garbled-circuit run (category [`Category::Gc`]).
    pub fn absorb_gc(&mut self, stats: &runtime::driver::RunStats) {
        for (name, d) in &stats.phases {
            self.record(Category::Gc, *name, *d);
        }
        self.ands += stats.ands;
        self.ots += stats.ots;
    }

    /// Appends another timeline's entries (under this one's current layer when they have
    /// none) and adds its counts and CPU time.
    pub fn absorb(&mut self, other: &Timeline) {
        for e in &other.entries {
            self.entries.push(Entry {
                layer: e.layer.or(self.layer),
                ..e.clone()
            });
        }
        let (c, o) = (&mut *self, other);
        c.bytes_sent += o.bytes_sent;
        c.bytes_received += o.bytes_received;
        c.ands += o.ands;
        c.ots += o.ots;
        c.cross_products += o.cross_products;
        c.activations += o.activations;
        c.pixels += o.pixels;
        c.patches += o.patches;
        c.randomness_from_pool += o.randomness_from_pool;
        c.randomness_computed += o.randomness_computed;
        self.notes.extend(other.notes.iter().cloned());
        self.cpu = match (self.cpu, other.cpu) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }

    /// Appends the entries and work counts of a run nested in this one on the same channel
    /// (the bridge inside a layer), but not its traffic, which the caller counts on the
    /// channel.
    pub fn absorb_nested(&mut self, nested: &Timeline) {
        let (sent, received) = (self.bytes_sent, self.bytes_received);
        self.absorb(nested);
        self.bytes_sent = sent;
        self.bytes_received = received;
    }

    /// Adds bytes sent and received.
    pub fn add_traffic(&mut self, sent: u64, received: u64) {
        self.bytes_sent += sent;
        self.bytes_received += received;
    }

    /// Total wall time of all entries.
    pub fn total(&self) -> Duration {
        self.entries.iter().map(|e| e.wall).sum()
    }

    /// Total wall time of one category.
    pub fn category(&self, category: Category) -> Duration {
        self.entries
            .iter()
            .filter(|e| e.category == category)
            .map(|e| e.wall)
            .sum()
    }

    /// Total wall time of one layer's entries.
    pub fn layer_total(&self, layer: u32) -> Duration {
        self.entries
            .iter()
            .filter(|e| e.layer == Some(layer))
            .map(|e| e.wall)
            .sum()
    }

    /// On-line wall time: everything but [`Category::Offline`].
    pub fn online(&self) -> Duration {
        self.total() - self.category(Category::Offline)
    }

    /// Wall time of the garbled-circuit runs.
    pub fn gc_wall(&self) -> Duration {
        self.category(Category::Gc)
    }

    /// Local computation on Paillier values or shares ([`Category::Compute`]).
    pub fn compute(&self) -> Duration {
        self.category(Category::Compute)
    }

    /// Entries merged by label (layer, category, name) in first-seen order: the per-phase
    /// table of a summary.
    pub fn phases(&self) -> Vec<(String, Duration)> {
        let mut out: Vec<(String, Duration)> = Vec::new();
        for e in &self.entries {
            let label = e.label();
            match out.iter_mut().find(|(n, _)| *n == label) {
                Some((_, d)) => *d += e.wall,
                None => out.push((label, e.wall)),
            }
        }
        out
    }
}

/// The summary: one line per phase (merged), then totals per category, traffic and counts.
impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (label, d) in self.phases() {
            writeln!(f, "  {label:<48} {:>10.3} s", d.as_secs_f64())?;
        }
        let parts: Vec<String> = Category::ALL
            .iter()
            .map(|&c| (c, self.category(c)))
            .filter(|(_, d)| !d.is_zero())
            .map(|(c, d)| format!("{} {:.3} s", c.name(), d.as_secs_f64()))
            .collect();
        write!(f, "  total {:.3} s", self.total().as_secs_f64())?;
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        if let Some(cpu) = self.cpu {
            write!(f, ", CPU {:.3} s", cpu.as_secs_f64())?;
        }
        let c = self;
        write!(
            f,
            "\n  sent {} B, received {} B",
            c.bytes_sent, c.bytes_received
        )?;
        let counts = [
            ("patches", c.patches),
            ("cross products", c.cross_products),
            ("activations", c.activations),
            ("pixels", c.pixels),
            ("AND gates", c.ands),
            ("OTs", c.ots),
        ];
        for (name, n) in counts.iter().filter(|(_, n)| *n > 0) {
            write!(f, ", {n} {name}")?;
        }
        writeln!(f)?;
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        Ok(())
    }
}

/// Times spans one after the other: each [`Lap::lap`] records the time since the last.
#[derive(Debug)]
pub struct Lap {
    last: Instant,
}

impl Lap {
    /// Starts timing now.
    pub fn start() -> Self {
        Self {
            last: Instant::now(),
        }
    }

    /// Records the time since the last lap (or the start) as `name`.
    pub fn lap(&mut self, timeline: &mut Timeline, category: Category, name: &str) {
        let now = Instant::now();
        timeline.record(category, name, now - self.last);
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn categories_layers_and_merged_phases_add_up() {
        let mut t = Timeline::new();
        t.record(Category::Offline, "r^N", ms(5));
        t.set_layer(Some(1));
        t.record(Category::Compute, "decrypt", ms(10));
        t.record(Category::Wait, "products", ms(7));
        t.set_layer(Some(2));
        t.record(Category::Compute, "decrypt", ms(20));
        t.set_layer(Some(1));
        t.record(Category::Compute, "decrypt", ms(1));
        t.set_layer(None);
        assert_eq!(t.total(), ms(43));
        assert_eq!(t.online(), ms(38));
        assert_eq!(t.compute(), ms(31));
        assert_eq!(t.layer_total(1), ms(18));
        assert_eq!(
            t.phases(),
            vec![
                ("offline: r^N".to_string(), ms(5)),
                ("L1 compute: decrypt".to_string(), ms(11)),
                ("L1 wait: products".to_string(), ms(7)),
                ("L2 compute: decrypt".to_string(), ms(20)),
            ]
        );
    }

    #[test]
    fn gc_runs_and_other_timelines_are_absorbed_under_the_current_layer() {
        let stats = runtime::driver::RunStats {
            ands: 100,
            ots: 8,
            bytes_sent: 1,
            bytes_received: 2,
            phases: vec![("garble", ms(3)), ("ot", ms(2))],
        };
        let mut t = Timeline::new();
        t.set_layer(Some(3));
        t.absorb_gc(&stats);
        assert_eq!(t.gc_wall(), ms(5));
        assert_eq!((t.ands, t.ots), (100, 8));
        assert!(t.entries.iter().all(|e| e.layer == Some(3)));

        let mut other = Timeline::new();
        other.record(Category::Cross, "layer products", ms(4));
        other.cross_products = 6;
        other.add_traffic(10, 20);
        other.cpu = Some(ms(9));
        t.absorb(&other);
        assert_eq!(t.category(Category::Cross), ms(4));
        assert_eq!(t.entries.last().map(|e| e.layer), Some(Some(3)));
        assert_eq!(t.cross_products, 6);
        assert_eq!((t.bytes_sent, t.bytes_received), (10, 20));
        assert_eq!(t.cpu, Some(ms(9)));

        let mut nested = Timeline::new();
        nested.record(Category::Gc, "garble", ms(2));
        nested.add_traffic(100, 100);
        nested.activations = 5;
        nested.note("bridge: pool ran dry");
        t.absorb_nested(&nested);
        assert_eq!(
            (t.bytes_sent, t.bytes_received),
            (10, 20),
            "traffic not counted twice"
        );
        assert_eq!(t.activations, 5);
        assert_eq!(t.notes, vec!["bridge: pool ran dry".to_string()]);
        assert!(t.to_string().contains("  note: bridge: pool ran dry\n"));
    }

    #[test]
    fn the_summary_prints_phases_totals_and_counts() {
        let mut t = Timeline::new();
        t.set_layer(Some(2));
        t.record(Category::Gc, "evaluate", ms(1500));
        t.set_layer(None);
        t.activations = 42;
        t.add_traffic(1000, 2000);
        let text = t.to_string();
        assert!(text.contains("L2 gc: evaluate"), "{text}");
        assert!(text.contains("1.500 s"), "{text}");
        assert!(text.contains("gc 1.500 s"), "{text}");
        assert!(text.contains("sent 1000 B, received 2000 B"), "{text}");
        assert!(text.contains("42 activations"), "{text}");
        assert!(!text.contains("pixels"), "{text}");
    }

    #[test]
    fn laps_follow_each_other() {
        let mut t = Timeline::new();
        let mut lap = Lap::start();
        lap.lap(&mut t, Category::Compute, "a");
        lap.lap(&mut t, Category::Send, "b");
        assert_eq!(t.entries.len(), 2);
        assert_eq!(t.entries[1].category, Category::Send);
    }
}
