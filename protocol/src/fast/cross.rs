//! The two cross products of a layer (docs/protocol.md §3), written once for both directions.
//!
//! The *key owner* holds shares `x ∈ R^(n × P)` and the secret key; the *exponent holder*
//! holds a matrix `E ∈ R^(m × n)` (α at the cloud for cross 1, `W_U` at the user for cross 2).
//!
//! 1. Key owner: [`encrypt_packed`] — `x[j][·]` packed K patches per ciphertext, fresh
//!    randomness; n·⌈P/K⌉ ciphertexts.
//! 2. Exponent holder: [`masked_products`] — per block of K patches a [`SubsetTable`] over
//!    its n ciphertexts, then per output row i `Π_j c_j^(E_ij)` times a fresh encryption of
//!    the packed masks ρ (uniform in `[0, 2^(w−1))`); it keeps `+ρ mod 2^k`.
//! 3. Key owner: [`decrypt_packed`] — decrypts, unpacks, keeps `−v mod 2^k`.
//!
//! Slot width and the no-wrap argument: [`super::ring`].

use super::fresh::FreshZeros;
use super::ring::Ring;
use paillier::{BigUint, Ciphertext, PaillierError, PublicKey, SecretKey, SlotLayout};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

pub(crate) use crate::fresh::seeds;

/// Blocks of K patches covering P patches.
pub(crate) fn block_count(patches: usize, layout: &SlotLayout) -> usize {
    patches.div_ceil(layout.slots())
}

/// Patches `[b·K, min((b+1)·K, P))` of block b.
fn block_range(b: usize, patches: usize, layout: &SlotLayout) -> std::ops::Range<usize> {
    let k = layout.slots();
    b * k..((b + 1) * k).min(patches)
}

/// Step 1: `Enc(pack(x[j][block]))` for every value j and block, order `[j][block]`.
pub fn encrypt_packed<R: CryptoRng + ?Sized>(
    zeros: &FreshZeros,
    layout: &SlotLayout,
    x: &[u64],
    n: usize,
    patches: usize,
    rng: &mut R,
) -> Result<Vec<Ciphertext>, PaillierError> {
    let blocks = block_count(patches, layout);
    let seeds = seeds(rng, n * blocks);
    seeds
        .into_par_iter()
        .enumerate()
        .map(|(t, seed)| {
            let (j, b) = (t / blocks, t % blocks);
            let values: Vec<BigUint> = block_range(b, patches, layout)
                .map(|p| BigUint::from(x[j * patches + p]))
                .collect();
            let m = layout.pack(&values)?;
            zeros.encrypt(&m, &mut ChaCha20Rng::from_seed(seed))
        })
        .collect()
}

/// Subset products of groups of g bases (Straus' method with shared tables): for every
/// group q of bases `c_(qg) … c_(qg+g−1)` and every non-empty subset mask, the product of
/// the subset. A row `Π_j c_j^(e_j)` with k-bit exponents then costs k squarings and
/// `⌈n/g⌉·k` multiplications (one table entry per group and bit), against `n·⌈k/c⌉ + 2^(c+1)`
/// for fixed-base windows; building costs `⌈n/g⌉·2^g` multiplications per block.
pub struct SubsetTable {
    g: usize,
    /// `groups[q][mask − 1]`.
    groups: Vec<Vec<Ciphertext>>,
}

impl SubsetTable {
    /// The group size minimising building plus `rows` row evaluations.
    pub fn best_group(n: usize, rows: usize, k: u32) -> usize {
        (1..=12usize)
            .min_by_key(|&g| {
                let groups = n.div_ceil(g) as u64;
                groups * (1u64 << g) + rows as u64 * (groups + 1) * u64::from(k)
            })
            .unwrap_or(8)
    }

    /// Builds the subset products of `bases` in groups of `g` (both cores).
    pub fn new(pk: &PublicKey, bases: &[Ciphertext], g: usize) -> Self {
        let g = g.clamp(1, 16);
        let groups = bases
            .par_chunks(g)
            .map(|chunk| {
                let mut t: Vec<Ciphertext> = Vec::with_capacity((1 << chunk.len()) - 1);
                for mask in 1usize..1 << chunk.len() {
                    let low = mask.trailing_zeros() as usize;
                    let rest = mask & (mask - 1);
                    let next = if rest == 0 {
                        chunk[low].clone()
                    } else {
                        pk.add(&t[rest - 1], &chunk[low])
                    };
                    t.push(next);
                }
                t
            })
            .collect();
        Self { g, groups }
    }

    /// `Π_j c_j^(e_j)` for exponents below `2^k`.
    pub fn product(
        &self,
        pk: &PublicKey,
        exps: &[u64],
        k: u32,
    ) -> Result<Ciphertext, PaillierError> {
        if exps.len().div_ceil(self.g) != self.groups.len()
            || exps.iter().any(|&e| k < 64 && e >> k != 0)
        {
            return Err(PaillierError::LengthMismatch {
                what: "subset-table exponents (count, or bits above k)",
                expected: self.groups.len() * self.g,
                actual: exps.len(),
            });
        }
        let mut acc: Option<Ciphertext> = None;
        for t in (0..k).rev() {
            if let Some(a) = acc.as_ref() {
                acc = Some(pk.add(a, a));
            }
            for (table, es) in self.groups.iter().zip(exps.chunks(self.g)) {
                let idx = es
                    .iter()
                    .enumerate()
                    .fold(0usize, |m, (i, &e)| m | (((e >> t) & 1) as usize) << i);
                if idx != 0 {
                    acc = Some(match acc {
                        Some(a) => pk.add(&a, &table[idx - 1]),
                        None => table[idx - 1].clone(),
                    });
                }
            }
        }
        match acc {
            Some(a) => Ok(a),
            None => pk.encrypt_deterministic(&BigUint::from(0u8)),
        }
    }
}

