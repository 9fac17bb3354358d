//! Redundant selects ([`crate::PassOptions::redundant_selects`]): `if c { k } else { v }`
//! with a constant k is just `v` when v is provably k whenever c holds — e.g. the
//! `else if x == 0 { 0 }` of an odd function whose value at 0 is 0 already. The proof is a
//! range evaluation of v under the facts c implies (path ranges), through arithmetic,
//! casts and nested `if`s whose conditions the ranges decide.

use super::Lowerer;
use crate::range::Range;
use dsl::core::{BinOp, Block, Op, UnOp, VarId};
use num_bigint::BigInt;
use std::collections::HashMap;

/// Most nodes one proof may visit (keeps the pass linear on large programs).
const MAX_VISITS: usize = 4096;

/// A range evaluation of values under assumed facts.
struct Eval {
    facts: HashMap<VarId, Range>,
    memo: HashMap<VarId, Option<Range>>,
    visits: usize,
}

impl<'p> Lowerer<'p> {
    /// The constant value of a block's result if the block is just that constant.
    pub(super) fn block_constant(&self, block: &Block) -> Option<BigInt> {
        let node = self.defs.get(&block.result)?;
        match (&node.op, node.ty.num()) {
            (Op::Const(raw), Some(t)) => Some(t.to_bigint(*raw)),
            _ => self.const_value(block.result),
        }
    }

    /// Whether `v` equals `k` whenever `cond == truth` (under the facts that implies).
    pub(super) fn equals_under(&self, cond: VarId, truth: bool, v: VarId, k: &BigInt) -> bool {
        if !(self.opts.range && self.opts.redundant_selects) {
            return false;
        }
        let Some(facts) = self.facts(cond, truth) else {
            // The condition cannot have that value: vacuously true.
            return true;
        };
        let mut ev = Eval {
            facts: facts.into_iter().collect(),
            memo: HashMap::new(),
            visits: 0,
        };
        self.eval_range(&mut ev, v, 0)
            .is_some_and(|r| r.as_point() == Some(k))
    }

    /// The range of `v` under `ev`'s facts, if the evaluation reaches it.
    fn eval_range(&self, ev: &mut Eval, v: VarId, depth: u32) -> Option<Range> {
        if let Some(r) = ev.memo.get(&v) {
            return r.clone();
        }
        ev.visits += 1;
        if ev.visits > MAX_VISITS || depth > 200 {
            return None;
        }
        let node = self.defs.get(&v).copied()?;
        let t = node.ty.num()?;
        let computed = match &node.op {
            Op::Const(raw) => Some(Range::point(t.to_bigint(*raw))),
            Op::Input(_) => None,
            Op::If {
                cond,
                then_block,
                else_block,
            } => match self.eval_bool(ev, *cond, depth + 1) {
                Some(true) => self.eval_range(ev, then_block.result, depth + 1),
                Some(false) => self.eval_range(ev, else_block.result, depth + 1),
                None => {
                    let a = self.eval_range(ev, then_block.result, depth + 1);
                    let b = self.eval_range(ev, else_block.result, depth + 1);
                    a.zip(b).map(|(a, b)| a.hull(&b))
                }
            },
            _ => {
                let r = self.op_range_with(node, &mut |x| self.eval_range(ev, x, depth + 1));
                // A cast that may wrap holds some value of its type.
                r.or_else(|| matches!(node.op, Op::Cast(_)).then(|| Range::of_type(t)))
            }
        };
        // Every source is sound for v's value on this path: the facts, the computed range
        // and the range v was lowered at (which held wherever v is reachable from here).
        let mut r = computed.or_else(|| self.range_of(v));
        if let (Some(a), Some(b)) = (&r, self.range_of(v)) {
            r = a.intersect(&b).or(Some(a.clone()));
        }
        if let (Some(a), Some(f)) = (&r, ev.facts.get(&v)) {
            r = a.intersect(f).or(Some(a.clone()));
        }
        ev.memo.insert(v, r.clone());
        r
    }

    /// The value of a bool under `ev`'s facts, if the ranges decide it.
    fn eval_bool(&self, ev: &mut Eval, c: VarId, depth: u32) -> Option<bool> {
        let node = self.defs.get(&c).copied()?;
        match &node.op {
            Op::Const(raw) => Some(raw & 1 == 1),
            Op::Unary(UnOp::Not, x) => self.eval_bool(ev, *x, depth + 1).map(|b| !b),
            Op::Binary(BinOp::And, a, b) => {
                let (x, y) = (
                    self.eval_bool(ev, *a, depth + 1),
                    self.eval_bool(ev, *b, depth + 1),
                );
                match (x, y) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                }
            }
            Op::Binary(BinOp::Or, a, b) => {
                let (x, y) = (
                    self.eval_bool(ev, *a, depth + 1),
                    self.eval_bool(ev, *b, depth + 1),
                );
                match (x, y) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                }
            }
            Op::Binary(op, a, b) if node.ty.num().is_none() => {
                let ra = self.eval_range(ev, *a, depth + 1)?;
                let rb = self.eval_range(ev, *b, depth + 1)?;
                decide(*op, &ra, &rb)
            }
            _ => None,
        }
    }
}

/// A comparison decided by non-overlapping ranges (or two equal points).
fn decide(op: BinOp, a: &Range, b: &Range) -> Option<bool> {
    let lt = |x: &Range, y: &Range| {
        if x.hi < y.lo {
            Some(true)
        } else if x.lo >= y.hi {
            Some(false)
        } else {
            None
        }
    };
    let eq = || {
        if a.intersect(b).is_none() {
            Some(false)
        } else if a.as_point().is_some() && a.as_point() == b.as_point() {
            Some(true)
        } else {
            None
        }
    };
    match op {
        BinOp::Lt => lt(a, b),
        BinOp::Ge => lt(a, b).map(|v| !v),
        BinOp::Gt => lt(b, a),
        BinOp::Le => lt(b, a).map(|v| !v),
        BinOp::Eq => eq(),
        BinOp::Ne => eq().map(|v| !v),
        _ => None,
    }
}
