//! The user's side of secure denoising, end to end: connect to the cloud (waiting while it
//! is busy), handshake, cut the noisy image into the model's patches, run the job under the
//! chosen protocol and assemble the 8-bit image — what `gcc-nn denoise --connect` runs.
//!
//! Progress: the fast protocols report their own phases (re-sharing, then every layer's
//! cross products and activations); for the reference protocol each block of `chunk`
//! patches is one phase, advanced layer by layer.

use crate::fast::store::UserShareLocation;
use crate::progress::ProgressSink;
use crate::session::client::{Progress, connect_with_policy};
use crate::session::{JobStats, KeyPolicy, ProtocolKind, SessionError};
use crate::upload::OwnerPublicKey;
use model::GrayImage;
use model::denoise::{gray_from_u8, quantised_patches};
use model::patches::ImageLayout;
use paillier::SecretKey;
use runtime::scheme::Scheme;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to reach the cloud and run the job.
#[derive(Debug, Clone)]
pub struct DenoiseOptions {
    /// The cloud's address (`HOST:PORT`).
    pub addr: String,
    /// How to reach it: TLS 1.3 with the cloud's certificate pinned, or plain TCP.
    pub transport: transport::ClientTransport,
    /// The model owner's public key: the cloud's model must be signed by it.
    pub owner: OwnerPublicKey,
    /// The protocol to ask for.
    pub protocol: ProtocolKind,
    /// The garbling scheme of the fast protocols (the reference protocol refuses
    /// three-halves before connecting).
    pub scheme: Scheme,
    /// Patches per round of the reference protocol (the fast ones run the whole image).
    pub chunk: usize,
    /// Give up on a silent cloud after this long.
    pub timeout: Duration,
    /// While the cloud is busy, retry for up to this long (zero: fail at once).
    pub wait: Duration,
    /// Where the fast protocols keep this user's model share between images (`None`: a
    /// re-sharing for every image).
    pub share: Option<UserShareLocation>,
    /// Which keys the session accepts ([`KeyPolicy::Production`] for every release command).
    pub key_policy: KeyPolicy,
}

/// What one secure denoising gave the user.
#[derive(Debug, Clone)]
pub struct DenoiseRun {
    /// The denoised image (8-bit pixels: all the fast protocols reveal).
    pub image: GrayImage,
    /// This side's time per phase and bytes each way.
    pub stats: JobStats,
    /// The protocol that ran.
    pub protocol: ProtocolKind,
    /// The garbling scheme that ran.
    pub scheme: Scheme,
    /// Connecting and the handshake.
    pub handshake: Duration,
    /// The whole run, connection included.
    pub total: Duration,
    /// Patches of the image.
    pub patches: usize,
    /// Layers of the model.
    pub layers: usize,
    /// CPU time this process spent on the run (`None` where `/proc` is missing).
    pub cpu: Option<Duration>,
}

impl DenoiseRun {
    /// The run's summary under `title`; `cloud_cpu` if the caller knows it (it started the
    /// cloud).
    pub fn summary<'a>(
        &'a self,
        title: &'a str,
        cloud_cpu: Option<Duration>,
    ) -> crate::app::summary::Summary<'a> {
        crate::app::summary::Summary {
            title,
            stats: &self.stats,
            handshake: self.handshake,
            total: self.total,
            patches: self.patches,
            layers: self.layers,
            user_cpu: self.cpu,
            cloud_cpu,
        }
    }
}

/// Where the user's share goes by default: the file or directory the user named, else the
/// directory of the secret key `key` (a key directory itself, or a key file's directory).
pub fn share_location(key: &Path, share: Option<&Path>) -> UserShareLocation {
    match share {
        Some(p) if !p.is_dir() => UserShareLocation::File(p.to_path_buf()),
        Some(p) => UserShareLocation::Dir(p.to_path_buf()),
        None if key.is_dir() => UserShareLocation::Dir(key.to_path_buf()),
        None => UserShareLocation::Dir(
            key.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        ),
    }
}

