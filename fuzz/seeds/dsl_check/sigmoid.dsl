// A piecewise-linear sigmoid (PLAN, Amin–Curtis–Hayes-Gill 1997): slopes are powers of
// two, so every piece is a shift and a constant add. For x ≥ 0
//
//   σ*(x) = 1                     if x ≥ 5
//         = x/32 + 0.84375        if 2.375 ≤ x < 5
//         = x/8  + 0.625          if 1 ≤ x < 2.375
//         = x/4  + 0.5            if 0 ≤ x < 1
//
// and σ*(−x) = 1 − σ*(x). Max error vs the logistic function ≈ 1.9e-2.
const FA = 12;
type Act = fixed<16, FA>;

fn plan(t: ufixed<16, FA>) -> ufixed<14, FA> {
    if t >= 5 {
        1.0
    } else if t >= 2.375 {
        (t >> 5) + 0.84375
    } else if t >= 1 {
        (t >> 3) + 0.625
    } else {
        (t >> 2) + 0.5
    }
}

input garbler x: Act;
let s = plan(abs(x));
output y: Act = if x < 0 { 1 - s } else { s };
