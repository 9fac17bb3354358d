//! The per-image protocol of both parties over one channel: a thin runner that moves the
//! messages of a [`PartyCore`] (the protocol itself, sans IO: [`super::core`]), runs its
//! garbled batches with the runtime driver (computing the core's pure [`Work`] on a second
//! thread beside a batch when the schedule says so), times every step and reports progress.

use super::activation::ShareCircuit;
use super::batch::run_batch;
use super::core::{PartyCore, Work};
use super::engine::CrossEngine;
use super::exchange::Side;
use super::msg::{Expect, Framing, GcBatch, GcCircuit};
use super::report::FastReport;
use super::schedule::{Action, Chunking, Finished, Op};
use super::shares::ModelShare;
use super::wire::{protocol, recv_words};
use crate::error::{ProtocolError, chan};
use crate::timeline::{Category, Lap};
use model::patches::ImageLayout;
use paillier::{PublicKey, SecretKey};
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::scheme::Scheme;
use std::time::{Duration, Instant};

pub use super::step::{CloudView, MAX_PATCHES, input_offset, input_value_bits, layer_layout};

/// What the user gets: the denoised 8-bit image and nothing finer.
#[derive(Clone, Debug)]
pub struct UserOutput {
    /// Row-major pixels, exactly the fixed-point reference's ([`model::pixel`]).
    pub pixels: Vec<u8>,
    /// Image width.
    pub width: usize,
    /// Image height.
    pub height: usize,
    /// Phases and traffic.
    pub report: FastReport,
}

/// What the cloud gets: nothing in clear but masked values.
#[derive(Clone, Debug)]
pub struct CloudOutput {
    /// Phases and traffic.
    pub report: FastReport,
    /// What it saw, when asked to record it.
    pub view: Option<CloudView>,
    /// Patches of the image (from the user's header).
    pub patches: usize,
}

/// The user's side for one image cut as `image`: `inputs[patch]` are the quantised input
/// patches (`Fa`, [`model::denoise::quantised_patches`]); linear layers on the default
/// [`CrossEngine`].
pub fn run_user<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    user_sk: &SecretKey,
    share: &ModelShare,
    circuit: &ShareCircuit,
    inputs: &[Vec<i64>],
    image: &ImageLayout,
    rng: &mut R,
) -> Result<UserOutput, ProtocolError> {
    let engine = CrossEngine::default();
    run_user_with(engine, ch, user_sk, share, circuit, inputs, image, rng)
}

/// [`run_user`] with the linear layers on `engine` (the image header names it; the cloud
/// must run the same).
#[allow(clippy::too_many_arguments)]
pub fn run_user_with<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    engine: CrossEngine,
    ch: &mut C,
    user_sk: &SecretKey,
    share: &ModelShare,
    circuit: &ShareCircuit,
    inputs: &[Vec<i64>],
    image: &ImageLayout,
    rng: &mut R,
) -> Result<UserOutput, ProtocolError> {
    let (chunking, scheme) = (Chunking::default(), Scheme::default());
    run_user_chunked(
        engine, chunking, scheme, ch, user_sk, share, circuit, inputs, image, rng,
    )
}

/// [`run_user_with`] with the image's patches cut as `chunking` says and every batch garbled
/// with `scheme` (the image header carries both; the cloud follows).
#[allow(clippy::too_many_arguments)]
pub fn run_user_chunked<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    engine: CrossEngine,
    chunking: Chunking,
    scheme: Scheme,
    ch: &mut C,
    user_sk: &SecretKey,
    share: &ModelShare,
    circuit: &ShareCircuit,
    inputs: &[Vec<i64>],
    image: &ImageLayout,
    rng: &mut R,
) -> Result<UserOutput, ProtocolError> {
    let core = PartyCore::user(engine, user_sk, share, circuit, inputs, image)?
        .in_session(ch.session_id())
        .with_chunking(chunking)?
        .with_scheme(scheme)?;
    let (done, report) = drive(ch, core, rng)?;
    Ok(UserOutput {
        pixels: done.pixels,
        width: done.image.width,
        height: done.image.height,
        report,
    })
}

