//! A corpus of malformed programs: each is rejected with an error located at the right
//! `file:line:col`, a caret under the source, and a message saying what was expected.

use gcc_nn_dsl as dsl;

/// (source, expected `line:col`, a fragment of the headline)
const CORPUS: &[(&str, &str, &str)] = &[
    // ---- lexical
    ("output y: int<8> = 1 # 2;", "1:22", "unexpected character"),
    ("output y: int<8> = 12abc;", "1:20", "malformed number"),
    ("output y: int<8> = 0xZZ;", "1:20", "malformed base-16"),
    (
        "/* never closed\noutput y: int<8> = 1;",
        "1:1",
        "unterminated block comment",
    ),
    ("output y: int<8> = 1e9999;", "1:20", "number too large"),
    // ---- syntax
    (
        "input garbler x: int<8>;\noutput y: int<8> = x + ;",
        "2:24",
        "expected an expression",
    ),
    ("output y: int<8> = 1", "1:21", "expected `;`"),
    ("input x: int<8>;", "1:7", "`garbler` or `evaluator`"),
    ("input garbler x int<8>;", "1:17", "expected `:`"),
    ("output y = 1;", "1:10", "expected `:`"),
    ("let = 3;", "1:5", "variable name"),
    ("let fn = 3;", "1:5", "variable name"),
    ("output y: int<8 = 1;", "1:17", "expected `>`"),
    ("output y: fixed<16> = 1;", "1:19", "expected `,`"),
    ("output y: float = 1;", "1:11", "unknown type `float`"),
    (
        "input garbler x: int<8>;\noutput y: int<8> = if x > 0 { 1 };",
        "2:34",
        "expected `else`",
    ),
    (
        "input garbler x: int<8>;\noutput y: int<8> = if x > 0 { 1; } else { 2 };",
        "2:32",
        "takes no `;`",
    ),
    (
        "input garbler x: int<8>;\noutput y: bool = 0 < x < 5;",
        "2:24",
        "comparisons cannot be chained",
    ),
    (
        "fn f(a: int<8>) { a }\noutput y: int<8> = f(1);",
        "1:17",
        "expected `->`",
    ),
    ("output y: int<8> = (1 + 2;", "1:26", "expected `)`"),
    (
        "for i in 0 4 { }\noutput y: int<8> = 1;",
        "1:12",
        "expected `..`",
    ),
    ("output y: int<8> = ;", "1:20", "expected an expression"),
    ("3 + 4;", "1:1", "expected an item"),
    // ---- names and scopes
    ("output y: int<8> = x;", "1:20", "unknown name `x`"),
    ("output y: int<8> = g(1);", "1:20", "unknown function `g`"),
    (
        "input garbler x: int<8>;\ninput garbler x: int<8>;\noutput y: int<8> = x;",
        "2:15",
        "declared twice",
    ),
    (
        "input garbler x: int<8>;\noutput y: int<8> = x;\noutput y: int<8> = x;",
        "3:8",
        "declared twice",
    ),
    (
        "const K = 1;\nconst K = 2;\noutput y: int<8> = K;",
        "2:7",
        "defined twice",
    ),
    (
        "const A = B;\nconst B = A;\noutput y: int<8> = A;",
        "1:7",
        "defined in terms of itself",
    ),
    (
        "fn f(a: int<8>) -> int<8> { f(a) }\noutput y: int<8> = f(1);",
        "1:29",
        "recursive call",
    ),
    (
        "fn abs(a: int<8>) -> int<8> { a }\noutput y: int<8> = 1;",
        "1:4",
        "builtin",
    ),
    (
        "input garbler x: int<8>;\nx = 3;\noutput y: int<8> = x;",
        "2:1",
        "not mutable",
    ),
    (
        "input garbler c: bool;\nlet mut a: int<8> = 0;\nlet b: int<8> = if c { a = 1; a } else { a };\noutput y: int<8> = b;",
        "3:24",
        "inside an `if` arm",
    ),
    (
        "input garbler x: int<8>;\nlet mut m = 1;\noutput y: int<8> = x;",
        "2:9",
        "needs a stated type",
    ),
    // ---- types
    (
        "output y: int<0> = 0;",
        "1:15",
        "bit width 0 is out of range",
    ),
    ("output y: int<129> = 0;", "1:15", "out of range"),
    (
        "output y: fixed<8, 200> = 0;",
        "1:20",
        "fractional bits is out of range",
    ),
    (
        "input garbler n: int<8>;\noutput y: int<n> = 0;",
        "2:15",
        "compile time",
    ),
    ("output y: int<8> = 300;", "1:20", "does not fit int<8>"),
    ("output y: uint<8> = -1;", "1:21", "does not fit uint<8>"),
    (
        "input garbler x: int<8>;\noutput y: bool = x;",
        "2:18",
        "expected a value of type bool",
    ),
    (
        "input garbler b: bool;\noutput y: int<8> = b + 1;",
        "2:20",
        "expected a number, found a bool",
    ),
    (
        "input garbler x: int<8>;\noutput y: bool = x && true;",
        "2:18",
        "expected a bool",
    ),
    (
        "input garbler x: int<8>;\noutput y: int<8> = if x { 1 } else { 2 };",
        "2:23",
        "expected a bool",
    ),
    (
        "input garbler x: int<8>;\ninput garbler b: bool;\noutput y: int<8> = if b { x } else { b };",
        "3:38",
        "expected a value of type int<8>, found bool",
    ),
    (
        "input garbler x: int<8>;\ninput garbler b: bool;\nlet v = if b { x } else { b };\noutput y: int<8> = v;",
        "3:9",
        "different types",
    ),
    (
        "input garbler b: bool;\nlet v = if b { 1 } else { 2 };\noutput y: int<8> = v;",
        "2:9",
        "both constants",
    ),
    (
        "input garbler x: int<8>;\noutput y: int<8> = x >> x;",
        "2:25",
        "shift amounts must be compile-time",
    ),
    (
        "input garbler x: int<8>;\noutput y: int<8> = x / 2;",
        "2:20",
        "only allowed between compile-time constants",
    ),
    (
        "input garbler x: int<8>;\noutput y: int<8> = x as bool;",
        "2:25",
        "cannot cast to bool",
    ),
    (
        "input garbler x: uint<128>;\ninput garbler z: uint<128>;\noutput y: uint<8> = x * z;",
        "3:21",
        "more than the maximum of 128",
    ),
    (
        "fn f(a: int<8>) -> int<8> { a }\noutput y: int<8> = f(1, 2);",
        "2:20",
        "takes 1 argument",
    ),
    ("output y: int<8> = min(1);", "1:20", "takes 2 arguments"),
    (
        "const K = 1 / 0;\noutput y: int<8> = K;",
        "1:15",
        "division by zero",
    ),
    (
        "for i in 0..2000000 { }\noutput y: int<8> = 1;",
        "1:10",
        "too many loop iterations",
    ),
    ("input garbler x: int<8>;\nlet z = x;", "2:11", "no output"),
    (
        "const W = 1.5;\noutput y: int<W> = 0;",
        "2:15",
        "small integer",
    ),
    (
        "type T = T;\noutput y: T = 0;",
        "1:6",
        "defined in terms of itself",
    ),
];

