//! Garbles and/or evaluates a random circuit many times (for `perf record` / callgrind):
//! `gcprof [AND_GATES] [REPS] [garble|evaluate|both] [BRISTOL_FILE]` (defaults 65536, 2,
//! both; a Bristol Fashion file replaces the random circuit). The plan is built once per
//! measurement, so with enough reps the profile is the engine's.
fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1 << 16);
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2);
    let mode = args.next().unwrap_or_else(|| "both".into());
    let c = match args.next() {
        Some(path) => {
            let text = std::fs::read_to_string(&path).expect("read the circuit file");
            circuit::bristol::read_fashion(&text).expect("a Bristol Fashion circuit")
        }
        None => gcc_nn_runtime::bench::random_circuit(1, 256, n, 4096),
    };
    let plan = gcc_nn_runtime::plan::Plan::new(&c).expect("valid");
    let flushes = plan.batch_ends.len();
    println!(
        "{} ANDs, {} label slots ({} KiB), {:.1} ANDs per batch",
        plan.and_count,
        plan.num_slots,
        plan.num_slots * 16 / 1024,
        plan.and_count as f64 / flushes as f64
    );
    if mode != "evaluate" {
        let g = gcc_nn_runtime::bench::garble_in_memory(&c, reps).expect("valid");
        println!(
            "garble {:.1} M AND/s ({:.1} per CPU-s)",
            g.mops(),
            g.mops_cpu().unwrap_or(0.0)
        );
    }
    if mode != "garble" {
        let e = gcc_nn_runtime::bench::evaluate_in_memory(&c, reps).expect("valid");
        println!(
            "evaluate {:.1} M AND/s ({:.1} per CPU-s)",
            e.mops(),
            e.mops_cpu().unwrap_or(0.0)
        );
    }
}
