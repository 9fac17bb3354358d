//! The two-party driver: runs a circuit once or N times as a batch between a garbler and
//! an evaluator over any [`Channel`].
//!
//! One run = handshake (circuit hash, batch size, who learns the outputs) → base OTs →
//! one IKNP extension for every evaluator input bit of the batch → one stream carrying,
//! per instance, the garbler's input labels and the garbled tables → output decoding.

use crate::block::{Block, Delta};
use crate::channel::{Channel, ChannelError, recv_blocks, send_blocks};
use crate::garble::{Evaluator, Garbler, TableSink, TableSource};
use crate::ot::OtError;
use crate::ot::iknp::{CotReceiver, CotSender};
use crate::plan::Plan;
use crate::prg::Prg;
use circuit::{Circuit, CircuitError, Party};
use rand::CryptoRng;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

const MAGIC: &[u8; 8] = b"GCCNN-GC";
const VERSION: u32 = 1;
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

/// A failure of a two-party run, naming the phase or the mismatch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The link failed during `phase`.
    #[error("{phase}: {source}")]
    Channel {
        /// Phase of the run.
        phase: &'static str,
        /// Underlying channel error.
        source: ChannelError,
    },
    /// Oblivious transfer failed.
    #[error("oblivious transfer: {0}")]
    Ot(#[from] OtError),
    /// The circuit is malformed.
    #[error("invalid circuit: {0}")]
    Circuit(#[from] CircuitError),
    /// The peer is not a gcc-nn garbled-circuit peer (bad magic bytes).
    #[error("handshake: peer is not a gcc-nn garbled-circuit peer (got {got:02x?})")]
    NotAPeer {
        /// The bytes received instead of the magic.
        got: [u8; 8],
    },
    /// The peer speaks another protocol version.
    #[error("handshake: protocol version mismatch (ours {ours}, peer {theirs})")]
    Version {
        /// Our version.
        ours: u32,
        /// The peer's version.
        theirs: u32,
    },
    /// The peer has the same role (two garblers or two evaluators).
    #[error("handshake: both sides are {0}s")]
    SameRole(&'static str),
    /// The two sides hold different circuits (or party assignments).
    #[error(
        "handshake: circuit mismatch (ours {ours}, peer {theirs}): both sides must run the same circuit"
    )]
    CircuitMismatch {
        /// Our circuit hash (hex prefix).
        ours: String,
        /// The peer's circuit hash (hex prefix).
        theirs: String,
    },
    /// The two sides asked for different batch sizes.
    #[error("handshake: batch size mismatch (ours {ours}, peer {theirs})")]
    InstanceMismatch {
        /// Our batch size.
        ours: u64,
        /// The peer's batch size.
        theirs: u64,
    },
    /// The two sides disagree on who learns the outputs.
    #[error(
        "handshake: the two sides disagree on who learns the outputs (this side: --reveal \
         {ours}, the peer: {})",
        Reveal::from_code(*theirs).map_or_else(|| format!("unknown setting {theirs}"), |r| format!("--reveal {r}"))
    )]
    RevealMismatch {
        /// Our setting.
        ours: Reveal,
        /// The peer's code ([`Reveal::from_code`]).
        theirs: u8,
    },
    /// An input value has no owner.
    #[error("input value '{name}' is not assigned to a party")]
    UnassignedInput {
        /// Name of the input value.
        name: String,
    },
    /// The party map has the wrong length.
    #[error("party map lists {got} inputs, circuit has {expected}")]
    PartyMapLength {
        /// Input values of the circuit.
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// An instance's input has the wrong number of bits.
    #[error("instance {instance}: {party} input has {got} bits, expected {expected}")]
    InputWidth {
        /// Instance index.
        instance: usize,
        /// Whose input.
        party: &'static str,
        /// Bits expected.
        expected: usize,
        /// Bits given.
        got: usize,
    },
    /// A batch must hold at least one instance.
    #[error("a run needs at least one instance")]
    NoInstances,
    /// A batch (ours or the one the peer announces) is larger than [`MAX_INSTANCES`].
    #[error("{who} batch of {got} instances exceeds the limit of {MAX_INSTANCES}")]
    TooManyInstances {
        /// `"our"` or `"the peer's"`.
        who: &'static str,
        /// Instances asked for.
        got: u64,
    },
}

fn chan(phase: &'static str) -> impl Fn(ChannelError) -> DriverError {
    move |source| DriverError::Channel { phase, source }
}

