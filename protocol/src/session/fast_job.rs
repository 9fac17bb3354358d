//! One job under the fast protocol (PROTOCOL.md §3) inside a session: the per-(user, model)
//! re-sharing, then the whole image in one run (packing works across all its patches).
//!
//! The cloud draws a fresh key pair of its own for the session (cross product 2 runs under
//! it); the shares live for the session only.

use super::{JobStats, SessionError};
use crate::fast::{self, Ring, ShareCircuit};
use crate::upload::{EncryptedModel, ModelHeader};
use paillier::SecretKey;
use runtime::channel::Channel;
use std::sync::Arc;
use std::time::Instant;

/// The fast protocol's view of the uploaded model (the same public ciphertexts).
fn fast_model(model: &EncryptedModel) -> fast::EncryptedModel {
    fast::EncryptedModel {
        layers: model
            .layers
            .iter()
            .map(|l| fast::shares::EncryptedLayer {
                inputs: l.inputs,
                outputs: l.outputs,
                weights: l.weights.clone(),
                bias: l.bias.clone(),
            })
            .collect(),
    }
}

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

/// The cloud's side of a fast job.
pub(crate) fn cloud_job<C: Channel + ?Sized>(
    ch: &mut C,
    model: &EncryptedModel,
    patches: usize,
    stats: &mut JobStats,
) -> Result<(), SessionError> {
    let header = &model.header;
    let (ring, circuit) = ring_and_circuit(header)?;
    let mut rng = rand::rng();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let t = Instant::now();
    let cloud_sk = SecretKey::generate_any_size(header.public_key.bits(), &mut rng)
        .map_err(|e| SessionError::Model(format!("cloud key: {e}")))?;
    let enc = fast_model(model);
    let share = fast::cloud_setup(
        ch,
        &header.public_key,
        &enc,
        Arc::new(cloud_sk),
        ring,
        &mut rng,
    )?;
    stats.add("fast: setup (re-sharing)", t.elapsed());
    let t = Instant::now();
    fast::run_cloud(ch, &header.public_key, &share, &circuit, false, &mut rng)?;
    stats.add("fast: image", t.elapsed());
    record_traffic(ch, stats, (sent0, recv0), patches);
    Ok(())
}

/// The user's side of a fast job: returns `q` per patch.
pub(crate) fn user_job<C: Channel + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    header: &ModelHeader,
    patches: &[Vec<i64>],
    stats: &mut JobStats,
) -> Result<Vec<Vec<i64>>, SessionError> {
    let (ring, circuit) = ring_and_circuit(header)?;
    let shapes: Vec<(usize, usize)> = header
        .widths
        .windows(2)
        .map(|w| (w[0] as usize, w[1] as usize))
        .collect();
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let t = Instant::now();
    let share = fast::user_setup(ch, sk, &shapes, ring)?;
    stats.add("fast: setup (re-sharing)", t.elapsed());
    let t = Instant::now();
    let out = fast::run_user(ch, sk, &share, &circuit, patches, &mut rand::rng())?;
    stats.add("fast: image", t.elapsed());
    record_traffic(ch, stats, (sent0, recv0), patches.len());
    Ok(out.outputs)
}
