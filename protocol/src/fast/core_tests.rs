//! Core-level tests: both parties' state machines driven by scripted messages, with no
//! channel and no garbling (each garbled batch is simulated on the plain circuit from both
//! parties' input bits), checked against the plaintext fixed-point reference.

use super::lane::join_rows;
use super::*;
use crate::fast::msg::{CloudMsg, GcCircuit};
use crate::fast::schedule::{Action, At, Chunking, Op, schedule};
use crate::fast::{CloudOutputOrShare, simulate_setup};
use crate::upload::EncryptedModel;
use compiler::Party;
use model::fixed::{FIXED, FixedMlp};
use model::patches::PatchGeometry;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::Arc;

/// What a party sends or reads at step `op`, as (sent by the user, message, unit).
fn message(side: Side, op: Op) -> Option<(bool, &'static str, Option<At>)> {
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
        Op::Activation(l, _) => Some((true, "garbled activation", Some(l))),
        Op::Output => Some((true, "output circuits", None)),
        _ => None,
    }
}

fn at(layer: usize, chunk: usize) -> At {
    At { layer, chunk }
}

#[test]
fn schedules_pair_every_message_with_the_peers_read_in_order() {
    for (layers, chunks) in (1..=4).flat_map(|l| (1..=3).map(move |c| (l, c))) {
        let user: Vec<_> = schedule(Side::User, layers, chunks)
            .into_iter()
            .filter_map(|op| message(Side::User, op))
            .collect();
        let cloud: Vec<_> = schedule(Side::Cloud, layers, chunks)
            .into_iter()
            .filter_map(|op| message(Side::Cloud, op))
            .collect();
        assert_eq!(user, cloud, "{layers} layers, {chunks} chunks");
        for c in 0..chunks {
            // Layer 1 has no cloud inputs and no products toward the cloud (a_C = −B public).
            assert!(!user.contains(&(false, "inputs", Some(at(0, c)))));
            assert!(!user.contains(&(true, "products", Some(at(0, c)))));
            assert!(user.contains(&(false, "products", Some(at(0, c)))));
        }
        let gcs = user.iter().filter(|m| m.1 == "garbled activation").count();
        assert_eq!(
            gcs,
            (layers - 1) * chunks,
            "one activation batch per hidden layer and chunk"
        );
    }
    // The user sends its products before reading the cloud's; the cloud the other way round.
    for chunks in 1..=3 {
        let pos = |side, op| schedule(side, 2, chunks).iter().position(|&o| o == op);
        let u = at(1, chunks - 1);
        assert!(pos(Side::User, Op::SendProducts(u)) < pos(Side::User, Op::RecvProducts(u)));
        assert!(pos(Side::Cloud, Op::RecvProducts(u)) < pos(Side::Cloud, Op::SendProducts(u)));
    }
}

