//! Path-sensitive ranges: the facts an `if` condition implies (`x < c`, `a == b`, `&&`,
//! `||`, `!`), propagated backwards through casts, `abs`, negation and constant offsets
//! and forwards to the values computed from them, assumed while lowering each arm.

use super::fusion::Sum;
use super::{LowerError, Lowerer, Val, clamp_range, const_word};
use crate::range::Range;
use dsl::Ty;
use dsl::core::{BinOp, Block, Node, Op, UnOp, VarId};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::One;

impl<'p> Lowerer<'p> {
    /// Lowers an arm under `facts`, restoring the narrowed variables afterwards.
    pub(super) fn arm(
        &mut self,
        block: &'p Block,
        facts: &[(VarId, Range)],
    ) -> Result<Val, LowerError> {
        let mut saved: Vec<(VarId, Val)> = Vec::with_capacity(facts.len());
        let mut changed = std::collections::BTreeSet::new();
        for (v, r) in facts {
            if self.narrow(*v, r, &mut saved)? {
                changed.insert(*v);
            }
        }
        // Forward: values computed before the `if` from narrowed ones narrow too.
        let mut work: std::collections::BTreeSet<VarId> = changed
            .iter()
            .flat_map(|v| self.users.get(v).cloned().unwrap_or_default())
            .collect();
        let mut steps = 0usize;
        while let Some(v) = work.pop_first() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            let Some(node) = self.defs.get(&v).copied() else {
                continue;
            };
            if !matches!(
                self.env.get(v as usize),
                Some(Some(Val::Num { .. } | Val::Sum(_)))
            ) {
                continue;
            }
            let Some(r) = self.op_range(node) else {
                continue;
            };
            if self.narrow(v, &r, &mut saved)? {
                work.extend(self.users.get(&v).cloned().unwrap_or_default());
            }
        }
        let result = self.block(block);
        for (v, val) in saved.into_iter().rev() {
            self.env[v as usize] = Some(val);
        }
        result
    }

    /// Narrows `v` to `r` (if that is narrower), saving its old value; whether it changed.
    pub(super) fn narrow(
        &mut self,
        v: VarId,
        r: &Range,
        saved: &mut Vec<(VarId, Val)>,
    ) -> Result<bool, LowerError> {
        let Some(Some(old)) = self.env.get(v as usize).cloned() else {
            return Ok(false);
        };
        let new = match &old {
            Val::Num { word, range } => {
                let Some(nr) = range.intersect(r).filter(|nr| nr != range) else {
                    return Ok(false);
                };
                let (w, s) = nr.word_shape();
                let word = match nr.as_point() {
                    Some(p) => const_word(p, w, s),
                    None => word.resize(w, s),
                };
                Val::Num { word, range: nr }
            }
            Val::Sum(sum) => {
                let Some(nr) = sum.range.intersect(r).filter(|nr| *nr != sum.range) else {
                    return Ok(false);
                };
                Val::Sum(Sum {
                    range: nr,
                    ..sum.clone()
                })
            }
            Val::Bool(_) => return Ok(false),
        };
        saved.push((v, old));
        self.env[v as usize] = Some(new);
        Ok(true)
    }

    /// The range of a node's value from its operands' current ranges (no gates).
    pub(super) fn op_range(&self, node: &Node) -> Option<Range> {
        self.op_range_with(node, &mut |x| self.range_of(x))
    }

    /// The range of an arithmetic node's value from its operands' ranges given by `get`
    /// (`None` for other nodes or an unknown operand).
    pub(super) fn op_range_with(
        &self,
        node: &Node,
        get: &mut dyn FnMut(VarId) -> Option<Range>,
    ) -> Option<Range> {
        let t = node.ty.num()?;
        let r = match &node.op {
            Op::Cast(x) => {
                let from = self.tys.get(*x as usize)?.num()?;
                let rx = get(*x)?;
                let scaled = if t.frac >= from.frac {
                    rx.shl(t.frac - from.frac)
                } else {
                    rx.shr(from.frac - t.frac)
                };
                if scaled.within(&Range::of_type(t)) {
                    scaled
                } else {
                    return None;
                }
            }
            Op::Unary(UnOp::Neg, x) => get(*x)?.neg(),
            Op::Unary(UnOp::Abs, x) => get(*x)?.abs(),
            Op::Unary(UnOp::Sign, x) => get(*x)?.sign(),
            Op::Shl(x, k) => get(*x)?.shl(*k),
            Op::Shr(x, k) => get(*x)?.shr(*k),
            Op::Binary(op, x, y) => {
                let (a, b) = (get(*x)?, get(*y)?);
                match op {
                    BinOp::Add => a.add(&b),
                    BinOp::Sub => a.sub(&b),
                    BinOp::Mul if x == y => a.square(),
                    BinOp::Mul => a.mul(&b),
                    BinOp::Min => a.min(&b),
                    BinOp::Max => a.max(&b),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(clamp_range(r, Range::of_type(t)))
    }

    /// Ranges implied by `cond == truth`, as (variable, range) facts; `None` if impossible.
    pub(super) fn facts(&self, cond: VarId, truth: bool) -> Option<Vec<(VarId, Range)>> {
        let mut out: Vec<(VarId, Range)> = Vec::new();
        self.cond_facts(cond, truth, &mut out, 0)?;
        Some(out)
    }

    pub(super) fn cond_facts(
        &self,
        cond: VarId,
        truth: bool,
        out: &mut Vec<(VarId, Range)>,
        depth: u32,
    ) -> Option<()> {
        if depth > 16 {
            return Some(());
        }
        let Some(node) = self.defs.get(&cond) else {
            return Some(());
        };
        match &node.op {
            Op::Unary(UnOp::Not, c) => self.cond_facts(*c, !truth, out, depth + 1),
            Op::Binary(BinOp::And, a, b) if truth => {
                self.cond_facts(*a, true, out, depth + 1)?;
                self.cond_facts(*b, true, out, depth + 1)
            }
            Op::Binary(BinOp::Or, a, b) if !truth => {
                self.cond_facts(*a, false, out, depth + 1)?;
                self.cond_facts(*b, false, out, depth + 1)
            }
            Op::Binary(op, a, b) => {
                let (Some(ra), Some(rb)) = (self.range_of(*a), self.range_of(*b)) else {
                    return Some(());
                };
                // Normalise to a < b, a <= b or a == b.
                let (rel, x, y, rx, ry) = match (op, truth) {
                    (BinOp::Lt, true) | (BinOp::Ge, false) => ("lt", *a, *b, ra, rb),
                    (BinOp::Le, true) | (BinOp::Gt, false) => ("le", *a, *b, ra, rb),
                    (BinOp::Gt, true) | (BinOp::Le, false) => ("lt", *b, *a, rb, ra),
                    (BinOp::Ge, true) | (BinOp::Lt, false) => ("le", *b, *a, rb, ra),
                    (BinOp::Eq, true) | (BinOp::Ne, false) => ("eq", *a, *b, ra, rb),
                    _ => return Some(()),
                };
                let one = BigInt::one();
                let (nx, ny) = match rel {
                    "lt" => (
                        Range::new(rx.lo.clone(), (&rx.hi).min(&(&ry.hi - &one)).clone()),
                        Range::new((&ry.lo).max(&(&rx.lo + &one)).clone(), ry.hi.clone()),
                    ),
                    "le" => (
                        Range::new(rx.lo.clone(), (&rx.hi).min(&ry.hi).clone()),
                        Range::new((&ry.lo).max(&rx.lo).clone(), ry.hi.clone()),
                    ),
                    _ => {
                        let i = rx.intersect(&ry)?;
                        (i.clone(), i)
                    }
                };
                if nx.lo > nx.hi || ny.lo > ny.hi {
                    return None;
                }
                self.push_fact(x, nx, out, depth)?;
                self.push_fact(y, ny, out, depth)
            }
            _ => Some(()),
        }
    }

    /// Records `v ∈ r` and what it implies for the values `v` was computed from.
    pub(super) fn push_fact(
        &self,
        v: VarId,
        r: Range,
        out: &mut Vec<(VarId, Range)>,
        depth: u32,
    ) -> Option<()> {
        let current = self.range_of(v)?;
        let r = current.intersect(&r)?;
        if r == current {
            return Some(());
        }
        match out.iter_mut().find(|(x, _)| *x == v) {
            Some((_, existing)) => *existing = existing.intersect(&r)?,
            None => out.push((v, r.clone())),
        }
        if depth > 16 {
            return Some(());
        }
        let Some(node) = self.defs.get(&v) else {
            return Some(());
        };
        let one = BigInt::one();
        match &node.op {
            Op::Cast(src) => {
                let (Some(from), Ty::Num(to)) =
                    (self.tys.get(*src as usize).and_then(Ty::num), node.ty)
                else {
                    return Some(());
                };
                let src_range = self.range_of(*src)?;
                let implied = if to.frac >= from.frac {
                    let d = to.frac - from.frac;
                    if !src_range.shl(d).within(&Range::of_type(to)) {
                        return Some(()); // the cast may wrap: no backward fact
                    }
                    let m = BigInt::one() << d;
                    Range::new(Integer::div_ceil(&r.lo, &m), r.hi.div_floor(&m))
                } else {
                    let d = from.frac - to.frac;
                    if !src_range.shr(d).within(&Range::of_type(to)) {
                        return Some(());
                    }
                    let m = BigInt::one() << d;
                    Range::new(&r.lo * &m, &r.hi * &m + &m - &one)
                };
                self.push_fact(*src, implied, out, depth + 1)
            }
            Op::Unary(UnOp::Abs, src) => {
                self.push_fact(*src, Range::new(-&r.hi, r.hi.clone()), out, depth + 1)
            }
            Op::Unary(UnOp::Neg, src) => self.push_fact(*src, r.neg(), out, depth + 1),
            Op::Binary(BinOp::Add, a, b) | Op::Binary(BinOp::Sub, a, b) => {
                let is_add = matches!(node.op, Op::Binary(BinOp::Add, ..));
                let (ra, rb) = (self.range_of(*a)?, self.range_of(*b)?);
                if let Some(c) = rb.as_point() {
                    let shifted = if is_add {
                        r.sub(&Range::point(c.clone()))
                    } else {
                        r.add(&Range::point(c.clone()))
                    };
                    self.push_fact(*a, shifted, out, depth + 1)
                } else if let (Some(c), true) = (ra.as_point(), is_add) {
                    self.push_fact(*b, r.sub(&Range::point(c.clone())), out, depth + 1)
                } else {
                    Some(())
                }
            }
            _ => Some(()),
        }
    }
}
