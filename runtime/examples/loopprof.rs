//! Garbler + evaluator over loopback TCP on the `bench-gc` random circuit, `REPS` runs of
//! `N` instances each (for `perf record` and old/new comparisons of the channel path):
//! `loopprof [AND_GATES] [INSTANCES] [REPS]` (defaults 1M ANDs, 8 instances, 5 runs).
//! Prints each run's M AND/s wall and per CPU-second of the busier thread.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_and: u32 = args.next().map_or(Ok(1 << 20), |s| s.parse())?;
    let inst: usize = args.next().map_or(Ok(8), |s| s.parse())?;
    let reps: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let c = gcc_nn_runtime::bench::random_circuit(1, 256, n_and, 4096);
    for _ in 0..reps {
        let t = gcc_nn_runtime::bench::loopback_tcp(&c, inst)?;
        println!(
            "loopback {:.1} M AND/s ({:.1} per CPU-s)",
            t.mops(),
            t.mops_cpu().unwrap_or(0.0)
        );
    }
    Ok(())
}
