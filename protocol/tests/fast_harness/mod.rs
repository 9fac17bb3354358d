//! One party of the fast protocol (tiny 1x1 → 3 → 1x1 model, 512-bit test keys, a 3x1 image)
//! whose peer is a byte script. Shared, by `#[path]`, between `protocol/tests/fast_wire.rs`
//! and the fuzz target `fast_wire`, so a fuzz input and a regression test run the same code.
//!
//! Input format: byte 0 picks the role from [`ROLES`] (modulo its length), the rest is what
//! the party reads from its peer. Keys, model, inputs and both parties' randomness come from
//! fixed seeds, so a transcript recorded in an honest run ([`honest_transcripts`]) replays
//! to the same result.
#![allow(dead_code)]

use gcc_nn_protocol::BridgeError;
use gcc_nn_protocol::fast::pairing::{
    cloud_offer, cloud_read_answer, user_answer, user_read_offer,
};
use gcc_nn_protocol::fast::{
    EncryptedModel, ModelShare, Ring, ShareCircuit, cloud_setup, run_cloud, run_user, user_setup,
};
use model::fixed::{FIXED, FixedMlp};
use model::patches::{ImageLayout, PatchGeometry};
use paillier::SecretKey;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::{Channel, MemChannel};
use runtime::scripted::{RecordingChannel, ScriptedChannel};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Who reads the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The user's whole job: pairing offer, setup messages, image messages.
    UserJob,
    /// The cloud's whole job: pairing answer, then the image messages.
    CloudJob,
    /// The user's image run with stored shares.
    UserImage,
    /// The cloud's image run with stored shares.
    CloudImage,
}

/// The roles byte 0 chooses from.
pub(crate) const ROLES: [Role; 4] = [
    Role::UserJob,
    Role::CloudJob,
    Role::UserImage,
    Role::CloudImage,
];
const USER_SEED: u64 = 0x7573_6572;
const CLOUD_SEED: u64 = 0x636c_6f75;

/// Everything fixed: keys, model, its upload, the circuit, shares of one setup, inputs.
pub(crate) struct Fixture {
    /// The user's key.
    pub(crate) user: SecretKey,
    /// The cloud's key.
    pub(crate) cloud: Arc<SecretKey>,
    /// The plaintext model.
    pub(crate) model: FixedMlp,
    /// Its upload under the user's key.
    pub(crate) enc: EncryptedModel,
    /// The share activation circuit.
    pub(crate) circuit: ShareCircuit,
    /// Shares of one honest setup (user, cloud).
    pub(crate) shares: (ModelShare, ModelShare),
    /// The user's input patches.
    pub(crate) inputs: Vec<Vec<i64>>,
    /// The image they cut (3x1 pixels, one patch per pixel).
    pub(crate) layout: ImageLayout,
}

impl Fixture {
    /// The image's pixels by the plaintext fixed-point reference (what an honest run gives).
    pub(crate) fn reference_pixels(&self) -> Vec<u8> {
        let q: Vec<Vec<i64>> = self
            .inputs
            .iter()
            .map(|p| self.model.forward(p).0)
            .collect();
        model::pixel::image_pixels(&self.model.params, &self.layout, &self.inputs, &q)
            .unwrap_or_else(|e| fail("reference pixels", e))
    }
}

fn fail(what: &str, e: impl std::fmt::Display) -> ! {
    panic!("fast harness fixture: {what}: {e}")
}

/// The fixture (built once).
pub(crate) fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let user = SecretKey::generate_any_size(512, &mut rng).unwrap_or_else(|e| fail("key", e));
        let cloud = Arc::new(
            SecretKey::generate_any_size(512, &mut rng).unwrap_or_else(|e| fail("key", e)),
        );
        let model = testkit::models::tiny();
        let enc = EncryptedModel::encrypt_with_rng(
            &model,
            user.public_key(),
            &gcc_nn_protocol::upload::OwnerKey::from_seed(&[7; 32]),
            &mut rng,
        )
        .unwrap_or_else(|e| fail("upload", e));
        let circuit = ShareCircuit::for_activation(
            &activation::Activation::shipped("tanh").expect("tanh"),
            &FIXED,
        )
        .unwrap_or_else(|e| fail("circuit", e));
        let shares = honest_setup(&user, &cloud, &enc);
        let inputs = vec![vec![32_767], vec![-32_767], vec![1234]];
        let geometry = PatchGeometry::new(1, 1, 1).unwrap_or_else(|e| fail("geometry", e));
        let layout = ImageLayout::new(3, 1, geometry).unwrap_or_else(|e| fail("layout", e));
        Fixture {
            user,
            cloud,
            model,
            enc,
            circuit,
            shares,
            inputs,
            layout,
        }
    })
}

fn ring() -> Ring {
    Ring::new(FIXED.ring_bits).unwrap_or_else(|e| fail("ring", e))
}

