// tanh* — the paper's secure-computation-friendly approximation of tanh (docs/design.md §1):
//
//   tanh*(x) = k·(m1·|x|² + c1·|x| + d1)   if |x| ≤ a
//            = k·(m2·|x|² + c2·|x| + d2)   if a < |x| ≤ b
//            = k                            otherwise,     k = sign(x)
//
// Input and output in the activation format Fa = 12 (fixed<16, 12>). The coefficients keep 14
// fractional bits; |x|² and the coefficient products are truncated products (`trunc_mul`,
// dsl/README.md §4) keeping their partial products down to 2^-14, two guard bits below the
// result's 12, which is rounded to nearest (the half ulp is folded into d): within 1.5 ulp
// of the float formula everywhere (thresholds are compared exactly: |x| ≤ 1.52 holds for raw
// |x| ≤ 6225). 384 ANDs; with exact products (|x|² floored to 13 bits, sums at 27) it was 506,
// the maximum error against tanh 2.2072e-2 (now 2.2150e-2). Semantics: dsl/README.md.

const FA = 12;                          // fractional bits of activations
type Act = fixed<16, FA>;

const M1 = -0.2716;  const C1 = 1;        const D1 = 0.016;
const M2 = -0.0848;  const C2 = 0.42654;  const D2 = 0.4519;
const A = 1.52;      const B = 2.57;

const FC = 14;                          // fractional bits of the coefficients
const HALF_ULP = 1 / (2 << FA);         // 2^-(FA+1): rounds the final floor to nearest
const FP = FA + 2;                      // partial products kept down to 2^-FP

// Built cheaply (checked against an independent model's known answers by dsl/tests/circuits.rs):
// |x| is taken once, only its low 14 bits are squared, and k = sign(x) costs no
// multiplication: d1 is dropped when t = 0 (so tanh*(0) = 0 as k = 0 demands) and negative x
// negate the result.
fn tanh_star(x: Act) -> Act {
    let m1 = M1 as fixed<16, FC>;           // coefficients quantised to FC bits
    let m2 = M2 as fixed<16, FC>;
    let c1 = C1 as ufixed<16, FC>;
    let c2 = C2 as ufixed<16, FC>;
    let ax = abs(x);                        // |x| exactly: ufixed<16, 12>
    let t = ax as ufixed<14, FA>;           // = |x| whenever |x| < 4, the only case it is used
    let t2 = trunc_mul(t, t, FP);           // |x|², squared once, on the narrow value
    // d1 (+ the rounding half ulp) at the sum's 27 fractional bits
    let d1: ufixed<24, 27> = if t != 0 { D1 + HALF_ULP } else { HALF_ULP };
    let y: Act = if ax <= A {
        trunc_mul(m1, t2, FP) + trunc_mul(c1, t, FP) + d1
    } else if ax <= B {
        trunc_mul(m2, t2, FP) + trunc_mul(c2, t, FP) + (D2 + HALF_ULP)
    } else {
        1.0
    };
    if x < 0 { -y } else { y }
}

input garbler x: Act;
output y: Act = tanh_star(x);
