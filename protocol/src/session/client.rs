//! The user's client: connect (waiting while the server is busy), handshake, run one job.

use super::activation::ActivationCircuit;
use super::dispatch::{Runner, UserContext, UserOutcome};
use super::handshake::{ProtocolKind, user_handshake};
use super::wire::{JobRequest, MAX_CHUNK, MAX_PATCHES, Tag, expect_frame, send_frame};
use super::{JobStats, KeyPolicy, SessionError};
use crate::fast::report::FastReport;
use crate::upload::{ModelHeader, OwnerPublicKey};
use model::fixed::FixedMlp;
use model::patches::ImageLayout;
use paillier::SecretKey;
use runtime::channel::Channel;
use runtime::scheme::Scheme;
use std::time::{Duration, Instant};
use transport::{ClientTransport, Link};

pub use crate::reference::job::Progress;

/// What the user gets from an image job.
#[derive(Clone, Debug)]
pub struct ImageOutput {
    /// The denoised 8-bit image, row-major, of the layout's size.
    pub pixels: Vec<u8>,
    /// The raw outputs `q` per patch, which the reference protocol (the paper's) reveals to
    /// the user; `None` under the fast protocol, which reveals only the pixels.
    pub patch_outputs: Option<Vec<Vec<i64>>>,
    /// The fast protocol's report of the image run (phases, traffic, garbled gates, output
    /// circuits); `None` under the reference protocol, whose phases are in the job's stats.
    pub report: Option<FastReport>,
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
    /// The garbling scheme of the fast protocols' batches (default half-gates; the image
    /// header names it and the cloud follows; the reference protocol refuses three-halves).
    pub scheme: Scheme,
}

/// Connects to a server through `transport` (TLS with the pinned cloud certificate, or plain
/// TCP) and runs the handshake. While the server is busy, retries every 250 ms for up to
/// `wait` (zero: fail at once with [`SessionError::Busy`]). The key must be a production key
/// ([`KeyPolicy::Production`]); it is checked before connecting. The model must be signed by
/// the owner key `owner`.
pub fn connect(
    transport: &ClientTransport,
    addr: &str,
    sk: &SecretKey,
    owner: &OwnerPublicKey,
    protocol: ProtocolKind,
    timeout: Duration,
    wait: Duration,
) -> Result<Session<Link>, SessionError> {
    connect_with_policy(
        transport,
        addr,
        sk,
        owner,
        protocol,
        timeout,
        wait,
        KeyPolicy::Production,
    )
}

/// [`connect`] under `key_policy` (tests pass [`KeyPolicy::InsecureTestKeys`] for small
/// keys; no shipped command can).
#[allow(clippy::too_many_arguments)]
pub fn connect_with_policy(
    transport: &ClientTransport,
    addr: &str,
    sk: &SecretKey,
    owner: &OwnerPublicKey,
    protocol: ProtocolKind,
    timeout: Duration,
    wait: Duration,
    key_policy: KeyPolicy,
) -> Result<Session<Link>, SessionError> {
    key_policy.check(sk.public_key(), "your key")?;
    let start = Instant::now();
    loop {
        let ch = transport
            .connect(addr, timeout)
            .map_err(|e| SessionError::Io(format!("{addr}: {e}")))?;
        match handshake_with_policy(ch, sk, owner, protocol, key_policy) {
            Err(SessionError::Busy(_)) if start.elapsed() < wait => {
                std::thread::sleep(Duration::from_millis(250));
            }
            other => return other,
        }
    }
}

/// Runs the handshake on a connected channel with a production key ([`KeyPolicy::Production`]:
/// the model the cloud offers is under this same key, so both are checked).
/// The model must be signed by the owner key `owner`.
pub fn handshake<C: Channel>(
    channel: C,
    sk: &SecretKey,
    owner: &OwnerPublicKey,
    protocol: ProtocolKind,
) -> Result<Session<C>, SessionError> {
    handshake_with_policy(channel, sk, owner, protocol, KeyPolicy::Production)
}

