//! Throughput measurements shared by `gcc-nn bench` and the criterion benches.
//!
//! Timings on a shared machine are noisy: run on a quiet one for published figures.

use crate::block::{Block, Delta};
use crate::garble::{Evaluator, Garbler, SliceSource, TableSink};
use crate::plan::Plan;
use circuit::{Circuit, Gate, IoValue, ValueFormat};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::time::{Duration, Instant};

/// A reproducible random circuit: `n_in` inputs, `n_and` AND gates and as many XOR gates,
/// operands drawn from the most recent `window` wires (some instruction-level parallelism,
/// like real arithmetic circuits), 128 outputs.
pub fn random_circuit(seed: u64, n_in: u32, n_and: u32, window: u32) -> Circuit {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut gates = Vec::with_capacity(2 * n_and as usize);
    let mut w = n_in;
    for i in 0..2 * n_and {
        let lo = w.saturating_sub(window);
        let a = rng.random_range(lo..w);
        let b = rng.random_range(lo..w);
        gates.push(if i % 2 == 0 {
            Gate::And { a, b, out: w }
        } else {
            Gate::Xor { a, b, out: w }
        });
        w += 1;
    }
    let bit = |n: String| IoValue {
        name: n,
        party: None,
        format: ValueFormat::Bool,
    };
    let n_out = 128.min(w);
    Circuit {
        inputs: (0..n_in).map(|i| bit(format!("x{i}"))).collect(),
        outputs: (0..n_out).map(|i| bit(format!("y{i}"))).collect(),
        num_wires: w,
        gates,
        output_wires: (w - n_out..w).collect(),
    }
}

/// A sink that counts tables and drops them (garbling "into memory" without growth).
#[derive(Default)]
pub struct CountingSink {
    /// Blocks received.
    pub blocks: u64,
    /// The first block of the last batch received (the batch itself goes through
    /// `black_box`, so the work that produced it cannot be optimised away).
    pub digest: Block,
}

impl TableSink for CountingSink {
    type Error = std::convert::Infallible;
    fn put_tables(&mut self, tables: &[Block]) -> Result<(), Self::Error> {
        // The tables are already in the garbler's memory; reading them all back (an XOR
        // digest, as before) cost the in-memory figure 5-6 % (A/B on the random 1M-AND
        // circuit), a consumer's work, not garbling.
        let tables = std::hint::black_box(tables);
        self.blocks += tables.len() as u64;
        self.digest = tables.first().copied().unwrap_or(self.digest);
        Ok(())
    }
}

/// Result of a throughput run.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    /// Operations done (AND gates or OTs).
    pub ops: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// CPU time of the busiest thread involved (Linux `schedstat`), if available: on a
    /// shared machine `ops / cpu` estimates the rate with one dedicated core per thread.
    pub cpu: Option<Duration>,
}

impl Throughput {
    /// Millions of operations per wall-clock second.
    pub fn mops(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    /// Millions of operations per CPU second of the busiest thread (if measured).
    pub fn mops_cpu(&self) -> Option<f64> {
        self.cpu
            .map(|c| self.ops as f64 / c.as_secs_f64().max(1e-9) / 1e6)
    }
}

/// CPU time consumed so far by the calling thread (Linux `/proc/thread-self/schedstat`,
/// read by [`platform::cpu::thread_cpu`]).
pub use platform::cpu::thread_cpu as thread_cpu_time;

fn cpu_since(start: Option<Duration>) -> Option<Duration> {
    Some(thread_cpu_time()?.saturating_sub(start?))
}

/// The CPU's model name and its AES-related vector features, from `/proc/cpuinfo` (Linux),
/// e.g. `AMD EPYC (AES-NI, VAES, AVX2)`; `None` where it cannot be read.
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let field = |key: &str| {
        info.lines()
            .find(|l| l.split(':').next().is_some_and(|k| k.trim() == key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let name = field("model name")?;
    let flags = field("flags").unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let features: Vec<&str> = [
        ("aes", "AES-NI"),
        ("vaes", "VAES"),
        ("avx2", "AVX2"),
        ("avx512f", "AVX-512"),
    ]
    .into_iter()
    .filter(|(f, _)| has(f))
    .map(|(_, n)| n)
    .collect();
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    Some(format!("{name}, {cores} cores ({})", features.join(", ")))
}

/// AES calls per AND gate of half-gates garbling (the garbler's four hashes).
pub const HALF_GATES_AES_PER_AND: f64 = 4.0;

/// Blocks per call of the AES yardstick ([`aes_rate`]).
pub const AES_BLOCKS_PER_CALL: usize = 8;

/// The machine's AES-128 rate on one core through the `aes` crate (one fixed key,
/// [`AES_BLOCKS_PER_CALL`] blocks per call, about `blocks` blocks in all): the yardstick
/// that garbling speed is quoted against ([`Limit`]).
pub fn aes_rate(blocks: u64) -> Throughput {
    use aes::Aes128Enc;
    use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
    let cipher = Aes128Enc::new(&Array::from([0x2b; 16]));
    let mut buf = [aes::Block::default(); AES_BLOCKS_PER_CALL];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = Array::from((i as u128).to_le_bytes());
    }
    let calls = blocks.div_ceil(AES_BLOCKS_PER_CALL as u64);
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..calls {
        cipher.encrypt_blocks(&mut buf);
    }
    std::hint::black_box(&buf);
    Throughput {
        ops: calls * AES_BLOCKS_PER_CALL as u64,
        elapsed: t.elapsed(),
        cpu: cpu_since(c),
    }
}

/// The garbling limit implied by an AES rate: a scheme that needs `aes_per_and` AES calls
/// per AND gate cannot garble faster than `AES blocks/s ÷ aes_per_and` on one core.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Millions of AES-128 blocks per second on one core ([`aes_rate`]).
    pub aes_mblocks: f64,
}

impl Limit {
    /// The limit in millions of AND gates per second for `aes_per_and` AES calls per AND.
    pub fn mands(&self, aes_per_and: f64) -> f64 {
        self.aes_mblocks / aes_per_and
    }

