//! Fresh encryptions of zero, the randomness of every ciphertext the fast protocol sends.
//!
//! Three sources:
//! - [`FreshZeros::full`]: `r^N mod N²` for a uniform unit r, standard Paillier (one full
//!   exponentiation with a `bits(N)`-bit exponent each, ≈ 16 ms at 2048 bits);
//! - [`FreshZeros::short_exponent`]: Damgård–Jurik–Nielsen randomness `h^x` with
//!   `h = r0^N mod N²` for a random unit r0 drawn here and x uniform on `⌈bits(N)/2⌉` bits
//!   (semantically secure under DCR plus the DJN assumption that such short-exponent powers
//!   of a random N-th residue are indistinguishable from random N-th residues). `h` is fixed,
//!   so a comb table of `h^(d·2^(c·t))` ([`paillier::CombTable`]) makes each fresh zero
//!   `⌈bits(N)/(2c)⌉` multiplications mod N² (≈ 1 ms at 2048 bits, c = 8) instead of a full
//!   exponentiation. **Only for ciphertexts whose receiver cannot decrypt** (a party's
//!   encryptions under its own key sent to the other party, the owner's upload to the
//!   cloud): see below;
//! - [`FreshZeros::toward_holder`]: for ciphertexts returned to the key holder K, powers
//!   `h_K^y` of K's own published base `h_K` ([`FreshZeros::base`]) with y uniform on
//!   [`holder_exponent_bits`] `≥ bits(N) + σ + ⌈log2 uses⌉` bits (≈ 2× the multiplications of
//!   a short-exponent zero, still a comb table).
//!
//! # Why the key holder needs more than a short exponent (issue 13)
//!
//! The key holder knows p and q, so it can evaluate every character χ of `Z_N^*` (Legendre
//! symbols, higher power-residue symbols) on the randomness of a ciphertext. A product
//! `Π_j c_j^(E_j)·h^x` with a fixed base h and short x leaks `Σ_j E_j·log χ(c_j)` whenever
//! `χ(h) = 1`: one linear equation in the secret exponents mod ord(χ) per ciphertext.
//!
//! # The construction and its proof (function privacy toward the key holder)
//!
//! Every ciphertext K sends (its packed shares, [`super::cross::encrypt_packed`]) is
//! `c_j = (1 + m_j N)·h_K^(x_j)` with K's own base `h_K = r0^N` and short x_j
//! ([`FreshZeros::short_exponent_for`]); K publishes `h_K` at the start of every image
//! ([`super::party`]). The other party returns to K
//!
//! ```text
//! R = Π_j c_j^(E_j) · h_K^y · (1 + ρN) = (1 + (Σ_j E_j m_j + ρ) N) · h_K^(s + y),   s = Σ_j E_j x_j,
//! ```
//!
//! with y fresh and uniform on `e ≥ bits(N) + σ + ⌈log2 u⌉` bits, u the number of such
//! ciphertexts in the run (the comb table over `h_K`). Let `o = ord(h_K)`; o divides
//! `λ(N) < N < 2^bits(N)`. Then:
//!
//! 1. `y mod o` is within statistical distance `o / 2^e < 2^(bits(N) − e) ≤ 2^−σ/u` of
//!    uniform on `Z_o` (reducing a uniform integer on `[0, 2^e)` modulo o: every residue has
//!    `⌊2^e/o⌋` or `⌈2^e/o⌉` preimages);
//! 2. y is drawn after, and independently of, `s`, whatever s is (it depends on the secret E
//!    and on K's x_j), and `v ↦ (s + v) mod o` is a bijection of `Z_o`, so
//!    `(s + y) mod o` is within the same distance of uniform, for every fixed s: the factor
//!    `h_K^(s+y)` is within `2^−σ/u` of a uniform element of `<h_K>`, independent of E;
//! 3. the `(1 + ·N)` factor carries only the plaintext `Σ_j E_j m_j + ρ mod N`, which K is
//!    meant to decrypt, and which the slot masks ρ hide ([`super::ring`]);
//! 4. hence R is within `2^−σ/u` of a ciphertext that K can sample itself from the
//!    plaintext alone (encrypt it with a uniform element of `<h_K>`); the u returned
//!    ciphertexts carry independent y, so K's whole view of them is within `u·2^−σ/u = 2^−σ`
//!    (σ = 40) of a simulation from the plaintexts: no character, of any order, of the
//!    returned ciphertexts depends on the exponents E beyond what their plaintexts say.
//!
//! `ord(h_K) < N` and the arbitrary shift s are handled by 1 and 2; nothing requires `h_K`
//! to generate all N-th residues. This assumes K semi-honest (its ciphertexts really lie in
//! `<h_K>`); toward the non-key-holder the short-exponent ciphertexts rest on the DJN
//! assumption, as before. `tests/keyholder_*.rs` run the character attack on every ciphertext
//! a key holder receives (negative control: the old fixed-base construction, available only
//! with the `insecure-negative-controls` feature, see [`negative_control`]).
//!
//! Either way the result is multiplied into a ciphertext (one multiplication mod N²), which
//! re-randomises it: the key-holder randomness rule of docs/protocol.md.

