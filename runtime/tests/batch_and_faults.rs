//! Batches equal plaintext simulation; reveal modes; faults end in clear errors, in bounded time.

use crate::common;

use circuit::{Circuit, Party};
use common::run_tcp;
use gcc_nn_runtime::bench::random_circuit;
use gcc_nn_runtime::channel::{Channel, ChannelError, MemChannel};
use gcc_nn_runtime::driver::{DriverError, Reveal, TwoPartyCircuit, run_evaluator, run_garbler};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::time::{Duration, Instant};

/// A random circuit with 2 garbler and 2 evaluator input values of 8 bits.
fn two_party_random(seed: u64) -> TwoPartyCircuit {
    let mut c = random_circuit(seed, 32, 3000, 64);
    // Regroup the 32 one-bit inputs into four 8-bit values.
    c.inputs = (0..4)
        .map(|i| circuit::IoValue {
            name: format!("v{i}"),
            party: None,
            format: circuit::ValueFormat::Unsigned { width: 8, frac: 0 },
        })
        .collect();
    TwoPartyCircuit::with_parties(
        c,
        vec![
            Party::Garbler,
            Party::Evaluator,
            Party::Garbler,
            Party::Evaluator,
        ],
    )
    .expect("valid")
}

fn random_bits(rng: &mut ChaCha12Rng, n: usize) -> Vec<bool> {
    (0..n).map(|_| rng.random()).collect()
}

/// Interleaves the two parties' bits into wire order for the plaintext simulation.
fn wire_bits(g: &[bool], e: &[bool]) -> Vec<bool> {
    [&g[0..8], &e[0..8], &g[8..16], &e[8..16]].concat()
}

#[test]
fn batch_of_thousands_equals_simulation_for_every_reveal_mode() {
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    for (seed, reveal, n) in [
        (1, Reveal::Evaluator, 3000),
        (2, Reveal::Garbler, 500),
        (3, Reveal::Both, 500),
    ] {
        let tpc = two_party_random(seed);
        let g: Vec<Vec<bool>> = (0..n).map(|_| random_bits(&mut rng, 16)).collect();
        let e: Vec<Vec<bool>> = (0..n).map(|_| random_bits(&mut rng, 16)).collect();
        let (go, eo) = run_tcp(&tpc, g.clone(), e.clone(), reveal);
        let expected: Vec<Vec<bool>> = g
            .iter()
            .zip(&e)
            .map(|(g, e)| tpc.circuit().simulate(&wire_bits(g, e)))
            .collect();
        assert_eq!(eo.outputs.is_some(), reveal != Reveal::Garbler);
        assert_eq!(go.outputs.is_some(), reveal != Reveal::Evaluator);
        for got in [go.outputs, eo.outputs].into_iter().flatten() {
            assert_eq!(got, expected, "seed {seed}");
        }
        // Traffic: 32 bytes per AND dominates; each side counts what the other received.
        assert_eq!(go.stats.bytes_sent, eo.stats.bytes_received);
        assert!(go.stats.bytes_sent >= 32 * go.stats.ands);
        assert_eq!(eo.stats.ots, (16 * n) as u64);
    }
}

fn run_pair_mem(
    g_tpc: TwoPartyCircuit,
    e_tpc: TwoPartyCircuit,
    n_g: usize,
    n_e: usize,
) -> (Result<(), DriverError>, Result<(), DriverError>) {
    let (mut a, mut b) = MemChannel::pair(Duration::from_secs(10));
    let t = std::thread::spawn(move || {
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        let inputs = vec![vec![false; e_tpc.evaluator_input_bits()]; n_e];
        run_evaluator(&mut b, &e_tpc, &inputs, Reveal::Evaluator, &mut rng).map(|_| ())
    });
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let inputs = vec![vec![false; g_tpc.garbler_input_bits()]; n_g];
    let g = run_garbler(&mut a, &g_tpc, &inputs, Reveal::Evaluator, &mut rng).map(|_| ());
    drop(a);
    (g, t.join().expect("evaluator thread"))
}

#[test]
fn wrong_circuit_on_one_side_is_a_clear_error_on_both() {
    let (g, e) = run_pair_mem(two_party_random(1), two_party_random(2), 1, 1);
    assert!(
        matches!(g, Err(DriverError::CircuitMismatch { .. })),
        "garbler: {g:?}"
    );
    assert!(
        matches!(e, Err(DriverError::CircuitMismatch { .. })),
        "evaluator: {e:?}"
    );
    assert!(
        e.err()
            .map(|e| e.to_string())
            .is_some_and(|m| m.contains("circuit mismatch"))
    );
}

