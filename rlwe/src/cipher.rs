//! Ciphertexts: the key holder's seeded secret-key encryptions (inputs), the multiplier's
//! returned ciphertexts (switched to Q0, only the useful coefficients of `b`), exact
//! scaling `Δ(m) = ⌊q·m/t⌉`, modulus switching, decryption and compact serialization.

use crate::bits::{BitReader, BitWriter, prime_bits};
use crate::error::{Result, RlweError};
use crate::keys::{PublicKey, SecretKey, phase};
use crate::layout::Layout;
use crate::params::{L, N, PRIMES, context};
use crate::poly::RnsPoly;
use crate::sample;
use rand::CryptoRng;

/// The ciphertexts' header sizes (declared with the bit packing, below [`crate::layout`],
/// which sizes messages with them).
pub use crate::bits::{INPUT_HEADER, OUTPUT_HEADER};
const INPUT_MAGIC: &[u8; 4] = b"RLI1";
const OUTPUT_MAGIC: &[u8; 4] = b"RLO1";

/// Exact scaling by q/t for `t = 2^k`.
pub(crate) struct Scale {
    k: u32,
    q_mod_t: u64,
    t_inv: [(u64, u64); L],
}

impl Scale {
    /// Constants for `t = 2^k`.
    pub(crate) fn new(k: u32) -> Self {
        let ctx = context();
        let mask = (1u64 << k) - 1;
        let q_mod_t = PRIMES.iter().fold(1u64, |a, &p| a.wrapping_mul(p)) & mask;
        let t_inv = std::array::from_fn(|l| {
            let m = ctx.modulus(l);
            let inv = m.inv(m.pow(2, k as u64));
            (inv, m.shoup(inv))
        });
        Self { k, q_mod_t, t_inv }
    }

    /// `Δ(m) mod Q_l = −r·t^−1` where `r = q·m mod t`, centred: `Δ(m) = (q·m − r)/t`.
    #[inline]
    pub(crate) fn delta(&self, m: u64, l: usize) -> u64 {
        let mask = (1u64 << self.k) - 1;
        let r = self.q_mod_t.wrapping_mul(m) & mask;
        let r = if r >> (self.k - 1) == 1 {
            r as i64 - (1i64 << self.k)
        } else {
            r as i64
        };
        let md = context().modulus(l);
        let neg_r = md.from_i128(-(r as i128));
        md.mul_shoup(neg_r, self.t_inv[l].0, self.t_inv[l].1)
    }

    /// `round(t·x/Q0) mod t` for `x ∈ [0, Q0)`.
    pub(crate) fn decode_q0(&self, x: u64) -> u64 {
        let q0 = PRIMES[0] as u128;
        ((((x as u128) << self.k) + q0 / 2) / q0) as u64 & ((1u64 << self.k) - 1)
    }
}

/// `round(Q0·c/q) mod Q0` of one coefficient from its residues (drops Q1, Q2 with rounding).
#[inline]
pub(crate) fn switch_coeff(c0: u64, c1: u64, c2: u64) -> u64 {
    let ctx = context();
    let m0 = ctx.modulus(0);
    let y = ctx.crt12(c1, c2);
    let z = m0.mul(m0.sub(c0, m0.reduce_u128(y)), ctx.q12_inv_mod_q0);
    if y > ctx.q12 / 2 { m0.add(z, 1) } else { z }
}

/// A key holder's encryption of one `v̂`: the seed of `a` and `b` on the layout's support
/// (zero elsewhere).
#[derive(Clone, PartialEq, Eq)]
pub struct InputCiphertext {
    pub(crate) seed: [u8; 32],
    pub(crate) b: RnsPoly,
}

