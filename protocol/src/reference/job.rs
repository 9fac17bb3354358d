//! One job under the reference protocol, the interface a session calls ([`run_cloud`],
//! [`run_user`]) after its handshake and job request: the job's patches in chunks, each
//! chunk one run of [`super::cloud::run_chunk`] / [`super::user::run_chunk`].

use crate::bridge::BridgeCircuit;
use crate::error::ProtocolError;
use crate::timeline::Timeline;
use crate::upload::{EncryptedModel, ModelHeader};
use paillier::SecretKey;
use runtime::channel::Channel;

/// What the cloud brings to a reference job.
pub struct CloudJob<'a> {
    /// The served model.
    pub model: &'a EncryptedModel,
    /// The masked-activation circuit both sides compiled.
    pub bridge: &'a BridgeCircuit,
    /// Patches of the job.
    pub patches: usize,
    /// Patches per chunk (at least 1).
    pub chunk: usize,
}

/// The cloud's side of a job: every chunk in turn; returns the job's statistics.
pub fn run_cloud<C: Channel + ?Sized>(
    ch: &mut C,
    job: &CloudJob<'_>,
) -> Result<Timeline, ProtocolError> {
    let mut stats = Timeline::default();
    let mut left = job.patches;
    let pk = &job.model.header.public_key;
    while left > 0 {
        let count = left.min(job.chunk.max(1));
        super::cloud::run_chunk(ch, pk, job.model, job.bridge, count, &mut stats)?;
        left -= count;
    }
    Ok(stats)
}

/// Where a user's job is, reported after every layer of every chunk.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Patches finished before the current chunk.
    pub patches_done: usize,
    /// Patches in the current chunk.
    pub chunk: usize,
    /// Patches of the job.
    pub patches: usize,
    /// Layers finished in the current chunk.
    pub layers_done: usize,
    /// Layers of the model.
    pub layers: usize,
}

/// What the user brings to a reference job.
pub struct UserJob<'a> {
    /// The user's secret key.
    pub sk: &'a SecretKey,
    /// The model's public header.
    pub header: &'a ModelHeader,
    /// The masked-activation circuit both sides compiled.
    pub bridge: &'a BridgeCircuit,
    /// The quantised input patches.
    pub patches: &'a [Vec<i64>],
    /// Patches per chunk (at least 1).
    pub chunk: usize,
}

/// The user's side of a job: every chunk in turn; returns the raw outputs `q` per patch
/// (which this protocol reveals to the user) and the job's statistics.
pub fn run_user<C: Channel + ?Sized>(
    ch: &mut C,
    job: &UserJob<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<Vec<i64>>, Timeline), ProtocolError> {
    let chunk = job.chunk.max(1);
    let mut stats = Timeline::default();
    let mut out = Vec::with_capacity(job.patches.len());
    let (total, layers) = (job.patches.len(), job.header.layers());
    for (k, group) in job.patches.chunks(chunk).enumerate() {
        let mut report = |layers_done: usize| {
            progress(Progress {
                patches_done: k * chunk,
                chunk: group.len(),
                patches: total,
                layers_done: layers_done + 1,
                layers,
            })
        };
        let (sk, header, bridge) = (job.sk, job.header, job.bridge);
        let q = super::user::run_chunk(ch, sk, header, bridge, group, &mut stats, &mut report)?;
        out.extend(q);
    }
    Ok((out, stats))
}
