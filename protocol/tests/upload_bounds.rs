//! Issue 13 item 7: nothing public is derived from the weights. The model header's bounds on
//! |W| and |z| come from the fixed-point formats, the activation circuit and the activation's
//! output range (its public table: ±1 for tanh, up to 8 for ReLU) (`upload::format_bounds`);
//! the upload checks the weights against them before encrypting and refuses weights that
//! break them; a model at the very edge of the bounds still runs exactly through the
//! reference protocol. The header carries the activation's source and SHA-256, checked
//! (fields located through the header's own layout, `ModelHeader::layout`).

extern crate gcc_nn_protocol as protocol;

use model::fixed::{FIXED, FixedActivation, FixedMlp};
use model::mlp::{Dense, Mlp};
use paillier::SecretKey;
use protocol::session::activation::ActivationCircuit;
use protocol::session::client::handshake_with_policy;
use protocol::session::serve::{CloudState, serve_connection};
use protocol::session::{KeyPolicy, ProtocolKind, SessionError};
use protocol::upload::{EncryptedModel, ModelHeader, OwnerKey, format_bounds};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::MemChannel;
use std::sync::OnceLock;
use std::time::Duration;

fn key() -> &'static SecretKey {
    static K: OnceLock<SecretKey> = OnceLock::new();
    K.get_or_init(|| {
        SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(77)).expect("key")
    })
}

fn act(name: &str) -> FixedActivation {
    FixedActivation::shipped(name).expect("shipped activation")
}

/// A 3x3 → 2 → 1x1 model whose weights are `scale` times a fixed pattern (tanh_fit).
fn model(scale: f32) -> FixedMlp {
    model_with(scale, act("tanh_fit"))
}

/// [`model`] with the activation `activation`.
fn model_with(scale: f32, activation: FixedActivation) -> FixedMlp {
    let mlp = Mlp::new(
        3,
        1,
        1,
        25.0,
        vec![
            Dense {
                inputs: 9,
                outputs: 2,
                weights: (0..18)
                    .map(|k| scale * ((k % 7) as f32 / 7.0 - 0.4))
                    .collect(),
                bias: vec![0.1, -0.2],
            },
            Dense {
                inputs: 2,
                outputs: 1,
                weights: vec![0.6 * scale, -0.4],
                bias: vec![0.05],
            },
        ],
    )
    .expect("model");
    FixedMlp::from_model_evaluated(&mlp, FIXED, activation).expect("fixed")
}

/// The model owner's signing key of these tests.
fn owner() -> OwnerKey {
    OwnerKey::from_seed(&[9; 32])
}

fn upload(fixed: &FixedMlp) -> Result<EncryptedModel, SessionError> {
    EncryptedModel::encrypt_with_rng(
        fixed,
        key().public_key(),
        &owner(),
        &mut ChaCha20Rng::seed_from_u64(1),
    )
}

fn x_bits() -> u32 {
    let act = activation::Activation::shipped("tanh_fit").expect("tanh_fit");
    ActivationCircuit::for_activation(&act, &FIXED)
        .expect("circuit")
        .bridge
        .params()
        .x_bits
}

#[test]
fn the_header_bounds_are_the_format_bounds_whatever_the_weights() {
    let (w_bits, z_bits) = format_bounds(&FIXED, x_bits(), &act("tanh_fit")).expect("bounds");
    // LX = 36 for the shipped circuits: |z| < 2^35, |W| < 2^(35 − 12).
    assert_eq!((w_bits, z_bits), (23, 35));
    let small = upload(&model(0.1)).expect("small weights");
    let large = upload(&model(3.0)).expect("large weights");
    assert_ne!(model(0.1).layers, model(3.0).layers);
    for enc in [&small, &large] {
        assert_eq!(
            (enc.header.weight_bits, enc.header.z_bits),
            (w_bits, z_bits)
        );
    }
    assert_eq!(
        small.header.to_bytes(),
        large.header.to_bytes(),
        "the header does not depend on the weights"
    );
}

