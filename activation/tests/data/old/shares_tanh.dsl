// tanh* on additive shares for the fast protocol (docs/protocol.md §3, "Activation"):
//
//   z = zu + zc mod 2^K, read as signed at scale FW + FA;  y = tanh*(z >> FW) + r mod 2^K
//
// zu (the user's share) and r (the user's fresh mask) come from the garbler, zc (the
// cloud's share) from the evaluator; y goes to the evaluator. New shares: the cloud keeps
// y, the user −r mod 2^K. The shift drops FW fractional bits by flooring; values beyond b
// saturate to ±1. Agrees with tanh.dsl (dsl/tests/circuits.rs). Semantics: dsl/README.md.

const K = 40;                          // ring Z_(2^K)
const FW = 12;                         // fractional bits of weights
const FA = 12;                         // fractional bits of activations

type Act = fixed<16, FA>;
type Wide = fixed<K - FW, FA>;

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
    let t = ax as ufixed<14, FA>;
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

input garbler zu: ufixed<K, FW + FA>;
input evaluator zc: ufixed<K, FW + FA>;
input garbler r: ufixed<K, FA>;

let z = (zu + zc) as fixed<K, FW + FA>;      // sum mod 2^K, read as signed
let zt = z as Wide;                           // shift right by FW (floor)
output y: ufixed<K, FA> = tanh_star(zt) + r;  // mod 2^K
