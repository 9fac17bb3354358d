//! The cross product of a layer on RLWE (docs/protocol.md §4), written once for both directions,
//! with the shape of `protocol::fast::cross` (Paillier) so that integration is a swap:
//!
//! 1. Key owner: [`encrypt_inputs`] — `x ∈ R^(n × P)` (`[j][patch]`) encoded per input block
//!    and patch group ([`Layout`]), encrypted under its secret key (seeded `a`).
//! 2. Multiplier: [`masked_products`] — for the matrix `E ∈ R^(m × n)` (`[i][j]`, shares
//!    mod 2^k), per output block and group `Σ_ib ŵ·Enc(v̂)`, plus `Δ(ρ)` with ρ uniform mod t
//!    on every useful coefficient, plus a fresh public-key encryption of zero and flooding
//!    noise (function privacy, [`crate::noise`]), switched down to Q0; only the useful
//!    coefficients of `b` are computed and returned. The multiplier keeps `+ρ mod 2^k`.
//! 3. Key owner: [`decrypt_outputs`] — keeps `−v mod 2^k`, `[i][patch]`.
//!
//! Then `ρ + (−v) = −E·x (mod 2^k)` for every output and patch, exactly as the Paillier
//! version. The products run in the coefficient domain: ŵ has `n_o·n_i` nonzero terms, each a
//! signed negacyclic shift, accumulated lazily in u128 and reduced once.

use crate::arith::Modulus;
use crate::cipher::{InputCiphertext, OutputCiphertext, Scale, switch_coeff};
use crate::error::{Result, RlweError};
use crate::keys::{PublicKey, SecretKey};
use crate::layout::{Engine, Layout, Term};
use crate::noise::Budget;
use crate::params::{L, N, context};
use crate::poly::RnsPoly;
use crate::sample;
use rand::CryptoRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<()> {
    if expected != actual {
        return Err(RlweError::LengthMismatch {
            what,
            expected,
            actual,
        });
    }
    Ok(())
}

/// Step 1: `Enc(v̂)` for every input block and patch group, order `[block][group]`.
pub fn encrypt_inputs<R: CryptoRng + ?Sized>(
    sk: &SecretKey,
    layout: &Layout,
    x: &[u64],
    rng: &mut R,
) -> Result<Vec<InputCiphertext>> {
    check_len("inputs x[j][patch]", layout.n_in * layout.patches, x.len())?;
    let seeds: Vec<([u8; 32], [u8; 32])> = (0..layout.input_count())
        .map(|_| (sample::seed(rng), sample::seed(rng)))
        .collect();
    seeds
        .into_par_iter()
        .enumerate()
        .map(|(t, (seed_a, seed_e))| {
            let (ib, g) = (t / layout.groups(), t % layout.groups());
            let e = sample::cbd(&mut <ChaCha20Rng as rand::SeedableRng>::from_seed(seed_e));
            let v_hat = layout.encode_vector(x, ib, g)?;
            Ok(InputCiphertext::encrypt_with_error(
                sk, layout, &v_hat, &e, seed_a,
            ))
        })
        .collect()
}

/// What the multiplier does to a product before returning it (all on in [`masked_products`];
/// the variants exist for the key-holder-view tests' negative controls).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Finish {
    pub(crate) rerandomise: bool,
    pub(crate) flood: Flood,
}

/// The flooding noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) enum Flood {
    /// None (test-only negative control).
    Off,
    /// Uniform in `[−2^F, 2^F)`, F from the budget.
    Uniform,
    /// Always `−2^F` (test-only: the extreme value).
    Extreme,
}

/// A product before switching: `a` (all N coefficients) and `b` at the useful degrees, mod q.
pub(crate) struct Raw {
    pub(crate) a: RnsPoly,
    /// `b[l][u]`: residue mod prime l of useful coefficient u.
    pub(crate) b: Vec<Vec<u64>>,
}