/// A circuit whose every input value is owned by a party, with its plan and hash.
#[derive(Clone, Debug)]
pub struct TwoPartyCircuit {
    circuit: Circuit,
    parties: Vec<Party>,
    plan: Plan,
    hash: [u8; 32],
    garbler_wires: Vec<usize>,
    evaluator_wires: Vec<usize>,
}

impl TwoPartyCircuit {
    /// Uses the parties recorded in the circuit's inputs (error if one is missing).
    pub fn new(circuit: Circuit) -> Result<TwoPartyCircuit, DriverError> {
        let parties = circuit
            .inputs
            .iter()
            .map(|v| {
                v.party.ok_or_else(|| DriverError::UnassignedInput {
                    name: v.name.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        TwoPartyCircuit::with_parties(circuit, parties)
    }

    /// Assigns input value `i` to `parties[i]` (for Bristol files, whose inputs carry no party).
    pub fn with_parties(
        mut circuit: Circuit,
        parties: Vec<Party>,
    ) -> Result<TwoPartyCircuit, DriverError> {
        if parties.len() != circuit.inputs.len() {
            return Err(DriverError::PartyMapLength {
                expected: circuit.inputs.len(),
                got: parties.len(),
            });
        }
        for (v, &p) in circuit.inputs.iter_mut().zip(&parties) {
            v.party = Some(p);
        }
        let plan = Plan::new(&circuit)?;
        let (mut garbler_wires, mut evaluator_wires) = (Vec::new(), Vec::new());
        for (i, &p) in parties.iter().enumerate() {
            let range = circuit.input_range(i);
            let wires = range.map(|w| w as usize);
            match p {
                Party::Garbler => garbler_wires.extend(wires),
                Party::Evaluator => evaluator_wires.extend(wires),
            }
        }
        let hash = circuit_hash(&circuit);
        Ok(TwoPartyCircuit {
            circuit,
            parties,
            plan,
            hash,
            garbler_wires,
            evaluator_wires,
        })
    }

    /// The circuit.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// Owner of each input value.
    pub fn parties(&self) -> &[Party] {
        &self.parties
    }

    /// SHA-256 of the circuit and its party map (compared at the handshake).
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// AND gates per instance.
    pub fn and_count(&self) -> usize {
        self.plan.and_count
    }

    /// Input bits the garbler supplies per instance (its values in input order, LSB-first).
    pub fn garbler_input_bits(&self) -> usize {
        self.garbler_wires.len()
    }

    /// Input bits the evaluator supplies per instance (one correlated OT each).
    pub fn evaluator_input_bits(&self) -> usize {
        self.evaluator_wires.len()
    }

    /// Output bits per instance.
    pub fn output_bits(&self) -> usize {
        self.circuit.output_wires.len()
    }
}

/// SHA-256 over a canonical encoding of the circuit, including input owners.
pub fn circuit_hash(c: &Circuit) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"gcc-nn circuit v1");
    h.update(c.num_wires.to_le_bytes());
    let fmt = |h: &mut Sha256, v: &circuit::IoValue| {
        h.update((v.name.len() as u64).to_le_bytes());
        h.update(v.name.as_bytes());
        h.update([match v.party {
            None => 0u8,
            Some(Party::Garbler) => 1,
            Some(Party::Evaluator) => 2,
        }]);
        let (tag, w, f) = match v.format {
            circuit::ValueFormat::Bool => (0u8, 1, 0),
            circuit::ValueFormat::Signed { width, frac } => (1, width, frac),
            circuit::ValueFormat::Unsigned { width, frac } => (2, width, frac),
        };
        h.update([tag]);
        h.update(w.to_le_bytes());
        h.update(f.to_le_bytes());
    };
    h.update((c.inputs.len() as u64).to_le_bytes());
    for v in &c.inputs {
        fmt(&mut h, v);
    }
    h.update((c.outputs.len() as u64).to_le_bytes());
    for v in &c.outputs {
        fmt(&mut h, v);
    }
    h.update((c.gates.len() as u64).to_le_bytes());
    for g in &c.gates {
        let (t, a, b, o) = match *g {
            circuit::Gate::Xor { a, b, out } => (0u8, a, b, out),
            circuit::Gate::And { a, b, out } => (1, a, b, out),
            circuit::Gate::Inv { a, out } => (2, a, a, out),
        };
        h.update([t]);
        h.update(a.to_le_bytes());
        h.update(b.to_le_bytes());
        h.update(o.to_le_bytes());
    }
    for w in &c.output_wires {
        h.update(w.to_le_bytes());
    }
    h.finalize().into()
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

fn handshake<C: Channel + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    instances: u64,
    reveal: Reveal,
    role: Party,
) -> Result<(), DriverError> {
    let e = chan("handshake");
    let role_code = |p: Party| match p {
        Party::Garbler => 1u8,
        Party::Evaluator => 2u8,
    };
    let mut msg = Vec::with_capacity(54);
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&VERSION.to_le_bytes());
    msg.push(role_code(role));
    msg.push(reveal.code());
    msg.extend_from_slice(&instances.to_le_bytes());
    msg.extend_from_slice(&tpc.hash);
    ch.send(&msg).map_err(&e)?;
    ch.flush().map_err(&e)?;
    let mut peer = [0u8; 54];
    ch.recv_exact(&mut peer[..8]).map_err(&e)?;
    if &peer[..8] != MAGIC {
        let mut got = [0u8; 8];
        got.copy_from_slice(&peer[..8]);
        return Err(DriverError::NotAPeer { got });
    }
    ch.recv_exact(&mut peer[8..]).map_err(&e)?;
    let theirs = u32::from_le_bytes([peer[8], peer[9], peer[10], peer[11]]);
    if theirs != VERSION {
        return Err(DriverError::Version {
            ours: VERSION,
            theirs,
        });
    }
    if peer[12] == role_code(role) {
        return Err(DriverError::SameRole(match role {
            Party::Garbler => "garbler",
            Party::Evaluator => "evaluator",
        }));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&peer[14..22]);
    let their_instances = u64::from_le_bytes(n);
    if their_instances > MAX_INSTANCES {
        return Err(DriverError::TooManyInstances {
            who: "the peer's",
            got: their_instances,
        });
    }
    if peer[22..54] != tpc.hash {
        let hex = |b: &[u8]| {
            b[..8]
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect::<String>()
        };
        return Err(DriverError::CircuitMismatch {
            ours: hex(&tpc.hash),
            theirs: hex(&peer[22..54]),
        });
    }
    if their_instances != instances {
        return Err(DriverError::InstanceMismatch {
            ours: instances,
            theirs: their_instances,
        });
    }
    if peer[13] != reveal.code() {
        return Err(DriverError::RevealMismatch {
            ours: reveal,
            theirs: peer[13],
        });
    }
    Ok(())
}

struct ChannelSink<'a, C: ?Sized>(&'a mut C);

