// The activation on additive shares for the fast protocol (docs/protocol.md §3,
// "Activation"), for ANY activation f: Act → Act:
//
//   z = zu + zc mod 2^K, read as signed at scale FW + FA;  y = f(sat(z >> FW)) + r mod 2^K
//
// f is linked in (`extern fn act`): the activation crate (gcc-nn-activation) binds it to
// the activation's DSL program, e.g. circuits/tanh.dsl; this file never restates it.
// zu (the user's share) and r (the user's fresh mask) come from the garbler, zc (the
// cloud's share) from the evaluator; y goes to the evaluator. New shares: the cloud keeps
// y, the user −r mod 2^K. The shift drops FW fractional bits by flooring; sat clamps into
// the activation format [−8, 8 − 2^−12], so f is defined on every input (for tanh-like f
// this changes nothing: they are ±1 far before ±8). Semantics: dsl/README.md (§7).

const K = 40;                          // ring Z_(2^K)
const FW = 12;                         // fractional bits of weights
const FA = 12;                         // fractional bits of activations

type Act = fixed<16, FA>;              // the activation format
const WB = K - FW;                     // bits of z >> FW
type Wide = fixed<WB, FA>;
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

input garbler zu: ufixed<K, FW + FA>;
input evaluator zc: ufixed<K, FW + FA>;
input garbler r: ufixed<K, FA>;

let z = (zu + zc) as fixed<K, FW + FA>;      // sum mod 2^K, read as signed
let zt = z as Wide;                           // shift right by FW (floor)
let x = saturate(zt);                         // into the activation format
output y: ufixed<K, FA> = act(x) + r;         // mod 2^K
