//! Issue 13 item 2 for the reference protocol (docs/protocol.md §2) and its masked-activation
//! bridge: the user holds the only key and receives every ciphertext; the cloud re-randomises
//! each with a uniform `r^N` from its pool, so the characters the key holder can evaluate
//! (Legendre and cubic residue symbols mod p and mod q, [`keyholder_common`]) must carry
//! nothing.
//!
//! Two checks on the user's recorded view (512-bit key with p ≡ q ≡ 1 mod 3):
//! - the linking attack: the first layer's `Enc(p_j + r2_j)` and `Enc(W_ij + r1_ij)` are the
//!   user's own `Enc(p_j)` and the owner's `Enc(W_ij)` with a plaintext added; without fresh
//!   randomness their characters equal the sources'. The key holder predicts them so; it must
//!   be at chance. The negative control applies the same attack to the same messages built
//!   without the re-randomisation and must predict every one;
//! - every ciphertext the user receives (blinded inputs and weights, the bridge's `Enc(z + r)`,
//!   the outputs `Enc(q)`): each character value occurs as often as chance says.

use crate::fast_common;
use crate::keyholder_common;

use gcc_nn_protocol::fast::EncryptedModel;
use gcc_nn_protocol::reference::{cloud, user};
use gcc_nn_protocol::session::JobStats;
use gcc_nn_protocol::session::activation::ActivationCircuit;
use keyholder_common::{
    Character, ChunkRecorder, chance_band, characters, ciphertext_chunks, cubic_key,
};
use paillier::BigUint;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY_BITS: u32 = 512;
/// 9 → 4 → 1: per patch 9 blinded inputs and 36 blinded weights in layer 1.
const WIDTHS: [usize; 3] = [9, 4, 1];
const PATCHES: usize = 6;

/// How often `predict(x) == log χ(x)` over `pairs`.
fn link_hits(c: &Character, pairs: &[(BigUint, BigUint)]) -> usize {
    pairs
        .iter()
        .filter(|(source, got)| c.log(source).expect("unit") == c.log(got).expect("unit"))
        .count()
}

#[test]
fn reference_keyholder_view_is_at_chance_and_the_control_links_everything() {
    let (sk, p, q) = cubic_key(KEY_BITS, 0x7265_6601);
    let pk = sk.public_key();
    let model = fast_common::random_model(&WIDTHS, 41);
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let enc = EncryptedModel::encrypt_with_rng(
        &model,
        pk,
        &gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]),
        &mut rng,
    )
    .expect("owner upload");
    let circuit = ActivationCircuit::for_activation(&enc.header.activation, &enc.header.fixed)
        .expect("circuit");
    let inputs = fast_common::random_inputs(WIDTHS[0], PATCHES, 43);
    let (a, b) = MemChannel::pair(Duration::from_secs(600));
    let (user_seen, cloud_seen) = (
        Arc::new(Mutex::new(Vec::new())),
        Arc::new(Mutex::new(Vec::new())),
    );
    let mut a = ChunkRecorder::new(a, user_seen.clone());
    let mut b = ChunkRecorder::new(b, cloud_seen.clone());
    let outputs = std::thread::scope(|s| {
        let c = s.spawn(|| {
            let mut stats = JobStats::default();
            cloud::run_chunk(&mut b, pk, &enc, &circuit.bridge, PATCHES, &mut stats)
        });
        let mut stats = JobStats::default();
        let out = user::run_chunk(
            &mut a,
            &sk,
            &enc.header,
            &circuit.bridge,
            &inputs,
            &mut stats,
            &mut |_| {},
        );
        c.join().expect("cloud thread").expect("cloud run");
        out.expect("user run")
    });
    let want: Vec<Vec<i64>> = inputs.iter().map(|x| model.forward(x).0).collect();
    assert_eq!(
        outputs, want,
        "the reference protocol differs from the fixed point"
    );

    let width = pk.ciphertext_bytes();
    // The user's own Enc(p), as the cloud received them (patch-major).
    let own = ciphertext_chunks(&cloud_seen, width, 8);
    assert!(own.len() >= PATCHES * WIDTHS[0]);
    let own = &own[..PATCHES * WIDTHS[0]];
    // Everything the user received; the first PATCHES·(n + n·m) are layer 1's blinded values.
    let received = ciphertext_chunks(&user_seen, width, 8);
    let (n, m) = (WIDTHS[0], WIDTHS[1]);
    let per_patch = n + n * m;
    assert!(
        received.len() > PATCHES * per_patch,
        "layer 1 messages missing"
    );
    let weights: Vec<BigUint> = enc.layers[0]
        .weights
        .iter()
        .map(|c| c.to_biguint())
        .collect();
    let sources: Vec<BigUint> = (0..PATCHES * per_patch)
        .map(|k| {
            let (b, t) = (k / per_patch, k % per_patch);
            if t < n {
                own[b * n + t].clone()
            } else {
                weights[t - n].clone()
            }
        })
        .collect();
    let real: Vec<(BigUint, BigUint)> = sources
        .iter()
        .cloned()
        .zip(received[..PATCHES * per_patch].iter().cloned())
        .collect();
    // The leaky variant: the same plaintext additions without a fresh r^N.
    let leaky: Vec<(BigUint, BigUint)> = sources
        .iter()
        .map(|s| {
            let (ct, mask) = (
                pk.read_ciphertext(&pad(s, width)).expect("ct"),
                BigUint::from(77u8),
            );
            let blinded = pk.add_plain(&ct, &mask).expect("add").to_biguint();
            (s.clone(), blinded)
        })
        .collect();
    let chars = characters(&p, &q);
    for c in &chars {
        let (lo, hi) = chance_band(c.order, real.len());
        let hits = link_hits(c, &real);
        assert!(
            (lo..=hi).contains(&(hits as f64)),
            "{}: the key holder links {hits} of {} blinded values to their sources \
             (chance {lo:.0}..={hi:.0})",
            c.name,
            real.len()
        );
        assert_eq!(
            link_hits(c, &leaky),
            leaky.len(),
            "{}: the attack must link every value of the leaky variant",
            c.name
        );
        // Every received ciphertext: each character value about equally often.
        let mut counts = vec![0usize; usize::from(c.order)];
        for x in &received {
            counts[usize::from(c.log(x).expect("unit"))] += 1;
        }
        let p = 1.0 / f64::from(c.order);
        let (mean, sd) = (
            received.len() as f64 * p,
            (received.len() as f64 * p * (1.0 - p)).sqrt(),
        );
        for (v, &k) in counts.iter().enumerate() {
            assert!(
                (k as f64 - mean).abs() <= 5.0 * sd,
                "{}: value {v} occurs {k} times in {} received ciphertexts",
                c.name,
                received.len()
            );
        }
    }
}

/// `x` as a big-endian byte string of `width` bytes.
fn pad(x: &BigUint, width: usize) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut out = vec![0u8; width - b.len()];
    out.extend_from_slice(&b);
    out
}
