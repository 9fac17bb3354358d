//! One job under the fast protocol (docs/protocol.md §3) inside a session: the share pairing
//! ([`crate::fast::pairing`]), the per-(user, model) re-sharing only when no stored pair can be
//! reused, then the whole image in one run (packing works across all its patches).
//!
//! At a new setup the cloud draws a fresh key pair of its own for this user (cross product 2
//! runs under it) and keeps it with α in its share store; the user keeps `W_U` with the
//! cloud's public key in its share file. Without a store (or share file) the shares live for
//! the job only. Stored shares that cannot be used (missing, corrupt, of another setup) are
//! noted in the job's phases and replaced by a fresh setup; they never reach the image run
//! unchecked.

use super::{JobStats, KeyPolicy, SessionError};
use crate::fast::pairing::{cloud_offer, cloud_read_answer, user_answer, user_read_offer};
use crate::fast::store::{CloudShareStore, UserShareLocation, check_binding, read_share};
use crate::fast::{self, ModelShare, Ring, ShareCircuit};
use crate::upload::{EncryptedModel, ModelHeader};
use model::patches::ImageLayout;
use paillier::SecretKey;
use runtime::channel::Channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Phase name noting that the stored shares were reused (tests and logs look for it).
pub(crate) const SETUP_SKIPPED: &str = "fast: setup skipped, stored share pair reused";

/// The ring and the activation circuit both sides derive from the public header.
fn ring_and_circuit(header: &ModelHeader) -> Result<(Ring, ShareCircuit), SessionError> {
    let ring = Ring::new(header.fixed.ring_bits).map_err(|e| SessionError::Model(e.to_string()))?;
    let circuit = ShareCircuit::for_activation(&header.activation, &header.fixed)?;
    Ok((ring, circuit))
}

/// Adds the channel traffic since `start` and the job's patches to `stats`.
fn record_traffic<C: Channel + ?Sized>(
    ch: &C,
    stats: &mut JobStats,
    start: (u64, u64),
    patches: usize,
) {
    stats.bytes_sent += ch.bytes_sent() - start.0;
    stats.bytes_received += ch.bytes_received() - start.1;
    stats.patches += patches;
}

/// Notes the process's CPU time so far (how busy this side kept the cores).
fn note_cpu(stats: &mut JobStats) {
    if let Some(cpu) = platform::cpu::own_cpu() {
        note(stats, format!("fast: process CPU so far {:.1} s", cpu.as_secs_f64()));
    }
}

/// A zero-length phase carrying a note for the summary and the server log.
fn note(stats: &mut JobStats, what: String) {
    stats.add(&what, Duration::ZERO);
}

/// Notes the output step's cost (garbled pixels, AND gates, bytes) from a party's report.
fn note_output(stats: &mut JobStats, report: &crate::fast::FastReport) {
    note(
        stats,
        format!(
            "fast: output circuit {} pixels, {} ANDs, {} B received",
            report.pixels, report.output_ands, report.output_bytes_received
        ),
    );
}

/// Notes where a freshly made share was stored, or why it was not.
fn note_stored(
    stats: &mut JobStats,
    share: &ModelShare,
    stored: Result<std::path::PathBuf, crate::fast::store::StoreError>,
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
) -> Result<SecretKey, SessionError> {
    let bits = user_pk.bits();
    let key = match key_policy {
        KeyPolicy::Production => SecretKey::generate(bits, rng),
        KeyPolicy::InsecureTestKeys => SecretKey::generate_any_size(bits, rng),
    }
    .map_err(|e| SessionError::Model(format!("the cloud's {bits}-bit key for this user: {e}")))?;
    key_policy.check(key.public_key(), "the cloud's key for this user")?;
    Ok(key)
}

