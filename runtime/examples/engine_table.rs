//! The README's engine table in one run: the `aes` crate's AES-128 rate (the yardstick),
//! then for each garbling scheme garbling into memory, evaluation from memory and garbler +
//! evaluator over loopback TCP on the `bench-gc` random circuit (and an optional Bristol
//! Fashion file), each as M AND/s wall (per CPU-second) and as a fraction of the scheme's
//! limit (AES blocks/s ÷ the garbler's AES calls per AND); then IKNP correlated OT at the
//! given counts. Best of `REPS` runs each.
//!
//! `cargo run --release -p gcc-nn-runtime --example engine_table -- [REPS] [BRISTOL_FILE]`
use gcc_nn_runtime::bench::{self, Limit, Throughput};
use gcc_nn_runtime::bench::{evaluate_in_memory_with, garble_in_memory_with};
use gcc_nn_runtime::scheme::Scheme;

/// AES calls of the garbler per AND gate (4 hashes for half-gates, 6 for three-halves).
fn aes_per_and(s: Scheme) -> f64 {
    match s {
        Scheme::HalfGates => bench::HALF_GATES_AES_PER_AND,
        Scheme::ThreeHalves => 6.0,
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn best(reps: usize, f: &dyn Fn() -> Res<Throughput>) -> Res<(f64, f64)> {
    let (mut w, mut c) = (0.0f64, 0.0f64);
    for _ in 0..reps {
        let t = f()?;
        w = w.max(t.mops());
        c = c.max(t.mops_cpu().unwrap_or(0.0));
    }
    Ok((w, c))
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let reps: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let mut circuits = vec![(
        "random 1M-AND".to_string(),
        bench::random_circuit(1, 256, 1 << 20, 4096),
    )];
    if let Some(path) = args.next() {
        let text = std::fs::read_to_string(&path)?;
        circuits.push((path.clone(), circuit::bristol::read_fashion(&text)?));
    }
    println!("CPU: {}", bench::cpu_model().unwrap_or_default());
    let aes = best(reps, &|| Ok(bench::aes_rate(1 << 25)))?;
    let limit = Limit {
        aes_mblocks: if aes.1 > 0.0 { aes.1 } else { aes.0 },
    };
    println!(
        "AES-128 (aes crate, one core, fixed key, {} blocks/call): {:.1} M blocks/s wall ({:.1} per CPU-s)",
        bench::AES_BLOCKS_PER_CALL,
        aes.0,
        aes.1
    );
    for s in Scheme::ALL {
        println!(
            "{s}: limit {:.1} M AND/s ({} AES per AND)",
            limit.mands(aes_per_and(s)),
            aes_per_and(s)
        );
    }
    let cell = |(w, c): (f64, f64), s: Scheme| {
        let r = if c > 0.0 { c } else { w };
        format!(
            "{w:.1} ({c:.1}) {:.0}%",
            100.0 * limit.fraction(r, aes_per_and(s))
        )
    };
    println!("M AND/s wall (per CPU-second) and % of the scheme's limit (per CPU-second)");
    for (name, c) in &circuits {
        let n = (8usize << 20).div_ceil(c.and_count().max(1)).max(1);
        for s in Scheme::ALL {
            let g = best(reps, &|| Ok(garble_in_memory_with(s, c, n)?))?;
            let e = best(reps, &|| Ok(evaluate_in_memory_with(s, c, n)?))?;
            let l = best(reps, &|| Ok(bench::loopback_tcp_scheme(c, n, s)?))?;
            println!(
                "{name:<16} {s:<13} garble {:<20} evaluate {:<20} loopback {}",
                cell(g, s),
                cell(e, s),
                cell(l, s)
            );
        }
    }
    for n in [(1usize << 20) + 101, (1 << 23) + 101] {
        let (w, c) = best(reps, &|| Ok(bench::iknp_cot(n)?))?;
        println!("IKNP correlated OT, {n} OTs, loopback: {w:.1} M OT/s wall ({c:.1} per CPU-s)");
    }
    Ok(())
}
