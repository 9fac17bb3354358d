//! Conversions to stated types, quantisation of constants, casts and small helpers
//! (`dsl/README.md` §5–§6).

use super::{Elab, R, Val};
use crate::ast::{self, ExprKind};
use crate::core::{Op, VarId};
use crate::diag::{Diagnostic, Span};
use crate::rational::{self, Rational};
use crate::types::{NumTy, Ty};
use crate::value::quantise;
use num_bigint::BigInt;
use num_traits::{One, Zero};

pub(super) fn big_min(a: BigInt, b: BigInt) -> BigInt {
    if a < b { a } else { b }
}

pub(super) fn big_max(a: BigInt, b: BigInt) -> BigInt {
    if a > b { a } else { b }
}

impl<'a> Elab<'a> {
    /// Resolves a type in a frame that sees only global constants and aliases.
    pub(super) fn resolve_global_type(&mut self, te: &ast::TypeExpr) -> R<Ty> {
        self.frames.push(super::Frame {
            scopes: vec![std::collections::HashMap::new()],
        });
        let r = self.resolve_type(te);
        self.frames.pop();
        r
    }

    /// Elaborates `e` and converts it to the stated type `ty` (§5).
    pub(super) fn expr_to(&mut self, e: &ast::Expr, ty: Ty) -> R<VarId> {
        match &e.kind {
            ExprKind::If { .. } => {
                let v = self.if_expr(e, Some(ty))?;
                self.convert(v, ty, &e.span)
            }
            ExprKind::Block(b) => {
                self.push_scope();
                let r = self.block_to(b, Some(ty));
                self.pop_scope();
                let v = r?;
                self.convert(v, ty, &e.span)
            }
            _ => {
                let v = self.expr(e)?;
                self.convert(v, ty, &e.span)
            }
        }
    }

    /// Statements then the result of a block (scope handled by the caller).
    pub(super) fn block_to(&mut self, b: &ast::Block, expected: Option<Ty>) -> R<Val> {
        for s in &b.stmts {
            self.stmt(s)?;
        }
        match expected {
            Some(t) => Ok(Val::Var(self.expr_to(&b.result, t)?)),
            None => self.expr(&b.result),
        }
    }

    /// Converts a value to a stated type: constants are quantised, numbers cast.
    pub(super) fn convert(&mut self, v: Val, ty: Ty, span: &Span) -> R<VarId> {
        match (v, ty) {
            (Val::Const(r), Ty::Num(n)) => self.quantise_const(&r, n, span),
            (Val::Const(r), Ty::Bool) => Err(Diagnostic::new(
                span.clone(),
                format!(
                    "expected a bool, found the number {}",
                    rational::decimal(&r)
                ),
                "expected `true`, `false` or a comparison here",
            )),
            (Val::Var(x), t) => {
                let xt = self.ty(x);
                if xt == t {
                    return Ok(x);
                }
                match (xt, t) {
                    (Ty::Num(_), Ty::Num(_)) => self.cast_var(x, t, span),
                    _ => Err(Diagnostic::new(
                        span.clone(),
                        format!("expected a value of type {t}, found {xt}"),
                        format!("this is {xt}; bools and numbers never convert implicitly"),
                    )
                    .with_help("compare with a number (`x != 0`) or cast a bool with `as`")),
                }
            }
        }
    }

    pub(super) fn quantise_const(&mut self, r: &Rational, n: NumTy, span: &Span) -> R<VarId> {
        match quantise(r, n) {
            Some(raw) => {
                let bits = n.from_bigint_wrapping(&raw);
                self.emit_raw(
                    Op::Const(bits),
                    Ty::Num(n),
                    Some((raw.clone(), raw)),
                    span.clone(),
                )
            }
            None => Err(Diagnostic::new(
                span.clone(),
                format!("the constant {} does not fit {n}", rational::decimal(r)),
                format!(
                    "expected a value between {} and {}",
                    crate::value::format_raw_int(&n.min_raw(), n.frac),
                    crate::value::format_raw_int(&n.max_raw(), n.frac)
                ),
            )),
        }
    }