#[test]
fn batch_size_mismatch_is_detected() {
    let (g, e) = run_pair_mem(two_party_random(1), two_party_random(1), 2, 3);
    assert!(
        matches!(g, Err(DriverError::InstanceMismatch { ours: 2, theirs: 3 })),
        "{g:?}"
    );
    assert!(
        matches!(e, Err(DriverError::InstanceMismatch { ours: 3, theirs: 2 })),
        "{e:?}"
    );
}

#[test]
fn garbage_peer_is_rejected() {
    let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
    a.send(b"HTTP/1.1 200 OK\r\n\r\n...................................................")
        .expect("send");
    a.flush().expect("flush");
    let tpc = two_party_random(1);
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let r = run_evaluator(
        &mut b,
        &tpc,
        &[vec![false; 16]],
        Reveal::Evaluator,
        &mut rng,
    );
    assert!(matches!(r, Err(DriverError::NotAPeer { .. })), "{r:?}");
}

/// A channel that forwards to `inner` but "dies" after `budget` bytes have been sent.
struct Dying<C> {
    inner: C,
    budget: u64,
}

impl<C: Channel> Channel for Dying<C> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        if self.inner.bytes_sent() + bytes.len() as u64 > self.budget {
            return Err(ChannelError::Closed { needed: 0 });
        }
        self.inner.send(bytes)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.recv_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn bytes_sent(&self) -> u64 {
        self.inner.bytes_sent()
    }
    fn bytes_received(&self) -> u64 {
        self.inner.bytes_received()
    }
}

#[test]
fn garbler_dying_mid_stream_ends_evaluator_with_error_quickly() {
    let tpc = two_party_random(4);
    let (a, mut b) = MemChannel::pair(Duration::from_secs(10));
    let tpc_g = tpc.clone();
    let garbler = std::thread::spawn(move || {
        // Dies after the setup and part of the table stream.
        let mut ch = Dying {
            inner: a,
            budget: 200_000,
        };
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        let inputs = vec![vec![false; 16]; 100];
        run_garbler(&mut ch, &tpc_g, &inputs, Reveal::Evaluator, &mut rng).map(|_| ())
        // `ch` dropped here: the evaluator's reads fail instead of waiting for the timeout.
    });
    let t0 = Instant::now();
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let r = run_evaluator(
        &mut b,
        &tpc,
        &vec![vec![false; 16]; 100],
        Reveal::Evaluator,
        &mut rng,
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "bounded time");
    let g = garbler.join().expect("garbler thread");
    assert!(
        matches!(
            g,
            Err(DriverError::Channel {
                phase: "garbling",
                ..
            })
        ),
        "garbler: {g:?}"
    );
    match r {
        Err(DriverError::Channel {
            phase,
            source: ChannelError::Closed { .. },
        }) => assert!(phase.starts_with("evaluation ("), "{phase}"),
        other => panic!("evaluator should see a closed channel, got {other:?}"),
    }
}

#[test]
fn silent_peer_times_out() {
    let (_a, mut b) = MemChannel::pair(Duration::from_millis(200));
    let tpc = two_party_random(1);
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let t0 = Instant::now();
    let r = run_evaluator(
        &mut b,
        &tpc,
        &[vec![false; 16]],
        Reveal::Evaluator,
        &mut rng,
    );
    assert!(
        matches!(
            r,
            Err(DriverError::Channel {
                phase: "handshake",
                source: ChannelError::Timeout(_)
            })
        ),
        "{r:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(3));
}

#[test]
fn wrong_input_width_and_missing_party_are_errors() {
    let tpc = two_party_random(1);
    let (mut a, _b) = MemChannel::pair(Duration::from_millis(100));
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let r = run_garbler(
        &mut a,
        &tpc,
        &[vec![false; 15]],
        Reveal::Evaluator,
        &mut rng,
    );
    assert!(
        matches!(
            r,
            Err(DriverError::InputWidth {
                expected: 16,
                got: 15,
                ..
            })
        ),
        "{r:?}"
    );
    let c: Circuit = random_circuit(1, 4, 10, 4);
    assert!(matches!(
        TwoPartyCircuit::new(c),
        Err(DriverError::UnassignedInput { .. })
    ));
}
