//! The setup cores driven by hand: the cloud's messages handed to the user's core with no
//! channel (as typed messages, and through their wire form), the shares checked against the
//! plaintext model (`W_U − α = W mod 2^k` for every weight and bias); everything the user
//! did not expect refused naming the field; the masks' bounds at their extremes.

use super::*;
use crate::fast::msg::Framing;
use crate::fast::ring::SIGMA;
use crate::fast::setup_msg::SetupHeader;
use model::fixed::{FIXED, FixedMlp};
use rand::SeedableRng;

/// The session of these runs (as a channel's id would be).
const SESSION: [u8; 32] = [0xa1; 32];

/// Keys (512-bit: 5 slots of 91 bits per setup ciphertext), a model with a 9 → 40 layer (80
/// packed ciphertexts: more than one decryption chunk) and its upload.
struct Fixture {
    user: SecretKey,
    cloud: Arc<SecretKey>,
    model: FixedMlp,
    enc: EncryptedModel,
    ring: Ring,
}

fn fixture() -> Fixture {
    let mut rng = ChaCha20Rng::seed_from_u64(31);
    let user = SecretKey::generate_any_size(512, &mut rng).expect("user key");
    let cloud = Arc::new(SecretKey::generate_any_size(512, &mut rng).expect("cloud key"));
    let model = testkit::models::random(&[9, 40, 1], 32);
    let owner = crate::upload::OwnerKey::from_seed(&[7; 32]);
    let enc = EncryptedModel::encrypt_with_rng(&model, user.public_key(), &owner, &mut rng)
        .expect("upload");
    let ring = Ring::new(FIXED.ring_bits).expect("ring");
    Fixture {
        user,
        cloud,
        model,
        enc,
        ring,
    }
}

/// Every message of one cloud core (seeded), with the cloud's share at the end.
fn cloud_messages(f: &Fixture, seed: u64) -> (Vec<SetupMsg>, ModelShare) {
    let mut core = CloudSetup::new(
        f.user.public_key(),
        &f.enc,
        f.cloud.clone(),
        f.ring,
        SESSION,
    )
    .expect("cloud core");
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut msgs = Vec::new();
    loop {
        match core.poll(&mut rng).expect("cloud step") {
            CloudStep::Computed(_) => {}
            CloudStep::Send(m) => msgs.push(m),
            CloudStep::Done(share) => return (msgs, *share),
        }
    }
}

/// Runs the user's core on `msgs` (through the wire form when `wire`); returns its share
/// and the values it reported decrypted.
fn user_run(
    f: &Fixture,
    msgs: Vec<SetupMsg>,
    wire: bool,
) -> Result<(ModelShare, u64), ProtocolError> {
    user_run_in(f, msgs, wire, SESSION)
}

/// [`user_run`] with the user's core in session `session`.
fn user_run_in(
    f: &Fixture,
    msgs: Vec<SetupMsg>,
    wire: bool,
    session: [u8; 32],
) -> Result<(ModelShare, u64), ProtocolError> {
    let shapes = f.enc.shapes();
    let mut core = UserSetup::new(&f.user, &shapes, f.ring, session)?;
    let mut msgs = msgs.into_iter();
    let mut decrypted = 0;
    loop {
        match core.poll()? {
            UserStep::Recv(expect) => {
                let msg = msgs
                    .next()
                    .expect("the cloud sent a message for every read");
                let msg = if wire {
                    let bytes = msg.to_bytes(f.user.public_key());
                    let body = match expect.framing {
                        // The runner strips the length prefix.
                        Framing::Prefixed { max } => {
                            assert!(bytes.len() - 8 <= max, "{}", expect.phase);
                            bytes[8..].to_vec()
                        }
                        framing => {
                            assert_eq!(bytes.len(), framing.bytes(), "{}", expect.phase);
                            bytes
                        }
                    };
                    core.decode(&body)?
                } else {
                    msg
                };
                core.receive(msg)?;
            }
            UserStep::Decrypted(n) => decrypted += n,
            UserStep::Done(share) => {
                assert!(msgs.next().is_none(), "every message was read");
                assert_eq!(decrypted, core.values());
                return Ok((*share, decrypted));
            }
        }
    }
}