use crate::params::{FAST_SIGMA as SIGMA, ceil_log2};
use paillier::{BigUint, Ciphertext, CombTable, PaillierError, PublicKey, full_zero};
use rand::CryptoRng;

enum Source {
    Full,
    /// Powers of the comb's base h (the paillier crate's arithmetic).
    Comb(CombTable),
}

/// A source of fresh encryptions of zero under one public key.
pub struct FreshZeros {
    pk: PublicKey,
    source: Source,
}

/// Exponent bits of [`FreshZeros::toward_holder`] for a `n_bits`-bit key and `uses` fresh
/// zeros: `bits(N) + σ + ⌈log2 uses⌉`, rounded up to whole 64-bit words (the module docs'
/// proof needs at least that many).
pub fn holder_exponent_bits(n_bits: u32, uses: usize) -> u32 {
    (n_bits + SIGMA + ceil_log2(uses.max(1))).div_ceil(64) * 64
}

/// The old fixed-base construction toward the key holder, kept only for the negative
/// controls of the key-holder-view tests and benches (feature `insecure-negative-controls`,
/// which no shipped command enables or selects).
#[cfg(feature = "insecure-negative-controls")]
pub mod negative_control {
    use std::sync::atomic::{AtomicBool, Ordering};

    static LEGACY: AtomicBool = AtomicBool::new(false);

    /// INSECURE: while on, [`super::FreshZeros::toward_holder`] ignores the holder's base and
    /// returns short-exponent zeros in a fixed base of the sender (the code before issue 13).
    pub fn set_legacy_fixed_base(on: bool) {
        LEGACY.store(on, Ordering::SeqCst);
    }

    /// Whether the insecure construction is selected.
    pub fn legacy_fixed_base() -> bool {
        LEGACY.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for FreshZeros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.source {
            Source::Full => "full r^N",
            Source::Comb(_) => "short exponent h^x",
        };
        write!(f, "FreshZeros({kind}, {} bits)", self.pk.bits())
    }
}

impl FreshZeros {
    /// Standard Paillier randomness `r^N` (one full exponentiation per fresh zero).
    pub fn full(pk: &PublicKey) -> Self {
        Self {
            pk: pk.clone(),
            source: Source::Full,
        }
    }

    /// Short-exponent (DJN) randomness with a comb table (`⌈bits(N)/2c⌉·(2^c − 1)`
    /// ciphertexts: ≈ 16 MB and ≈ 0.2 s to build at 2048 bits with c = 8). Only for
    /// ciphertexts sent to a party that cannot decrypt them (module docs).
    pub fn short_exponent<R: CryptoRng + ?Sized>(pk: &PublicKey, rng: &mut R) -> Self {
        Self::short_exponent_for(pk, usize::MAX, rng)
    }

