//! The cloud's side of the reference protocol. It only ever holds the user's PUBLIC key:
//! nothing in this module can decrypt.

use super::{BRIDGE_MODE, activation_bits, check_key_fits, check_model, draw_mask};
use crate::bridge::{BridgeCircuit, CloudOutput, run_cloud};
use crate::session::error::{chan, he};
use crate::session::wire::{recv_ciphertexts, send_ciphertexts};
use crate::session::{JobStats, SessionError};
use crate::upload::{EncryptedLayer, EncryptedModel};
use paillier::{BigInt, BigUint, Ciphertext, PublicKey, Randomness, RandomnessPool};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use runtime::channel::Channel;
use std::time::Instant;

/// Fresh `r^N` values for re-randomising `count` ciphertexts (off-line work, in parallel).
fn randomness(pk: &PublicKey, count: usize) -> Vec<Randomness> {
    let mut pool = RandomnessPool::new();
    pool.fill(pk, count);
    (0..count).filter_map(|_| pool.take()).collect()
}

/// Runs one chunk of `count` patches: receives `Enc(p)`, runs every layer, sends `Enc(q)`.
/// `pk` must be the key of `model` (the user's public key).
pub fn run_chunk<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    model: &EncryptedModel,
    circuit: &BridgeCircuit,
    count: usize,
    stats: &mut JobStats,
) -> Result<(), SessionError> {
    if *pk != model.header.public_key {
        return Err(SessionError::Model(
            "the key does not match the model's".into(),
        ));
    }
    check_model(model)?;
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let n0 = model.header.widths[0] as usize;
    let t = Instant::now();
    let inputs = recv_ciphertexts(ch, pk, count * n0, "encrypted patches")?;
    stats.add("wait: receive Enc(p)", t.elapsed());
    let mut acts: Vec<Vec<Ciphertext>> = inputs.chunks(n0).map(|c| c.to_vec()).collect();
    let a_bits = activation_bits(&model.header.fixed);
    let w_bits = model.header.weight_bits;
    check_key_fits(w_bits.max(a_bits), pk.bits())?;
    let last = model.header.layers() - 1; // check_model: at least one layer
    for (li, layer) in model.layers.iter().enumerate() {
        stats.scope = format!("L{} ", li + 1);
        let z = linear_layer(ch, pk, layer, &acts, a_bits, w_bits, stats)?;
        if li == last {
            let rands = stats.time("offline: r^N", || randomness(pk, z.len()));
            let out: Vec<Ciphertext> = stats.time("re-randomise outputs", || {
                z.par_iter()
                    .zip(rands.par_iter())
                    .map(|(c, r)| pk.rerandomize(c, r))
                    .collect()
            });
            stats.time("send Enc(q)", || {
                send_ciphertexts(ch, pk, &out, "encrypted outputs")
            })?;
        } else {
            let mut pool = RandomnessPool::new();
            stats.time("offline: r^N", || pool.fill(pk, z.len()));
            let mut rng = ChaCha20Rng::from_rng(&mut rand::rng());
            let t = Instant::now();
            let (out, report) = run_cloud(ch, pk, circuit, &z, BRIDGE_MODE, &mut pool, &mut rng)?;
            stats.add("activation bridge", t.elapsed());
            stats.add("  of which garbled circuit", report.gc_wall());
            let CloudOutput::Unpacked(cts) = out else {
                return Err(SessionError::Protocol {
                    phase: "activation bridge",
                    what: "packed output from an unpacked run".into(),
                });
            };
            let width = layer.outputs;
            acts = cts.chunks(width).map(|c| c.to_vec()).collect();
        }
    }
    stats.scope.clear();
    ch.flush().map_err(chan("end of chunk"))?;
    stats.bytes_sent += ch.bytes_sent() - sent0;
    stats.bytes_received += ch.bytes_received() - recv0;
    stats.patches += count;
    Ok(())
}

