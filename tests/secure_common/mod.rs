//! Shared fixtures of the secure-protocol tests: a tiny model, small keys, a served model.
#![allow(dead_code)]

use model::activation::TANH_FIT;
use model::fixed::{FIXED, FixedMlp};
use model::mlp::{Dense, Mlp};
use paillier::SecretKey;
use protocol::session::serve::{CloudState, ServeOptions, serve};
use protocol::upload::EncryptedModel;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A 3x3 → 4 → 1x1 model with weights spread so that some pre-activations saturate the
/// activation and others stay in its curved pieces.
pub(crate) fn tiny_mlp() -> Mlp {
    let w1: Vec<f32> = (0..36)
        .map(|k| ((k * 37 % 23) as f32 - 11.0) / 9.0)
        .collect();
    let b1 = vec![0.3, -0.7, 0.05, 1.2];
    let w2 = vec![0.8, -1.1, 0.45, -0.3];
    let b2 = vec![-0.1];
    Mlp::new(
        3,
        1,
        1,
        25.0,
        vec![
            Dense {
                inputs: 9,
                outputs: 4,
                weights: w1,
                bias: b1,
            },
            Dense {
                inputs: 4,
                outputs: 1,
                weights: w2,
                bias: b2,
            },
        ],
    )
    .expect("tiny model")
}

/// The fixed-point reference of the tiny model.
pub(crate) fn tiny_fixed() -> FixedMlp {
    FixedMlp::from_model(&tiny_mlp(), FIXED, TANH_FIT).expect("fixed model")
}

/// A small test key (insecure size, fast).
pub(crate) fn small_key(bits: u32) -> SecretKey {
    SecretKey::generate_any_size(bits, &mut rand::rng()).expect("key")
}

/// Quantised patches covering the input range: extremes, zero and a spread in between.
pub(crate) fn test_patches(n: usize) -> Vec<Vec<i64>> {
    let max = (FIXED.input_clamp * f64::from(1u32 << FIXED.fa)) as i64;
    (0..n)
        .map(|k| {
            (0..9)
                .map(|j| match (k + j) % 5 {
                    0 => max,
                    1 => -max,
                    2 => 0,
                    _ => ((k as i64 * 7919 + j as i64 * 104_729) % (2 * max)) - max,
                })
                .collect()
        })
        .collect()
}

/// Log lines of a server.
pub(crate) type Lines = Arc<Mutex<Vec<String>>>;

/// Serves `enc` on a free loopback port in a background thread; returns the address and
/// the server's log lines.
pub(crate) fn spawn_server(enc: EncryptedModel, opts: ServeOptions) -> (String, Lines) {
    let state = CloudState::new(enc).expect("servable model");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let lines: Lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        let log = Arc::new(move |l: String| sink.lock().expect("log").push(l));
        serve(&listener, Arc::new(state), &opts, log).expect("serve");
    });
    (addr, lines)
}
