//! The per-image protocol of both parties (docs/protocol.md §3, "Per layer"), over one channel.
//!
//! Message order per layer (either side reads what the other has already sent, so there is
//! no deadlock however large the messages):
//!
//! ```text
//! user                                   cloud
//! ── header words, base h_U ───────────▶
//! ◀──────────────────────────── base h_C
//! ── Enc_U(a_U) packed [n][B] ──────────▶
//! ◀────────────── Enc_C(a_C) packed [n][B]   (not on layer 1: a_C = −B is public)
//! W_U·a_C + μ (multi-exp)                α·a_U + ρ (multi-exp)       ← both at once
//! ── Enc_C(W_U·a_C + μ) [m][B] ─────────▶
//! ◀────────────────── Enc_U(α·a_U + ρ) [m][B]
//! decrypt                                decrypt
//! ── garbled activation batch (user garbles, cloud evaluates, y to the cloud) ──
//! after the last layer, per coverage n of a pixel:
//! ── output circuit batch (user garbles, cloud evaluates, the pixels to the user) ──
//! ```
//! Layer 1 starts from `a_U = p + B`, `a_C = −B` ([`input_offset`]), so its terms with
//! `a_C` are local and its cross product 1 packs narrower slots.
//! The last layer sends nothing in clear: each party sums its output shares per pixel (the
//! user adds `centre(p)·2^Fw`) and the output circuits ([`super::output`]) reveal the 8-bit
//! pixels to the user alone; `z_C` never leaves the cloud. The header carries the image's
//! width, height and stride (public, in the leakage statement anyway): the cloud needs them
//! to know which outputs sum to which pixel and checks them against the patch count.
//!
//! Randomness (issue 13, proof in [`super::fresh`]): each party encrypts its own shares with
//! short exponents in its own base (`h_U`, `h_C`, drawn per image and published in the
//! handshake above); every product returned to a key holder is re-randomised with
//! `h_K^y`, y on `bits(N) + σ + ⌈log2 uses⌉` bits
//! ([`super::fresh::FreshZeros::toward_holder`]).
//!
//! Engines ([`super::engine`]): the diagram shows the cross products on packed Paillier
//! ([`CrossEngine::Paillier`]); with [`CrossEngine::Rlwe`] the header names that engine, the
//! bases are replaced by each party's fresh RLWE public key for this image, and `Enc` is RLWE
//! in the coefficient encoding (docs/protocol.md §4); the message order is the same.

use super::activation::ShareCircuit;
use super::engine::{Cross, CrossEngine, Side, check_engine_word};
use super::output::{OutputPlan, check_layout, header_layout, user_centres};
use super::report::{Clock, FastReport};
use super::ring::{Ring, SIGMA};
use super::shares::{LayerShare, ModelShare, ShareKey};
use super::wire::{expect_words, protocol, recv_words, send_words};
use crate::error::{BridgeError, he};
use model::fixed::FIXED;
use model::patches::ImageLayout;
use paillier::{PublicKey, SecretKey, SlotLayout};
use rand::CryptoRng;
use rayon::prelude::*;
use runtime::channel::Channel;
use runtime::driver::{Reveal, run_evaluator, run_garbler};

const MAGIC: u64 = u64::from_le_bytes(*b"GCCNN-FI");
const VERSION: u64 = 5;
/// Most patches a cloud accepts per run.
/// (2^16: a 1280×1280 image at stride 5; the cloud allocates its shares for this many
/// patches before their ciphertexts arrive.)
pub const MAX_PATCHES: u64 = 1 << 16;

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

