//! Secure tanh* through the Paillier bridge, 2048-bit key, amortised per activation over
//! batches, cloud and user separately, on-line and off-line (r^N precomputation) apart.
//!
//! Run: `cargo bench -p gcc-nn-protocol --bench bridge` (both parties share this machine:
//! they run as two threads over loopback TCP). Environment knobs:
//! `BRIDGE_BATCHES_CHAINED` and `BRIDGE_BATCHES_PACKED` (default `1,100,10000`),
//! `BRIDGE_BATCHES_UNPACKED`
//! (default `1,100`), `BRIDGE_NARROW=1` (16-bit pre-activations instead of 36-bit).

use gcc_nn_protocol::bridge::demo::{DemoOptions, run_demo};
use gcc_nn_protocol::bridge::{BridgeCircuit, Mode};
use paillier::SecretKey;
use std::sync::Arc;
use std::time::Duration;

fn batches(var: &str, default: &str) -> Vec<usize> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let narrow = std::env::var("BRIDGE_NARROW").is_ok_and(|v| v == "1");
    let sk = Arc::new(SecretKey::generate(2048, &mut rand::rng()).expect("keygen"));
    let circuit = Arc::new(
        if narrow {
            BridgeCircuit::narrow_tanh()
        } else {
            BridgeCircuit::default_tanh()
        }
        .and_then(|c| c.with_chained(2048))
        .expect("circuit"),
    );
    let p = circuit.params();
    println!(
        "secure tanh* via the Paillier bridge: N = 2048 bits, LX = {}, σ = {}, {} ANDs/activation",
        p.x_bits,
        p.sigma,
        circuit.and_count()
    );
    println!(
        "{:<9} {:>6} | {:>11} {:>11} {:>11} | {:>12} {:>12} | {:>12} | {:>10} | ok",
        "mode", "batch", "cloud HE", "user HE", "GC wall", "on-line", "off-line", "on+off", "bytes"
    );
    println!(
        "{:<9} {:>6} | {:>11} {:>11} {:>11} | {:>12} {:>12} | {:>12} | {:>10} |",
        "", "", "ms/act", "ms/act", "ms/act", "ms/act", "ms/act", "ms/act", "B/act"
    );
    let runs = batches("BRIDGE_BATCHES_CHAINED", "1,100,10000")
        .into_iter()
        .map(|b| (Mode::Chained, b))
        .chain(
            batches("BRIDGE_BATCHES_PACKED", "1,100,10000")
                .into_iter()
                .map(|b| (Mode::Packed, b)),
        )
        .chain(
            batches("BRIDGE_BATCHES_UNPACKED", "1,100")
                .into_iter()
                .map(|b| (Mode::Unpacked, b)),
        );
    for (mode, batch) in runs {
        let opts = DemoOptions {
            batch,
            mode,
            seed: None,
            frac_bits: if narrow { 12 } else { 24 },
        };
        let r = run_demo(Arc::clone(&sk), Arc::clone(&circuit), &opts).expect("bridge run");
        let n = batch as f64;
        let cloud = ms(r.cloud.compute()) / n;
        let user = ms(r.user.compute()) / n;
        let gc = ms(r.cloud.gc_wall()) / n;
        let offline = ms(r.cloud_offline.1 + r.user_offline.1) / n;
        let online = cloud + user + gc;
        println!(
            "{:<9} {:>6} | {:>11.4} {:>11.4} {:>11.4} | {:>12.4} {:>12.4} | {:>12.4} | {:>10.0} | {}",
            format!("{mode:?}"),
            batch,
            cloud,
            user,
            gc,
            online,
            offline,
            online + offline,
            (r.cloud.bytes_sent + r.cloud.bytes_received) as f64 / n,
            if r.matching() == batch { "yes" } else { "NO" }
        );
    }
    println!(
        "HE = Paillier work on line (cloud: mask, pack, re-randomise, unmask; user: decrypt, \
         encrypt −ru); GC wall = whole garbled-circuit run incl. base OT and OT extension; \
         off-line = r^N precomputation of both parties (parallel over the cores)."
    );
}
