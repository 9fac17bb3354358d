//! The fast protocol (docs/design.md §7, docs/protocol.md §3): whole images denoised on additive
//! shares in `Z_(2^k)`, cross products through packed Paillier with the fixed matrix as
//! exponent, one garbled activation batch per layer.
//!
//! Security: semi-honest user and cloud that do not collude, κ = 128 (garbling, OT),
//! σ = 40 (statistical masking), Paillier under both parties' keys (2048 bits by default),
//! randomness per [`fresh`]: a party's own encryptions use short exponents (DJN) in its own
//! published base `h_K`; every product returned to the key holder is re-randomised with
//! `h_K^y`, y of `bits(N) + σ + ⌈log2 uses⌉` bits; the setup's ciphertexts with uniform `r^N`.
//!
//! Flow:
//! 1. once per (user, model): [`setup::cloud_setup`] / [`setup::user_setup`] (runners of the
//!    sans-IO cores in [`setup_core`]) re-share the owner's
//!    [`crate::upload::EncryptedModel`] (the one upload format of both protocols) into
//!    [`shares::ModelShare`]s, which both persist ([`store`]) so that later images skip this
//!    step; [`pairing`] (runners of [`pairing_core`]) agrees at the start of each job whether
//!    a stored pair is reused;
//! 2. per image: the protocol is a sans-IO state machine per party ([`core::PartyCore`],
//!    its messages typed in [`msg`], its shared arithmetic in [`step`]), which
//!    [`party::run_user`] / [`party::run_cloud`] run over one
//!    [`runtime::channel::Channel`]; the user gets the 8-bit denoised image and nothing
//!    finer ([`output`]: overlap averaging on shares, one small garbled circuit per pixel),
//!    pixel for pixel the fixed-point reference's ([`model::denoise::denoise_fixed`]);
//! 3. [`simulate`] runs both sides in one process over an in-memory channel (tests, benches).

pub mod activation;
mod batch;
pub mod core;
pub mod cross;
pub mod cross_engine;
pub mod engine;
pub mod exchange;
pub mod framing;
pub use crate::fresh;
pub mod job;
pub mod msg;
pub mod output;
pub mod pairing;
pub mod pairing_core;
pub mod party;
pub mod report;
pub mod ring;
pub mod schedule;
pub mod setup;
pub mod setup_core;
pub mod setup_msg;
pub mod shares;
pub mod step;
pub mod store;
mod wire;

pub use crate::upload::EncryptedModel;
pub use activation::ShareCircuit;
pub use engine::CrossEngine;
pub use party::{CloudOutput, CloudView, UserOutput, run_cloud, run_user};
pub use report::FastReport;
pub use ring::{Ring, SIGMA};
pub use setup::{cloud_setup, user_setup};
pub use shares::{ModelShare, ShareBinding};

use crate::error::BridgeError;
use paillier::SecretKey;
use runtime::channel::MemChannel;
use runtime::scheme::Scheme;
use std::time::{Duration, Instant};

/// Both parties' results of an in-memory run.
#[derive(Debug)]
pub struct Simulation<T> {
    /// The user's result.
    pub user: T,
    /// The cloud's result.
    pub cloud: CloudOutputOrShare,
    /// Wall time of the whole run.
    pub wall: Duration,
}

/// The cloud's result of a simulated phase.
#[derive(Debug)]
pub enum CloudOutputOrShare {
    /// After a setup: the cloud's share.
    Share(Box<ModelShare>),
    /// After an image: the cloud's report and view.
    Image(Box<CloudOutput>),
}

/// Runs the setup for both parties in two threads over an in-memory channel.
pub fn simulate_setup(
    user_sk: &SecretKey,
    cloud_sk: std::sync::Arc<SecretKey>,
    model: &EncryptedModel,
    ring: Ring,
) -> Result<Simulation<ModelShare>, BridgeError> {
    let (a, mut b) = MemChannel::pair(Duration::from_secs(3600));
    let start = Instant::now();
    let shapes = model.shapes();
    let user_pk = user_sk.public_key().clone();
    std::thread::scope(|s| {
        let cloud =
            s.spawn(move || cloud_setup(&mut b, &user_pk, model, cloud_sk, ring, &mut rand::rng()));
        let user = {
            let mut a = a;
            user_setup(&mut a, user_sk, &shapes, ring)
        };
        let cloud = cloud
            .join()
            .map_err(|_| BridgeError::Interface("the cloud thread panicked".into()))?;
        let (user, cloud) = first_error(user, cloud)?;
        Ok(Simulation {
            user,
            cloud: CloudOutputOrShare::Share(Box::new(cloud)),
            wall: start.elapsed(),
        })
    })
}