#[test]
fn corpus_is_large_enough() {
    assert!(CORPUS.len() >= 30, "{} programs", CORPUS.len());
}

#[test]
fn every_malformed_program_is_rejected_with_a_located_message() {
    let mut failures = Vec::new();
    for (src, loc, fragment) in CORPUS {
        let result = std::panic::catch_unwind(|| dsl::check(src, "bad.dsl"));
        let Ok(result) = result else {
            failures.push(format!("PANIC on {src:?}"));
            continue;
        };
        let Err(diags) = result else {
            failures.push(format!("accepted {src:?}"));
            continue;
        };
        let text = diags.render();
        let want_loc = format!("bad.dsl:{loc}: error:");
        if !text.contains(&want_loc) || !text.contains(fragment) {
            failures.push(format!(
                "{src:?}\n  wanted {want_loc} … {fragment}\n  got {text}"
            ));
            continue;
        }
        // The snippet shows the offending line, marks the span and labels it.
        let line_no: usize = loc
            .split(':')
            .next()
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let line = src.lines().nth(line_no.saturating_sub(1)).unwrap_or("");
        if !text.contains(&format!("{line_no} | {line}")) || !text.contains("`-") {
            failures.push(format!("{src:?}: no source line / marked span in\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The terminal column (0-based, after the ` N | ` gutter) of the first span marker under
/// the source line that ends with `src_line`.
fn marker_column(text: &str, src_line: &str) -> (usize, char) {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(src_line))
        .unwrap_or_else(|| panic!("source line {src_line:?} in\n{text}"));
    let gutter = lines[at].find(" | ").expect("gutter") + 3;
    let under: Vec<char> = lines[at + 1].chars().collect();
    let col = (gutter..under.len())
        .find(|&i| under[i] != ' ')
        .unwrap_or_else(|| panic!("no marker under the line in\n{text}"));
    (col - gutter, under[col])
}

#[test]
fn caret_sits_under_the_span() {
    let src = "output y: int<8> = 300;";
    let text = dsl::check(src, "f.dsl").expect_err("out of range").render();
    assert!(
        text.starts_with("f.dsl:1:20: error: the constant 300 does not fit int<8>\n"),
        "{text}"
    );
    assert_eq!(
        marker_column(&text, src),
        (src.find("300").expect("300"), '^'),
        "{text}"
    );
    assert!(
        text.contains("`--- expected a value between -128 and 127"),
        "{text}"
    );
}

#[test]
fn caret_counts_wide_characters_as_two_columns() {
    // Each CJK character takes two terminal columns: the marker must move right by two
    // per character, not one (the old renderer counted characters).
    let src = "output y: int<8> = /* 漢字 */ 300;";
    let text = dsl::check(src, "f.dsl").expect_err("out of range").render();
    // The headline counts characters (editors' columns)…
    assert!(text.starts_with("f.dsl:1:29: error:"), "{text}");
    // …the marker sits under `300` on the screen.
    let before = &src[..src.find("300").expect("300")];
    let screen_col = before.chars().count() + before.chars().filter(|c| !c.is_ascii()).count();
    assert_eq!(marker_column(&text, src), (screen_col, '^'), "{text}");
}

#[test]
fn secondary_places_are_labelled_in_the_same_snippet() {
    let src = "const A = 1;\nconst A = 2;\noutput y: int<8> = A;";
    let text = dsl::check(src, "d.dsl").expect_err("twice").render();
    assert!(
        text.starts_with("d.dsl:2:7: error: constant `A` is defined twice\n"),
        "{text}"
    );
    let first = text
        .find("1 | const A = 1;")
        .expect("first definition shown");
    let second = text
        .find("2 | const A = 2;")
        .expect("second definition shown");
    assert!(first < second, "{text}");
    assert!(text.contains("`-- first defined here"), "{text}");
    assert!(text.contains("`-- expected a new constant name"), "{text}");
    assert_eq!(text.matches(",-[").count(), 1, "one snippet: {text}");
}

#[test]
fn colour_only_when_asked() {
    let d = dsl::check("output y: int<8> = 300;", "c.dsl").expect_err("out of range");
    let plain = d.render();
    assert!(!plain.contains('\x1b'), "{plain}");
    assert!(plain.is_ascii(), "{plain}");
    let coloured = d.render_with(dsl::Style::Terminal);
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(coloured.contains("c.dsl:1:20: error:"), "{coloured}");
    // Tests are not run on a terminal: the stderr style is plain there.
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        assert_eq!(dsl::Style::for_stderr(), dsl::Style::Plain);
    }
}

#[test]
fn help_and_unlocated_errors_render() {
    let err = dsl::check_with(
        "const N = 1;\noutput y: int<8> = N;",
        "h.dsl",
        &[("N".into(), "abc".into())],
    )
    .expect_err("bad override");
    let text = err.render();
    assert!(
        text.starts_with("h.dsl: error: cannot override `N`"),
        "{text}"
    );
    assert!(text.contains("help: write -D NAME=VALUE"), "{text}");
}
