//! `if/else` (both arms elaborated into their own blocks) and calls: builtins and
//! inlined functions.

use super::convert::{big_max, big_min};
use super::{Elab, MAX_CALL_DEPTH, R, Val};
use crate::ast::{self, ExprKind};
use crate::core::{Op, UnOp, VarId};
use crate::diag::{Diagnostic, Span};
use crate::rational;
use crate::types::{NumTy, Ty};
use num_bigint::BigInt;
use num_traits::{Signed, Zero};

impl<'a> Elab<'a> {
    /// `if c { … } else …`: with `expected`, both arms are converted to it.
    pub(super) fn if_expr(&mut self, e: &ast::Expr, expected: Option<Ty>) -> R<Val> {
        let ExprKind::If {
            cond,
            then_block,
            else_expr,
        } = &e.kind
        else {
            return self.expr(e);
        };
        let cv = self.expr(cond)?;
        let c = self.want_bool(&cv, &cond.span)?;
        self.if_depth += 1;
        let arms = self.arms(then_block, else_expr, expected);
        self.if_depth -= 1;
        let (mut tn, tv, mut en, ev) = arms?;
        let span = &e.span;
        let (tr, er, ty) = match expected {
            Some(t) => match (tv, ev) {
                (Val::Var(a), Val::Var(b)) => (a, b, t),
                _ => {
                    return Err(Diagnostic::new(
                        span.clone(),
                        "internal: unconverted arm",
                        "",
                    ));
                }
            },
            None => self.unify_arms(
                &mut tn,
                tv,
                &then_block.result.span,
                &mut en,
                ev,
                &else_expr.span,
                span,
            )?,
        };
        let range = match ty {
            Ty::Num(_) => {
                let (a0, a1) = self.range(tr);
                let (b0, b1) = self.range(er);
                Some((big_min(a0, b0), big_max(a1, b1)))
            }
            Ty::Bool => None,
        };
        let op = Op::If {
            cond: c,
            then_block: crate::core::Block {
                nodes: tn,
                result: tr,
            },
            else_block: crate::core::Block {
                nodes: en,
                result: er,
            },
        };
        Ok(Val::Var(self.emit_raw(op, ty, range, span.clone())?))
    }

    #[allow(clippy::type_complexity)]
    pub(super) fn arms(
        &mut self,
        then_block: &ast::Block,
        else_expr: &ast::Expr,
        expected: Option<Ty>,
    ) -> R<(Vec<crate::core::Node>, Val, Vec<crate::core::Node>, Val)> {
        self.blocks.push(Vec::new());
        self.push_scope();
        let tv = self.block_to(then_block, expected);
        self.pop_scope();
        let tn = self.blocks.pop().unwrap_or_default();
        let tv = tv?;
        self.blocks.push(Vec::new());
        let ev = match expected {
            Some(t) => self.expr_to(else_expr, t).map(Val::Var),
            None => self.expr(else_expr),
        };
        let en = self.blocks.pop().unwrap_or_default();
        Ok((tn, tv, en, ev?))
    }

