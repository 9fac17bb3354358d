//! Size statistics of a circuit: what garbling it costs.

use crate::circuit::{Circuit, Gate, Party};
use serde::Serialize;

/// Bytes of garbled table per AND gate with half-gates (two 16-byte ciphertexts).
pub const GARBLED_BYTES_PER_AND: u64 = 32;

/// Counts and costs of one circuit (see docs/design.md §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CircuitStats {
    /// Input bits supplied by the garbler.
    pub garbler_input_bits: u64,
    /// Input bits supplied by the evaluator (one OT each).
    pub evaluator_input_bits: u64,
    /// Input bits of unknown owner (plain Bristol files).
    pub unowned_input_bits: u64,
    /// Output bits.
    pub output_bits: u64,
    /// AND gates.
    pub and_gates: u64,
    /// XOR gates.
    pub xor_gates: u64,
    /// INV gates.
    pub inv_gates: u64,
    /// Longest chain of AND gates from an input to an output.
    pub and_depth: u64,
    /// Wires (inputs included).
    pub wires: u64,
    /// Most wires alive at once when evaluating in gate order (a wire lives from its
    /// write to its last read; outputs live to the end).
    pub peak_live_wires: u64,
    /// Garbled table size at 32 bytes per AND.
    pub garbled_bytes: u64,
    /// Oblivious transfers needed: one per evaluator input bit.
    pub ots_needed: u64,
}

impl CircuitStats {
    /// Computes the statistics of a well-formed circuit.
    pub fn of(circuit: &Circuit) -> CircuitStats {
        let mut s = CircuitStats {
            garbler_input_bits: 0,
            evaluator_input_bits: 0,
            unowned_input_bits: 0,
            output_bits: circuit.output_wires.len() as u64,
            and_gates: 0,
            xor_gates: 0,
            inv_gates: 0,
            and_depth: 0,
            wires: u64::from(circuit.num_wires),
            peak_live_wires: 0,
            garbled_bytes: 0,
            ots_needed: 0,
        };
        for v in &circuit.inputs {
            let w = u64::from(v.format.width());
            match v.party {
                Some(Party::Garbler) => s.garbler_input_bits += w,
                Some(Party::Evaluator) => s.evaluator_input_bits += w,
                None => s.unowned_input_bits += w,
            }
        }
        let n = circuit.num_wires as usize;
        let mut depth = vec![0u64; n];
        // Last gate index reading each wire (usize::MAX: an output, alive to the end).
        let mut last_read: Vec<Option<usize>> = vec![None; n];
        for (i, g) in circuit.gates.iter().enumerate() {
            match *g {
                Gate::And { a, b, out } => {
                    s.and_gates += 1;
                    depth[out as usize] = 1 + depth[a as usize].max(depth[b as usize]);
                    last_read[a as usize] = Some(i);
                    last_read[b as usize] = Some(i);
                }
                Gate::Xor { a, b, out } => {
                    s.xor_gates += 1;
                    depth[out as usize] = depth[a as usize].max(depth[b as usize]);
                    last_read[a as usize] = Some(i);
                    last_read[b as usize] = Some(i);
                }
                Gate::Inv { a, out } => {
                    s.inv_gates += 1;
                    depth[out as usize] = depth[a as usize];
                    last_read[a as usize] = Some(i);
                }
            }
        }
        for &w in &circuit.output_wires {
            last_read[w as usize] = Some(usize::MAX);
            s.and_depth = s.and_depth.max(depth[w as usize]);
        }
        // Sweep: inputs are alive from the start; a gate's output from its gate on.
        let mut deaths = vec![0u64; circuit.gates.len() + 1];
        let mut live: u64 = 0;
        for (w, lr) in last_read
            .iter()
            .enumerate()
            .take(circuit.num_input_wires() as usize)
        {
            let _ = w;
            if let Some(i) = lr {
                live += 1;
                if *i != usize::MAX {
                    deaths[*i] += 1;
                }
            }
        }
        s.peak_live_wires = live;
        for (i, g) in circuit.gates.iter().enumerate() {
            let out = g.output() as usize;
            if let Some(lr) = last_read[out] {
                live += 1;
                if lr != usize::MAX {
                    deaths[lr] += 1;
                }
            }
            s.peak_live_wires = s.peak_live_wires.max(live);
            live -= deaths[i];
        }
        s.garbled_bytes = s.and_gates * GARBLED_BYTES_PER_AND;
        s.ots_needed = s.evaluator_input_bits;
        s
    }
}
