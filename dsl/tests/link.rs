//! `extern fn` and linking (README §7): a program bound to an external function behaves as
//! its inlined body, its names never meet the caller's, and every interface mismatch is a
//! located error naming both files.

use gcc_nn_dsl::{self as dsl, Link};

const WRAPPER: &str = "\
const A = 100;
type T = fixed<16, 12>;
fn f(v: int<8>) -> int<8> { v + 1 }
extern fn act(x: T) -> T;
input garbler a: fixed<16, 12>;
input garbler b: int<8>;
output y: fixed<24, 12> = act(a) + act(a * 2) + f(b) + A;
";

/// An activation that reuses the wrapper's names for other things.
const ACT: &str = "\
const A = 0.5;
type T = fixed<16, 12>;
fn f(v: T) -> T { v * A }
input garbler x: T;
let h = f(x);
output y: T = if x < 0 { 0 } else { h };
";

fn checked(src: &str, file: &str) -> dsl::core::Program {
    dsl::check(src, file).unwrap_or_else(|d| panic!("{}", d.render()))
}

fn link<'a>(program: &'a dsl::core::Program, source: &'a str, file: &'a str) -> Link<'a> {
    Link {
        name: "act",
        program,
        file,
        source,
    }
}

fn link_err(wrapper: &str, act_src: &str) -> dsl::Diagnostics {
    let act = checked(act_src, "act.dsl");
    dsl::check_linked(wrapper, "wrap.dsl", &[], &[link(&act, act_src, "act.dsl")])
        .expect_err("must not link")
}

fn raw(v: f64) -> u128 {
    ((v * 4096.0) as i64 as u128) & 0xffff
}

#[test]
fn linked_program_is_inlined_with_its_own_names() {
    let act = checked(ACT, "act.dsl");
    let p = dsl::check_linked(WRAPPER, "wrap.dsl", &[], &[link(&act, ACT, "act.dsl")])
        .unwrap_or_else(|d| panic!("{}", d.render()));
    let it = dsl::Interpreter::new(&p);
    let out_ty = p.outputs[0].ty.num().expect("numeric");
    for (a, b) in [(1.5, 3i64), (-1.0, -5), (0.25, 0), (3.0, 126)] {
        let out = it.run(&[raw(a), (b as u128) & 0xff]).expect("runs")[0];
        // act(x) = max-ish(x) * 0.5 (the activation's A), f(b) = b + 1 (the wrapper's f), + 100
        let act = |x: f64| if x < 0.0 { 0.0 } else { x * 0.5 };
        let want = act(a) + act(a * 2.0) + (b + 1) as f64 + 100.0;
        let got = out_ty.to_bigint(out);
        assert_eq!(got, ((want * 4096.0) as i64).into(), "a = {a}, b = {b}");
    }
}

#[test]
fn two_inputs_is_an_error_naming_both_files() {
    let two = "input garbler x: fixed<16, 12>;\ninput garbler z: fixed<16, 12>;\noutput y: fixed<16, 12> = x + z;\n";
    let d = link_err(WRAPPER, two);
    let text = d.render();
    assert!(text.starts_with("wrap.dsl:4:1: error:"), "{text}");
    assert!(
        text.contains("act.dsl") && text.contains("has 2 inputs"),
        "{text}"
    );
    assert!(
        text.contains("act.dsl:2:15"),
        "names the second input's place: {text}"
    );
    // the activation-side check locates the extra input in the activation's file
    let p = checked(two, "act.dsl");
    let t = dsl::Ty::Num(dsl::NumTy {
        signed: true,
        width: 16,
        frac: 12,
    });
    let e = dsl::check_interface(&p, "act.dsl", two, &[t], t).expect_err("two inputs");
    assert_eq!(e.locations(), ["act.dsl:2:15"], "{}", e.render());
}

