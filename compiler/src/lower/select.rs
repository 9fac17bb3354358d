//! `if` lowered as a multiplexer of its two arms (after path-sensitive narrowing, see
//! [`super::path_ranges`]), and the patterns `if c { -v } else { v }` and
//! `if c { -v } else if c2 { 0 } else { v }` lowered as conditional negations.

use super::{LowerError, Lowerer, Val, malformed};
use crate::builder::Bit;
use crate::gadgets::{self, Word};
use dsl::Ty;
use dsl::core::{Block, Node, Op, UnOp, VarId};
use num_traits::Zero;

impl<'p> Lowerer<'p> {
    pub(super) fn if_else(
        &mut self,
        cond: VarId,
        tb: &'p Block,
        eb: &'p Block,
        n: &Node,
    ) -> Result<Val, LowerError> {
        let s = self.bool(cond)?;
        if self.opts.constant_propagation
            && let Some(v) = s.as_const()
        {
            return self.block(if v { tb } else { eb });
        }
        let path = self.opts.range && self.opts.path_ranges;
        let facts_t = if path {
            self.facts(cond, true)
        } else {
            Some(Vec::new())
        };
        let facts_e = if path {
            self.facts(cond, false)
        } else {
            Some(Vec::new())
        };
        // `if c { k } else { v }` where v = k whenever c holds is v (and the mirror image).
        if let Some(k) = self.block_constant(tb)
            && self.equals_under(cond, true, eb.result, &k)
        {
            return self.arm(eb, &[]);
        }
        if let Some(k) = self.block_constant(eb)
            && self.equals_under(cond, false, tb.result, &k)
        {
            return self.arm(tb, &[]);
        }
        let (Some(facts_t), Some(facts_e)) = (facts_t, facts_e) else {
            // One arm is infeasible: the condition is in fact constant.
            let then_possible = self.facts(cond, true).is_some();
            return self.block(if then_possible { tb } else { eb });
        };
        let tv = self.arm(tb, &facts_t)?;
        let ev = self.arm(eb, &facts_e)?;
        Ok(match (tv, ev) {
            (Val::Bool(t), Val::Bool(e)) => Val::Bool(self.b.mux(s, t, e)),
            (
                Val::Num {
                    word: tw,
                    range: tr,
                },
                Val::Num {
                    word: ew,
                    range: er,
                },
            ) => {
                let t =
                    n.ty.num()
                        .ok_or(malformed(n.var, "is bool but its arms are numbers"))?;
                let r = tr.hull(&er);
                let (w, sg) = self.shape(&r, t);
                // The patterns below rely on both arms' results having the node's type.
                let arms_typed = self.has_type(tb.result, n.ty) && self.has_type(eb.result, n.ty);
                // `if c { -v } else { v }` (or the mirror) is a conditional negation.
                if let Some((neg_when, v)) = self
                    .negation_pair(tb.result, eb.result)
                    .filter(|&(_, v)| arms_typed && self.has_type(v, n.ty))
                {
                    let (vw, rv) = self.num(v)?;
                    let sel = if neg_when { s } else { !s };
                    if let Some(val) = self.fused_negation(sel, &vw, &rv, Bit::TRUE, &r, t) {
                        return Ok(val);
                    }
                    let out = gadgets::conditional_negate(&mut self.b, sel, &vw, w, sg);
                    return Ok(self.make(out, r, t));
                }
                // `if c { -v } else if c2 { 0 } else { v }`: a masked conditional negation.
                if let Some((v, keep_else)) = self
                    .signed_select(tb.result, eb.result)?
                    .filter(|&(v, _)| arms_typed && self.has_type(v, n.ty))
                {
                    let (vw, rv) = self.num(v)?;
                    let keep = self.b.or(s, keep_else);
                    if let Some(val) = self.fused_negation(s, &vw, &rv, keep, &r, t) {
                        return Ok(val);
                    }
                    let negated = gadgets::conditional_negate(&mut self.b, s, &vw, w, sg);
                    let bits = negated.bits.iter().map(|&b| self.b.and(b, keep)).collect();
                    return Ok(self.make(Word::new(bits, sg), r, t));
                }
                let out = gadgets::mux(&mut self.b, s, &tw, &ew, w, sg);
                self.make(out, r, t)
            }
            _ => return Err(malformed(n.var, "has arms of different kinds")),
        })
    }

    /// `Some((true, v))` if the then-result is `−v` and the else-result is `v` (v defined
    /// outside the arms); `Some((false, v))` for the mirror image.
    pub(super) fn negation_pair(&self, t: VarId, e: VarId) -> Option<(bool, VarId)> {
        let neg_of = |a: VarId| match self.defs.get(&a).map(|n| &n.op) {
            Some(Op::Unary(UnOp::Neg, v)) => Some(*v),
            _ => None,
        };
        if neg_of(t) == Some(e) && self.env_defined_outside(e) {
            return Some((true, e));
        }
        if neg_of(e) == Some(t) && self.env_defined_outside(t) {
            return Some((false, t));
        }
        None
    }

    /// For a then-result `−v` and an else-result `if c2 { 0 } else { v }` (or
    /// `if c2 { v } else { 0 }`): `v` and the bit that keeps v in the else case.
    pub(super) fn signed_select(
        &mut self,
        t: VarId,
        e: VarId,
    ) -> Result<Option<(VarId, Bit)>, LowerError> {
        let Some(Op::Unary(UnOp::Neg, v)) = self.defs.get(&t).map(|n| &n.op) else {
            return Ok(None);
        };
        let v = *v;
        let Some(Op::If {
            cond,
            then_block,
            else_block,
        }) = self.defs.get(&e).map(|n| &n.op)
        else {
            return Ok(None);
        };
        let zero = |block: &Block| self.block_constant(block).is_some_and(|c| c.is_zero());
        let keep_when_cond = if zero(then_block) && else_block.result == v {
            false
        } else if zero(else_block) && then_block.result == v {
            true
        } else {
            return Ok(None);
        };
        if !self.env_defined_outside(v) {
            return Ok(None);
        }
        // The zero arm is redundant when v is 0 whenever it is taken: v is always kept.
        if self.equals_under(*cond, !keep_when_cond, v, &num_bigint::BigInt::ZERO) {
            return Ok(Some((v, Bit::TRUE)));
        }
        let c2 = self.bool(*cond)?;
        Ok(Some((v, if keep_when_cond { c2 } else { !c2 })))
    }

    /// Whether variable `v` has type `ty`.
    pub(super) fn has_type(&self, v: VarId, ty: Ty) -> bool {
        self.tys.get(v as usize) == Some(&ty)
    }

    /// Whether `v` has a value now (defined before the arms, not only inside one).
    pub(super) fn env_defined_outside(&self, v: VarId) -> bool {
        // Arm-local variables are defined too after lowering the arm; the pattern only
        // needs v's value, which is the same wherever it was defined.
        self.env.get(v as usize).is_some_and(Option::is_some)
    }
}
