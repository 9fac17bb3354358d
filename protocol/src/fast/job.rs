//! One job under the fast protocol (docs/protocol.md §3), the interface a session calls
//! ([`run_cloud`], [`run_user`]) after its handshake and job request: the share pairing
//! ([`super::pairing`]), the per-(user, model) re-sharing only when no stored pair can be
//! reused, then the whole image in one run (packing works across all its patches).
//!
//! At a new setup the cloud draws a fresh key pair of its own for this user (cross product 2
//! runs under it) and keeps it with α in its share store; the user keeps `W_U` with the
//! cloud's public key in its share file. Without a store (or share file) the shares live for
//! the job only. Stored shares that cannot be used (missing, corrupt, of another setup) are
//! noted in the job's phases and replaced by a fresh setup; they never reach the image run
//! unchecked. With the RLWE engine, a pair whose flooding budget has no room for the image is
//! re-shared too, and the image is counted in both share files before it runs
//! ([`super::store::rlwe_fit`], [`super::store::count_rlwe_image`]).

use super::engine::CrossEngine;
use super::pairing::{cloud_offer, cloud_read_answer, user_answer, user_read_offer};
use super::party::{run_cloud_with, run_user_chunked};
use super::report::FastReport;
use super::schedule::Chunking;
use super::setup::{cloud_setup, user_setup};
use super::store::{
    CloudShareStore, StoreError, UserShareLocation, check_binding, count_rlwe_image, read_share,
    rlwe_fit, rlwe_image_cost,
};
use super::{ModelShare, Ring, ShareCircuit};
use crate::error::ProtocolError;
use crate::params::KeyPolicy;
use crate::timeline::{Category, Timeline};
use crate::upload::{EncryptedModel, ModelHeader};
use model::patches::ImageLayout;
use paillier::SecretKey;
use runtime::channel::Channel;
use runtime::scheme::Scheme;
use std::sync::Arc;
use std::time::Instant;

/// Phase name noting that the stored shares were reused (tests and logs look for it).
pub const SETUP_SKIPPED: &str = "fast: setup skipped, stored share pair reused";

/// The ring and the activation circuit both sides derive from the public header.
fn ring_and_circuit(header: &ModelHeader) -> Result<(Ring, ShareCircuit), ProtocolError> {
    let ring =
        Ring::new(header.fixed.ring_bits).map_err(|e| ProtocolError::Model(e.to_string()))?;
    let circuit = ShareCircuit::for_activation(&header.activation, &header.fixed)?;
    Ok((ring, circuit))
}

/// Adds the channel traffic since `start` and the job's patches to `stats`.
fn record_traffic<C: Channel + ?Sized>(
    ch: &C,
    stats: &mut Timeline,
    start: (u64, u64),
    patches: usize,
) {
    stats.bytes_sent += ch.bytes_sent() - start.0;
    stats.bytes_received += ch.bytes_received() - start.1;
    stats.patches += patches as u64;
}

/// Notes the process's CPU time so far (how busy this side kept the cores).
fn note_cpu(stats: &mut Timeline) {
    if let Some(cpu) = platform::cpu::own_cpu() {
        note(
            stats,
            format!("fast: process CPU so far {:.1} s", cpu.as_secs_f64()),
        );
    }
}

/// A zero-length phase carrying a note for the summary and the server log.
fn note(stats: &mut Timeline, what: String) {
    stats.note(what);
}

/// Notes the output step's cost (garbled pixels, AND gates, bytes) from a party's report.
fn note_output(stats: &mut Timeline, report: &FastReport) {
    note(
        stats,
        format!(
            "fast: output circuit {} pixels, {} ANDs, {} B received",
            report.pixels, report.output_ands, report.output_bytes_received
        ),
    );
}

/// Notes the garbling scheme the run's batches used.
fn note_scheme(stats: &mut Timeline, report: &FastReport) {
    note(stats, format!("fast: garbling scheme {}", report.scheme));
}

/// Notes where a freshly made share was stored, or why it was not.
fn note_stored(
    stats: &mut Timeline,
    share: &ModelShare,
    stored: Result<std::path::PathBuf, StoreError>,
) {
    match stored {
        Ok(path) => note(
            stats,
            format!(
                "fast: share pair {} stored in {}",
                share.binding.short_id(),
                path.display()
            ),
        ),
        Err(e) => note(stats, format!("fast: share not stored ({e})")),
    }
}

/// The cloud's own key for a new setup, of the user's key size: under
/// [`KeyPolicy::Production`] a production key ([`SecretKey::generate`]: 2048 or 3072 bits,
/// checked by [`KeyPolicy::check`]); small sizes only under the tests' policy.
fn cloud_key<R: rand::CryptoRng + ?Sized>(
    user_pk: &paillier::PublicKey,
    key_policy: KeyPolicy,
    rng: &mut R,
) -> Result<SecretKey, ProtocolError> {
    let bits = user_pk.bits();
    let key = match key_policy {
        KeyPolicy::Production => SecretKey::generate(bits, rng),
        KeyPolicy::InsecureTestKeys => SecretKey::generate_any_size(bits, rng),
    }
    .map_err(|e| ProtocolError::Model(format!("the cloud's {bits}-bit key for this user: {e}")))?;
    key_policy.check(key.public_key(), "the cloud's key for this user")?;
    Ok(key)
}