#[test]
fn weights_beyond_the_public_bounds_are_refused_before_encrypting() {
    let (w_bits, z_bits) = format_bounds(&FIXED, x_bits(), &act("tanh_fit")).expect("bounds");
    // One weight at 2^w_bits: z stays far inside the ring (2^23 · 2^15 < 2^39), but the
    // weight breaks the stated bound.
    let mut big_weight = model(0.0);
    big_weight.layers[1].weights[0] = 1 << w_bits;
    let err = upload(&big_weight).expect_err("refused");
    assert!(
        err.to_string().contains(&format!("|W| < 2^{w_bits}")),
        "{err}"
    );
    // Every weight inside the bound, but their sum pushes |z| past 2^z_bits.
    let mut big_sum = model(0.0);
    big_sum.layers[0].weights[..9].fill((1 << w_bits) - 1);
    let err = upload(&big_sum).expect_err("refused");
    assert!(
        err.to_string().contains(&format!("|z| < 2^{z_bits}")),
        "{err}"
    );
}

/// A weight of 2^23 − 1 (the largest the bound allows) in the output layer, driven by a
/// saturated activation: the reference protocol's masks and slots still carry it exactly.
#[test]
fn a_model_at_the_edge_of_the_bounds_runs_exactly() {
    let (w_bits, _) = format_bounds(&FIXED, x_bits(), &act("tanh_fit")).expect("bounds");
    // Both activations saturate to ±1; Σ|W|·2^Fa must stay below 2^35: the largest weight
    // alone, the other one 0.
    run_edge(act("tanh_fit"), (1 << w_bits) - 1);
}

/// ReLU saturates at 8 − 2^−12 (32767 raw): an output weight of 2^20 brings |z| to
/// 2^35 − 2^20, just inside the bound its range gives; the run is still exact.
#[test]
fn a_relu_model_at_the_edge_of_its_range_runs_exactly() {
    run_edge(act("relu"), 1 << 20);
}

/// Hidden pre-activations ±2^30 (the activation's extremes), one output weight `w`, the
/// other 0: the reference protocol over an in-memory channel equals the plaintext reference,
/// and the output reaches 2^34.
fn run_edge(activation: FixedActivation, w: i64) {
    let mut edge = model_with(1.0, activation);
    edge.layers[0].weights.fill(0);
    edge.layers[0].bias = vec![1 << 30, -(1 << 30)];
    edge.layers[1].weights = vec![w, 0];
    edge.layers[1].bias = vec![0];
    let enc = upload(&edge).expect("at the bound");
    let state = CloudState::with_key_policy(enc, &owner().public(), KeyPolicy::InsecureTestKeys)
        .expect("state");
    let (user_end, cloud_end) = MemChannel::pair(Duration::from_secs(120));
    let cloud = std::thread::spawn(move || {
        let mut ch = cloud_end;
        serve_connection(&mut ch, &state).map(|_| ())
    });
    let sk = key();
    let mut s = handshake_with_policy(
        user_end,
        sk,
        &owner().public(),
        ProtocolKind::Reference,
        KeyPolicy::InsecureTestKeys,
    )
    .expect("handshake");
    let patches = vec![vec![0i64; 9], vec![4095; 9]];
    let (q, _) = s.run_job(sk, &patches, 2, &mut |_| {}).expect("job");
    drop(s);
    cloud.join().expect("cloud thread").expect("cloud");
    for (p, q) in patches.iter().zip(&q) {
        let (want, max_z) = edge.forward(p);
        assert_eq!(q, &want);
        assert!(
            max_z >= 1 << 34,
            "the run reaches the bound's order: {max_z}"
        );
    }
}

