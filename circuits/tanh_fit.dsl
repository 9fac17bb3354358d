// tanh_fit — a closer odd piecewise-quadratic approximation of tanh than the paper's tanh*:
//
//   f(x) = sign(x)·(m_i·|x|² + c_i·|x| + d_i)   on the i-th interval of |x| (3 pieces),
//        = sign(x)                                for |x| > 3.5
//
// Coefficients: a minimax fit per piece (first piece through the origin), breakpoints
// balanced and rounded to 1/64, from `cargo run -p gcc-nn-model --example fit_tanh -- 3 3.5`
// (which prints this program; model/tests/fixed.rs checks its table against the formula).
// Max |error| against tanh over every fixed<16,12> input: 3.3e-3 (tanh*: 2.2e-2).
// Semantics: dsl/README.md. The products are truncated (`trunc_mul`, dsl/README.md §4): t² keeps
// its partial products down to 2^-15 and is then floored to 13 bits, each coefficient product
// down to 2^-14, two guard bits below the result's 12; the maximum error against tanh is
// that of the exact evaluation (3.3049e-3 at |x| = 3.5, where the last piece ends), at 442
// ANDs instead of 620 (activation/tests/accuracy.rs compares it with the exact program).
// Input and output in the activation format Fa = 12 (fixed<16, 12>).

const FA = 12;
type Act = fixed<16, FA>;
const M1 = -0.2691298;  const C1 = 1.0527644;  const D1 = 0;
const M2 = -0.2450828;  const C2 = 0.9113469;  const D2 = 0.0924159;
const M3 = -0.0282999;  const C3 = 0.1782786;  const D3 = 0.7178868;
const A1 = 0.75;  const A2 = 1.71875;  const A3 = 3.5;
const FC = 14;                          // fractional bits of the coefficients
const FP = FA + 2;                      // partial products kept down to 2^-FP
const HALF_ULP = 1 / (2 << FA);         // 2^-(FA+1): rounds the final floor to nearest

fn tanh_fit(x: Act) -> Act {
    let m1 = M1 as fixed<16, FC>;  let c1 = C1 as ufixed<16, FC>;
    let m2 = M2 as fixed<16, FC>;  let c2 = C2 as ufixed<16, FC>;
    let m3 = M3 as fixed<16, FC>;  let c3 = C3 as ufixed<16, FC>;
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;           // = |x| whenever |x| ≤ 3.5, the only case it is used
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
