//! Execution plan: a circuit's gates rewritten over reusable label slots, with AND gates
//! grouped into batches of mutually independent gates for pipelined hashing.
//!
//! Slots are assigned by liveness (a wire's slot is freed after its last read), so the
//! label memory of a run follows the circuit's peak live wires, not its gate count.

use crate::block::Block;
use circuit::{Circuit, CircuitError, Gate};

/// Most AND gates hashed in one batch (bounded so batch buffers stay in L1 cache).
pub const MAX_AND_BATCH: usize = 64;
/// Gates reordered together by AND level (bounds the extra live wires reordering costs).
pub const SCHEDULE_WINDOW: usize = 4096;

/// Reorders gates within windows of [`SCHEDULE_WINDOW`] so that AND gates of the same
/// AND level (counted from the window start) come together and can be hashed as one batch.
/// The order stays topological: within a window, level `b` emits its XOR/INV gates (in
/// their original order), then its AND gates, whose outputs form level `b + 1`.
pub fn schedule(circuit: &Circuit) -> Vec<Gate> {
    let n = circuit.num_wires as usize;
    let mut level = vec![0u32; n];
    let mut stamp = vec![u32::MAX; n];
    let mut out = Vec::with_capacity(circuit.gates.len());
    let mut keyed: Vec<(u32, u8, Gate)> = Vec::with_capacity(SCHEDULE_WINDOW);
    for (win, gates) in circuit.gates.chunks(SCHEDULE_WINDOW).enumerate() {
        let win = win as u32;
        let lvl = |w: u32, level: &[u32], stamp: &[u32]| {
            if stamp[w as usize] == win {
                level[w as usize]
            } else {
                0
            }
        };
        keyed.clear();
        for g in gates {
            let (base, is_and) = match *g {
                Gate::Xor { a, b, .. } => {
                    (lvl(a, &level, &stamp).max(lvl(b, &level, &stamp)), false)
                }
                Gate::And { a, b, .. } => {
                    (lvl(a, &level, &stamp).max(lvl(b, &level, &stamp)), true)
                }
                Gate::Inv { a, .. } => (lvl(a, &level, &stamp), false),
            };
            let o = g.output() as usize;
            level[o] = base + is_and as u32;
            stamp[o] = win;
            keyed.push((base, is_and as u8, *g));
        }
        keyed.sort_by_key(|&(b, k, _)| (b, k));
        out.extend(keyed.iter().map(|&(_, _, g)| g));
    }
    out
}

/// One gate of a plan, `[a, b, out]` in slot indices: `out = a ⊕ b`, or with [`AND_STEP`] set
/// in `out`, `out = a ∧ b` (queued into the current AND batch; `out` is written at the batch's
/// flush). A NOT is the XOR of its input with [`NOT_SLOT`].
pub type Step = [u32; 3];

/// The bit of a [`Step`]'s output slot that marks an AND gate (slots stay below it).
pub const AND_STEP: u32 = 1 << 31;

/// The slot that holds the NOT constant during a run: Δ for the garbler (NOT of a zero-label
/// is the zero-label ⊕ Δ), the zero block for the evaluator (the active label is unchanged).
pub const NOT_SLOT: u32 = 0;

/// A circuit compiled to slot steps in AND batches, shared by garbler and evaluator.
///
/// The gate loops of all four engines (half-gates and three-halves, garbler and evaluator)
/// run over `steps` with one two-way branch per gate (AND or not). They used to match on an
/// enum of XOR/NOT/AND/flush operations, which compiled to an indirect jump per gate that
/// AES-128's irregular gate mix mispredicted: interleaved (session 9, `gcprof`), AES-128
/// garbling 31.8 → 40.8 M AND/s and evaluation 34 → 48, the random circuit 54.2 → 57.5 and
/// 66.6 → 73.0.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The gates in execution order.
    pub steps: Vec<Step>,
    /// Where each AND batch of `steps` ends (exclusive): the queued ANDs are hashed there.
    /// The last entry is `steps.len()`.
    pub batch_ends: Vec<u32>,
    /// Number of label slots needed ([`NOT_SLOT`] and the peak number of live wires).
    pub num_slots: usize,
    /// Slot of each input wire, in wire order.
    pub input_slots: Vec<u32>,
    /// Slot of each output wire, in the order of `Circuit::output_wires`.
    pub output_slots: Vec<u32>,
    /// Number of AND gates (garbled tables per run).
    pub and_count: usize,
}

const NEVER: u32 = u32::MAX;