/// `W_U − α = W (mod 2^k)` for every weight and bias of `model`.
fn assert_reconstructs(user: &ModelShare, cloud: &ModelShare, model: &FixedMlp, ring: Ring) {
    assert_eq!(user.layers.len(), model.layers.len());
    for ((u, c), l) in user.layers.iter().zip(&cloud.layers).zip(&model.layers) {
        assert_eq!((u.inputs, u.outputs), (l.inputs, l.outputs));
        assert_eq!((c.inputs, c.outputs), (l.inputs, l.outputs));
        let plain = l.weights.iter().chain(&l.bias);
        let shares = u
            .weights
            .iter()
            .chain(&u.bias)
            .zip(c.weights.iter().chain(&c.bias));
        assert_eq!(plain.clone().count(), shares.clone().count());
        for ((&wu, &a), &w) in shares.zip(plain) {
            assert_eq!(ring.sub(wu, a), ring.from_signed(w));
        }
    }
}

#[test]
fn scripted_messages_reshare_the_model_exactly_typed_and_on_the_wire() {
    let f = fixture();
    let (msgs, cloud_share) = cloud_messages(&f, 7);
    // Header, shapes, key, binding, one message per layer.
    assert_eq!(msgs.len(), 4 + f.model.layers.len());
    let (typed, n) = user_run(&f, msgs.clone(), false).expect("typed run");
    assert_eq!(n, 9 * 40 + 40 + 40 + 1);
    let (wired, _) = user_run(&f, msgs, true).expect("wire run");
    for user in [&typed, &wired] {
        assert_reconstructs(user, &cloud_share, &f.model, f.ring);
        assert_eq!(user.binding, cloud_share.binding);
        assert_eq!(user.binding.model_hash, f.enc.model_hash());
        let ShareKey::CloudPublic(pk) = &user.key else {
            panic!("the user keeps the cloud's public key");
        };
        assert_eq!(pk, f.cloud.public_key());
    }
    assert_eq!(typed.layers, wired.layers);
    // Another seed: other masks, other pair id, the same model.
    let (msgs, other) = cloud_messages(&f, 8);
    let (user, _) = user_run(&f, msgs, true).expect("second run");
    assert_reconstructs(&user, &other, &f.model, f.ring);
    assert_ne!(other.binding.pair_id, cloud_share.binding.pair_id);
    assert_ne!(other.layers[0].weights, cloud_share.layers[0].weights);
}

#[test]
fn the_user_refuses_what_it_did_not_expect_naming_the_field() {
    let f = fixture();
    let (msgs, _) = cloud_messages(&f, 9);
    let SetupMsg::Header(h) = msgs[0].clone() else {
        panic!("the header comes first");
    };
    let with_header = |h: SetupHeader| {
        let mut m = msgs.clone();
        m[0] = SetupMsg::Header(h);
        m
    };
    let error = |m: Vec<SetupMsg>| {
        let e = user_run(&f, m, true).map(|_| ()).expect_err("refused");
        (e.phase(), e.to_string())
    };
    for (bad, field) in [
        (SetupHeader { magic: 1, ..h }, "magic: peer says 1"),
        (SetupHeader { version: 2, ..h }, "version: peer says 2"),
        (
            SetupHeader { ring_bits: 39, ..h },
            "ring bits: peer says 39",
        ),
        (
            SetupHeader { user_key: 0, ..h },
            "user key fingerprint: peer says 0",
        ),
        (SetupHeader { layers: 3, ..h }, "3 layers, expected 2"),
    ] {
        let (phase, text) = error(with_header(bad));
        assert_eq!(phase, "setup header");
        assert!(text.contains(field), "{text}");
    }
    let mut shapes = msgs.clone();
    shapes[1] = SetupMsg::Shapes(vec![(9, 40), (40, 2)]);
    let (phase, text) = error(shapes);
    assert_eq!(phase, "setup header");
    assert!(text.contains("layer 1 is 40→2, expected 40→1"), "{text}");
    // A message of the wrong kind, and a layer of the wrong size (typed).
    let mut swapped = msgs.clone();
    swapped.swap(2, 3);
    let e = user_run(&f, swapped, false).map(|_| ()).expect_err("kind");
    assert!(
        e.to_string()
            .contains("the share binding while waiting for the cloud's key"),
        "{e}"
    );
    let mut short = msgs.clone();
    if let SetupMsg::Layer(cts) = &mut short[4] {
        cts.pop();
    }
    let e = user_run(&f, short, false)
        .map(|_| ())
        .expect_err("short layer");
    assert_eq!(e.phase(), "setup ciphertexts");
    // A binding of 63 bytes, read off the wire.
    let shapes = f.enc.shapes();
    let mut core = UserSetup::new(&f.user, &shapes, f.ring, SESSION).expect("core");
    for m in &msgs[..3] {
        let UserStep::Recv(expect) = core.poll().expect("poll") else {
            panic!("a read");
        };
        let bytes = m.to_bytes(f.user.public_key());
        let body = if matches!(expect.framing, Framing::Prefixed { .. }) {
            &bytes[8..]
        } else {
            &bytes[..]
        };
        core.receive(core.decode(body).expect("decode"))
            .expect("receive");
    }
    let e = core.decode(&[0; 63]).expect_err("short binding");
    assert_eq!(e.phase(), "setup share binding");
    assert!(e.to_string().contains("63 bytes, expected 64"), "{e}");
}

