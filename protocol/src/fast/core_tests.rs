//! Core-level tests: both parties' state machines driven by scripted messages, with no
//! channel and no garbling (each garbled batch is simulated on the plain circuit from both
//! parties' input bits), checked against the plaintext fixed-point reference.

use super::*;
use crate::fast::msg::{CloudMsg, GcCircuit};
use crate::fast::schedule::{Action, Op, schedule};
use crate::fast::{CloudOutputOrShare, simulate_setup};
use crate::upload::EncryptedModel;
use compiler::Party;
use model::fixed::{FIXED, FixedActivation, FixedDense, FixedMlp};
use model::patches::PatchGeometry;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

/// What a party sends or reads at step `op`, as (sent by the user, message, layer).
fn message(side: Side, op: Op) -> Option<(bool, &'static str, Option<usize>)> {
    let user = side == Side::User;
    match op {
        Op::SendHeader => Some((true, "header", None)),
        Op::RecvHeader => Some((true, "header", None)),
        Op::SendKey => Some((user, "key", None)),
        Op::RecvKey => Some((!user, "key", None)),
        Op::SendInputs(l) => Some((user, "inputs", Some(l))),
        Op::RecvInputs(l) => Some((!user, "inputs", Some(l))),
        Op::SendProducts(l) => Some((user, "products", Some(l))),
        Op::RecvProducts(l) => Some((!user, "products", Some(l))),
        Op::Activation(l) => Some((true, "garbled activation", Some(l))),
        Op::Output => Some((true, "output circuits", None)),
        _ => None,
    }
}

#[test]
fn schedules_pair_every_message_with_the_peers_read_in_order() {
    for layers in 1..=4 {
        let user: Vec<_> = schedule(Side::User, layers)
            .into_iter()
            .filter_map(|op| message(Side::User, op))
            .collect();
        let cloud: Vec<_> = schedule(Side::Cloud, layers)
            .into_iter()
            .filter_map(|op| message(Side::Cloud, op))
            .collect();
        assert_eq!(user, cloud, "{layers} layers");
        // Layer 1 has no cloud inputs and no products toward the cloud (a_C = −B is public).
        assert!(!user.contains(&(false, "inputs", Some(0))));
        assert!(!user.contains(&(true, "products", Some(0))));
        assert!(user.contains(&(false, "products", Some(0))));
        let gcs = user.iter().filter(|m| m.1 == "garbled activation").count();
        assert_eq!(gcs, layers - 1, "one activation batch per hidden layer");
    }
    // The user sends its products before reading the cloud's; the cloud the other way round.
    let pos = |side, op| schedule(side, 2).iter().position(|&o| o == op);
    assert!(pos(Side::User, Op::SendProducts(1)) < pos(Side::User, Op::RecvProducts(1)));
    assert!(pos(Side::Cloud, Op::RecvProducts(1)) < pos(Side::Cloud, Op::SendProducts(1)));
}

struct Fixture {
    user: SecretKey,
    model: FixedMlp,
    circuit: ShareCircuit,
    shares: (ModelShare, ModelShare),
    inputs: Vec<Vec<i64>>,
    layout: ImageLayout,
}

fn fixture() -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let user = SecretKey::generate_any_size(512, &mut rng).expect("key");
    let cloud = Arc::new(SecretKey::generate_any_size(512, &mut rng).expect("key"));
    let model = FixedMlp {
        params: FIXED,
        activation: FixedActivation::shipped("tanh").expect("tanh"),
        input_patch: 1,
        output_patch: 1,
        stride: 1,
        layers: vec![
            FixedDense {
                inputs: 1,
                outputs: 3,
                weights: vec![3000, -3500, 4000],
                bias: vec![30_000, -200_000, 5_000],
            },
            FixedDense {
                inputs: 3,
                outputs: 1,
                weights: vec![2500, -1800, 900],
                bias: vec![-40_000],
            },
        ],
    };
    let enc = EncryptedModel::encrypt_with_rng(
        &model,
        user.public_key(),
        &crate::upload::OwnerKey::from_seed(&[7; 32]),
        &mut rng,
    )
    .expect("up");
    let ring = super::super::Ring::new(FIXED.ring_bits).expect("ring");
    let setup = simulate_setup(&user, cloud, &enc, ring).expect("setup");
    let CloudOutputOrShare::Share(cloud_share) = setup.cloud else {
        panic!("a setup gives the cloud a share");
    };
    let act = activation::Activation::shipped("tanh").expect("tanh");
    let circuit = ShareCircuit::for_activation(&act, &FIXED).expect("circuit");
    let layout =
        ImageLayout::new(3, 1, PatchGeometry::new(1, 1, 1).expect("geometry")).expect("layout");
    Fixture {
        user,
        model,
        circuit,
        shares: (setup.user, *cloud_share),
        inputs: vec![vec![32_767], vec![-32_767], vec![1234]],
        layout,
    }
}

/// Both parties' bits of one batch as the plain circuit's inputs, in input order.
fn plain_inputs(c: &TwoPartyCircuit, garbler: &[bool], evaluator: &[bool]) -> Vec<bool> {
    let (mut g, mut e) = (garbler.iter(), evaluator.iter());
    let mut bits = Vec::new();
    for (i, party) in c.parties().iter().enumerate() {
        let width = c.circuit().input_range(i).len();
        let src = if *party == Party::Garbler {
            &mut g
        } else {
            &mut e
        };
        bits.extend(src.by_ref().take(width).copied());
    }
    bits
}

/// Where [`advance`] stopped.
enum Stop {
    /// Waiting for the peer's message.
    Blocked,
    /// At a garbled batch.
    Batch(GcBatch),
    /// At the end of the run.
    Done(Finished),
}