impl Plan {
    /// Builds the plan of a circuit after checking its structure.
    pub fn new(circuit: &Circuit) -> Result<Plan, CircuitError> {
        circuit.validate()?;
        let gates = schedule(circuit);
        let n_wires = circuit.num_wires as usize;
        let n_in = circuit.num_input_wires() as usize;
        // last_read[w] = index of the last gate reading w; NEVER if no gate reads it.
        let mut last_read = vec![NEVER; n_wires];
        for (i, g) in gates.iter().enumerate() {
            match *g {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => {
                    last_read[a as usize] = i as u32;
                    last_read[b as usize] = i as u32;
                }
                Gate::Inv { a, .. } => last_read[a as usize] = i as u32,
            }
        }
        let mut is_output = vec![false; n_wires];
        for &w in &circuit.output_wires {
            is_output[w as usize] = true;
        }

        let mut alloc = SlotAllocator::default();
        let not_slot = alloc.take();
        debug_assert_eq!(not_slot, NOT_SLOT);
        let mut slot_of = vec![NEVER; n_wires];
        let input_slots: Vec<u32> = (0..n_in).map(|_| alloc.take()).collect();
        slot_of[..n_in].copy_from_slice(&input_slots);
        for w in 0..n_in {
            if last_read[w] == NEVER && !is_output[w] {
                alloc.free(slot_of[w]);
            }
        }

        let mut steps: Vec<Step> = Vec::with_capacity(gates.len());
        let mut batches = Batches {
            ends: Vec::with_capacity(gates.len() / 8 + 1),
            epoch: 1,
            queued: 0,
            deferred_free: Vec::new(),
        };
        // Wires written by queued (not yet flushed) AND gates: pending[w] == batches.epoch.
        let mut pending = vec![0u32; n_wires];
        let mut and_count = 0usize;

        for (i, g) in gates.iter().enumerate() {
            let (ra, rb) = match *g {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => (a, Some(b)),
                Gate::Inv { a, .. } => (a, None),
            };
            let epoch = batches.epoch;
            let reads_pending =
                pending[ra as usize] == epoch || rb.is_some_and(|b| pending[b as usize] == epoch);
            if reads_pending && batches.queued > 0 {
                batches.end(steps.len(), &mut alloc);
            }
            let sa = slot_of[ra as usize];
            let sb = rb.map(|b| slot_of[b as usize]);
            // Free inputs read for the last time before allocating the output, so a gate may
            // write in place. Safe for queued ANDs too: they gather their inputs when queued.
            if last_read[ra as usize] == i as u32 && !is_output[ra as usize] {
                alloc.free(sa);
            }
            if let Some(b) = rb
                && b != ra
                && last_read[b as usize] == i as u32
                && !is_output[b as usize]
            {
                alloc.free(slot_of[b as usize]);
            }
            let out_wire = g.output() as usize;
            let so = alloc.take();
            slot_of[out_wire] = so;
            let dead = last_read[out_wire] == NEVER && !is_output[out_wire];
            if let Gate::And { .. } = *g {
                steps.push([sa, sb.unwrap_or(sa), so | AND_STEP]);
                and_count += 1;
                pending[out_wire] = batches.epoch;
                batches.queued += 1;
                if dead {
                    batches.deferred_free.push(so);
                }
                if batches.queued == MAX_AND_BATCH {
                    batches.end(steps.len(), &mut alloc);
                }
            } else {
                // XOR, or NOT as the XOR with the NOT slot.
                steps.push([sa, sb.unwrap_or(NOT_SLOT), so]);
                if dead {
                    alloc.free(so);
                }
            }
        }
        if batches.ends.last().copied() != Some(steps.len() as u32) {
            batches.ends.push(steps.len() as u32);
        }
        if alloc.high_water >= AND_STEP {
            return Err(CircuitError::TooManyLiveWires {
                live: u64::from(alloc.high_water),
                max: u64::from(AND_STEP - 1),
            });
        }
        let output_slots = circuit
            .output_wires
            .iter()
            .map(|&w| slot_of[w as usize])
            .collect();
        Ok(Plan {
            steps,
            batch_ends: batches.ends,
            num_slots: alloc.high_water as usize,
            input_slots,
            output_slots,
            and_count,
        })
    }
}

impl Plan {
    /// Sizes `slots` for a run, puts `not_label` in [`NOT_SLOT`] and each input label in its
    /// slot (the start of every engine's run).
    pub fn load_slots(&self, slots: &mut Vec<Block>, inputs: &[Block], not_label: Block) {
        assert_eq!(inputs.len(), self.input_slots.len(), "input label count");
        slots.clear();
        slots.resize(self.num_slots, Block::ZERO);
        slots[NOT_SLOT as usize] = not_label;
        for (&s, &l) in self.input_slots.iter().zip(inputs) {
            slots[s as usize] = l;
        }
    }
}

/// The AND batches of a plan being built.
struct Batches {
    /// Where each batch ended so far.
    ends: Vec<u32>,
    /// The current batch's number (marks the wires its ANDs write).
    epoch: u32,
    /// AND gates queued in the current batch.
    queued: usize,
    /// Slots of dead AND outputs, freed when their batch ends (written at its flush).
    deferred_free: Vec<u32>,
}

