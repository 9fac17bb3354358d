//! Value ranges: closed intervals of raw integers, with exact interval arithmetic.

use dsl::NumTy;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

/// The closed interval `lo..=hi` of raw integer values (at some implied frac).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// Smallest possible value.
    pub lo: BigInt,
    /// Largest possible value.
    pub hi: BigInt,
}

impl Range {
    /// The interval `lo..=hi`.
    pub fn new(lo: BigInt, hi: BigInt) -> Range {
        Range { lo, hi }
    }

    /// The single value `v`.
    pub fn point(v: BigInt) -> Range {
        Range {
            lo: v.clone(),
            hi: v,
        }
    }

    /// Every raw value of a format.
    pub fn of_type(t: NumTy) -> Range {
        Range {
            lo: t.min_raw(),
            hi: t.max_raw(),
        }
    }

    /// The single value, if the interval has one.
    pub fn as_point(&self) -> Option<&BigInt> {
        (self.lo == self.hi).then_some(&self.lo)
    }

    /// Bits and signedness of the smallest word holding the interval (`None` above 256 bits).
    pub fn word_shape(&self) -> (usize, bool) {
        let signed = self.lo.is_negative();
        let bits = if signed {
            let need_lo = (-&self.lo - 1u32).bits() + 1;
            let need_hi = if self.hi.is_negative() {
                1
            } else {
                self.hi.bits() + 1
            };
            need_lo.max(need_hi)
        } else {
            self.hi.bits().max(1)
        };
        (bits as usize, signed)
    }

    /// Whether every value of `self` lies in `other`.
    pub fn within(&self, other: &Range) -> bool {
        self.lo >= other.lo && self.hi <= other.hi
    }

    /// The intersection, or `None` if empty.
    pub fn intersect(&self, other: &Range) -> Option<Range> {
        let lo = (&self.lo).max(&other.lo).clone();
        let hi = (&self.hi).min(&other.hi).clone();
        (lo <= hi).then_some(Range { lo, hi })
    }

    /// The smallest interval holding both.
    pub fn hull(&self, other: &Range) -> Range {
        Range {
            lo: (&self.lo).min(&other.lo).clone(),
            hi: (&self.hi).max(&other.hi).clone(),
        }
    }

    /// `a + b`.
    pub fn add(&self, o: &Range) -> Range {
        Range {
            lo: &self.lo + &o.lo,
            hi: &self.hi + &o.hi,
        }
    }

    /// `a − b`.
    pub fn sub(&self, o: &Range) -> Range {
        Range {
            lo: &self.lo - &o.hi,
            hi: &self.hi - &o.lo,
        }
    }

    /// `−a`.
    pub fn neg(&self) -> Range {
        Range {
            lo: -&self.hi,
            hi: -&self.lo,
        }
    }

    /// `a · b` (hull of the endpoint products).
    pub fn mul(&self, o: &Range) -> Range {
        let p = [
            &self.lo * &o.lo,
            &self.lo * &o.hi,
            &self.hi * &o.lo,
            &self.hi * &o.hi,
        ];
        let lo = p.iter().min().cloned().unwrap_or_default();
        let hi = p.iter().max().cloned().unwrap_or_default();
        Range { lo, hi }
    }

    /// `a²`.
    pub fn square(&self) -> Range {
        let abs = self.abs();
        Range {
            lo: &abs.lo * &abs.lo,
            hi: &abs.hi * &abs.hi,
        }
    }

    /// `|a|`.
    pub fn abs(&self) -> Range {
        if !self.lo.is_negative() {
            self.clone()
        } else if !self.hi.is_positive() {
            self.neg()
        } else {
            Range {
                lo: BigInt::zero(),
                hi: (-&self.lo).max(self.hi.clone()),
            }
        }
    }

    /// `sign(a)`.
    pub fn sign(&self) -> Range {
        Range {
            lo: self.lo.signum(),
            hi: self.hi.signum(),
        }
    }

    /// `min(a, b)`.
    pub fn min(&self, o: &Range) -> Range {
        Range {
            lo: (&self.lo).min(&o.lo).clone(),
            hi: (&self.hi).min(&o.hi).clone(),
        }
    }

    /// `max(a, b)`.
    pub fn max(&self, o: &Range) -> Range {
        Range {
            lo: (&self.lo).max(&o.lo).clone(),
            hi: (&self.hi).max(&o.hi).clone(),
        }
    }

    /// `a · 2^k`.
    pub fn shl(&self, k: u32) -> Range {
        Range {
            lo: &self.lo << k,
            hi: &self.hi << k,
        }
    }

    /// `floor(a / 2^k)`.
    pub fn shr(&self, k: u32) -> Range {
        let d = BigInt::one() << k;
        Range {
            lo: self.lo.div_floor(&d),
            hi: self.hi.div_floor(&d),
        }
    }
}