fn honest_setup(
    user: &SecretKey,
    cloud: &Arc<SecretKey>,
    enc: &EncryptedModel,
) -> (ModelShare, ModelShare) {
    let (mut a, mut b) = MemChannel::pair(Duration::from_secs(60));
    std::thread::scope(|s| {
        let c = s.spawn(move || {
            cloud_setup(
                &mut b,
                user.public_key(),
                enc,
                cloud.clone(),
                ring(),
                &mut ChaCha20Rng::seed_from_u64(CLOUD_SEED),
            )
        });
        let u = user_setup(&mut a, user, &enc.shapes(), ring());
        let c = c
            .join()
            .unwrap_or_else(|_| fail("setup", "cloud thread panicked"));
        (
            u.unwrap_or_else(|e| fail("user setup", e)),
            c.unwrap_or_else(|e| fail("cloud setup", e)),
        )
    })
}

fn role(data: &[u8]) -> (Role, &[u8]) {
    match data.split_first() {
        Some((&r, rest)) => (ROLES[r as usize % ROLES.len()], rest),
        None => (ROLES[0], data),
    }
}

/// What a run returns: the user's 8-bit pixels, or nothing for the cloud.
pub(crate) type Outcome = Option<Vec<u8>>;

/// Runs `role` against whatever peer is on `ch`.
pub(crate) fn run_role<C: Channel>(role: Role, ch: &mut C) -> Result<Outcome, BridgeError> {
    let f = fixture();
    let (user_pk, r) = (f.user.public_key(), ring());
    match role {
        Role::UserJob => {
            let mut rng = ChaCha20Rng::seed_from_u64(USER_SEED);
            let offer = user_read_offer(ch)?;
            user_answer(ch, None)?;
            let _ = offer;
            let share = user_setup(ch, &f.user, &f.enc.shapes(), r)?;
            run_user(
                ch, &f.user, &share, &f.circuit, &f.inputs, &f.layout, &mut rng,
            )
            .map(|o| Some(o.pixels))
        }
        Role::CloudJob => {
            let mut rng = ChaCha20Rng::seed_from_u64(CLOUD_SEED);
            cloud_offer(ch, &f.enc.model_hash(), Some(&f.shares.1.binding))?;
            let share = if cloud_read_answer(ch, Some(&f.shares.1.binding))? {
                f.shares.1.clone()
            } else {
                cloud_setup(ch, user_pk, &f.enc, f.cloud.clone(), r, &mut rng)?
            };
            run_cloud(ch, user_pk, &share, &f.circuit, false, &mut rng).map(|_| None)
        }
        Role::UserImage => {
            let mut rng = ChaCha20Rng::seed_from_u64(USER_SEED);
            run_user(
                ch,
                &f.user,
                &f.shares.0,
                &f.circuit,
                &f.inputs,
                &f.layout,
                &mut rng,
            )
            .map(|o| Some(o.pixels))
        }
        Role::CloudImage => {
            let mut rng = ChaCha20Rng::seed_from_u64(CLOUD_SEED);
            run_cloud(ch, user_pk, &f.shares.1, &f.circuit, false, &mut rng).map(|_| None)
        }
    }
}

/// The role of `data[0]` reading `data[1..]` from its peer.
pub(crate) fn run_script(data: &[u8]) -> Result<Outcome, BridgeError> {
    let (role, script) = role(data);
    run_role(role, &mut ScriptedChannel::new(script))
}

/// The peer of `role` in an honest run.
fn peer(role: Role) -> Role {
    match role {
        Role::UserJob => Role::CloudJob,
        Role::CloudJob => Role::UserJob,
        Role::UserImage => Role::CloudImage,
        Role::CloudImage => Role::UserImage,
    }
}

/// For every role: the fuzz input (role byte + what it received) of an honest run, and the
/// user's outputs of that run.
pub(crate) fn honest_transcripts() -> Vec<(Vec<u8>, Outcome)> {
    ROLES
        .iter()
        .enumerate()
        .map(|(code, &r)| {
            let (a, b) = MemChannel::pair(Duration::from_secs(60));
            let (received, out, peer_out) = std::thread::scope(|s| {
                let p = s.spawn(move || {
                    let mut b = b;
                    run_role(peer(r), &mut b)
                });
                let mut ch = RecordingChannel::new(a);
                let out = run_role(r, &mut ch);
                let peer_out = p
                    .join()
                    .unwrap_or_else(|_| fail("honest run", "peer panicked"));
                (ch.into_received(), out, peer_out)
            });
            let out = out.unwrap_or_else(|e| fail("honest run", e));
            let peer_out = peer_out.unwrap_or_else(|e| fail("honest run (peer)", e));
            let mut input = vec![code as u8];
            input.extend(received);
            (input, out.or(peer_out))
        })
        .collect()
}