/// What the cloud brings to a fast job.
pub struct CloudJob<'a> {
    /// The linear-layer engine agreed in the handshake.
    pub engine: CrossEngine,
    /// The served model.
    pub model: &'a EncryptedModel,
    /// Where shares are kept between jobs (the same shares serve both engines).
    pub store: Option<&'a CloudShareStore>,
    /// Which keys the cloud makes and accepts.
    pub key_policy: KeyPolicy,
    /// Patches of the job request (the image header must announce as many).
    pub patches: usize,
}

/// The cloud's side of a fast job: pairing, a setup unless a stored pair is reused, the
/// image; returns the job's statistics with the image run's report.
pub fn run_cloud<C: Channel + ?Sized>(
    ch: &mut C,
    job: &CloudJob<'_>,
) -> Result<(Timeline, FastReport), ProtocolError> {
    let mut stats = Timeline::default();
    let model = job.model;
    let header = &model.header;
    let user_pk = &header.public_key;
    let (ring, circuit) = ring_and_circuit(header)?;
    let mut rng = rand::rng();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let t = Instant::now();
    let model_hash = model.model_hash();
    let stored: Option<ModelShare> = match job.store.map(|s| s.load(user_pk, &model_hash)) {
        Some(Ok(s)) => s.filter(|s| s.ring == ring && s.shapes() == model.shapes()),
        Some(Err(e)) => {
            note(
                &mut stats,
                format!("fast: stored share unusable ({e}): new setup"),
            );
            None
        }
        None => None,
    };
    // The RLWE flooding bound per share pair: a pair without room for this image is re-shared.
    let cost = rlwe_image_cost(&model.shapes(), job.patches);
    let (stored, why) = rlwe_fit(stored, job.engine, cost)?;
    if let Some(why) = why {
        note(&mut stats, why);
    }
    cloud_offer(ch, &model_hash, stored.as_ref().map(|s| &s.binding))?;
    let reuse = cloud_read_answer(ch, stored.as_ref().map(|s| &s.binding))?;
    let mut share = match (reuse, stored) {
        (true, Some(share)) => {
            note_reused(&mut stats, &share);
            share
        }
        _ => {
            // Each re-sharing is another masked sample of every weight: counted and capped
            // per (user key, model) in the store (fast::setup::MAX_RESHARINGS).
            if let Some(store) = job.store {
                let n = store
                    .count_resharing(user_pk, &model_hash)
                    .map_err(|e| ProtocolError::Model(format!("re-sharing refused: {e}")))?;
                note(
                    &mut stats,
                    format!("fast: re-sharing {n} of this model to this user"),
                );
            }
            let cloud_sk = cloud_key(user_pk, job.key_policy, &mut rng)?;
            let share = cloud_setup(ch, user_pk, model, Arc::new(cloud_sk), ring, &mut rng)?;
            stats.record(Category::Other, "fast: setup (re-sharing)", t.elapsed());
            if let Some(store) = job.store {
                note_stored(&mut stats, &share, store.save(user_pk, &share));
            }
            share
        }
    };
    // Counted and persisted before the image runs (a crash never leaves an uncounted image).
    if count_rlwe_image(&mut share, job.engine, cost)?
        && let Some(store) = job.store
    {
        store.save(user_pk, &share)?;
    }
    note(&mut stats, format!("fast: linear layers on {}", job.engine));
    let out = run_cloud_with(job.engine, ch, user_pk, &share, &circuit, false, &mut rng)?;
    note_scheme(&mut stats, &out.report);
    if out.patches != job.patches {
        return Err(ProtocolError::Protocol {
            phase: "image header",
            what: format!(
                "{} patches in the image header, {} in the job request",
                out.patches, job.patches
            ),
        });
    }
    finish(ch, &mut stats, &out.report, (sent0, recv0), job.patches);
    Ok((stats, out.report))
}

/// The user's stored share for the offered model, if it is the cloud's partner.
fn user_stored(
    location: Option<&UserShareLocation>,
    sk: &SecretKey,
    model_hash: &[u8; 32],
    cloud_pair: Option<[u8; 32]>,
    ring: Ring,
    stats: &mut Timeline,
) -> Option<ModelShare> {
    let path = location?.path_for(model_hash);
    let checked = read_share(&path).and_then(|s| match s {
        Some(s) => check_binding(&path, &s, sk.public_key(), model_hash).map(|()| Some(s)),
        None => Ok(None),
    });
    match checked {
        Ok(Some(s)) if s.ring == ring && Some(s.binding.pair_id) == cloud_pair => Some(s),
        Ok(Some(_)) => {
            note(
                stats,
                format!(
                    "fast: {} is not the cloud's partner share: new setup",
                    path.display()
                ),
            );
            None
        }
        Ok(None) => None,
        Err(e) => {
            note(
                stats,
                format!("fast: stored share unusable ({e}): new setup"),
            );
            None
        }
    }
}

