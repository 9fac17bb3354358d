//! Half-gates garbling (Zahur–Rosulek–Evans 2015) with free-XOR and point-and-permute.
//!
//! Sans-IO cores: the [`Garbler`] writes garbled tables into a [`TableSink`] batch by batch
//! as it goes, the [`Evaluator`] pulls them from a [`TableSource`] as it needs them; the
//! channel adapters live in `driver`. Each AND gate `gid` (a counter running over every
//! instance of a session) costs two ciphertexts and four (garbler) or two (evaluator)
//! calls of the TCCR hash with tweaks `2·gid` and `2·gid + 1`.
//!
//! Garbler, for input zero-labels `A₀`, `B₀` with pointer bits `pa = lsb A₀`, `pb = lsb B₀`:
//! `T_G = H(A₀) ⊕ H(A₁) ⊕ pb·Δ`, `W_G = H(A₀) ⊕ pa·T_G`,
//! `T_E = H'(B₀) ⊕ H'(B₁) ⊕ A₀`, `W_E = H'(B₀) ⊕ pb·(T_E ⊕ A₀)`, output zero-label `W_G ⊕ W_E`.
//! Evaluator, for active labels `A`, `B`: `W = H(A) ⊕ lsb(A)·T_G ⊕ H'(B) ⊕ lsb(B)·(T_E ⊕ A)`.

use crate::block::{Block, Delta};
use crate::plan::{AND_STEP, MAX_AND_BATCH, Plan};
use crate::tccr::Tccr;

/// Where the garbler puts garbled tables (two blocks per AND gate, in gate order).
pub trait TableSink {
    /// Error raised by the sink (e.g. a channel error).
    type Error;
    /// Accepts the next tables.
    fn put_tables(&mut self, tables: &[Block]) -> Result<(), Self::Error>;
}

/// Where the evaluator gets garbled tables from, in the order the garbler produced them.
pub trait TableSource {
    /// Error raised by the source (e.g. a channel error, a truncated stream).
    type Error;
    /// Fills `out` with the next tables.
    fn get_tables(&mut self, out: &mut [Block]) -> Result<(), Self::Error>;

    /// The next `buf.len()` tables: by default read into `buf` by [`Self::get_tables`]; a
    /// source that holds the tables in memory lends them instead (no copy).
    fn next_tables<'a>(&'a mut self, buf: &'a mut [Block]) -> Result<&'a [Block], Self::Error> {
        self.get_tables(buf)?;
        Ok(buf)
    }
}

/// A sink that keeps the tables in memory (tests and benches).
impl TableSink for Vec<Block> {
    type Error = std::convert::Infallible;
    fn put_tables(&mut self, tables: &[Block]) -> Result<(), Self::Error> {
        self.extend_from_slice(tables);
        Ok(())
    }
}

/// A source reading tables from a slice (tests and benches); running out is an error.
pub struct SliceSource<'a> {
    tables: &'a [Block],
}

impl<'a> SliceSource<'a> {
    /// A source over `tables`.
    pub fn new(tables: &'a [Block]) -> Self {
        SliceSource { tables }
    }
}

/// The table stream ended before the circuit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("garbled table stream ended early")]
pub struct TablesExhausted;

impl TableSource for SliceSource<'_> {
    type Error = TablesExhausted;
    fn get_tables(&mut self, out: &mut [Block]) -> Result<(), TablesExhausted> {
        if self.tables.len() < out.len() {
            return Err(TablesExhausted);
        }
        let (head, tail) = self.tables.split_at(out.len());
        out.copy_from_slice(head);
        self.tables = tail;
        Ok(())
    }

    fn next_tables<'b>(&'b mut self, buf: &'b mut [Block]) -> Result<&'b [Block], TablesExhausted> {
        if self.tables.len() < buf.len() {
            return Err(TablesExhausted);
        }
        let (head, tail) = self.tables.split_at(buf.len());
        self.tables = tail;
        Ok(head)
    }
}

/// AND gates queued for the next flush: their input labels (two per gate) and output slots.
pub(crate) struct AndQueue {
    inputs: Box<[Block; 2 * MAX_AND_BATCH]>,
    outs: Box<[u32; MAX_AND_BATCH]>,
}

impl AndQueue {
    /// An empty queue (its buffers allocated once, reused by every batch).
    pub(crate) fn new() -> AndQueue {
        AndQueue {
            inputs: Box::new([Block::ZERO; 2 * MAX_AND_BATCH]),
            outs: Box::new([0; MAX_AND_BATCH]),
        }
    }
}

