//! Elaboration of expressions: the typing rules of `dsl/README.md` §4–§6.

use super::{Binding, Elab, MAX_CALL_DEPTH, R, Val};
use crate::ast::{self, BinOp as A, ExprKind, UnOp as AU};
use crate::core::{BinOp, Op, UnOp, VarId};
use crate::diag::{Diagnostic, Span};
use crate::rational::Rational;
use crate::types::{NumTy, Ty};
use crate::value::quantise;
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};

fn big_min(a: BigInt, b: BigInt) -> BigInt {
    if a < b { a } else { b }
}

fn big_max(a: BigInt, b: BigInt) -> BigInt {
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
    fn block_to(&mut self, b: &ast::Block, expected: Option<Ty>) -> R<Val> {
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
                format!("expected a bool, found the number {r}"),
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

    fn quantise_const(&mut self, r: &Rational, n: NumTy, span: &Span) -> R<VarId> {
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
                format!("the constant {r} does not fit {n}"),
                format!(
                    "expected a value between {} and {}",
                    crate::value::format_raw_int(&n.min_raw(), n.frac),
                    crate::value::format_raw_int(&n.max_raw(), n.frac)
                ),
            )),
        }
    }

    /// A constant as a typed node at `frac`, in the smallest format holding it.
    fn const_at_frac(&mut self, r: &Rational, frac: u32, span: &Span) -> R<VarId> {
        let raw = r.mul_pow2(frac).round_half_away();
        let n = self.fit(&raw, &raw, frac, span, "this constant")?;
        let bits = n.from_bigint_wrapping(&raw);
        self.emit_raw(
            Op::Const(bits),
            Ty::Num(n),
            Some((raw.clone(), raw)),
            span.clone(),
        )
    }

    fn fit(&self, lo: &BigInt, hi: &BigInt, frac: u32, span: &Span, what: &str) -> R<NumTy> {
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
    fn widen_frac(&mut self, x: VarId, frac: u32, span: &Span) -> R<VarId> {
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

    fn num(&self, x: VarId, span: &Span) -> R<NumTy> {
        match self.ty(x) {
            Ty::Num(n) => Ok(n),
            Ty::Bool => Err(Diagnostic::new(
                span.clone(),
                "expected a number, found a bool",
                "this is a bool",
            )),
        }
    }

    fn want_bool(&self, v: &Val, span: &Span) -> R<VarId> {
        match v {
            Val::Var(x) if self.ty(*x) == Ty::Bool => Ok(*x),
            Val::Var(x) => Err(Diagnostic::new(
                span.clone(),
                format!("expected a bool, found {}", self.ty(*x)),
                "expected a bool (a comparison, `true`, `false`, …) here",
            )),
            Val::Const(r) => Err(Diagnostic::new(
                span.clone(),
                format!("expected a bool, found the number {r}"),
                "expected a bool (a comparison, `true`, `false`, …) here",
            )),
        }
    }

    /// Emits a node whose type is the smallest holding `lo..=hi` at `frac`.
    fn emit_ranged(
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

    fn bool_const(&mut self, b: bool, span: &Span) -> R<VarId> {
        self.emit_raw(Op::Const(u128::from(b)), Ty::Bool, None, span.clone())
    }

    // ---- expressions -------------------------------------------------------------------

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

    fn name(&mut self, n: &str, span: &Span) -> R<Val> {
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
        if self.fns.contains_key(n) || super::BUILTINS.contains(&n) {
            d = d.with_help(format!("`{n}` is a function: call it as `{n}(…)`"));
        }
        Err(d)
    }

    fn unary(&mut self, op: AU, v: Val, arg_span: &Span, span: &Span) -> R<Val> {
        match (op, v) {
            (AU::Neg, Val::Const(r)) => Ok(Val::Const(r.neg())),
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

    fn binary(&mut self, op: A, va: Val, vb: Val, sa: &Span, sb: &Span, span: &Span) -> R<Val> {
        match op {
            A::Add | A::Sub | A::Mul => self.arith(op, va, vb, sa, sb, span),
            A::Div => match (va, vb) {
                (Val::Const(a), Val::Const(b)) => match a.div(&b) {
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
    fn two_nums(&mut self, va: Val, vb: Val, sa: &Span, sb: &Span) -> R<Option<(VarId, VarId)>> {
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
    fn aligned(&mut self, x: VarId, y: VarId, sa: &Span, sb: &Span) -> R<(VarId, VarId, u32)> {
        let f = self.num(x, sa)?.frac.max(self.num(y, sb)?.frac);
        let x = self.widen_frac(x, f, sa)?;
        let y = self.widen_frac(y, f, sb)?;
        Ok((x, y, f))
    }

    fn arith(&mut self, op: A, va: Val, vb: Val, sa: &Span, sb: &Span, span: &Span) -> R<Val> {
        let (ca, cb) = (va.clone(), vb.clone());
        let Some((x, y)) = self.two_nums(va, vb, sa, sb)? else {
            let (Val::Const(a), Val::Const(b)) = (ca, cb) else {
                return Err(Diagnostic::new(
                    span.clone(),
                    "internal: expected constants",
                    "",
                ));
            };
            return Ok(Val::Const(match op {
                A::Add => a.add(&b),
                A::Sub => a.sub(&b),
                _ => a.mul(&b),
            }));
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
        let (x, y, f) = self.aligned(x, y, sa, sb)?;
        let (a0, a1) = self.range(x);
        let (b0, b1) = self.range(y);
        let (o, lo, hi) = if op == A::Add {
            (BinOp::Add, a0 + b0, a1 + b1)
        } else {
            (BinOp::Sub, a0 - b1, a1 - b0)
        };
        Ok(Val::Var(self.emit_ranged(
            Op::Binary(o, x, y),
            lo,
            hi,
            f,
            span,
            &what,
        )?))
    }

    fn min_max(
        &mut self,
        is_min: bool,
        va: Val,
        vb: Val,
        sa: &Span,
        sb: &Span,
        span: &Span,
    ) -> R<Val> {
        let (ca, cb) = (va.clone(), vb.clone());
        let Some((x, y)) = self.two_nums(va, vb, sa, sb)? else {
            let (Val::Const(a), Val::Const(b)) = (ca, cb) else {
                return Err(Diagnostic::new(
                    span.clone(),
                    "internal: expected constants",
                    "",
                ));
            };
            return Ok(Val::Const(if is_min { a.min(b) } else { a.max(b) }));
        };
        let (x, y, f) = self.aligned(x, y, sa, sb)?;
        let (a0, a1) = self.range(x);
        let (b0, b1) = self.range(y);
        let (o, lo, hi) = if is_min {
            (BinOp::Min, big_min(a0, b0), big_min(a1, b1))
        } else {
            (BinOp::Max, big_max(a0, b0), big_max(a1, b1))
        };
        let what = if is_min { "min" } else { "max" };
        Ok(Val::Var(self.emit_ranged(
            Op::Binary(o, x, y),
            lo,
            hi,
            f,
            span,
            what,
        )?))
    }

    fn shift(&mut self, op: A, va: Val, vb: Val, sa: &Span, sb: &Span, span: &Span) -> R<Val> {
        let k = match vb {
            Val::Const(r) => match r.to_i64() {
                Some(k) if (0..=256).contains(&k) => k as u32,
                _ => {
                    return Err(Diagnostic::new(
                        sb.clone(),
                        format!("shift amount {r} is not an integer between 0 and 256"),
                        "expected a constant integer shift amount",
                    ));
                }
            },
            Val::Var(_) => {
                return Err(Diagnostic::new(
                    sb.clone(),
                    "shift amounts must be compile-time constants",
                    "expected a constant integer here",
                ));
            }
        };
        match va {
            Val::Const(r) => {
                if op == A::Shl {
                    Ok(Val::Const(r.mul_pow2(k)))
                } else if r.is_integer() {
                    Ok(Val::Const(Rational::from_int(r.numer() >> k)))
                } else {
                    Err(Diagnostic::new(
                        sa.clone(),
                        format!("`>>` on the non-integer constant {r}"),
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

    fn compare(&mut self, op: A, va: Val, vb: Val, sa: &Span, sb: &Span, span: &Span) -> R<Val> {
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
    fn compare_const(
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
                    format!("cannot compare a bool with the number {c}"),
                    "expected a number here",
                ));
            }
        };
        let s = c.mul_pow2(n.frac);
        let (op, k) = if s.is_integer() {
            (op, s.floor())
        } else {
            match op {
                A::Lt | A::Le => (A::Le, s.floor()),
                A::Gt | A::Ge => (A::Ge, s.ceil()),
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
    fn arms(
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
    fn unify_arms(
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

    fn in_block<T>(
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

    fn call(&mut self, name: &ast::Ident, args: &[ast::Expr], span: &Span) -> R<Val> {
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
            _ => {}
        }
        let Some(f) = self.fns.get(n).copied() else {
            let mut d = Diagnostic::new(
                name.span.clone(),
                format!("unknown function `{n}`"),
                "expected a function defined with `fn` or a builtin (abs, sign, min, max, clamp)",
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

    fn abs_sign(&mut self, is_abs: bool, v: Val, arg_span: &Span, span: &Span) -> R<Val> {
        match v {
            Val::Const(r) => Ok(Val::Const(if is_abs {
                if r.is_negative() { r.neg() } else { r }
            } else {
                Rational::from_int(if r.is_negative() {
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
