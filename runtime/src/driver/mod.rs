//! The two-party driver: runs a circuit once or N times as a batch between a garbler and
//! an evaluator over any [`Channel`].
//!
//! One run = handshake (circuit hash, batch size, who learns the outputs) → the hash start
//! point (garbler → evaluator) and the input-label seed (evaluator → garbler) → base OTs →
//! one IKNP extension for every evaluator input bit of the batch → one stream carrying the
//! garbled tables of every instance → output decoding. The garbler's input labels are not
//! sent: both sides derive them from the evaluator's seed ([`input_labels`]).

//!
//! Files: `error.rs` ([`DriverError`]), `two_party.rs` ([`TwoPartyCircuit`] and its hash),
//! `handshake.rs`, `input_labels.rs` ([`InputPads`]), and here the two roles ([`run_garbler`], [`run_evaluator`]).

mod error;
mod handshake;
pub mod input_labels;
mod two_party;

pub use error::DriverError;
pub use handshake::HANDSHAKE_BYTES;
pub use input_labels::{INPUT_SEED_MESSAGE_BYTES, InputPads, garbler_zero_label};
pub use two_party::{TwoPartyCircuit, circuit_hash};

use crate::block::{Block, Delta};
use crate::channel::{Channel, ChannelError, recv_blocks, send_blocks};
use crate::garble::{TableSink, TableSource};
use crate::ot::iknp::{CotReceiver, CotSender};
use crate::scheme::{Scheme, SchemeEvaluator, SchemeGarbler};
use crate::three_halves::{MaterialSink, MaterialSource};
use circuit::Party;
use error::chan;
use handshake::handshake;
use rand::CryptoRng;
use std::time::{Duration, Instant};

/// Largest batch a run accepts, ours or announced by the peer's handshake. (With wire
/// indices below 2^32, instances × input bits then cannot overflow.)
pub const MAX_INSTANCES: u64 = 1 << 32;

/// Which party learns the circuit's outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reveal {
    /// Only the evaluator learns the outputs.
    Evaluator,
    /// Only the garbler learns the outputs.
    Garbler,
    /// Both learn them.
    Both,
}

impl std::fmt::Display for Reveal {
    /// The setting as the command line names it (`--reveal evaluator|garbler|both`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reveal::Evaluator => "evaluator",
            Reveal::Garbler => "garbler",
            Reveal::Both => "both",
        })
    }
}

impl Reveal {
    /// The setting of a handshake code, if it is one.
    pub fn from_code(code: u8) -> Option<Reveal> {
        [Reveal::Evaluator, Reveal::Garbler, Reveal::Both]
            .into_iter()
            .find(|r| r.code() == code)
    }

    fn code(self) -> u8 {
        match self {
            Reveal::Evaluator => 1,
            Reveal::Garbler => 2,
            Reveal::Both => 3,
        }
    }
    fn to_evaluator(self) -> bool {
        matches!(self, Reveal::Evaluator | Reveal::Both)
    }
    fn to_garbler(self) -> bool {
        matches!(self, Reveal::Garbler | Reveal::Both)
    }
}

/// Traffic and timing of one run.
#[derive(Clone, Debug, Default)]
pub struct RunStats {
    /// AND gates garbled or evaluated (all instances).
    pub ands: u64,
    /// Correlated OTs run.
    pub ots: u64,
    /// Bytes sent by this party.
    pub bytes_sent: u64,
    /// Bytes received by this party.
    pub bytes_received: u64,
    /// Wall time per phase, in order.
    pub phases: Vec<(&'static str, Duration)>,
}

/// What a party gets from a run.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// Output bits per instance (LSB-first per value, values in circuit order), if this
    /// party learns them.
    pub outputs: Option<Vec<Vec<bool>>>,
    /// Traffic and timing.
    pub stats: RunStats,
}

struct Phases {
    last: Instant,
    list: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new() -> Phases {
        Phases {
            last: Instant::now(),
            list: Vec::new(),
        }
    }
    fn done(&mut self, name: &'static str) {
        let now = Instant::now();
        self.list.push((name, now - self.last));
        self.last = now;
    }
}

struct ChannelSink<'a, C: ?Sized>(&'a mut C);

impl<C: Channel + ?Sized> TableSink for ChannelSink<'_, C> {
    type Error = ChannelError;
    fn put_tables(&mut self, tables: &[Block]) -> Result<(), ChannelError> {
        send_blocks(self.0, tables)
    }
}

impl<C: Channel + ?Sized> MaterialSink for ChannelSink<'_, C> {
    type Error = ChannelError;
    fn put_material(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.0.send(bytes)
    }
}

struct ChannelSource<'a, C: ?Sized>(&'a mut C);

