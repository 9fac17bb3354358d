//! The three-halves evaluator: runs the plan through the engines' gate loop
//! ([`crate::garble::walk`]), reads the units of material covering each AND batch from a
//! [`MaterialSource`] and evaluates with three hash calls per gate.

use super::MaterialSource;
use super::tables::{GateMaterial, UNIT_GATES, eval_gate, read_unit, unit_bytes};
use crate::block::Block;
use crate::garble::{AndQueue, walk};
use crate::plan::{MAX_AND_BATCH, Plan};
use crate::tccr::Tccr;

/// The evaluating party's three-halves engine.
pub struct Evaluator {
    slots: Vec<Block>,
    queue: AndQueue,
    batches: Batches,
}

/// What evaluating an AND batch needs besides the slots: the hash, the next gate id and the
/// material read ahead.
struct Batches {
    tccr: Tccr,
    gid: u64,
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
            slots: Vec::new(),
            queue: AndQueue::new(),
            batches: Batches {
                tccr: Tccr::new(start),
                gid: 0,
                hashes: Box::new([Block::ZERO; 3 * MAX_AND_BATCH]),
                mat: Vec::with_capacity(MAX_AND_BATCH + UNIT_GATES),
                pos: 0,
                unread: 0,
                raw: Vec::new(),
            },
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
        let Evaluator {
            slots,
            queue,
            batches,
        } = self;
        batches.mat.clear();
        batches.pos = 0;
        batches.unread = plan.and_count;
        walk(
            plan,
            input_labels,
            slots,
            queue,
            Block::ZERO,
            |slots, inputs, outs| batches.evaluate(source, slots, inputs, outs),
        )
    }
}

impl Batches {
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

    /// Evaluates the queued gates (`inputs`: the active `(A, B)` per gate) with the next
    /// material and writes each output label to its slot.
    fn evaluate<S: MaterialSource>(
        &mut self,
        source: &mut S,
        slots: &mut [Block],
        inputs: &[Block],
        outs: &[u32],
    ) -> Result<(), S::Error> {
        let n = outs.len();
        if n == 0 {
            return Ok(());
        }
        self.fill(n, source)?;
        let hashes = &mut self.hashes[..3 * n];
        for (h, ab) in hashes.chunks_exact_mut(3).zip(inputs.chunks_exact(2)) {
            h[0] = ab[0];
            h[1] = ab[1];
            h[2] = ab[0] ^ ab[1];
        }
        self.tccr.hash_in_place(3 * self.gid, hashes, 1);
        for (((ab, h), &out), m) in inputs
            .chunks_exact(2)
            .zip(hashes.as_chunks::<3>().0)
            .zip(outs)
            .zip(&self.mat[self.pos..self.pos + n])
        {
            slots[out as usize] = eval_gate(ab[0], ab[1], h, m);
        }
        self.pos += n;
        self.gid += n as u64;
        Ok(())
    }
}
