//! Runs IKNP correlated OT extension between two threads over loopback TCP, as EMP's
//! `test_cot` does: `otprof [N] [REPS]` runs N OTs REPS times on one connection (fresh
//! output buffers each run) and prints every run and the medians.
fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (n, reps) = (arg(1, 1 << 22), arg(2, 3).max(1));
    let runs = gcc_nn_runtime::bench::iknp_cot_runs(n, reps).expect("ot run");
    for t in &runs {
        println!(
            "IKNP COT {n}: {:.1} M/s wall, {:.1} M/s per CPU-second",
            t.mops(),
            t.mops_cpu().unwrap_or(0.0)
        );
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "median of {reps}: {:.1} M/s wall, {:.1} M/s per CPU-second",
        median(runs.iter().map(|t| t.mops()).collect()),
        median(runs.iter().map(|t| t.mops_cpu().unwrap_or(0.0)).collect())
    );
}