/// The gate loop of every engine (half-gates and three-halves, garbler and evaluator): loads
/// the input labels, runs the free gates of `plan` on `slots` (NOT adds `inv`: Δ for the
/// garbler, zero for the evaluator), queues its AND gates and hands them to `flush` at the
/// end of each batch ([`Plan::batch_ends`]); returns the
/// output labels. `flush` gets the slots, the queued gates' input labels (two per gate) and
/// their output slots, and must write each gate's output label to its slot.
///
/// Profile (perf, random 1M-AND circuit, 40 KiB of slots): this loop was about a third of
/// the garbler's samples. The slot vector's pointer and length and the queue's boxes are
/// taken into locals once (the loop reloaded them from the engine after every label store,
/// which it could not prove did not alias them).
#[inline(always)]
pub(crate) fn walk<E>(
    plan: &Plan,
    inputs: &[Block],
    slots: &mut Vec<Block>,
    queue: &mut AndQueue,
    inv: Block,
    mut flush: impl FnMut(&mut [Block], &[Block], &[u32]) -> Result<(), E>,
) -> Result<Vec<Block>, E> {
    plan.load_slots(slots, inputs, inv);
    let slots = slots.as_mut_slice();
    let (qin, qout) = (&mut *queue.inputs, &mut *queue.outs);
    let mut start = 0usize;
    for &end in &plan.batch_ends {
        let mut q = 0usize;
        for &[a, b, out] in &plan.steps[start..end as usize] {
            let (x, y) = (slots[a as usize], slots[b as usize]);
            // One two-way branch per gate (see `Plan`): XOR (NOT is an XOR with the NOT
            // slot), or AND, queued with its input labels.
            if out & AND_STEP == 0 {
                slots[out as usize] = x ^ y;
            } else {
                qin[2 * q] = x;
                qin[2 * q + 1] = y;
                qout[q] = out & !AND_STEP;
                q += 1;
            }
        }
        flush(slots, &qin[..2 * q], &qout[..q])?;
        start = end as usize;
    }
    Ok(plan
        .output_slots
        .iter()
        .map(|&s| slots[s as usize])
        .collect())
}

/// Writes the output labels of the queued gates into their slots.
#[inline(always)]
fn retire(slots: &mut [Block], outs: &[u32], labels: &[Block]) {
    for (&l, &s) in labels.iter().zip(outs) {
        slots[s as usize] = l;
    }
}

/// The garbling party's engine: holds Δ, the hash and the label slots.
pub struct Garbler {
    delta: Delta,
    tccr: Tccr,
    gid: u64,
    slots: Vec<Block>,
    queue: AndQueue,
    /// Hash inputs/outputs `A₀, A₁, B₀, B₁` per queued gate (portable path only).
    hashes: Box<[Block; 4 * MAX_AND_BATCH]>,
    tables: Box<[Block; 2 * MAX_AND_BATCH]>,
    labels: Box<[Block; MAX_AND_BATCH]>,
}

impl Garbler {
    /// A garbler with offset `delta` and hash start point `start` (sent to the evaluator).
    pub fn new(delta: Delta, start: Block) -> Garbler {
        Garbler {
            delta,
            tccr: Tccr::new(start),
            gid: 0,
            slots: Vec::new(),
            queue: AndQueue::new(),
            hashes: Box::new([Block::ZERO; 4 * MAX_AND_BATCH]),
            tables: Box::new([Block::ZERO; 2 * MAX_AND_BATCH]),
            labels: Box::new([Block::ZERO; MAX_AND_BATCH]),
        }
    }

    /// The free-XOR offset.
    pub fn delta(&self) -> Delta {
        self.delta.clone()
    }

    /// AND gates garbled so far (the next gate id).
    pub fn gates_done(&self) -> u64 {
        self.gid
    }

