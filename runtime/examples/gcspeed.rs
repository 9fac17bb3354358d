//! Prints in-memory garbling and evaluation throughput on a random 1M-AND circuit.
fn main() {
    let c = gcc_nn_runtime::bench::random_circuit(1, 256, 1 << 20, 4096);
    for _ in 0..3 {
        let g = gcc_nn_runtime::bench::garble_in_memory(&c, 8).expect("valid");
        let e = gcc_nn_runtime::bench::evaluate_in_memory(&c, 8).expect("valid");
        println!(
            "garble {:.1} M AND/s ({:.1} per CPU-s)   evaluate {:.1} M AND/s ({:.1} per CPU-s)",
            g.mops(),
            g.mops_cpu().unwrap_or(0.0),
            e.mops(),
            e.mops_cpu().unwrap_or(0.0)
        );
    }
}