impl<C: Channel + ?Sized> TableSource for ChannelSource<'_, C> {
    type Error = ChannelError;
    fn get_tables(&mut self, out: &mut [Block]) -> Result<(), ChannelError> {
        recv_blocks(self.0, out)
    }
}

impl<C: Channel + ?Sized> MaterialSource for ChannelSource<'_, C> {
    type Error = ChannelError;
    fn get_material(&mut self, out: &mut [u8]) -> Result<(), ChannelError> {
        self.0.recv_exact(out)
    }
}

fn pack_bits(bits: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, &b) in bits.iter().enumerate() {
        out[i / 8] |= (b as u8) << (i % 8);
    }
    out
}

fn unpack_bits(bytes: &[u8], n: usize) -> Vec<bool> {
    (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
}

fn split_instances(bits: &[bool], n: usize) -> Vec<Vec<bool>> {
    let per = bits.len() / n.max(1);
    (0..n)
        .map(|k| bits[k * per..(k + 1) * per].to_vec())
        .collect()
}

/// The start both sides share: checks `party`'s input bits, runs the handshake and starts the
/// phase clock (its first phase is the handshake).
fn open_run<C: Channel + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    scheme: Scheme,
    party: Party,
) -> Result<Phases, DriverError> {
    let (expected, name) = match party {
        Party::Garbler => (tpc.garbler_input_bits(), "garbler"),
        Party::Evaluator => (tpc.evaluator_input_bits(), "evaluator"),
    };
    check_inputs(inputs, expected, name)?;
    let mut phases = Phases::new();
    handshake(ch, tpc, inputs.len() as u64, reveal, scheme, party)?;
    phases.done("handshake");
    Ok(phases)
}

fn check_inputs(
    inputs: &[Vec<bool>],
    expected: usize,
    party: &'static str,
) -> Result<(), DriverError> {
    if inputs.is_empty() {
        return Err(DriverError::NoInstances);
    }
    if inputs.len() as u64 > MAX_INSTANCES {
        return Err(DriverError::TooManyInstances {
            who: "our",
            got: inputs.len() as u64,
        });
    }
    for (instance, bits) in inputs.iter().enumerate() {
        if bits.len() != expected {
            return Err(DriverError::InputWidth {
                instance,
                party,
                expected,
                got: bits.len(),
            });
        }
    }
    Ok(())
}

/// Runs the garbler's side with half-gates ([`run_garbler_with_scheme`] picks the scheme).
pub fn run_garbler<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    rng: &mut R,
) -> Result<RunOutput, DriverError> {
    run_garbler_with_scheme(ch, tpc, inputs, reveal, Scheme::HalfGates, rng)
}

/// Runs the evaluator's side with half-gates ([`run_evaluator_with_scheme`] picks the scheme).
pub fn run_evaluator<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    rng: &mut R,
) -> Result<RunOutput, DriverError> {
    run_evaluator_with_scheme(ch, tpc, inputs, reveal, Scheme::HalfGates, rng)
}

/// Runs the garbler's side: `inputs[k]` holds the garbler's input bits of instance `k`
/// (its input values in circuit order, each LSB-first). The batch size is `inputs.len()`;
/// both sides must name the same `scheme` (the handshake refuses a mismatch).
pub fn run_garbler_with_scheme<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    scheme: Scheme,
    rng: &mut R,
) -> Result<RunOutput, DriverError> {
    let n = inputs.len();
    let mut phases = open_run(ch, tpc, inputs, reveal, scheme, Party::Garbler)?;

    let delta = Delta::random(rng);
    let start = Block::random(rng);
    send_blocks(ch, &[start]).map_err(chan("setup (sending the hash start point)"))?;
    let mut pads = InputPads::new(input_labels::recv_seed(ch)?);
    let mut ot = CotSender::setup(ch, delta.clone(), rng)?;
    phases.done("base OT");
    let m = n * tpc.evaluator_input_bits();
    let eval_zero = ot.extend(ch, m)?;
    phases.done("OT extension");

    let mut garbler = SchemeGarbler::new(scheme, delta.clone(), start, rng);
    let n_in = tpc.plan.input_slots.len();
    let mut zero = vec![Block::ZERO; n_in];
    let mut pad = vec![Block::ZERO; tpc.garbler_input_bits()];
    let mut decoding = Vec::with_capacity(n * tpc.output_bits());
    let e = chan("garbling");
    for (k, bits) in inputs.iter().enumerate() {
        // Every input wire is the evaluator's (its zero-label from the OT) or the garbler's
        // (from its pad and bit).
        let eval_labels =
            &eval_zero[k * tpc.evaluator_input_bits()..(k + 1) * tpc.evaluator_input_bits()];
        for (&w, &l) in tpc.evaluator_wires.iter().zip(eval_labels) {
            zero[w] = l;
        }
        pads.next_instance(&mut pad);
        for ((&w, &b), &pad) in tpc.garbler_wires.iter().zip(bits).zip(&pad) {
            zero[w] = garbler_zero_label(pad, b, &delta);
        }
        let out_zero = garbler
            .garble(&tpc.plan, &zero, &mut ChannelSink(&mut *ch))
            .map_err(&e)?;
        decoding.extend(out_zero.iter().map(|l| l.lsb()));
    }
    ch.flush().map_err(&e)?;
    phases.done("garbling (streamed)");
    finish_run(ch, tpc, Party::Garbler, reveal, &decoding, (n, m), phases)
}

