//! One party of a garbled batch of the hand-written masked tanh* circuit (621 ANDs; garbler
//! and evaluator inputs; its source is kept as `activation/tests/data/old`) whose peer is a
//! byte script. The circuit is a binary snapshot (`tests/data/masked_tanh.gcnc`, compiled
//! from `circuits/masked_tanh.dsl` at 7f7c34d, re-sealed in the version-2 envelope), so the runtime's tests need no compiler and recorded transcripts (fuzz seeds)
//! stay valid when the compiler changes. Shared, by `#[path]`, between the runtime's tests
//! and the fuzz targets `runtime_evaluator` / `runtime_garbler`, so that a fuzz input and a
//! regression test run exactly the same code.
//!
//! Input format: byte 0 picks a batch configuration from [`CONFIGS`] (modulo its length),
//! the rest is what the party reads from its peer. Both parties draw their randomness from
//! fixed seeds, so a transcript recorded in an honest run replays to the same outputs.
#![allow(dead_code)]

use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::{Channel, MemChannel};
use runtime::driver::{
    DriverError, Reveal, RunOutput, TwoPartyCircuit, run_evaluator, run_garbler,
};
use runtime::scripted::{RecordingChannel, ScriptedChannel};
use std::sync::OnceLock;
use std::time::Duration;

/// Batch configurations: who learns the outputs and how many instances.
pub(crate) const CONFIGS: [(Reveal, usize); 3] = [
    (Reveal::Evaluator, 1),
    (Reveal::Both, 2),
    (Reveal::Garbler, 3),
];
/// Seed of the garbler's randomness.
const GARBLER_SEED: u64 = 0x6761_7262;
/// Seed of the evaluator's randomness.
const EVALUATOR_SEED: u64 = 0x6576_616c;

/// The masked tanh* circuit, read once from its binary snapshot.
pub(crate) fn circuit() -> &'static TwoPartyCircuit {
    static C: OnceLock<TwoPartyCircuit> = OnceLock::new();
    C.get_or_init(|| {
        let c = circuit::binary::read(include_bytes!("../data/masked_tanh.gcnc"))
            .unwrap_or_else(|e| panic!("the snapshot reads: {e}"));
        TwoPartyCircuit::new(c).unwrap_or_else(|e| panic!("every input has an owner: {e}"))
    })
}

/// Fixed input bits of one party for a batch of `n` (a pattern that differs per instance).
pub(crate) fn inputs(bits: usize, n: usize, salt: usize) -> Vec<Vec<bool>> {
    (0..n)
        .map(|k| (0..bits).map(|i| (i * 7 + k * 3 + salt) % 5 < 2).collect())
        .collect()
}

fn config(data: &[u8]) -> ((Reveal, usize), &[u8]) {
    match data.split_first() {
        Some((&c, rest)) => (CONFIGS[c as usize % CONFIGS.len()], rest),
        None => (CONFIGS[0], data),
    }
}

/// The evaluator of configuration `data[0]` reading `data[1..]` from its peer.
pub(crate) fn evaluator_from_script(data: &[u8]) -> Result<RunOutput, DriverError> {
    let (config, script) = config(data);
    evaluator_on(&mut ScriptedChannel::new(script), config)
}

/// The evaluator of a configuration on any channel.
pub(crate) fn evaluator_on<C: Channel>(
    ch: &mut C,
    (reveal, n): (Reveal, usize),
) -> Result<RunOutput, DriverError> {
    let tpc = circuit();
    let mut rng = ChaCha12Rng::seed_from_u64(EVALUATOR_SEED);
    let inputs = inputs(tpc.evaluator_input_bits(), n, 1);
    run_evaluator(ch, tpc, &inputs, reveal, &mut rng)
}

/// The garbler of configuration `data[0]` reading `data[1..]` from its peer.
pub(crate) fn garbler_from_script(data: &[u8]) -> Result<RunOutput, DriverError> {
    let ((reveal, n), script) = config(data);
    let tpc = circuit();
    let mut ch = ScriptedChannel::new(script);
    let mut rng = ChaCha12Rng::seed_from_u64(GARBLER_SEED);
    let inputs = inputs(tpc.garbler_input_bits(), n, 2);
    run_garbler(&mut ch, tpc, &inputs, reveal, &mut rng)
}

/// An honest run of configuration `index`: what each party received (prefixed by the
/// configuration byte, i.e. a fuzz input) and each party's outputs.
pub(crate) struct Transcript {
    /// Input of [`garbler_from_script`]: config byte + bytes the garbler received.
    pub(crate) garbler_script: Vec<u8>,
    /// Input of [`evaluator_from_script`]: config byte + bytes the evaluator received.
    pub(crate) evaluator_script: Vec<u8>,
    /// The garbler's result.
    pub(crate) garbler: RunOutput,
    /// The evaluator's result.
    pub(crate) evaluator: RunOutput,
}

/// Runs configuration `index` honestly over memory, recording both sides.
pub(crate) fn record(index: usize) -> Transcript {
    let (reveal, n) = CONFIGS[index];
    let tpc = circuit();
    let (g_ch, e_ch) = MemChannel::pair(Duration::from_secs(30));
    let evaluator = std::thread::spawn(move || {
        let mut ch = RecordingChannel::new(e_ch);
        let mut rng = ChaCha12Rng::seed_from_u64(EVALUATOR_SEED);
        let inputs = inputs(tpc.evaluator_input_bits(), n, 1);
        let out = run_evaluator(&mut ch, tpc, &inputs, reveal, &mut rng);
        (out, ch.into_received())
    });
    let mut ch = RecordingChannel::new(g_ch);
    let mut rng = ChaCha12Rng::seed_from_u64(GARBLER_SEED);
    let g_inputs = inputs(tpc.garbler_input_bits(), n, 2);
    let garbler = run_garbler(&mut ch, tpc, &g_inputs, reveal, &mut rng)
        .unwrap_or_else(|e| panic!("honest garbler: {e}"));
    let (evaluator, e_received) = match evaluator.join() {
        Ok((Ok(out), received)) => (out, received),
        Ok((Err(e), _)) => panic!("honest evaluator: {e}"),
        Err(_) => panic!("evaluator thread panicked"),
    };
    let prefixed = |bytes: Vec<u8>| [vec![index as u8], bytes].concat();
    Transcript {
        garbler_script: prefixed(ch.into_received()),
        evaluator_script: prefixed(e_received),
        garbler,
        evaluator,
    }
}