    /// [`FreshZeros::short_exponent`] with the comb window minimising building plus `uses`
    /// fresh zeros ([`paillier::randomness::comb_window`], e the exponent bits):
    /// small jobs build a small table. The randomness is the same either way. The base
    /// `h = r0^N` ([`FreshZeros::base`]) is drawn here from `rng`.
    pub fn short_exponent_for<R: CryptoRng + ?Sized>(
        pk: &PublicKey,
        uses: usize,
        rng: &mut R,
    ) -> Self {
        let exp_bits = pk.bits().div_ceil(2).div_ceil(64) * 64;
        let h = full_zero(pk, rng);
        Self::comb(pk, h, exp_bits, uses)
    }

    /// Fresh zeros for ciphertexts returned to the holder of `pk`'s secret key: `h_K^y` for
    /// the holder's published base `holder_base` (its [`FreshZeros::base`]) and y uniform on
    /// [`holder_exponent_bits`]`(bits(N), uses)` bits. With at most `uses` such zeros and all
    /// the holder's own ciphertexts in `<h_K>`, the holder's view of the results is within
    /// 2^−σ of one simulated from their plaintexts (proof in the module docs).
    pub fn toward_holder<R: CryptoRng + ?Sized>(
        pk: &PublicKey,
        holder_base: &Ciphertext,
        uses: usize,
        rng: &mut R,
    ) -> Self {
        #[cfg(feature = "insecure-negative-controls")]
        if negative_control::legacy_fixed_base() {
            return Self::short_exponent_for(pk, uses, rng);
        }
        let _ = rng;
        Self::comb(
            pk,
            holder_base.clone(),
            holder_exponent_bits(pk.bits(), uses),
            uses,
        )
    }

    /// Uniform `r^N` zeros ([`FreshZeros::full`]) for ciphertexts sent to the key holder that
    /// are built from ciphertexts outside any base it published (the setup's re-shared
    /// upload); `uses` and `rng` serve only the negative control.
    pub fn full_toward_holder<R: CryptoRng + ?Sized>(
        pk: &PublicKey,
        uses: usize,
        rng: &mut R,
    ) -> Self {
        #[cfg(feature = "insecure-negative-controls")]
        if negative_control::legacy_fixed_base() {
            return Self::short_exponent_for(pk, uses, rng);
        }
        let _ = (uses, rng);
        Self::full(pk)
    }

    /// A comb table over `h` for exponents of `exp_bits` bits (a multiple of 64).
    fn comb(pk: &PublicKey, h: Ciphertext, exp_bits: u32, uses: usize) -> Self {
        Self {
            pk: pk.clone(),
            source: Source::Comb(CombTable::new(pk, h, exp_bits, uses)),
        }
    }

    /// The comb's base h (`None` for [`FreshZeros::full`]): what a key holder publishes.
    pub fn base(&self) -> Option<&Ciphertext> {
        match &self.source {
            Source::Full => None,
            Source::Comb(table) => Some(table.base()),
        }
    }

    /// Bits of the exponents of this source's fresh zeros (`bits(N)` for full ones).
    pub fn exponent_bits(&self) -> u32 {
        match &self.source {
            Source::Full => self.pk.bits(),
            Source::Comb(table) => table.exponent_bits(),
        }
    }

    /// The key these zeros are under.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    /// A fresh encryption of zero.
    pub fn zero<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Ciphertext {
        match &self.source {
            Source::Full => full_zero(&self.pk, rng),
            Source::Comb(table) => table.random_power(&self.pk, rng),
        }
    }

    /// A fresh encryption of `m ∈ [0, N)`.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        m: &BigUint,
        rng: &mut R,
    ) -> Result<Ciphertext, PaillierError> {
        self.pk.add_plain(&self.zero(rng), m)
    }

    /// `c` re-randomised and with `m` added: `c · Enc(m)` with fresh randomness.
    pub fn add_fresh<R: CryptoRng + ?Sized>(
        &self,
        c: &Ciphertext,
        m: &BigUint,
        rng: &mut R,
    ) -> Result<Ciphertext, PaillierError> {
        self.pk.add_plain(&self.pk.add(c, &self.zero(rng)), m)
    }
}

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
