const N = 3;
fn f(a: int<8>, b: uint<4>) -> int<12> { min(a, b) << 2 }
input garbler x: int<8>;
input evaluator y: uint<4>;
let mut s: int<16> = 0;
for i in 0..N { s = s + f(x, y) * i; }
output o: int<16> = if x < 0 && y != 3 { s } else { -s >> 1 };
output b: bool = x == 5 ^ true;
