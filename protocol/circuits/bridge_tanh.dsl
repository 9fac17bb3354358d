// Masked tanh* for the Paillier bridge (DESIGN.md §6, PROTOCOL.md §2 step 3).
//
// The cloud holds Enc(x) for a signed pre-activation x with FX fractional bits and
// |x| < 2^(LX−1) raw. It sends Enc(x + m) with m = 2^(LX−1) + r, r uniform below
// 2^(LX+SIGMA); the user decrypts and feeds the low LX bits (xr); the cloud feeds the
// low LX bits of m (r). Then (xr − r) mod 2^LX read as signed is exactly x.
// The output y = tanh*(x) + ru, with the user's mask ru in [2^(LY−1), 2^(LY−1) + 2^(LY+SIGMA)),
// never wraps in WY = LY + SIGMA + 1 bits; the cloud learns y and computes
// Enc(tanh*(x)) = Enc(y − ru).
//
// tanh_star is circuits/tanh.dsl's, unchanged (input and output fixed<16,12>).

const LX = 16;                          // bits of the pre-activation as the circuit reads it
const FX = 12;                          // fractional bits of the pre-activation
const SIGMA = 40;                       // statistical masking parameter
const LY = 16;                          // bits of the activation (fixed<16, FA>)
const WY = LY + SIGMA + 1;              // bits of the masked activation

const FA = 12;                          // fractional bits of activations
type Act = fixed<16, FA>;

const M1 = -0.2716;  const C1 = 1;        const D1 = 0.016;
const M2 = -0.0848;  const C2 = 0.42654;  const D2 = 0.4519;
const A = 1.52;      const B = 2.57;

const FC = 14;                          // fractional bits of the coefficients
const HALF_ULP = 1 / (2 << FA);         // 2^-(FA+1): rounds the final floor to nearest

fn tanh_star(x: Act) -> Act {
    let m1 = M1 as fixed<16, FC>;
    let m2 = M2 as fixed<16, FC>;
    let c2 = C2 as ufixed<16, FC>;
    let k = sign(x);
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;
    let t2 = (t * t) as ufixed<17, 13>;
    let y: Act = if ax <= A {
        m1 * t2 + C1 * t + (D1 + HALF_ULP)
    } else if ax <= B {
        m2 * t2 + c2 * t + (D2 + HALF_ULP)
    } else {
        1.0
    };
    k * y
}

input garbler xr: ufixed<LX, FX>;       // low LX bits of x + m (the user decrypted it)
input evaluator r: ufixed<LX, FX>;      // low LX bits of the cloud's mask m
input garbler ru: ufixed<WY, FA>;       // the user's output mask

// x exactly; saturate to tanh*'s flat region before narrowing to Act (|x| > 2.57 gives ±1).
let x = (xr - r) as fixed<LX, FX>;
let xc = clamp(x, -4.0, 4.0 - 1.0 / (1 << FA));
output y: ufixed<WY, FA> = tanh_star(xc as Act) + ru;
