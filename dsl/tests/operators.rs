//! Every operator's semantics at the edges (dsl/README.md §4–§6): expected values are
//! worked out by hand from the specification, not produced by the interpreter.

use gcc_nn_dsl::{self as dsl, Ty};

/// Checks `src`, runs it on the given input texts, returns each output as exact decimal.
fn run(src: &str, inputs: &[&str]) -> Vec<String> {
    let p = dsl::check(src, "t.dsl").unwrap_or_else(|d| panic!("{}", d.render()));
    let raws: Vec<u128> = p
        .inputs
        .iter()
        .zip(inputs)
        .map(|(i, t)| dsl::parse_value(t, &i.ty).expect("input fits"))
        .collect();
    let out = dsl::interpret(&p, &raws).expect("runs");
    p.outputs
        .iter()
        .zip(out)
        .map(|(o, v)| dsl::format_value(v, &o.ty))
        .collect()
}

/// The type the checker gives output `name`'s value before conversion: found by stating
/// the output with a type alias-free `let` and reading the core node type.
fn let_type(src: &str, var: &str) -> Ty {
    let full = format!("{src}\noutput probe: bool = true;");
    let p = dsl::check(&full, "t.dsl").unwrap_or_else(|d| panic!("{}", d.render()));
    let _ = var;
    // The last numeric node before the probe is the let's value.
    let tys = p.var_types();
    *tys.iter()
        .rev()
        .find(|t| **t != Ty::Bool)
        .expect("a numeric node")
}

fn one(src: &str, inputs: &[&str]) -> String {
    run(src, inputs).remove(0)
}

#[test]
fn addition_is_exact_and_widens() {
    let src = "input garbler a: int<8>; input garbler b: int<8>;
               output s: int<9> = a + b; output w: int<8> = a + b;";
    assert_eq!(run(src, &["127", "127"]), ["254", "-2"]); // the stated int<8> wraps
    assert_eq!(run(src, &["-128", "-128"]), ["-256", "0"]);
    assert_eq!(
        let_type(
            "input garbler a: int<8>; input garbler b: int<8>; let s = a + b;",
            "s"
        ),
        Ty::Num(dsl::NumTy::signed(9, 0))
    );
    assert_eq!(
        let_type(
            "input garbler a: uint<8>; input garbler b: uint<8>; let s = a - b;",
            "s"
        ),
        Ty::Num(dsl::NumTy::signed(9, 0))
    );
}

#[test]
fn subtraction_of_unsigned_goes_negative() {
    let src = "input garbler a: uint<8>; input garbler b: uint<8>; output d: int<9> = a - b;";
    assert_eq!(one(src, &["0", "255"]), "-255");
    assert_eq!(one(src, &["255", "0"]), "255");
}

#[test]
fn multiplication_exact_and_most_negative() {
    let src = "input garbler a: int<8>; input garbler b: int<8>; output p: int<16> = a * b;";
    assert_eq!(one(src, &["-128", "-128"]), "16384"); // needs the full int<16>
    assert_eq!(one(src, &["-128", "127"]), "-16256");
    let fx = "input garbler a: fixed<8, 4>; input garbler b: fixed<8, 4>;
              output p: fixed<16, 8> = a * b; output q: fixed<8, 4> = a * b;";
    // -0.0625 * 0.0625 = -1/256: exact in frac 8; floored to frac 4 gives -1/16.
    assert_eq!(run(fx, &["-0.0625", "0.0625"]), ["-0.00390625", "-0.0625"]);
    // 7.9375^2 = 63.00390625 -> frac 4 floor 63.0 -> wraps in fixed<8,4> (range -8..8): 63 mod 16 = 15 -> -1
    assert_eq!(run(fx, &["7.9375", "7.9375"]), ["63.00390625", "-1"]);
}

#[test]
fn negation_and_abs_of_most_negative() {
    let src = "input garbler a: int<8>; output n: int<9> = -a; output m: uint<8> = abs(a);
               output w: int<8> = -a;";
    assert_eq!(run(src, &["-128"]), ["128", "128", "-128"]);
    assert_eq!(run(src, &["127"]), ["-127", "127", "-127"]);
    assert_eq!(run(src, &["0"]), ["0", "0", "0"]);
    assert_eq!(
        let_type("input garbler a: int<16>; let m = abs(a);", "m"),
        Ty::Num(dsl::NumTy::unsigned(16, 0))
    );
}

