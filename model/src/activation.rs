//! tanh and its secure-computation-friendly approximations, in float and in the exact
//! fixed-point semantics of the DSL programs in `circuits/`.
//!
//! Every approximation here is an odd piecewise quadratic in |x|:
//! `f(x) = sign(x)·(m_i·|x|² + c_i·|x| + d_i)` on the i-th interval of |x|, and `sign(x)`
//! beyond the last one. [`TANH_STAR`] is the paper's; [`TANH_FIT`] is a minimax-style fit
//! with more pieces (coefficients from `examples/fit_tanh.rs`, circuit `circuits/tanh_fit.dsl`).
//!
//! The fixed-point evaluation [`PiecewiseQuadratic::eval_fixed`] is the bit-exact meaning of
//! those DSL programs (dsl/README.md §4–§6): x is `fixed<16, 12>`; `t = |x|` kept on
//! `t_bits` bits; `t² ` floored to `t2_frac` fractional bits; coefficients `m`, `c`
//! quantised (round half away from zero) to `coef_frac` bits; the sum `m·t² + c·t + d` is
//! exact at `coef_frac + t2_frac` bits, with `d` quantised there after adding half an ulp
//! of the output, and is floored to 12 fractional bits (so the result is rounded to nearest);
//! thresholds `|x| ≤ a` are compared exactly.

/// Fractional bits of the activation format `fixed<16, 12>` used by the DSL programs.
pub const ACT_FRAC: u32 = 12;
/// Width of the activation format `fixed<16, 12>`.
pub const ACT_BITS: u32 = 16;

/// One interval of a piecewise quadratic: `|x| ≤ upper` → `m·|x|² + c·|x| + d`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Piece {
    /// Upper end of the interval (inclusive), on |x|.
    pub upper: f64,
    /// Coefficient of |x|².
    pub m: f64,
    /// Coefficient of |x|.
    pub c: f64,
    /// Constant term.
    pub d: f64,
}

/// An odd piecewise-quadratic approximation of tanh and its fixed-point layout.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PiecewiseQuadratic {
    /// Name (the DSL file without `.dsl`).
    pub name: &'static str,
    /// The intervals, in increasing order of `upper`; beyond the last, `sign(x)`.
    pub pieces: &'static [Piece],
    /// Bits of `t = |x|` (`ufixed<t_bits, 12>`, wraps beyond the range it is used in).
    pub t_bits: u32,
    /// Fractional bits of `t²`.
    pub t2_frac: u32,
    /// Bits of `t²` (`ufixed<t2_bits, t2_frac>`).
    pub t2_bits: u32,
    /// Fractional bits of the coefficients `m` and `c`.
    pub coef_frac: u32,
}

/// The paper's tanh* (docs/design.md §1), laid out as `circuits/tanh.dsl`.
pub const TANH_STAR: PiecewiseQuadratic = PiecewiseQuadratic {
    name: "tanh",
    pieces: &[
        Piece {
            upper: 1.52,
            m: -0.2716,
            c: 1.0,
            d: 0.016,
        },
        Piece {
            upper: 2.57,
            m: -0.0848,
            c: 0.42654,
            d: 0.4519,
        },
    ],
    t_bits: 14,
    t2_frac: 13,
    t2_bits: 17,
    coef_frac: 14,
};

include!("tanh_fit_coefficients.rs");

/// Rounds `v` to the nearest integer, halves away from zero (the DSL's literal rule).
pub fn round_half_away(v: f64) -> i64 {
    v.round() as i64
}

/// Floor division by `2^k` of a signed integer (the DSL's `>>` and narrowing casts).
pub fn floor_shift(v: i128, k: u32) -> i128 {
    v >> k
}

/// Two's-complement wrap of `v` to `bits` bits.
pub fn wrap_signed(v: i128, bits: u32) -> i128 {
    let m = 1i128 << bits;
    let r = v.rem_euclid(m);
    if r >= m / 2 { r - m } else { r }
}

impl PiecewiseQuadratic {
    /// Float evaluation with the exact (unquantised) coefficients.
    pub fn eval_f64(&self, x: f64) -> f64 {
        let ax = x.abs();
        let k = if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        };
        for p in self.pieces {
            if ax <= p.upper {
                return k * (p.m * ax * ax + p.c * ax + p.d);
            }
        }
        k
    }

    /// Exact fixed-point evaluation of the DSL program on a raw `fixed<16, 12>` input
    /// (`x` must lie in `[-2^15, 2^15)`); returns the raw `fixed<16, 12>` output.
    pub fn eval_fixed(&self, x: i64) -> i64 {
        let x = i128::from(x);
        let k: i128 = x.signum();
        let ax = x.abs();
        let t = ax.rem_euclid(1 << self.t_bits);
        let t2 = floor_shift(t * t, 2 * ACT_FRAC - self.t2_frac).rem_euclid(1 << self.t2_bits);
        let sum_frac = self.coef_frac + self.t2_frac;
        let q = |v: f64, f: u32| i128::from(round_half_away(v * (1u64 << f) as f64));
        let half_ulp = 1.0 / f64::from(1u32 << (ACT_FRAC + 1));
        let mut y: i128 = 1 << ACT_FRAC;
        for p in self.pieces {
            // Thresholds compare the exact real value: ax/2^12 ≤ upper.
            if (ax as f64) <= p.upper * f64::from(1u32 << ACT_FRAC) {
                let s = q(p.m, self.coef_frac) * t2
                    + ((q(p.c, self.coef_frac) * t) << (self.t2_frac - ACT_FRAC))
                    + q(p.d + half_ulp, sum_frac);
                y = wrap_signed(floor_shift(s, sum_frac - ACT_FRAC), ACT_BITS);
                break;
            }
        }
        (k * y) as i64
    }

    /// Largest |f(x) − tanh(x)| of the fixed-point version over every 16-bit input.
    pub fn max_fixed_error(&self) -> f64 {
        let scale = f64::from(1u32 << ACT_FRAC);
        (-(1i64 << 15)..(1i64 << 15))
            .map(|x| (self.eval_fixed(x) as f64 / scale - (x as f64 / scale).tanh()).abs())
            .fold(0.0, f64::max)
    }
}
