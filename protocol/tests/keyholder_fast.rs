//! Issue 13: what the key holder learns from the randomness of the ciphertexts it receives in
//! the fast protocol, in both directions — the user holds the key of cross product 1
//! (secret exponents α, the cloud's shares), the cloud holds the key of cross product 2
//! (secret exponents `W_U`, the user's shares) — and in the setup.
//!
//! Both parties run over recording channels with 512-bit test keys whose primes are 1 mod 3;
//! the test holds both secret keys and runs the character attack of
//! [`keyholder_common`] on every ciphertext each party received. On the real protocol the
//! predictions of the exponents' residues mod 2 and mod 3 must be at chance; the negative
//! control runs the old fixed-base short-exponent zeros (feature
//! `insecure-negative-controls`) and must recover them.

use crate::fast_common;
use crate::keyholder_common;

use gcc_nn_protocol::fast::fresh::negative_control::set_legacy_fixed_base;
use gcc_nn_protocol::fast::party::layer_layout;
use gcc_nn_protocol::fast::setup::SETUP_SIGMA;
use gcc_nn_protocol::fast::{
    EncryptedModel, ModelShare, ShareCircuit, cloud_setup, run_cloud, run_user, user_setup,
};
use keyholder_common::{
    Character, ChunkRecorder, chance_band, characters, ciphertext_chunks, cubic_key, predict,
    serial,
};
use model::fixed::{FIXED, FixedMlp};
use model::patches::{ImageLayout, PatchGeometry};
use paillier::{BigUint, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const KEY_BITS: u32 = 512;
/// 9 → 16 → 16 → 1: 416 unknowns α, 272 unknowns `W_U` in the cross products.
const WIDTHS: [usize; 4] = [9, 16, 16, 1];
/// A 12×8 image of 3×3 patches at stride 1 (one patch per pixel): 96 patches, 24 blocks of 4 — more equations per
/// row than unknowns (16).
const PATCHES: usize = 96;
const IMAGE: (usize, usize) = (12, 8);
/// Ciphertexts arrive in runs of at least 24 reads here; garbled tables of the same width in
/// runs of at most 2 ([`ciphertext_chunks`]).
const MIN_RUN: usize = 8;

struct Party {
    sk: Arc<SecretKey>,
    p: BigUint,
    q: BigUint,
}

struct Fixture {
    user: Party,
    cloud: Party,
    model: FixedMlp,
    enc: EncryptedModel,
    circuit: ShareCircuit,
    /// (user, cloud)
    shares: (ModelShare, ModelShare),
    inputs: Vec<Vec<i64>>,
    image: ImageLayout,
}

fn party(seed: u64) -> Party {
    let (sk, p, q) = cubic_key(KEY_BITS, seed);
    Party {
        sk: Arc::new(sk),
        p,
        q,
    }
}

/// Both sides of one setup over recording channels: (user share, cloud share, ciphertexts
/// the user received).
fn setup_run(
    user: &Party,
    cloud: &Party,
    enc: &EncryptedModel,
    seed: u64,
) -> (ModelShare, ModelShare, Vec<BigUint>) {
    let (a, b) = MemChannel::pair(Duration::from_secs(600));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut a = ChunkRecorder::new(a, seen.clone());
    let mut b = b;
    let ring = fast_common::ring();
    let shapes = enc.shapes();
    let (u, c) = std::thread::scope(|s| {
        let c = s.spawn(|| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5e7);
            cloud_setup(
                &mut b,
                user.sk.public_key(),
                enc,
                cloud.sk.clone(),
                ring,
                &mut rng,
            )
        });
        let u = user_setup(&mut a, &user.sk, &shapes, ring);
        (u, c.join().expect("cloud thread"))
    });
    let width = user.sk.public_key().ciphertext_bytes();
    (
        u.expect("user setup"),
        c.expect("cloud setup"),
        ciphertext_chunks(&seen, width, 1),
    )
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (user, cloud) = (party(0x6b68_0001), party(0x6b68_0002));
        let model = fast_common::random_model(&WIDTHS, 13);
        let mut rng = ChaCha20Rng::seed_from_u64(14);
        let enc = EncryptedModel::encrypt_with_rng(
            &model,
            user.sk.public_key(),
            &gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]),
            &mut rng,
        )
        .expect("owner upload");
        let (u, c, _) = setup_run(&user, &cloud, &enc, 15);
        let geometry = PatchGeometry::new(3, 1, 1).expect("geometry");
        let image = ImageLayout::new(IMAGE.0, IMAGE.1, geometry).expect("image");
        assert_eq!(image.patch_count(), PATCHES);
        Fixture {
            image,
            circuit: ShareCircuit::for_activation(
                &activation::Activation::shipped("tanh").expect("tanh"),
                &FIXED,
            )
            .expect("circuit"),
            inputs: fast_common::random_inputs(WIDTHS[0], PATCHES, 16),
            shares: (u, c),
            user,
            cloud,
            model,
            enc,
        }
    })
}

