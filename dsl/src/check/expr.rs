//! Elaboration of expressions: the typing rules of `dsl/README.md` §4 and §6.

use super::convert::{big_max, big_min};
use super::{Binding, Elab, R, Val};
use crate::ast::{self, BinOp as A, ExprKind, UnOp as AU};
use crate::core::{BinOp, Op, UnOp, VarId};
use crate::diag::{Diagnostic, Span};
use crate::rational::{self, Rational};
use crate::types::{NumTy, Ty};
use num_bigint::BigInt;
use num_traits::CheckedDiv;
use std::ops::ControlFlow;

impl<'a> Elab<'a> {
    /// Elaborates an expression.
    pub(super) fn expr(&mut self, e: &ast::Expr) -> R<Val> {
        let span = &e.span;
        match &e.kind {
            ExprKind::Num(r) => Ok(Val::Const(r.clone())),
            ExprKind::Bool(b) => Ok(Val::Var(self.bool_const(*b, span)?)),
            ExprKind::Name(n) => self.name(n, span),
            ExprKind::Call { name, args } => self.call(name, args, span),
            ExprKind::Unary(op, a) => {
                let v = self.expr(a)?;
                self.unary(*op, v, &a.span, span)
            }
            ExprKind::Binary(op, a, b) => {
                let va = self.expr(a)?;
                let vb = self.expr(b)?;
                self.binary(*op, va, vb, &a.span, &b.span, span)
            }
            ExprKind::Cast(a, te) => {
                let t = self.resolve_type(te)?;
                let v = self.expr(a)?;
                match (v, t) {
                    (Val::Const(r), Ty::Num(n)) => Ok(Val::Var(self.quantise_const(&r, n, span)?)),
                    (Val::Const(_), Ty::Bool) | (Val::Var(_), Ty::Bool) => Err(Diagnostic::new(
                        te.span(),
                        "cannot cast to bool",
                        "expected a number type; write a comparison such as `x != 0` for a bool",
                    )),
                    (Val::Var(x), t) => Ok(Val::Var(self.cast_var(x, t, span)?)),
                }
            }
            ExprKind::If { .. } => self.if_expr(e, None),
            ExprKind::Block(b) => {
                self.push_scope();
                let r = self.block_to(b, None);
                self.pop_scope();
                r
            }
        }
    }

    pub(super) fn name(&mut self, n: &str, span: &Span) -> R<Val> {
        match self.lookup(n) {
            Some(Binding::Var { var, .. }) => return Ok(Val::Var(var)),
            Some(Binding::Const(r)) => return Ok(Val::Const(r)),
            None => {}
        }
        if let Some(r) = self.global_const(n, span)? {
            return Ok(Val::Const(r));
        }
        let mut d = Diagnostic::new(
            span.clone(),
            format!("unknown name `{n}`"),
            "expected a variable, input or constant defined before this point",
        );
        if self.fns.contains_key(n) || self.externs.contains_key(n) || super::BUILTINS.contains(&n)
        {
            d = d.with_help(format!("`{n}` is a function: call it as `{n}(…)`"));
        }
        Err(d)
    }

    pub(super) fn unary(&mut self, op: AU, v: Val, arg_span: &Span, span: &Span) -> R<Val> {
        match (op, v) {
            (AU::Neg, Val::Const(r)) => Ok(Val::Const(-r)),
            (AU::Neg, Val::Var(x)) => {
                let n = self.num(x, arg_span)?;
                let (lo, hi) = self.range(x);
                let (lo, hi) = (-hi, -lo);
                // negation is always signed (README §4)
                let t = self.fit(
                    &lo.clone().min(BigInt::from(-1)),
                    &hi,
                    n.frac,
                    span,
                    "the negation",
                )?;
                let t = NumTy { signed: true, ..t };
                Ok(Val::Var(self.emit_raw(
                    Op::Unary(UnOp::Neg, x),
                    Ty::Num(t),
                    Some((lo, hi)),
                    span.clone(),
                )?))
            }
            (AU::Not, v) => {
                let x = self.want_bool(&v, arg_span)?;
                Ok(Val::Var(self.emit_raw(
                    Op::Unary(UnOp::Not, x),
                    Ty::Bool,
                    None,
                    span.clone(),
                )?))
            }
        }
    }