/// The cloud's side of a fast job with the linear-layer `engine` agreed in the handshake;
/// `store` keeps the shares between jobs (the same shares serve both engines).
pub(crate) fn cloud_job<C: Channel + ?Sized>(
    ch: &mut C,
    engine: fast::CrossEngine,
    model: &EncryptedModel,
    store: Option<&CloudShareStore>,
    key_policy: KeyPolicy,
    patches: usize,
    stats: &mut JobStats,
) -> Result<(), SessionError> {
    let header = &model.header;
    let user_pk = &header.public_key;
    let (ring, circuit) = ring_and_circuit(header)?;
    let mut rng = rand::rng();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let t = Instant::now();
    let model_hash = model.model_hash();
    let stored: Option<ModelShare> = match store.map(|s| s.load(user_pk, &model_hash)) {
        Some(Ok(s)) => s.filter(|s| s.ring == ring && s.shapes() == model.shapes()),
        Some(Err(e)) => {
            note(
                stats,
                format!("fast: stored share unusable ({e}): new setup"),
            );
            None
        }
        None => None,
    };
    cloud_offer(ch, &model_hash, stored.as_ref().map(|s| &s.binding))?;
    let reuse = cloud_read_answer(ch, stored.as_ref().map(|s| &s.binding))?;
    let share = match (reuse, stored) {
        (true, Some(share)) => {
            note(
                stats,
                format!("{SETUP_SKIPPED} {}", share.binding.short_id()),
            );
            share
        }
        _ => {
            // Each re-sharing is another masked sample of every weight: counted and capped
            // per (user key, model) in the store (fast::setup::MAX_RESHARINGS).
            if let Some(store) = store {
                let n = store
                    .count_resharing(user_pk, &model_hash)
                    .map_err(|e| SessionError::Model(format!("re-sharing refused: {e}")))?;
                note(
                    stats,
                    format!("fast: re-sharing {n} of this model to this user"),
                );
            }
            let cloud_sk = cloud_key(user_pk, key_policy, &mut rng)?;
            let share = fast::cloud_setup(ch, user_pk, model, Arc::new(cloud_sk), ring, &mut rng)?;
            stats.add("fast: setup (re-sharing)", t.elapsed());
            if let Some(store) = store {
                note_stored(stats, &share, store.save(user_pk, &share));
            }
            share
        }
    };
    let t = Instant::now();
    note(stats, format!("fast: linear layers on {engine}"));
    let out = fast::party::run_cloud_with(engine, ch, user_pk, &share, &circuit, false, &mut rng)?;
    if out.patches != patches {
        return Err(SessionError::Protocol {
            phase: "image header",
            what: format!(
                "{} patches in the image header, {patches} in the job request",
                out.patches
            ),
        });
    }
    stats.add("fast: image", t.elapsed());
    note_output(stats, &out.report);
    note_cpu(stats);
    record_traffic(ch, stats, (sent0, recv0), patches);
    Ok(())
}

/// The user's stored share for the offered model, if it is the cloud's partner.
fn user_stored(
    location: Option<&UserShareLocation>,
    sk: &SecretKey,
    model_hash: &[u8; 32],
    cloud_pair: Option<[u8; 32]>,
    ring: Ring,
    stats: &mut JobStats,
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

/// The user's side of a fast job (linear layers on `engine`) on the image cut as `layout`:
/// returns its 8-bit pixels (row-major, the only thing the user learns); `location` keeps
/// its share.
#[allow(clippy::too_many_arguments)]
pub(crate) fn user_job<C: Channel + ?Sized>(
    ch: &mut C,
    engine: fast::CrossEngine,
    sk: &SecretKey,
    header: &ModelHeader,
    location: Option<&UserShareLocation>,
    patches: &[Vec<i64>],
    layout: &ImageLayout,
    stats: &mut JobStats,
) -> Result<Vec<u8>, SessionError> {
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
        stats,
    )
    .filter(|s| s.shapes() == shapes);
    user_answer(ch, stored.as_ref().map(|s| &s.binding))?;
    let share = match stored {
        Some(share) => {
            note(
                stats,
                format!("{SETUP_SKIPPED} {}", share.binding.short_id()),
            );
            share
        }
        None => {
            let share = fast::user_setup(ch, sk, &shapes, ring)?;
            stats.add("fast: setup (re-sharing)", t.elapsed());
            if share.binding.model_hash != offer.model_hash {
                return Err(SessionError::Protocol {
                    phase: "setup share binding",
                    what: "the setup is for another model than the one offered".into(),
                });
            }
            if let Some(loc) = location {
                let path = loc.path_for(&offer.model_hash);
                let stored = fast::store::write_atomic(&path, &share.to_bytes()).map(|()| path);
                note_stored(stats, &share, stored);
            }
            share
        }
    };
    let t = Instant::now();
    note(stats, format!("fast: linear layers on {engine}"));
    let mut rng = rand::rng();
    crate::progress::phase(
        "denoising the image",
        2 * (patches.len() * shapes.len()) as u64,
    );
    let out =
        fast::party::run_user_with(engine, ch, sk, &share, &circuit, patches, layout, &mut rng)?;
    crate::progress::finish();
    stats.add("fast: image", t.elapsed());
    note_output(stats, &out.report);
    note_cpu(stats);
    record_traffic(ch, stats, (sent0, recv0), patches.len());
    Ok(out.pixels)
}
