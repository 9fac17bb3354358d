//! The three-halves garbler: runs the plan through the engines' gate loop
//! ([`crate::garble::walk`]), hashes each AND batch with six hash calls per gate (tweaks `3g`,
//! `3g+1`, `3g+2`, two inputs each) and writes the material in units of 8 gates into a
//! [`MaterialSink`].

use super::MaterialSink;
use super::tables::{GateMaterial, UNIT_GATES, garble_gate, write_unit};
use crate::block::{Block, Delta};
use crate::garble::{AndQueue, walk};
use crate::plan::{MAX_AND_BATCH, Plan};
use crate::prg::Prg;
use crate::tccr::Tccr;

/// The garbling party's three-halves engine: Δ, the label slots, the AND queue and the
/// batch hashing state.
pub struct Garbler {
    delta: Delta,
    slots: Vec<Block>,
    queue: AndQueue,
    batches: Batches,
}

/// What garbling an AND batch needs besides the slots: the hash, the dicing PRG, the next
/// gate id and the material being written.
struct Batches {
    tccr: Tccr,
    /// Source of the two random control bits per gate.
    prg: Prg,
    gid: u64,
    /// Hash inputs/outputs `A₀, A₁, B₀, B₁, A₀⊕B₀, A₀⊕B₁` per queued gate.
    hashes: Box<[Block; 6 * MAX_AND_BATCH]>,
    /// Gates of the current (unfinished) unit.
    unit: Vec<GateMaterial>,
    /// Bytes ready for the sink.
    out: Vec<u8>,
}

impl Garbler {
    /// A garbler with offset `delta`, hash start point `start` (sent to the evaluator) and
    /// a generator for its per-gate random bits seeded from `rng`.
    pub fn new<R: rand::Rng + ?Sized>(delta: Delta, start: Block, rng: &mut R) -> Garbler {
        Garbler {
            delta,
            slots: Vec::new(),
            queue: AndQueue::new(),
            batches: Batches {
                tccr: Tccr::new(start),
                prg: Prg::from_rng(rng),
                gid: 0,
                hashes: Box::new([Block::ZERO; 6 * MAX_AND_BATCH]),
                unit: Vec::with_capacity(UNIT_GATES),
                out: Vec::with_capacity(4096),
            },
        }
    }

    /// AND gates garbled so far (the next gate id).
    pub fn gates_done(&self) -> u64 {
        self.batches.gid
    }

    /// Garbles one instance of `plan` given the zero-labels of its input wires; material
    /// goes to `sink` batch by batch (the instance's last unit is completed at the end).
    /// Returns the zero-labels of the output wires.
    pub fn garble<S: MaterialSink>(
        &mut self,
        plan: &Plan,
        input_zero_labels: &[Block],
        sink: &mut S,
    ) -> Result<Vec<Block>, S::Error> {
        let Garbler {
            delta,
            slots,
            queue,
            batches,
        } = self;
        let delta = delta.block();
        let labels = walk(
            plan,
            input_zero_labels,
            slots,
            queue,
            delta,
            |slots, inputs, outs| {
                batches.garble(delta, slots, inputs, outs);
                batches.put(sink)
            },
        )?;
        if !batches.unit.is_empty() {
            write_unit(&batches.unit, &mut batches.out);
            batches.unit.clear();
        }
        batches.put(sink)?;
        Ok(labels)
    }
}

impl Batches {
    /// Garbles the queued gates (`inputs`: `(A₀, B₀)` per gate) and writes each output
    /// zero-label to its slot; finished units go to the material buffer.
    fn garble(&mut self, delta: Block, slots: &mut [Block], inputs: &[Block], outs: &[u32]) {
        let n = outs.len();
        if n == 0 {
            return;
        }
        for (h, ab) in self.hashes[..6 * n]
            .as_chunks_mut::<6>()
            .0
            .iter_mut()
            .zip(inputs.as_chunks::<2>().0)
        {
            let [a0, b0] = *ab;
            *h = [a0, a0 ^ delta, b0, b0 ^ delta, a0 ^ b0, a0 ^ b0 ^ delta];
        }
        self.tccr
            .hash_in_place(3 * self.gid, &mut self.hashes[..6 * n], 2);
        // Two random bits per gate: one PRG block covers a whole batch (64 gates).
        const _: () = assert!(MAX_AND_BATCH <= 64, "one 128-bit PRG block per batch");
        let bits = self.prg.next_block().0;
        for (k, ((ab, h), &out)) in inputs
            .chunks_exact(2)
            .zip(self.hashes[..6 * n].as_chunks::<6>().0)
            .zip(outs)
            .enumerate()
        {
            let r = (bits >> (2 * k)) as u8 & 3;
            let (c0, m) = garble_gate(ab[0], ab[1], delta, h, r);
            slots[out as usize] = c0;
            self.unit.push(m);
            if self.unit.len() == UNIT_GATES {
                write_unit(&self.unit, &mut self.out);
                self.unit.clear();
            }
        }
        self.gid += n as u64;
    }

    /// Hands the material written so far to `sink`.
    fn put<S: MaterialSink>(&mut self, sink: &mut S) -> Result<(), S::Error> {
        if !self.out.is_empty() {
            sink.put_material(&self.out)?;
            self.out.clear();
        }
        Ok(())
    }
}