impl Raw {
    /// Switched down to Q0.
    pub(crate) fn switch(&self) -> OutputCiphertext {
        let a = (0..N)
            .map(|c| {
                switch_coeff(
                    self.a.residues(0)[c],
                    self.a.residues(1)[c],
                    self.a.residues(2)[c],
                )
            })
            .collect();
        let b = (0..self.b[0].len())
            .map(|u| switch_coeff(self.b[0][u], self.b[1][u], self.b[2][u]))
            .collect();
        OutputCiphertext { a, b }
    }
}

/// `acc[c − start] += Σ_terms w·(X^degree·src[block])[c]` for c in `[start, start + acc.len())`.
fn mac(m: &Modulus, terms: &[Term], srcs: &[&[u64]], start: usize, acc: &mut [u128]) {
    let end = start + acc.len();
    for t in terms {
        let src = srcs[t.block];
        let w = t.w.unsigned_abs() as u128;
        let d = t.degree;
        // c ≥ d: +src[c − d]; c < d: −src[c − d + N] (wrap sign), then the weight's sign.
        let split = d.clamp(start, end);
        for (c0, c1, wrapped) in [(start, split, true), (split, end, false)] {
            if c0 >= c1 {
                continue;
            }
            let s0 = if wrapped { c0 + N - d } else { c0 - d };
            let src = &src[s0..s0 + (c1 - c0)];
            let acc = &mut acc[c0 - start..c1 - start];
            if (t.w < 0) != wrapped {
                for (a, &x) in acc.iter_mut().zip(src) {
                    *a += w * (m.p - x) as u128;
                }
            } else {
                for (a, &x) in acc.iter_mut().zip(src) {
                    *a += w * x as u128;
                }
            }
        }
    }
}

/// Coefficients per task of the products: a tile of every output block's accumulators
/// (4 KB each) and the windows of every input it reads stay in the core's caches.
const TILE: usize = 256;

/// One tile of one output block: the `a` coefficients, and `b` where the block needs it.
type TileResult = (Vec<u64>, Option<Vec<u64>>);

/// The unmasked products `Σ_ib ŵ·(b, a)` of every output block of one patch group:
/// `a[ob]` (all N coefficients) and `b[ob][l][u]` (useful coefficients only), mod q.
/// Parallel over (prime, tile of coefficients), so every input coefficient is read from
/// cache by all the output blocks that use it.
fn accumulate_group(
    layout: &Layout,
    a_in: &[&RnsPoly],
    b_in: &[&InputCiphertext],
    terms: &[Vec<Term>],
    g: usize,
) -> (Vec<RnsPoly>, Vec<Vec<Vec<u64>>>) {
    let ctx = context();
    let pats = layout.group_range(g).len();
    // b is needed on [0, end_ob): the last useful degree of the block plus one.
    let b_end: Vec<usize> = (0..layout.out_blocks())
        .map(|ob| layout.output_degree(layout.row_range(ob).len() - 1, pats))
        .collect();
    let tiles = N / TILE;
    let parts: Vec<Vec<TileResult>> = (0..L * tiles)
        .into_par_iter()
        .map(|task| {
            let (l, tile) = (task / tiles, task % tiles);
            let m = ctx.modulus(l);
            let a_src: Vec<&[u64]> = a_in.iter().map(|p| p.residues(l)).collect();
            let b_src: Vec<&[u64]> = b_in.iter().map(|c| c.b.residues(l)).collect();
            let start = tile * TILE;
            let mut acc = [0u128; TILE];
            let mut reduce = |src: &[&[u64]], ts: &[Term]| -> Vec<u64> {
                acc.fill(0);
                mac(m, ts, src, start, &mut acc);
                acc.iter().map(|&v| m.reduce_u128(v)).collect()
            };
            terms
                .iter()
                .enumerate()
                .map(|(ob, ts)| {
                    let a = reduce(&a_src, ts);
                    let b = (start < b_end[ob]).then(|| reduce(&b_src, ts));
                    (a, b)
                })
                .collect()
        })
        .collect();
    let mut a_out = vec![RnsPoly::zero(); terms.len()];
    let mut b_full = vec![RnsPoly::zero(); terms.len()];
    for (task, per_ob) in parts.into_iter().enumerate() {
        let (l, tile) = (task / tiles, task % tiles);
        let range = tile * TILE..(tile + 1) * TILE;
        for (ob, (a, b)) in per_ob.into_iter().enumerate() {
            a_out[ob].residues_mut(l)[range.clone()].copy_from_slice(&a);
            if let Some(b) = b {
                b_full[ob].residues_mut(l)[range.clone()].copy_from_slice(&b);
            }
        }
    }
    let b_out = b_full
        .iter()
        .enumerate()
        .map(|(ob, b)| {
            (0..L)
                .map(|l| {
                    layout
                        .useful_degrees(ob, g)
                        .map(|d| b.residues(l)[d])
                        .collect()
                })
                .collect()
        })
        .collect();
    (a_out, b_out)
}

