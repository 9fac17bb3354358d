// The fast protocol's output: one 8-bit pixel from additive shares of its sum S
// (model/src/pixel.rs, the one definition):
//
//   S = su + sc mod 2^K, read as signed at scale 2^F;   pixel = clamp(128 + ⌊51·S / (N·2^F)⌋, 0, 255)
//
// N, the number of patches covering the pixel, is public (image size and patch geometry) and a
// compile-time constant: the protocol compiles one circuit per distinct N (-D N=… -D NB=…,
// NB = ⌈log2 N⌉, checked by the caller). ⌊⌊x/2^F⌋/N⌋ = ⌊x/(N·2^F)⌋, so the circuit shifts
// first (free) and divides the short quotient t by N: for t in [−128N, 128N) the pixel is
// ⌊(t + 128N)/N⌋, eight steps of restoring division by the constant N; outside it clamps.
// Semantics: dsl/README.md.

const K = 40;                          // ring Z_(2^K)
const F = 24;                          // fractional bits of S (Fw + Fa)
const N = 1;                           // patches covering the pixel (≥ 1)
const NB = 0;                          // ⌈log2 N⌉: u = t + 128N < 256N ≤ 2^(8 + NB)

input garbler su: uint<K>;
input evaluator sc: uint<K>;

let s = (su + sc) as int<K>;           // S mod 2^K, read as signed
let s3 = (s << 1) + s;                 // 3·S
let t = ((s3 << 4) + s3) >> F;         // ⌊51·S / 2^F⌋ (51 = 3·17: two adders, not three)
let mut rem: uint<8 + NB> = t + 128 * N;   // t + 128N, exact whenever t is in range
let mut q: uint<8> = 0;
for b in 0..8 {
    let c = N << (7 - b);
    let ge = rem >= c;
    rem = if ge { rem - c } else { rem };
    q = (q << 1) + (ge as uint<1>);
}
output pixel: uint<8> = if t < -128 * N { 0 } else if t >= 128 * N { 255 } else { q };
