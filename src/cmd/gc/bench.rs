//! `gcc-nn bench-gc`: the engine's rates (garbling and evaluation in memory, loopback TCP, OT
//! extension) beside the machine's AES-128 rate, each as a fraction of the garbling limit.

use super::{BenchArgs, CliError, load_circuit};
use runtime::scheme::Scheme;

/// AES calls per AND gate when garbling with `scheme` (half-gates 4, three-halves 6): the
/// divisor of the machine's AES rate that gives the scheme's garbling limit.
fn aes_per_and(scheme: Scheme) -> f64 {
    match scheme {
        Scheme::HalfGates => runtime::bench::HALF_GATES_AES_PER_AND,
        Scheme::ThreeHalves => 6.0,
    }
}

/// Garbled bytes per AND gate of `scheme` (32; 24.625 = 197 bits for three-halves).
fn bytes_per_and(scheme: Scheme) -> f64 {
    scheme.material_bytes(8) as f64 / 8.0
}

/// Best wall and per-CPU-second rates (M/s) over `reps` runs of `f`.
fn best_of(
    reps: usize,
    f: &dyn Fn() -> Result<runtime::bench::Throughput, CliError>,
) -> Result<(f64, f64), CliError> {
    let (mut wall, mut cpu): (f64, f64) = (0.0, 0.0);
    for _ in 0..reps.max(1) {
        let t = f()?;
        wall = wall.max(t.mops());
        cpu = cpu.max(t.mops_cpu().unwrap_or(0.0));
    }
    Ok((wall, cpu))
}

/// A rate as JSON, with its fraction of the scheme's garbling limit (per CPU-second where
/// measured, else wall).
fn rate_json(
    (wall, cpu): (f64, f64),
    limit: &runtime::bench::Limit,
    aes_per_and: f64,
) -> serde_json::Value {
    let best = if cpu > 0.0 { cpu } else { wall };
    serde_json::json!({ "wall": wall, "cpu": cpu, "fraction_of_limit": limit.fraction(best, aes_per_and) })
}

/// A table cell: wall rate (per CPU-second) and the fraction of the limit.
fn rate_cell((wall, cpu): (f64, f64), limit: &runtime::bench::Limit, aes_per_and: f64) -> String {
    let best = if cpu > 0.0 { cpu } else { wall };
    let pct = 100.0 * limit.fraction(best, aes_per_and);
    format!("{wall:.1} ({cpu:.1}) {pct:.0}%")
}

pub(super) fn bench(a: BenchArgs) -> Result<(), CliError> {
    use runtime::bench::{self, HALF_GATES_AES_PER_AND as HG, Limit};
    let scheme = a.scheme.scheme();
    let per_and = aes_per_and(scheme);
    if !a.json {
        eprintln!("note: on a shared or busy machine wall-clock figures are noisy; the CPU column");
        eprintln!(
            "      (operations per CPU-second of the busiest thread) estimates one dedicated core each."
        );
    }
    let aes = best_of(a.reps, &|| Ok(bench::aes_rate(1 << 25)))?;
    // The limit from the per-CPU-second AES rate when measured (robust to a busy machine).
    let limit = Limit {
        aes_mblocks: if aes.1 > 0.0 { aes.1 } else { aes.0 },
    };
    let mut circuits = vec![(
        format!("random, {} ANDs", a.ands),
        bench::random_circuit(1, 256, a.ands, 4096),
    )];
    if let Some(path) = &a.circuit {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        circuits.push((name, load_circuit(path, None)?));
    }
    if !a.json {
        outln!(
            "CPU: {}",
            bench::cpu_model().unwrap_or_else(|| "unknown".into())
        );
        outln!(
            "AES-128, aes crate, one core, fixed key, {} blocks per call: {:.1} M blocks/s wall ({:.1} per CPU-second)",
            bench::AES_BLOCKS_PER_CALL,
            aes.0,
            aes.1
        );
        outln!(
            "garbling limit at that rate: half-gates {:.1} M AND/s ({HG} AES per AND)",
            limit.mands(HG)
        );
        outln!("{scheme}, M AND/s wall (per CPU-second) and % of the half-gates limit");
        outln!(
            "{:<28} {:>22} {:>22} {:>26}",
            "circuit",
            "garble (memory)",
            "evaluate (memory)",
            "2 threads, loopback TCP"
        );
    }
    let mut rows = Vec::new();
    for (name, c) in &circuits {
        // Enough instances for >= 8M ANDs per measurement.
        let reps = (8usize << 20).div_ceil(c.and_count().max(1)).max(1);
        let g = best_of(a.reps, &|| {
            Ok(bench::garble_in_memory_with(scheme, c, reps)?)
        })?;
        let e = best_of(a.reps, &|| {
            Ok(bench::evaluate_in_memory_with(scheme, c, reps)?)
        })?;
        let l = best_of(a.reps, &|| Ok(bench::loopback_tcp_scheme(c, reps, scheme)?))?;
        if a.json {
            rows.push(serde_json::json!({
                "name": name,
                "scheme": scheme.name(),
                "ands": c.and_count(),
                "garble_memory": rate_json(g, &limit, per_and),
                "evaluate_memory": rate_json(e, &limit, per_and),
                "loopback_tcp": rate_json(l, &limit, per_and),
            }));
        } else {
            let cell = |r| rate_cell(r, &limit, per_and);
            outln!("{name:<28} {:>22} {:>22} {:>26}", cell(g), cell(e), cell(l));
        }
    }
    let mut ot_runs = Vec::new();
    for &n in &a.ots {
        let r = best_of(a.reps, &|| Ok(bench::iknp_cot(n)?))?;
        ot_runs.push((n, r));
    }
    if a.json {
        let (ots, last) = ot_runs.last().copied().unwrap_or((0, (0.0, 0.0)));
        let runs: Vec<_> = ot_runs
            .iter()
            .map(|&(n, (w, c))| serde_json::json!({ "ots": n, "wall": w, "cpu": c }))
            .collect();
        let value = serde_json::json!({
            "unit": "million operations per second (wall; cpu: per CPU-second of the busiest thread)",
            "cpu_model": bench::cpu_model(),
            "aes": { "wall": aes.0, "cpu": aes.1, "blocks_per_call": bench::AES_BLOCKS_PER_CALL },
            "limit_half_gates": limit.mands(HG),
            "circuits": rows,
            "iknp_cot": { "wall": last.0, "cpu": last.1 },
            "iknp_cot_runs": runs,
            "ots": ots,
            "bytes_per_and": bytes_per_and(scheme),
            "bytes_per_ot": 16,
        });
        outln!("{value}");
        return Ok(());
    }
    for (n, (w, c)) in ot_runs {
        outln!(
            "IKNP correlated OT, {n} OTs, 2 threads, loopback TCP: {w:.1} M OT/s wall ({c:.1} per CPU-second)"
        );
    }
    outln!(
        "bytes per AND ({scheme}): {} ({}); bytes per OT: 16",
        bytes_per_and(scheme),
        match scheme {
            Scheme::HalfGates => "two 16-byte ciphertexts",
            Scheme::ThreeHalves => "three 8-byte halves and 5 control bits",
        }
    );
    Ok(())
}
