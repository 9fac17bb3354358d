//! The three-halves garbler: queues AND gates like the half-gates engine, hashes each batch
//! with six hash calls per gate (tweaks `3g`, `3g+1`, `3g+2`, two inputs each) and writes
//! the material in units of 8 gates into a [`MaterialSink`].

use super::MaterialSink;
use super::tables::{GateMaterial, UNIT_GATES, garble_gate, write_unit};
use crate::block::{Block, Delta};
use crate::plan::{AND_STEP, MAX_AND_BATCH, Plan};
use crate::prg::Prg;
use crate::tccr::Tccr;

/// The garbling party's three-halves engine: Δ, the hash, the label slots, the dicing PRG.
pub struct Garbler {
    delta: Delta,
    tccr: Tccr,
    /// Source of the two random control bits per gate.
    prg: Prg,
    gid: u64,
    slots: Vec<Block>,
    queued: usize,
    queued_inputs: Box<[Block; 2 * MAX_AND_BATCH]>,
    queued_outs: Box<[u32; MAX_AND_BATCH]>,
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
            tccr: Tccr::new(start),
            prg: Prg::from_rng(rng),
            gid: 0,
            slots: Vec::new(),
            queued: 0,
            queued_inputs: Box::new([Block::ZERO; 2 * MAX_AND_BATCH]),
            queued_outs: Box::new([0; MAX_AND_BATCH]),
            hashes: Box::new([Block::ZERO; 6 * MAX_AND_BATCH]),
            unit: Vec::with_capacity(UNIT_GATES),
            out: Vec::with_capacity(4096),
        }
    }

    /// AND gates garbled so far (the next gate id).
    pub fn gates_done(&self) -> u64 {
        self.gid
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
        let delta = self.delta.block();
        plan.load_slots(&mut self.slots, input_zero_labels, delta);
        let mut q = self.queued;
        let mut start = 0usize;
        for &end in &plan.batch_ends {
            for &[a, b, out] in &plan.steps[start..end as usize] {
                let (a0, b0) = (self.slots[a as usize], self.slots[b as usize]);
                if out & AND_STEP == 0 {
                    self.slots[out as usize] = a0 ^ b0;
                    continue;
                }
                self.queued_inputs[2 * q] = a0;
                self.queued_inputs[2 * q + 1] = b0;
                let h = &mut self.hashes[6 * q..6 * q + 6];
                h[0] = a0;
                h[1] = a0 ^ delta;
                h[2] = b0;
                h[3] = b0 ^ delta;
                h[4] = a0 ^ b0;
                h[5] = a0 ^ b0 ^ delta;
                self.queued_outs[q] = out & !AND_STEP;
                q += 1;
            }
            start = end as usize;
            self.queued = q;
            self.flush();
            q = 0;
            if !self.out.is_empty() {
                sink.put_material(&self.out)?;
                self.out.clear();
            }
        }
        self.queued = q;
        self.flush();
        if !self.unit.is_empty() {
            write_unit(&self.unit, &mut self.out);
            self.unit.clear();
        }
        if !self.out.is_empty() {
            sink.put_material(&self.out)?;
            self.out.clear();
        }
        Ok(plan
            .output_slots
            .iter()
            .map(|&s| self.slots[s as usize])
            .collect())
    }

    fn flush(&mut self) {
        let n = self.queued;
        if n == 0 {
            return;
        }
        let delta = self.delta.block();
        self.tccr
            .hash_in_place(3 * self.gid, &mut self.hashes[..6 * n], 2);
        // Two random bits per gate: one PRG block covers a whole batch (64 gates).
        const _: () = assert!(MAX_AND_BATCH <= 64, "one 128-bit PRG block per batch");
        let bits = self.prg.next_block().0;
        for (k, ((ab, h), &out)) in self.queued_inputs[..2 * n]
            .chunks_exact(2)
            .zip(self.hashes[..6 * n].as_chunks::<6>().0)
            .zip(&self.queued_outs[..n])
            .enumerate()
        {
            let r = (bits >> (2 * k)) as u8 & 3;
            let (c0, m) = garble_gate(ab[0], ab[1], delta, h, r);
            self.slots[out as usize] = c0;
            self.unit.push(m);
            if self.unit.len() == UNIT_GATES {
                write_unit(&self.unit, &mut self.out);
                self.unit.clear();
            }
        }
        self.gid += n as u64;
        self.queued = 0;
    }
}