/// One direction's view, per layer: the key holder's own ciphertexts `[j][block]`, the
/// products returned to it `[i][block]`, the secret exponents `[i][j]` (the truth).
struct Direction {
    layers: Vec<LayerView>,
}

struct LayerView {
    n: usize,
    blocks: usize,
    own: Vec<BigUint>,
    returned: Vec<BigUint>,
    exps: Vec<u64>,
}

/// Runs one image over recording channels and cuts both received streams into the cross
/// products' ciphertexts: (cross 1, user = key holder; cross 2, cloud = key holder).
fn image_run(f: &Fixture, seed: u64) -> (Direction, Direction) {
    let (a, b) = MemChannel::pair(Duration::from_secs(600));
    let (user_seen, cloud_seen) = (
        Arc::new(Mutex::new(Vec::new())),
        Arc::new(Mutex::new(Vec::new())),
    );
    let mut a = ChunkRecorder::new(a, user_seen.clone());
    let mut b = ChunkRecorder::new(b, cloud_seen.clone());
    let (user_pk, cloud_pk) = (f.user.sk.public_key(), f.cloud.sk.public_key());
    let out = std::thread::scope(|s| {
        let c = s.spawn(|| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0xc10d);
            run_cloud(&mut b, user_pk, &f.shares.1, &f.circuit, false, &mut rng)
        });
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let u = run_user(
            &mut a,
            &f.user.sk,
            &f.shares.0,
            &f.circuit,
            &f.inputs,
            &f.image,
            &mut rng,
        );
        c.join().expect("cloud thread").expect("cloud run");
        u.expect("user run")
    });
    // The run is the real protocol: its output is the reference's.
    let q: Vec<Vec<i64>> = f.inputs.iter().map(|p| f.model.forward(p).0).collect();
    let want =
        model::pixel::image_pixels(&f.model.params, &f.image, &f.inputs, &q).expect("pixels");
    assert_eq!(out.pixels, want, "fast output differs from the reference");
    let width = user_pk.ciphertext_bytes();
    assert_eq!(width, cloud_pk.ciphertext_bytes(), "test keys of one size");
    let (mut from_cloud, mut from_user) = (
        ciphertext_chunks(&user_seen, width, MIN_RUN).into_iter(),
        ciphertext_chunks(&cloud_seen, width, MIN_RUN).into_iter(),
    );
    // First, each side's published base (h_U to the cloud, h_C to the user).
    let (_h_u, _h_c) = (take(&mut from_user, 1), take(&mut from_cloud, 1));
    let ring = fast_common::ring();
    let (mut cross1, mut cross2) = (Direction { layers: vec![] }, Direction { layers: vec![] });
    for (li, (ul, cl)) in f.shares.0.layers.iter().zip(&f.shares.1.layers).enumerate() {
        let (n, m) = (ul.inputs, ul.outputs);
        let layout = layer_layout(&ring, li, n, user_pk, cloud_pk).expect("layout");
        let blocks = PATCHES.div_ceil(layout.slots());
        // the cloud receives Enc_U(a_U), then (li > 0) Enc_C(W_U·a_C + μ);
        // the user receives (li > 0) Enc_C(a_C), then Enc_U(α·a_U + ρ)
        let own_u = take(&mut from_user, n * blocks);
        let returned_c = (li > 0).then(|| take(&mut from_user, m * blocks));
        let own_c = (li > 0).then(|| take(&mut from_cloud, n * blocks));
        let returned_u = take(&mut from_cloud, m * blocks);
        cross1.layers.push(LayerView {
            n,
            blocks,
            own: own_u,
            returned: returned_u,
            exps: cl.weights.to_vec(),
        });
        if let (Some(own), Some(returned)) = (own_c, returned_c) {
            cross2.layers.push(LayerView {
                n,
                blocks,
                own,
                returned,
                exps: ul.weights.to_vec(),
            });
        }
    }
    assert_eq!(
        from_user.next(),
        None,
        "the cloud received unexplained ciphertexts"
    );
    assert_eq!(
        from_cloud.next(),
        None,
        "the user received unexplained ciphertexts"
    );
    (cross1, cross2)
}

