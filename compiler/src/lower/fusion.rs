//! Fused sums: additions, subtractions, negations, shifts and constant products of
//! single-use values collected as rows of one deferred [`Sum`] and reduced by a single
//! column compression ([`crate::gadgets::Columns`]) when the value is needed, instead of
//! one carry chain per operation ([`crate::PassOptions::fusion`]).

use super::{LowerError, Lowerer, Val};
use crate::builder::{Bit, Builder};
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

/// Common row pairs of a sum (Hartley's common-subexpression elimination on signed
/// digits): when the rows `±w·2^s` and `±w·2^(s+a)` of one word w occur with the same
/// offset a and relative sign k ≥ 2 times, `u = w ± w·2^a` is built once (about |w| ANDs)
/// and each pair becomes the single row `±u·2^s`, which saves about |w| − a − 1 bits of
/// column compression per pair. Repeated while a pattern saves ANDs.
pub(super) fn share_row_pairs(b: &mut Builder, mut terms: Vec<Term>) -> Vec<Term> {
    for _ in 0..MAX_TERMS {
        let Some(p) = best_pattern(&terms) else {
            break;
        };
        let w = terms[p.rows[0].0].word.clone();
        let (n, signed) = (w.width(), w.signed);
        let (lo, hi) = word_bounds(n, signed);
        let scale = if p.opposite {
            BigInt::one() - (BigInt::one() << p.offset)
        } else {
            BigInt::one() + (BigInt::one() << p.offset)
        };
        let ends = Range::new(&lo * &scale, &hi * &scale);
        let range = Range::new(
            (&ends.lo).min(&ends.hi).clone(),
            (&ends.lo).max(&ends.hi).clone(),
        );
        let (uw, us) = range.word_shape();
        let mut cols = gadgets::Columns::new(uw);
        cols.push_word(&w, 0, false);
        cols.push_word(&w, p.offset, p.opposite);
        let u = cols.sum(b, us);
        let mut drop = vec![false; terms.len()];
        let mut added = Vec::with_capacity(p.rows.len());
        for &(i, j) in &p.rows {
            drop[i] = true;
            drop[j] = true;
            added.push(Term {
                word: u.clone(),
                shift: terms[i].shift,
                negative: terms[i].negative,
            });
        }
        let mut kept: Vec<Term> = terms
            .into_iter()
            .zip(drop)
            .filter_map(|(t, d)| (!d).then_some(t))
            .collect();
        kept.extend(added);
        terms = kept;
    }
    terms
}

/// A repeated row pair: offset, relative sign and the disjoint (lower, upper) row indices.
struct Pattern {
    offset: usize,
    opposite: bool,
    rows: Vec<(usize, usize)>,
}

/// Smallest and largest value of a word of `n` bits.
fn word_bounds(n: usize, signed: bool) -> (BigInt, BigInt) {
    if signed {
        let h = BigInt::one() << (n.saturating_sub(1));
        (-h.clone(), h - 1)
    } else {
        (BigInt::zero(), (BigInt::one() << n) - 1)
    }
}

/// The row pattern that saves the most ANDs (estimated), if any saves some.
fn best_pattern(terms: &[Term]) -> Option<Pattern> {
    let mut best: Option<(i64, Pattern)> = None;
    for (i, ti) in terms.iter().enumerate() {
        for tj in terms {
            if tj.shift <= ti.shift || tj.word != ti.word || ti.word.as_const().is_some() {
                continue;
            }
            let offset = tj.shift - ti.shift;
            let opposite = ti.negative != tj.negative;
            let rows = pairs_of(terms, i, offset, opposite);
            let n = ti.word.width() as i64;
            let k = rows.len() as i64;
            // k pairs of n-bit rows become k rows of n + offset + 1 bits, for an n-AND sum.
            let saved = k * (n - offset as i64 - 1) - n - 1;
            if k >= 2 && saved > 0 && best.as_ref().is_none_or(|(s, _)| saved > *s) {
                best = Some((
                    saved,
                    Pattern {
                        offset,
                        opposite,
                        rows,
                    },
                ));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Disjoint row pairs (lower, upper) of the word of row `first` with the given offset and
/// relative sign, taken greedily from the lowest shift up.
fn pairs_of(terms: &[Term], first: usize, offset: usize, opposite: bool) -> Vec<(usize, usize)> {
    let word = &terms[first].word;
    let mut idx: Vec<usize> = (0..terms.len())
        .filter(|&i| terms[i].word == *word)
        .collect();
    idx.sort_by_key(|&i| terms[i].shift);
    let mut used = vec![false; terms.len()];
    let mut rows = Vec::new();
    for &i in &idx {
        if used[i] {
            continue;
        }
        let partner = idx.iter().copied().find(|&j| {
            !used[j]
                && j != i
                && terms[j].shift == terms[i].shift + offset
                && (terms[i].negative != terms[j].negative) == opposite
        });
        if let Some(j) = partner {
            used[i] = true;
            used[j] = true;
            rows.push((i, j));
        }
    }
    rows
}

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
        let terms = if self.opts.shared_rows {
            share_row_pairs(&mut self.b, terms)
        } else {
            terms
        };
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