impl std::fmt::Debug for InputCiphertext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputCiphertext")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl InputCiphertext {
    /// Encrypts `v̂` (N values mod t) with a fresh seed and the given error (`|e| ≤ η`).
    pub(crate) fn encrypt_with_error(
        sk: &SecretKey,
        layout: &Layout,
        v_hat: &[u64],
        e: &[i64],
        seed: [u8; 32],
    ) -> Self {
        let mut a = sample::uniform_from_seed(&seed);
        a.to_ntt();
        a.mul_assign_ntt(&sk.s_ntt);
        a.from_ntt();
        a.neg_assign();
        let mut b = a;
        b.add_assign(&RnsPoly::from_signed(e));
        let scale = Scale::new(layout.k);
        let ctx = context();
        for l in 0..L {
            let md = ctx.modulus(l);
            let res = b.residues_mut(l);
            for (x, &m) in res.iter_mut().zip(v_hat) {
                if m != 0 {
                    *x = md.add(*x, scale.delta(m, l));
                }
            }
        }
        let (head, tail) = layout.support();
        for l in 0..L {
            b.residues_mut(l)[head..N - tail].fill(0);
        }
        Self { seed, b }
    }

    /// Serialized form: magic, seed, the support of `b` packed at each prime's width.
    pub fn to_bytes(&self, layout: &Layout) -> Vec<u8> {
        let mut w = BitWriter::new();
        for (l, &p) in PRIMES.iter().enumerate() {
            let res = self.b.residues(l);
            for d in layout.support_degrees() {
                w.put(res[d], prime_bits(p));
            }
        }
        let mut out = Vec::with_capacity(INPUT_HEADER + w.len() + 1);
        out.extend_from_slice(INPUT_MAGIC);
        out.extend_from_slice(&self.seed);
        out.extend_from_slice(&w.finish());
        out
    }

    /// Reads [`InputCiphertext::to_bytes`] for `layout`, checking the magic, the length and
    /// every residue's range.
    pub fn from_bytes(bytes: &[u8], layout: &Layout) -> Result<Self> {
        let bad = |reason: String| RlweError::Malformed {
            what: "RLWE input ciphertext",
            reason,
        };
        if bytes.len() < INPUT_HEADER || &bytes[..4] != INPUT_MAGIC {
            return Err(bad("missing magic RLI1".into()));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&bytes[4..36]);
        let mut r = BitReader::new(&bytes[INPUT_HEADER..]);
        let mut b = RnsPoly::zero();
        for (l, &p) in PRIMES.iter().enumerate() {
            let res = b.residues_mut(l);
            for d in layout.support_degrees() {
                res[d] = r
                    .get_below(prime_bits(p), p)
                    .map_err(|e| bad(e.to_string()))?;
            }
        }
        r.finish().map_err(|e| bad(e.to_string()))?;
        Ok(Self { seed, b })
    }
}

/// A returned ciphertext modulo Q0: all of `a`, and `b` at the useful degrees only.
#[derive(Clone, PartialEq, Eq)]
pub struct OutputCiphertext {
    pub(crate) a: Vec<u64>,
    pub(crate) b: Vec<u64>,
}

impl std::fmt::Debug for OutputCiphertext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputCiphertext")
            .field("useful", &self.b.len())
            .finish_non_exhaustive()
    }
}

impl OutputCiphertext {
    /// The useful values `round(t·(b + a·s)/Q0) mod t` of output block ob, group g.
    pub(crate) fn decrypt(
        &self,
        sk: &SecretKey,
        layout: &Layout,
        ob: usize,
        g: usize,
    ) -> Result<Vec<u64>> {
        if self.a.len() != N || self.b.len() != layout.useful_count(ob, g) {
            return Err(RlweError::LengthMismatch {
                what: "returned ciphertext (a, useful b)",
                expected: N + layout.useful_count(ob, g),
                actual: self.a.len() + self.b.len(),
            });
        }
        let ctx = context();
        let (t0, m0) = (&ctx.ntt[0], ctx.modulus(0));
        let mut as_ = self.a.clone();
        t0.forward(&mut as_);
        for (x, &s) in as_.iter_mut().zip(sk.s_ntt.residues(0)) {
            *x = m0.mul(*x, s);
        }
        t0.inverse(&mut as_);
        let scale = Scale::new(layout.k);
        Ok(layout
            .useful_degrees(ob, g)
            .zip(&self.b)
            .map(|(d, &b)| scale.decode_q0(m0.add(b, as_[d])))
            .collect())
    }

    /// Serialized form: magic, `a` then the useful `b`, packed at Q0's width.
    pub fn to_bytes(&self) -> Vec<u8> {
        let bits = prime_bits(PRIMES[0]);
        let mut w = BitWriter::new();
        for &x in self.a.iter().chain(&self.b) {
            w.put(x, bits);
        }
        let mut out = Vec::with_capacity(OUTPUT_HEADER + w.len() + 1);
        out.extend_from_slice(OUTPUT_MAGIC);
        out.extend_from_slice(&w.finish());
        out
    }