    pub(super) fn binary(
        &mut self,
        op: A,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
    ) -> R<Val> {
        match op {
            A::Add | A::Sub | A::Mul => self.arith(op, va, vb, sa, sb, span),
            A::Div => match (va, vb) {
                (Val::Const(a), Val::Const(b)) => match a.checked_div(&b) {
                    Some(q) => Ok(Val::Const(q)),
                    None => Err(Diagnostic::new(
                        sb.clone(),
                        "division by zero",
                        "expected a nonzero divisor",
                    )),
                },
                _ => Err(Diagnostic::new(
                    span.clone(),
                    "`/` is only allowed between compile-time constants",
                    "expected constants on both sides of `/`",
                )
                .with_help(
                    "divide by a power of two with `>> k`, or multiply by a constant reciprocal",
                )),
            },
            A::Shl | A::Shr => self.shift(op, va, vb, sa, sb, span),
            A::Lt | A::Le | A::Gt | A::Ge | A::Eq | A::Ne => self.compare(op, va, vb, sa, sb, span),
            A::And | A::Or | A::Xor => {
                let a = self.want_bool(&va, sa)?;
                let b = self.want_bool(&vb, sb)?;
                let o = match op {
                    A::And => BinOp::And,
                    A::Or => BinOp::Or,
                    _ => BinOp::Xor,
                };
                Ok(Val::Var(self.emit_raw(
                    Op::Binary(o, a, b),
                    Ty::Bool,
                    None,
                    span.clone(),
                )?))
            }
        }
    }

    /// Turns a pair of values into two numeric variables (constants quantised at the other
    /// operand's frac). `None` when both are constants.
    pub(super) fn two_nums(
        &mut self,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
    ) -> R<Option<(VarId, VarId)>> {
        match (va, vb) {
            (Val::Const(_), Val::Const(_)) => Ok(None),
            (Val::Const(a), Val::Var(y)) => {
                let n = self.num(y, sb)?;
                let x = self.const_at_frac(&a, n.frac, sa)?;
                Ok(Some((x, y)))
            }
            (Val::Var(x), Val::Const(b)) => {
                let n = self.num(x, sa)?;
                let y = self.const_at_frac(&b, n.frac, sb)?;
                Ok(Some((x, y)))
            }
            (Val::Var(x), Val::Var(y)) => {
                self.num(x, sa)?;
                self.num(y, sb)?;
                Ok(Some((x, y)))
            }
        }
    }

    /// Both operands at the larger frac (lossless).
    pub(super) fn aligned(
        &mut self,
        x: VarId,
        y: VarId,
        sa: &Span,
        sb: &Span,
    ) -> R<(VarId, VarId, u32)> {
        let f = self.num(x, sa)?.frac.max(self.num(y, sb)?.frac);
        let x = self.widen_frac(x, f, sa)?;
        let y = self.widen_frac(y, f, sb)?;
        Ok((x, y, f))
    }

    pub(super) fn arith(
        &mut self,
        op: A,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
    ) -> R<Val> {
        let fold = |a, b| match op {
            A::Add => a + b,
            A::Sub => a - b,
            _ => a * b,
        };
        let (x, y) = match self.nums_or_fold(va, vb, sa, sb, span, fold)? {
            ControlFlow::Continue(xy) => xy,
            ControlFlow::Break(c) => return Ok(c),
        };
        let what = format!("the result of `{}`", op.symbol());
        if op == A::Mul {
            let fx = self.num(x, sa)?.frac;
            let fy = self.num(y, sb)?.frac;
            let f = fx + fy;
            if f > crate::types::MAX_FRAC {
                return Err(Diagnostic::new(
                    span.clone(),
                    format!("the product has {f} fractional bits, more than 128"),
                    "expected operands with fewer fractional bits",
                ));
            }
            let (a0, a1) = self.range(x);
            let (b0, b1) = self.range(y);
            let ps = [&a0 * &b0, &a0 * &b1, &a1 * &b0, &a1 * &b1];
            let lo = ps.iter().min().cloned().unwrap_or_default();
            let hi = ps.iter().max().cloned().unwrap_or_default();
            return Ok(Val::Var(self.emit_ranged(
                Op::Binary(BinOp::Mul, x, y),
                lo,
                hi,
                f,
                span,
                &what,
            )?));
        }
        self.aligned_binary(x, y, sa, sb, span, &what, |a0, a1, b0, b1| {
            if op == A::Add {
                (BinOp::Add, a0 + b0, a1 + b1)
            } else {
                (BinOp::Sub, a0 - b1, a1 - b0)
            }
        })
    }