#[test]
fn sign_builtin() {
    let src = "input garbler a: fixed<8, 4>; output s: int<2> = sign(a);";
    assert_eq!(one(src, &["-8"]), "-1");
    assert_eq!(one(src, &["-0.0625"]), "-1");
    assert_eq!(one(src, &["0"]), "0");
    assert_eq!(one(src, &["0.0625"]), "1");
}

#[test]
fn right_shift_floors_negatives() {
    let src = "input garbler a: int<8>; output s: int<8> = a >> 1; output t: int<8> = a >> 7;";
    assert_eq!(run(src, &["-1"]), ["-1", "-1"]);
    assert_eq!(run(src, &["-3"]), ["-2", "-1"]);
    assert_eq!(run(src, &["3"]), ["1", "0"]);
    assert_eq!(run(src, &["-128"]), ["-64", "-1"]);
    let fx = "input garbler a: fixed<8, 2>; output s: fixed<8, 2> = a >> 1;";
    assert_eq!(one(fx, &["-0.25"]), "-0.25"); // raw -1 >> 1 = -1
    assert_eq!(one(fx, &["0.75"]), "0.25"); // raw 3 >> 1 = 1
}

#[test]
fn left_shift_is_exact() {
    let src = "input garbler a: int<8>; output s: int<16> = a << 8; output w: int<8> = a << 1;";
    assert_eq!(run(src, &["-128"]), ["-32768", "0"]);
    assert_eq!(run(src, &["100"]), ["25600", "-56"]);
}

#[test]
fn casts_floor_then_wrap() {
    let src = "input garbler a: fixed<16, 8>;
               output i: int<8> = a as int<8>; output u: uint<8> = a as uint<8>;
               output f: fixed<8, 1> = a;";
    assert_eq!(run(src, &["-0.75"]), ["-1", "255", "-1"]); // floor(-0.75) = -1; -0.75 at frac 1 floors to -1.0
    assert_eq!(run(src, &["-0.25"]), ["-1", "255", "-0.5"]);
    assert_eq!(run(src, &["2.99609375"]), ["2", "2", "2.5"]);
    assert_eq!(run(src, &["127.99609375"]), ["127", "127", "-0.5"]); // 255 raw at frac1 wraps to -1 raw
    let w = "input garbler a: int<16>; output b: int<8> = a as int<8>; output c: uint<8> = a as uint<8>;";
    assert_eq!(run(w, &["300"]), ["44", "44"]);
    assert_eq!(run(w, &["200"]), ["-56", "200"]);
    assert_eq!(run(w, &["-1"]), ["-1", "255"]);
    assert_eq!(run(w, &["-32768"]), ["0", "0"]);
}

#[test]
fn cast_widening_fraction_is_exact() {
    let src = "input garbler a: int<4>; output f: fixed<8, 3> = a; output g: fixed<6, 3> = a;";
    assert_eq!(run(src, &["-8"]), ["-8", "0"]); // -64 raw wraps to 0 in 6 bits
    assert_eq!(run(src, &["3"]), ["3", "3"]);
}

#[test]
fn bool_casts() {
    let src = "input garbler b: bool; output x: fixed<8, 4> = b as fixed<8, 4>; output y: uint<1> = b as uint<1>;";
    assert_eq!(run(src, &["true"]), ["1", "1"]);
    assert_eq!(run(src, &["false"]), ["0", "0"]);
    // 1.0 does not fit fixed<4,4> (range -0.5..0.4375): wraps to raw 16 mod 16 = 0
    let w = "input garbler b: bool; output x: fixed<4, 4> = b as fixed<4, 4>;";
    assert_eq!(one(w, &["true"]), "0");
}