#[test]
fn a_setup_of_another_session_is_refused_naming_both_ids() {
    let f = fixture();
    let (msgs, cloud_share) = cloud_messages(&f, 10);
    let SetupMsg::Header(h) = &msgs[0] else {
        panic!("the header comes first");
    };
    assert_eq!(h.session, SESSION, "the cloud's header carries its session");
    // The wire form ends in the session id.
    let bytes = msgs[0].to_bytes(f.user.public_key());
    assert_eq!(bytes.len(), 5 * 8 + 32);
    assert_eq!(bytes[40..], SESSION);
    // Session A's messages replayed to a user in session B: refused at the header, both ids
    // named, typed and through the wire form.
    for wire in [false, true] {
        let e = user_run_in(&f, msgs.clone(), wire, [0xb2; 32])
            .map(|_| ())
            .expect_err("another session");
        assert_eq!(e.phase(), "setup header");
        testkit::sessions::assert_names_both_sessions(&e.to_string(), 0xa1, 0xb2);
    }
    // Control: the same messages in their own session re-share the model.
    let (user, _) = user_run_in(&f, msgs, true, SESSION).expect("same session");
    assert_reconstructs(&user, &cloud_share, &f.model, f.ring);
}

#[test]
fn masks_at_the_extremes_hide_every_weight_within_the_counted_bound() {
    for k in [8u32, 40, 63] {
        let ring = Ring::new(k).expect("ring");
        let (lo, hi) = (mask_from(&ring, 0), mask_from(&ring, u128::MAX));
        // t ∈ [2^(k−1), 2^(k−1) + 2^(k+σ_s)): exactly 2^(k+σ_s) values.
        assert_eq!(lo, 1u128 << (k - 1));
        assert_eq!(hi - lo + 1, 1u128 << (k + SETUP_SIGMA));
        // t mod 2^k takes every value equally often: lo ≡ 2^(k−1) and the range is a
        // multiple of 2^k.
        assert_eq!((hi - lo + 1) % (1u128 << k), 0);
        // W + t for the extreme signed weights stays in [0, 2^(k+σ_s+1)): the slots of
        // `setup_layout(SETUP_SIGMA, ·)` never carry.
        let (w_min, w_max) = (-(1i128 << (k - 1)), (1i128 << (k - 1)) - 1);
        assert!(w_min + lo as i128 >= 0);
        let top = w_max + hi as i128;
        let width = ring
            .setup_layout(SETUP_SIGMA, 2048)
            .expect("layout")
            .width();
        assert!(
            top < 1i128 << width,
            "k = {k}: {top} needs more than {width} bits"
        );
        // One sample: |W| / 2^(k+σ_s) ≤ 2^(−σ_s−1); MAX_RESHARINGS samples: ≤ 2^−40.
        let per_sample = (1u128 << (k - 1)) as f64 / (hi - lo + 1) as f64;
        assert_eq!(per_sample, 2f64.powi(-(SETUP_SIGMA as i32) - 1));
        assert!(per_sample * MAX_RESHARINGS as f64 <= 2f64.powi(-(SIGMA as i32)));
    }
}