    /// The two operands as numeric variables ([`Elab::two_nums`]), or — both constant —
    /// `Break` with `fold` of their values.
    fn nums_or_fold(
        &mut self,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
        fold: impl FnOnce(Rational, Rational) -> Rational,
    ) -> R<ControlFlow<Val, (VarId, VarId)>> {
        let (ca, cb) = (va.clone(), vb.clone());
        if let Some(xy) = self.two_nums(va, vb, sa, sb)? {
            return Ok(ControlFlow::Continue(xy));
        }
        let (Val::Const(a), Val::Const(b)) = (ca, cb) else {
            return Err(Diagnostic::new(
                span.clone(),
                "internal: expected constants",
                "",
            ));
        };
        Ok(ControlFlow::Break(Val::Const(fold(a, b))))
    }

    /// `x op y` at a common number of fractional bits, with the operation and the result's
    /// bounds from `bounds(x_lo, x_hi, y_lo, y_hi)`.
    #[allow(clippy::too_many_arguments)]
    fn aligned_binary(
        &mut self,
        x: VarId,
        y: VarId,
        sa: &Span,
        sb: &Span,
        span: &Span,
        what: &str,
        bounds: impl FnOnce(BigInt, BigInt, BigInt, BigInt) -> (BinOp, BigInt, BigInt),
    ) -> R<Val> {
        let (x, y, f) = self.aligned(x, y, sa, sb)?;
        let (a0, a1) = self.range(x);
        let (b0, b1) = self.range(y);
        let (o, lo, hi) = bounds(a0, a1, b0, b1);
        Ok(Val::Var(self.emit_ranged(
            Op::Binary(o, x, y),
            lo,
            hi,
            f,
            span,
            what,
        )?))
    }

    pub(super) fn min_max(
        &mut self,
        is_min: bool,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
    ) -> R<Val> {
        let fold = |a: Rational, b| if is_min { a.min(b) } else { a.max(b) };
        let (x, y) = match self.nums_or_fold(va, vb, sa, sb, span, fold)? {
            ControlFlow::Continue(xy) => xy,
            ControlFlow::Break(c) => return Ok(c),
        };
        let what = if is_min { "min" } else { "max" };
        self.aligned_binary(x, y, sa, sb, span, what, |a0, a1, b0, b1| {
            if is_min {
                (BinOp::Min, big_min(a0, b0), big_min(a1, b1))
            } else {
                (BinOp::Max, big_max(a0, b0), big_max(a1, b1))
            }
        })
    }

    pub(super) fn shift(
        &mut self,
        op: A,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
    ) -> R<Val> {
        let k = self.const_count(vb, 256, sb, ["shift amount", "shift amounts"])?;
        match va {
            Val::Const(r) => {
                if op == A::Shl {
                    Ok(Val::Const(rational::scaled(&r, k)))
                } else if r.is_integer() {
                    Ok(Val::Const(rational::int(r.numer() >> k)))
                } else {
                    Err(Diagnostic::new(
                        sa.clone(),
                        format!("`>>` on the non-integer constant {}", rational::decimal(&r)),
                        "expected an integer constant (or divide with `/`)",
                    ))
                }
            }
            Val::Var(x) => {
                let n = self.num(x, sa)?;
                let (lo, hi) = self.range(x);
                let (o, lo, hi) = if op == A::Shl {
                    (Op::Shl(x, k), lo << k, hi << k)
                } else {
                    (Op::Shr(x, k), lo >> k, hi >> k)
                };
                Ok(Val::Var(self.emit_ranged(
                    o,
                    lo,
                    hi,
                    n.frac,
                    span,
                    "the shifted value",
                )?))
            }
        }
    }

    /// A compile-time constant integer 0..=`max` (`what`: how messages name it, e.g.
    /// ["shift amount", "shift amounts"]).
    pub(super) fn const_count(&self, v: Val, max: u32, span: &Span, what: [&str; 2]) -> R<u32> {
        let [what, whats] = what;
        match v {
            Val::Const(r) => match rational::to_i64(&r) {
                Some(k) if (0..=i64::from(max)).contains(&k) => Ok(k as u32),
                _ => Err(Diagnostic::new(
                    span.clone(),
                    format!(
                        "{what} {} is not an integer between 0 and {max}",
                        rational::decimal(&r)
                    ),
                    format!("expected a constant integer {what}"),
                )),
            },
            Val::Var(_) => Err(Diagnostic::new(
                span.clone(),
                format!("{whats} must be compile-time constants"),
                "expected a constant integer here",
            )),
        }
    }