impl<C: Channel + ?Sized> TableSink for ChannelSink<'_, C> {
    type Error = ChannelError;
    fn put_tables(&mut self, tables: &[Block]) -> Result<(), ChannelError> {
        send_blocks(self.0, tables)
    }
}

struct ChannelSource<'a, C: ?Sized>(&'a mut C);

impl<C: Channel + ?Sized> TableSource for ChannelSource<'_, C> {
    type Error = ChannelError;
    fn get_tables(&mut self, out: &mut [Block]) -> Result<(), ChannelError> {
        recv_blocks(self.0, out)
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

/// Runs the garbler's side: `inputs[k]` holds the garbler's input bits of instance `k`
/// (its input values in circuit order, each LSB-first). The batch size is `inputs.len()`.
pub fn run_garbler<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    rng: &mut R,
) -> Result<RunOutput, DriverError> {
    check_inputs(inputs, tpc.garbler_input_bits(), "garbler")?;
    let n = inputs.len();
    let mut phases = Phases::new();
    handshake(ch, tpc, n as u64, reveal, Party::Garbler)?;
    phases.done("handshake");

    let delta = Delta::random(rng);
    let start = Block::random(rng);
    send_blocks(ch, &[start]).map_err(chan("setup (sending the hash start point)"))?;
    let mut ot = CotSender::setup(ch, delta.clone(), rng)?;
    phases.done("base OT");
    let m = n * tpc.evaluator_input_bits();
    let eval_zero = ot.extend(ch, m)?;
    phases.done("OT extension");

    let mut label_prg = Prg::from_rng(rng);
    let mut garbler = Garbler::new(delta.clone(), start);
    let n_in = tpc.plan.input_slots.len();
    let mut zero = vec![Block::ZERO; n_in];
    let mut own = Vec::with_capacity(tpc.garbler_input_bits());
    let mut decoding = Vec::with_capacity(n * tpc.output_bits());
    let e = chan("garbling");
    for (k, bits) in inputs.iter().enumerate() {
        label_prg.fill_blocks(&mut zero);
        let eval_labels =
            &eval_zero[k * tpc.evaluator_input_bits()..(k + 1) * tpc.evaluator_input_bits()];
        for (&w, &l) in tpc.evaluator_wires.iter().zip(eval_labels) {
            zero[w] = l;
        }
        own.clear();
        for (&w, &b) in tpc.garbler_wires.iter().zip(bits) {
            own.push(zero[w] ^ (Block::mask(b) & delta.block()));
        }
        send_blocks(ch, &own).map_err(&e)?;
        let out_zero = garbler
            .garble(&tpc.plan, &zero, &mut ChannelSink(&mut *ch))
            .map_err(&e)?;
        decoding.extend(out_zero.iter().map(|l| l.lsb()));
    }
    ch.flush().map_err(&e)?;
    phases.done("garbling (streamed)");

    let e = chan("output");
    let mut outputs = None;
    if reveal.to_evaluator() {
        ch.send(&pack_bits(&decoding)).map_err(&e)?;
        ch.flush().map_err(&e)?;
    }
    if reveal.to_garbler() {
        let mut buf = vec![0u8; decoding.len().div_ceil(8)];
        ch.recv_exact(&mut buf)
            .map_err(chan("output (receiving the evaluator's output bits)"))?;
        let lsbs = unpack_bits(&buf, decoding.len());
        let bits: Vec<bool> = lsbs.iter().zip(&decoding).map(|(&a, &d)| a ^ d).collect();
        outputs = Some(split_instances(&bits, n));
    }
    phases.done("output");
    Ok(RunOutput {
        outputs,
        stats: RunStats {
            ands: (n * tpc.and_count()) as u64,
            ots: m as u64,
            bytes_sent: ch.bytes_sent(),
            bytes_received: ch.bytes_received(),
            phases: phases.list,
        },
    })
}

