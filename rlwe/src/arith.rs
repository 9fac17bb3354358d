//! Word arithmetic modulo the NTT primes: Shoup multiplication, powers, inverses.

/// A prime modulus `p < 2^62` with the constants its arithmetic needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulus {
    /// The prime.
    pub p: u64,
    /// `⌊2^128 / p⌋` split in two words, for Barrett reduction of 128-bit values.
    barrett: (u64, u64),
}

impl Modulus {
    /// The modulus `p` (`2 ≤ p < 2^62`; primality is the caller's business).
    pub const fn new(p: u64) -> Self {
        let b = u128::MAX / p as u128;
        // u128::MAX / p = ⌊(2^128 − 1)/p⌋ = ⌊2^128/p⌋ for p not a power of two.
        Self {
            p,
            barrett: ((b >> 64) as u64, b as u64),
        }
    }

    /// `(a + b) mod p` for `a, b < p`.
    #[inline(always)]
    pub fn add(&self, a: u64, b: u64) -> u64 {
        let s = a + b;
        if s >= self.p { s - self.p } else { s }
    }

    /// `(a − b) mod p` for `a, b < p`.
    #[inline(always)]
    pub fn sub(&self, a: u64, b: u64) -> u64 {
        if a >= b { a - b } else { a + self.p - b }
    }

    /// `−a mod p` for `a < p`.
    #[inline(always)]
    pub fn neg(&self, a: u64) -> u64 {
        if a == 0 { 0 } else { self.p - a }
    }

    /// `x mod p` for any 128-bit x (Barrett with `⌊2^128/p⌋`).
    #[inline(always)]
    pub fn reduce_u128(&self, x: u128) -> u64 {
        let (bh, bl) = (self.barrett.0 as u128, self.barrett.1 as u128);
        let (xh, xl) = (x >> 64, x & u64::MAX as u128);
        // q ≈ x·⌊2^128/p⌋ / 2^128, an under-estimate of ⌊x/p⌋ by at most 2 (ignores the low·low word).
        let mid = xl * bh + ((xl * bl) >> 64);
        let mid2 = xh * bl;
        let (mid_sum, carry) = mid.overflowing_add(mid2);
        let q = xh * bh + (mid_sum >> 64) + if carry { 1u128 << 64 } else { 0 };
        let mut r = x.wrapping_sub(q.wrapping_mul(self.p as u128)) as u64;
        while r >= self.p {
            r -= self.p;
        }
        r
    }

    /// `a·b mod p`.
    #[inline(always)]
    pub fn mul(&self, a: u64, b: u64) -> u64 {
        self.reduce_u128(a as u128 * b as u128)
    }

    /// The Shoup companion `⌊w·2^64/p⌋` of a constant `w < p`.
    pub fn shoup(&self, w: u64) -> u64 {
        (((w as u128) << 64) / self.p as u128) as u64
    }

    /// `x·w mod p` in `[0, 2p)` for any 64-bit x, with `w' = shoup(w)`.
    #[inline(always)]
    pub fn mul_shoup_lazy(&self, x: u64, w: u64, w_shoup: u64) -> u64 {
        let q = ((x as u128 * w_shoup as u128) >> 64) as u64;
        x.wrapping_mul(w).wrapping_sub(q.wrapping_mul(self.p))
    }

    /// `x·w mod p` in `[0, p)`.
    #[inline(always)]
    pub fn mul_shoup(&self, x: u64, w: u64, w_shoup: u64) -> u64 {
        let r = self.mul_shoup_lazy(x, w, w_shoup);
        if r >= self.p { r - self.p } else { r }
    }

    /// `a^e mod p`.
    pub fn pow(&self, mut a: u64, mut e: u64) -> u64 {
        let mut r = 1u64 % self.p;
        a %= self.p;
        while e > 0 {
            if e & 1 == 1 {
                r = self.mul(r, a);
            }
            a = self.mul(a, a);
            e >>= 1;
        }
        r
    }

    /// `a^−1 mod p` (Fermat; p prime, a ≠ 0).
    pub fn inv(&self, a: u64) -> u64 {
        self.pow(a, self.p - 2)
    }

    /// A signed integer reduced into `[0, p)`.
    #[inline(always)]
    pub fn from_i128(&self, x: i128) -> u64 {
        let r = self.reduce_u128(x.unsigned_abs());
        if x < 0 { self.neg(r) } else { r }
    }
}

/// Deterministic Miller–Rabin for 64-bit integers (bases of the first 12 primes suffice).
pub fn is_prime_u64(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for &b in &BASES {
        if n.is_multiple_of(b) {
            return n == b;
        }
    }
    let m = Modulus::new(n);
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'bases: for &a in &BASES {
        let mut x = m.pow(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = m.mul(x, x);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barrett_and_shoup_agree_with_u128_remainder() {
        let m = Modulus::new(1152921504606830593);
        let mut x: u128 = 0x1234_5678_9abc_def0_0fed_cba9_8765_4321;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(0x2545_f491_4f6c_dd1d_9e37_79b9_7f4a_7c15)
                .wrapping_add(12345);
            assert_eq!(m.reduce_u128(x) as u128, x % m.p as u128);
            let (a, b) = ((x >> 64) as u64 % m.p, x as u64 % m.p);
            let ws = m.shoup(b);
            assert_eq!(
                m.mul_shoup(a, b, ws) as u128,
                a as u128 * b as u128 % m.p as u128
            );
            assert_eq!(
                m.mul_shoup(x as u64, b, ws) as u128,
                (x as u64 as u128 * b as u128) % m.p as u128
            );
        }
        assert_eq!(m.reduce_u128(u128::MAX) as u128, u128::MAX % m.p as u128);
    }

    #[test]
    fn miller_rabin_knows_small_and_large_cases() {
        assert!(is_prime_u64(2) && is_prime_u64(65537) && is_prime_u64(1152921504606830593));
        assert!(!is_prime_u64(1) && !is_prime_u64(65537 * 65539) && !is_prime_u64(3215031751));
    }
}
