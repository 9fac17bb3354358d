//! The `Activation` type: shipped names, files, resolution, interface errors, the plaintext
//! table against the compiled plain circuit on every input, saturation, output widths.

use gcc_nn_activation::{
    Activation, ActivationError, MAX_RAW, MIN_RAW, MaskedParams, SHIPPED, TABLE_LEN, saturate,
};
use std::io::Write;

/// The compiled plain program simulated on all 65,536 inputs (64 per pass).
fn circuit_outputs(a: &Activation) -> Vec<i16> {
    let c = compiler::compile_source(a.source(), a.file(), &Default::default())
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let mut out = Vec::with_capacity(TABLE_LEN);
    let inputs: Vec<Vec<u128>> = (MIN_RAW..=MAX_RAW)
        .map(|r| vec![u128::from(r as i16 as u16)])
        .collect();
    for chunk in inputs.chunks(64) {
        for o in compiler::simulate::simulate_raw(&c, chunk) {
            out.push(o[0] as u16 as i16);
        }
    }
    out
}

#[test]
fn table_equals_the_compiled_circuit_on_every_input() {
    for (name, _, _) in SHIPPED {
        let a = Activation::shipped(name).expect("shipped");
        let table = a.table().expect("table");
        assert_eq!(table.len(), TABLE_LEN);
        let sim = circuit_outputs(&a);
        for (i, (t, s)) in table.iter().zip(&sim).enumerate() {
            assert_eq!(t, s, "{name}: input raw {}", i as i64 + MIN_RAW);
        }
    }
}

#[test]
fn eval_is_the_table_after_saturation() {
    let a = Activation::shipped("relu").expect("relu");
    assert_eq!(a.eval(0).expect("eval"), 0);
    assert_eq!(a.eval(-5).expect("eval"), 0);
    assert_eq!(a.eval(4096).expect("eval"), 4096);
    assert_eq!(a.eval(MAX_RAW).expect("eval"), MAX_RAW);
    // beyond the format: saturated first, as the wrappers do
    assert_eq!(a.eval(1 << 40).expect("eval"), MAX_RAW);
    assert_eq!(a.eval(MAX_RAW + 1).expect("eval"), MAX_RAW);
    assert_eq!(a.eval(-(1 << 40)).expect("eval"), 0);
    assert_eq!(saturate(MIN_RAW - 1), MIN_RAW as i16);
    let t = Activation::shipped("tanh").expect("tanh");
    assert_eq!(t.eval(1 << 30).expect("eval"), 4096);
    assert_eq!(t.eval(-(1 << 30)).expect("eval"), -4096);
    assert_eq!(t.eval_act(0).expect("eval"), 0);
}

#[test]
fn shipped_names_and_hashes() {
    let mut hashes = std::collections::HashSet::new();
    for (name, file, src) in SHIPPED {
        let a = Activation::shipped(name).expect("shipped");
        assert_eq!(a.name(), name);
        assert_eq!(a.file(), file);
        assert_eq!(a.source(), src);
        // the shipped source is the file in circuits/
        let on_disk = std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR")))
            .expect("shipped file");
        assert_eq!(on_disk, src, "{name}");
        assert!(hashes.insert(a.sha256()), "{name}: distinct hash");
    }
    // SHA-256 of the source bytes (known answer for the one-line ReLU body's file)
    let relu = Activation::shipped("relu").expect("relu");
    let again = Activation::from_source("other", relu.source(), "x.dsl").expect("same source");
    assert_eq!(relu.sha256(), again.sha256());
    let e = Activation::shipped("swish").expect_err("unknown");
    assert!(
        e.to_string()
            .contains("relu, sigmoid, tanh, tanh_fit, tanh_fine, gelu"),
        "{e}"
    );
}

#[test]
fn sha256_is_of_the_source_bytes() {
    // SHA-256("") and SHA-256("abc") (FIPS 180-2 known answers) through a trivial source
    // prefix: hash the program's bytes exactly, comments included.
    let src = "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = x;\n";
    let a = Activation::from_source("id", src, "id.dsl").expect("identity");
    let b =
        Activation::from_source("id", &format!("{src}// comment\n"), "id.dsl").expect("identity");
    assert_ne!(
        a.sha256(),
        b.sha256(),
        "comments are part of the bound source"
    );
    use sha2::Digest;
    assert_eq!(
        a.sha256(),
        <[u8; 32]>::from(sha2::Sha256::digest(src.as_bytes()))
    );
}

fn temp_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(text.as_bytes()).expect("write");
    (dir, path)
}

#[test]
fn from_file_and_resolve() {
    let src = "// leaky ReLU\ninput garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = if x < 0 { x >> 3 } else { x };\n";
    let (_dir, path) = temp_file("leaky.dsl", src);
    let a = Activation::from_file(&path).expect("loads");
    assert_eq!(a.name(), "leaky");
    assert_eq!(a.eval(-4096).expect("eval"), -512);
    let b = Activation::resolve(path.to_str().expect("utf-8")).expect("path");
    assert_eq!(a, b);
    assert_eq!(Activation::resolve("gelu").expect("name").name(), "gelu");
    let e = Activation::resolve("/no/such/act.dsl").expect_err("missing");
    assert!(matches!(e, ActivationError::Unknown { .. }), "{e}");
    let e = Activation::from_file(std::path::Path::new("/no/such/act.dsl")).expect_err("missing");
    assert!(
        e.to_string()
            .contains("cannot read activation /no/such/act.dsl"),
        "{e}"
    );
    // the wrappers link a user file like a shipped one
    let c = a.masked_circuit(&MaskedParams::default()).expect("masked");
    assert!(c.and_count() > 0);
}

#[test]
fn interface_errors_are_located_in_the_activation_file() {
    let cases = [
        (
            "two.dsl",
            "input garbler x: fixed<16, 12>;\ninput garbler z: fixed<16, 12>;\noutput y: fixed<16, 12> = x;\n",
            "two.dsl:2:15: error: the program has 2 inputs, expected 1",
        ),
        (
            "fmt.dsl",
            "input garbler x: fixed<16, 8>;\noutput y: fixed<16, 12> = x;\n",
            "fmt.dsl:1:15: error: input `x` has type fixed<16, 8>, expected fixed<16, 12>",
        ),
        (
            "out.dsl",
            "input garbler x: fixed<16, 12>;\noutput y: fixed<24, 12> = x;\n",
            "out.dsl:2:8: error: output `y` has type fixed<24, 12>, expected fixed<16, 12>",
        ),
        (
            "syntax.dsl",
            "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = ;\n",
            "syntax.dsl:2:27: error: expected an expression",
        ),
    ];
    for (file, src, want) in cases {
        let e = Activation::from_source("bad", src, file).expect_err(file);
        assert!(e.to_string().starts_with(want), "{file}: {e}");
    }
}

#[test]
fn output_bits_follow_the_range_of_the_function() {
    let bits = |n: &str| {
        Activation::shipped(n)
            .expect("shipped")
            .output_bits()
            .expect("bits")
    };
    assert_eq!(bits("tanh"), 14); // [−1, 1]: ±4096 raw needs 14 bits
    assert_eq!(bits("tanh_fit"), 14);
    assert_eq!(bits("tanh_fine"), 14);
    assert_eq!(bits("sigmoid"), 14); // [0, 1]
    assert_eq!(bits("relu"), 16); // up to 8 − 2^−12
    assert_eq!(bits("gelu"), 16);
}