    /// Garbles one instance of `plan` given the zero-labels of its input wires; tables go
    /// to `sink` as they are produced. Returns the zero-labels of the output wires.
    pub fn garble<S: TableSink>(
        &mut self,
        plan: &Plan,
        input_zero_labels: &[Block],
        sink: &mut S,
    ) -> Result<Vec<Block>, S::Error> {
        let Garbler {
            delta,
            tccr,
            gid,
            slots,
            queue,
            hashes,
            tables,
            labels,
        } = self;
        let delta = delta.block();
        walk(
            plan,
            input_zero_labels,
            slots,
            queue,
            delta,
            |slots, inputs, outs| {
                let n = outs.len();
                if n == 0 {
                    return Ok(());
                }
                let (tables, labels) = (&mut tables[..2 * n], &mut labels[..n]);
                if !crate::aesni::half_gates_garble(
                    tccr.start(),
                    *gid,
                    delta,
                    inputs,
                    tables,
                    labels,
                ) {
                    garble_portable(
                        tccr,
                        *gid,
                        delta,
                        inputs,
                        &mut hashes[..4 * n],
                        tables,
                        labels,
                    );
                }
                retire(slots, outs, labels);
                *gid += n as u64;
                sink.put_tables(tables)
            },
        )
    }
}

/// Half-gates garbling of a batch with [`Tccr::hash_in_place`] (CPUs without VAES, and the
/// reference the fused kernel is tested against): `inputs` holds `(A₀, B₀)` per gate,
/// `hashes` is scratch (four blocks per gate); writes `(T_G, T_E)` and the output zero-labels.
pub(crate) fn garble_portable(
    tccr: &mut Tccr,
    first_gate: u64,
    delta: Block,
    inputs: &[Block],
    hashes: &mut [Block],
    tables: &mut [Block],
    labels: &mut [Block],
) {
    for (ab, h) in inputs.chunks_exact(2).zip(hashes.chunks_exact_mut(4)) {
        h.copy_from_slice(&[ab[0], ab[0] ^ delta, ab[1], ab[1] ^ delta]);
    }
    tccr.hash_in_place(2 * first_gate, hashes, 2);
    for (((ab, h), t), w) in inputs
        .chunks_exact(2)
        .zip(hashes.chunks_exact(4))
        .zip(tables.chunks_exact_mut(2))
        .zip(labels.iter_mut())
    {
        let (a0, b0) = (ab[0], ab[1]);
        let (pa, pb) = (Block::mask(a0.lsb()), Block::mask(b0.lsb()));
        let tg = h[0] ^ h[1] ^ (pb & delta);
        let wg = h[0] ^ (pa & tg);
        let te = h[2] ^ h[3] ^ a0;
        let we = h[2] ^ (pb & (te ^ a0));
        t[0] = tg;
        t[1] = te;
        *w = wg ^ we;
    }
}

/// Half-gates evaluation of a batch with [`Tccr::hash_in_place`] (CPUs without VAES, and the
/// reference the fused kernel is tested against): `inputs` holds the active `(A, B)` per
/// gate, `hashes` is scratch (two blocks per gate); writes the active output labels.
pub(crate) fn eval_portable(
    tccr: &mut Tccr,
    first_gate: u64,
    inputs: &[Block],
    tables: &[Block],
    hashes: &mut [Block],
    labels: &mut [Block],
) {
    hashes.copy_from_slice(inputs);
    tccr.hash_in_place(2 * first_gate, hashes, 1);
    for (((ab, h), t), w) in inputs
        .chunks_exact(2)
        .zip(hashes.chunks_exact(2))
        .zip(tables.chunks_exact(2))
        .zip(labels.iter_mut())
    {
        let (a, b) = (ab[0], ab[1]);
        let wg = h[0] ^ (Block::mask(a.lsb()) & t[0]);
        let we = h[1] ^ (Block::mask(b.lsb()) & (t[1] ^ a));
        *w = wg ^ we;
    }
}

/// The evaluating party's engine: holds the hash and the active-label slots.
pub struct Evaluator {
    tccr: Tccr,
    gid: u64,
    slots: Vec<Block>,
    queue: AndQueue,
    hashes: Box<[Block; 2 * MAX_AND_BATCH]>,
    tables: Box<[Block; 2 * MAX_AND_BATCH]>,
    labels: Box<[Block; MAX_AND_BATCH]>,
}

impl Evaluator {
    /// An evaluator for the session whose hash start point is `start`.
    pub fn new(start: Block) -> Evaluator {
        Evaluator {
            tccr: Tccr::new(start),
            gid: 0,
            slots: Vec::new(),
            queue: AndQueue::new(),
            hashes: Box::new([Block::ZERO; 2 * MAX_AND_BATCH]),
            tables: Box::new([Block::ZERO; 2 * MAX_AND_BATCH]),
            labels: Box::new([Block::ZERO; MAX_AND_BATCH]),
        }
    }

