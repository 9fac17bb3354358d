//! Bristol Fashion and old Bristol readers, and the `.meta.json` side file.
//! First byte: 0 → Bristol Fashion, 1 → old format, 2 → side file applied to a circuit
//! read from the text after the first `\n---\n` (else to a fixed two-input circuit).
//! A circuit that reads is written back, re-read and simulated: both must agree.
#![no_main]

use circuit::{Circuit, bristol, meta, simulate};
use libfuzzer_sys::fuzz_target;

const FIXED: &str = "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 3 {
        0 => {
            if let Ok(c) = bristol::read_fashion(text) {
                round_trip(&c);
            }
        }
        1 => {
            if let Ok(c) = bristol::read_old_format(text) {
                round_trip(&c);
            }
        }
        _ => {
            let (json, circuit_text) = text.split_once("\n---\n").unwrap_or((text, FIXED));
            let Ok(mut c) = bristol::read_fashion(circuit_text) else {
                return;
            };
            if meta::apply(&mut c, json).is_ok() {
                let again = meta::to_json(&c);
                let mut d = c.clone();
                assert!(meta::apply(&mut d, &again).is_ok(), "side file round trip");
                assert_eq!(c, d);
            }
        }
    }
});

fn round_trip(c: &Circuit) {
    let text = bristol::write_fashion(c);
    let back = match bristol::read_fashion(&text) {
        Ok(b) => b,
        Err(e) => panic!("written circuit does not read back: {e}"),
    };
    assert_eq!(c.num_input_wires(), back.num_input_wires());
    assert_eq!(c.output_wires.len(), back.output_wires.len());
    if c.gates.len() > 100_000 {
        return;
    }
    let n = c.num_input_wires() as usize;
    let inputs: Vec<u64> = (0..n)
        .map(|i| 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1))
        .collect();
    assert_eq!(
        simulate::simulate_u64(c, &inputs),
        simulate::simulate_u64(&back, &inputs),
        "written circuit computes another function"
    );
}