/// Runs the evaluator's side: `inputs[k]` holds the evaluator's input bits of instance `k`
/// (its input values in circuit order, each LSB-first). The batch size is `inputs.len()`;
/// both sides must name the same `scheme` (the handshake refuses a mismatch).
pub fn run_evaluator_with_scheme<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    scheme: Scheme,
    rng: &mut R,
) -> Result<RunOutput, DriverError> {
    let n = inputs.len();
    let mut phases = open_run(ch, tpc, inputs, reveal, scheme, Party::Evaluator)?;

    let mut pads = InputPads::new(input_labels::send_seed(ch, rng)?);
    let mut start = [Block::ZERO];
    recv_blocks(ch, &mut start).map_err(chan("setup (receiving the hash start point)"))?;
    let mut ot = CotReceiver::setup(ch, rng)?;
    phases.done("base OT");
    let choices: Vec<bool> = inputs.iter().flatten().copied().collect();
    let eval_labels = ot.extend(ch, &choices)?;
    phases.done("OT extension");

    let mut evaluator = SchemeEvaluator::new(scheme, start[0]);
    let mut labels = vec![Block::ZERO; tpc.plan.input_slots.len()];
    let mut pad = vec![Block::ZERO; tpc.garbler_input_bits()];
    let mut lsbs = Vec::with_capacity(n * tpc.output_bits());
    let e_tables = chan("evaluation (receiving garbled tables)");
    let per = tpc.evaluator_input_bits();
    for k in 0..n {
        // The garbler's wires: their labels are the pads (the labels of its bits).
        pads.next_instance(&mut pad);
        for (&w, &l) in tpc.garbler_wires.iter().zip(&pad) {
            labels[w] = l;
        }
        for (&w, &l) in tpc
            .evaluator_wires
            .iter()
            .zip(&eval_labels[k * per..(k + 1) * per])
        {
            labels[w] = l;
        }
        let out = evaluator
            .evaluate(&tpc.plan, &labels, &mut ChannelSource(&mut *ch))
            .map_err(&e_tables)?;
        lsbs.extend(out.iter().map(|l| l.lsb()));
    }
    phases.done("evaluation (streamed)");
    let ots = choices.len();
    finish_run(ch, tpc, Party::Evaluator, reveal, &lsbs, (n, ots), phases)
}

/// The end both roles share: the output exchange, then the run's statistics. Each party
/// holds one bit per output wire of the batch (the garbler the decoding bits, the evaluator
/// the colour bits of its active output labels); a party that learns the outputs receives
/// the other's bits and XORs them with its own. The evaluator learns first, then the
/// garbler. `(n, ots)`: instances of the batch and correlated OTs run.
fn finish_run<C: Channel + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    role: Party,
    reveal: Reveal,
    own: &[bool],
    (n, ots): (usize, usize),
    mut phases: Phases,
) -> Result<RunOutput, DriverError> {
    let mut outputs = None;
    let steps = [
        (
            Party::Evaluator,
            reveal.to_evaluator(),
            "output (receiving the decoding bits)",
        ),
        (
            Party::Garbler,
            reveal.to_garbler(),
            "output (receiving the evaluator's output bits)",
        ),
    ];
    for (learner, revealed, receiving) in steps {
        if !revealed {
            continue;
        }
        if learner == role {
            let mut buf = vec![0u8; own.len().div_ceil(8)];
            ch.recv_exact(&mut buf).map_err(chan(receiving))?;
            let theirs = unpack_bits(&buf, own.len());
            let bits: Vec<bool> = own.iter().zip(&theirs).map(|(&a, &b)| a ^ b).collect();
            outputs = Some(split_instances(&bits, n));
        } else {
            let e = chan("output");
            ch.send(&pack_bits(own)).map_err(&e)?;
            ch.flush().map_err(&e)?;
        }
    }
    phases.done("output");
    Ok(RunOutput {
        outputs,
        stats: RunStats {
            ands: (n * tpc.and_count()) as u64,
            ots: ots as u64,
            bytes_sent: ch.bytes_sent(),
            bytes_received: ch.bytes_received(),
            phases: phases.list,
        },
    })
}
