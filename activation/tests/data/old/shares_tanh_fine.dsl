// tanh_fine (circuits/tanh_fine.dsl) on additive shares for the fast protocol: a drop-in
// for shares_tanh.dsl (same inputs and outputs), docs/protocol.md §3, "Activation":
//
//   z = zu + zc mod 2^K, read as signed at scale FW + FA;  y = tanh_fine(z >> FW) + r mod 2^K
//
// zu (the user's share) and r (the user's fresh mask) come from the garbler, zc (the
// cloud's share) from the evaluator; y goes to the evaluator. New shares: the cloud keeps
// y, the user −r mod 2^K. The shift drops FW fractional bits by flooring; values beyond 4
// saturate to ±1. Agrees with tanh_fine.dsl (dsl/tests/circuits.rs). Semantics: dsl/README.md.

const K = 40;                          // ring Z_(2^K)
const FW = 12;                         // fractional bits of weights
const FA = 12;                         // fractional bits of activations

type Act = fixed<16, FA>;
type Wide = fixed<K - FW, FA>;

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

input garbler zu: ufixed<K, FW + FA>;
input evaluator zc: ufixed<K, FW + FA>;
input garbler r: ufixed<K, FA>;

let z = (zu + zc) as fixed<K, FW + FA>;      // sum mod 2^K, read as signed
let zt = z as Wide;                           // shift right by FW (floor)
output y: ufixed<K, FA> = tanh_fine(zt) + r;  // mod 2^K