/// Steps one core until it needs its peer or a garbled batch: messages it sends go to
/// `outbox` (through their wire form), a message it waits for is taken from `inbox`.
fn advance(
    core: &mut PartyCore<'_>,
    inbox: &mut Vec<Vec<u8>>,
    outbox: &mut Vec<Vec<u8>>,
    rng: &mut ChaCha20Rng,
) -> Stop {
    loop {
        match core.poll(rng).expect("step") {
            Action::Computed(_) => {}
            Action::Send(_, msg) => outbox.push(core.encode(&msg).expect("encode")),
            Action::Recv(_, expect) => {
                if inbox.is_empty() {
                    return Stop::Blocked;
                }
                let mut bytes = inbox.remove(0);
                if let Framing::Prefixed { max } = expect.framing {
                    assert!(bytes.len() - 8 <= max);
                    bytes.drain(..8);
                }
                let msg = core.decode(&bytes).expect("decode");
                core.receive(msg).expect("receive");
            }
            Action::Garble(_, batch) => return Stop::Batch(batch),
            Action::Done(f) => return Stop::Done(f),
        }
    }
}

#[test]
fn two_cores_on_scripted_messages_give_the_reference_pixels() {
    let f = fixture();
    let mut user = PartyCore::user(
        CrossEngine::Paillier,
        &f.user,
        &f.shares.0,
        &f.circuit,
        &f.inputs,
        &f.layout,
    )
    .expect("user core");
    let mut cloud = PartyCore::cloud(
        CrossEngine::Paillier,
        f.user.public_key(),
        &f.shares.1,
        &f.circuit,
        true,
    )
    .expect("cloud core");
    let (mut urng, mut crng) = (ChaCha20Rng::seed_from_u64(1), ChaCha20Rng::seed_from_u64(2));
    let (mut to_cloud, mut to_user) = (Vec::new(), Vec::new());
    let mut batches = 0;
    let (u, c) = loop {
        let ub = advance(&mut user, &mut to_user, &mut to_cloud, &mut urng);
        let cb = advance(&mut cloud, &mut to_cloud, &mut to_user, &mut crng);
        let (ub, cb) = match (ub, cb) {
            (Stop::Batch(ub), Stop::Batch(cb)) => (ub, cb),
            (Stop::Done(u), Stop::Done(c)) => break (u, c),
            (Stop::Blocked, _) | (_, Stop::Blocked) => {
                assert!(!(to_user.is_empty() && to_cloud.is_empty()), "deadlock");
                continue;
            }
            _ => panic!("the parties are at different steps"),
        };
        assert_eq!(ub.circuit, cb.circuit, "both run the same batch");
        assert!(ub.garbler && !cb.garbler, "the user garbles");
        let c = user.circuit(ub.circuit).expect("circuit");
        let outs: Vec<Vec<bool>> = ub
            .bits
            .iter()
            .zip(&cb.bits)
            .map(|(g, e)| c.circuit().simulate(&plain_inputs(c, g, e)))
            .collect();
        let to_user_party = ub.reveal == Reveal::Garbler;
        user.garbled(to_user_party.then(|| outs.clone()))
            .expect("user batch");
        cloud
            .garbled((!to_user_party).then_some(outs))
            .expect("cloud batch");
        batches += 1;
    };
    assert!(
        user.poll(&mut urng).is_err(),
        "a finished run stays finished"
    );
    let q: Vec<Vec<i64>> = f.inputs.iter().map(|p| f.model.forward(p).0).collect();
    let want = model::pixel::image_pixels(&FIXED, &f.layout, &f.inputs, &q).expect("pixels");
    assert_eq!(u.pixels, want, "pixel for pixel the fixed-point reference");
    assert!(c.pixels.is_empty(), "the cloud learns no pixel");
    assert_eq!(c.patches, f.inputs.len());
    let view = c.view.expect("recorded view");
    assert_eq!(view.activations.len(), 3 * f.inputs.len());
    assert!(
        batches >= 2,
        "one activation batch and at least one output batch"
    );
    assert!(user.circuit(GcCircuit::Output(0)).is_ok());
}

#[test]
fn the_cloud_core_refuses_a_header_of_another_engine_or_too_many_patches() {
    let f = fixture();
    let user_core = PartyCore::user(
        CrossEngine::Rlwe,
        &f.user,
        &f.shares.0,
        &f.circuit,
        &f.inputs,
        &f.layout,
    )
    .expect("user core");
    let header = user_core.header().expect("header");
    let new_cloud = || {
        let pk = f.user.public_key();
        PartyCore::cloud(CrossEngine::Paillier, pk, &f.shares.1, &f.circuit, false)
            .expect("cloud core")
    };
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut cloud = new_cloud();
    assert!(matches!(
        cloud.poll(&mut rng),
        Ok(Action::Recv(Op::RecvHeader, _))
    ));
    let err = cloud
        .receive(Msg::ToCloud(UserMsg::Header(header)))
        .expect_err("other engine");
    assert!(err.to_string().contains("rlwe"), "{err}");
    let mut cloud = new_cloud();
    let huge = ImageHeader {
        patches: MAX_PATCHES + 1,
        engine: CrossEngine::Paillier.code(),
        ..header
    };
    let err = cloud
        .receive(Msg::ToCloud(UserMsg::Header(huge)))
        .expect_err("huge");
    assert!(err.to_string().contains("patches"), "{err}");
    // A message from the wrong direction or of the wrong kind is refused, not taken.
    let mut cloud = new_cloud();
    let base = f
        .user
        .public_key()
        .encrypt(&paillier::BigUint::from(1u8), &mut rng)
        .expect("enc");
    let wrong = Msg::ToUser(CloudMsg::Key(crate::fast::exchange::KeyMsg::Paillier(base)));
    assert!(cloud.receive(wrong).is_err());
}