    /// `mands` (millions of AND gates per second) as a fraction of the limit of a scheme
    /// with `aes_per_and` AES calls per AND ([`HALF_GATES_AES_PER_AND`] for half-gates).
    pub fn fraction(&self, mands: f64, aes_per_and: f64) -> f64 {
        mands / self.mands(aes_per_and).max(f64::MIN_POSITIVE)
    }
}

/// Garbles `reps` instances of `circuit` on one core into a counting sink.
pub fn garble_in_memory(
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    let plan = Plan::new(circuit)?;
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let mut g = Garbler::new(Delta::random(&mut rng), Block::random(&mut rng));
    let inputs: Vec<Block> = (0..plan.input_slots.len())
        .map(|_| Block::random(&mut rng))
        .collect();
    let mut sink = CountingSink::default();
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        let Ok(out) = g.garble(&plan, &inputs, &mut sink);
        std::hint::black_box(out);
    }
    std::hint::black_box(sink.digest);
    Ok(Throughput {
        ops: (plan.and_count * reps) as u64,
        elapsed: t.elapsed(),
        cpu: cpu_since(c),
    })
}

/// Evaluates `reps` instances of `circuit` on one core from tables garbled beforehand.
pub fn evaluate_in_memory(
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    let plan = Plan::new(circuit)?;
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let start = Block::random(&mut rng);
    let mut g = Garbler::new(Delta::random(&mut rng), start);
    let inputs: Vec<Block> = (0..plan.input_slots.len())
        .map(|_| Block::random(&mut rng))
        .collect();
    let mut tables = Vec::with_capacity(2 * plan.and_count * reps);
    for _ in 0..reps {
        let Ok(_) = g.garble(&plan, &inputs, &mut tables);
    }
    let mut e = Evaluator::new(start);
    let mut source = SliceSource::new(&tables);
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        let out = e.evaluate(&plan, &inputs, &mut source);
        std::hint::black_box(out.ok());
    }
    Ok(Throughput {
        ops: (plan.and_count * reps) as u64,
        elapsed: t.elapsed(),
        cpu: cpu_since(c),
    })
}

/// [`garble_in_memory`] under `scheme` (three-halves: its engine into a counting sink).
pub fn garble_in_memory_with(
    scheme: crate::scheme::Scheme,
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    use crate::three_halves::{Garbler, MaterialSink};
    /// Counts material bytes and drops them.
    struct Count(u64, u8);
    impl MaterialSink for Count {
        type Error = std::convert::Infallible;
        fn put_material(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
            self.0 += bytes.len() as u64;
            self.1 ^= bytes.iter().fold(0, |a, &b| a ^ b);
            Ok(())
        }
    }
    if scheme == crate::scheme::Scheme::HalfGates {
        return garble_in_memory(circuit, reps);
    }
    let plan = Plan::new(circuit)?;
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let mut g = Garbler::new(Delta::random(&mut rng), Block::random(&mut rng), &mut rng);
    let inputs: Vec<Block> = (0..plan.input_slots.len())
        .map(|_| Block::random(&mut rng))
        .collect();
    let mut sink = Count(0, 0);
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        let Ok(out) = g.garble(&plan, &inputs, &mut sink);
        std::hint::black_box(out);
    }
    std::hint::black_box((sink.0, sink.1));
    Ok(Throughput {
        ops: (plan.and_count * reps) as u64,
        elapsed: t.elapsed(),
        cpu: cpu_since(c),
    })
}

