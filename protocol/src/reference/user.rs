//! The user's side of the reference protocol (key owner, garbler of the activations).

use crate::bridge::{BridgeCircuit, run_user};
use crate::session::error::he;
use crate::session::wire::{recv_ciphertexts, send_ciphertexts};
use crate::session::{JobStats, SessionError};
use crate::upload::ModelHeader;
use paillier::{BigInt, BigUint, Ciphertext, Randomness, RandomnessPool, SecretKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use runtime::channel::Channel;
use std::time::Instant;

/// Key-owner randomness `r^N` through the CRT (off-line work, in parallel).
fn randomness(sk: &SecretKey, count: usize) -> Vec<Randomness> {
    let mut pool = RandomnessPool::new();
    pool.fill_crt(sk, count);
    (0..count).filter_map(|_| pool.take()).collect()
}

/// Runs one chunk: `patches` are quantised input patches (`Fa` fractional bits); returns
/// the raw outputs `q` (scale `Fw + Fa`) per patch. `progress(layer)` is called after each
/// layer.
pub fn run_chunk<C: Channel + ?Sized>(
    ch: &mut C,
    sk: &SecretKey,
    header: &ModelHeader,
    circuit: &BridgeCircuit,
    patches: &[Vec<i64>],
    stats: &mut JobStats,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<i64>>, SessionError> {
    let pk = sk.public_key();
    super::check_header(header)?;
    let (sent0, recv0) = (ch.bytes_sent(), ch.bytes_received());
    let count = patches.len();
    let n0 = header.widths[0] as usize;
    if let Some(p) = patches.iter().find(|p| p.len() != n0) {
        return Err(SessionError::Model(format!(
            "a patch has {} values, the model takes {n0}",
            p.len()
        )));
    }
    let flat: Vec<i64> = patches.iter().flatten().copied().collect();
    let rands = stats.time("offline: r^N", || randomness(sk, flat.len()));
    let enc: Vec<Ciphertext> = stats.time("encrypt patches", || {
        flat.par_iter()
            .zip(rands.par_iter())
            .map(|(&v, rn)| {
                pk.encrypt_signed_with(&BigInt::from(v), rn)
                    .map_err(he("encrypting patches"))
            })
            .collect::<Result<Vec<Ciphertext>, SessionError>>()
    })?;
    stats.time("send Enc(p)", || {
        send_ciphertexts(ch, pk, &enc, "encrypted patches")
    })?;
    let layers = header.layers();
    for li in 0..layers {
        stats.scope = format!("L{} ", li + 1);
        let (n_in, n_out) = (header.widths[li] as usize, header.widths[li + 1] as usize);
        let t = Instant::now();
        let blinded = recv_ciphertexts(ch, pk, count * (n_in + n_in * n_out), "blinded factors")?;
        stats.add("wait: cloud blinds", t.elapsed());
        let plain: Vec<BigUint> = stats.time("decrypt blinded factors", || {
            blinded
                .par_iter()
                .map(|c| sk.decrypt(c).map_err(he("decrypting blinded factors")))
                .collect::<Result<Vec<BigUint>, SessionError>>()
        })?;
        drop(blinded);
        let rands = stats.time("offline: r^N", || randomness(sk, count * n_out));
        let per_patch = n_in + n_in * n_out;
        let sums: Vec<Ciphertext> = stats.time("multiply + encrypt", || {
            rands
                .par_iter()
                .enumerate()
                .map(|(k, rn)| {
                    let (b, i) = (k / n_out, k % n_out);
                    let base = &plain[b * per_patch..(b + 1) * per_patch];
                    let (a, w) = base.split_at(n_in);
                    let s: BigUint = w[i * n_in..(i + 1) * n_in]
                        .iter()
                        .zip(a)
                        .map(|(x, y)| x * y)
                        .sum::<BigUint>()
                        % pk.n();
                    pk.encrypt_with(&s, rn).map_err(he("encrypting products"))
                })
                .collect::<Result<Vec<Ciphertext>, SessionError>>()
        })?;
        stats.time("send Enc(products)", || {
            send_ciphertexts(ch, pk, &sums, "encrypted products")
        })?;
        if li + 1 < layers {
            let mut pool = RandomnessPool::new();
            stats.time("offline: r^N", || pool.fill_crt(sk, count * n_out));
            let mut rng = ChaCha20Rng::from_rng(&mut rand::rng());
            let t = Instant::now();
            let report = run_user(ch, sk, circuit, &mut pool, &mut rng)?;
            stats.add("activation bridge", t.elapsed());
            stats.add("  of which garbled circuit", report.gc_wall());
        }
        progress(li);
    }
    stats.scope.clear();
    let n_last = header.widths[layers] as usize;
    let t = Instant::now();
    let out = recv_ciphertexts(ch, pk, count * n_last, "encrypted outputs")?;
    stats.add("wait: receive Enc(q)", t.elapsed());
    let bound = 1i128 << header.z_bits;
    let q: Vec<i64> = stats.time("decrypt outputs", || {
        out.par_iter()
            .map(|c| {
                let v = sk.decrypt_signed(c).map_err(he("decrypting outputs"))?;
                i128::try_from(&v)
                    .ok()
                    .filter(|v| v.abs() < bound)
                    .map(|v| v as i64)
                    .ok_or_else(|| SessionError::Protocol {
                        phase: "encrypted outputs",
                        what: format!("an output exceeds the model's bound 2^{}", header.z_bits),
                    })
            })
            .collect::<Result<Vec<i64>, SessionError>>()
    })?;
    stats.bytes_sent += ch.bytes_sent() - sent0;
    stats.bytes_received += ch.bytes_received() - recv0;
    stats.patches += count;
    Ok(q.chunks(n_last).map(|c| c.to_vec()).collect())
}
