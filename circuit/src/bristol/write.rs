//! The Bristol Fashion writer (basic XOR/AND/INV form).

use crate::circuit::{Circuit, Gate, IoValue, WireId};
use std::fmt::Write as _;

/// Writes `circuit` as basic Bristol Fashion (XOR/AND/INV only).
///
/// Wires are renumbered so that the outputs are the last wires, in order. An output bit
/// that is an input wire, or repeats an earlier output bit, is copied by two INV gates.
pub fn write_fashion(circuit: &Circuit) -> String {
    let n_in = circuit.num_input_wires();
    let m = circuit.output_wires.len() as u32;
    // Which output position (if any) each gate-written wire becomes.
    let mut claimed: std::collections::HashMap<WireId, u32> = std::collections::HashMap::new();
    let mut copies: Vec<(u32, WireId)> = Vec::new();
    let gate_written: std::collections::HashSet<WireId> =
        circuit.gates.iter().map(Gate::output).collect();
    for (k, &w) in circuit.output_wires.iter().enumerate() {
        if gate_written.contains(&w) && !claimed.contains_key(&w) {
            claimed.insert(w, k as u32);
        } else {
            copies.push((k as u32, w));
        }
    }
    let inner = circuit.gates.len() as u32 - claimed.len() as u32 + copies.len() as u32;
    let total = n_in + inner + m;
    let first_out = total - m;
    let mut rename: std::collections::HashMap<WireId, WireId> = (0..n_in).map(|i| (i, i)).collect();
    let mut next = n_in;
    let mut body = String::new();
    let mut ngates = 0usize;
    for gate in &circuit.gates {
        let out = gate.output();
        let new = match claimed.get(&out) {
            Some(&k) => first_out + k,
            None => {
                next += 1;
                next - 1
            }
        };
        rename.insert(out, new);
        let r = |w: WireId| rename.get(&w).copied().unwrap_or(w);
        let _ = match *gate {
            Gate::Xor { a, b, .. } => writeln!(body, "2 1 {} {} {new} XOR", r(a), r(b)),
            Gate::And { a, b, .. } => writeln!(body, "2 1 {} {} {new} AND", r(a), r(b)),
            Gate::Inv { a, .. } => writeln!(body, "1 1 {} {new} INV", r(a)),
        };
        ngates += 1;
    }
    for (k, w) in copies {
        let from = rename.get(&w).copied().unwrap_or(w);
        let _ = writeln!(body, "1 1 {from} {next} INV");
        let _ = writeln!(body, "1 1 {next} {} INV", first_out + k);
        next += 1;
        ngates += 2;
    }
    let widths = |vals: &[IoValue]| {
        vals.iter()
            .map(|v| format!(" {}", v.format.width()))
            .collect::<Vec<_>>()
            .concat()
    };
    let mut text = String::with_capacity(body.len() + 64);
    let _ = writeln!(text, "{ngates} {total}");
    let _ = writeln!(text, "{}{}", circuit.inputs.len(), widths(&circuit.inputs));
    let _ = writeln!(
        text,
        "{}{}",
        circuit.outputs.len(),
        widths(&circuit.outputs)
    );
    text.push('\n');
    text.push_str(&body);
    text
}