    pub(super) fn compare(
        &mut self,
        op: A,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
    ) -> R<Val> {
        let o = |op: A| match op {
            A::Lt => BinOp::Lt,
            A::Le => BinOp::Le,
            A::Gt => BinOp::Gt,
            A::Ge => BinOp::Ge,
            A::Eq => BinOp::Eq,
            _ => BinOp::Ne,
        };
        match (va, vb) {
            (Val::Const(a), Val::Const(b)) => {
                let r = match op {
                    A::Lt => a < b,
                    A::Le => a <= b,
                    A::Gt => a > b,
                    A::Ge => a >= b,
                    A::Eq => a == b,
                    _ => a != b,
                };
                Ok(Val::Var(self.bool_const(r, span)?))
            }
            (Val::Const(c), Val::Var(x)) => {
                let flipped = match op {
                    A::Lt => A::Gt,
                    A::Le => A::Ge,
                    A::Gt => A::Lt,
                    A::Ge => A::Le,
                    other => other,
                };
                self.compare_const(flipped, x, &c, sb, sa, span, o)
            }
            (Val::Var(x), Val::Const(c)) => self.compare_const(op, x, &c, sa, sb, span, o),
            (Val::Var(x), Val::Var(y)) => match (self.ty(x), self.ty(y)) {
                (Ty::Bool, Ty::Bool) => {
                    if !matches!(op, A::Eq | A::Ne) {
                        return Err(Diagnostic::new(
                            span.clone(),
                            format!("`{}` does not apply to bools", op.symbol()),
                            "expected `==`, `!=` or `^` between bools",
                        ));
                    }
                    Ok(Val::Var(self.emit_raw(
                        Op::Binary(o(op), x, y),
                        Ty::Bool,
                        None,
                        span.clone(),
                    )?))
                }
                (Ty::Num(_), Ty::Num(_)) => {
                    let (x, y, _) = self.aligned(x, y, sa, sb)?;
                    Ok(Val::Var(self.emit_raw(
                        Op::Binary(o(op), x, y),
                        Ty::Bool,
                        None,
                        span.clone(),
                    )?))
                }
                (tx, ty) => Err(Diagnostic::new(
                    span.clone(),
                    format!("cannot compare {tx} with {ty}"),
                    "expected two numbers or two bools",
                )),
            },
        }
    }

    /// `x op c` with c compared exactly (README §6).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn compare_const(
        &mut self,
        op: A,
        x: VarId,
        c: &Rational,
        sx: &Span,
        sc: &Span,
        span: &Span,
        o: impl Fn(A) -> BinOp,
    ) -> R<Val> {
        let n = match self.ty(x) {
            Ty::Num(n) => n,
            Ty::Bool => {
                return Err(Diagnostic::new(
                    sx.clone(),
                    format!(
                        "cannot compare a bool with the number {}",
                        rational::decimal(c)
                    ),
                    "expected a number here",
                ));
            }
        };
        let s = rational::scaled(c, n.frac);
        let (op, k) = if s.is_integer() {
            (op, s.to_integer())
        } else {
            match op {
                A::Lt | A::Le => (A::Le, s.floor().to_integer()),
                A::Gt | A::Ge => (A::Ge, s.ceil().to_integer()),
                A::Eq => return Ok(Val::Var(self.bool_const(false, span)?)),
                _ => return Ok(Val::Var(self.bool_const(true, span)?)),
            }
        };
        let t = self.fit(&k, &k, n.frac, sc, "this constant")?;
        let bits = t.from_bigint_wrapping(&k);
        let kv = self.emit_raw(
            Op::Const(bits),
            Ty::Num(t),
            Some((k.clone(), k)),
            sc.clone(),
        )?;
        Ok(Val::Var(self.emit_raw(
            Op::Binary(o(op), x, kv),
            Ty::Bool,
            None,
            span.clone(),
        )?))
    }

    // ---- if / else ---------------------------------------------------------------------
}