/// Runs the evaluator's side: `inputs[k]` holds the evaluator's input bits of instance `k`
/// (its input values in circuit order, each LSB-first). The batch size is `inputs.len()`.
pub fn run_evaluator<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    tpc: &TwoPartyCircuit,
    inputs: &[Vec<bool>],
    reveal: Reveal,
    rng: &mut R,
) -> Result<RunOutput, DriverError> {
    check_inputs(inputs, tpc.evaluator_input_bits(), "evaluator")?;
    let n = inputs.len();
    let mut phases = Phases::new();
    handshake(ch, tpc, n as u64, reveal, Party::Evaluator)?;
    phases.done("handshake");

    let mut start = [Block::ZERO];
    recv_blocks(ch, &mut start).map_err(chan("setup (receiving the hash start point)"))?;
    let mut ot = CotReceiver::setup(ch, rng)?;
    phases.done("base OT");
    let choices: Vec<bool> = inputs.iter().flatten().copied().collect();
    let eval_labels = ot.extend(ch, &choices)?;
    phases.done("OT extension");

    let mut evaluator = Evaluator::new(start[0]);
    let mut labels = vec![Block::ZERO; tpc.plan.input_slots.len()];
    let mut own = vec![Block::ZERO; tpc.garbler_input_bits()];
    let mut lsbs = Vec::with_capacity(n * tpc.output_bits());
    let e_labels = chan("evaluation (receiving the garbler's input labels)");
    let e_tables = chan("evaluation (receiving garbled tables)");
    let per = tpc.evaluator_input_bits();
    for k in 0..n {
        recv_blocks(ch, &mut own).map_err(&e_labels)?;
        for (&w, &l) in tpc.garbler_wires.iter().zip(&own) {
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

    let e = chan("output");
    let mut outputs = None;
    if reveal.to_evaluator() {
        let mut buf = vec![0u8; lsbs.len().div_ceil(8)];
        ch.recv_exact(&mut buf)
            .map_err(chan("output (receiving the decoding bits)"))?;
        let decoding = unpack_bits(&buf, lsbs.len());
        let bits: Vec<bool> = lsbs.iter().zip(&decoding).map(|(&a, &d)| a ^ d).collect();
        outputs = Some(split_instances(&bits, n));
    }
    if reveal.to_garbler() {
        ch.send(&pack_bits(&lsbs)).map_err(&e)?;
        ch.flush().map_err(&e)?;
    }
    phases.done("output");
    Ok(RunOutput {
        outputs,
        stats: RunStats {
            ands: (n * tpc.and_count()) as u64,
            ots: choices.len() as u64,
            bytes_sent: ch.bytes_sent(),
            bytes_received: ch.bytes_received(),
            phases: phases.list,
        },
    })
}
