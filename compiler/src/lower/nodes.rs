//! Lowering of one core IR node at a time: inputs, constants, casts, unary operations and
//! shifts (binary operations in [`super::arith`], `if` in [`super::select`]).

use super::fusion::{Sum, Term, shifted};
use super::{LowerError, Lowerer, Val, const_word, malformed};
use crate::builder::Bit;
use crate::gadgets::{self, Word};
use crate::range::Range;
use dsl::core::{Block, Node, Op, UnOp, VarId};
use dsl::{NumTy, Ty};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

/// `v` wrapped into format `t` (two's complement modulo 2^width).
fn wrap(v: &BigInt, t: NumTy) -> BigInt {
    let m = BigInt::one() << t.width;
    let r = v.mod_floor(&m);
    if t.signed && r >= (&m >> 1u32) {
        r - m
    } else {
        r
    }
}

impl<'p> Lowerer<'p> {
    pub(super) fn nodes(&mut self, nodes: &'p [Node]) -> Result<(), LowerError> {
        for n in nodes {
            let tag = self.b.set_tag(n.var);
            let v = self.node(n);
            self.b.set_tag(tag);
            let v = v?;
            if self.b.node_count() > self.max_nodes {
                return Err(LowerError::TooLarge {
                    var: n.var,
                    limit: self.max_nodes,
                });
            }
            match self.env.get_mut(n.var as usize) {
                Some(slot) => *slot = Some(v),
                None => return Err(malformed(n.var, "is out of range")),
            }
        }
        Ok(())
    }

    pub(super) fn block(&mut self, block: &'p Block) -> Result<Val, LowerError> {
        self.nodes(&block.nodes)?;
        self.get(block.result)
    }

    pub(super) fn node(&mut self, n: &'p Node) -> Result<Val, LowerError> {
        let nt = match n.ty {
            Ty::Num(t) => Some(t),
            Ty::Bool => None,
        };
        let need_num = || nt.ok_or(malformed(n.var, "has type bool but a numeric operation"));
        Ok(match &n.op {
            Op::Input(i) => self
                .inputs
                .get(*i)
                .cloned()
                .ok_or(malformed(n.var, "names a missing input"))?,
            Op::Const(raw) => match n.ty {
                Ty::Bool => Val::Bool(Bit::constant(raw & 1 == 1)),
                Ty::Num(t) => {
                    let v = t.to_bigint(*raw);
                    let (w, s) = if self.opts.range {
                        Range::point(v.clone()).word_shape()
                    } else {
                        (t.width as usize, t.signed)
                    };
                    let word = const_word(&v, w, s);
                    let range = if self.opts.range {
                        Range::point(v)
                    } else {
                        Range::of_type(t)
                    };
                    Val::Num { word, range }
                }
            },
            Op::Cast(x) => self.cast(*x, n)?,
            Op::Unary(UnOp::Not, x) => Val::Bool(!self.bool(*x)?),
            Op::Unary(UnOp::Neg, x) if self.opts.fusion && self.range_of(*x).is_some() => {
                let t = need_num()?;
                let r = self.range_of(*x).unwrap_or_else(|| Range::of_type(t)).neg();
                let (terms, c) = self.terms_of(*x)?;
                let terms = terms
                    .into_iter()
                    .map(|term| Term {
                        negative: !term.negative,
                        ..term
                    })
                    .collect();
                self.sum_val(terms, -c, r, t)
            }
            Op::Unary(op, x) => {
                let t = need_num()?;
                let (word, r) = self.num(*x)?;
                self.unary(*op, word, r, t)
            }
            Op::Binary(op, x, y) => self.binary(*op, *x, *y, n)?,
            Op::Shl(x, k) if self.opts.fusion && self.range_of(*x).is_some() => {
                let t = need_num()?;
                let r = self
                    .range_of(*x)
                    .unwrap_or_else(|| Range::of_type(t))
                    .shl(*k);
                let (terms, c) = self.terms_of(*x)?;
                self.sum_val(shifted(terms, *k as usize), c << *k, r, t)
            }
            Op::Shl(x, k) => {
                let (word, r) = self.num(*x)?;
                self.make(word.shl(*k as usize), r.shl(*k), need_num()?)
            }
            Op::Shr(x, k) => {
                let (word, r) = self.num(*x)?;
                self.make(word.shr(*k as usize), r.shr(*k), need_num()?)
            }
            Op::If {
                cond,
                then_block,
                else_block,
            } => self.if_else(*cond, then_block, else_block, n)?,
        })
    }

