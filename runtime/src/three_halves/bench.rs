//! Throughput of the three-halves engines on one core, in memory (the counterparts of
//! [`crate::bench::garble_in_memory`] and [`crate::bench::evaluate_in_memory`]).

use super::{ByteSource, Evaluator, Garbler, MaterialSink};
use crate::bench::{Throughput, thread_cpu_time};
use crate::block::{Block, Delta};
use crate::plan::Plan;
use circuit::Circuit;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::time::Instant;

/// A sink that counts material bytes and drops them.
#[derive(Default)]
struct CountingSink {
    bytes: u64,
    digest: u8,
}

impl MaterialSink for CountingSink {
    type Error = std::convert::Infallible;
    fn put_material(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.bytes += bytes.len() as u64;
        self.digest ^= bytes.iter().fold(0, |a, &b| a ^ b);
        Ok(())
    }
}

fn setup(
    circuit: &Circuit,
    seed: u64,
) -> Result<(Plan, ChaCha12Rng, Vec<Block>), circuit::CircuitError> {
    let plan = Plan::new(circuit)?;
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let inputs = (0..plan.input_slots.len())
        .map(|_| Block::random(&mut rng))
        .collect();
    Ok((plan, rng, inputs))
}

fn elapsed(t: Instant, c: Option<std::time::Duration>, ops: usize) -> Throughput {
    Throughput {
        ops: ops as u64,
        elapsed: t.elapsed(),
        cpu: thread_cpu_time()
            .zip(c)
            .map(|(now, c)| now.saturating_sub(c)),
    }
}

/// Garbles `reps` instances of `circuit` on one core into a counting sink.
pub fn garble_in_memory(
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    let (plan, mut rng, inputs) = setup(circuit, 1)?;
    let mut g = Garbler::new(Delta::random(&mut rng), Block::random(&mut rng), &mut rng);
    let mut sink = CountingSink::default();
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        let Ok(out) = g.garble(&plan, &inputs, &mut sink);
        std::hint::black_box(out);
    }
    std::hint::black_box((sink.bytes, sink.digest));
    Ok(elapsed(t, c, plan.and_count * reps))
}

/// Evaluates `reps` instances of `circuit` on one core from material garbled beforehand.
pub fn evaluate_in_memory(
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    let (plan, mut rng, inputs) = setup(circuit, 2)?;
    let start = Block::random(&mut rng);
    let mut g = Garbler::new(Delta::random(&mut rng), start, &mut rng);
    let mut bytes = Vec::with_capacity(super::tables::material_bytes(plan.and_count) * reps);
    for _ in 0..reps {
        let Ok(_) = g.garble(&plan, &inputs, &mut bytes);
    }
    let mut e = Evaluator::new(start);
    let mut source = ByteSource::new(&bytes);
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        let out = e.evaluate(&plan, &inputs, &mut source);
        std::hint::black_box(out.ok());
    }
    Ok(elapsed(t, c, plan.and_count * reps))
}

/// [`garble_in_memory`] of either scheme (half-gates: [`crate::bench::garble_in_memory`]).
pub fn garble_in_memory_with(
    scheme: crate::scheme::Scheme,
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    match scheme {
        crate::scheme::Scheme::HalfGates => crate::bench::garble_in_memory(circuit, reps),
        crate::scheme::Scheme::ThreeHalves => garble_in_memory(circuit, reps),
    }
}

/// [`evaluate_in_memory`] of either scheme (half-gates: [`crate::bench::evaluate_in_memory`]).
pub fn evaluate_in_memory_with(
    scheme: crate::scheme::Scheme,
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    match scheme {
        crate::scheme::Scheme::HalfGates => crate::bench::evaluate_in_memory(circuit, reps),
        crate::scheme::Scheme::ThreeHalves => evaluate_in_memory(circuit, reps),
    }
}