impl Batches {
    /// Ends the current batch after step `at`.
    fn end(&mut self, at: usize, alloc: &mut SlotAllocator) {
        self.ends.push(at as u32);
        for s in self.deferred_free.drain(..) {
            alloc.free(s);
        }
        self.epoch += 1;
        self.queued = 0;
    }
}

/// A stack of free slots plus a high-water mark.
#[derive(Default)]
struct SlotAllocator {
    free: Vec<u32>,
    high_water: u32,
}

impl SlotAllocator {
    fn take(&mut self) -> u32 {
        self.free.pop().unwrap_or_else(|| {
            self.high_water += 1;
            self.high_water - 1
        })
    }

    fn free(&mut self, slot: u32) {
        self.free.push(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use circuit::{IoValue, ValueFormat};

    fn chain(n: u32) -> Circuit {
        // x0 AND x1 -> w2, w2 AND x1 -> w3, ... a dependent chain.
        let mut gates = Vec::new();
        let mut prev = 0;
        for i in 0..n {
            gates.push(Gate::And {
                a: prev,
                b: 1,
                out: 2 + i,
            });
            prev = 2 + i;
        }
        let bit = |name: &str| IoValue {
            name: name.into(),
            party: None,
            format: ValueFormat::Bool,
        };
        Circuit {
            inputs: vec![bit("a"), bit("b")],
            outputs: vec![bit("y")],
            num_wires: 2 + n,
            gates,
            output_wires: vec![prev],
        }
    }

    #[test]
    fn schedule_is_topological_and_groups_independent_ands() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(5);
        let c = crate::garble::tests::random_circuit(&mut rng, 16, 20_000, 8);
        let mut reordered = c.clone();
        reordered.gates = schedule(&c);
        reordered.validate().expect("still topological, same gates");
        let mut a = c.gates.clone();
        let mut b = reordered.gates.clone();
        a.sort_by_key(|g| g.output());
        b.sort_by_key(|g| g.output());
        assert_eq!(a, b, "a permutation of the original gates");
        let plan = Plan::new(&c).expect("valid");
        let flushes = plan.batch_ends.len();
        assert!(
            plan.and_count / flushes >= 8,
            "batches average {} ANDs",
            plan.and_count / flushes
        );
    }

    /// The step encoding: every AND carries [`AND_STEP`] (and only ANDs), every NOT reads
    /// [`NOT_SLOT`], no gate writes it; batches end in order at `steps.len()`, hold at most
    /// [`MAX_AND_BATCH`] ANDs, and no gate reads or writes the output slot of an AND queued
    /// earlier in its own batch (that label is written only at the batch's flush).
    #[test]
    fn steps_mark_ands_route_nots_through_the_not_slot_and_batches_are_independent() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(9);
        let c = crate::garble::tests::random_circuit(&mut rng, 16, 5_000, 8);
        let nots = c
            .gates
            .iter()
            .filter(|g| matches!(g, Gate::Inv { .. }))
            .count();
        assert!(nots > 0, "the random circuit has NOT gates");
        let plan = Plan::new(&c).expect("valid");
        let ands = plan.steps.iter().filter(|s| s[2] & AND_STEP != 0).count();
        assert_eq!(ands, plan.and_count);
        assert_eq!(
            ands,
            c.gates
                .iter()
                .filter(|g| matches!(g, Gate::And { .. }))
                .count()
        );
        let reads_not = plan
            .steps
            .iter()
            .filter(|s| s[1] == NOT_SLOT || s[0] == NOT_SLOT);
        assert_eq!(reads_not.count(), nots, "only NOTs read the NOT slot");
        assert!(plan.steps.iter().all(|s| s[2] & !AND_STEP != NOT_SLOT));
        assert!(!plan.input_slots.contains(&NOT_SLOT));
        assert_eq!(
            plan.batch_ends.last().copied(),
            Some(plan.steps.len() as u32)
        );
        let mut start = 0;
        for &end in &plan.batch_ends {
            assert!(end as usize >= start, "batch ends in order");
            let mut queued = Vec::new();
            for &[a, b, out] in &plan.steps[start..end as usize] {
                assert!(
                    !queued.contains(&a) && !queued.contains(&b),
                    "reads a queued AND"
                );
                let slot = out & !AND_STEP;
                assert!(
                    !queued.contains(&slot),
                    "overwrites a queued AND's output slot"
                );
                if out & AND_STEP != 0 {
                    queued.push(slot);
                }
            }
            assert!(queued.len() <= MAX_AND_BATCH);
            start = end as usize;
        }
    }

    #[test]
    fn dependent_ands_are_flushed_between_and_memory_stays_small() {
        let plan = Plan::new(&chain(1000)).expect("valid");
        assert_eq!(plan.and_count, 1000);
        assert_eq!(
            plan.batch_ends.len(),
            1000,
            "each AND depends on the previous one"
        );
        assert!(plan.num_slots <= 5, "slots reused: {}", plan.num_slots);
    }
}