    pub(super) fn cast(&mut self, x: VarId, n: &Node) -> Result<Val, LowerError> {
        let to = match n.ty {
            Ty::Bool => return Ok(Val::Bool(self.bool(x)?)),
            Ty::Num(t) => t,
        };
        // A sum scaled up stays a sum: its rows shift; if it wraps, it is reduced modulo
        // the target width and may no longer be spliced.
        if let Val::Sum(sum) = self.get_raw(x)?
            && to.frac >= self.frac(x)
            && self.opts.range
        {
            let d = to.frac - self.frac(x);
            let r = sum.range.shl(d);
            let exact = r.within(&Range::of_type(to));
            let (terms, c) = self.terms_of(x)?;
            let terms = shifted(terms, d as usize);
            let val = if exact {
                self.sum_val(terms, c << d, r, to)
            } else {
                self.sum_val(terms, c << d, Range::of_type(to), to)
            };
            return Ok(match val {
                Val::Sum(s) => Val::Sum(Sum { exact, ..s }),
                other => other,
            });
        }
        match self.get(x)? {
            Val::Sum(_) => Err(malformed(x, "is an unreduced sum")),
            Val::Bool(b) => {
                let one = if to.frac >= 256 {
                    BigInt::zero()
                } else {
                    BigInt::one() << to.frac
                };
                let c = wrap(&one, to);
                let (w, s) = Range::point(c.clone()).word_shape();
                let bits = (0..w)
                    .map(|i| if c.bit(i as u64) { b } else { Bit::FALSE })
                    .collect();
                let r = Range::new(
                    (&c).min(&BigInt::zero()).clone(),
                    (&c).max(&BigInt::zero()).clone(),
                );
                Ok(self.make(Word::new(bits, s), r, to))
            }
            Val::Num { word, range } => {
                let from = self.frac(x);
                let (w, r) = if to.frac >= from {
                    let d = to.frac - from;
                    (word.shl(d as usize), range.shl(d))
                } else {
                    let d = from - to.frac;
                    (word.shr(d as usize), range.shr(d))
                };
                if self.opts.range && r.within(&Range::of_type(to)) {
                    Ok(self.make(w, r, to))
                } else {
                    // Wraps: the low bits of the (extended) scaled value.
                    let wrapped = w.resize(to.width as usize, to.signed);
                    Ok(self.make(wrapped, Range::of_type(to), to))
                }
            }
        }
    }

    pub(super) fn unary(&mut self, op: UnOp, word: Word, r: Range, t: NumTy) -> Val {
        match op {
            UnOp::Not => Val::Bool(Bit::FALSE), // handled by the caller
            UnOp::Neg => {
                let nr = r.neg();
                let (w, _) = self.shape(&nr, t);
                let out = gadgets::negate(&mut self.b, &word, w);
                self.make(out, nr, t)
            }
            UnOp::Abs => {
                let nr = r.abs();
                if self.opts.range && !r.lo.is_negative() {
                    return self.make(word, nr, t);
                }
                if self.opts.range && !r.hi.is_positive() {
                    let (w, _) = self.shape(&nr, t);
                    let out = gadgets::negate(&mut self.b, &word, w);
                    return self.make(out, nr, t);
                }
                let out = gadgets::abs(&mut self.b, &word);
                self.make(out, nr, t)
            }
            UnOp::Sign => {
                let nr = r.sign();
                let out = gadgets::sign(&mut self.b, &word);
                self.make(out, nr, t)
            }
        }
    }
}