/// Runs one image (its quantised patches `inputs`, cut as `image`) for both parties in two
/// threads over an in-memory channel, linear layers on the default [`CrossEngine`].
pub fn simulate(
    user_sk: &SecretKey,
    user_share: &ModelShare,
    cloud_share: &ModelShare,
    circuit: &ShareCircuit,
    inputs: &[Vec<i64>],
    image: &model::patches::ImageLayout,
    record_view: bool,
) -> Result<Simulation<UserOutput>, BridgeError> {
    simulate_with(
        CrossEngine::default(),
        user_sk,
        user_share,
        cloud_share,
        circuit,
        inputs,
        image,
        record_view,
    )
}

/// [`simulate`] with the linear layers on `engine`.
#[allow(clippy::too_many_arguments)]
pub fn simulate_with(
    engine: CrossEngine,
    user_sk: &SecretKey,
    user_share: &ModelShare,
    cloud_share: &ModelShare,
    circuit: &ShareCircuit,
    inputs: &[Vec<i64>],
    image: &model::patches::ImageLayout,
    record_view: bool,
) -> Result<Simulation<UserOutput>, BridgeError> {
    let (shares, chunking) = ((user_share, cloud_share), schedule::Chunking::default());
    simulate_chunked(
        engine,
        chunking,
        Scheme::default(),
        user_sk,
        shares,
        circuit,
        inputs,
        image,
        record_view,
    )
}

/// [`simulate_with`] with the image's patches cut as `chunking` says (the pipeline of
/// [`schedule::schedule`]) and every garbled batch on `scheme`; `shares` are the user's and
/// the cloud's.
#[allow(clippy::too_many_arguments)]
pub fn simulate_chunked(
    engine: CrossEngine,
    chunking: schedule::Chunking,
    scheme: Scheme,
    user_sk: &SecretKey,
    (user_share, cloud_share): (&ModelShare, &ModelShare),
    circuit: &ShareCircuit,
    inputs: &[Vec<i64>],
    image: &model::patches::ImageLayout,
    record_view: bool,
) -> Result<Simulation<UserOutput>, BridgeError> {
    let (a, mut b) = MemChannel::pair(Duration::from_secs(3600));
    let start = Instant::now();
    let user_pk = user_sk.public_key().clone();
    std::thread::scope(|s| {
        let cloud = s.spawn(move || {
            party::run_cloud_with(
                engine,
                &mut b,
                &user_pk,
                cloud_share,
                circuit,
                record_view,
                &mut rand::rng(),
            )
        });
        let user = {
            let mut a = a;
            party::run_user_chunked(
                engine,
                chunking,
                scheme,
                &mut a,
                user_sk,
                user_share,
                circuit,
                inputs,
                image,
                &mut rand::rng(),
            )
        };
        let cloud = cloud
            .join()
            .map_err(|_| BridgeError::Interface("the cloud thread panicked".into()))?;
        let (user, cloud) = first_error(user, cloud)?;
        Ok(Simulation {
            user,
            cloud: CloudOutputOrShare::Image(Box::new(cloud)),
            wall: start.elapsed(),
        })
    })
}

/// Both results, or the error that caused the failure: a protocol violation detected by
/// one side is preferred over the other side's resulting "peer closed" error.
fn first_error<U, C>(
    user: Result<U, BridgeError>,
    cloud: Result<C, BridgeError>,
) -> Result<(U, C), BridgeError> {
    match (user, cloud) {
        (Ok(u), Ok(c)) => Ok((u, c)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(u), Err(c)) => Err(if matches!(c, BridgeError::Protocol { .. }) {
            c
        } else {
            u
        }),
    }
}