    /// A constant as a typed node at `frac`, in the smallest format holding it.
    pub(super) fn const_at_frac(&mut self, r: &Rational, frac: u32, span: &Span) -> R<VarId> {
        let raw = rational::round_scaled(r, frac);
        let n = self.fit(&raw, &raw, frac, span, "this constant")?;
        let bits = n.from_bigint_wrapping(&raw);
        self.emit_raw(
            Op::Const(bits),
            Ty::Num(n),
            Some((raw.clone(), raw)),
            span.clone(),
        )
    }

    pub(super) fn fit(
        &self,
        lo: &BigInt,
        hi: &BigInt,
        frac: u32,
        span: &Span,
        what: &str,
    ) -> R<NumTy> {
        NumTy::fitting(lo, hi, frac).map_err(|bits| {
            Diagnostic::new(
                span.clone(),
                format!("{what} needs {bits} bits, more than the maximum of 128"),
                "expected a narrower value here",
            )
            .with_help("cast an operand to a narrower format with `as` (or drop fractional bits)")
        })
    }

    /// A `Cast` node converting `x` to `t` (§5), with the tightest known range.
    pub(super) fn cast_var(&mut self, x: VarId, t: Ty, span: &Span) -> R<VarId> {
        let xt = self.ty(x);
        if xt == t {
            return Ok(x);
        }
        let n = match t {
            Ty::Num(n) => n,
            Ty::Bool => {
                return Err(Diagnostic::new(
                    span.clone(),
                    format!("cannot convert {xt} to bool"),
                    "expected a comparison such as `x != 0`",
                ));
            }
        };
        let (lo, hi) = match xt {
            Ty::Bool => (BigInt::zero(), BigInt::one() << n.frac),
            Ty::Num(s) => {
                let (lo, hi) = self.range(x);
                if n.frac >= s.frac {
                    let d = n.frac - s.frac;
                    (lo << d, hi << d)
                } else {
                    let d = s.frac - n.frac;
                    (lo >> d, hi >> d) // BigInt >> floors
                }
            }
        };
        let range = if n.holds(&lo) && n.holds(&hi) {
            (lo, hi)
        } else {
            (n.min_raw(), n.max_raw())
        };
        self.emit_raw(Op::Cast(x), t, Some(range), span.clone())
    }

    /// Lossless re-scaling of a number to `frac` ≥ its own.
    pub(super) fn widen_frac(&mut self, x: VarId, frac: u32, span: &Span) -> R<VarId> {
        let n = self.num(x, span)?;
        if n.frac == frac {
            return Ok(x);
        }
        let d = frac - n.frac;
        let (lo, hi) = self.range(x);
        let (lo, hi) = (lo << d, hi << d);
        let t = self.fit(&lo, &hi, frac, span, "aligning fractional bits")?;
        self.emit_raw(Op::Cast(x), Ty::Num(t), Some((lo, hi)), span.clone())
    }

    pub(super) fn num(&self, x: VarId, span: &Span) -> R<NumTy> {
        match self.ty(x) {
            Ty::Num(n) => Ok(n),
            Ty::Bool => Err(Diagnostic::new(
                span.clone(),
                "expected a number, found a bool",
                "this is a bool",
            )),
        }
    }

    pub(super) fn want_bool(&self, v: &Val, span: &Span) -> R<VarId> {
        match v {
            Val::Var(x) if self.ty(*x) == Ty::Bool => Ok(*x),
            Val::Var(x) => Err(Diagnostic::new(
                span.clone(),
                format!("expected a bool, found {}", self.ty(*x)),
                "expected a bool (a comparison, `true`, `false`, …) here",
            )),
            Val::Const(r) => Err(Diagnostic::new(
                span.clone(),
                format!("expected a bool, found the number {}", rational::decimal(r)),
                "expected a bool (a comparison, `true`, `false`, …) here",
            )),
        }
    }

    /// Emits a node whose type is the smallest holding `lo..=hi` at `frac`.
    pub(super) fn emit_ranged(
        &mut self,
        op: Op,
        lo: BigInt,
        hi: BigInt,
        frac: u32,
        span: &Span,
        what: &str,
    ) -> R<VarId> {
        let t = self.fit(&lo, &hi, frac, span, what)?;
        self.emit_raw(op, Ty::Num(t), Some((lo, hi)), span.clone())
    }

    pub(super) fn bool_const(&mut self, b: bool, span: &Span) -> R<VarId> {
        self.emit_raw(Op::Const(u128::from(b)), Ty::Bool, None, span.clone())
    }

    // ---- expressions -------------------------------------------------------------------
}
