// A finer tanh approximation: four quadratic pieces on |x| < 4 (minimax fits of tanh,
// breakpoints 0.55, 1.3, 2.2), ±1 beyond. Max error vs tanh ≈ 1.6e-3 and mean ≈ 6e-4 on
// [−6, 6] — 14× and 8× below tanh*'s 2.2e-2 and 4.5e-3 — for about 1.5× its ANDs
// (docs/design.md §9: tanh* costs 0.12–0.14 dB of PSNR; this is the "more pieces" option).
// Same formats and structure as tanh.dsl: |x| once, one square of the narrow |x|,
// constant coefficients (each piece's precision sized to its range of |x|), k = sign(x)
// applied by a conditional negation.

const FA = 12;
type Act = fixed<16, FA>;
const HALF_ULP = 1 / (2 << FA);         // rounds the final floor to nearest

// y = m·t² + c·t + d on each piece
const B1 = 0.55;  const M1 = -0.235520;  const C1 = 1.044065;  const D1 = -0.001235;
const B2 = 1.3;   const M2 = -0.333517;  const C2 = 1.095658;  const D2 = -0.000095;
const B3 = 2.2;   const M3 = -0.112979;  const C3 = 0.518879;  const D3 = 0.379572;
const B4 = 4;     const M4 = -0.011002;  const C4 = 0.079960;  const D4 = 0.854297;

// k = sign(x) costs no multiplication (the same values as k·y on every input, checked by
// activation/tests/known_answers.rs): d1 (+ the rounding half ulp) is dropped at t = 0 so
// that tanh_fine(0) = 0, and negative x negate the result.
fn tanh_fine(x: Act) -> Act {
    let ax = abs(x);
    let t = ax as ufixed<14, FA>;            // = |x| whenever |x| < 4
    let t2 = (t * t) as ufixed<16, 12>;      // t² < 16, floored to 12 fractional bits
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

input garbler x: Act;
output y: Act = tanh_fine(x);
