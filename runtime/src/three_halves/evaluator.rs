//! The three-halves evaluator: queues AND gates, reads the units of material covering each
//! batch from a [`MaterialSource`] and evaluates with three hash calls per gate.

use super::MaterialSource;
use super::tables::{GateMaterial, UNIT_GATES, eval_gate, read_unit, unit_bytes};
use crate::block::Block;
use crate::plan::{AND_STEP, MAX_AND_BATCH, Plan};
use crate::tccr::Tccr;

/// The evaluating party's three-halves engine.
pub struct Evaluator {
    tccr: Tccr,
    gid: u64,
    slots: Vec<Block>,
    queued: usize,
    queued_inputs: Box<[Block; 2 * MAX_AND_BATCH]>,
    queued_outs: Box<[u32; MAX_AND_BATCH]>,
    hashes: Box<[Block; 3 * MAX_AND_BATCH]>,
    /// Decoded material not used yet (`mat[pos..]`).
    mat: Vec<GateMaterial>,
    pos: usize,
    /// Gates of the current instance not read from the source yet.
    unread: usize,
    raw: Vec<u8>,
}

impl Evaluator {
    /// An evaluator for the session whose hash start point is `start`.
    pub fn new(start: Block) -> Evaluator {
        Evaluator {
            tccr: Tccr::new(start),
            gid: 0,
            slots: Vec::new(),
            queued: 0,
            queued_inputs: Box::new([Block::ZERO; 2 * MAX_AND_BATCH]),
            queued_outs: Box::new([0; MAX_AND_BATCH]),
            hashes: Box::new([Block::ZERO; 3 * MAX_AND_BATCH]),
            mat: Vec::with_capacity(MAX_AND_BATCH + UNIT_GATES),
            pos: 0,
            unread: 0,
            raw: Vec::new(),
        }
    }

    /// Evaluates one instance of `plan` on the active labels of its input wires, pulling
    /// material from `source`. Returns the active labels of the output wires.
    pub fn evaluate<S: MaterialSource>(
        &mut self,
        plan: &Plan,
        input_labels: &[Block],
        source: &mut S,
    ) -> Result<Vec<Block>, S::Error> {
        plan.load_slots(&mut self.slots, input_labels, Block::ZERO);
        self.mat.clear();
        self.pos = 0;
        self.unread = plan.and_count;
        let mut q = self.queued;
        let mut start = 0usize;
        for &end in &plan.batch_ends {
            for &[a, b, out] in &plan.steps[start..end as usize] {
                let (x, y) = (self.slots[a as usize], self.slots[b as usize]);
                if out & AND_STEP == 0 {
                    self.slots[out as usize] = x ^ y;
                    continue;
                }
                self.queued_inputs[2 * q] = x;
                self.queued_inputs[2 * q + 1] = y;
                self.queued_outs[q] = out & !AND_STEP;
                q += 1;
            }
            start = end as usize;
            self.queued = q;
            self.flush(source)?;
            q = 0;
        }
        self.queued = q;
        self.flush(source)?;
        Ok(plan
            .output_slots
            .iter()
            .map(|&s| self.slots[s as usize])
            .collect())
    }

    /// Makes `n` gates of material available at `mat[pos..]`, reading whole units (one
    /// read for all the units needed).
    fn fill<S: MaterialSource>(&mut self, n: usize, source: &mut S) -> Result<(), S::Error> {
        let have = self.mat.len() - self.pos;
        if have >= n {
            return Ok(());
        }
        self.mat.drain(..self.pos);
        self.pos = 0;
        let (mut gates, mut bytes, mut left) = (0, 0, self.unread);
        while have + gates < n && left > 0 {
            let k = left.min(UNIT_GATES);
            gates += k;
            bytes += unit_bytes(k);
            left -= k;
        }
        self.raw.resize(bytes, 0);
        source.get_material(&mut self.raw)?;
        let mut off = 0;
        let mut left = self.unread;
        while off < bytes {
            let k = left.min(UNIT_GATES);
            let start = self.mat.len();
            self.mat.resize(start + k, GateMaterial::default());
            read_unit(&self.raw[off..off + unit_bytes(k)], &mut self.mat[start..]);
            off += unit_bytes(k);
            left -= k;
        }
        self.unread = left;
        Ok(())
    }

    fn flush<S: MaterialSource>(&mut self, source: &mut S) -> Result<(), S::Error> {
        let n = self.queued;
        if n == 0 {
            return Ok(());
        }
        self.fill(n, source)?;
        let hashes = &mut self.hashes[..3 * n];
        for (h, ab) in hashes
            .chunks_exact_mut(3)
            .zip(self.queued_inputs[..2 * n].chunks_exact(2))
        {
            h[0] = ab[0];
            h[1] = ab[1];
            h[2] = ab[0] ^ ab[1];
        }
        self.tccr.hash_in_place(3 * self.gid, hashes, 1);
        for (((ab, h), &out), m) in self.queued_inputs[..2 * n]
            .chunks_exact(2)
            .zip(hashes.as_chunks::<3>().0)
            .zip(&self.queued_outs[..n])
            .zip(&self.mat[self.pos..self.pos + n])
        {
            self.slots[out as usize] = eval_gate(ab[0], ab[1], h, m);
        }
        self.pos += n;
        self.gid += n as u64;
        self.queued = 0;
        Ok(())
    }
}