/// [`handshake`] under `key_policy` (tests only pass [`KeyPolicy::InsecureTestKeys`]).
pub fn handshake_with_policy<C: Channel>(
    mut channel: C,
    sk: &SecretKey,
    owner: &OwnerPublicKey,
    protocol: ProtocolKind,
    key_policy: KeyPolicy,
) -> Result<Session<C>, SessionError> {
    key_policy.check(sk.public_key(), "your key")?;
    if !ProtocolKind::implemented().contains(&protocol) {
        return Err(SessionError::Unsupported(protocol.name()));
    }
    let (header, circuit) = user_handshake(&mut channel, sk.public_key(), owner, protocol)?;
    Ok(Session {
        channel,
        header,
        circuit,
        protocol,
        share_location: None,
        scheme: Scheme::default(),
    })
}

impl<C: Channel> Session<C> {
    /// The model's geometry and formats as a weightless [`FixedMlp`] (for cutting patches
    /// and mapping outputs back to pixels with `model::denoise`).
    pub fn shell_model(&self) -> Result<FixedMlp, SessionError> {
        let activation = self.header.activation.clone();
        Ok(FixedMlp {
            params: self.header.fixed,
            activation,
            input_patch: self.header.input_patch as usize,
            output_patch: self.header.output_patch as usize,
            stride: self.header.stride as usize,
            layers: Vec::new(),
        })
    }

    /// Runs one image cut as `layout` (`patches` from [`model::denoise::quantised_patches`]):
    /// returns its 8-bit pixels, equal to [`model::denoise::denoise_fixed`]'s, and this side's
    /// statistics. The fast protocol runs the whole image at once and reveals only the
    /// pixels; the reference protocol runs [`Session::run_job`] in chunks of `chunk` patches,
    /// reveals every patch's raw output `q` (the paper's behaviour) and maps it to pixels.
    pub fn run_image(
        &mut self,
        sk: &SecretKey,
        patches: &[Vec<i64>],
        layout: &ImageLayout,
        chunk: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(ImageOutput, JobStats), SessionError> {
        let g = layout.geometry;
        if layout.patch_count() != patches.len()
            || g.input != self.header.input_patch as usize
            || g.output != self.header.output_patch as usize
        {
            return Err(SessionError::Model(format!(
                "{} patches of {}x{} → {}x{} do not cut a {}x{} image for this {}x{} → {}x{} model",
                patches.len(),
                g.input,
                g.input,
                g.output,
                g.output,
                layout.width,
                layout.height,
                self.header.input_patch,
                self.header.input_patch,
                self.header.output_patch,
                self.header.output_patch
            )));
        }
        let out = self.job(sk, patches, Some(layout), chunk, progress)?;
        let image = ImageOutput {
            pixels: out.pixels.unwrap_or_default(),
            patch_outputs: out.patch_outputs,
            report: out.report,
        };
        Ok((image, out.stats))
    }

    /// Runs one job of the reference protocol on bare patches (no image): every patch
    /// through the secure network in chunks of `chunk` patches; returns the raw outputs `q`
    /// per patch and this side's statistics. The fast protocol needs the image
    /// ([`Session::run_image`]).
    pub fn run_job(
        &mut self,
        sk: &SecretKey,
        patches: &[Vec<i64>],
        chunk: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Vec<Vec<i64>>, JobStats), SessionError> {
        let out = self.job(sk, patches, None, chunk, progress)?;
        Ok((out.patch_outputs.unwrap_or_default(), out.stats))
    }

    /// Checks the job's limits, sends its request, runs it under the agreed protocol
    /// ([`super::dispatch`]) and reads the cloud's end of job.
    fn job(
        &mut self,
        sk: &SecretKey,
        patches: &[Vec<i64>],
        layout: Option<&ImageLayout>,
        chunk: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<UserOutcome, SessionError> {
        let runner = Runner::of(self.protocol);
        runner.check_user(layout.is_some())?;
        self.protocol.check_scheme(self.scheme)?;
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
            session: self.channel.session_id(),
        };
        send_frame(&mut self.channel, Tag::Job, &job.to_bytes(), "job request")?;
        let ctx = UserContext {
            sk,
            header: &self.header,
            bridge: &self.circuit.bridge,
            location: self.share_location.as_ref(),
            patches,
            layout,
            chunk,
            scheme: self.scheme,
        };
        let out = runner.run_user(&mut self.channel, &ctx, progress)?;
        expect_frame(&mut self.channel, Tag::Done, "end of job")?;
        Ok(out)
    }
}
