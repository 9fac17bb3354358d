//! A complete bridge run between two threads over loopback TCP, with timings: the engine
//! of `gcc-nn bridge-demo` and of the bridge benchmark.
//!
//! Off-line work (the `r^N` pools of both parties) is timed separately from the on-line run.
//! The cloud's `Enc(x_i)` are made by encrypting random pre-activations under the user's
//! key (setup, not timed as protocol work).

use super::{BridgeCircuit, CloudOutput, Mode, groups, packed_layouts, run_cloud, run_user};
use crate::error::{BridgeError, he};
use crate::timeline::Timeline;
use paillier::{BigInt, RandomnessPool, SecretKey};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use runtime::channel::TcpChannel;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of activations.
    pub batch: usize,
    /// Packed or unpacked.
    pub mode: Mode,
    /// Seed for the pre-activations and masks (`None`: OS-seeded; a seed is insecure).
    pub seed: Option<u64>,
    /// Fractional bits of the pre-activations: half of them are drawn with |x| < 3.0 (where
    /// tanh* is not flat), half over the circuit's whole input range.
    pub frac_bits: u32,
}

/// Everything measured in one demo run.
#[derive(Debug)]
pub struct DemoReport {
    /// The pre-activations (raw, signed, at the circuit's input scale).
    pub inputs: Vec<i128>,
    /// What the cloud ends with, decrypted by the user.
    pub outputs: Vec<i128>,
    /// The plaintext fixed-point reference.
    pub reference: Vec<i128>,
    /// The cloud's on-line report.
    pub cloud: Timeline,
    /// The user's on-line report.
    pub user: Timeline,
    /// Off-line: the cloud's `r^N` precomputation (values, time).
    pub cloud_offline: (usize, Duration),
    /// Off-line: the user's `r^N` precomputation through the CRT (values, time).
    pub user_offline: (usize, Duration),
    /// Wall time of the whole on-line run.
    pub online_wall: Duration,
    /// AND gates per activation.
    pub ands_per_activation: usize,
}

impl DemoReport {
    /// Number of outputs equal to the reference.
    pub fn matching(&self) -> usize {
        self.outputs
            .iter()
            .zip(&self.reference)
            .filter(|(a, b)| a == b)
            .count()
    }
}

fn rng_for(seed: Option<u64>, stream: u64) -> ChaCha20Rng {
    match seed {
        Some(s) => ChaCha20Rng::seed_from_u64(s.wrapping_mul(0x9e37_79b9).wrapping_add(stream)),
        None => ChaCha20Rng::from_rng(&mut rand::rng()),
    }
}

/// Runs the bridge on `opts.batch` random pre-activations under `sk`.
pub fn run_demo(
    sk: Arc<SecretKey>,
    circuit: Arc<BridgeCircuit>,
    opts: &DemoOptions,
) -> Result<DemoReport, BridgeError> {
    let pk = sk.public_key().clone();
    let p = circuit.params();
    let n = opts.batch;
    let mut rng = rng_for(opts.seed, 1);
    let half = 1i128 << (p.x_bits - 1);
    let near = (3i128 << opts.frac_bits.min(100)).min(half);
    let inputs: Vec<i128> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                rng.random_range(-near..near)
            } else {
                rng.random_range(-half..half)
            }
        })
        .collect();

    // Setup: the cloud's Enc(x_i) (in a real run these come out of the linear layer).
    let mut setup_pool = RandomnessPool::new();
    setup_pool.fill_crt(&sk, n);
    let encrypted: Vec<_> = inputs
        .iter()
        .map(|&x| {
            let rn = setup_pool.take().ok_or(BridgeError::Protocol {
                phase: "setup",
                what: "randomness pool ran dry".into(),
            })?;
            pk.encrypt_signed_with(&BigInt::from(x), &rn)
                .map_err(he("encrypting pre-activations"))
        })
        .collect::<Result<_, _>>()?;

    // Off-line: randomness for the on-line run.
    let (layout_in, layout_out) = packed_layouts(&pk, p).map_err(he("slot layout"))?;
    let (cloud_need, user_need) = match opts.mode {
        Mode::Unpacked => (n, n),
        Mode::Packed => (groups(n, layout_in.slots()), groups(n, layout_out.slots())),
        Mode::Chained => {
            let k = circuit.chained().map(|c| c.slots()).unwrap_or(1);
            (groups(n, k), groups(n, k))
        }
    };
    let started = Instant::now();
    let mut cloud_pool = RandomnessPool::new();
    cloud_pool.fill(&pk, cloud_need);
    let cloud_offline = (cloud_need, started.elapsed());
    let started = Instant::now();
    let mut user_pool = RandomnessPool::new();
    user_pool.fill_crt(&sk, user_need);
    let user_offline = (user_need, started.elapsed());

    // On-line: two threads over loopback TCP.
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("binding loopback"))?;
    let addr = listener.local_addr().map_err(io("binding loopback"))?;
    let timeout = Duration::from_secs(600);
    let user_sk = Arc::clone(&sk);
    let user_circuit = Arc::clone(&circuit);
    let mut user_rng = rng_for(opts.seed, 2);
    let started = Instant::now();
    let user = std::thread::spawn(move || -> Result<Timeline, BridgeError> {
        let mut ch = TcpChannel::connect(addr, timeout).map_err(io("connecting"))?;
        run_user(
            &mut ch,
            &user_sk,
            &user_circuit,
            &mut user_pool,
            &mut user_rng,
        )
    });
    let mut ch = TcpChannel::accept(&listener, timeout).map_err(io("accepting"))?;
    let mut cloud_rng = rng_for(opts.seed, 3);
    let cloud_result = run_cloud(
        &mut ch,
        &pk,
        &circuit,
        &encrypted,
        opts.mode,
        &mut cloud_pool,
        &mut cloud_rng,
    );
    let user_report = user.join().map_err(|_| BridgeError::Protocol {
        phase: "user thread",
        what: "panicked".into(),
    })??;
    let (held, cloud_report) = cloud_result?;
    let online_wall = started.elapsed();

    let outputs = decrypt_outputs(&sk, &held)?;
    let reference = inputs
        .iter()
        .map(|&x| circuit.reference(x))
        .collect::<Result<_, _>>()?;
    Ok(DemoReport {
        inputs,
        outputs,
        reference,
        cloud: cloud_report,
        user: user_report,
        cloud_offline,
        user_offline,
        online_wall,
        ands_per_activation: circuit.and_count(),
    })
}

fn decrypt_outputs(sk: &SecretKey, held: &CloudOutput) -> Result<Vec<i128>, BridgeError> {
    held.decrypt(sk)
}

fn io(phase: &'static str) -> impl Fn(std::io::Error) -> BridgeError {
    move |e| BridgeError::Protocol {
        phase,
        what: e.to_string(),
    }
}