/// What the user brings to a fast job.
pub struct UserJob<'a> {
    /// The linear-layer engine agreed in the handshake.
    pub engine: CrossEngine,
    /// The garbling scheme of every batch (named in the image header; the cloud follows).
    pub scheme: Scheme,
    /// The user's secret key.
    pub sk: &'a SecretKey,
    /// The model's public header.
    pub header: &'a ModelHeader,
    /// Where the user keeps its share between jobs (`None`: a setup per job).
    pub location: Option<&'a UserShareLocation>,
    /// The image's quantised patches.
    pub patches: &'a [Vec<i64>],
    /// How the patches cut the image.
    pub layout: &'a ImageLayout,
}

/// What the user gets from a fast job.
#[derive(Debug, Clone)]
pub struct UserResult {
    /// The 8-bit pixels, row-major (the only thing the user learns).
    pub pixels: Vec<u8>,
    /// Phases and traffic of the job (pairing, setup, image).
    pub stats: Timeline,
    /// The image run's report.
    pub report: FastReport,
}

/// The user's side of a fast job: pairing, a setup unless its stored share is the cloud's
/// partner (a fresh share is stored at `location`), then the image.
pub fn run_user<C: Channel + ?Sized>(
    ch: &mut C,
    job: &UserJob<'_>,
) -> Result<UserResult, ProtocolError> {
    let mut stats = Timeline::default();
    let (sk, header, location) = (job.sk, job.header, job.location);
    let (ring, circuit) = ring_and_circuit(header)?;
    let shapes: Vec<(usize, usize)> = header
        .widths
        .windows(2)
        .map(|w| (w[0] as usize, w[1] as usize))
        .collect();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let t = Instant::now();
    let offer = user_read_offer(ch)?;
    let stored = user_stored(
        location,
        sk,
        &offer.model_hash,
        offer.cloud_pair,
        ring,
        &mut stats,
    )
    .filter(|s| s.shapes() == shapes);
    let cost = rlwe_image_cost(&shapes, job.patches.len());
    let (stored, why) = rlwe_fit(stored, job.engine, cost)?;
    if let Some(why) = why {
        note(&mut stats, why);
    }
    user_answer(ch, stored.as_ref().map(|s| &s.binding))?;
    let mut share = match stored {
        Some(share) => {
            note_reused(&mut stats, &share);
            share
        }
        None => {
            let share = user_setup(ch, sk, &shapes, ring)?;
            stats.record(Category::Other, "fast: setup (re-sharing)", t.elapsed());
            if share.binding.model_hash != offer.model_hash {
                return Err(ProtocolError::Protocol {
                    phase: "setup share binding",
                    what: "the setup is for another model than the one offered".into(),
                });
            }
            if let Some(loc) = location {
                let path = loc.path_for(&offer.model_hash);
                let stored = super::store::write_atomic(&path, &share.to_bytes()).map(|()| path);
                note_stored(&mut stats, &share, stored);
            }
            share
        }
    };
    if count_rlwe_image(&mut share, job.engine, cost)?
        && let Some(loc) = location
    {
        super::store::write_atomic(&loc.path_for(&offer.model_hash), &share.to_bytes())?;
    }
    note(&mut stats, format!("fast: linear layers on {}", job.engine));
    let mut rng = rand::rng();
    let patches = job.patches;
    crate::progress::phase(
        "denoising the image",
        2 * (patches.len() * shapes.len()) as u64,
    );
    let (engine, chunking) = (job.engine, Chunking::default());
    let out = run_user_chunked(
        engine, chunking, job.scheme, ch, sk, &share, &circuit, patches, job.layout, &mut rng,
    )?;
    note_scheme(&mut stats, &out.report);
    crate::progress::finish();
    finish(ch, &mut stats, &out.report, (sent0, recv0), patches.len());
    Ok(UserResult {
        pixels: out.pixels,
        stats,
        report: out.report,
    })
}

/// Notes that a stored share pair was reused.
fn note_reused(stats: &mut Timeline, share: &ModelShare) {
    note(
        stats,
        format!("{SETUP_SKIPPED} {}", share.binding.short_id()),
    );
}

/// Closes a job's statistics after the image run: its steps and counts (the run's report,
/// which so reaches the user's summary and the server log), the output step's cost, the
/// process CPU time, the traffic since `start` and the patches.
fn finish<C: Channel + ?Sized>(
    ch: &C,
    stats: &mut Timeline,
    report: &FastReport,
    start: (u64, u64),
    patches: usize,
) {
    stats.absorb_nested(&report.timeline);
    stats.set_layer(None);
    note_output(stats, report);
    note_cpu(stats);
    record_traffic(ch, stats, start, patches);
}