    /// Gives both arms one type (frac = max, range = hull), appending casts in the arms.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn unify_arms(
        &mut self,
        tn: &mut Vec<crate::core::Node>,
        tv: Val,
        ts: &Span,
        en: &mut Vec<crate::core::Node>,
        ev: Val,
        es: &Span,
        span: &Span,
    ) -> R<(VarId, VarId, Ty)> {
        // Materialise a constant arm at the other arm's frac, inside its own arm.
        let (tv, ev) = match (tv, ev) {
            (Val::Const(_), Val::Const(_)) => {
                return Err(Diagnostic::new(
                    span.clone(),
                    "cannot tell the format of an `if` whose arms are both constants",
                    "expected at least one arm with a typed value",
                )
                .with_help(
                    "state the type: `let y: fixed<16, 12> = if …;` or cast an arm with `as`",
                ));
            }
            (Val::Const(a), Val::Var(y)) => {
                let n = self.num(y, es)?;
                let x = self.in_block(tn, |s| s.const_at_frac(&a, n.frac, ts))?;
                (x, y)
            }
            (Val::Var(x), Val::Const(b)) => {
                let n = self.num(x, ts)?;
                let y = self.in_block(en, |s| s.const_at_frac(&b, n.frac, es))?;
                (x, y)
            }
            (Val::Var(x), Val::Var(y)) => (x, y),
        };
        match (self.ty(tv), self.ty(ev)) {
            (Ty::Bool, Ty::Bool) => Ok((tv, ev, Ty::Bool)),
            (Ty::Num(a), Ty::Num(b)) => {
                let f = a.frac.max(b.frac);
                let (a0, a1) = self.range(tv);
                let (b0, b1) = self.range(ev);
                let (a0, a1) = (a0 << (f - a.frac), a1 << (f - a.frac));
                let (b0, b1) = (b0 << (f - b.frac), b1 << (f - b.frac));
                let t =
                    Ty::Num(self.fit(&big_min(a0, b0), &big_max(a1, b1), f, span, "the `if`")?);
                let x = self.in_block(tn, |s| s.cast_var(tv, t, ts))?;
                let y = self.in_block(en, |s| s.cast_var(ev, t, es))?;
                Ok((x, y, t))
            }
            (a, b) => Err(Diagnostic::new(
                span.clone(),
                format!("the arms of this `if` have different types: {a} and {b}"),
                "expected both arms to be numbers or both to be bools",
            )),
        }
    }

    pub(super) fn in_block<T>(
        &mut self,
        nodes: &mut Vec<crate::core::Node>,
        f: impl FnOnce(&mut Self) -> R<T>,
    ) -> R<T> {
        self.blocks.push(std::mem::take(nodes));
        let r = f(self);
        *nodes = self.blocks.pop().unwrap_or_default();
        r
    }

    // ---- calls -------------------------------------------------------------------------

    pub(super) fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: &Span) -> R<Val> {
        let n = name.name.as_str();
        let arity = |want: usize| -> R<()> {
            if args.len() == want {
                Ok(())
            } else {
                Err(Diagnostic::new(
                    span.clone(),
                    format!(
                        "`{n}` takes {want} argument{}, found {}",
                        if want == 1 { "" } else { "s" },
                        args.len()
                    ),
                    format!(
                        "expected {want} argument{}",
                        if want == 1 { "" } else { "s" }
                    ),
                ))
            }
        };
        match n {
            "abs" | "sign" => {
                arity(1)?;
                let v = self.expr(&args[0])?;
                return self.abs_sign(n == "abs", v, &args[0].span, span);
            }
            "min" | "max" => {
                arity(2)?;
                let a = self.expr(&args[0])?;
                let b = self.expr(&args[1])?;
                return self.min_max(n == "min", a, b, &args[0].span, &args[1].span, span);
            }
            "clamp" => {
                arity(3)?;
                let x = self.expr(&args[0])?;
                let lo = self.expr(&args[1])?;
                let hi = self.expr(&args[2])?;
                let m = self.min_max(false, x, lo, &args[0].span, &args[1].span, span)?;
                return self.min_max(true, m, hi, span, &args[2].span, span);
            }
            "trunc_mul" => {
                arity(3)?;
                let a = self.expr(&args[0])?;
                let b = self.expr(&args[1])?;
                let f = self.expr(&args[2])?;
                let spans = [&args[0].span, &args[1].span, &args[2].span];
                return self.trunc_mul(a, b, f, spans, span);
            }
            _ => {}
        }
        if let Some((decl, Some(link))) = self.externs.get(n).copied() {
            arity(decl.params.len())?;
            return Ok(Val::Var(self.call_extern(decl, link, args, span)?));
        }
        let Some(f) = self.fns.get(n).copied() else {
            let mut d = Diagnostic::new(
                name.span.clone(),
                format!("unknown function `{n}`"),
                "expected a function defined with `fn` or a builtin (abs, sign, min, max, clamp, trunc_mul)",
            );
            if self.lookup(n).is_some() || self.consts.contains_key(n) {
                d = d.with_help(format!("`{n}` is a value, not a function"));
            }
            return Err(d);
        };
        arity(f.params.len())?;
        if self.call_stack.iter().any(|c| c == n) {
            return Err(Diagnostic::new(
                name.span.clone(),
                format!("recursive call of `{n}`: functions are inlined and cannot recurse"),
                "expected a call that does not lead back to this function",
            ));
        }
        if self.call_stack.len() >= MAX_CALL_DEPTH {
            return Err(Diagnostic::new(
                name.span.clone(),
                format!("calls nested more than {MAX_CALL_DEPTH} deep"),
                "expected shallower nesting of function calls",
            ));
        }
        let mut params = Vec::new();
        for ((_, te), a) in f.params.iter().zip(args) {
            let t = self.resolve_global_type(te)?;
            params.push(self.expr_to(a, t)?);
        }
        self.call_stack.push(n.to_string());
        let r = self.inline_body(f, &params);
        self.call_stack.pop();
        Ok(Val::Var(r?))
    }

    pub(super) fn abs_sign(
        &mut self,
        is_abs: bool,
        v: Val,
        arg_span: &Span,
        span: &Span,
    ) -> R<Val> {
        match v {
            Val::Const(r) => Ok(Val::Const(if is_abs {
                if r.is_negative() { -r } else { r }
            } else {
                rational::int(if r.is_negative() {
                    -1
                } else if r.numer().is_zero() {
                    0
                } else {
                    1
                })
            })),
            Val::Var(x) => {
                let n = self.num(x, arg_span)?;
                let (lo, hi) = self.range(x);
                if is_abs {
                    let (alo, ahi) = if !lo.is_negative() {
                        (lo, hi)
                    } else if !hi.is_positive() {
                        (-hi, -lo)
                    } else {
                        (BigInt::zero(), big_max(-lo, hi))
                    };
                    let t = self.fit(&alo, &ahi, n.frac, span, "abs")?;
                    Ok(Val::Var(self.emit_raw(
                        Op::Unary(UnOp::Abs, x),
                        Ty::Num(t),
                        Some((alo, ahi)),
                        span.clone(),
                    )?))
                } else {
                    let t = NumTy::signed(2, 0);
                    let sg = |b: &BigInt| {
                        BigInt::from(if b.is_negative() {
                            -1
                        } else if b.is_zero() {
                            0
                        } else {
                            1
                        })
                    };
                    let range = (sg(&lo), sg(&hi));
                    Ok(Val::Var(self.emit_raw(
                        Op::Unary(UnOp::Sign, x),
                        Ty::Num(t),
                        Some(range),
                        span.clone(),
                    )?))
                }
            }
        }
    }
}