    /// Evaluates one instance of `plan` on the active labels of its input wires, pulling
    /// tables from `source`. Returns the active labels of the output wires.
    pub fn evaluate<S: TableSource>(
        &mut self,
        plan: &Plan,
        input_labels: &[Block],
        source: &mut S,
    ) -> Result<Vec<Block>, S::Error> {
        let Evaluator {
            tccr,
            gid,
            slots,
            queue,
            hashes,
            tables,
            labels,
        } = self;
        walk(
            plan,
            input_labels,
            slots,
            queue,
            Block::ZERO,
            |slots, inputs, outs| {
                let n = outs.len();
                if n == 0 {
                    return Ok(());
                }
                let tables = source.next_tables(&mut tables[..2 * n])?;
                let labels = &mut labels[..n];
                if !crate::aesni::half_gates_eval(tccr.start(), *gid, inputs, tables, labels) {
                    eval_portable(tccr, *gid, inputs, tables, &mut hashes[..2 * n], labels);
                }
                retire(slots, outs, labels);
                *gid += n as u64;
                Ok(())
            },
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use circuit::{Circuit, Gate, IoValue, ValueFormat};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha12Rng;

    fn bit(name: &str) -> IoValue {
        IoValue {
            name: name.into(),
            party: None,
            format: ValueFormat::Bool,
        }
    }

    /// Garbles and evaluates one instance; returns the decoded output bits.
    fn run(circuit: &Circuit, inputs: &[bool], rng: &mut ChaCha12Rng) -> Vec<bool> {
        let plan = Plan::new(circuit).expect("valid circuit");
        let delta = Delta::random(rng);
        let start = Block::random(rng);
        let zeros: Vec<Block> = inputs.iter().map(|_| Block::random(rng)).collect();
        let mut garbler = Garbler::new(delta.clone(), start);
        let mut tables = Vec::new();
        let out0 = garbler
            .garble(&plan, &zeros, &mut tables)
            .expect("infallible");
        assert_eq!(tables.len(), 2 * plan.and_count);
        let active: Vec<Block> = zeros
            .iter()
            .zip(inputs)
            .map(|(&z, &b)| z ^ (Block::mask(b) & delta.block()))
            .collect();
        let mut evaluator = Evaluator::new(start);
        let out = evaluator
            .evaluate(&plan, &active, &mut SliceSource::new(&tables))
            .expect("tables");
        out.iter()
            .zip(&out0)
            .map(|(&a, &z)| {
                // The active label must be exactly one of the two output labels.
                assert!(
                    a == z || a == z ^ delta.block(),
                    "active label is neither output label"
                );
                a == z ^ delta.block()
            })
            .collect()
    }

    #[test]
    fn half_gate_and_known_answers_all_four_label_combos() {
        let c = Circuit {
            inputs: vec![bit("a"), bit("b")],
            outputs: vec![bit("y")],
            num_wires: 3,
            gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
            output_wires: vec![2],
        };
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        // Many Δ / label draws so every pointer-bit combination (pa, pb) occurs too.
        for _ in 0..64 {
            for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                assert_eq!(run(&c, &[a, b], &mut rng), vec![a & b], "{a} AND {b}");
            }
        }
    }

    #[test]
    fn xor_inv_and_mix_matches_truth_table() {
        // y0 = NOT(a XOR b), y1 = NOT(a) AND b.
        let c = Circuit {
            inputs: vec![bit("a"), bit("b")],
            outputs: vec![bit("y0"), bit("y1")],
            num_wires: 6,
            gates: vec![
                Gate::Xor { a: 0, b: 1, out: 2 },
                Gate::Inv { a: 2, out: 3 },
                Gate::Inv { a: 0, out: 4 },
                Gate::And { a: 4, b: 1, out: 5 },
            ],
            output_wires: vec![3, 5],
        };
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
            assert_eq!(run(&c, &[a, b], &mut rng), vec![!(a ^ b), !a & b]);
        }
    }

