//! Prints in-memory garbling and evaluation throughput and the two-thread loopback rate on
//! the random 1M-AND circuit of `gcc-nn bench-gc` (quick checks while tuning the engine).
fn main() {
    let c = gcc_nn_runtime::bench::random_circuit(1, 256, 1 << 20, 4096);
    for _ in 0..3 {
        let a = gcc_nn_runtime::bench::aes_rate(1 << 25);
        println!(
            "aes crate: {:.1} ({:.1} per CPU-s) M blocks/s -> half-gates limit {:.1} M AND/s per CPU-s",
            a.mops(),
            a.mops_cpu().unwrap_or(0.0),
            a.mops_cpu().unwrap_or(0.0) / 4.0
        );
        let g = gcc_nn_runtime::bench::garble_in_memory(&c, 8).expect("valid");
        let e = gcc_nn_runtime::bench::evaluate_in_memory(&c, 8).expect("valid");
        let l = gcc_nn_runtime::bench::loopback_tcp(&c, 8).expect("loopback");
        println!(
            "garble {:.1} ({:.1} per CPU-s)   evaluate {:.1} ({:.1})   loopback {:.1} ({:.1}) M AND/s",
            g.mops(),
            g.mops_cpu().unwrap_or(0.0),
            e.mops(),
            e.mops_cpu().unwrap_or(0.0),
            l.mops(),
            l.mops_cpu().unwrap_or(0.0)
        );
    }
}
