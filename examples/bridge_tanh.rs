//! A masked activation through the Paillier bridge, both parties in this process.
//!
//! The cloud holds Paillier encryptions `Enc(x_i)` of pre-activations under the user's key
//! (in the real protocol they come out of a linear layer computed on encrypted data); it
//! masks them and sends them to the user, who decrypts the masked values and garbles
//! the masked wrapper of tanh* (`circuits/wrappers/masked.dsl` linked to `circuits/tanh.dsl`
//! by the activation crate: y = tanh*(x) + ru, the masks removed inside the circuit); the
//! cloud evaluates it and ends with `Enc(tanh*(x_i))` without ever seeing x_i or tanh*(x_i).
//! The two roles run in two threads over the runtime's in-memory channel. At the end the
//! user's key decrypts the cloud's result (only for this demonstration) and every value is
//! compared with the plaintext fixed-point reference (the DSL interpreter).
//!
//! The key is a real 2048-bit Paillier key, generated afresh (a few seconds).
//!
//! ```sh
//! cargo run --release --example bridge_tanh
//! ```

use paillier::{BigInt, RandomnessPool, SecretKey};
use protocol::bridge::{BridgeCircuit, DEFAULT_SIGMA, Mode, run_cloud, run_user};
use rand::RngExt;
use runtime::channel::MemChannel;
use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An error of this example (any library error, or a mismatch).
type Failure = Box<dyn Error + Send + Sync>;

/// What one run did.
#[derive(Debug)]
pub(crate) struct Summary {
    /// Paillier modulus bits.
    pub(crate) key_bits: u32,
    /// Time to generate the key.
    pub(crate) keygen: Duration,
    /// Activations computed.
    pub(crate) batch: usize,
    /// AND gates per activation.
    pub(crate) ands: usize,
    /// Wall time of the on-line run (both parties).
    pub(crate) online: Duration,
    /// Bytes the cloud sent and received.
    pub(crate) cloud_bytes: (u64, u64),
    /// (x, tanh*(x)) for a few activations with |x| < 3, as real numbers.
    pub(crate) samples: Vec<(f64, f64)>,
}

/// Runs `batch` random pre-activations through the bridge with a fresh `key_bits`-bit key
/// (2048 or 3072) and checks every result against the reference. Fails on any difference.
pub(crate) fn run(activation: &str, key_bits: u32, batch: usize) -> Result<Summary, Failure> {
    let mut rng = rand::rng();
    let started = Instant::now();
    let sk = Arc::new(SecretKey::generate(key_bits, &mut rng)?);
    let keygen = started.elapsed();
    let pk = sk.public_key().clone();

    // The masked wrapper of the activation, generated and compiled (σ = 40).
    let act = activation::Activation::shipped(activation)?;
    let params = activation::MaskedParams {
        sigma: DEFAULT_SIGMA,
        ..activation::MaskedParams::default()
    };
    let circuit = Arc::new(BridgeCircuit::from_activation(&act, params)?);
    let p = circuit.params();

    // Pre-activations: raw signed fixed-point values of LX bits (half of them in
    // |x| < 3, where tanh* is not flat), and the cloud's encryptions of them.
    let frac = 24; // the masked wrapper: pre-activations at scale FW + FA = 24
    let near = (3i128 << frac).min(1i128 << (p.x_bits - 1));
    let half = 1i128 << (p.x_bits - 1);
    let xs: Vec<i128> = (0..batch)
        .map(|i| {
            let bound = if i % 2 == 0 { near } else { half };
            rng.random_range(-bound..bound)
        })
        .collect();
    let mut setup = RandomnessPool::new();
    setup.fill_crt(&sk, batch);
    let encrypted = xs
        .iter()
        .map(|&x| {
            let r = setup.take().ok_or("randomness pool ran dry")?;
            Ok(pk.encrypt_signed_with(&BigInt::from(x), &r)?)
        })
        .collect::<Result<Vec<_>, Failure>>()?;

    // The on-line run: the user (key owner, garbler) in a thread, the cloud here.
    let (mut cloud_ch, mut user_ch) = MemChannel::pair(Duration::from_secs(120));
    let (user_sk, user_circuit) = (Arc::clone(&sk), Arc::clone(&circuit));
    let started = Instant::now();
    let user = std::thread::spawn(move || {
        let mut pool = RandomnessPool::new(); // filled on demand (computed on line)
        run_user(
            &mut user_ch,
            &user_sk,
            &user_circuit,
            &mut pool,
            &mut rand::rng(),
        )
    });
    let mut pool = RandomnessPool::new();
    let (cloud_out, cloud_report) = run_cloud(
        &mut cloud_ch,
        &pk,
        &circuit,
        &encrypted,
        Mode::Packed,
        &mut pool,
        &mut rand::rng(),
    )?;
    user.join().map_err(|_| "the user thread panicked")??;
    let online = started.elapsed();

    // Only for this demonstration: the user's key opens what the cloud holds.
    let ys = cloud_out.decrypt(&sk)?;
    let mut samples = Vec::new();
    for (i, (&x, &y)) in xs.iter().zip(&ys).enumerate() {
        let want = circuit.reference(x)?;
        if y != want {
            return Err(
                format!("activation {i}: bridge gives {y}, reference {want} (x = {x})").into(),
            );
        }
        if i % 2 == 0 && samples.len() < 6 {
            samples.push((x as f64 / f64::from(1u32 << frac), y as f64 / 4096.0));
        }
    }
    Ok(Summary {
        key_bits,
        keygen,
        batch,
        ands: circuit.and_count(),
        online,
        cloud_bytes: (cloud_report.bytes_sent, cloud_report.bytes_received),
        samples,
    })
}

fn main() -> Result<(), Failure> {
    let s = run("tanh", 2048, 64)?;
    println!(
        "{}-bit Paillier key generated in {:.1} s",
        s.key_bits,
        s.keygen.as_secs_f64()
    );
    println!(
        "{} masked tanh* activations ({} ANDs each) through the bridge in {:.2} s; the cloud sent {:.1} KB and received {:.1} KB",
        s.batch,
        s.ands,
        s.online.as_secs_f64(),
        s.cloud_bytes.0 as f64 / 1024.0,
        s.cloud_bytes.1 as f64 / 1024.0
    );
    for (x, y) in &s.samples {
        println!("  tanh*({x:>9.4}) = {y:>7.4}   (tanh = {:>7.4})", x.tanh());
    }
    println!("every decrypted result equals the plaintext fixed-point reference");
    Ok(())
}
