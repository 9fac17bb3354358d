//! Fast plaintext simulation: 64 inputs at once, one `u64` per wire (bit-sliced), and
//! helpers to move raw values in and out of circuit bits.

use crate::circuit::{Circuit, Gate};
use crate::value::{from_bits, push_bits};

/// Evaluates `circuit` on 64 input vectors at once: `inputs[w]` holds bit `w` of each of
/// the 64 vectors (vector k in bit k). Returns one `u64` per output wire likewise.
///
/// Panics if `inputs.len()` differs from [`Circuit::num_input_wires`].
pub fn simulate_u64(circuit: &Circuit, inputs: &[u64]) -> Vec<u64> {
    assert_eq!(
        inputs.len(),
        circuit.num_input_wires() as usize,
        "input wire count"
    );
    let mut w = vec![0u64; circuit.num_wires as usize];
    w[..inputs.len()].copy_from_slice(inputs);
    for g in &circuit.gates {
        match *g {
            Gate::Xor { a, b, out } => w[out as usize] = w[a as usize] ^ w[b as usize],
            Gate::And { a, b, out } => w[out as usize] = w[a as usize] & w[b as usize],
            Gate::Inv { a, out } => w[out as usize] = !w[a as usize],
        }
    }
    circuit
        .output_wires
        .iter()
        .map(|&o| w[o as usize])
        .collect()
}

/// Evaluates `circuit` on up to 64 input tuples of raw values (one `u128` bit pattern per
/// input value, low `width` bits used); returns the raw outputs per tuple (each masked to
/// its width).
pub fn simulate_raw(circuit: &Circuit, tuples: &[Vec<u128>]) -> Vec<Vec<u128>> {
    assert!(tuples.len() <= 64, "at most 64 tuples per call");
    let mut wires = vec![0u64; circuit.num_input_wires() as usize];
    for (k, tuple) in tuples.iter().enumerate() {
        let mut bits = Vec::with_capacity(wires.len());
        for (value, &raw) in circuit.inputs.iter().zip(tuple) {
            push_bits(&mut bits, raw, value.format.width());
        }
        for (wire, bit) in wires.iter_mut().zip(bits) {
            *wire |= u64::from(bit) << k;
        }
    }
    let out = simulate_u64(circuit, &wires);
    (0..tuples.len())
        .map(|k| {
            let mut pos = 0usize;
            circuit
                .outputs
                .iter()
                .map(|value| {
                    let width = value.format.width() as usize;
                    let bits: Vec<bool> = out[pos..pos + width]
                        .iter()
                        .map(|w| (w >> k) & 1 == 1)
                        .collect();
                    pos += width;
                    from_bits(&bits)
                })
                .collect()
        })
        .collect()
}