/// Denoises `noisy` with the cloud's encrypted model under `sk` (the user's key).
pub fn denoise_remote(
    sk: &SecretKey,
    noisy: &GrayImage,
    opts: &DenoiseOptions,
) -> Result<DenoiseRun, SessionError> {
    opts.protocol.check_scheme(opts.scheme)?;
    let t0 = Instant::now();
    let cpu0 = platform::cpu::own_cpu();
    let mut session = connect_with_policy(
        &opts.transport,
        &opts.addr,
        sk,
        &opts.owner,
        opts.protocol,
        opts.timeout,
        opts.wait,
        opts.key_policy,
    )?;
    let handshake = t0.elapsed();
    session.share_location = opts.share.clone();
    session.scheme = opts.scheme;
    let shell = session.shell_model()?;
    let model_error = |e: model::ModelError| SessionError::Model(e.to_string());
    let (inputs, _) = quantised_patches(&shell, noisy, shell.stride).map_err(model_error)?;
    let geometry = shell.geometry(shell.stride).map_err(model_error)?;
    let layout = ImageLayout::new(noisy.width(), noisy.height(), geometry).map_err(model_error)?;
    let layers = session.header.layers();
    let blocks = ReferenceBlocks::new(inputs.len(), opts.chunk, layers);
    if opts.protocol == ProtocolKind::Reference {
        blocks.open(&GlobalProgress, 0);
    }
    let mut on_progress = |p: Progress| {
        if opts.protocol == ProtocolKind::Reference {
            blocks.advance(&GlobalProgress, &p);
        }
    };
    let (result, stats) = session.run_image(sk, &inputs, &layout, opts.chunk, &mut on_progress)?;
    let image = gray_from_u8(&layout, &result.pixels).map_err(model_error)?;
    let cpu = platform::cpu::own_cpu()
        .zip(cpu0)
        .map(|(now, start)| now.saturating_sub(start));
    Ok(DenoiseRun {
        image,
        stats,
        protocol: opts.protocol,
        scheme: opts.scheme,
        handshake,
        total: t0.elapsed(),
        patches: inputs.len(),
        layers,
        cpu,
    })
}

/// Forwards to the process-wide progress sink ([`crate::progress`]).
struct GlobalProgress;

impl ProgressSink for GlobalProgress {
    fn phase(&self, name: &str, total: u64) {
        crate::progress::phase(name, total);
    }
    fn advance(&self, n: u64) {
        crate::progress::advance(n);
    }
    fn step(&self, label: &str, n: u64) {
        crate::progress::step(label, n);
    }
    fn finish(&self) {
        crate::progress::finish();
    }
}

/// The reference protocol's progress: one phase per block of `chunk` patches, one step per
/// layer.
struct ReferenceBlocks {
    patches: usize,
    chunk: usize,
    layers: usize,
}

impl ReferenceBlocks {
    fn new(patches: usize, chunk: usize, layers: usize) -> Self {
        let chunk = chunk.clamp(1, crate::session::wire::MAX_CHUNK);
        Self {
            patches,
            chunk,
            layers,
        }
    }

    /// Opens the phase of the block starting at patch `first`.
    fn open(&self, sink: &dyn ProgressSink, first: usize) {
        let blocks = self.patches.div_ceil(self.chunk);
        let last = (first + self.chunk).min(self.patches);
        sink.phase(
            &format!(
                "patch block {}/{blocks}: patches {}–{last} of {}",
                first / self.chunk + 1,
                first + 1,
                self.patches
            ),
            self.layers as u64,
        );
    }

    /// Records a finished layer of the current block; at its last layer the block's phase
    /// closes and the next block's opens.
    fn advance(&self, sink: &dyn ProgressSink, p: &Progress) {
        sink.step(&format!("layer {}/{}", p.layers_done, p.layers), 1);
        if p.layers_done >= p.layers {
            sink.finish();
            let next = p.patches_done + p.chunk;
            if next < self.patches {
                self.open(sink, next);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{Event, Recorder, summarise};

    /// Feeds the reports `Session::run_job` makes for `patches` in chunks of `chunk`.
    fn run(patches: usize, chunk: usize, layers: usize) -> Vec<Event> {
        let rec = Recorder::new();
        let blocks = ReferenceBlocks::new(patches, chunk, layers);
        blocks.open(&rec, 0);
        for (k, group) in (0..patches).collect::<Vec<_>>().chunks(chunk).enumerate() {
            for l in 1..=layers {
                let p = Progress {
                    patches_done: k * chunk,
                    chunk: group.len(),
                    patches,
                    layers_done: l,
                    layers,
                };
                blocks.advance(&rec, &p);
            }
        }
        rec.events()
    }

    #[test]
    fn reference_progress_is_one_phase_per_block_each_to_its_total() {
        let events = run(10, 4, 3);
        let phases = summarise(&events);
        assert_eq!(
            phases,
            vec![
                ("patch block 1/3: patches 1–4 of 10".to_string(), 3, 3),
                ("patch block 2/3: patches 5–8 of 10".to_string(), 3, 3),
                ("patch block 3/3: patches 9–10 of 10".to_string(), 3, 3),
            ]
        );
        assert_eq!(events.iter().filter(|e| **e == Event::Finish).count(), 3);
        let steps: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                Event::Step(label, 1) => Some(label.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(steps[..3], ["layer 1/3", "layer 2/3", "layer 3/3"]);
        assert_eq!(steps.len(), 9);
        // One block only: opened once, closed once.
        assert_eq!(summarise(&run(2, 8, 2)).len(), 1);
    }
}