/// [`evaluate_in_memory`] under `scheme` (three-halves: from material garbled beforehand).
pub fn evaluate_in_memory_with(
    scheme: crate::scheme::Scheme,
    circuit: &Circuit,
    reps: usize,
) -> Result<Throughput, circuit::CircuitError> {
    use crate::three_halves::{ByteSource, Evaluator as Evaluator3, Garbler as Garbler3};
    if scheme == crate::scheme::Scheme::HalfGates {
        return evaluate_in_memory(circuit, reps);
    }
    let plan = Plan::new(circuit)?;
    let mut rng = ChaCha12Rng::seed_from_u64(2);
    let start = Block::random(&mut rng);
    let mut g = Garbler3::new(Delta::random(&mut rng), start, &mut rng);
    let inputs: Vec<Block> = (0..plan.input_slots.len())
        .map(|_| Block::random(&mut rng))
        .collect();
    let mut bytes = Vec::with_capacity(scheme.material_bytes(plan.and_count) * reps);
    for _ in 0..reps {
        let Ok(_) = g.garble(&plan, &inputs, &mut bytes);
    }
    let mut e = Evaluator3::new(start);
    let mut source = ByteSource::new(&bytes);
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        let out = e.evaluate(&plan, &inputs, &mut source);
        std::hint::black_box(out.ok());
    }
    Ok(Throughput {
        ops: (plan.and_count * reps) as u64,
        elapsed: t.elapsed(),
        cpu: cpu_since(c),
    })
}