#[test]
fn mixed_formats_align_exactly() {
    let src = "input garbler a: fixed<8, 4>; input garbler b: uint<8>;
               output s: fixed<16, 4> = a + b; output lt: bool = a < b; output eq: bool = a == b;
               output mn: fixed<16, 4> = min(a, b); output mx: fixed<16, 4> = max(a, b);";
    assert_eq!(
        run(src, &["-8", "255"]),
        ["247", "true", "false", "-8", "255"]
    );
    assert_eq!(run(src, &["3", "3"]), ["6", "false", "true", "3", "3"]);
    assert_eq!(
        run(src, &["3.0625", "3"]),
        ["6.0625", "false", "false", "3", "3.0625"]
    );
    // signed vs unsigned comparison never reinterprets bits
    let c = "input garbler a: int<8>; input garbler b: uint<8>; output lt: bool = a < b;";
    assert_eq!(one(c, &["-1", "255"]), "true");
    assert_eq!(one(c, &["-128", "0"]), "true");
    assert_eq!(one(c, &["127", "128"]), "true");
}

#[test]
fn comparisons_with_constants_are_exact() {
    let src = "input garbler x: fixed<16, 12>;
               output le: bool = x <= 1.52; output lt: bool = x < 1.52; output gt: bool = x > 1.52;
               output eq: bool = x == 1.52; output ne: bool = x != 1.52; output ge: bool = 1.52 <= x;";
    // 1.52 * 4096 = 6225.92: raw 6225 is below, 6226 above.
    assert_eq!(
        run(src, &["0x1851"]),
        ["true", "true", "false", "false", "true", "false"]
    ); // 6225
    assert_eq!(
        run(src, &["0x1852"]),
        ["false", "false", "true", "false", "true", "true"]
    ); // 6226
    let exact =
        "input garbler x: fixed<16, 12>; output le: bool = x <= 0.5; output eq: bool = x == 0.5;";
    assert_eq!(run(exact, &["0.5"]), ["true", "true"]);
    assert_eq!(run(exact, &["0.500244140625"]), ["false", "false"]);
}

#[test]
fn literal_quantisation_rounds_half_away_from_zero() {
    let src = "input garbler x: fixed<8, 2>;
               output a: fixed<8, 2> = 0.125; output b: fixed<8, 2> = -0.125;
               output c: fixed<8, 2> = 0.1; output d: fixed<8, 2> = x + 0.375;";
    // 0.125 = half an ulp (0.25) -> 0.25; -0.125 -> -0.25; 0.1 -> 0; 0.375 = 1.5 ulp -> 2 ulp
    assert_eq!(run(src, &["0"]), ["0.25", "-0.25", "0", "0.5"]);
}

#[test]
fn literal_out_of_range_is_a_compile_error() {
    for src in [
        "output a: fixed<8, 4> = 8.0;",
        "output a: uint<8> = -1;",
        "output a: int<8> = 127.5;", // rounds to 128
        "output a: fixed<8, 4> = 7.97;",
        "input garbler x: int<4>; output a: int<4> = x + (200 as int<8>);",
    ] {
        let err = dsl::check(src, "t.dsl").expect_err(src);
        let text = err.render();
        assert!(text.contains("does not fit"), "{src}: {text}");
        assert!(text.contains("t.dsl:1:"), "{text}");
    }
    // the largest representable value is fine
    assert_eq!(one("output a: fixed<8, 4> = 7.9375;", &[]), "7.9375");
    assert_eq!(one("output a: int<8> = -128;", &[]), "-128");
}

#[test]
fn if_else_unifies_formats() {
    let src = "input garbler c: bool; input garbler a: fixed<8, 4>; input garbler b: uint<8>;
               output y: fixed<16, 4> = if c { a } else { b };
               output z: fixed<8, 4> = if c { a } else { 1.5 };";
    assert_eq!(run(src, &["true", "-8", "200"]), ["-8", "-8"]);
    assert_eq!(run(src, &["false", "-8", "200"]), ["200", "1.5"]);
}

#[test]
fn logic_operators() {
    let src = "input garbler a: bool; input garbler b: bool;
               output and: bool = a && b; output or: bool = a || b; output xor: bool = a ^ b;
               output not: bool = !a; output eq: bool = a == b;";
    assert_eq!(
        run(src, &["true", "false"]),
        ["false", "true", "true", "false", "false"]
    );
    assert_eq!(
        run(src, &["true", "true"]),
        ["true", "true", "false", "false", "true"]
    );
}

#[test]
fn clamp_min_max() {
    let src = "input garbler x: fixed<16, 8>; output y: fixed<16, 8> = clamp(x, -1, 0.5);";
    assert_eq!(one(src, &["-100"]), "-1");
    assert_eq!(one(src, &["100"]), "0.5");
    assert_eq!(one(src, &["0.25"]), "0.25");
}

