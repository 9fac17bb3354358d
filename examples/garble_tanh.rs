//! Compile a DSL activation and garble it in-process.
//!
//! `circuits/tanh.dsl` (the paper's tanh*) goes through the checker (`dsl`) and the compiler
//! (`compiler`) to a boolean circuit; a garbler thread and an evaluator thread then run it
//! over the runtime's in-memory channel for a batch of inputs (the garbler holds `x`, the
//! evaluator learns `y`), and every garbled output is compared with the reference
//! interpreter run on the checked program.
//!
//! ```sh
//! cargo run --release --example garble_tanh
//! ```

use circuit::ValueFormat;
use circuit::value::{from_bits, to_bits};
use compiler::CompileOptions;
use runtime::channel::MemChannel;
use runtime::driver::{Reveal, TwoPartyCircuit, run_evaluator, run_garbler};
use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

/// An error of this example (any library error, or a mismatch).
type Failure = Box<dyn Error + Send + Sync>;

/// What one run did.
#[derive(Debug)]
pub(crate) struct Summary {
    /// Inputs garbled (one circuit instance each).
    pub(crate) instances: usize,
    /// AND gates per instance.
    pub(crate) ands_per_instance: usize,
    /// Bytes the garbler sent (tables, its input labels, the handshake).
    pub(crate) garbler_sent: u64,
    /// (x, y) for x = −2, −1, −0.5, 0, 0.5, 1, 2 (real values).
    pub(crate) samples: Vec<(f64, f64)>,
    /// Wall time of the two-party run.
    pub(crate) wall: Duration,
}

/// The activation's value format, `fixed<16, 12>`.
const FIXED: ValueFormat = ValueFormat::Signed {
    width: 16,
    frac: 12,
};

/// A raw 16-bit pattern as a real number.
fn real(raw: u128) -> f64 {
    FIXED.real_of(raw)
}

/// Garbles `program_path` (a one-input, one-output 16-bit activation such as
/// `circuits/tanh.dsl`) on every `step`-th raw input and checks each output against the
/// interpreter (the samples assume 12 fractional bits, as in `fixed<16, 12>`). Fails on any
/// difference.
pub(crate) fn run(program_path: &Path, step: usize) -> Result<Summary, Failure> {
    let source = std::fs::read_to_string(program_path)
        .map_err(|e| format!("cannot read {}: {e}", program_path.display()))?;
    let name = program_path.display().to_string();
    // 1. The language: parse and type-check (errors come back rendered with their place).
    let program = dsl::check(&source, &name).map_err(|d| d.render())?;
    let [input] = program.inputs.as_slice() else {
        return Err(format!("{name}: expected one input, found {}", program.inputs.len()).into());
    };
    let [output] = program.outputs.as_slice() else {
        return Err(format!("{name}: expected one output").into());
    };
    if input.ty.width() != 16 || output.ty.width() != 16 {
        return Err(format!("{name}: expected a 16-bit input and output").into());
    }
    // 2. The compiler: the same program as a boolean circuit (all passes on).
    let circuit = compiler::compile_source(&source, &name, &CompileOptions::default())
        .map_err(|e| e.render())?;
    let ands = circuit.and_count();
    // The DSL says which party owns each input (`input garbler x`).
    let tpc = TwoPartyCircuit::new(circuit)?;

    // 3. Two parties in two threads over an in-memory channel.
    let xs: Vec<u128> = (0..1u128 << 16).step_by(step.max(1)).collect();
    let garbler_inputs: Vec<Vec<bool>> = xs.iter().map(|&x| to_bits(x, 16)).collect();
    let evaluator_inputs: Vec<Vec<bool>> = vec![Vec::new(); xs.len()]; // it has no inputs
    let (mut g_ch, mut e_ch) = MemChannel::pair(Duration::from_secs(60));
    let tpc_e = tpc.clone();
    let started = Instant::now();
    let evaluator = std::thread::spawn(move || {
        run_evaluator(
            &mut e_ch,
            &tpc_e,
            &evaluator_inputs,
            Reveal::Evaluator,
            &mut rand::rng(),
        )
    });
    let garbled = run_garbler(
        &mut g_ch,
        &tpc,
        &garbler_inputs,
        Reveal::Evaluator,
        &mut rand::rng(),
    )?;
    let evaluated = evaluator
        .join()
        .map_err(|_| "the evaluator thread panicked")??;
    let wall = started.elapsed();
    let outputs = evaluated.outputs.ok_or("the evaluator learnt no outputs")?;

    // 4. Every garbled output against the reference interpreter.
    let mut samples = Vec::new();
    for (&x, bits) in xs.iter().zip(&outputs) {
        let garbled_y = from_bits(bits);
        let reference = dsl::interpret(&program, &[x])?;
        if reference.first() != Some(&garbled_y) {
            return Err(format!(
                "x = {}: garbled circuit gives {}, interpreter {:?}",
                dsl::format_value(x, &input.ty),
                dsl::format_value(garbled_y, &output.ty),
                reference
            )
            .into());
        }
        if [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0].contains(&real(x)) {
            samples.push((real(x), real(garbled_y)));
        }
    }
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Summary {
        instances: xs.len(),
        ands_per_instance: ands,
        garbler_sent: garbled.stats.bytes_sent,
        samples,
        wall,
    })
}

fn main() -> Result<(), Failure> {
    let s = run(Path::new("circuits/tanh.dsl"), 16)?;
    println!(
        "garbled circuits/tanh.dsl on {} inputs ({} ANDs each) in {:.2} s; garbler sent {:.1} MB",
        s.instances,
        s.ands_per_instance,
        s.wall.as_secs_f64(),
        s.garbler_sent as f64 / 1e6
    );
    for (x, y) in &s.samples {
        println!("  tanh*({x:>4}) = {y:>9.6}   (tanh = {:>9.6})", x.tanh());
    }
    println!("every output equals the reference interpreter's");
    Ok(())
}
