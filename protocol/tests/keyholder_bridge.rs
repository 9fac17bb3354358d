//! Issue 13 item 2 for the masked-activation bridge on its own (unpacked mode, as the
//! reference protocol runs it): the user holds the key and receives `Enc(x_i + m_i)` for
//! inputs `Enc(x_i)` it may know (it made them earlier in a chain). Without fresh randomness
//! the received ciphertext's characters (Legendre and cubic residue symbols mod p and q,
//! [`keyholder_common`]) equal the input's; the cloud re-randomises with a uniform `r^N` from
//! its pool, so the key holder's linking must be at chance. Negative control: the same attack
//! on the same blinding without the fresh `r^N` links every value.

use crate::keyholder_common;

use gcc_nn_protocol::bridge::{Mode, run_cloud, run_user};
use gcc_nn_protocol::session::activation::ActivationCircuit;
use keyholder_common::{ChunkRecorder, chance_band, characters, ciphertext_chunks, cubic_key};
use paillier::{BigInt, BigUint, RandomnessPool};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KEY_BITS: u32 = 512;
const ACTIVATIONS: usize = 240;

#[test]
fn bridge_keyholder_view_is_at_chance_and_the_control_links_everything() {
    let (sk, p, q) = cubic_key(KEY_BITS, 0x6272_6401);
    let pk = sk.public_key().clone();
    let tanh = activation::Activation::shipped("tanh").expect("tanh");
    let circuit = ActivationCircuit::for_activation(&tanh, &model::fixed::FIXED).expect("circuit");
    let mut input_pool = RandomnessPool::new();
    input_pool.fill_crt(&sk, ACTIVATIONS);
    let inputs: Vec<_> = (0..ACTIVATIONS)
        .map(|i| {
            let rn = input_pool.take().expect("pool");
            let x = (i as i64 - 120) * 1_000_003;
            pk.encrypt_signed_with(&BigInt::from(x), &rn).expect("enc")
        })
        .collect();
    let (cloud_ch, user_ch) = MemChannel::pair(Duration::from_secs(600));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut user_ch = ChunkRecorder::new(user_ch, seen.clone());
    let mut cloud_ch = cloud_ch;
    std::thread::scope(|s| {
        let u = s.spawn(|| {
            let mut pool = RandomnessPool::new();
            pool.fill_crt(&sk, 8);
            run_user(
                &mut user_ch,
                &sk,
                &circuit.bridge,
                &mut pool,
                &mut ChaCha20Rng::seed_from_u64(2),
            )
        });
        let mut pool = RandomnessPool::new();
        pool.fill(&pk, 8);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let out = run_cloud(
            &mut cloud_ch,
            &pk,
            &circuit.bridge,
            &inputs,
            Mode::Unpacked,
            &mut pool,
            &mut rng,
        );
        out.expect("cloud");
        u.join().expect("user thread").expect("user");
    });
    let received = ciphertext_chunks(&seen, pk.ciphertext_bytes(), 8);
    assert!(
        received.len() >= ACTIVATIONS,
        "{} masked inputs received, expected {ACTIVATIONS}",
        received.len()
    );
    let real: Vec<(BigUint, BigUint)> = inputs
        .iter()
        .map(|c| c.to_biguint())
        .zip(received.iter().take(ACTIVATIONS).cloned())
        .collect();
    // The leaky variant: the mask added without a fresh r^N.
    let leaky: Vec<(BigUint, BigUint)> = inputs
        .iter()
        .map(|c| {
            let masked = pk.add_plain(c, &BigUint::from(1_234_567u32)).expect("add");
            (c.to_biguint(), masked.to_biguint())
        })
        .collect();
    for c in characters(&p, &q) {
        let hits = |pairs: &[(BigUint, BigUint)]| {
            pairs
                .iter()
                .filter(|(a, b)| c.log(a).expect("unit") == c.log(b).expect("unit"))
                .count()
        };
        let (lo, hi) = chance_band(c.order, real.len());
        let h = hits(&real);
        assert!(
            (lo..=hi).contains(&(h as f64)),
            "{}: the key holder links {h} of {} masked inputs to their inputs (chance \
             {lo:.0}..={hi:.0})",
            c.name,
            real.len()
        );
        assert_eq!(hits(&leaky), leaky.len(), "{}: control not linked", c.name);
    }
}
