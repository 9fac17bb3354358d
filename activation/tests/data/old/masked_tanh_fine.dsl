// Masked tanh_fine (circuits/tanh_fine.dsl) for the Paillier bridge: a drop-in for
// masked_tanh.dsl (same inputs, outputs and masking rules), docs/protocol.md §2 step 3:
//
//   C(x', r, ru) = tanh_fine(trunc(x' − r)) + ru,   x' = z + r
//
// z is a pre-activation at scale FW + FA = 24 (weights · activations), a signed LZ-bit
// integer: |z| < 2^(LZ−1) raw, i.e. |z| < 2^(LZ−25) = 2048.0 for LZ = 36. The cloud masks it
// with r ∈ [0, 2^(LZ+SIGMA)) and must keep z + r ≥ 0 so that Paillier does not wrap (e.g.
// add 2^(LZ−1) to z + r and to the r it feeds the circuit); the user decrypts
// x' = z + r < 2^(LZ+SIGMA+1) and garbles this circuit with its own mask ru ∈ [0, 2^RUW).
// x' − r is only needed modulo 2^LZ (read as signed it is exactly z), so the subtraction is
// LZ bits wide and the high bits of x' and r are never used. trunc drops FW fractional bits
// by flooring (free); values beyond 4 saturate to ±1, never wrap; the output
// tanh_fine(z) + ru is wide enough that nothing wraps. Agrees with tanh_fine.dsl on every z
// (dsl/tests/circuits.rs). Semantics: dsl/README.md.

const SIGMA = 40;                      // statistical masking parameter
const FW = 12;                         // fractional bits of weights
const FA = 12;                         // fractional bits of activations
const LZ = 36;                         // z is a signed LZ-bit integer at scale FW + FA
const XW = LZ + SIGMA + 1;             // bits of x' = z + r
const RUW = FA + 2 + SIGMA;            // bits of the output mask ru (masks tanh_fine ∈ [−1, 1])

type Act = fixed<16, FA>;
type Wide = fixed<LZ - FW, FA>;        // trunc(z): z without its FW extra fractional bits

const HALF_ULP = 1 / (2 << FA);

// y = m·t² + c·t + d on each piece
const B1 = 0.55;  const M1 = -0.235520;  const C1 = 1.044065;  const D1 = -0.001235;
const B2 = 1.3;   const M2 = -0.333517;  const C2 = 1.095658;  const D2 = -0.000095;
const B3 = 2.2;   const M3 = -0.112979;  const C3 = 0.518879;  const D3 = 0.379572;
const B4 = 4;     const M4 = -0.011002;  const C4 = 0.079960;  const D4 = 0.854297;

// tanh_fine exactly as circuits/tanh_fine.dsl, on a wide input (saturates beyond 4); the
// sign is applied by a conditional negation instead of a multiplication.
fn tanh_fine(x: Wide) -> Act {
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;            // = |x| whenever |x| < 4
    let t2 = (t * t) as ufixed<16, 12>;      // t² < 16, floored to 12 fractional bits
    // d1 (+ the rounding half ulp) at the first piece's 24 fractional bits, dropped at
    // t = 0 so that tanh_fine(0) = 0 without multiplying by k = sign(x)
    let d1: fixed<20, 24> = if t != 0 { D1 + HALF_ULP } else { HALF_ULP };
    let y: Act = if ax < B1 {
        (M1 as fixed<16, 12>) * t2 + (C1 as ufixed<16, 12>) * t + d1
    } else if ax < B2 {
        (M2 as fixed<16, 13>) * t2 + (C2 as ufixed<16, 13>) * t + (D2 + HALF_ULP)
    } else if ax < B3 {
        (M3 as fixed<16, 14>) * t2 + (C3 as ufixed<16, 14>) * t + (D3 + HALF_ULP)
    } else if ax < B4 {
        (M4 as fixed<16, 15>) * t2 + (C4 as ufixed<16, 15>) * t + (D4 + HALF_ULP)
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
output y: fixed<RUW + 2, FA> = tanh_fine(zt) + ru;
