//! The two cross products of a layer (PROTOCOL.md §3), written once for both directions.
//!
//! The *key owner* holds shares `x ∈ R^(n × P)` and the secret key; the *exponent holder*
//! holds a matrix `E ∈ R^(m × n)` (α at the cloud for cross 1, `W_U` at the user for cross 2).
//!
//! 1. Key owner: [`encrypt_packed`] — `x[j][·]` packed K patches per ciphertext, fresh
//!    randomness; n·⌈P/K⌉ ciphertexts.
//! 2. Exponent holder: [`masked_products`] — per block of K patches a fixed-base table over
//!    its n ciphertexts, then per output row i `Π_j c_j^(E_ij)` times a fresh encryption of
//!    the packed masks ρ (uniform in `[0, 2^(w−1))`); it keeps `+ρ mod 2^k`.
//! 3. Key owner: [`decrypt_packed`] — decrypts, unpacks, keeps `−v mod 2^k`.
//!
//! Slot width and the no-wrap argument: [`super::ring`].

use super::fresh::FreshZeros;
use super::ring::Ring;
use paillier::{
    BigUint, Ciphertext, FixedBaseTable, PaillierError, PublicKey, SecretKey, SlotLayout,
};
use rand::{CryptoRng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

/// Seeds for per-task generators drawn from the caller's CSPRNG.
pub(crate) fn seeds<R: CryptoRng + ?Sized>(rng: &mut R, n: usize) -> Vec<[u8; 32]> {
    (0..n)
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect()
}

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

/// The window minimising the per-row cost `n·⌈k/c⌉ + 2^(c+1)` of a fixed-base table.
fn row_window(n: usize, k: u32) -> u32 {
    (1..=12u32)
        .min_by_key(|&c| n as u64 * u64::from(k.div_ceil(c)) + (2u64 << c))
        .unwrap_or(6)
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
    let window = row_window(n, ring.k);
    let tables: Vec<FixedBaseTable> = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let bases: Vec<Ciphertext> = (0..n).map(|j| cts[j * blocks + b].clone()).collect();
            FixedBaseTable::new(pk, &bases, ring.k, window)
        })
        .collect::<Result<_, _>>()?;
    let seeds = seeds(rng, m * blocks);
    let results: Vec<(Ciphertext, Vec<u64>)> = seeds
        .into_par_iter()
        .enumerate()
        .map(|(t, seed)| {
            let (i, b) = (t / blocks, t % blocks);
            let mut r = ChaCha20Rng::from_seed(seed);
            let prod = tables[b].inner_product(pk, &exps[i * n..(i + 1) * n])?;
            let rho: Vec<BigUint> = block_range(b, patches, layout)
                .map(|_| uniform_bits(&mut r, layout.width() - 1))
                .collect();
            let shares = rho.iter().map(|v| low_ring(ring, v)).collect();
            let c = zeros.add_fresh(&prod, &layout.pack(&rho)?, &mut r)?;
            Ok((c, shares))
        })
        .collect::<Result<_, PaillierError>>()?;
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
