//! Lowering: compiled circuits equal the reference interpreter on every input (small
//! widths, exhaustive) under every combination of passes.

use crate::common;

use common::check_program;

#[test]
fn integer_arithmetic_matches_interpreter() {
    check_program(
        "input garbler a: int<4>;
         input evaluator b: uint<3>;
         output s: int<6> = a + b;
         output d: int<6> = a - b;
         output p: int<8> = a * b;
         output m: int<5> = min(a, b);
         output x: int<5> = max(a, b);
         output q: int<4> = -a;
         output ab: uint<4> = abs(a);
         output sg: int<2> = sign(a);
         output sq: uint<7> = a * a;
         output w: uint<3> = a + b;",
        0,
        1,
    );
}

#[test]
fn comparisons_and_bools_match_interpreter() {
    check_program(
        "input garbler a: int<4>;
         input evaluator b: uint<3>;
         input evaluator c: bool;
         output lt: bool = a < b;
         output le: bool = a <= b;
         output gt: bool = a > b;
         output ge: bool = a >= b;
         output eq: bool = a == b;
         output ne: bool = a != b;
         output k: bool = a <= 2.5;
         output z: bool = (a == 0) ^ c;
         output o: bool = (a > 1 || c) && !(b == 3);",
        0,
        2,
    );
}

#[test]
fn fixed_point_casts_and_shifts_match_interpreter() {
    check_program(
        "input garbler x: fixed<8, 4>;
         input evaluator y: ufixed<5, 2>;
         output a: fixed<8, 4> = x * y;
         output b: fixed<6, 2> = x;
         output c: fixed<10, 6> = x + y;
         output d: int<4> = x;
         output e: fixed<8, 4> = (x >> 2) + (y << 1);
         output f: uint<3> = y;
         output g: fixed<8, 4> = clamp(x, -1.5, 2.25);
         output h: fixed<8, 4> = x * 0.4375 - 1.0;",
        0,
        3,
    );
}

#[test]
fn if_arms_with_path_ranges_match_interpreter() {
    check_program(
        "const A = 1.5;
         input garbler x: fixed<10, 5>;
         let ax: ufixed<10, 5> = abs(x);
         let k = sign(x);
         output y: fixed<10, 5> = if ax <= A {
             k * (-0.25 * ax * ax + ax + 0.0625)
         } else if ax <= 2.5 {
             k * (-0.125 * ax * ax + 0.5 * ax + 0.5)
         } else {
             k
         };
         output n: fixed<10, 5> = if x < 0 { -x } else { x };
         output m: fixed<10, 5> = if x >= 1 { x - 1 } else { 0.0 };",
        0,
        4,
    );
}

#[test]
fn masked_activation_shape_matches_interpreter() {
    check_program(
        "input garbler xr: uint<12>;
         input evaluator r: uint<12>;
         let x: fixed<12, 6> = xr - r;
         let t: fixed<8, 4> = x;
         output y: uint<8> = (if t < 0 { 0.0 } else { t }) + 0.5;",
        3000,
        5,
    );
}

#[test]
fn functions_loops_and_mutation_match_interpreter() {
    check_program(
        "fn relu(v: fixed<8, 3>) -> fixed<8, 3> { if v < 0 { 0.0 } else { v } }
         input garbler x: fixed<8, 3>;
         input evaluator y: fixed<6, 3>;
         let mut acc: fixed<12, 3> = 0.0;
         for i in 0..3 { acc = acc + relu(x) * 0.5 - y; }
         output o: fixed<12, 3> = acc;",
        3000,
        6,
    );
}

#[test]
fn wide_values_up_to_128_bits_match_interpreter() {
    check_program(
        "input garbler a: int<120>;
         input evaluator b: uint<64>;
         input evaluator c: fixed<40, 30>;
         output s: int<127> = a + b;
         output d: int<128> = (a >> 8) - b;
         output p: fixed<106, 30> = (b as fixed<66, 0>) * c;
         output q: uint<128> = a;
         output lt: bool = a < b;
         output e: bool = c == 0.5;
         output m: int<121> = max(a, b) - min(a, -1);
         output n: ufixed<64, 10> = abs(c) + (b >> 60);",
        20_000,
        9,
    );
}
