//! Execution plan: a circuit's gates rewritten over reusable label slots, with AND gates
//! grouped into batches of mutually independent gates for pipelined hashing.
//!
//! Slots are assigned by liveness (a wire's slot is freed after its last read), so the
//! label memory of a run follows the circuit's peak live wires, not its gate count.

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

/// One step of a plan; operands are slot indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `out = a ⊕ b` (free).
    Xor {
        /// Slot of the first input.
        a: u32,
        /// Slot of the second input.
        b: u32,
        /// Slot of the output.
        out: u32,
    },
    /// `out = ¬a` (free).
    Inv {
        /// Slot of the input.
        a: u32,
        /// Slot of the output.
        out: u32,
    },
    /// `out = a ∧ b`: queued into the current AND batch; `out` is written at the next flush.
    And {
        /// Slot of the first input.
        a: u32,
        /// Slot of the second input.
        b: u32,
        /// Slot of the output.
        out: u32,
    },
    /// Hash and finish every queued AND gate.
    Flush,
}

/// A circuit compiled to slot operations, shared by garbler and evaluator.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The operations, ending with a [`Op::Flush`].
    pub ops: Vec<Op>,
    /// Number of label slots needed (the peak number of live wires).
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
        let mut slot_of = vec![NEVER; n_wires];
        let input_slots: Vec<u32> = (0..n_in).map(|_| alloc.take()).collect();
        slot_of[..n_in].copy_from_slice(&input_slots);
        for w in 0..n_in {
            if last_read[w] == NEVER && !is_output[w] {
                alloc.free(slot_of[w]);
            }
        }

        let mut ops = Vec::with_capacity(gates.len() + gates.len() / 8 + 1);
        // Wires written by queued (not yet flushed) AND gates: pending[w] == epoch.
        let mut pending = vec![0u32; n_wires];
        let mut epoch = 1u32;
        let mut batch = 0usize;
        let mut deferred_free: Vec<u32> = Vec::new();
        let mut and_count = 0usize;

        let flush = |ops: &mut Vec<Op>,
                     alloc: &mut SlotAllocator,
                     deferred: &mut Vec<u32>,
                     epoch: &mut u32| {
            ops.push(Op::Flush);
            for s in deferred.drain(..) {
                alloc.free(s);
            }
            *epoch += 1;
        };

        for (i, g) in gates.iter().enumerate() {
            let (ra, rb) = match *g {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => (a, Some(b)),
                Gate::Inv { a, .. } => (a, None),
            };
            let reads_pending =
                pending[ra as usize] == epoch || rb.is_some_and(|b| pending[b as usize] == epoch);
            if reads_pending && batch > 0 {
                flush(&mut ops, &mut alloc, &mut deferred_free, &mut epoch);
                batch = 0;
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
            match *g {
                Gate::Xor { .. } => {
                    ops.push(Op::Xor {
                        a: sa,
                        b: sb.unwrap_or(sa),
                        out: so,
                    });
                    if dead {
                        alloc.free(so);
                    }
                }
                Gate::Inv { .. } => {
                    ops.push(Op::Inv { a: sa, out: so });
                    if dead {
                        alloc.free(so);
                    }
                }
                Gate::And { .. } => {
                    ops.push(Op::And {
                        a: sa,
                        b: sb.unwrap_or(sa),
                        out: so,
                    });
                    and_count += 1;
                    pending[out_wire] = epoch;
                    batch += 1;
                    if dead {
                        deferred_free.push(so);
                    }
                    if batch == MAX_AND_BATCH {
                        flush(&mut ops, &mut alloc, &mut deferred_free, &mut epoch);
                        batch = 0;
                    }
                }
            }
        }
        flush(&mut ops, &mut alloc, &mut deferred_free, &mut epoch);
        let output_slots = circuit
            .output_wires
            .iter()
            .map(|&w| slot_of[w as usize])
            .collect();
        Ok(Plan {
            ops,
            num_slots: alloc.high_water as usize,
            input_slots,
            output_slots,
            and_count,
        })
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
        let flushes = plan.ops.iter().filter(|o| matches!(o, Op::Flush)).count();
        assert!(
            plan.and_count / flushes >= 8,
            "batches average {} ANDs",
            plan.and_count / flushes
        );
    }

    #[test]
    fn dependent_ands_are_flushed_between_and_memory_stays_small() {
        let plan = Plan::new(&chain(1000)).expect("valid");
        assert_eq!(plan.and_count, 1000);
        let flushes = plan.ops.iter().filter(|o| matches!(o, Op::Flush)).count();
        assert_eq!(flushes, 1000, "each AND depends on the previous one");
        assert!(plan.num_slots <= 4, "slots reused: {}", plan.num_slots);
    }
}
