//! Writes the `bench-gc` random circuit in the old Bristol format (`ngates nwires`,
//! `garbler_bits evaluator_bits output_bits`, a blank line, then the gates), so other
//! garbling libraries can be timed on exactly the same gates (e.g. swanky's
//! `BinaryCircuit::parse`). Usage: `random_bristol ANDS OUT_FILE` (ANDS default 1048576).
use gcc_nn_runtime::bench::random_circuit;
use std::fmt::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let ands: u32 = args.next().map_or(Ok(1 << 20), |s| s.parse())?;
    let path = args.next().ok_or("usage: random_bristol ANDS OUT_FILE")?;
    let c = random_circuit(1, 256, ands, 4096);
    let mut text = String::new();
    let n_in = c.inputs.len();
    writeln!(text, "{} {}", c.gates.len(), c.num_wires)?;
    writeln!(
        text,
        "{} {} {}\n",
        n_in / 2,
        n_in - n_in / 2,
        c.outputs.len()
    )?;
    for g in &c.gates {
        match *g {
            circuit::Gate::And { a, b, out } => writeln!(text, "2 1 {a} {b} {out} AND")?,
            circuit::Gate::Xor { a, b, out } => writeln!(text, "2 1 {a} {b} {out} XOR")?,
            circuit::Gate::Inv { a, out } => writeln!(text, "1 1 {a} {out} INV")?,
        }
    }
    std::fs::write(&path, text)?;
    eprintln!("{path}: {} gates, {} ANDs", c.gates.len(), c.and_count());
    Ok(())
}