#[test]
fn the_chunked_schedule_interleaves_the_next_chunks_products_with_the_activations() {
    for side in [Side::User, Side::Cloud] {
        let ops = schedule(side, 3, 2);
        let pos = |op: Op| ops.iter().position(|&o| o == op).expect("scheduled");
        let act = |l, c| {
            ops.iter()
                .position(|o| matches!(o, Op::Activation(a, _) if *a == at(l, c)))
                .expect("activation scheduled")
        };
        let msg = |l, c, inputs: bool| {
            let mine = match (side, inputs) {
                (Side::User, true) => Op::SendInputs(at(l, c)),
                (Side::User, false) => Op::RecvProducts(at(l, c)),
                (Side::Cloud, true) => Op::RecvInputs(at(l, c)),
                (Side::Cloud, false) => Op::SendProducts(at(l, c)),
            };
            pos(mine)
        };
        // Chunk 2's cross product 1 straddles chunk 1's activations, in every layer...
        for l in 0..2 {
            assert!(msg(l, 1, true) < act(l, 0) && act(l, 0) < msg(l, 1, false));
        }
        // ...and the next layer's chunk 1 starts before this layer's chunk 2 is activated.
        assert!(pos(Op::Local(at(1, 0))) < act(0, 1));
        assert!(act(0, 0) < pos(Op::Local(at(1, 0))));
        assert!(pos(Op::Local(at(2, 0))) < act(1, 1));
        // Products beside a batch are those of the next unit, whose inputs came before.
        for (t, op) in ops.iter().enumerate() {
            if let Op::Activation(_, Some(next)) = *op {
                assert!(ops[..t].contains(&Op::Local(next)), "{op:?}");
                assert!(!ops.contains(&Op::Multiply(next)), "{op:?} computed twice");
            }
        }
    }
    // The cloud multiplies beside every batch; the user from layer 2 on (layer 1's a_C is
    // public, the user has no product there).
    let beside = |side| {
        schedule(side, 3, 2)
            .into_iter()
            .filter(|o| matches!(o, Op::Activation(_, Some(_))))
            .count()
    };
    assert_eq!(beside(Side::Cloud), 4);
    assert_eq!(beside(Side::User), 3);
    // One chunk: nothing beside, each layer's linear part before its activations.
    assert!(
        schedule(Side::Cloud, 3, 1)
            .iter()
            .all(|o| !matches!(o, Op::Activation(_, Some(_))))
    );
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
    let model = testkit::models::tiny();
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
    (trace, works): (&mut Vec<Op>, &mut usize),
) -> Stop {
    loop {
        let action = core.poll(rng).expect("step");
        match &action {
            Action::Send(op, _) | Action::Garble(op, _) | Action::GarbleBeside(op, _, _) => {
                trace.push(*op)
            }
            Action::Recv(op, _) if !inbox.is_empty() => trace.push(*op),
            _ => {}
        }
        match action {
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
            Action::GarbleBeside(_, batch, work) => {
                // What a runner computes on its second thread, here before the batch.
                let done = core.work(&work).expect("work");
                core.worked(done).expect("worked");
                *works += 1;
                return Stop::Batch(batch);
            }
            Action::Done(f) => return Stop::Done(f),
        }
    }
}

/// A run of both cores on scripted messages: their results, the image's last-layer
/// outputs `z_U + z_C mod 2^k` (`[value][patch]`), the user's wire events in order and the
/// count of garbled batches and of works computed beside one.
struct Run {
    user: Finished,
    cloud: Finished,
    outputs: Vec<u64>,
    trace: Vec<Op>,
    batches: usize,
    beside: usize,
}

/// The user's core of the fixture's image, linear layers on `engine`.
fn user_core(f: &Fixture, engine: CrossEngine) -> PartyCore<'_> {
    let (sk, share) = (&f.user, &f.shares.0);
    PartyCore::user(engine, sk, share, &f.circuit, &f.inputs, &f.layout).expect("user core")
}

/// The cloud's core of the fixture, linear layers on `engine`.
fn cloud_core(f: &Fixture, engine: CrossEngine, record_view: bool) -> PartyCore<'_> {
    let (pk, share) = (f.user.public_key(), &f.shares.1);
    PartyCore::cloud(engine, pk, share, &f.circuit, record_view).expect("cloud core")
}

