// tanh_fit — a closer odd piecewise-quadratic approximation of tanh than the paper's tanh*:
//
//   f(x) = sign(x)·(m_i·|x|² + c_i·|x| + d_i)   on the i-th interval of |x| (3 pieces),
//        = sign(x)                                for |x| > 3.40625
//
// Coefficients: a minimax fit per piece (first piece through the origin), breakpoints
// balanced and rounded to 1/64, then each piece's (m, c) moved to the nearby pair whose
// products cost the fewest AND gates while the whole table stays within 3.1e-3 of tanh (d
// re-centred), from `cargo run --release -p gcc-nn-model --example fit_tanh -- 3 3.4 14
// --sparse 3.1e-3` (which prints this program; model/tests/fixed.rs checks its table against
// the formula). m and c are exact at 14 fractional bits.
// Max |error| against tanh over every fixed<16,12> input: 3.10e-3 (session 6's tanh_fit:
// 3.30e-3, tanh*: 2.2e-2), activation/tests/accuracy.rs.
// Semantics: dsl/README.md. The products are truncated (`trunc_mul`, dsl/README.md §4): t² keeps
// its partial products down to 2^-15 and is then floored to 13 bits, each coefficient product
// down to 2^-14, two guard bits below the result's 12 (within one ulp of exact products and
// no further from tanh). 384 ANDs alone, 476 on shares (circuits/REPORT.md).
// Input and output in the activation format Fa = 12 (fixed<16, 12>).

const FA = 12;
type Act = fixed<16, FA>;
const M1 = -0.2657470703125;  const C1 = 1.05126953125;     const D1 = 0;
const M2 = -0.24951171875;    const C2 = 0.922119140625;    const D2 = 0.0860932;
const M3 = -0.0302734375;     const C3 = 0.18756103515625;  const D3 = 0.7071761;
const A1 = 0.734375;  const A2 = 1.703125;  const A3 = 3.40625;
const FC = 14;                          // fractional bits of the coefficients
const FP = FA + 2;                      // partial products kept down to 2^-FP
const HALF_ULP = 1 / (2 << FA);         // 2^-(FA+1): rounds the final floor to nearest

fn tanh_fit(x: Act) -> Act {
    let m1 = M1 as fixed<16, FC>;  let c1 = C1 as ufixed<16, FC>;
    let m2 = M2 as fixed<16, FC>;  let c2 = C2 as ufixed<16, FC>;
    let m3 = M3 as fixed<16, FC>;  let c3 = C3 as ufixed<16, FC>;
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;           // = |x| whenever |x| ≤ A3, the only case it is used
    let t2 = trunc_mul(t, t, 15) as ufixed<17, 13>;   // |x|², floored to 13 fractional bits
    let y: Act = if ax <= A1 {
        trunc_mul(m1, t2, FP) + trunc_mul(c1, t, FP) + (D1 + HALF_ULP)
    } else if ax <= A2 {
        trunc_mul(m2, t2, FP) + trunc_mul(c2, t, FP) + (D2 + HALF_ULP)
    } else if ax <= A3 {
        trunc_mul(m3, t2, FP) + trunc_mul(c3, t, FP) + (D3 + HALF_ULP)
    } else {
        1.0
    };
    if x < 0 { -y } else if x == 0 { 0 } else { y }
}

input garbler x: Act;
output y: Act = tanh_fit(x);
