//! What the cloud receives in the fast protocol: ciphertexts under the user's key (checked
//! by type and key fingerprint), ciphertexts under its own key whose plaintexts are masked,
//! and garbled-circuit outputs masked in Z_2^k; the values it learns in clear pass a
//! uniformity test that the unmasked pre-activations fail.

use crate::fast_common;

use fast_common::{keys, random_inputs, random_model, ring, setup};
use gcc_nn_protocol::fast::party::layer_layout;
use gcc_nn_protocol::fast::ring::SIGMA;
use gcc_nn_protocol::fast::{CloudOutputOrShare, ShareCircuit, run_cloud, run_user, simulate};
use model::patches::{ImageLayout, PatchGeometry};
use paillier::SecretKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use runtime::channel::{Channel, MemChannel};
use std::time::Duration;

/// χ² statistic of `values` over 16 buckets chosen by `bucket`.
fn chi_square(values: &[u64], bucket: impl Fn(u64) -> usize) -> f64 {
    let mut counts = [0f64; 16];
    for &v in values {
        counts[bucket(v)] += 1.0;
    }
    let e = values.len() as f64 / 16.0;
    counts.iter().map(|c| (c - e) * (c - e) / e).sum()
}

/// 15 degrees of freedom: P(χ² > 45) ≈ 7·10^−5.
const CHI_LIMIT: f64 = 45.0;

fn uniform_in_ring(values: &[u64], what: &str) {
    let k = ring().k;
    let top = chi_square(values, |v| (v >> (k - 4)) as usize & 15);
    let low = chi_square(values, |v| (v & 15) as usize);
    let mid = chi_square(values, |v| (v >> (k / 2)) as usize & 15);
    assert!(
        top < CHI_LIMIT && low < CHI_LIMIT && mid < CHI_LIMIT,
        "{what}: χ² top {top:.1}, mid {mid:.1}, low {low:.1} over {} values",
        values.len()
    );
}

/// Random quantised patches of a `width`×`height` image at stride 1 for a `side`×`side` →
/// 1×1 model (any input values: the protocol does not look at their origin).
fn image_inputs(
    side: usize,
    width: usize,
    height: usize,
    seed: u64,
) -> (Vec<Vec<i64>>, ImageLayout) {
    let geometry = PatchGeometry::new(side, 1, 1).expect("geometry");
    let layout = ImageLayout::new(width, height, geometry).expect("layout");
    (
        random_inputs(side * side, layout.patch_count(), seed),
        layout,
    )
}

#[test]
fn cloud_sees_only_ciphertexts_and_masked_values() {
    let model = random_model(&[9, 8, 6, 1], 21);
    let (inputs, image) = image_inputs(3, 10, 7, 22);
    let patches = inputs.len();
    let (user_share, cloud_share) = setup(&model);
    let circuit = ShareCircuit::for_activation(
        &activation::Activation::shipped("tanh").expect("tanh"),
        &model.params,
    )
    .expect("circuit");
    let sim = simulate(
        &keys().0,
        &user_share,
        &cloud_share,
        &circuit,
        &inputs,
        &image,
        true,
    )
    .expect("run");
    let CloudOutputOrShare::Image(cloud) = sim.cloud else {
        panic!("image run");
    };
    let view = cloud.view.expect("view recorded");
    let r = ring();
    let pk = keys().0.public_key();
    // Types: the packed a_U ciphertexts were read under the user's key, one per input
    // value and block of K patches, in every layer.
    let blocks = |li: usize, n: usize| {
        patches.div_ceil(layer_layout(&r, li, n, pk, pk).expect("layout").slots())
    };
    let expected: usize = model
        .layers
        .iter()
        .enumerate()
        .map(|(li, l)| l.inputs * blocks(li, l.inputs))
        .sum();
    assert_eq!(view.user_ciphertexts, expected);
    // Values: GC outputs and decrypted cross-product slots, reduced into Z_2^k.
    let hidden: usize = model.layers[..2].iter().map(|l| l.outputs).sum();
    assert_eq!(view.activations.len(), hidden * patches);
    uniform_in_ring(&view.activations, "activation outputs y");
    let slots: Vec<u64> = view
        .cross_slots
        .iter()
        .map(|v| v.iter_u64_digits().next().unwrap_or(0) & r.mask())
        .collect();
    assert_eq!(
        slots.len(),
        model.layers[1..].iter().map(|l| l.outputs).sum::<usize>() * patches
    );
    uniform_in_ring(&slots, "cross product slots");
    // The slots also carry no information above the ring beyond the mask's σ bits: their
    // integer values lie below 2^w.
    for v in &view.cross_slots {
        assert!(v.bits() <= u64::from(r.slot_width(8, SIGMA)));
    }
}

