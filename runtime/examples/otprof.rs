//! Runs IKNP correlated OT extension between two threads (for profiling).
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 22);
    let t = gcc_nn_runtime::bench::iknp_cot(n).expect("ot run");
    println!(
        "IKNP COT: {:.1} M/s wall, {:.1} M/s per CPU-second",
        t.mops(),
        t.mops_cpu().unwrap_or(0.0)
    );
}