#[test]
fn a_header_with_other_bounds_is_refused_by_the_cloud() {
    let mut enc = upload(&model(1.0)).expect("upload");
    enc.header.weight_bits = 9;
    enc.header.z_bits = 21; // consistent with each other, not the format bounds
    enc.sign(&owner()); // signed as it is: the bounds check, not the signature, refuses it
    let reread = EncryptedModel::from_bytes(&enc.to_bytes()).expect("well formed");
    let err = CloudState::with_key_policy(reread, &owner().public(), KeyPolicy::InsecureTestKeys)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("re-encrypt"), "{err}");
}

#[test]
fn wide_activations_get_their_own_public_bounds() {
    // ReLU and GELU reach 8 − 2^−12 (32767 raw): |W| < 2^(35 − 14); tanh* as tanh_fit.
    for (name, w) in [("tanh", 23), ("relu", 21), ("gelu", 21)] {
        let bounds = format_bounds(&FIXED, x_bits(), &act(name)).expect("bounds");
        assert_eq!(bounds, (w, 35), "{name}");
    }
    // Weights the tanh_fit bounds accept but ReLU's range pushes past |z| < 2^35.
    let mut fine_for_tanh = model(0.0);
    fine_for_tanh.layers[1].weights = vec![1 << 20, 1 << 20];
    upload(&fine_for_tanh).expect("inside tanh_fit's bounds");
    let mut relu = model_with(0.0, act("relu"));
    relu.layers[1].weights = vec![1 << 20, 1 << 20];
    let err = upload(&relu).expect_err("ReLU's outputs reach 8");
    assert!(err.to_string().contains("|z| < 2^35"), "{err}");
    // A single weight at 2^21 breaks ReLU's weight bound, not tanh_fit's.
    let mut relu = model_with(0.0, act("relu"));
    relu.layers[1].weights[0] = 1 << 21;
    let err = upload(&relu).expect_err("refused");
    assert!(err.to_string().contains("|W| < 2^21"), "{err}");
    let ok = upload(&model_with(1.0, act("relu"))).expect("ReLU model");
    assert_eq!((ok.header.weight_bits, ok.header.z_bits), (21, 35));
    assert_eq!(ok.header.activation.name(), "relu");
}

#[test]
fn the_header_carries_the_activation_source_and_its_hash() {
    let enc = upload(&model(1.0)).expect("upload");
    let bytes = enc.header.to_bytes();
    let back = ModelHeader::from_bytes(&bytes).expect("round trip");
    let shipped = activation::Activation::shipped("tanh_fit").expect("tanh_fit");
    assert_eq!(back.activation.source(), shipped.source());
    assert_eq!(back.activation.sha256(), shipped.sha256());
    assert_eq!(back, enc.header);
    // The fields as the format lays them out (no hand-counted offsets).
    let at = |name: &str| {
        let layout = back.layout();
        let (_, range) = layout
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no header field {name}"));
        range
    };
    assert_eq!(&bytes[at("activation source")], shipped.source().as_bytes());
    assert_eq!(&bytes[at("activation name")], b"tanh_fit");
    // The SHA-256 field follows the key, formats, name and source: a flipped bit is refused.
    let sha_at = at("activation SHA-256").start;
    assert_eq!(
        &bytes[at("activation SHA-256")],
        shipped.sha256().as_slice()
    );
    let mut bad = bytes.clone();
    bad[sha_at] ^= 1;
    let err = ModelHeader::from_bytes(&bad).expect_err("hash mismatch");
    assert!(
        err.to_string().contains("SHA-256 of activation `tanh_fit`"),
        "{err}"
    );
    // A source that is not an activation is refused with the DSL's diagnostics.
    let mut other = bytes.clone();
    let src_at = at("activation source").start;
    other[src_at..src_at + 5].copy_from_slice(b"xyzzy");
    let err = ModelHeader::from_bytes(&other).expect_err("not a program");
    assert!(
        err.to_string().contains("tanh_fit.dsl (model header)"),
        "{err}"
    );
}
