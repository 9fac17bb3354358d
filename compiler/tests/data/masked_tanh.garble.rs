// Masked tanh* for the Paillier bridge, hand-tuned for Garble: the same function as
// gcc-nn's circuits/masked_tanh.dsl (z at 24 fractional bits in LZ = 36 bits, tanh* at
// Fa = 12, coefficients at 14 fractional bits, |x|^2 at 13, sums at 27, output mask ru).
// Smallest Garble integer types everywhere; explicit masking instead of overflow.
pub fn main(xm: u64, ru: i64, r: u64) -> i64 {
    // z = (x' - r) mod 2^36, read as signed (the subtraction never underflows).
    let low = 68719476735u64; // 2^36 - 1
    let d = ((xm & low) + 68719476736u64 - (r & low)) & low;
    let z = if d >= 34359738368u64 { (d as i64) - 68719476736i64 } else { d as i64 };
    let zt = (z >> 12u8) as i32; // floor to 12 fractional bits, 24 bits
    let ax = if zt < 0i32 { -zt } else { zt };
    let t = (ax & 16383i32) as u32; // low 14 bits
    let t2 = ((t * t) >> 11u8) as i32; // |x|^2 at 13 fractional bits
    let d1 = if t != 0u32 { 2163868i32 } else { 16384i32 };
    let y = if ax <= 6225i32 {
        ((-4450i32 * t2 + ((t as i32) << 15u8) + d1) >> 15u8) as i16
    } else if ax <= 10526i32 {
        ((-1389i32 * t2 + ((6988i32 * (t as i32)) << 1u8) + 60669375i32) >> 15u8) as i16
    } else {
        4096i16
    };
    let s = if zt < 0i32 { -(y as i32) } else { y as i32 };
    (s as i64) + ru
}