/// The next `count` ciphertexts of a received stream.
fn take(it: &mut std::vec::IntoIter<BigUint>, count: usize) -> Vec<BigUint> {
    let v: Vec<BigUint> = it.by_ref().take(count).collect();
    assert_eq!(
        v.len(),
        count,
        "fewer ciphertexts received than the protocol sends"
    );
    v
}

/// What the attack achieved with one character.
#[derive(Debug)]
struct Outcome {
    character: String,
    order: u8,
    hits: usize,
    unknowns: usize,
    /// The key holder's own ciphertexts have a non-trivial character (equations carry
    /// information at all).
    informative: bool,
    /// Every row's overdetermined system was consistent (the attacker's sign of success).
    consistent: bool,
}

fn attack(chars: &[Character], d: &Direction) -> Vec<Outcome> {
    let log = |c: &Character, x: &BigUint| c.log(x).expect("a ciphertext is a unit mod p");
    chars
        .iter()
        .map(|c| {
            let mut o = Outcome {
                character: c.name.clone(),
                order: c.order,
                hits: 0,
                unknowns: 0,
                informative: false,
                consistent: true,
            };
            for l in &d.layers {
                let a: Vec<u8> = l.own.iter().map(|x| log(c, x)).collect();
                o.informative |= a.iter().any(|&v| v != 0);
                for (i, row) in l.exps.chunks(l.n).enumerate() {
                    let eqs: Vec<(Vec<u8>, u8)> = (0..l.blocks)
                        .map(|b| {
                            let coeffs = (0..l.n).map(|j| a[j * l.blocks + b]).collect();
                            (coeffs, log(c, &l.returned[i * l.blocks + b]))
                        })
                        .collect();
                    let (pred, consistent) = predict(c.order, l.n, &eqs);
                    o.consistent &= consistent;
                    o.unknowns += l.n;
                    o.hits += pred
                        .iter()
                        .zip(row)
                        .filter(|(p, e)| u64::from(**p) == **e % u64::from(c.order))
                        .count();
                }
            }
            o
        })
        .collect()
}

fn assert_chance(direction: &str, outcomes: &[Outcome]) {
    assert!(
        outcomes.iter().any(|o| o.informative),
        "{direction}: no character of the key holder's own ciphertexts is non-trivial, the \
         test has no power: {outcomes:?}"
    );
    for o in outcomes {
        assert!(o.unknowns >= 200, "{direction}: too few unknowns: {o:?}");
        let (lo, hi) = chance_band(o.order, o.unknowns);
        let hits = o.hits as f64;
        assert!(
            (lo..=hi).contains(&hits),
            "{direction}, {}: the key holder predicts the secret exponents mod {} better or \
             worse than chance ({lo:.0}..={hi:.0}): {o:?}",
            o.character,
            o.order
        );
    }
}

/// A recovered direction: some character's systems were all consistent and predicted ≥ 90 %.
fn recovered(outcomes: &[Outcome]) -> bool {
    outcomes
        .iter()
        .any(|o| o.informative && o.consistent && o.hits * 10 >= o.unknowns * 9)
}

