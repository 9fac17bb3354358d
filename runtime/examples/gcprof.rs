//! Garbles a random circuit a few times (for profiling under callgrind).
fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1 << 16);
    let c = gcc_nn_runtime::bench::random_circuit(1, 256, n, 4096);
    let g = gcc_nn_runtime::bench::garble_in_memory(&c, 2).expect("valid");
    let e = gcc_nn_runtime::bench::evaluate_in_memory(&c, 2).expect("valid");
    println!(
        "garble {:.1} M AND/s   evaluate {:.1} M AND/s",
        g.mops(),
        e.mops()
    );
}