/// Everything the cloud learned in clear during a run (recorded on request, for tests).
#[derive(Clone, Debug, Default)]
pub struct CloudView {
    /// Ciphertexts received under the user's key (packed `a_U`).
    pub user_ciphertexts: usize,
    /// Decrypted cross-product slots `W_U·a_C + μ` (full integers, below 2^w).
    pub cross_slots: Vec<paillier::BigUint>,
    /// Garbled-circuit outputs `y = act(z) + r mod 2^k`.
    pub activations: Vec<u64>,
    /// Bytes received during each layer's garbled activation batch (handshake, OT, labels,
    /// garbled tables, decoding bits), in layer order.
    pub gc_bytes_received: Vec<u64>,
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

fn fingerprint_word(pk: &PublicKey) -> u64 {
    u64::from_le_bytes(pk.fingerprint())
}

/// The first layer's offset B: inputs lie in `[−B, B]` (`model::fixed::FIXED`'s clamp), so
/// the user's first shares `a_U = p + B` are non-negative with [`input_value_bits`] bits and
/// the cloud's `a_C = −B` is public: `W_U·a_C` and `α·a_C` are computed locally and the
/// first cross product 1 packs narrower slots ([`Ring::slot_width_values`]).
pub fn input_offset() -> i64 {
    FIXED.quantise_input(FIXED.input_clamp)
}

/// Bits of the offset inputs `p + B ∈ [0, 2B]`.
pub fn input_value_bits() -> u32 {
    64 - (2 * input_offset() as u64).leading_zeros()
}

/// The layout of layer `li`'s cross products (fits both keys).
pub fn layer_layout(
    ring: &Ring,
    li: usize,
    n: usize,
    a: &PublicKey,
    b: &PublicKey,
) -> Result<SlotLayout, BridgeError> {
    let value_bits = if li == 0 { input_value_bits() } else { ring.k };
    ring.cross_layout_values(n, value_bits, SIGMA, a.bits().min(b.bits()))
        .map_err(he("cross layout"))
}

/// `B·Σ_j E_ij mod 2^k` per row (the local term of the public first-layer share −B).
fn offset_rows(ring: &Ring, e: &[u64], n: usize) -> Vec<u64> {
    let b = ring.from_signed(input_offset());
    e.chunks(n)
        .map(|row| {
            ring.reduce(
                row.iter()
                    .fold(0u64, |a, &w| a.wrapping_add(w))
                    .wrapping_mul(b),
            )
        })
        .collect()
}

/// `E·x mod 2^k` with `E` `[m][n]` and `x` `[n][P]`, result `[m][P]`.
fn local_products(
    ring: &Ring,
    e: &[u64],
    x: &[u64],
    (n, m): (usize, usize),
    patches: usize,
) -> Vec<u64> {
    let mut out = vec![0u64; m * patches];
    out.par_chunks_mut(patches.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            for j in 0..n {
                let w = e[i * n + j];
                let xs = &x[j * patches..(j + 1) * patches];
                for (o, &v) in row.iter_mut().zip(xs) {
                    *o = o.wrapping_add(w.wrapping_mul(v));
                }
            }
            for o in row.iter_mut() {
                *o = ring.reduce(*o);
            }
        });
    out
}

/// At most this many fresh zeros per key in one run (one per packed ciphertext, at most one
/// ciphertext per patch and value): sizes the comb tables.
fn fresh_zero_bound(share: &ModelShare, patches: usize) -> usize {
    share
        .layers
        .iter()
        .map(|l| l.inputs.saturating_add(l.outputs))
        .fold(0usize, usize::saturating_add)
        .saturating_mul(patches)
}

