//! `trunc_mul(a, b, F)`: a product whose partial products below 2^−F are dropped (a
//! truncated multiplier), elaborated into ordinary exact nodes (shifts, one-bit products,
//! sums and one constant), so the interpreter and every compiler pass see nothing new.
//!
//! Definition (`dsl/README.md` §4, "Truncated products"): write the operands' raw values in
//! partial products — a constant operand by the non-adjacent form (NAF) of its raw value,
//! digits d_k ∈ {−1, 0, 1}; an unsigned variable by its binary digits — and let
//! P = fa + fb and cut = P − F. The result, at F fractional bits, is
//!
//!   (Σ of the partial products d_i·e_j·2^(i+j) with i + j ≥ cut) / 2^P  +  comp / 2^F
//!
//! where comp = round-half-up((Dmax − Dmin) / 2^(cut+1)), Dmax (Dmin) the sum of the
//! dropped partial products' weights 2^(i+j) with a positive (negative) sign, counted over
//! the digits the operands' value ranges allow. It centres the dropped part, so the result
//! is within (Dmax + Dmin_abs)/2^(P+1) + 2^−(F+1) of the exact product. With cut ≤ 0 it is
//! the exact product at F fractional bits.
//!
//! Why in the front end: dropping a partial product is dropping low bits of a shifted
//! operand row (`(b >> s) << s`), which every later pass already knows to be free; the
//! compiler then builds only the kept rows (fused into one column compression).

use super::{Elab, R, Val};
use crate::ast::BinOp as A;
use crate::core::VarId;
use crate::diag::{Diagnostic, Span};
use crate::rational::{self, Rational};
use crate::trunc::{compensation, naf_digits};
use crate::types::{NumTy, Ty};
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};

/// Bits of a non-negative bound (0 for 0).
fn bit_len(v: &BigInt) -> usize {
    v.bits() as usize
}

/// One row of the truncated product: a variable (frac of the row) added or subtracted.
struct Row {
    var: VarId,
    negative: bool,
}

impl<'a> Elab<'a> {
    /// `trunc_mul(a, b, F)`.
    pub(super) fn trunc_mul(
        &mut self,
        va: Val,
        vb: Val,
        vf: Val,
        spans: [&Span; 3],
        span: &Span,
    ) -> R<Val> {
        let what = [
            "`trunc_mul`'s fraction width",
            "`trunc_mul`'s fraction widths",
        ];
        let f = self.const_count(vf, crate::types::MAX_FRAC, spans[2], what)?;
        let a = self.typed_operand(va, spans[0])?;
        let b = self.typed_operand(vb, spans[1])?;
        let (fa, fb) = (self.num(a, spans[0])?.frac, self.num(b, spans[1])?.frac);
        let cut = i64::from(fa) + i64::from(fb) - i64::from(f);
        if cut <= 0 {
            let p = self.arith(A::Mul, Val::Var(a), Val::Var(b), spans[0], spans[1], span)?;
            let Val::Var(p) = p else { return Ok(p) };
            return Ok(Val::Var(self.widen_frac(p, f, span)?));
        }
        let cut = cut as u32;
        let (a_lo, a_hi) = self.range(a);
        let (b_lo, b_hi) = self.range(b);
        if a_lo == a_hi {
            self.unsigned_operand(b, &b_lo, spans[1])?;
            self.const_times_var(&a_lo, b, &b_hi, cut, f, span)
        } else if b_lo == b_hi {
            self.unsigned_operand(a, &a_lo, spans[0])?;
            self.const_times_var(&b_lo, a, &a_hi, cut, f, span)
        } else {
            self.unsigned_operand(a, &a_lo, spans[0])?;
            self.unsigned_operand(b, &b_lo, spans[1])?;
            self.var_times_var(a, &a_hi, b, &b_hi, cut, f, span)
        }
    }

    /// A value with a type: untyped constants have no raw digits to truncate.
    fn typed_operand(&mut self, v: Val, span: &Span) -> R<VarId> {
        match v {
            Val::Var(x) => {
                self.num(x, span)?;
                Ok(x)
            }
            Val::Const(r) => Err(Diagnostic::new(
                span.clone(),
                format!(
                    "`trunc_mul` needs a typed operand, found the constant {}",
                    rational::decimal(&r)
                ),
                "expected a typed value, e.g. `0.27 as fixed<16, 14>`",
            )),
        }
    }