/// The cloud's side for one image; `record_view` keeps everything it learned in clear;
/// linear layers on the default [`CrossEngine`].
pub fn run_cloud<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    user_pk: &PublicKey,
    share: &ModelShare,
    circuit: &ShareCircuit,
    record_view: bool,
    rng: &mut R,
) -> Result<CloudOutput, ProtocolError> {
    let engine = CrossEngine::default();
    run_cloud_with(engine, ch, user_pk, share, circuit, record_view, rng)
}

/// [`run_cloud`] with the linear layers on `engine`: a user's image header naming another
/// engine is refused with an error naming both; the garbling scheme is the header's (an
/// unknown one is refused).
pub fn run_cloud_with<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    engine: CrossEngine,
    ch: &mut C,
    user_pk: &PublicKey,
    share: &ModelShare,
    circuit: &ShareCircuit,
    record_view: bool,
    rng: &mut R,
) -> Result<CloudOutput, ProtocolError> {
    let core =
        PartyCore::cloud(engine, user_pk, share, circuit, record_view)?.in_session(ch.session_id());
    let (done, report) = drive(ch, core, rng)?;
    Ok(CloudOutput {
        report,
        view: done.view,
        patches: done.patches,
    })
}

/// Runs `core` to its end over `ch`: every step timed into the report, the user's progress
/// stepped after each layer's cross products and garbled batch.
fn drive<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    mut core: PartyCore<'_>,
    rng: &mut R,
) -> Result<(Finished, FastReport), ProtocolError> {
    let mut report = FastReport::default();
    let mut activation_bytes = Vec::new();
    let mut clock = Lap::start();
    loop {
        let op = match core.poll(rng)? {
            Action::Computed(op) => op,
            Action::Send(op, msg) => {
                let phase = msg.name();
                ch.send(&core.encode(&msg)?).map_err(chan(phase))?;
                ch.flush().map_err(chan(phase))?;
                op
            }
            Action::Recv(op, expect) => {
                let bytes = read_framed(ch, expect)?;
                let msg = core.decode(&bytes)?;
                core.receive(msg)?;
                op
            }
            Action::Garble(op, batch) => {
                let before = ch.bytes_received();
                let outputs =
                    run_batch(ch, core.circuit(batch.circuit)?, &batch, &mut report, rng)?;
                if batch.circuit == GcCircuit::Activation {
                    activation_bytes.push(ch.bytes_received() - before);
                }
                core.garbled(outputs)?;
                op
            }
            Action::GarbleBeside(op, batch, work) => {
                let before = ch.bytes_received();
                let (outputs, worked, took) = beside(ch, &core, &batch, &work, &mut report, rng)?;
                activation_bytes.push(ch.bytes_received() - before);
                core.worked(worked)?;
                core.garbled(outputs)?;
                // The products' own time, overlapped with the batch (not in the wall sum).
                let (_, layer, name) = label(&core, Op::Multiply(work.at()));
                report.set_layer(layer);
                report.record(
                    Category::Cross,
                    format!("{name} (beside activations)"),
                    took,
                );
                op
            }
            Action::Done(mut done) => {
                if core.side() == Side::User {
                    let layers = core.layers();
                    let step = format!("layer {layers}/{layers}: output pixels");
                    crate::progress::step(&step, core.patches() as u64);
                }
                report.bytes_sent = ch.bytes_sent();
                report.bytes_received = ch.bytes_received();
                report.chunks = core.chunks();
                if let Some(v) = done.view.as_mut() {
                    v.gc_bytes_received = activation_bytes;
                }
                return Ok((done, report));
            }
        };
        let (category, layer, name) = label(&core, op);
        report.set_layer(layer);
        clock.lap(&mut report, category, &name);
        if core.side() == Side::User {
            progress(&core, op);
        }
    }
}

