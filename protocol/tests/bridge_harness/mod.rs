//! One party of the HE↔GC bridge (narrow masked tanh*, 512-bit test key, 3 activations)
//! whose peer is a byte script. Shared, by `#[path]`, between `protocol/tests/bridge_wire.rs`
//! and the fuzz target `bridge_wire`, so a fuzz input and a regression test run the same code.
//!
//! Input format: byte 0 picks the role from [`ROLES`] (modulo its length), the rest is what
//! the party reads from its peer: the user reads the cloud's header, masked ciphertexts and
//! garbled-circuit messages; the cloud reads `Enc(−ru)` and the garbler's messages. Keys,
//! inputs and both parties' randomness come from fixed seeds, so a transcript recorded in an
//! honest run replays to the same result.
#![allow(dead_code)]

use paillier::{BigInt, Ciphertext, RandomnessPool, SecretKey};
use protocol::BridgeError;
use protocol::Timeline as PartyReport;
use protocol::bridge::{BridgeCircuit, CloudOutput, Mode, run_cloud, run_user};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::MemChannel;
use runtime::scripted::{RecordingChannel, ScriptedChannel};
use std::sync::OnceLock;
use std::time::Duration;

/// Who reads the script: the user (any mode the cloud's header announces) or the cloud in
/// one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The key owner, garbler.
    User,
    /// The cloud, evaluator, sending in this mode.
    Cloud(Mode),
}

/// The roles byte 0 chooses from.
pub(crate) const ROLES: [Role; 4] = [
    Role::User,
    Role::Cloud(Mode::Unpacked),
    Role::Cloud(Mode::Packed),
    Role::Cloud(Mode::Chained),
];
/// The cloud's pre-activations (raw, 12 fractional bits, |x| < 2^15).
pub(crate) const XS: [i128; 3] = [-5000, 0, 12_345];
const USER_SEED: u64 = 0x7573_6572;
const CLOUD_SEED: u64 = 0x636c_6f75;

/// The 512-bit test key (seeded: tests and fuzzing only).
pub(crate) fn key() -> &'static SecretKey {
    static K: OnceLock<SecretKey> = OnceLock::new();
    K.get_or_init(|| {
        SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(7))
            .unwrap_or_else(|e| panic!("test key: {e}"))
    })
}

/// The narrow masked tanh* circuit with its chained variant for the test key.
pub(crate) fn circuit() -> &'static BridgeCircuit {
    static C: OnceLock<BridgeCircuit> = OnceLock::new();
    C.get_or_init(|| {
        BridgeCircuit::narrow_tanh()
            .and_then(|c| c.with_chained(key().public_key().bits()))
            .unwrap_or_else(|e| panic!("shipped bridge circuit: {e}"))
    })
}

/// `Enc(x)` for [`XS`] (deterministic randomness).
pub(crate) fn cloud_inputs() -> &'static [Ciphertext] {
    static I: OnceLock<Vec<Ciphertext>> = OnceLock::new();
    I.get_or_init(|| {
        let pk = key().public_key();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        XS.iter()
            .map(|&x| {
                let rn = pk.random_nth_power(&mut rng);
                pk.encrypt_signed_with(&BigInt::from(x), &rn)
                    .unwrap_or_else(|e| panic!("encrypt: {e}"))
            })
            .collect()
    })
}

fn role(data: &[u8]) -> (Role, &[u8]) {
    match data.split_first() {
        Some((&r, rest)) => (ROLES[r as usize % ROLES.len()], rest),
        None => (ROLES[0], data),
    }
}

/// What a scripted run returns.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The user's report.
    User(PartyReport),
    /// The cloud's output.
    Cloud(CloudOutput),
}

/// Runs `role` against whatever peer is on `ch`.
pub(crate) fn run_role<C: runtime::channel::Channel>(
    role: Role,
    ch: &mut C,
) -> Result<Outcome, BridgeError> {
    let mut pool = RandomnessPool::new();
    match role {
        Role::User => {
            let mut rng = ChaCha20Rng::seed_from_u64(USER_SEED);
            run_user(ch, key(), circuit(), &mut pool, &mut rng).map(Outcome::User)
        }
        Role::Cloud(mode) => {
            let mut rng = ChaCha20Rng::seed_from_u64(CLOUD_SEED);
            let pk = key().public_key();
            run_cloud(ch, pk, circuit(), cloud_inputs(), mode, &mut pool, &mut rng)
                .map(|(out, _)| Outcome::Cloud(out))
        }
    }
}

/// The role of `data[0]` reading `data[1..]` from its peer.
pub(crate) fn run_script(data: &[u8]) -> Result<Outcome, BridgeError> {
    let (role, script) = role(data);
    run_role(role, &mut ScriptedChannel::new(script))
}

/// An honest run in `mode`: fuzz inputs for both sides and the cloud's output.
pub(crate) struct Transcript {
    /// Role byte of the user + what the user received.
    pub(crate) user_script: Vec<u8>,
    /// Role byte of the cloud in this mode + what the cloud received.
    pub(crate) cloud_script: Vec<u8>,
    /// What the cloud ended with.
    pub(crate) cloud: CloudOutput,
}

/// Runs the bridge honestly in `mode` over memory, recording both sides.
pub(crate) fn record(mode: Mode) -> Transcript {
    let (c_ch, u_ch) = MemChannel::pair(Duration::from_secs(30));
    let user = std::thread::spawn(move || {
        let mut ch = RecordingChannel::new(u_ch);
        let r = run_role(Role::User, &mut ch);
        (r.map(|_| ()), ch.into_received())
    });
    let mut ch = RecordingChannel::new(c_ch);
    let cloud = match run_role(Role::Cloud(mode), &mut ch) {
        Ok(Outcome::Cloud(out)) => out,
        Ok(Outcome::User(_)) => panic!("cloud role returned a user report"),
        Err(e) => panic!("honest cloud: {e}"),
    };
    let user_received = match user.join() {
        Ok((Ok(()), received)) => received,
        Ok((Err(e), _)) => panic!("honest user: {e}"),
        Err(_) => panic!("user thread panicked"),
    };
    let index = |r: Role| ROLES.iter().position(|&x| x == r).unwrap_or(0) as u8;
    Transcript {
        user_script: [vec![index(Role::User)], user_received].concat(),
        cloud_script: [vec![index(Role::Cloud(mode))], ch.into_received()].concat(),
        cloud,
    }
}
