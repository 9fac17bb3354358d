// GELU(x) = x·Φ(x) (Φ the standard normal CDF; Hendrycks & Gimpel 2016) in the activation
// format Fa = 12 (fixed<16, 12> → fixed<16, 12>), written as
//
//   GELU(x) = max(x, 0) − h(|x|),   h(t) = t·Φ(−t)   (x·Φ(x) = max(x, 0) − |x|·Φ(−|x|))
//
// h rises from 0 to 0.170 at t ≈ 0.75 and falls to 1.3e-4 at t = 4; it is approximated by
// five quadratics m·t² + c·t + d on 0 ≤ t < 4 (least-squares-minimax fits, the first
// through the origin) and by 0 beyond. Max |error| against the real GELU over every
// fixed<16, 12> input: 9.9e-4 (at x ≈ 1.04; mean 1.6e-4; checked by activation/tests/gelu.rs).
// |x| once, one square of the narrow |x|, the result rounded to nearest.

const FA = 12;                          // fractional bits of activations
type Act = fixed<16, FA>;
const FC = 16;                          // fractional bits of the coefficients
const HALF_ULP = 1 / (2 << FA);         // 2^-(FA+1): rounds the final floor to nearest

// h(t) ≈ m·t² + c·t + d on each piece [previous breakpoint, B)
const B1 = 0.6;  const M1 = -0.3627112;  const C1 = 0.4908889;  const D1 = 0;
const B2 = 1.2;  const M2 = -0.1595322;  const C2 = 0.2402188;  const D2 = 0.0786998;
const B3 = 1.9;  const M3 = 0.0188513;   const C3 = -0.1793185; const D3 = 0.3266663;
const B4 = 2.8;  const M4 = 0.0432189;   const C4 = -0.2551119; const D4 = 0.3829427;
const B5 = 4;    const M5 = 0.0071905;   const C5 = -0.0542308; const D5 = 0.1023151;

fn piece(t: ufixed<14, FA>, t2: ufixed<17, 13>, m: fixed<16, FC>, c: fixed<17, FC>, d: ufixed<16, FC>) -> fixed<40, 29> {
    m * t2 + c * t + d
}

// h(|x|), rounded to the activation format
fn h(ax: ufixed<16, FA>) -> Act {
    let t = ax as ufixed<14, FA>;           // = |x| whenever |x| < 4, the only case it is used
    let t2 = (t * t) as ufixed<17, 13>;     // |x|², floored to 13 fractional bits
    if ax < B1 {
        piece(t, t2, M1, C1, D1) + HALF_ULP
    } else if ax < B2 {
        piece(t, t2, M2, C2, D2) + HALF_ULP
    } else if ax < B3 {
        piece(t, t2, M3, C3, D3) + HALF_ULP
    } else if ax < B4 {
        piece(t, t2, M4, C4, D4) + HALF_ULP
    } else if ax < B5 {
        piece(t, t2, M5, C5, D5) + HALF_ULP
    } else {
        0
    }
}

input garbler x: Act;
output y: Act = max(x, 0) - h(abs(x));