/// Runs `batch` on `ch` while a second thread computes `work` on the shared core; returns
/// the batch's outputs, the work's result and its time.
#[allow(clippy::type_complexity)]
fn beside<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    ch: &mut C,
    core: &PartyCore<'_>,
    batch: &GcBatch,
    work: &Work,
    report: &mut FastReport,
    rng: &mut R,
) -> Result<(Option<Vec<Vec<bool>>>, super::core::Worked, Duration), ProtocolError> {
    let circuit = core.circuit(batch.circuit)?;
    let (outputs, worked) = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let t = Instant::now();
            core.work(work).map(|w| (w, t.elapsed()))
        });
        let outputs = run_batch(ch, circuit, batch, report, rng);
        (outputs, worker.join())
    });
    let (worked, took) =
        worked.map_err(|_| protocol("fast run", "the products' thread panicked".into()))??;
    Ok((outputs?, worked, took))
}

/// Reads one message off the channel as `expect` frames it (the bytes without a prefix;
/// records are read one by one, as they were before the core existed).
pub(crate) fn read_framed<C: Channel + ?Sized>(
    ch: &mut C,
    expect: Expect,
) -> Result<Vec<u8>, ProtocolError> {
    let phase = expect.phase;
    let (len, unit) = match expect.framing {
        Framing::Exact(len) => (len, len),
        Framing::Records { count, size } => (count.saturating_mul(size), size),
        Framing::Prefixed { max } => {
            let [len] = recv_words(ch, 1, phase)?[..] else {
                return Err(protocol(phase, "missing length".into()));
            };
            if len > max as u64 {
                return Err(protocol(phase, format!("{len} bytes, more than {max}")));
            }
            (len as usize, len as usize)
        }
    };
    let mut bytes = vec![0u8; len];
    for part in bytes.chunks_mut(unit.max(1)) {
        ch.recv_exact(part).map_err(chan(phase))?;
    }
    Ok(bytes)
}

/// The report's category, layer (1-based) and name of step `op`.
fn label(core: &PartyCore<'_>, op: Op) -> (Category, Option<u32>, String) {
    let user = core.side() == Side::User;
    let (mine, theirs) = (core.side().share_name(), core.side().peer().share_name());
    let (e, e_peer) = if user { ("W_U", "α") } else { ("α", "W_U") };
    let role = if user { "garbler" } else { "evaluator" };
    let layer = |at: super::schedule::At| Some(at.layer as u32 + 1);
    let cross = |li, name: String| (Category::Cross, layer(li), name);
    match op {
        Op::SendHeader | Op::RecvHeader => (Category::Other, None, "image header".into()),
        Op::OwnKeys | Op::PeerKeys => (Category::Other, None, "randomness tables".into()),
        Op::SendKey | Op::RecvKey => (Category::Other, None, "key exchange".into()),
        Op::PlanOutput => (Category::Other, None, "output circuits".into()),
        Op::Local(li) => (Category::Other, layer(li), "local products".into()),
        Op::Encrypt(li) => cross(li, format!("encrypt {mine}")),
        Op::SendInputs(li) => cross(li, format!("send {mine}")),
        Op::RecvInputs(li) => cross(li, format!("receive {theirs}")),
        Op::Multiply(li) => cross(li, format!("products {e}·{theirs}")),
        Op::SendProducts(li) => cross(li, format!("send {e}·{theirs}")),
        Op::RecvProducts(li) => cross(li, format!("wait for {e_peer}·{mine}")),
        Op::Decrypt(li) => cross(li, format!("decrypt {e_peer}·{mine}")),
        Op::Activation(li, _) => (Category::Gc, layer(li), format!("activation ({role})")),
        Op::Output => (Category::Gc, None, format!("output pixels ({role})")),
    }
}

/// The user's progress after step `op`: every layer's cross products, then its activations
/// or (the last) its output pixels, each over every patch of the chunk.
fn progress(core: &PartyCore<'_>, op: Op) {
    let layers = core.layers();
    let (what, at) = match op {
        Op::Decrypt(at) => ("cross products", at),
        Op::Activation(at, _) => ("activations", at),
        _ => return,
    };
    let step = format!("layer {}/{layers}: {what}", at.layer + 1);
    crate::progress::step(&step, core.chunk_patches(at) as u64);
}