#[test]
fn wrong_parameter_type_is_an_error_at_the_parameter() {
    let narrow = "\n\ninput garbler x: fixed<16, 8>;\noutput y: fixed<16, 12> = x;\n";
    let d = link_err(WRAPPER, narrow);
    assert_eq!(d.locations(), ["wrap.dsl:4:18"], "{}", d.render());
    let text = d.render();
    assert!(
        text.contains("act.dsl:3:15") && text.contains("fixed<16, 8>"),
        "{text}"
    );
}

#[test]
fn wrong_result_type_is_an_error_at_the_return_type() {
    let wide = "input garbler x: fixed<16, 12>;\noutput y: fixed<20, 12> = x;\n";
    let d = link_err(WRAPPER, wide);
    assert_eq!(d.locations(), ["wrap.dsl:4:24"], "{}", d.render());
    assert!(d.render().contains("act.dsl:2:8"), "{}", d.render());
}

#[test]
fn two_outputs_is_an_error() {
    let two = "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = x;\noutput w: fixed<16, 12> = x;\n";
    let d = link_err(WRAPPER, two);
    assert!(d.render().contains("has 2 outputs"), "{}", d.render());
    assert_eq!(d.locations(), ["wrap.dsl:4:1"]);
}

#[test]
fn unlinked_extern_is_an_error_at_its_declaration() {
    let d = dsl::check(WRAPPER, "wrap.dsl").expect_err("unlinked");
    assert_eq!(d.locations(), ["wrap.dsl:4:1"], "{}", d.render());
    assert!(
        d.render().contains("`extern fn act` is not linked"),
        "{}",
        d.render()
    );
}

#[test]
fn link_to_an_undeclared_extern_is_an_error_naming_both_files() {
    let act = checked(ACT, "act.dsl");
    let plain = "input garbler a: fixed<16, 12>;\noutput y: fixed<16, 12> = a;\n";
    let d = dsl::check_linked(plain, "wrap.dsl", &[], &[link(&act, ACT, "act.dsl")])
        .expect_err("nothing to bind");
    let text = d.render();
    assert!(
        text.contains(
            "act.dsl is linked as `extern fn act`, but wrap.dsl declares no such function"
        ),
        "{text}"
    );
}

#[test]
fn extern_names_are_checked_like_functions() {
    let act = checked(ACT, "act.dsl");
    let l = [link(&act, ACT, "act.dsl")];
    let dup = "fn act(x: fixed<16, 12>) -> fixed<16, 12> { x }\nextern fn act(x: fixed<16, 12>) -> fixed<16, 12>;\ninput garbler a: fixed<16, 12>;\noutput y: fixed<16, 12> = a;\n";
    let d = dsl::check_linked(dup, "wrap.dsl", &[], &l).expect_err("defined twice");
    assert!(
        d.render().contains("function `act` is defined twice"),
        "{}",
        d.render()
    );
    let builtin = "extern fn abs(x: fixed<16, 12>) -> fixed<16, 12>;\ninput garbler a: fixed<16, 12>;\noutput y: fixed<16, 12> = a;\n";
    let d = dsl::check(builtin, "wrap.dsl").expect_err("builtin");
    assert!(d.render().contains("`abs` is a builtin"), "{}", d.render());
    let arity = "extern fn act(x: fixed<16, 12>) -> fixed<16, 12>;\ninput garbler a: fixed<16, 12>;\noutput y: fixed<16, 12> = act(a, a);\n";
    let d = dsl::check_linked(arity, "wrap.dsl", &[], &l).expect_err("arity");
    assert!(
        d.render().contains("`act` takes 1 argument, found 2"),
        "{}",
        d.render()
    );
}

#[test]
fn extern_declaration_has_no_body() {
    let src = "extern fn act(x: fixed<16, 12>) -> fixed<16, 12> { x }\n";
    let d = dsl::parse(src, "wrap.dsl").expect_err("body");
    assert_eq!(d.locations(), ["wrap.dsl:1:50"], "{}", d.render());
    assert!(
        d.render()
            .contains("expected `;` after an extern function's signature"),
        "{}",
        d.render()
    );
}
