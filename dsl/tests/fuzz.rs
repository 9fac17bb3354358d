//! Robustness: random byte strings, random mutations of valid programs and pathological
//! nesting never panic the parser, the checker, the renderer or the interpreter.

use gcc_nn_dsl as dsl;
use proptest::prelude::*;

fn circuit(name: &str) -> String {
    let path = format!("{}/../circuits/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("circuit file")
}

fn seeds() -> Vec<String> {
    let mut v: Vec<String> = [
        "tanh.dsl",
        "wrappers/masked.dsl",
        "wrappers/shares.dsl",
        "relu.dsl",
        "sigmoid.dsl",
    ]
    .iter()
    .map(|n| circuit(n))
    .collect();
    v.push(
        "const N = 3;\nfn f(a: int<8>, b: uint<4>) -> int<12> { min(a, b) << 2 }\n\
         input garbler x: int<8>;\ninput evaluator y: uint<4>;\nlet mut s: int<16> = 0;\n\
         for i in 0..N { s = s + f(x, y) * i; }\n\
         output o: int<16> = if x < 0 && y != 3 { s } else { -s >> 1 };\n\
         output b: bool = x == 5 ^ true;\n"
            .to_string(),
    );
    v
}

const VOCAB: &[&str] = &[
    "let ",
    "mut ",
    "fn ",
    "const ",
    "input ",
    "output ",
    "garbler ",
    "evaluator ",
    "if ",
    "else ",
    "for ",
    " in ",
    " as ",
    "true",
    "false",
    "type ",
    "int<",
    "uint<",
    "fixed<",
    "ufixed<",
    "bool",
    "(",
    ")",
    "{",
    "}",
    "<",
    ">",
    ",",
    ";",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "!",
    "^",
    "<<",
    ">>",
    "==",
    "<=",
    "&&",
    "||",
    "..",
    "->",
    "0",
    "1",
    "128",
    "129",
    "200",
    "1.5",
    "0.0001",
    "1e300",
    "0xff",
    "x",
    "y",
    "a",
    "abs(",
    "sign(",
    "min(",
    "max(",
    "clamp(",
    " ",
    "\n",
    "é",
    "\t",
];

/// Applies one mutation chosen by `(kind, pos, arg)` to `src`.
fn mutate(src: &str, kind: u8, pos: usize, arg: usize) -> String {
    let chars: Vec<char> = src.chars().collect();
    if chars.is_empty() {
        return VOCAB[arg % VOCAB.len()].to_string();
    }
    let p = pos % chars.len();
    let q = (p + 1 + arg % 12).min(chars.len());
    let mut out: Vec<char> = Vec::with_capacity(chars.len() + 16);
    match kind % 4 {
        0 => {
            out.extend(&chars[..p]);
            out.extend(&chars[q..]);
        }
        1 => {
            out.extend(&chars[..p]);
            out.extend(VOCAB[arg % VOCAB.len()].chars());
            out.extend(&chars[p..]);
        }
        2 => {
            out.extend(&chars[..q]);
            out.extend(&chars[p..]);
        }
        _ => {
            out.extend(&chars[..p]);
            out.extend(VOCAB[arg % VOCAB.len()].chars());
            out.extend(&chars[q..]);
        }
    }
    out.into_iter().collect()
}

/// Checks a program; when valid, runs it on `salt`-derived inputs. Never panics.
fn exercise(src: &str, salt: u128) {
    match dsl::check(src, "fuzz.dsl") {
        Err(d) => {
            let text = d.render();
            assert!(text.contains("fuzz.dsl"), "{text}");
        }
        Ok(p) => {
            let inputs: Vec<u128> = p
                .inputs
                .iter()
                .enumerate()
                .map(|(i, inp)| {
                    let v = salt.rotate_left(i as u32 * 17) ^ (i as u128);
                    match inp.ty {
                        dsl::Ty::Bool => v & 1,
                        dsl::Ty::Num(n) => n.bits(v),
                    }
                })
                .collect();
            let out = dsl::interpret(&p, &inputs).expect("a checked program runs");
            assert_eq!(out.len(), p.outputs.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        exercise(&text, 0x1234_5678_9abc_def0);
    }

    #[test]
    fn random_token_soup_never_panics(toks in proptest::collection::vec(0..VOCAB.len(), 0..80)) {
        let text: String = toks.iter().map(|&i| VOCAB[i]).collect();
        exercise(&text, 0xdead_beef);
    }

    #[test]
    fn mutated_programs_never_panic(
        seed in 0usize..6,
        muts in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..6),
        salt in any::<u128>(),
    ) {
        let seeds = seeds();
        let mut src = seeds[seed % seeds.len()].clone();
        for (k, p, a) in muts {
            src = mutate(&src, k, p, a);
        }
        exercise(&src, salt);
    }
}

#[test]
fn pathological_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    let cases = [
        format!("output y: int<8> = {}1{};", "(".repeat(n), ")".repeat(n)),
        format!("output y: int<8> = {}1;", "-".repeat(n)),
        format!("output y: int<8> = 1{};", "+1".repeat(n)),
        format!("output y: int<8> = {}1{};", "{".repeat(n), "}".repeat(n)),
        format!(
            "{}{}output y: int<8> = 1;",
            "for i in 0..1 { ".repeat(n),
            "}".repeat(n)
        ),
        format!(
            "output y: int<8> = {} 1 {};",
            "if true {".repeat(n),
            "} else { 0 }".repeat(n)
        ),
        format!("output y: int<8> = 1 {};", "as int<8> ".repeat(n)),
        format!("output y: int<{}8{}> = 1;", "(".repeat(n), ")".repeat(n)),
    ];
    for src in &cases {
        let d = dsl::check(src, "deep.dsl").expect_err("too deep");
        assert!(d.render().contains("deep.dsl:1:"), "{}", d.render());
    }
}

#[test]
fn deep_but_legal_programs_check() {
    // 150 nested parentheses and a 150-term sum are fine.
    let src = format!(
        "output y: int<16> = {}1{} + {};",
        "(".repeat(150),
        ")".repeat(150),
        vec!["1"; 150].join(" + ")
    );
    let p = dsl::check(&src, "ok.dsl").unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(dsl::interpret(&p, &[]).expect("runs"), vec![151]);
    // nested function calls inline
    let mut chain = String::from("fn f0(x: int<16>) -> int<16> { x + 1 }\n");
    for i in 1..40 {
        chain.push_str(&format!(
            "fn f{i}(x: int<16>) -> int<16> {{ f{}(x) + 1 }}\n",
            i - 1
        ));
    }
    chain.push_str("input garbler a: int<16>;\noutput y: int<16> = f39(a);\n");
    let p = dsl::check(&chain, "chain.dsl").unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(dsl::interpret(&p, &[2]).expect("runs"), vec![42]);
}
