// The masked activation of the Paillier bridge and the reference protocol
// (docs/protocol.md §2 step 3, docs/design.md §6), for ANY activation f: Act → Act:
//
//   C(x', r, ru) = f(sat(trunc(x' − r))) + ru,   x' = z + r
//
// f is linked in (`extern fn act`): the activation crate (gcc-nn-activation) binds it to
// the activation's DSL program, e.g. circuits/tanh.dsl; this file never restates it.
// z is a pre-activation at scale FW + FA = 24 (weights · activations), a signed LZ-bit
// integer: |z| < 2^(LZ−1) raw, i.e. |z| < 2^(LZ−25) = 2048.0 for LZ = 36. The cloud masks it
// with r ∈ [0, 2^(LZ+SIGMA)) and must keep z + r ≥ 0 so that Paillier does not wrap (e.g.
// add 2^(LZ−1) to z + r and to the r it feeds the circuit); the user decrypts
// x' = z + r < 2^(LZ+SIGMA+1) and garbles this circuit with its own mask ru ∈ [0, 2^RUW).
// x' − r is only needed modulo 2^LZ (read as signed it is exactly z), so the subtraction is
// LZ bits wide and the high bits of x' and r are never used. trunc drops FW fractional bits
// by flooring (free); sat clamps into the activation format [−8, 8 − 2^−12], so f is defined
// on every input (for tanh-like f this changes nothing: they are ±1 far before ±8).
// f(x) is read as fixed<YB, FA>: YB = 16 holds any value of the format; the activation
// crate sets the least width holding f's range (14 for the tanh family), which keeps the
// output mask RUW = YB + SIGMA bits as narrow as f allows. The output f + ru is exact.
// Semantics: dsl/README.md (§7 extern functions).

const SIGMA = 40;                      // statistical masking parameter
const FW = 12;                         // fractional bits of weights
const FA = 12;                         // fractional bits of activations
const LZ = 36;                         // z is a signed LZ-bit integer at scale FW + FA
const YB = 16;                         // f(x) is a signed YB-bit value at FA fractional bits
const XW = LZ + SIGMA + 1;             // bits of x' = z + r
const RUW = YB + SIGMA;                // bits of the output mask ru

type Act = fixed<16, FA>;              // the activation format
const WB = LZ - FW;                    // bits of trunc(z)
type Wide = fixed<WB, FA>;             // trunc(z): z without its FW extra fractional bits
const ACT_MIN = -(1 << (15 - FA));                 // −8
const ACT_MAX = (1 << (15 - FA)) - 1 / (1 << FA);  // 8 − 2^−12

extern fn act(x: Act) -> Act;

// sat: clamp z into the activation format [ACT_MIN, ACT_MAX]. Same result as
// clamp(z, ACT_MIN, ACT_MAX), cheaper: z is inside iff floor(z / 8) is 0 or −1, i.e. equal
// to its own sign (needs WB ≥ 16).
fn saturate(z: Wide) -> Act {
    let hi = (z as int<WB - FA>) >> (15 - FA);    // floor(z / 8)
    let inside = hi == (hi >> (WB - 16));          // hi is 0 or −1
    if inside { z as Act } else if z < 0 { ACT_MIN } else { ACT_MAX }
}

input garbler xm: ufixed<XW, FW + FA>;        // x' = z + r (decrypted by the user)
input garbler ru: ufixed<RUW, FA>;            // the user's output mask
input evaluator r: ufixed<XW - 1, FW + FA>;   // the cloud's mask

let z = (xm - r) as fixed<LZ, FW + FA>;      // = z exactly (wraps at LZ bits)
let zt = z as Wide;                           // drop FW fractional bits: floor
let x = saturate(zt);                         // into the activation format
output y: fixed<RUW + 2, FA> = (act(x) as fixed<YB, FA>) + ru;