#[test]
fn wide_128_bit_values() {
    let src = "input garbler a: uint<128>; input evaluator b: uint<127>;
               output d: fixed<128, 0> = a - b; output w: uint<128> = a + b;";
    let max = "340282366920938463463374607431768211455";
    // a - b fits int<129>? no: range -2^127+1 .. 2^128-1 needs 129 bits -> rejected
    assert!(dsl::check(src, "t.dsl").is_err());
    let ok = "input garbler a: uint<127>; input evaluator b: uint<127>;
              output d: int<128> = a - b; output s: uint<128> = a + b;";
    let big = "170141183460469231731687303715884105727"; // 2^127 - 1
    assert_eq!(run(ok, &[big, "0"]), [big, big]);
    assert_eq!(run(ok, &["0", big]), [format!("-{big}"), big.to_string()]);
    assert_eq!(
        run(ok, &[big, big]),
        ["0", &(u128::MAX - 1).to_string()[..]]
    );
    let m = "input garbler a: uint<64>; input garbler b: uint<64>; output p: uint<128> = a * b;";
    let u64max = u64::MAX.to_string();
    let _ = max;
    assert_eq!(
        one(m, &[&u64max, &u64max]),
        (u128::from(u64::MAX) * u128::from(u64::MAX)).to_string()
    );
}

#[test]
fn functions_loops_and_mutation() {
    let src = "
        const N = 4;
        fn twice(v: int<8>) -> int<9> { v + v }
        input garbler x: int<8>;
        let mut acc: int<16> = 0;
        for i in 0..N { acc = acc + twice(x) * i; }
        output y: int<16> = acc;";
    // 2x·(0+1+2+3) = 12x
    assert_eq!(one(src, &["-128"]), "-1536");
    let over = dsl::check_with(src, "t.dsl", &[("N".into(), "6".into())]).expect("checks");
    let raw = dsl::parse_value("10", &over.inputs[0].ty).expect("fits");
    let out = dsl::interpret(&over, &[raw]).expect("runs");
    assert_eq!(dsl::format_value(out[0], &over.outputs[0].ty), "300"); // 20 * 15
}

#[test]
fn overriding_unknown_constant_fails() {
    let err = dsl::check_with(
        "output y: int<4> = 1;",
        "t.dsl",
        &[("K".into(), "3".into())],
    )
    .expect_err("no K");
    assert!(
        err.render().contains("no constant of that name"),
        "{}",
        err.render()
    );
    let err = dsl::check_with(
        "const K = 1; output y: int<4> = K;",
        "t.dsl",
        &[("K".into(), "x".into())],
    )
    .expect_err("bad value");
    assert!(err.render().contains("not a number"));
}

#[test]
fn core_ir_invariants_for_the_compiler() {
    use dsl::core::{BinOp, Op};
    let src = "input garbler a: fixed<8, 4>; input garbler b: int<8>;
               output y: fixed<16, 4> = if a < b { a + b } else { a * 2 };";
    let p = dsl::check(src, "t.dsl").expect("checks");
    let tys = p.var_types();
    fn walk(nodes: &[dsl::core::Node], tys: &[Ty], ifs: &mut usize) {
        for n in nodes {
            match &n.op {
                Op::Binary(BinOp::Add | BinOp::Sub | BinOp::Lt, x, y) => {
                    let (fx, fy) = (
                        tys[*x as usize].num().expect("n").frac,
                        tys[*y as usize].num().expect("n").frac,
                    );
                    assert_eq!(fx, fy, "operands aligned");
                }
                Op::If {
                    then_block,
                    else_block,
                    ..
                } => {
                    *ifs += 1;
                    assert_eq!(tys[then_block.result as usize], n.ty);
                    assert_eq!(tys[else_block.result as usize], n.ty);
                    walk(&then_block.nodes, tys, ifs);
                    walk(&else_block.nodes, tys, ifs);
                }
                _ => {}
            }
        }
    }
    let mut ifs = 0;
    walk(&p.body, &tys, &mut ifs);
    assert_eq!(ifs, 1, "if/else stays structured");
    assert_eq!(p.inputs[0].party, dsl::Party::Garbler);
}