    /// A random well-formed circuit with `n_in` inputs and `n_gates` gates.
    pub(crate) fn random_circuit(
        rng: &mut ChaCha12Rng,
        n_in: u32,
        n_gates: u32,
        n_out: u32,
    ) -> Circuit {
        let mut gates = Vec::new();
        for i in 0..n_gates {
            let w = n_in + i;
            let a = rng.random_range(0..w);
            let b = rng.random_range(0..w);
            gates.push(match rng.random_range(0..3) {
                0 => Gate::Xor { a, b, out: w },
                1 => Gate::And { a, b, out: w },
                _ => Gate::Inv { a, out: w },
            });
        }
        let total = n_in + n_gates;
        let output_wires: Vec<u32> = (0..n_out).map(|_| rng.random_range(0..total)).collect();
        Circuit {
            inputs: (0..n_in).map(|i| bit(&format!("x{i}"))).collect(),
            outputs: (0..n_out).map(|i| bit(&format!("y{i}"))).collect(),
            num_wires: total,
            gates,
            output_wires,
        }
    }

    #[test]
    fn random_circuits_match_plaintext_simulation() {
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        for round in 0..40 {
            let n_in = rng.random_range(1..20);
            let n_gates = rng.random_range(1..2000);
            let c = random_circuit(&mut rng, n_in, n_gates, 16);
            for _ in 0..5 {
                let inputs: Vec<bool> = (0..n_in).map(|_| rng.random()).collect();
                assert_eq!(
                    run(&c, &inputs, &mut rng),
                    c.simulate(&inputs),
                    "round {round}"
                );
            }
        }
    }

    #[test]
    fn fused_kernels_match_the_portable_path() {
        let mut rng = ChaCha12Rng::seed_from_u64(6);
        let start = Block::random(&mut rng);
        let delta = Delta::random(&mut rng).block();
        let mut tccr = Tccr::new(start);
        let mut fused_ran = false;
        // Batches of every length mod 8 (quads, pairs of quads, single gates), and first
        // gates whose tweaks 2·gid carry from the low into the high 32-bit word of the key
        // inside a quad (the word-sliced schedule adds the carry itself).
        let carry = [(1u64 << 31) - 3, (1 << 31) - 1, (3 << 31) - 5];
        for (i, n) in [1usize, 3, 4, 5, 6, 7, 8, 9, 13, 16, 64, 64, 64, 20]
            .into_iter()
            .enumerate()
        {
            let first = match i {
                11..=13 => carry[i - 11],
                _ => rng.random_range(0..1u64 << 40),
            };
            let inputs: Vec<Block> = (0..2 * n).map(|_| Block::random(&mut rng)).collect();
            let (mut t_ref, mut w_ref) = (vec![Block::ZERO; 2 * n], vec![Block::ZERO; n]);
            let mut scratch = vec![Block::ZERO; 4 * n];
            garble_portable(
                &mut tccr,
                first,
                delta,
                &inputs,
                &mut scratch,
                &mut t_ref,
                &mut w_ref,
            );
            let (mut t, mut w) = (vec![Block::ZERO; 2 * n], vec![Block::ZERO; n]);
            if crate::aesni::half_gates_garble(start, first, delta, &inputs, &mut t, &mut w) {
                fused_ran = true;
                assert_eq!((&t, &w), (&t_ref, &w_ref), "garbler, {n} gates");
            }
            // The evaluator on random active labels and the garbler's tables.
            let active: Vec<Block> = (0..2 * n).map(|_| Block::random(&mut rng)).collect();
            let mut e_ref = vec![Block::ZERO; n];
            eval_portable(
                &mut tccr,
                first,
                &active,
                &t_ref,
                &mut scratch[..2 * n],
                &mut e_ref,
            );
            let mut e = vec![Block::ZERO; n];
            if crate::aesni::half_gates_eval(start, first, &active, &t_ref, &mut e) {
                assert_eq!(e, e_ref, "evaluator, {n} gates");
            }
        }
        assert_eq!(
            fused_ran,
            crate::aesni::vaes_available(),
            "the fused kernels ran (and were compared) wherever VAES is present"
        );
    }

    #[test]
    fn truncated_tables_are_an_error() {
        let mut rng = ChaCha12Rng::seed_from_u64(4);
        let c = random_circuit(&mut rng, 8, 500, 4);
        let plan = Plan::new(&c).expect("valid");
        let mut tables = Vec::new();
        Garbler::new(Delta::random(&mut rng), Block(9))
            .garble(&plan, &[Block::ZERO; 8], &mut tables)
            .expect("infallible");
        let short = &tables[..tables.len() - 1];
        let r = Evaluator::new(Block(9)).evaluate(
            &plan,
            &[Block::ZERO; 8],
            &mut SliceSource::new(short),
        );
        assert_eq!(r, Err(TablesExhausted));
    }
}