#[test]
fn keyholder_views_of_both_cross_products_are_at_chance() {
    let _guard = serial();
    let f = fixture();
    set_legacy_fixed_base(false);
    for seed in [1u64, 2] {
        let (cross1, cross2) = image_run(f, seed);
        let user_chars = characters(&f.user.p, &f.user.q);
        let cloud_chars = characters(&f.cloud.p, &f.cloud.q);
        assert_chance(
            "cross 1, user holds the key (α)",
            &attack(&user_chars, &cross1),
        );
        assert_chance(
            "cross 2, cloud holds the key (W_U)",
            &attack(&cloud_chars, &cross2),
        );
    }
}

#[test]
fn negative_control_fixed_base_zeros_leak_both_cross_products() {
    let _guard = serial();
    let f = fixture();
    let (mut leaked1, mut leaked2) = (false, false);
    set_legacy_fixed_base(true);
    for seed in 1..=10u64 {
        let (cross1, cross2) = image_run(f, 100 + seed);
        leaked1 |= recovered(&attack(&characters(&f.user.p, &f.user.q), &cross1));
        leaked2 |= recovered(&attack(&characters(&f.cloud.p, &f.cloud.q), &cross2));
        if leaked1 && leaked2 {
            break;
        }
    }
    set_legacy_fixed_base(false);
    assert!(
        leaked1,
        "the attack never recovered α mod ℓ from the old construction"
    );
    assert!(
        leaked2,
        "the attack never recovered W_U mod ℓ from the old construction"
    );
}

/// The setup: the user holds the key of every ciphertext it receives. Their characters must
/// not follow from the owner's upload (which the user may know): the attacker predicts
/// `χ(packed) = Π_s χ(Enc(W_s))^(2^(s·w))`, exact when the re-randomising zero has χ = 1.
fn setup_outcomes(f: &Fixture, received: &[BigUint]) -> Vec<Outcome> {
    let pk = f.user.sk.public_key();
    let layout = fast_common::ring()
        .setup_layout(SETUP_SIGMA, pk.bits())
        .expect("setup layout");
    let mut predicted_from: Vec<Vec<BigUint>> = Vec::new();
    for l in &f.enc.layers {
        let all: Vec<BigUint> = l
            .weights
            .iter()
            .chain(&l.bias)
            .map(|c| c.to_biguint())
            .collect();
        predicted_from.extend(all.chunks(layout.slots()).map(<[BigUint]>::to_vec));
    }
    assert_eq!(
        predicted_from.len(),
        received.len(),
        "setup ciphertext count"
    );
    characters(&f.user.p, &f.user.q)
        .iter()
        .map(|c| {
            let l = u32::from(c.order);
            let mut hits = 0;
            for (owner, got) in predicted_from.iter().zip(received) {
                let guess = owner.iter().enumerate().fold(0u32, |acc, (s, x)| {
                    let e = BigUint::from(2u8).pow(s as u32 * layout.width()) % l;
                    let e = e.iter_u32_digits().next().unwrap_or(0);
                    (acc + e * u32::from(c.log(x).expect("unit"))) % l
                });
                hits += usize::from(guess == u32::from(c.log(got).expect("unit")));
            }
            Outcome {
                character: c.name.clone(),
                order: c.order,
                hits,
                unknowns: received.len(),
                informative: true,
                consistent: true,
            }
        })
        .collect()
}

#[test]
fn keyholder_view_of_the_setup_is_at_chance_and_the_control_leaks() {
    let _guard = serial();
    let f = fixture();
    set_legacy_fixed_base(false);
    for seed in [21u64, 22] {
        let (_, _, received) = setup_run(&f.user, &f.cloud, &f.enc, seed);
        for o in setup_outcomes(f, &received) {
            let (lo, hi) = chance_band(o.order, o.unknowns);
            assert!(
                (lo..=hi).contains(&(o.hits as f64)),
                "setup: the user predicts the characters of its ciphertexts: {o:?}"
            );
        }
    }
    set_legacy_fixed_base(true);
    let leaked = (31..=40u64).any(|seed| {
        let (_, _, received) = setup_run(&f.user, &f.cloud, &f.enc, seed);
        setup_outcomes(f, &received)
            .iter()
            .any(|o| o.hits == o.unknowns)
    });
    set_legacy_fixed_base(false);
    assert!(
        leaked,
        "the old setup zeros never showed through the characters"
    );
}