/// Masks the raw product of output block ob and group g with `Δ(ρ)` and finishes it per
/// `finish`; returns it with ρ (`[row][patch]` order).
fn finish_product<R: CryptoRng + ?Sized>(
    pk: &PublicKey,
    layout: &Layout,
    mut raw: Raw,
    (ob, g): (usize, usize),
    finish: Finish,
    rng: &mut R,
) -> Result<(Raw, Vec<u64>)> {
    let ctx = context();
    let budget = Budget::for_layout(layout)?;
    let useful: Vec<usize> = layout.useful_degrees(ob, g).collect();
    let scale = Scale::new(layout.k);
    let rho: Vec<u64> = (0..useful.len())
        .map(|_| sample::uniform_bits(rng, layout.k))
        .collect();
    let flood: Vec<i128> = match finish.flood {
        Flood::Off => vec![0; useful.len()],
        Flood::Uniform => (0..useful.len())
            .map(|_| sample::flood(rng, budget.flood_bits))
            .collect(),
        Flood::Extreme => vec![-(1i128 << budget.flood_bits); useful.len()],
    };
    let zero = finish.rerandomise.then(|| pk.encrypt_zero(rng));
    if let Some((_, c1)) = &zero {
        raw.a.add_assign(c1);
    }
    for (l, bl) in raw.b.iter_mut().enumerate() {
        let m = ctx.modulus(l);
        for (u, x) in bl.iter_mut().enumerate() {
            let mut v = m.add(*x, scale.delta(rho[u], l));
            v = m.add(v, m.from_i128(flood[u]));
            if let Some((c0, _)) = &zero {
                v = m.add(v, c0.residues(l)[useful[u]]);
            }
            *x = v;
        }
    }
    Ok((raw, rho))
}

/// Expands the `a` parts of the inputs (coefficient form).
pub(crate) fn expand_inputs(cts: &[InputCiphertext]) -> Vec<RnsPoly> {
    cts.par_iter()
        .map(|c| sample::uniform_from_seed(&c.seed))
        .collect()
}

