//! The user's client: connect (waiting while the server is busy), handshake, run one job.

use super::activation::ActivationCircuit;
use super::handshake::{ProtocolKind, user_handshake};
use super::wire::{JobRequest, MAX_CHUNK, MAX_PATCHES, Tag, expect_frame, send_frame};
use super::{JobStats, SessionError};
use crate::reference;
use crate::upload::ModelHeader;
use model::activation::{TANH_FIT, TANH_STAR};
use model::fixed::FixedMlp;
use paillier::SecretKey;
use runtime::channel::{Channel, TcpChannel};
use std::time::{Duration, Instant};

/// Where a job is, reported after every layer of every chunk.
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

/// A session that passed the handshake.
pub struct Session<C: Channel> {
    /// The channel to the cloud.
    pub channel: C,
    /// The model's public header.
    pub header: ModelHeader,
    /// The activation circuit both sides compiled.
    pub circuit: ActivationCircuit,
    /// The protocol agreed.
    pub protocol: ProtocolKind,
    /// Where the fast protocol keeps this user's share between jobs (`None`: a setup per job).
    pub share_location: Option<crate::fast::store::UserShareLocation>,
}

/// Connects to a server over TCP and runs the handshake. While the server is busy, retries
/// every 250 ms for up to `wait` (zero: fail at once with [`SessionError::Busy`]).
pub fn connect(
    addr: &str,
    sk: &SecretKey,
    protocol: ProtocolKind,
    timeout: Duration,
    wait: Duration,
) -> Result<Session<TcpChannel>, SessionError> {
    let start = Instant::now();
    loop {
        let ch = TcpChannel::connect(addr, timeout)
            .map_err(|e| SessionError::Io(format!("cannot connect to {addr}: {e}")))?;
        match handshake(ch, sk, protocol) {
            Err(SessionError::Busy(_)) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(250));
            }
            other => return other,
        }
    }
}

/// Runs the handshake on a connected channel.
pub fn handshake<C: Channel>(
    mut channel: C,
    sk: &SecretKey,
    protocol: ProtocolKind,
) -> Result<Session<C>, SessionError> {
    if !ProtocolKind::implemented().contains(&protocol) {
        return Err(SessionError::Unsupported(protocol.name()));
    }
    let (header, circuit) = user_handshake(&mut channel, sk.public_key(), protocol)?;
    Ok(Session {
        channel,
        header,
        circuit,
        protocol,
        share_location: None,
    })
}

impl<C: Channel> Session<C> {
    /// The model's geometry and formats as a weightless [`FixedMlp`] (for cutting patches
    /// and mapping outputs back to pixels with `model::denoise`).
    pub fn shell_model(&self) -> Result<FixedMlp, SessionError> {
        let activation = match self.header.activation.as_str() {
            "tanh" => TANH_STAR,
            "tanh_fit" => TANH_FIT,
            other => return Err(SessionError::Model(format!("unknown activation `{other}`"))),
        };
        Ok(FixedMlp {
            params: self.header.fixed,
            activation,
            input_patch: self.header.input_patch as usize,
            output_patch: self.header.output_patch as usize,
            stride: self.header.stride as usize,
            layers: Vec::new(),
        })
    }

    /// Runs one job: every patch through the secure network in chunks of `chunk` patches;
    /// returns the raw outputs `q` per patch and this side's statistics.
    pub fn run_job(
        &mut self,
        sk: &SecretKey,
        patches: &[Vec<i64>],
        chunk: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Vec<Vec<i64>>, JobStats), SessionError> {
        let chunk = chunk.clamp(1, MAX_CHUNK);
        if patches.is_empty() || patches.len() as u64 > MAX_PATCHES {
            return Err(SessionError::Model(format!(
                "{} patches: a job has 1 to {MAX_PATCHES}",
                patches.len()
            )));
        }
        let job = JobRequest {
            patches: patches.len() as u64,
            // At most MAX_CHUNK (256) after the clamp above.
            chunk: chunk as u32,
        };
        send_frame(&mut self.channel, Tag::Job, &job.to_bytes(), "job request")?;
        let mut stats = JobStats::default();
        let mut out = Vec::with_capacity(patches.len());
        let layers = self.header.layers();
        if self.protocol == ProtocolKind::Fast {
            // The whole image in one run: packing works across all its patches.
            progress(Progress {
                patches_done: 0,
                chunk: patches.len(),
                patches: patches.len(),
                layers_done: 0,
                layers,
            });
            let q = super::fast_job::user_job(
                &mut self.channel,
                sk,
                &self.header,
                self.share_location.as_ref(),
                patches,
                &mut stats,
            )?;
            out.extend(q);
        }
        let chunked: &[Vec<i64>] = if self.protocol == ProtocolKind::Fast {
            &[]
        } else {
            patches
        };
        for (k, group) in chunked.chunks(chunk).enumerate() {
            let done = k * chunk;
            let total = patches.len();
            let mut report = |layers_done: usize| {
                progress(Progress {
                    patches_done: done,
                    chunk: group.len(),
                    patches: total,
                    layers_done: layers_done + 1,
                    layers,
                })
            };
            let q = match self.protocol {
                ProtocolKind::Reference => reference::user::run_chunk(
                    &mut self.channel,
                    sk,
                    &self.header,
                    &self.circuit.bridge,
                    group,
                    &mut stats,
                    &mut report,
                )?,
                ProtocolKind::Fast => {
                    return Err(SessionError::Unsupported("fast protocol in chunks"));
                }
            };
            out.extend(q);
        }
        expect_frame(&mut self.channel, Tag::Done, "end of job")?;
        Ok((out, stats))
    }
}
