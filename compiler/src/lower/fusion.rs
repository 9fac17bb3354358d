//! Fused sums: additions, subtractions, negations, shifts and constant products of
//! single-use values collected as rows of one deferred [`Sum`] and reduced by a single
//! column compression ([`crate::gadgets::Columns`]) when the value is needed, instead of
//! one carry chain per operation ([`crate::PassOptions::fusion`]).

use super::{LowerError, Lowerer, Val};
use crate::builder::Bit;
use crate::gadgets::{self, Word};
use crate::range::Range;
use dsl::NumTy;
use dsl::core::{BinOp, VarId};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Zero};

/// A deferred sum `Σ ±word·2^shift + constant`: additions, subtractions, negations, shifts
/// and constant products of single-use values accumulate here and are reduced by one
/// column compression when a value is needed, instead of one carry chain per operation.
#[derive(Clone, Debug)]
pub(super) struct Sum {
    pub(super) terms: Vec<Term>,
    pub(super) constant: BigInt,
    pub(super) range: Range,
    pub(super) ty: NumTy,
    /// False when the value is the sum wrapped into `ty` (it may then not be spliced).
    pub(super) exact: bool,
}

/// One row of a [`Sum`].
#[derive(Clone, Debug)]
pub(super) struct Term {
    pub(super) word: Word,
    pub(super) shift: usize,
    pub(super) negative: bool,
}

/// The rows of `terms` shifted up by `d` bits (the sum times 2^d, without the constant).
pub(super) fn shifted(terms: Vec<Term>, d: usize) -> Vec<Term> {
    terms
        .into_iter()
        .map(|term| Term {
            shift: term.shift + d,
            ..term
        })
        .collect()
}

/// Most rows a fused sum may collect before it is reduced.
const MAX_TERMS: usize = 48;

impl<'p> Lowerer<'p> {
    /// Reduces a deferred sum to a word by one column compression.
    pub(super) fn reduce(&mut self, sum: Sum) -> Val {
        let Sum {
            terms,
            constant,
            range,
            ty,
            ..
        } = sum;
        if let [t] = terms.as_slice()
            && t.shift == 0
            && !t.negative
            && constant.is_zero()
        {
            return self.make(t.word.clone(), range, ty);
        }
        let (w, signed) = self.shape(&range, ty);
        let mut cols = gadgets::Columns::new(w);
        for t in &terms {
            cols.push_word(&t.word, t.shift, t.negative);
        }
        let m = BigInt::one() << 128u32;
        cols.push_constant_bits(u128::try_from(constant.mod_floor(&m)).unwrap_or(0));
        let word = cols.sum(&mut self.b, signed);
        self.make(word, range, ty)
    }

    /// The rows of `v` for a new sum: its own rows if it is a single-use deferred sum,
    /// else its reduced word as one row.
    pub(super) fn terms_of(&mut self, v: VarId) -> Result<(Vec<Term>, BigInt), LowerError> {
        if let Val::Sum(sum) = self.get_raw(v)?
            && sum.exact
            && self.uses.get(v as usize).copied().unwrap_or(0) <= 1
        {
            return Ok((sum.terms, sum.constant));
        }
        let (word, range) = self.num(v)?;
        if let Some(c) = range.as_point().filter(|_| self.opts.range) {
            return Ok((Vec::new(), c.clone()));
        }
        if let Some(c) = word.as_const() {
            return Ok((Vec::new(), BigInt::from(c)));
        }
        Ok((
            vec![Term {
                word,
                shift: 0,
                negative: false,
            }],
            BigInt::zero(),
        ))
    }

    /// A deferred sum for a node of type `ty` with computed range `r` (or its reduction
    /// when fusion is off or the sum grew too long).
    pub(super) fn sum_val(
        &mut self,
        terms: Vec<Term>,
        constant: BigInt,
        r: Range,
        ty: NumTy,
    ) -> Val {
        let range = self.node_range(r, ty);
        let sum = Sum {
            terms,
            constant,
            range,
            ty,
            exact: true,
        };
        if self.opts.fusion && sum.terms.len() <= MAX_TERMS {
            Val::Sum(sum)
        } else {
            self.reduce(sum)
        }
    }

    /// Additions, subtractions and constant products as deferred sums (fusion).
    pub(super) fn fused_binary(
        &mut self,
        op: BinOp,
        x: VarId,
        y: VarId,
        t: NumTy,
    ) -> Result<Option<Val>, LowerError> {
        let (Some(ra), Some(rb)) = (self.range_of(x), self.range_of(y)) else {
            return Ok(None);
        };
        match op {
            BinOp::Add | BinOp::Sub => {
                let add = op == BinOp::Add;
                let r = if add { ra.add(&rb) } else { ra.sub(&rb) };
                let (mut terms, ca) = self.terms_of(x)?;
                let (tb, cb) = self.terms_of(y)?;
                terms.extend(tb.into_iter().map(|mut term| {
                    term.negative ^= !add;
                    term
                }));
                let c = if add { ca + cb } else { ca - cb };
                Ok(Some(self.sum_val(terms, c, r, t)))
            }
            BinOp::Mul if x != y => {
                let (c, other) = match (self.const_value(x), self.const_value(y)) {
                    (_, Some(c)) => (c, x),
                    (Some(c), None) => (c, y),
                    (None, None) => return Ok(None),
                };
                let Ok(ci) = i128::try_from(&c) else {
                    return Ok(None);
                };
                let digits = gadgets::csd_digits(ci);
                let nonzero = digits.iter().filter(|&&d| d != 0).count();
                let (terms, k) = self.terms_of(other)?;
                if terms.len() * nonzero > MAX_TERMS {
                    return Ok(None);
                }
                let mut out = Vec::with_capacity(terms.len() * nonzero);
                for (shift, &d) in digits.iter().enumerate() {
                    if d == 0 {
                        continue;
                    }
                    for term in &terms {
                        out.push(Term {
                            word: term.word.clone(),
                            shift: term.shift + shift,
                            negative: term.negative ^ (d < 0),
                        });
                    }
                }
                Ok(Some(self.sum_val(out, k * &c, ra.mul(&rb), t)))
            }
            _ => Ok(None),
        }
    }

    /// `keep · (if s { −v } else { v })` as a deferred sum `((v ⊕ s) ∧ keep) + (s ∧ keep)`:
    /// the +1 of the negation becomes a carry-in of whatever sum consumes it. Only when
    /// −v cannot wrap in the node's type (the sum's value is exact).
    pub(super) fn fused_negation(
        &mut self,
        s: Bit,
        v: &Word,
        rv: &Range,
        keep: Bit,
        r: &Range,
        t: NumTy,
    ) -> Option<Val> {
        if !(self.opts.fusion && self.opts.range && rv.neg().within(&Range::of_type(t))) {
            return None;
        }
        let (w, _) = r.hull(rv).hull(&rv.neg()).word_shape();
        let flipped: Vec<Bit> = (0..w)
            .map(|i| {
                let x = self.b.xor(v.bit(i), s);
                self.b.and(x, keep)
            })
            .collect();
        let carry = self.b.and(s, keep);
        let terms = vec![
            Term {
                word: Word::new(flipped, true),
                shift: 0,
                negative: false,
            },
            Term {
                word: Word::new(vec![carry], false),
                shift: 0,
                negative: false,
            },
        ];
        Some(self.sum_val(terms, BigInt::zero(), r.clone(), t))
    }
}
