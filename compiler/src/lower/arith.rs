//! Binary operations on words: boolean connectives, add, subtract, multiply (with the
//! two-bit sign factor special case), min/max and comparisons decided by ranges where
//! they can be.

use super::{LowerError, Lowerer, Val, malformed};
use crate::builder::Bit;
use crate::gadgets::{self, Word};
use crate::range::Range;
use dsl::core::{BinOp, Node, VarId};
use num_bigint::BigInt;
use num_traits::One;

impl<'p> Lowerer<'p> {
    pub(super) fn binary(
        &mut self,
        op: BinOp,
        x: VarId,
        y: VarId,
        n: &Node,
    ) -> Result<Val, LowerError> {
        if self.opts.fusion
            && let Some(t) = n.ty.num()
            && let Some(v) = self.fused_binary(op, x, y, t)?
        {
            return Ok(v);
        }
        if let (Val::Bool(a), Val::Bool(b)) = (self.get_raw(x)?, self.get_raw(y)?) {
            let bb = &mut self.b;
            let v = match op {
                BinOp::And => bb.and(a, b),
                BinOp::Or => bb.or(a, b),
                BinOp::Xor | BinOp::Ne => bb.xor(a, b),
                BinOp::Eq => !bb.xor(a, b),
                BinOp::Lt => bb.and(!a, b),
                BinOp::Le => bb.or(!a, b),
                BinOp::Gt => bb.and(a, !b),
                BinOp::Ge => bb.or(a, !b),
                _ => return Err(malformed(n.var, "applies arithmetic to bools")),
            };
            return Ok(Val::Bool(v));
        }
        let (a, ra) = self.num(x)?;
        let (b, rb) = self.num(y)?;
        if let Some(v) = self.compare(op, &a, &ra, &b, &rb) {
            return Ok(Val::Bool(v));
        }
        let t =
            n.ty.num()
                .ok_or(malformed(n.var, "is bool but the operation is arithmetic"))?;
        Ok(match op {
            BinOp::Add => {
                let r = ra.add(&rb);
                let (w, s) = self.shape(&r, t);
                let out = gadgets::add(&mut self.b, &a, &b, w, s);
                self.make(out, r, t)
            }
            BinOp::Sub => {
                let r = ra.sub(&rb);
                let (w, s) = self.shape(&r, t);
                let out = gadgets::sub(&mut self.b, &a, &b, w, s);
                self.make(out, r, t)
            }
            BinOp::Mul => {
                let r = if x == y { ra.square() } else { ra.mul(&rb) };
                let (w, s) = self.shape(&r, t);
                let out = if let Some(o) = self.multiply_small(&a, &ra, &b, w, s) {
                    o
                } else if let Some(o) = self.multiply_small(&b, &rb, &a, w, s) {
                    o
                } else {
                    gadgets::multiply(&mut self.b, &a, &b, w, s)
                };
                self.make(out, r, t)
            }
            BinOp::Min | BinOp::Max => {
                let is_min = op == BinOp::Min;
                let r = if is_min { ra.min(&rb) } else { ra.max(&rb) };
                if self.opts.range {
                    // Decided by the ranges alone.
                    if (is_min && ra.hi <= rb.lo) || (!is_min && ra.lo >= rb.hi) {
                        return Ok(self.make(a, r, t));
                    }
                    if (is_min && rb.hi <= ra.lo) || (!is_min && rb.lo >= ra.hi) {
                        return Ok(self.make(b, r, t));
                    }
                }
                // min: (b < a) ? b : a;  max: (a < b) ? b : a.
                let pick_b = if is_min {
                    gadgets::less_than(&mut self.b, &b, &a)
                } else {
                    gadgets::less_than(&mut self.b, &a, &b)
                };
                let (w, s) = self.shape(&r, t);
                let out = gadgets::mux(&mut self.b, pick_b, &b, &a, w, s);
                self.make(out, r, t)
            }
            _ => return Err(malformed(n.var, "is a comparison on mismatched operands")),
        })
    }

    /// `x · s` for `s ∈ {−1, 0, 1}` held in two bits (as `sign` makes it): the conditional
    /// negation of x, masked by s ≠ 0 (2w − 1 ANDs instead of a 2-row product).
    pub(super) fn multiply_small(
        &mut self,
        s: &Word,
        rs: &Range,
        x: &Word,
        w: usize,
        signed: bool,
    ) -> Option<Word> {
        let minus_one = -BigInt::one();
        if !(self.opts.range
            && rs.lo >= minus_one
            && rs.hi <= BigInt::one()
            && s.width() == 2
            && s.signed)
        {
            return None;
        }
        if s.as_const().is_some() {
            return None;
        }
        let (nz, neg) = (s.bits[0], s.bits[1]);
        let negated = gadgets::conditional_negate(&mut self.b, neg, x, w, signed);
        let bits = negated.bits.iter().map(|&b| self.b.and(b, nz)).collect();
        Some(Word::new(bits, signed))
    }

    /// A comparison's bit, decided by the ranges when they do not overlap.
    pub(super) fn compare(
        &mut self,
        op: BinOp,
        a: &Word,
        ra: &Range,
        b: &Word,
        rb: &Range,
    ) -> Option<Bit> {
        let (lt, swap, negate) = match op {
            BinOp::Lt => (true, false, false),
            BinOp::Ge => (true, false, true),
            BinOp::Gt => (true, true, false),
            BinOp::Le => (true, true, true),
            BinOp::Eq => (false, false, false),
            BinOp::Ne => (false, false, true),
            _ => return None,
        };
        let (a, ra, b, rb) = if swap { (b, rb, a, ra) } else { (a, ra, b, rb) };
        let decided = if !self.opts.range {
            None
        } else if lt {
            if ra.hi < rb.lo {
                Some(true)
            } else if ra.lo >= rb.hi {
                Some(false)
            } else {
                None
            }
        } else if ra.intersect(rb).is_none() {
            Some(false)
        } else if ra.as_point().is_some() && ra.as_point() == rb.as_point() {
            Some(true)
        } else {
            None
        };
        let bit = match decided {
            Some(v) => Bit::constant(v),
            None if lt => {
                // Against a constant, an unsigned word is compared as "high bits zero and
                // low bits ≤ d", the high-bit test built top-down so that comparisons of
                // one value with several constants share it.
                let one = BigInt::one();
                match (ra.as_point(), rb.as_point()) {
                    (_, Some(c)) if !a.signed && self.opts.range => {
                        gadgets::at_most_const(&mut self.b, a, &(c - &one))
                    }
                    (Some(c), _) if !b.signed && self.opts.range => {
                        !gadgets::at_most_const(&mut self.b, b, c)
                    }
                    _ => gadgets::less_than(&mut self.b, a, b),
                }
            }
            None => gadgets::equal(&mut self.b, a, b),
        };
        Some(if negate { !bit } else { bit })
    }
}