/// A uniform integer on `bits` bits.
fn uniform_bits<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> BigUint {
    let words: Vec<u64> = (0..bits.div_ceil(64)).map(|_| rng.next_u64()).collect();
    let v = BigUint::from_slice(
        &words
            .iter()
            .flat_map(|w| [*w as u32, (*w >> 32) as u32])
            .collect::<Vec<_>>(),
    );
    v & ((BigUint::from(1u8) << bits) - BigUint::from(1u8))
}

/// The low 64 bits of a big integer, reduced into the ring.
pub(crate) fn low_ring(ring: &Ring, v: &BigUint) -> u64 {
    v.iter_u64_digits().next().unwrap_or(0) & ring.mask()
}

/// Step 2: per block and output row, `Π_j c_j^(E_ij) · Enc(ρ)` (fresh), order `[i][block]`;
/// returns them with the holder's share `ρ mod 2^k`, `[i][patch]`.
#[allow(clippy::too_many_arguments)]
pub fn masked_products<R: CryptoRng + ?Sized>(
    pk: &PublicKey,
    zeros: &FreshZeros,
    layout: &SlotLayout,
    ring: &Ring,
    cts: &[Ciphertext],
    exps: &[u64],
    (n, m): (usize, usize),
    patches: usize,
    rng: &mut R,
) -> Result<(Vec<Ciphertext>, Vec<u64>), PaillierError> {
    let blocks = block_count(patches, layout);
    if cts.len() != n * blocks || exps.len() != n * m {
        return Err(PaillierError::LengthMismatch {
            what: "cross product inputs",
            expected: n * blocks,
            actual: cts.len(),
        });
    }
    let g = SubsetTable::best_group(n, m, ring.k);
    let seeds = seeds(rng, m * blocks);
    let mut results: Vec<(Ciphertext, Vec<u64>)> = Vec::with_capacity(m * blocks);
    // One block at a time (a table is ⌈n/g⌉·2^g ciphertexts), rows in parallel.
    for b in 0..blocks {
        let bases: Vec<Ciphertext> = (0..n).map(|j| cts[j * blocks + b].clone()).collect();
        let table = SubsetTable::new(pk, &bases, g);
        let rows: Vec<(Ciphertext, Vec<u64>)> = (0..m)
            .into_par_iter()
            .map(|i| {
                let mut r = ChaCha20Rng::from_seed(seeds[i * blocks + b]);
                let prod = table.product(pk, &exps[i * n..(i + 1) * n], ring.k)?;
                let rho: Vec<BigUint> = block_range(b, patches, layout)
                    .map(|_| uniform_bits(&mut r, layout.width() - 1))
                    .collect();
                let shares = rho.iter().map(|v| low_ring(ring, v)).collect();
                let c = zeros.add_fresh(&prod, &layout.pack(&rho)?, &mut r)?;
                Ok((c, shares))
            })
            .collect::<Result<_, PaillierError>>()?;
        results.extend(rows);
    }
    // results are [block][i]; reorder to [i][block]
    let mut ordered: Vec<Option<(Ciphertext, Vec<u64>)>> = results.into_iter().map(Some).collect();
    let results: Vec<(Ciphertext, Vec<u64>)> = (0..m * blocks)
        .filter_map(|t| ordered[(t % blocks) * m + t / blocks].take())
        .collect();
    let mut out = Vec::with_capacity(m * blocks);
    let mut shares = vec![0u64; m * patches];
    for (t, (c, s)) in results.into_iter().enumerate() {
        let (i, b) = (t / blocks, t % blocks);
        for (p, v) in block_range(b, patches, layout).zip(s) {
            shares[i * patches + p] = v;
        }
        out.push(c);
    }
    Ok((out, shares))
}

/// Step 3: decrypt `[i][block]` and return the owner's share `−v mod 2^k`, `[i][patch]`.
pub fn decrypt_packed(
    sk: &SecretKey,
    layout: &SlotLayout,
    ring: &Ring,
    cts: &[Ciphertext],
    m: usize,
    patches: usize,
) -> Result<Vec<u64>, PaillierError> {
    let blocks = block_count(patches, layout);
    if cts.len() != m * blocks {
        return Err(PaillierError::LengthMismatch {
            what: "cross product results",
            expected: m * blocks,
            actual: cts.len(),
        });
    }
    let parts: Vec<Vec<u64>> = cts
        .par_iter()
        .enumerate()
        .map(|(t, c)| {
            let range = block_range(t % blocks, patches, layout);
            let slots = layout.unpack(&sk.decrypt(c)?, range.len())?;
            Ok(slots.iter().map(|v| ring.neg(low_ring(ring, v))).collect())
        })
        .collect::<Result<_, PaillierError>>()?;
    let mut shares = vec![0u64; m * patches];
    for (t, s) in parts.into_iter().enumerate() {
        let (i, b) = (t / blocks, t % blocks);
        for (p, v) in block_range(b, patches, layout).zip(s) {
            shares[i * patches + p] = v;
        }
    }
    Ok(shares)
}
