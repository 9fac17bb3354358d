// Test data: the hand-written masked tanh* that shipped as circuits/masked_tanh.dsl until the
// activation crate generated it (circuits/wrappers/masked.dsl linked to circuits/tanh.dsl).
// Masked tanh* for the Paillier bridge (docs/protocol.md §2 step 3, docs/design.md §6):
//
//   C(x', r, ru) = tanh*(trunc(x' − r)) + ru,   x' = z + r
//
// z is a pre-activation at scale FW + FA = 24 (weights · activations), a signed LZ-bit
// integer: |z| < 2^(LZ−1) raw, i.e. |z| < 2^(LZ−25) = 2048.0 for LZ = 36. The cloud masks it
// with r ∈ [0, 2^(LZ+SIGMA)) and must keep z + r ≥ 0 so that Paillier does not wrap (e.g.
// add 2^(LZ−1) to z + r and to the r it feeds the circuit); the user decrypts
// x' = z + r < 2^(LZ+SIGMA+1) and garbles this circuit with its own mask ru ∈ [0, 2^RUW).
// x' − r is only needed modulo 2^LZ (read as signed it is exactly z), so the subtraction is
// LZ bits wide and the high bits of x' and r are never used. trunc drops FW fractional bits
// by flooring (free); values beyond b saturate to ±1, never wrap; the output
// tanh*(z) + ru is wide enough that nothing wraps. Agrees with tanh.dsl on every z
// (dsl/tests/circuits.rs). Semantics: dsl/README.md.

const SIGMA = 40;                      // statistical masking parameter
const FW = 12;                         // fractional bits of weights
const FA = 12;                         // fractional bits of activations
const LZ = 36;                         // z is a signed LZ-bit integer at scale FW + FA
const XW = LZ + SIGMA + 1;             // bits of x' = z + r
const RUW = FA + 2 + SIGMA;            // bits of the output mask ru (masks tanh* ∈ [−1, 1])

type Act = fixed<16, FA>;
type Wide = fixed<LZ - FW, FA>;        // trunc(z): z without its FW extra fractional bits

const M1 = -0.2716;  const C1 = 1;        const D1 = 0.016;
const M2 = -0.0848;  const C2 = 0.42654;  const D2 = 0.4519;
const A = 1.52;      const B = 2.57;
const FC = 14;
const HALF_ULP = 1 / (2 << FA);

// tanh* exactly as circuits/tanh.dsl, on a wide input, built cheaply: |x| is taken once,
// only its low 14 bits are squared, and k = sign(x) costs no multiplication: d1 is dropped
// when t = 0 (so tanh*(0) = 0 as k = 0 demands) and negative x negate the result.
fn tanh_star(x: Wide) -> Act {
    let m1 = M1 as fixed<16, FC>;
    let m2 = M2 as fixed<16, FC>;
    let c2 = C2 as ufixed<16, FC>;
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;           // = |x| whenever the polynomials are used
    let t2 = (t * t) as ufixed<17, 13>;
    // d1 (+ the rounding half ulp) at the sum's 27 fractional bits, as in tanh.dsl
    let d1: ufixed<24, 27> = if t != 0 { D1 + HALF_ULP } else { HALF_ULP };
    let y: Act = if ax <= A {
        m1 * t2 + C1 * t + d1
    } else if ax <= B {
        m2 * t2 + c2 * t + (D2 + HALF_ULP)
    } else {
        1.0
    };
    if x < 0 { -y } else { y }
}

input garbler xm: ufixed<XW, FW + FA>;        // x' = z + r (decrypted by the user)
input garbler ru: ufixed<RUW, FA>;            // the user's output mask
input evaluator r: ufixed<XW - 1, FW + FA>;   // the cloud's mask

let z = (xm - r) as fixed<LZ, FW + FA>;      // = z exactly (wraps at LZ bits)
let zt = z as Wide;                           // drop FW fractional bits: floor
output y: fixed<RUW + 2, FA> = tanh_star(zt) + ru;
