//! The HE↔GC bridge (docs/design.md §6, the paper's §3.1): the cloud holds `Enc(x_i)` under the
//! user's key and ends with `Enc(f(x_i))` for a compiled activation circuit f.
//!
//! 1. Cloud: masks each `Enc(x)` to `Enc(x + m)` (cheap plaintext addition), re-randomises
//!    it with precomputed `r^N` and sends it (packed mode: K_in masked values per ciphertext,
//!    Horner-packed homomorphically).
//! 2. User: decrypts x + m, draws its output mask ru and sends `Enc(−ru)` (fresh, so it
//!    needs no further re-randomisation; equivalent to the paper's `Enc(ru)` with the
//!    inversion done by the key owner), then garbles `y = f((x+m) − m) + ru` over a batch.
//! 3. Cloud: gets the labels of its m by OT, evaluates, learns y, and computes
//!    `Enc(f(x)) = Enc(−ru) · (1 + y·N)` — no multiplication mod N² needed.
//!
//! Both roles are library calls over any [`runtime::channel::Channel`].
//!
//! Untrusted bytes: the user checks the cloud's header (magic, version, mode, batch within
//! [`MAX_BATCH`], ciphertext count equal to what the batch needs, key fingerprint) before
//! reading on; every ciphertext is checked to lie in (0, N²) and every decrypted masked value
//! against its width; runs of ciphertexts are allocated as they arrive, so an announced count
//! costs nothing by itself. Errors name the message being received. `protocol/tests/bridge_wire.rs`
//! replays, truncates, mutates and randomises honest transcripts of both roles; the fuzz
//! target `bridge_wire` runs the same harness.

pub mod chained;
pub mod chained_circuit;
pub mod circuit;
mod cloud;
pub mod demo;
pub mod masks;
mod user;
pub(crate) mod wire;

pub use circuit::{BridgeCircuit, DEFAULT_SIGMA, MaskParams};
pub use cloud::{CloudOutput, run_cloud};
pub use user::run_user;
pub use wire::{MAX_BATCH, Mode};

use paillier::{PublicKey, Randomness, RandomnessPool, SlotLayout};
use rand::CryptoRng;
use std::time::{Duration, Instant};

/// What one party did in one bridge run: on-line phases, traffic, randomness used.
#[derive(Debug, Clone, Default)]
pub struct PartyReport {
    /// On-line phases in order with their wall time (GC phases prefixed `gc:`).
    pub phases: Vec<(String, Duration)>,
    /// Precomputed `r^N` values taken from the pool.
    pub randomness_from_pool: usize,
    /// `r^N` values computed on line because the pool ran dry (counted in the phases).
    pub randomness_computed: usize,
    /// Bytes this party sent.
    pub bytes_sent: u64,
    /// Bytes this party received.
    pub bytes_received: u64,
    /// AND gates garbled or evaluated.
    pub ands: u64,
}

impl PartyReport {
    /// Total on-line wall time (computation, communication and waiting for the peer).
    pub fn online(&self) -> Duration {
        self.phases.iter().map(|(_, d)| *d).sum()
    }

    /// On-line time spent computing on Paillier values (phases outside the garbled-circuit
    /// run that neither send nor receive).
    pub fn paillier_compute(&self) -> Duration {
        self.phases
            .iter()
            .filter(|(n, _)| {
                !n.starts_with("gc:") && !n.starts_with("send") && !n.starts_with("receive")
            })
            .map(|(_, d)| *d)
            .sum()
    }

    /// Wall time of the garbled-circuit run (handshake, OT, garbling/evaluation, outputs).
    pub fn gc_wall(&self) -> Duration {
        self.phases
            .iter()
            .filter(|(n, _)| n.starts_with("gc:"))
            .map(|(_, d)| *d)
            .sum()
    }
}

/// Slot layouts of packed mode for a key: masked pre-activations in, masked activations out.
pub fn packed_layouts(
    pk: &PublicKey,
    p: MaskParams,
) -> Result<(SlotLayout, SlotLayout), paillier::PaillierError> {
    let w_in = p.masked_x_width();
    let w_out = p.masked_y_width();
    Ok((
        SlotLayout::new(SlotLayout::max_slots(w_in, pk.bits()), w_in, pk.bits())?,
        SlotLayout::new(SlotLayout::max_slots(w_out, pk.bits()), w_out, pk.bits())?,
    ))
}

/// Ciphertexts needed for a batch in one direction.
pub(crate) fn groups(batch: usize, per_ciphertext: usize) -> usize {
    batch.div_ceil(per_ciphertext.max(1))
}

/// A precomputed `r^N` if the pool has one, else one computed now (and counted).
pub(crate) fn take_randomness<R: CryptoRng + ?Sized>(
    pool: &mut RandomnessPool,
    pk: &PublicKey,
    report: &mut PartyReport,
    rng: &mut R,
) -> Randomness {
    match pool.take() {
        Some(r) => {
            report.randomness_from_pool += 1;
            r
        }
        None => {
            report.randomness_computed += 1;
            pk.random_nth_power(rng)
        }
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

    pub(crate) fn lap(&mut self, report: &mut PartyReport, name: &str) {
        let now = Instant::now();
        report.phases.push((name.to_string(), now - self.last));
        self.last = now;
    }
}

/// Copy the garbled-circuit run's phases into the report.
pub(crate) fn absorb_gc(report: &mut PartyReport, stats: &runtime::driver::RunStats) {
    for (name, d) in &stats.phases {
        report.phases.push((format!("gc: {name}"), *d));
    }
    report.ands += stats.ands;
}