/// An error of a benchmark run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The circuit is malformed.
    #[error("{0}")]
    Circuit(#[from] circuit::CircuitError),
    /// The two-party run failed.
    #[error("{0}")]
    Driver(#[from] crate::driver::DriverError),
    /// Loopback networking failed.
    #[error("loopback: {0}")]
    Io(#[from] std::io::Error),
    /// A benchmark thread panicked.
    #[error("benchmark thread failed")]
    Thread,
}

/// Garbler and evaluator as two threads over loopback TCP, `reps` instances as one batch;
/// every input of even index goes to the garbler, the rest to the evaluator. Counts the
/// whole run (handshake, OT, streaming). Half-gates; [`loopback_tcp_scheme`] picks the scheme.
pub fn loopback_tcp(circuit: &Circuit, reps: usize) -> Result<Throughput, BenchError> {
    loopback_tcp_scheme(circuit, reps, crate::scheme::Scheme::HalfGates)
}

/// [`loopback_tcp`] with both parties garbling with `scheme`.
pub fn loopback_tcp_scheme(
    circuit: &Circuit,
    reps: usize,
    scheme: crate::scheme::Scheme,
) -> Result<Throughput, BenchError> {
    use crate::channel::{DEFAULT_TIMEOUT, TcpChannel};
    use crate::driver::{
        Reveal, TwoPartyCircuit, run_evaluator_with_scheme as run_evaluator,
        run_garbler_with_scheme as run_garbler,
    };
    use circuit::Party;
    let parties = (0..circuit.inputs.len())
        .map(|i| {
            if i % 2 == 0 {
                Party::Garbler
            } else {
                Party::Evaluator
            }
        })
        .collect();
    let tpc = TwoPartyCircuit::with_parties(circuit.clone(), parties)?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    // Both threads borrow the one circuit (a scoped thread): a clone of it would be freed
    // by the evaluator's thread inside the timed run (≈ 7 ms of unmapping for 1M ANDs).
    let tpc = &tpc;
    let t = Instant::now();
    let cpu = std::thread::scope(|scope| -> Result<Option<Duration>, BenchError> {
        let eval = scope.spawn(move || -> Result<Option<Duration>, BenchError> {
            let c = thread_cpu_time();
            let mut ch = TcpChannel::connect(addr, DEFAULT_TIMEOUT)?;
            let mut rng = ChaCha12Rng::seed_from_u64(2);
            let inputs = vec![vec![false; tpc.evaluator_input_bits()]; reps];
            run_evaluator(&mut ch, tpc, &inputs, Reveal::Evaluator, scheme, &mut rng)?;
            Ok(cpu_since(c))
        });
        let c = thread_cpu_time();
        let mut ch = TcpChannel::accept(&listener, DEFAULT_TIMEOUT)?;
        let mut rng = ChaCha12Rng::seed_from_u64(1);
        let inputs = vec![vec![true; tpc.garbler_input_bits()]; reps];
        run_garbler(&mut ch, tpc, &inputs, Reveal::Evaluator, scheme, &mut rng)?;
        let garbler_cpu = cpu_since(c);
        let evaluator_cpu = eval.join().map_err(|_| BenchError::Thread)??;
        Ok(garbler_cpu.zip(evaluator_cpu).map(|(a, b)| a.max(b)))
    })?;
    Ok(Throughput {
        ops: (tpc.and_count() * reps) as u64,
        elapsed: t.elapsed(),
        cpu,
    })
}

/// `n` IKNP correlated OTs between two threads over loopback TCP (extension only; the
/// 128 base OTs are done before the clock starts).
pub fn iknp_cot(n: usize) -> Result<Throughput, BenchError> {
    let runs = iknp_cot_runs(n, 1)?;
    runs.into_iter().next().ok_or(BenchError::Thread)
}

/// `reps` runs of `n` IKNP correlated OTs on one connection after one base-OT setup, as
/// EMP's `test_cot` does: per run, fresh output buffers on both sides, a one-byte exchange
/// each way so both clocks start together, then the extension; the receiver's random
/// choice bits are drawn before the clock starts.
pub fn iknp_cot_runs(n: usize, reps: usize) -> Result<Vec<Throughput>, BenchError> {
    use crate::channel::{Channel, DEFAULT_TIMEOUT, TcpChannel};
    use crate::driver::DriverError;
    use crate::ot::iknp::{CotReceiver, CotSender};
    type Run = (Duration, Option<Duration>);
    fn sync(ch: &mut TcpChannel, first: bool) -> Result<(), BenchError> {
        let mut b = [0u8];
        let io = |e| BenchError::from(DriverError::from(crate::ot::chan("bench sync")(e)));
        if first {
            ch.send(&b).map_err(io)?;
            ch.flush().map_err(io)?;
            ch.recv_exact(&mut b).map_err(io)
        } else {
            ch.recv_exact(&mut b).map_err(io)?;
            ch.send(&b).map_err(io)?;
            ch.flush().map_err(io)
        }
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let recv = std::thread::spawn(move || -> Result<Vec<Run>, BenchError> {
        let mut ch = TcpChannel::connect(addr, DEFAULT_TIMEOUT)?;
        let mut rng = ChaCha12Rng::seed_from_u64(2);
        let mut r = CotReceiver::setup(&mut ch, &mut rng).map_err(DriverError::from)?;
        let mut runs = Vec::with_capacity(reps);
        for _ in 0..reps {
            let choices: Vec<bool> = (0..n).map(|_| rng.random()).collect();
            sync(&mut ch, true)?;
            let (t, c) = (Instant::now(), thread_cpu_time());
            let labels = r.extend(&mut ch, &choices).map_err(DriverError::from)?;
            runs.push((t.elapsed(), cpu_since(c)));
            std::hint::black_box(labels);
        }
        Ok(runs)
    });
    let mut ch = TcpChannel::accept(&listener, DEFAULT_TIMEOUT)?;
    let mut rng = ChaCha12Rng::seed_from_u64(1);
    let mut s =
        CotSender::setup(&mut ch, Delta::random(&mut rng), &mut rng).map_err(DriverError::from)?;
    let mut sent = Vec::with_capacity(reps);
    for _ in 0..reps {
        sync(&mut ch, false)?;
        let (t, c) = (Instant::now(), thread_cpu_time());
        let q = s.extend(&mut ch, n).map_err(DriverError::from)?;
        sent.push((t.elapsed(), cpu_since(c)));
        std::hint::black_box(q);
    }
    let got = recv.join().map_err(|_| BenchError::Thread)??;
    Ok(sent
        .into_iter()
        .zip(got)
        .map(|((st, sc), (rt, rc))| Throughput {
            ops: n as u64,
            elapsed: st.max(rt),
            cpu: sc.zip(rc).map(|(a, b)| a.max(b)),
        })
        .collect())
}