/// All products with the given finish, order `[ob][g]`, and the holder's `ρ` as `[i][patch]`.
pub(crate) fn products_with<R: CryptoRng + ?Sized>(
    pk: &PublicKey,
    layout: &Layout,
    cts: &[InputCiphertext],
    exps: &[u64],
    finish: Finish,
    rng: &mut R,
) -> Result<(Vec<Raw>, Vec<u64>)> {
    check_len(
        "input ciphertexts [block][group]",
        layout.input_count(),
        cts.len(),
    )?;
    check_len("matrix E[i][j]", layout.n_in * layout.n_out, exps.len())?;
    Budget::for_layout(layout)?;
    let a_in = expand_inputs(cts);
    let groups = layout.groups();
    let terms: Vec<Vec<Term>> = (0..layout.out_blocks())
        .map(|ob| {
            (0..layout.in_blocks())
                .flat_map(|ib| layout.terms(exps, ob, ib))
                .collect()
        })
        .collect();
    let mut unfinished: Vec<Option<Raw>> = (0..layout.output_count()).map(|_| None).collect();
    for g in 0..groups {
        let a_g: Vec<&RnsPoly> = (0..layout.in_blocks())
            .map(|ib| &a_in[ib * groups + g])
            .collect();
        let b_g: Vec<&InputCiphertext> = (0..layout.in_blocks())
            .map(|ib| &cts[ib * groups + g])
            .collect();
        let (a, b) = match layout.engine {
            Engine::Coefficient => accumulate_group(layout, &a_g, &b_g, &terms, g),
            Engine::Ntt => crate::dense::accumulate_group(layout, &a_g, &b_g, &terms, g),
        };
        for (ob, (a, b)) in a.into_iter().zip(b).enumerate() {
            unfinished[ob * groups + g] = Some(Raw { a, b });
        }
    }
    let seeds: Vec<[u8; 32]> = (0..layout.output_count())
        .map(|_| sample::seed(rng))
        .collect();
    let parts: Vec<(Raw, Vec<u64>)> = unfinished
        .into_par_iter()
        .zip(seeds)
        .enumerate()
        .map(|(t, (raw, seed))| {
            let raw = raw.ok_or_else(|| RlweError::InvalidParameter {
                what: format!("product {t} was not computed"),
            })?;
            let mut r = <ChaCha20Rng as rand::SeedableRng>::from_seed(seed);
            finish_product(pk, layout, raw, (t / groups, t % groups), finish, &mut r)
        })
        .collect::<Result<_>>()?;
    let mut shares = vec![0u64; layout.n_out * layout.patches];
    let mut raws = Vec::with_capacity(parts.len());
    for (t, (raw, rho)) in parts.into_iter().enumerate() {
        layout.scatter(&rho, t / groups, t % groups, &mut shares)?;
        raws.push(raw);
    }
    Ok((raws, shares))
}

/// Step 2: the masked, re-randomised, flooded products switched to Q0, order
/// `[output block][group]`, and the multiplier's share `ρ mod 2^k`, `[i][patch]`.
pub fn masked_products<R: CryptoRng + ?Sized>(
    pk: &PublicKey,
    layout: &Layout,
    cts: &[InputCiphertext],
    exps: &[u64],
    rng: &mut R,
) -> Result<(Vec<OutputCiphertext>, Vec<u64>)> {
    let finish = Finish {
        rerandomise: true,
        flood: Flood::Uniform,
    };
    let (raws, shares) = products_with(pk, layout, cts, exps, finish, rng)?;
    Ok((raws.par_iter().map(Raw::switch).collect(), shares))
}

/// Step 3: decrypts `[output block][group]` and returns the key owner's share `−v mod 2^k`,
/// `[i][patch]`.
pub fn decrypt_outputs(
    sk: &SecretKey,
    layout: &Layout,
    cts: &[OutputCiphertext],
) -> Result<Vec<u64>> {
    check_len(
        "returned ciphertexts [block][group]",
        layout.output_count(),
        cts.len(),
    )?;
    let groups = layout.groups();
    let parts: Vec<Vec<u64>> = cts
        .par_iter()
        .enumerate()
        .map(|(t, c)| c.decrypt(sk, layout, t / groups, t % groups))
        .collect::<Result<_>>()?;
    let mut shares = vec![0u64; layout.n_out * layout.patches];
    for (t, v) in parts.into_iter().enumerate() {
        let neg: Vec<u64> = v
            .iter()
            .map(|&x| x.wrapping_neg() & layout.t_mask())
            .collect();
        layout.scatter(&neg, t / groups, t % groups, &mut shares)?;
    }
    Ok(shares)
}
