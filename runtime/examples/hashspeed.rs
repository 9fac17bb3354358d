//! Measures the TCCR hash alone: garbler layout (2 blocks per key) and evaluator layout.
use gcc_nn_runtime::Block;
use gcc_nn_runtime::bench::thread_cpu_time;
use gcc_nn_runtime::tccr::Tccr;

fn main() {
    let mut tccr = Tccr::new(Block(0x1234_5678));
    for per_key in [2usize, 1] {
        // 64 AND gates per batch, as the garbler flushes them: 128 keys.
        let mut blocks = vec![Block(7); 128 * per_key];
        let batches = 200_000u64;
        let c0 = thread_cpu_time().unwrap_or_default();
        for i in 0..batches {
            tccr.hash_in_place(i * 128, &mut blocks, per_key);
        }
        let cpu = thread_cpu_time().unwrap_or_default() - c0;
        std::hint::black_box(&blocks);
        let gates = batches * 64;
        println!(
            "per_key {per_key}: {:.1} M AND gates/CPU-s ({:.1} M keys/CPU-s)",
            gates as f64 / cpu.as_secs_f64() / 1e6,
            2.0 * gates as f64 / cpu.as_secs_f64() / 1e6
        );
    }
}
