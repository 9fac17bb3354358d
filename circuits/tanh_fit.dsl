// tanh_fit — a closer odd piecewise-quadratic approximation of tanh than the paper's tanh*:
//
//   f(x) = sign(x)·(m_i·|x|² + c_i·|x| + d_i)   on the i-th interval of |x| (3 pieces),
//        = sign(x)                                for |x| > 3.5
//
// Coefficients: a minimax fit per piece (first piece through the origin), breakpoints
// balanced and rounded to 1/64, from `cargo run -p gcc-nn-model --example fit_tanh -- 3 3.5`
// (which prints this program; model/tests/fixed.rs checks its table against the formula).
// Max |error| against tanh over every fixed<16,12> input: 3.3e-3 (tanh*: 2.2e-2).
// Semantics: dsl/README.md; t, t², rounding exactly as circuits/tanh.dsl.
// Input and output in the activation format Fa = 12 (fixed<16, 12>).

const FA = 12;
type Act = fixed<16, FA>;
const M1 = -0.2691298;  const C1 = 1.0527644;  const D1 = 0;
const M2 = -0.2450828;  const C2 = 0.9113469;  const D2 = 0.0924159;
const M3 = -0.0282999;  const C3 = 0.1782786;  const D3 = 0.7178868;
const A1 = 0.75;  const A2 = 1.71875;  const A3 = 3.5;
const FC = 14;                          // fractional bits of the coefficients
const HALF_ULP = 1 / (2 << FA);         // 2^-(FA+1): rounds the final floor to nearest

fn tanh_fit(x: Act) -> Act {
    let m1 = M1 as fixed<16, FC>;  let c1 = C1 as ufixed<16, FC>;
    let m2 = M2 as fixed<16, FC>;  let c2 = C2 as ufixed<16, FC>;
    let m3 = M3 as fixed<16, FC>;  let c3 = C3 as ufixed<16, FC>;
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;           // = |x| whenever |x| ≤ 3.5, the only case it is used
    let t2 = (t * t) as ufixed<17, 13>;     // |x|², floored to 13 fractional bits
    let y: Act = if ax <= A1 {
        m1 * t2 + c1 * t + (D1 + HALF_ULP)
    } else if ax <= A2 {
        m2 * t2 + c2 * t + (D2 + HALF_ULP)
    } else if ax <= A3 {
        m3 * t2 + c3 * t + (D3 + HALF_ULP)
    } else {
        1.0
    };
    if x < 0 { -y } else if x == 0 { 0 } else { y }
}

input garbler x: Act;
output y: Act = tanh_fit(x);
