//! Helpers shared by the runtime integration tests.
#![allow(dead_code)]

use gcc_nn_runtime::channel::{DEFAULT_TIMEOUT, TcpChannel};
use gcc_nn_runtime::driver::{
    Reveal, RunOutput, TwoPartyCircuit, run_evaluator_with_scheme, run_garbler_with_scheme,
};
use gcc_nn_runtime::scheme::Scheme;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::net::TcpListener;

/// Runs garbler and evaluator in two threads over loopback TCP; returns (garbler, evaluator).
pub(crate) fn run_tcp(
    tpc: &TwoPartyCircuit,
    garbler_inputs: Vec<Vec<bool>>,
    evaluator_inputs: Vec<Vec<bool>>,
    reveal: Reveal,
) -> (RunOutput, RunOutput) {
    run_tcp_scheme(
        tpc,
        garbler_inputs,
        evaluator_inputs,
        reveal,
        Scheme::HalfGates,
    )
}

/// [`run_tcp`] with both parties garbling with `scheme`.
pub(crate) fn run_tcp_scheme(
    tpc: &TwoPartyCircuit,
    garbler_inputs: Vec<Vec<bool>>,
    evaluator_inputs: Vec<Vec<bool>>,
    reveal: Reveal,
    scheme: Scheme,
) -> (RunOutput, RunOutput) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let tpc_e = tpc.clone();
    let evaluator = std::thread::spawn(move || {
        let mut ch = TcpChannel::connect(addr, DEFAULT_TIMEOUT).expect("connect");
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        run_evaluator_with_scheme(&mut ch, &tpc_e, &evaluator_inputs, reveal, scheme, &mut rng)
            .expect("evaluator run")
    });
    let mut ch = TcpChannel::accept(&listener, DEFAULT_TIMEOUT).expect("accept");
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let g = run_garbler_with_scheme(&mut ch, tpc, &garbler_inputs, reveal, scheme, &mut rng)
        .expect("garbler run");
    let e = evaluator.join().expect("evaluator thread");
    (g, e)
}

/// Hex string → bytes.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Bristol Fashion order: the bytes as one big-endian integer, wire j = bit j of it.
pub(crate) fn fashion_bits(bytes: &[u8]) -> Vec<bool> {
    let n = bytes.len();
    (0..8 * n)
        .map(|j| (bytes[n - 1 - j / 8] >> (j % 8)) & 1 == 1)
        .collect()
}

/// Old Bristol format order: string order, MSB first within each byte.
pub(crate) fn old_bits(bytes: &[u8]) -> Vec<bool> {
    (0..8 * bytes.len())
        .map(|j| (bytes[j / 8] >> (7 - j % 8)) & 1 == 1)
        .collect()
}
