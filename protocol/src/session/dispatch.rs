//! Dispatch: the protocol a session agreed on runs its job through that protocol's one
//! interface — [`crate::reference::job`] or [`crate::fast::job`], each a `run_cloud` and a
//! `run_user` over the session's channel. The session itself only frames the job (request,
//! done) and checks its limits; it knows nothing of how a protocol runs.

use super::handshake::ProtocolKind;
use super::wire::JobRequest;
use super::{JobStats, KeyPolicy, SessionError};
use crate::bridge::BridgeCircuit;
use crate::fast::CrossEngine;
use crate::fast::job as fast_job;
use crate::fast::report::FastReport;
use crate::fast::store::{CloudShareStore, UserShareLocation};
use crate::reference::job::{self as reference_job, Progress};
use crate::upload::{EncryptedModel, ModelHeader};
use model::patches::ImageLayout;
use paillier::SecretKey;
use runtime::channel::Channel;
use runtime::scheme::Scheme;

/// A protocol's runner, chosen by the agreed [`ProtocolKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runner {
    /// The paper's protocol, in chunks of patches.
    Reference,
    /// The fast whole-image protocol with its linear-layer engine.
    Fast(CrossEngine),
}

/// What the cloud brings to any job.
pub(crate) struct CloudContext<'a> {
    /// The served model.
    pub model: &'a EncryptedModel,
    /// The masked-activation circuit (reference protocol).
    pub bridge: &'a BridgeCircuit,
    /// The fast protocol's share store.
    pub store: Option<&'a CloudShareStore>,
    /// Which keys are accepted and made.
    pub key_policy: KeyPolicy,
}

/// What the user brings to any job.
pub(crate) struct UserContext<'a> {
    /// The user's secret key.
    pub sk: &'a SecretKey,
    /// The model's public header.
    pub header: &'a ModelHeader,
    /// The masked-activation circuit (reference protocol).
    pub bridge: &'a BridgeCircuit,
    /// The fast protocol's share location.
    pub location: Option<&'a UserShareLocation>,
    /// The quantised input patches.
    pub patches: &'a [Vec<i64>],
    /// The image they cut, if any (the fast protocol needs it).
    pub layout: Option<&'a ImageLayout>,
    /// Patches per chunk (reference protocol).
    pub chunk: usize,
    /// The garbling scheme (fast protocols; the reference protocol runs half-gates only).
    pub scheme: Scheme,
}

/// What a user's job gave.
pub(crate) struct UserOutcome {
    /// The 8-bit pixels, when the job had an image.
    pub pixels: Option<Vec<u8>>,
    /// The raw outputs per patch, when the protocol reveals them (reference).
    pub patch_outputs: Option<Vec<Vec<i64>>>,
    /// The job's statistics.
    pub stats: JobStats,
    /// The fast protocol's report of the image run.
    pub report: Option<FastReport>,
}

impl Runner {
    /// The runner of `kind`.
    pub(crate) fn of(kind: ProtocolKind) -> Self {
        match kind {
            ProtocolKind::Reference => Runner::Reference,
            ProtocolKind::Fast => Runner::Fast(CrossEngine::Paillier),
            ProtocolKind::FastRlwe => Runner::Fast(CrossEngine::Rlwe),
        }
    }

    /// Refuses a user job the protocol cannot run, before anything is sent.
    pub(crate) fn check_user(self, has_image: bool) -> Result<(), SessionError> {
        match self {
            Runner::Fast(_) if !has_image => Err(SessionError::Unsupported(
                "the fast protocol on bare patches (it denoises whole images: Session::run_image)",
            )),
            _ => Ok(()),
        }
    }

    /// The cloud's side of the job `job` asked for.
    pub(crate) fn run_cloud<C: Channel + ?Sized>(
        self,
        ch: &mut C,
        ctx: &CloudContext<'_>,
        job: &JobRequest,
    ) -> Result<JobStats, SessionError> {
        // At most MAX_PATCHES (2^24) after `from_bytes`: fits a usize on every supported target.
        let patches = usize::try_from(job.patches).map_err(|_| SessionError::Protocol {
            phase: "job request",
            what: format!("{} patches do not fit this machine", job.patches),
        })?;
        match self {
            Runner::Reference => {
                let job = reference_job::CloudJob {
                    model: ctx.model,
                    bridge: ctx.bridge,
                    patches,
                    chunk: job.chunk as usize,
                };
                reference_job::run_cloud(ch, &job)
            }
            Runner::Fast(engine) => {
                let job = fast_job::CloudJob {
                    engine,
                    model: ctx.model,
                    store: ctx.store,
                    key_policy: ctx.key_policy,
                    patches,
                };
                fast_job::run_cloud(ch, &job).map(|(stats, _)| stats)
            }
        }
    }

    /// The user's side of a job whose request was sent.
    pub(crate) fn run_user<C: Channel + ?Sized>(
        self,
        ch: &mut C,
        ctx: &UserContext<'_>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<UserOutcome, SessionError> {
        match self {
            Runner::Fast(engine) => {
                self.check_user(ctx.layout.is_some())?;
                let Some(layout) = ctx.layout else {
                    return Err(SessionError::Unsupported(
                        "the fast protocol without an image",
                    ));
                };
                // The whole image in one run: packing works across all its patches.
                progress(Progress {
                    patches_done: 0,
                    chunk: ctx.patches.len(),
                    patches: ctx.patches.len(),
                    layers_done: 0,
                    layers: ctx.header.layers(),
                });
                let job = fast_job::UserJob {
                    engine,
                    scheme: ctx.scheme,
                    sk: ctx.sk,
                    header: ctx.header,
                    location: ctx.location,
                    patches: ctx.patches,
                    layout,
                };
                let out = fast_job::run_user(ch, &job)?;
                Ok(UserOutcome {
                    pixels: Some(out.pixels),
                    patch_outputs: None,
                    stats: out.stats,
                    report: Some(out.report),
                })
            }
            Runner::Reference => {
                let job = reference_job::UserJob {
                    sk: ctx.sk,
                    header: ctx.header,
                    bridge: ctx.bridge,
                    patches: ctx.patches,
                    chunk: ctx.chunk,
                };
                let (q, stats) = reference_job::run_user(ch, &job, progress)?;
                let pixels = ctx
                    .layout
                    .map(|l| model::pixel::image_pixels(&ctx.header.fixed, l, ctx.patches, &q))
                    .transpose()
                    .map_err(|e| SessionError::Model(e.to_string()))?;
                Ok(UserOutcome {
                    pixels,
                    patch_outputs: Some(q),
                    stats,
                    report: None,
                })
            }
        }
    }
}