/// Masks of one patch for one layer: `r2_j` per input, `r1_ij` per weight.
struct PatchMasks {
    r2: Vec<u128>,
    r1: Vec<u128>,
}

/// The interactive encrypted multiplication of one layer over every patch of the chunk;
/// returns `Enc(z_bi)` in patch-major order.
fn linear_layer<C: Channel + ?Sized>(
    ch: &mut C,
    pk: &PublicKey,
    layer: &EncryptedLayer,
    acts: &[Vec<Ciphertext>],
    a_bits: u32,
    w_bits: u32,
    stats: &mut JobStats,
) -> Result<Vec<Ciphertext>, SessionError> {
    let (n_in, n_out) = (layer.inputs, layer.outputs);
    let per_patch = n_in + n_in * n_out;
    let rands = stats.time("offline: r^N", || randomness(pk, acts.len() * per_patch));
    // Fresh masks per patch: every weight is masked once per patch, so these are sized for
    // the counted uses (super::MASK_SIGMA; the bound is proved at super::draw_mask).
    let masks: Vec<PatchMasks> = stats.time("draw masks", || {
        acts.par_iter()
            .map(|_| {
                let mut rng = ChaCha20Rng::from_rng(&mut rand::rng());
                Ok(PatchMasks {
                    r2: (0..n_in)
                        .map(|_| draw_mask(a_bits, &mut rng))
                        .collect::<Result<_, _>>()?,
                    r1: (0..n_in * n_out)
                        .map(|_| draw_mask(w_bits, &mut rng))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<Vec<PatchMasks>, SessionError>>()
    })?;
    let blinded: Vec<Ciphertext> = stats.time("blind + re-randomise", || {
        rands
            .par_iter()
            .enumerate()
            .map(|(k, rn)| {
                let (b, t) = (k / per_patch, k % per_patch);
                let (c, m) = if t < n_in {
                    (&acts[b][t], masks[b].r2[t])
                } else {
                    (&layer.weights[t - n_in], masks[b].r1[t - n_in])
                };
                let masked = pk.add_plain(c, &BigUint::from(m)).map_err(he("blinding"))?;
                Ok(pk.rerandomize(&masked, rn))
            })
            .collect::<Result<Vec<Ciphertext>, SessionError>>()
    })?;
    stats.time("send blinded factors", || {
        send_ciphertexts(ch, pk, &blinded, "blinded factors")
    })?;
    drop(blinded);
    let t = Instant::now();
    let sums = recv_ciphertexts(ch, pk, acts.len() * n_out, "encrypted products")?;
    stats.add("wait: user multiplies", t.elapsed());
    stats.time("unblind (multi-exponentiation)", || {
        sums.par_iter()
            .enumerate()
            .map(|(k, s)| {
                let (b, i) = (k / n_out, k % n_out);
                let r1: Vec<BigInt> = masks[b].r1[i * n_in..(i + 1) * n_in]
                    .iter()
                    .map(|&m| BigInt::from(m))
                    .collect();
                let r2: Vec<BigInt> = masks[b].r2.iter().map(|&m| BigInt::from(m)).collect();
                let row = &layer.weights[i * n_in..(i + 1) * n_in];
                let cross_a =
                    paillier::inner_product(pk, &acts[b], &r1).map_err(he("unblinding"))?;
                let cross_w = paillier::inner_product(pk, row, &r2).map_err(he("unblinding"))?;
                let rr: BigUint = masks[b].r1[i * n_in..(i + 1) * n_in]
                    .iter()
                    .zip(&masks[b].r2)
                    .map(|(&x, &y)| BigUint::from(x) * BigUint::from(y))
                    .sum::<BigUint>()
                    % pk.n();
                let cross = pk
                    .add_plain(&pk.add(&cross_a, &cross_w), &rr)
                    .map_err(he("unblinding"))?;
                Ok(pk.add(&pk.sub(s, &cross), &layer.bias[i]))
            })
            .collect()
    })
}