fn run_cores(f: &Fixture, engine: CrossEngine, chunking: Chunking) -> Run {
    let mut user = user_core(f, engine)
        .with_chunking(chunking)
        .expect("chunking");
    let mut cloud = cloud_core(f, engine, true);
    let (mut urng, mut crng) = (ChaCha20Rng::seed_from_u64(1), ChaCha20Rng::seed_from_u64(2));
    let (mut to_cloud, mut to_user) = (Vec::new(), Vec::new());
    let (mut trace, mut ctrace) = (Vec::new(), Vec::new());
    let (mut batches, mut beside, mut cbeside) = (0, 0, 0);
    let (u, c) = loop {
        let ub = advance(
            &mut user,
            &mut to_user,
            &mut to_cloud,
            &mut urng,
            (&mut trace, &mut beside),
        );
        let cb = advance(
            &mut cloud,
            &mut to_cloud,
            &mut to_user,
            &mut crng,
            (&mut ctrace, &mut cbeside),
        );
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
    beside += cbeside;
    assert!(user.circuit(GcCircuit::Output(0)).is_ok());
    let ring = f.shares.0.ring;
    let m = f.model.layers.last().expect("layers").outputs;
    let zu = join_rows(&user.lanes, m, f.inputs.len()).expect("user shares");
    let zc = join_rows(&cloud.lanes, m, f.inputs.len()).expect("cloud shares");
    let outputs = zu.iter().zip(&zc).map(|(&a, &b)| ring.add(a, b)).collect();
    Run {
        user: u,
        cloud: c,
        outputs,
        trace,
        batches,
        beside,
    }
}

#[test]
fn two_cores_on_scripted_messages_give_the_reference_pixels() {
    let f = fixture();
    let Run {
        user: u,
        cloud: c,
        batches,
        ..
    } = run_cores(&f, CrossEngine::Paillier, Chunking::Whole);
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
}

#[test]
fn chunked_runs_give_the_unchunked_runs_shares_and_interleave_on_the_wire() {
    let f = fixture();
    let ring = f.shares.0.ring;
    // The reference's last-layer outputs, [value][patch] mod 2^k.
    let q: Vec<Vec<i64>> = f.inputs.iter().map(|p| f.model.forward(p).0).collect();
    let want: Vec<u64> = (0..q[0].len())
        .flat_map(|i| q.iter().map(move |p| ring.from_signed(p[i])))
        .collect();
    for engine in CrossEngine::ALL {
        let whole = run_cores(&f, engine, Chunking::Whole);
        assert_eq!(whole.outputs, want, "{engine}: unchunked shares");
        assert_eq!(whole.beside, 0);
        for chunks in [2, 3] {
            let run = run_cores(&f, engine, Chunking::Chunks(chunks));
            assert_eq!(
                run.outputs, whole.outputs,
                "{engine}, {chunks} chunks: shares"
            );
            assert_eq!(
                run.user.pixels, whole.user.pixels,
                "{engine}, {chunks} chunks"
            );
            let view = run.cloud.view.expect("view");
            assert_eq!(view.activations.len(), 3 * f.inputs.len());
            // One activation batch per chunk (one hidden layer), the same output batches.
            assert_eq!(run.batches, whole.batches + chunks - 1);
            // On the wire: chunk 2's inputs go out before chunk 1's activations and its
            // products come back after them; layer 2 starts before chunk 2's activations.
            let pos =
                |want: &dyn Fn(&Op) -> bool| run.trace.iter().position(want).expect("in the trace");
            let act = |c| pos(&|o| matches!(o, Op::Activation(a, _) if *a == at(0, c)));
            assert!(pos(&|o| *o == Op::SendInputs(at(0, 1))) < act(0));
            assert!(act(0) < pos(&|o| *o == Op::RecvProducts(at(0, 1))));
            assert!(pos(&|o| *o == Op::SendInputs(at(1, 0))) < act(chunks - 1));
            // Products computed beside batches: the cloud's beside every activation batch,
            // the user's beside the last one (its first product is in layer 2).
            assert_eq!(run.beside, chunks + 1, "{engine}, {chunks} chunks");
        }
    }
}

#[test]
fn the_cloud_core_refuses_a_header_of_another_engine_or_too_many_patches() {
    let f = fixture();
    let header = user_core(&f, CrossEngine::Rlwe).header().expect("header");
    let new_cloud = || cloud_core(&f, CrossEngine::Paillier, false);
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
    // Chunks of no patch, or more patches than the image, are refused by name.
    for chunk in [0, f.inputs.len() as u64 + 1] {
        let mut cloud = new_cloud();
        let bad = ImageHeader {
            chunk,
            engine: CrossEngine::Paillier.code(),
            ..header
        };
        let err = cloud
            .receive(Msg::ToCloud(UserMsg::Header(bad)))
            .expect_err("bad chunk");
        assert!(err.to_string().contains("chunks of"), "{err}");
    }
    let ok = ImageHeader {
        chunk: 1,
        engine: CrossEngine::Paillier.code(),
        ..header
    };
    let mut cloud = new_cloud();
    cloud
        .receive(Msg::ToCloud(UserMsg::Header(ok)))
        .expect("3 chunks of 1");
    assert_eq!(cloud.chunks(), 3);
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

#[test]
fn the_cloud_core_refuses_an_image_header_of_another_session_naming_both() {
    let f = fixture();
    let (a, b) = ([0xa1; 32], [0xb2; 32]);
    let user = user_core(&f, CrossEngine::Paillier).in_session(a);
    let header = user.header().expect("header");
    assert_eq!(header.session, a, "the user's header carries its session");
    // Through the wire form: the id is the header's last 32 bytes.
    let bytes = user
        .encode(&Msg::ToCloud(UserMsg::Header(header)))
        .expect("encode");
    assert_eq!(bytes[bytes.len() - 32..], a);
    let cloud_in = |session| cloud_core(&f, CrossEngine::Paillier, false).in_session(session);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let mut cloud = cloud_in(b);
    assert!(matches!(
        cloud.poll(&mut rng),
        Ok(Action::Recv(Op::RecvHeader, _))
    ));
    let msg = cloud.decode(&bytes).expect("well-formed header");
    let err = cloud.receive(msg).expect_err("another session");
    assert_eq!(err.phase(), "image header");
    testkit::sessions::assert_names_both_sessions(&err.to_string(), 0xa1, 0xb2);
    assert_eq!(cloud.patches(), 0, "nothing of the header was taken");
    // Control: the same bytes in their own session are accepted.
    let mut cloud = cloud_in(a);
    assert!(cloud.poll(&mut rng).is_ok());
    let msg = cloud.decode(&bytes).expect("well-formed header");
    cloud.receive(msg).expect("same session");
    assert_eq!(cloud.patches(), f.inputs.len());
}

#[test]
fn the_cloud_core_takes_the_users_garbling_scheme_and_refuses_an_unknown_one() {
    let f = fixture();
    let user_with = |scheme| {
        user_core(&f, CrossEngine::Paillier)
            .with_scheme(scheme)
            .expect("scheme before the run")
    };
    let new_cloud = || cloud_core(&f, CrossEngine::Paillier, false);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    for scheme in Scheme::ALL {
        let header = user_with(scheme).header().expect("header");
        assert_eq!(header.scheme, u64::from(scheme.code()), "{scheme}");
        let mut cloud = new_cloud();
        assert_eq!(cloud.scheme(), Scheme::HalfGates, "before the header");
        cloud.poll(&mut rng).expect("waits for the header");
        cloud
            .receive(Msg::ToCloud(UserMsg::Header(header)))
            .expect("a known scheme is taken");
        assert_eq!(cloud.scheme(), scheme, "the cloud follows the header");
    }
    let header = user_with(Scheme::ThreeHalves).header().expect("header");
    for code in [0, 3, 1 << 8] {
        let mut cloud = new_cloud();
        cloud.poll(&mut rng).expect("waits for the header");
        let bad = ImageHeader {
            scheme: code,
            ..header
        };
        let err = cloud
            .receive(Msg::ToCloud(UserMsg::Header(bad)))
            .expect_err("unknown scheme");
        let text = err.to_string();
        assert!(
            text.contains(&format!("garbling scheme code {code}")),
            "{text}"
        );
        assert!(text.contains("image header"), "{text}");
    }
    // Only the user chooses, and only before its run starts; the cloud cannot.
    assert!(new_cloud().with_scheme(Scheme::ThreeHalves).is_err());
}