    /// Partial products are defined on binary digits of values that cannot be negative.
    fn unsigned_operand(&self, x: VarId, lo: &BigInt, span: &Span) -> R<()> {
        if lo.is_negative() {
            return Err(Diagnostic::new(
                span.clone(),
                format!(
                    "`trunc_mul` of a value that may be negative ({})",
                    self.ty(x)
                ),
                "expected an unsigned value or a constant: write `abs(...)`, or `*` for the exact product",
            ));
        }
        Ok(())
    }

    /// c·v: per NAF digit d_k of c, the row ±(v >> (cut − k)) (or v << (k − cut)); the
    /// rows' raw sum at v's frac, read at `f` fractional bits, is the kept part.
    #[allow(clippy::too_many_arguments)]
    fn const_times_var(
        &mut self,
        c: &BigInt,
        v: VarId,
        v_max: &BigInt,
        cut: u32,
        f: u32,
        span: &Span,
    ) -> R<Val> {
        let nv = bit_len(v_max) as u32;
        let (mut rows, mut dmax, mut dmin) = (Vec::new(), BigInt::zero(), BigInt::zero());
        for (k, &d) in naf_digits(c).iter().enumerate() {
            if d == 0 {
                continue;
            }
            let k = k as u32;
            let var = if k >= cut {
                self.shift_var(A::Shl, v, k - cut, span)?
            } else {
                let s = cut - k;
                // The dropped digits of v: below 2^s, at most the ones v_max's length allows.
                let dropped = ((BigInt::one() << s.min(nv)) - 1) << k;
                if d > 0 {
                    dmax += dropped
                } else {
                    dmin += dropped
                }
                if s >= nv {
                    continue;
                }
                self.shift_var(A::Shr, v, s, span)?
            };
            rows.push(Row {
                var,
                negative: d < 0,
            });
        }
        let comp = compensation(&dmax, &dmin, cut);
        let fv = self.num(v, span)?.frac;
        // Rows have v's frac; their raw sum is the kept part's raw value at `f` bits.
        let sum = self.sum_rows(rows, &comp, fv, span)?;
        self.reinterpret(sum, fv, f, span)
    }

    /// a·b for unsigned variables: per digit i of a, the row a_i·(b >> s_i) (a one-bit
    /// product: one AND per kept bit), for a = b each pair once and doubled.
    #[allow(clippy::too_many_arguments)]
    fn var_times_var(
        &mut self,
        a: VarId,
        a_max: &BigInt,
        b: VarId,
        b_max: &BigInt,
        cut: u32,
        f: u32,
        span: &Span,
    ) -> R<Val> {
        let (na, nb) = (bit_len(a_max) as u32, bit_len(b_max) as u32);
        let square = a == b;
        let mut rows = Vec::new();
        let mut dmax = BigInt::zero();
        for i in 0..na {
            for j in 0..nb {
                if i + j < cut {
                    dmax += BigInt::one() << (i + j);
                }
            }
        }
        for i in 0..na {
            let bit = self.bit_of(a, i, span)?;
            // Lowest kept digit of b for this digit of a (a square: only j > i, doubled).
            let (first, double) = if square {
                ((i + 1).max(cut.saturating_sub(i)), 1)
            } else {
                (cut.saturating_sub(i), 0)
            };
            if first < nb {
                let high = self.shift_var(A::Shr, b, first, span)?;
                let p = self.mul_vars(bit, high, span)?;
                // a_i·2^i · (b >> first)·2^first (·2 for a square's pair).
                let var = self.shift_var(A::Shl, p, i + first + double, span)?;
                rows.push(Row {
                    var,
                    negative: false,
                });
            }
            if square && 2 * i >= cut {
                // The diagonal a_i·a_i = a_i at 2^(2i): a_i (frac fa) times 2^(2i − fa).
                let fa = self.num(a, span)?.frac;
                let var = self.times_pow2(bit, i64::from(2 * i) - i64::from(fa), span)?;
                rows.push(Row {
                    var,
                    negative: false,
                });
            }
        }
        let p = self.num(a, span)?.frac + self.num(b, span)?.frac;
        let comp = compensation(&dmax, &BigInt::zero(), cut);
        // Every row is a real value (frac ≤ P); the kept sum has P fractional bits.
        let comp_real = Rational::new(comp << cut, BigInt::one() << p);
        let sum = self.sum_real(rows, comp_real, span)?;
        let Val::Var(s) = sum else {
            return self.typed_at(sum, f, span);
        };
        self.narrow_exact(s, f, span)
    }