fn check_shape(l: &LayerShare, li: usize) -> Result<(), BridgeError> {
    if l.weights.len() != l.inputs * l.outputs || l.bias.len() != l.outputs {
        return Err(protocol(
            "model share",
            format!("layer {li} has inconsistent share lengths"),
        ));
    }
    Ok(())
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
) -> Result<UserOutput, BridgeError> {
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
) -> Result<UserOutput, BridgeError> {
    let ShareKey::CloudPublic(cloud_pk) = &share.key else {
        return Err(protocol(
            "model share",
            "the user needs a user share".into(),
        ));
    };
    let user_pk = user_sk.public_key();
    let ring = share.ring;
    let patches = inputs.len();
    let first = share
        .layers
        .first()
        .ok_or_else(|| protocol("model share", "no layers".into()))?;
    let bound = input_offset();
    if patches == 0
        || inputs
            .iter()
            .any(|p| p.len() != first.inputs || p.iter().any(|v| v.abs() > bound))
    {
        return Err(protocol(
            "inputs",
            format!(
                "need at least one patch of {} values each, within ±{bound}",
                first.inputs
            ),
        ));
    }
    let last_outputs = share.layers.last().map_or(0, |l| l.outputs);
    check_layout(image, first.inputs, last_outputs, patches)?;
    let mut report = FastReport::default();
    let mut clock = Clock::start();
    send_words(
        ch,
        &[
            MAGIC,
            VERSION,
            u64::from(ring.k),
            patches as u64,
            fingerprint_word(user_pk),
            fingerprint_word(cloud_pk),
            share.binding.pair_word(),
            image.width as u64,
            image.height as u64,
            image.geometry.stride as u64,
            engine.code(),
        ],
        "image header",
    )?;
    let uses = fresh_zero_bound(share, patches);
    let cross = Cross::exchange(ch, engine, Side::User, ring, user_sk, cloud_pk, uses, rng)?;
    // a_U[j][p]
    let mut a_u: Vec<u64> = (0..first.inputs)
        .flat_map(|j| inputs.iter().map(move |p| ring.from_signed(p[j] + bound)))
        .collect();
    clock.lap(&mut report, "other: header, randomness tables".into());
    let last = share.layers.len() - 1;
    let plan = OutputPlan::new(image, &FIXED, ring)?;
    clock.lap(&mut report, "other: output circuits".into());
    let mut pixels = Vec::new();
    for (li, l) in share.layers.iter().enumerate() {
        check_shape(l, li)?;
        let (n, m) = (l.inputs, l.outputs);
        let cut = cross.plan(li, n, m, patches)?;
        let mut z_u = local_products(&ring, &l.weights, &a_u, (n, m), patches);
        for (i, row) in z_u.chunks_mut(patches).enumerate() {
            for v in row {
                *v = ring.add(*v, l.bias[i]);
            }
        }
        if li == 0 {
            // W_U·a_C with the public a_C = −B
            for (row, off) in z_u
                .chunks_mut(patches)
                .zip(offset_rows(&ring, &l.weights, n))
            {
                for v in row {
                    *v = ring.sub(*v, off);
                }
            }
        }
        clock.lap(
            &mut report,
            format!("other: layer {} local products", li + 1),
        );
        let cts = cross.encrypt(&cut, &a_u, rng)?;
        clock.lap(&mut report, format!("cross: layer {} encrypt a_U", li + 1));
        cross.send_inputs(ch, &cut, &cts)?;
        clock.lap(&mut report, format!("cross: layer {} send a_U", li + 1));
        if li > 0 {
            let theirs = cross.recv_inputs(ch, &cut)?;
            clock.lap(&mut report, format!("cross: layer {} receive a_C", li + 1));
            let (prods, mu) = cross.multiply(&cut, &theirs, &l.weights, rng)?;
            for (z, s) in z_u.iter_mut().zip(mu) {
                *z = ring.sub(*z, s);
            }
            clock.lap(
                &mut report,
                format!("cross: layer {} products W_U·a_C", li + 1),
            );
            cross.send_products(ch, &prods)?;
            clock.lap(&mut report, format!("cross: layer {} send W_U·a_C", li + 1));
        }
        let back = cross.recv_products(ch, &cut)?;
        clock.lap(
            &mut report,
            format!("cross: layer {} wait for α·a_U", li + 1),
        );
        let minus_v = cross.decrypt(&cut, &back)?;
        for (z, s) in z_u.iter_mut().zip(minus_v) {
            *z = ring.add(*z, s);
        }
        clock.lap(
            &mut report,
            format!("cross: layer {} decrypt α·a_U", li + 1),
        );
        crate::progress::step(
            &format!("layer {}/{}: cross products", li + 1, last + 1),
            patches as u64,
        );
        if li == last {
            let centres = user_centres(&FIXED, image, inputs);
            let s_u = plan.pixel_sums(&ring, &z_u, Some(&centres))?;
            pixels = plan.run_user(ch, &ring, &s_u, &mut report, rng)?;
            clock.lap(&mut report, "gc: output pixels (garbler)".into());
            crate::progress::step(
                &format!("layer {}/{}: output pixels", li + 1, last + 1),
                patches as u64,
            );
        } else {
            let r: Vec<u64> = z_u.iter().map(|_| ring.reduce(rng.next_u64())).collect();
            let bits: Vec<Vec<bool>> = z_u
                .iter()
                .zip(&r)
                .map(|(&z, &r)| circuit.garbler_bits(z, r))
                .collect();
            let before = ch.bytes_received();
            let run = run_garbler(ch, circuit.two_party(), &bits, Reveal::Evaluator, rng)?;
            report.gc_bytes_received.push(ch.bytes_received() - before);
            report.ands += run.stats.ands;
            report.activations += bits.len() as u64;
            a_u = r.iter().map(|&v| ring.neg(v)).collect();
            clock.lap(
                &mut report,
                format!("gc: layer {} activation (garbler)", li + 1),
            );
            crate::progress::step(
                &format!("layer {}/{}: activations", li + 1, last + 1),
                patches as u64,
            );
        }
    }
    report.bytes_sent = ch.bytes_sent();
    report.bytes_received = ch.bytes_received();
    Ok(UserOutput {
        pixels,
        width: image.width,
        height: image.height,
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
) -> Result<CloudOutput, BridgeError> {
    let engine = CrossEngine::default();
    run_cloud_with(engine, ch, user_pk, share, circuit, record_view, rng)
}

/// [`run_cloud`] with the linear layers on `engine`: a user's image header naming another
/// engine is refused with an error naming both.
pub fn run_cloud_with<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
    engine: CrossEngine,
    ch: &mut C,
    user_pk: &PublicKey,
    share: &ModelShare,
    circuit: &ShareCircuit,
    record_view: bool,
    rng: &mut R,
) -> Result<CloudOutput, BridgeError> {
    let ShareKey::CloudSecret(cloud_sk) = &share.key else {
        return Err(protocol(
            "model share",
            "the cloud needs a cloud share".into(),
        ));
    };
    let cloud_pk = cloud_sk.public_key();
    let ring = share.ring;
    let mut report = FastReport::default();
    let mut view = record_view.then(CloudView::default);
    let mut clock = Clock::start();
    let head = recv_words(ch, 11, "image header")?;
    expect_words(
        "image header",
        &["magic", "version", "ring bits"],
        &[MAGIC, VERSION, u64::from(ring.k)],
        &head,
    )?;
    check_engine_word(engine, head[10])?;
    let patches = head[3];
    if patches == 0 || patches > MAX_PATCHES {
        return Err(protocol(
            "image header",
            format!("{patches} patches outside 1..={MAX_PATCHES}"),
        ));
    }
    let patches = patches as usize;
    expect_words(
        "image header",
        &[
            "user key fingerprint",
            "cloud key fingerprint",
            "share pair id (the user and the cloud hold shares of different setups)",
        ],
        &[
            fingerprint_word(user_pk),
            fingerprint_word(cloud_pk),
            share.binding.pair_word(),
        ],
        &head[4..7],
    )?;
    let (Some(first), Some(last_layer)) = (share.layers.first(), share.layers.last()) else {
        return Err(protocol("model share", "no layers".into()));
    };
    let image = header_layout(
        [head[7], head[8], head[9]],
        first.inputs,
        last_layer.outputs,
        patches,
    )?;
    let plan = OutputPlan::new(&image, &FIXED, ring)?;
    let uses = fresh_zero_bound(share, patches);
    let cross = Cross::exchange(ch, engine, Side::Cloud, ring, cloud_sk, user_pk, uses, rng)?;
    clock.lap(&mut report, "other: header, randomness tables".into());
    let last = share.layers.len().saturating_sub(1);
    let mut a_c: Option<Vec<u64>> = None;
    for (li, l) in share.layers.iter().enumerate() {
        check_shape(l, li)?;
        let (n, m) = (l.inputs, l.outputs);
        let cut = cross.plan(li, n, m, patches)?;
        let mut z_c: Vec<u64> = match &a_c {
            Some(a) => local_products(&ring, &l.weights, a, (n, m), patches)
                .into_iter()
                .map(|v| ring.neg(v))
                .collect(),
            // −α·a_C with the public a_C = −B
            None => offset_rows(&ring, &l.weights, n)
                .into_iter()
                .flat_map(|off| std::iter::repeat_n(off, patches))
                .collect(),
        };
        for (i, row) in z_c.chunks_mut(patches).enumerate() {
            for v in row {
                *v = ring.sub(*v, l.bias[i]);
            }
        }
        clock.lap(
            &mut report,
            format!("other: layer {} local products", li + 1),
        );
        let theirs = cross.recv_inputs(ch, &cut)?;
        if let Some(v) = view.as_mut() {
            v.user_ciphertexts += theirs.len();
        }
        clock.lap(&mut report, format!("cross: layer {} receive a_U", li + 1));
        if let Some(a) = &a_c {
            let cts = cross.encrypt(&cut, a, rng)?;
            clock.lap(&mut report, format!("cross: layer {} encrypt a_C", li + 1));
            cross.send_inputs(ch, &cut, &cts)?;
            clock.lap(&mut report, format!("cross: layer {} send a_C", li + 1));
        }
        let (prods, rho) = cross.multiply(&cut, &theirs, &l.weights, rng)?;
        for (z, s) in z_c.iter_mut().zip(rho) {
            *z = ring.add(*z, s);
        }
        clock.lap(
            &mut report,
            format!("cross: layer {} products α·a_U", li + 1),
        );
        let mine = if a_c.is_some() {
            let back = cross.recv_products(ch, &cut)?;
            clock.lap(
                &mut report,
                format!("cross: layer {} wait for W_U·a_C", li + 1),
            );
            Some(back)
        } else {
            None
        };
        cross.send_products(ch, &prods)?;
        clock.lap(&mut report, format!("cross: layer {} send α·a_U", li + 1));
        if let Some(back) = mine {
            let minus_v = cross.decrypt(&cut, &back)?;
            if let Some(v) = view.as_mut() {
                v.cross_slots.extend(cross.clear_values(&cut, &back)?);
            }
            for (z, s) in z_c.iter_mut().zip(minus_v) {
                *z = ring.sub(*z, s);
            }
            clock.lap(
                &mut report,
                format!("cross: layer {} decrypt W_U·a_C", li + 1),
            );
        }
        if li == last {
            let s_c = plan.pixel_sums(&ring, &z_c, None)?;
            plan.run_cloud(ch, &ring, &s_c, &mut report, rng)?;
            clock.lap(&mut report, "gc: output pixels (evaluator)".into());
        } else {
            let bits: Vec<Vec<bool>> = z_c.iter().map(|&z| circuit.evaluator_bits(z)).collect();
            let before = ch.bytes_received();
            let run = run_evaluator(ch, circuit.two_party(), &bits, Reveal::Evaluator, rng)?;
            report.gc_bytes_received.push(ch.bytes_received() - before);
            if let Some(v) = view.as_mut() {
                v.gc_bytes_received.push(ch.bytes_received() - before);
            }
            let outs = run
                .outputs
                .ok_or_else(|| protocol("activation", "the evaluator got no outputs".into()))?;
            if outs.len() != z_c.len() {
                return Err(protocol(
                    "activation",
                    format!("{} outputs for {} activations", outs.len(), z_c.len()),
                ));
            }
            let y: Vec<u64> = outs.iter().map(|b| ShareCircuit::output_value(b)).collect();
            if let Some(v) = view.as_mut() {
                v.activations.extend(&y);
            }
            report.ands += run.stats.ands;
            report.activations += y.len() as u64;
            a_c = Some(y);
            clock.lap(
                &mut report,
                format!("gc: layer {} activation (evaluator)", li + 1),
            );
        }
    }
    report.bytes_sent = ch.bytes_sent();
    report.bytes_received = ch.bytes_received();
    Ok(CloudOutput {
        report,
        view,
        patches,
    })
}
