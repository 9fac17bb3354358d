//! Baselines for the `old-vs-new` and `primes` benchmark groups: the secret-key arithmetic
//! and the prime generator this crate used before issue 13 / issue 15 (num-bigint around
//! crypto-bigint's exponentiation; trial division + 40 Miller–Rabin rounds). Benchmark
//! code only: no library path uses it.

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use num_bigint::BigUint;
use rand::{CryptoRng, Rng};

fn precision(x: &BigUint) -> u32 {
    (x.bits() as u32).div_ceil(64).max(1) * 64
}

fn boxed(x: &BigUint, bits: u32) -> BoxedUint {
    BoxedUint::from_words_with_precision(x.iter_u64_digits(), bits)
}

fn big(x: &BoxedUint) -> BigUint {
    let mut bytes = Vec::new();
    for w in x.as_words() {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    BigUint::from_bytes_le(&bytes)
}

fn params(m: &BigUint) -> BoxedMontyParams {
    BoxedMontyParams::new(Odd::new(boxed(m, precision(m))).expect("odd modulus"))
}

/// One prime's half of the old CRT decryption and randomness.
struct OldHalf {
    prime: BigUint,
    params: BoxedMontyParams,
    modulus: BigUint,
    exponent: BoxedUint,
    h: BigUint,
    n_mod_phi: BoxedUint,
}

impl OldHalf {
    fn new(a: &BigUint, b: &BigUint) -> Self {
        let aa = a * a;
        let n = a * b;
        let h = (a - (b % a)).modinv(a).expect("coprime primes");
        OldHalf {
            prime: a.clone(),
            params: params(&aa),
            exponent: boxed(&(a - 1u8), precision(a)),
            n_mod_phi: boxed(&(&n % (&aa - a)), precision(&aa)),
            modulus: aa,
            h,
        }
    }

    /// `L(c^(a−1) mod a²)·h mod a`, as before (num-bigint division and reductions).
    fn decrypt(&self, c: &BigUint) -> BigUint {
        let base = BoxedMontyForm::new(
            boxed(&(c % &self.modulus), precision(&self.modulus)),
            &self.params,
        );
        let x = big(&base.pow(&self.exponent).retrieve());
        ((x - 1u8) / &self.prime * &self.h) % &self.prime
    }

    /// `r^(N mod a(a−1)) mod a²` for a random r, as before.
    fn nth_power(&self, r: &BigUint) -> BigUint {
        let base = BoxedMontyForm::new(
            boxed(&(r % &self.modulus), precision(&self.modulus)),
            &self.params,
        );
        big(&base.pow(&self.n_mod_phi).retrieve())
    }
}

/// The old secret-key arithmetic for primes p, q.
pub(crate) struct OldCrt {
    p: OldHalf,
    q: OldHalf,
    q_inv_p: BigUint,
    qq_inv_pp: BigUint,
    n: BigUint,
}

impl OldCrt {
    /// Precompute from the primes.
    pub(crate) fn new(p: &BigUint, q: &BigUint) -> Self {
        let pp = p * p;
        OldCrt {
            p: OldHalf::new(p, q),
            q: OldHalf::new(q, p),
            q_inv_p: (q % p).modinv(p).expect("coprime"),
            qq_inv_pp: ((q * q) % &pp).modinv(&pp).expect("coprime"),
            n: p * q,
        }
    }

    /// Garner: x ≡ xa (mod a), x ≡ xb (mod b), with `b_inv = b^(−1) mod a`.
    fn recombine(xa: BigUint, xb: BigUint, a: &BigUint, b: &BigUint, b_inv: &BigUint) -> BigUint {
        let diff = (xa + a - (&xb % a)) % a;
        xb + b * ((diff * b_inv) % a)
    }

    /// The old CRT decryption.
    pub(crate) fn decrypt(&self, c: &BigUint) -> BigUint {
        let mp = self.p.decrypt(c);
        let mq = self.q.decrypt(c);
        Self::recombine(mp, mq, &self.p.prime, &self.q.prime, &self.q_inv_p)
    }

    /// The old key-owner randomness `r^N mod N²`.
    pub(crate) fn random_nth_power<R: Rng + ?Sized>(&self, rng: &mut R) -> BigUint {
        let mut bytes = vec![0u8; (self.n.bits() as usize).div_ceil(8)];
        rng.fill_bytes(&mut bytes);
        let r = BigUint::from_bytes_le(&bytes) % &self.n;
        let xp = self.p.nth_power(&r);
        let xq = self.q.nth_power(&r);
        Self::recombine(xp, xq, &self.p.modulus, &self.q.modulus, &self.qq_inv_pp)
    }
}

/// The odd primes below 20 000.
fn small_primes() -> Vec<u32> {
    let n = 20_000usize;
    let mut composite = vec![false; n];
    let mut primes = Vec::new();
    for i in 2..n {
        if !composite[i] {
            if i > 2 {
                primes.push(i as u32);
            }
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    primes
}

fn rem_small(x: &BigUint, d: u32) -> u32 {
    let d = u128::from(d);
    let mut r: u128 = 0;
    for w in x.iter_u64_digits().rev() {
        r = ((r << 64) | u128::from(w)) % d;
    }
    r as u32
}

fn random_bits<R: Rng + ?Sized>(rng: &mut R, bits: u64) -> BigUint {
    let bytes = bits.div_ceil(8) as usize;
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    if let Some(top) = buf.last_mut() {
        *top &= 0xffu8 >> (bytes as u64 * 8 - bits);
    }
    BigUint::from_bytes_le(&buf)
}

fn miller_rabin<R: Rng + ?Sized>(n: &BigUint, rounds: usize, rng: &mut R) -> bool {
    let n_minus_1 = n - 1u8;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    let params = params(n);
    let d_boxed = boxed(&d, precision(&d));
    let to_monty = |x: &BigUint| BoxedMontyForm::new(boxed(x, params.bits_precision()), &params);
    let one = to_monty(&BigUint::from(1u8));
    let minus_one = to_monty(&n_minus_1);
    let range = n - 3u8;
    'rounds: for _ in 0..rounds {
        let a = loop {
            let a = random_bits(rng, range.bits());
            if a < range {
                break a + 2u8;
            }
        };
        let mut x = to_monty(&a).pow(&d_boxed);
        if x == one || x == minus_one {
            continue;
        }
        for _ in 1..s {
            x = x.square();
            if x == minus_one {
                continue 'rounds;
            }
            if x == one {
                return false;
            }
        }
        return false;
    }
    true
}

/// The removed hand-written generator: odd candidate with the top two bits set, trial
/// division by the odd primes below 20 000, then 40 Miller–Rabin rounds.
pub(crate) fn old_random_prime<R: CryptoRng + ?Sized>(bits: u32, rng: &mut R) -> BigUint {
    let primes = small_primes();
    loop {
        let mut candidate = random_bits(rng, u64::from(bits));
        candidate.set_bit(u64::from(bits) - 1, true);
        candidate.set_bit(u64::from(bits) - 2, true);
        candidate.set_bit(0, true);
        if primes.iter().any(|&p| rem_small(&candidate, p) == 0) {
            continue;
        }
        if miller_rabin(&candidate, 40, rng) {
            return candidate;
        }
    }
}

/// The old `(1 + kN)·Y mod N²` in num-bigint (variable time).
pub(crate) fn old_mul_one_plus_kn(y: &BigUint, k: &BigUint, n: &BigUint, nn: &BigUint) -> BigUint {
    let t = (k * (y % n)) % n;
    let mut z = y + n * t;
    if &z >= nn {
        z -= nn;
    }
    z
}