    fn shift_var(&mut self, op: A, v: VarId, k: u32, span: &Span) -> R<VarId> {
        if k == 0 {
            return Ok(v);
        }
        match self.shift(
            op,
            Val::Var(v),
            Val::Const(rational::int(k)),
            span,
            span,
            span,
        )? {
            Val::Var(x) => Ok(x),
            Val::Const(_) => Err(internal(span)),
        }
    }

    /// Bit `i` of the unsigned `a` as a one-bit value (`(a >> i) as ufixed<1, fa>`).
    fn bit_of(&mut self, a: VarId, i: u32, span: &Span) -> R<VarId> {
        let fa = self.num(a, span)?.frac;
        let s = self.shift_var(A::Shr, a, i, span)?;
        let t = NumTy {
            signed: false,
            width: 1,
            frac: fa,
        };
        self.cast_var(s, Ty::Num(t), span)
    }

    fn mul_vars(&mut self, x: VarId, y: VarId, span: &Span) -> R<VarId> {
        match self.arith(A::Mul, Val::Var(x), Val::Var(y), span, span, span)? {
            Val::Var(p) => Ok(p),
            Val::Const(_) => Err(internal(span)),
        }
    }

    /// `x · 2^e` exactly (a typed power-of-two constant).
    fn times_pow2(&mut self, x: VarId, e: i64, span: &Span) -> R<VarId> {
        if e >= 0 {
            return self.shift_var(A::Shl, x, e as u32, span);
        }
        let t = NumTy {
            signed: false,
            width: 1,
            frac: (-e) as u32,
        };
        let k = self.quantise_const(&Rational::new(BigInt::one(), BigInt::one() << -e), t, span)?;
        self.mul_vars(x, k, span)
    }

    /// Σ ±rows + comp, the rows all at `frac`; comp is a raw integer at `frac`.
    fn sum_rows(&mut self, rows: Vec<Row>, comp: &BigInt, frac: u32, span: &Span) -> R<Val> {
        let comp_real = Rational::new(comp.clone(), BigInt::one() << frac);
        self.sum_real(rows, comp_real, span)
    }

    /// Σ ±rows + a constant real value.
    fn sum_real(&mut self, rows: Vec<Row>, constant: Rational, span: &Span) -> R<Val> {
        let mut acc = Val::Const(constant);
        for row in rows {
            let op = if row.negative { A::Sub } else { A::Add };
            acc = self.arith(op, acc, Val::Var(row.var), span, span, span)?;
        }
        Ok(acc)
    }

    /// A value whose raw integer at `from` fractional bits is read at `to` bits
    /// (multiplied by 2^(from − to)), in the smallest type at `to` bits.
    fn reinterpret(&mut self, v: Val, from: u32, to: u32, span: &Span) -> R<Val> {
        match v {
            Val::Const(r) => {
                let real = if from >= to {
                    rational::scaled(&r, from - to)
                } else {
                    r / Rational::from_integer(BigInt::one() << (to - from))
                };
                self.typed_at(Val::Const(real), to, span)
            }
            Val::Var(x) => {
                let y = self.times_pow2(x, i64::from(from) - i64::from(to), span)?;
                self.narrow_exact(y, to, span)
            }
        }
    }

    /// A constant in the smallest type at `frac` bits (the value is a multiple of 2^−frac).
    fn typed_at(&mut self, v: Val, frac: u32, span: &Span) -> R<Val> {
        match v {
            Val::Const(r) => Ok(Val::Var(self.const_at_frac(&r, frac, span)?)),
            other => Ok(other),
        }
    }

    /// `x` (a multiple of 2^−frac) converted exactly to `frac` fractional bits.
    fn narrow_exact(&mut self, x: VarId, frac: u32, span: &Span) -> R<Val> {
        let n = self.num(x, span)?;
        if n.frac <= frac {
            return Ok(Val::Var(self.widen_frac(x, frac, span)?));
        }
        let d = n.frac - frac;
        let (lo, hi) = self.range(x);
        let t = self.fit(&(lo >> d), &(hi >> d), frac, span, "the truncated product")?;
        Ok(Val::Var(self.cast_var(x, Ty::Num(t), span)?))
    }
}

fn internal(span: &Span) -> Diagnostic {
    Diagnostic::new(span.clone(), "internal: expected a variable", "")
}