#[test]
fn the_uniformity_test_rejects_unmasked_values() {
    // Negative control: the true pre-activations of the same kind of model are far from
    // uniform in Z_2^k, so the test above is able to fail.
    let model = random_model(&[9, 8, 6, 1], 21);
    let inputs = random_inputs(9, 70, 22);
    let r = ring();
    let z: Vec<u64> = inputs
        .iter()
        .flat_map(|p| {
            let l = &model.layers[0];
            (0..l.outputs)
                .map(|i| {
                    let s: i64 = (0..l.inputs)
                        .map(|j| l.weights[i * l.inputs + j] * p[j])
                        .sum::<i64>()
                        + l.bias[i];
                    r.from_signed(s)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let k = r.k;
    assert!(chi_square(&z, |v| (v >> (k - 4)) as usize & 15) > CHI_LIMIT);
}

#[test]
fn cloud_rejects_a_user_with_another_key() {
    let model = random_model(&[9, 3, 1], 31);
    let (user_share, cloud_share) = setup(&model);
    let circuit = ShareCircuit::for_activation(
        &activation::Activation::shipped("tanh").expect("tanh"),
        &model.params,
    )
    .expect("circuit");
    let stranger =
        SecretKey::generate_any_size(1024, &mut ChaCha20Rng::seed_from_u64(99)).expect("key");
    let (a, b) = MemChannel::pair(Duration::from_secs(60));
    let (inputs, image) = image_inputs(3, 3, 3, 1);
    let err = std::thread::scope(|s| {
        let (share, circuit) = (&cloud_share, &circuit);
        let cloud = s.spawn(move || {
            let mut b = b;
            run_cloud(
                &mut b,
                keys().0.public_key(),
                share,
                circuit,
                false,
                &mut rand::rng(),
            )
        });
        let mut a = a;
        let _ = run_user(
            &mut a,
            &stranger,
            &user_share,
            circuit,
            &inputs,
            &image,
            &mut rand::rng(),
        );
        drop(a);
        cloud.join().expect("cloud thread")
    })
    .expect_err("a different user key must be refused");
    assert!(err.to_string().contains("user key fingerprint"), "{err}");
}

/// χ² of bytes over 256 buckets (255 degrees of freedom: mean 255, sd ≈ 22.6).
fn byte_chi_square(bytes: &[u8]) -> f64 {
    let mut counts = [0f64; 256];
    for &b in bytes {
        counts[b as usize] += 1.0;
    }
    let e = bytes.len() as f64 / 256.0;
    counts.iter().map(|c| (c - e) * (c - e) / e).sum()
}

/// 255 degrees of freedom: P(χ² > 370) < 10^−4.
const BYTE_CHI_LIMIT: f64 = 370.0;

/// Reads a recorded byte stream message by message.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        s
    }
}

fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(w)
}

/// The cloud's whole received byte stream of a job (pairing, setup, image), recorded and
/// taken apart message by message: public constants and counts, ciphertexts under the
/// user's key, ciphertexts under its own key whose slots are masked in Z_2^k, and garbled-
/// circuit traffic (labels, OT, tables, decoding bits; the output circuits' tables without
/// decoding bits) whose bytes are uniform. Nothing is left over.
#[test]
fn every_byte_the_cloud_receives_is_public_a_user_ciphertext_or_masked() {
    use gcc_nn_protocol::fast::pairing::{
        cloud_offer, cloud_read_answer, user_answer, user_read_offer,
    };
    use gcc_nn_protocol::fast::{EncryptedModel, cloud_setup, user_setup};
    use runtime::scripted::RecordingChannel;

    let model = random_model(&[9, 8, 6, 1], 23);
    let (user_sk, cloud_sk) = keys();
    let (user_pk, cloud_pk) = (user_sk.public_key(), cloud_sk.public_key());
    let owner = gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]);
    let enc = EncryptedModel::encrypt_with_rng(&model, user_pk, &owner, &mut rand::rng())
        .expect("upload");
    let hash = enc.model_hash();
    let (inputs, image) = image_inputs(3, 8, 5, 24);
    let patches = inputs.len();
    let circuit = ShareCircuit::for_activation(
        &activation::Activation::shipped("tanh").expect("tanh"),
        &model.params,
    )
    .expect("circuit");
    let r = ring();
    let (a, b) = MemChannel::pair(Duration::from_secs(600));
    let (received, before_image, share, (view, gc_sizes), user_out) = std::thread::scope(|s| {
        let (enc, circuit) = (&enc, &circuit);
        let cloud = s.spawn(move || {
            let mut ch = RecordingChannel::new(b);
            cloud_offer(&mut ch, &hash, None).expect("offer");
            assert!(!cloud_read_answer(&mut ch, None).expect("answer"));
            let share = cloud_setup(&mut ch, user_pk, enc, cloud_sk.clone(), r, &mut rand::rng())
                .expect("setup");
            let before = ch.bytes_received();
            let out = run_cloud(&mut ch, user_pk, &share, circuit, true, &mut rand::rng())
                .expect("cloud run");
            (ch.into_received(), before, share, out)
        });
        let mut a = a;
        let offer = user_read_offer(&mut a).expect("offer");
        assert_eq!(offer.model_hash, hash);
        user_answer(&mut a, None).expect("answer");
        let shapes = enc.shapes();
        let user_share = user_setup(&mut a, user_sk, &shapes, r).expect("user setup");
        let out = run_user(
            &mut a,
            user_sk,
            &user_share,
            circuit,
            &inputs,
            &image,
            &mut rand::rng(),
        )
        .expect("user run");
        let (rec, before, share, cloud_out) = cloud.join().expect("cloud thread");
        let sizes = cloud_out.report.gc_bytes_received;
        (
            rec,
            before,
            share,
            (cloud_out.view.expect("view"), sizes),
            out,
        )
    });
    let q: Vec<Vec<i64>> = inputs.iter().map(|p| model.forward(p).0).collect();
    let want = model::pixel::image_pixels(&model.params, &image, &inputs, &q).expect("pixels");
    assert_eq!(user_out.pixels, want);
    let mut cur = Cursor {
        bytes: &received,
        at: 0,
    };
    // Pairing answer (version 2): magic, "new setup", length 64, no pair id, the channel's
    // session id — public constants.
    let answer = cur.take(8 * 3 + 64);
    assert_eq!(&answer[..8], b"GCCNN-FP");
    assert_eq!(word(&answer[8..]), 0);
    assert_eq!(word(&answer[16..]), 64);
    assert!(answer[24..56].iter().all(|&b| b == 0));
    assert_eq!(answer[56..], runtime::channel::UNBOUND_SESSION);
    // Setup: the cloud receives nothing.
    assert_eq!(before_image as usize, cur.at);
    // Image header: public words (counts, key fingerprints, the cloud's own pair id, the
    // image's width, height and stride, the linear-layer engine, the chunk size, the garbling
    // scheme), then the channel's session id.
    let head = cur.take(13 * 8);
    assert_eq!(&head[..8], b"GCCNN-FI");
    assert_eq!(word(&head[24..]), patches as u64);
    assert_eq!(&head[32..40], &user_pk.fingerprint());
    assert_eq!(&head[40..48], &cloud_pk.fingerprint());
    assert_eq!(word(&head[48..]), share.binding.pair_word());
    assert_eq!(
        [word(&head[56..]), word(&head[64..]), word(&head[72..])],
        [8, 5, 1]
    );
    assert_eq!(word(&head[88..]), patches as u64, "one chunk: the default");
    assert_eq!(word(&head[96..]), 1, "half-gates: the default scheme");
    assert_eq!(cur.take(32), runtime::channel::UNBOUND_SESSION);
    // The user's randomness base h_U: a length word, then a ciphertext under the user's key.
    let len = word(cur.take(8)) as usize;
    assert_eq!(len, user_pk.ciphertext_bytes());
    user_pk
        .read_ciphertext(cur.take(len))
        .expect("the user's base: a ciphertext under the user's key");
    let mut slots = Vec::new();
    let mut gc = Vec::new();
    let last = model.layers.len() - 1;
    for (li, l) in model.layers.iter().enumerate() {
        let layout = layer_layout(&r, li, l.inputs, user_pk, cloud_pk).expect("layout");
        let blocks = patches.div_ceil(layout.slots());
        // Enc_U(a_U): valid ciphertexts under the user's key (well-formed packings).
        for _ in 0..l.inputs * blocks {
            let c = user_pk
                .read_ciphertext(cur.take(user_pk.ciphertext_bytes()))
                .expect("a ciphertext under the user's key");
            let m = user_sk.decrypt(&c).expect("decrypts under the user's key");
            assert!(m.bits() <= u64::from(layout.width()) * layout.slots() as u64);
        }
        // Enc_C(W_U·a_C + μ): the cloud decrypts masked slots.
        if li > 0 {
            for t in 0..l.outputs * blocks {
                let c = cloud_pk
                    .read_ciphertext(cur.take(cloud_pk.ciphertext_bytes()))
                    .expect("a ciphertext under the cloud's key");
                let used = layout.slots().min(patches - (t % blocks) * layout.slots());
                let plain = cloud_sk.decrypt(&c).expect("decrypt");
                slots.extend(
                    layout
                        .unpack(&plain, used)
                        .expect("unpack")
                        .iter()
                        .map(|v| v.iter_u64_digits().next().unwrap_or(0) & r.mask()),
                );
            }
        }
        // The garbled activation batch: a public driver handshake (HANDSHAKE_BYTES), then the
        // hash start point, OT messages, garbled tables and decoding bits (no input labels:
        // both sides derive the user's from the cloud's seed).
        if li < last {
            let segment = cur.take(view.gc_bytes_received[li] as usize);
            assert_eq!(gc_sizes[li], view.gc_bytes_received[li]);
            assert_eq!(&segment[..8], b"GCCNN-GC", "driver handshake");
            gc.extend_from_slice(&segment[runtime::driver::HANDSHAKE_BYTES..]);
        }
    }
    // The output circuits (one batch here: every pixel is covered once): handshake, start
    // point, OT messages and garbled tables; no input labels, no decoding bits.
    assert_eq!(gc_sizes.len(), last + 1);
    let segment = cur.take(gc_sizes[last] as usize);
    assert_eq!(&segment[..8], b"GCCNN-GC", "driver handshake");
    assert_eq!(
        word(&segment[14..]),
        patches as u64,
        "one instance per pixel"
    );
    gc.extend_from_slice(&segment[runtime::driver::HANDSHAKE_BYTES..]);
    assert_eq!(cur.at, received.len(), "bytes left unaccounted for");
    assert_eq!(
        slots.len(),
        model.layers[1..].iter().map(|l| l.outputs).sum::<usize>() * patches
    );
    uniform_in_ring(&slots, "decrypted cross-product slots");
    let chi = byte_chi_square(&gc);
    assert!(
        chi < BYTE_CHI_LIMIT,
        "garbled-circuit traffic: byte χ² {chi:.1} over {} bytes",
        gc.len()
    );
    uniform_in_ring(&view.activations, "activation outputs y");
}

#[test]
fn the_byte_uniformity_test_rejects_structured_traffic() {
    // Negative control: the unmasked first-layer pre-activations as little-endian words.
    let model = random_model(&[9, 8, 6, 4], 23);
    let bytes: Vec<u8> = random_inputs(9, 400, 24)
        .iter()
        .flat_map(|p| model.forward(p).0)
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert!(byte_chi_square(&bytes) > BYTE_CHI_LIMIT);
}