    /// Reads [`OutputCiphertext::to_bytes`] of output block ob, group g of `layout`.
    pub fn from_bytes(bytes: &[u8], layout: &Layout, ob: usize, g: usize) -> Result<Self> {
        let bad = |reason: String| RlweError::Malformed {
            what: "RLWE returned ciphertext",
            reason,
        };
        if bytes.len() < OUTPUT_HEADER || &bytes[..4] != OUTPUT_MAGIC {
            return Err(bad("missing magic RLO1".into()));
        }
        let (bits, q0) = (prime_bits(PRIMES[0]), PRIMES[0]);
        let mut r = BitReader::new(&bytes[OUTPUT_HEADER..]);
        let mut read = |n: usize| -> Result<Vec<u64>> {
            (0..n)
                .map(|_| r.get_below(bits, q0).map_err(|e| bad(e.to_string())))
                .collect()
        };
        let a = read(N)?;
        let b = read(layout.useful_count(ob, g))?;
        r.finish().map_err(|e| bad(e.to_string()))?;
        Ok(Self { a, b })
    }
}

/// A full ciphertext `(b, a)` modulo q, coefficient representation: the general secret- or
/// public-key encryption of a polynomial of `R_t` (the protocol itself uses the compact
/// [`InputCiphertext`] and [`OutputCiphertext`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext {
    pub(crate) b: RnsPoly,
    pub(crate) a: RnsPoly,
}

impl std::fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ciphertext").finish_non_exhaustive()
    }
}

/// `Δ(m)` as a polynomial of `R_q` for `m` (at most N values, reduced mod t).
fn scaled(m: &[u64], k: u32) -> Result<RnsPoly> {
    if m.len() > N || !(1..=crate::params::MAX_K).contains(&k) {
        return Err(RlweError::InvalidParameter {
            what: format!(
                "plaintext of {} coefficients at k = {k} (at most {N}, k in 1..={})",
                m.len(),
                crate::params::MAX_K
            ),
        });
    }
    let scale = Scale::new(k);
    let mut p = RnsPoly::zero();
    for l in 0..L {
        for (x, &v) in p.residues_mut(l).iter_mut().zip(m) {
            *x = scale.delta(v & ((1u64 << k) - 1), l);
        }
    }
    Ok(p)
}

impl PublicKey {
    /// `Enc(m) = (p0·u + e0 + Δ(m), p1·u + e1)` for `m ∈ R_t`, `t = 2^k`.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        m: &[u64],
        k: u32,
        rng: &mut R,
    ) -> Result<Ciphertext> {
        let delta = scaled(m, k)?;
        let (mut b, a) = self.encrypt_zero(rng);
        b.add_assign(&delta);
        Ok(Ciphertext { b, a })
    }
}

impl SecretKey {
    /// `Enc(m) = (−a·s + e + Δ(m), a)` with a uniform `a`.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        m: &[u64],
        k: u32,
        rng: &mut R,
    ) -> Result<Ciphertext> {
        let delta = scaled(m, k)?;
        let a = sample::uniform_from_seed(&sample::seed(rng));
        let mut b = phase(self, &RnsPoly::zero(), &a);
        b.neg_assign();
        b.add_assign(&RnsPoly::from_signed(&sample::cbd(rng)));
        b.add_assign(&delta);
        Ok(Ciphertext { b, a })
    }

    /// `round(t·(b + a·s)/q) mod t`, all N coefficients (the phase is switched to Q0 first,
    /// which adds at most ½ to a noise far below Q0/(2t)).
    pub fn decrypt(&self, ct: &Ciphertext, k: u32) -> Result<Vec<u64>> {
        if !(1..=crate::params::MAX_K).contains(&k) {
            return Err(RlweError::InvalidParameter {
                what: format!("k = {k} outside 1..={}", crate::params::MAX_K),
            });
        }
        let x = phase(self, &ct.b, &ct.a);
        let scale = Scale::new(k);
        Ok((0..N)
            .map(|c| {
                scale.decode_q0(switch_coeff(
                    x.residues(0)[c],
                    x.residues(1)[c],
                    x.residues(2)[c],
                ))
            })
            .collect())
    }
}
