//! compiler::link: a program whose `extern fn` is bound to another DSL program compiles to
//! the circuit of the inlined whole; errors name the file they are in.

use gcc_nn_compiler::{CompileOptions, link};

const WRAPPER: &str = "extern fn act(x: fixed<16, 12>) -> fixed<16, 12>;\n\
    input garbler a: fixed<16, 12>;\ninput evaluator b: fixed<16, 12>;\n\
    output y: fixed<17, 12> = act(a) + b;\n";
const RELU: &str = "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = max(x, 0);\n";

fn relu(source: &str) -> [link::LinkSource<'_>; 1] {
    [link::LinkSource {
        name: "act",
        source,
        file: "relu.dsl",
    }]
}

#[test]
fn linked_relu_plus_b_simulates_like_the_formula() {
    let c = link::compile_linked_sources(WRAPPER, "w.dsl", &relu(RELU), &CompileOptions::default())
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let raw = |v: i64| (v as u128) & 0xffff;
    let tuples: Vec<Vec<u128>> = [
        (-4096i64, 100i64),
        (4096, -5),
        (0, 0),
        (32767, 32767),
        (-32768, -32768),
    ]
    .iter()
    .map(|&(a, b)| vec![raw(a), raw(b)])
    .collect();
    let out = gcc_nn_compiler::simulate::simulate_raw(&c, &tuples);
    for ((t, o), (a, b)) in tuples.iter().zip(&out).zip([
        (-4096i64, 100i64),
        (4096, -5),
        (0, 0),
        (32767, 32767),
        (-32768, -32768),
    ]) {
        let want = a.max(0) + b;
        assert_eq!(o[0], (want as u128) & 0x1ffff, "{t:?}");
    }
    // the same as writing max(a, 0) + b by hand
    let by_hand = "input garbler a: fixed<16, 12>;\ninput evaluator b: fixed<16, 12>;\n\
        output y: fixed<17, 12> = max(a, 0) + b;\n";
    let h = gcc_nn_compiler::compile_source(by_hand, "h.dsl", &CompileOptions::default())
        .expect("compiles");
    assert_eq!(c.and_count(), h.and_count());
}

#[test]
fn errors_name_their_file() {
    let bad = "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = max(x, );\n";
    let e = link::compile_linked_sources(WRAPPER, "w.dsl", &relu(bad), &CompileOptions::default())
        .expect_err("the activation does not parse");
    assert!(
        e.render()
            .starts_with("relu.dsl:2:27: error: `max` takes 2 arguments"),
        "{}",
        e.render()
    );
    let wrong = "input garbler x: fixed<16, 8>;\noutput y: fixed<16, 12> = x;\n";
    let e =
        link::compile_linked_sources(WRAPPER, "w.dsl", &relu(wrong), &CompileOptions::default())
            .expect_err("interface");
    let text = e.render();
    assert!(
        text.starts_with("w.dsl:1:18: error:") && text.contains("relu.dsl:1:15"),
        "{text}"
    );
}
