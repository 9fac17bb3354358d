//! The shipped activations (`circuits/*.dsl`) in the reference interpreter: tanh* against its
//! float formula and the paper's error figures, ReLU and the sigmoid approximation.

use gcc_nn_dsl::{self as dsl, Interpreter, core::Program};

const ULP: f64 = 1.0 / 4096.0;

fn load(name: &str) -> Program {
    let path = format!("{}/../circuits/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).expect("circuit file");
    dsl::check(&src, name).unwrap_or_else(|d| panic!("{}", d.render()))
}

/// The paper's tanh* in floating point (docs/design.md §1).
fn tanh_star_float(x: f64) -> f64 {
    let (m1, c1, d1, m2, c2, d2, a, b) =
        (-0.2716, 1.0, 0.016, -0.0848, 0.42654, 0.4519, 1.52, 2.57);
    let ax = x.abs();
    let k = if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    };
    if ax <= a {
        k * (m1 * ax * ax + c1 * ax + d1)
    } else if ax <= b {
        k * (m2 * ax * ax + c2 * ax + d2)
    } else {
        k
    }
}

/// tanh.dsl on a raw fixed<16,12> value, returning the raw signed result.
fn tanh_raw(it: &Interpreter<'_>, raw: i64) -> i64 {
    let out = it.run(&[(raw as i128 as u128) & 0xffff]).expect("runs")[0];
    i64::from(out as u16 as i16)
}

#[test]
fn tanh_within_one_and_a_half_ulp_of_the_formula_away_from_jumps() {
    // 1 ulp with exact products; the truncated ones (circuits/tanh.dsl) add at most half.
    let p = load("tanh.dsl");
    let it = Interpreter::new(&p);
    let jumps = [0.0, 1.52, 2.57];
    let mut checked = 0;
    for raw in -6 * 4096..=6 * 4096 {
        let x = raw as f64 * ULP;
        if jumps.iter().any(|j| (x.abs() - j).abs() <= 1.5 * ULP) {
            continue;
        }
        let got = tanh_raw(&it, raw) as f64 * ULP;
        let want = tanh_star_float(x);
        assert!((got - want).abs() <= 1.5 * ULP, "x = {x}: {got} vs {want}");
        checked += 1;
    }
    assert!(checked > 49_000);
}

#[test]
fn tanh_pinned_at_the_jumps() {
    let p = load("tanh.dsl");
    let it = Interpreter::new(&p);
    // (raw x, raw tanh*(x)) from the independent model (tests/fixtures/dsl/tanh_kat.py):
    // 0 is 0 (sign(0) = 0); ±1 ulp jumps to ±d1 = ±0.016 (66.5 ulp, 66 with the truncated
    // products' centring);
    // |x| ≤ 1.52 holds up to raw 6225 (1.52·4096 = 6225.92), the second piece starts at
    // 6226 and lies *below* the first (a downward jump 3721 → 3704); |x| ≤ 2.57 holds up
    // to raw 10526 (2.57·4096 = 10526.72), then tanh* is exactly ±1.
    let pins = [
        (0, 0),
        (1, 66),
        (-1, -66),
        (6225, 3721),
        (6226, 3704),
        (-6225, -3721),
        (-6226, -3704),
        (10526, 4048),
        (10527, 4096),
        (-10526, -4048),
        (-10527, -4096),
        (32767, 4096),
        (-32768, -4096),
    ];
    for (x, y) in pins {
        assert_eq!(tanh_raw(&it, x), y, "tanh*({x}/4096)");
    }
}

#[test]
fn tanh_reproduces_the_paper_error_claim() {
    let p = load("tanh.dsl");
    let it = Interpreter::new(&p);
    let (mut max_err, mut at, mut sum, mut n) = (0.0f64, 0.0f64, 0.0f64, 0u32);
    for raw in -6 * 4096..=6 * 4096 {
        let x = raw as f64 * ULP;
        let err = (tanh_raw(&it, raw) as f64 * ULP - x.tanh()).abs();
        if err > max_err {
            max_err = err;
            at = x.abs();
        }
        sum += err;
        n += 1;
    }
    let mean = sum / f64::from(n);
    assert!((0.0215..0.0225).contains(&max_err), "max error {max_err}");
    assert!((0.74..0.80).contains(&at), "max error at |x| = {at}");
    assert!((0.0043..0.0047).contains(&mean), "mean error {mean}");
}

// The masked and on-shares forms are generated from these programs by the activation crate
// (`circuits/wrappers/*.dsl` linked to the activation): gcc-nn-activation's tests/wrappers.rs
// checks them against the activation composed with the masking arithmetic, for every
// shipped activation, and tests/known_answers.rs against the hand-written circuits they
// replaced.

#[test]
fn relu_exhaustive() {
    let p = load("relu.dsl");
    let it = Interpreter::new(&p);
    for raw in 0u128..1 << 16 {
        let x = i64::from(raw as u16 as i16);
        let y = i64::from(it.run(&[raw]).expect("runs")[0] as u16 as i16);
        assert_eq!(y, x.max(0));
    }
}

#[test]
fn sigmoid_approximation_is_close_and_symmetric() {
    let p = load("sigmoid.dsl");
    let it = Interpreter::new(&p);
    let mut max_err = 0.0f64;
    for raw in -32768i64..32768 {
        let y = it.run(&[(raw as u128) & 0xffff]).expect("runs")[0] as u16 as i16;
        let x = raw as f64 * ULP;
        max_err = max_err.max((f64::from(y) * ULP - 1.0 / (1.0 + (-x).exp())).abs());
        if raw > -32768 {
            let yn = it.run(&[((-raw) as u128) & 0xffff]).expect("runs")[0] as u16 as i16;
            assert_eq!(
                i32::from(y) + i32::from(yn),
                4096,
                "σ*(−x) = 1 − σ*(x) at raw {raw}"
            );
        }
    }
    assert!(max_err < 0.02, "max error {max_err}");
}

#[test]
fn tanh_matches_the_known_answer_table() {
    // tests/fixtures/dsl/tanh_kat.txt: an independent model's answers (8,210 inputs).
    let path = format!(
        "{}/../tests/fixtures/dsl/tanh_kat.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let table = std::fs::read_to_string(path).expect("known-answer table");
    let p = load("tanh.dsl");
    let it = Interpreter::new(&p);
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let mut f = line
            .split_whitespace()
            .map(|v| v.parse::<i64>().expect("integer"));
        let (x, y) = (f.next().expect("x"), f.next().expect("y"));
        assert_eq!(tanh_raw(&it, x), y, "tanh*(raw {x})");
        n += 1;
    }
    assert!(n > 8000);
}

#[test]
fn tanh_fine_is_much_closer_to_tanh() {
    let p = load("tanh_fine.dsl");
    let it = Interpreter::new(&p);
    let (mut max_err, mut sum, mut n) = (0.0f64, 0.0f64, 0u32);
    for raw in -6 * 4096..=6 * 4096 {
        let x = raw as f64 * ULP;
        let y = tanh_raw(&it, raw);
        assert_eq!(tanh_raw(&it, -raw), -y, "odd at raw {raw}");
        if raw.abs() >= 4 * 4096 {
            assert_eq!(y.abs(), 4096, "saturates beyond 4");
        }
        let err = (y as f64 * ULP - x.tanh()).abs();
        max_err = max_err.max(err);
        sum += err;
        n += 1;
    }
    let mean = sum / f64::from(n);
    assert!(max_err < 1.7e-3, "max error {max_err}");
    assert!(mean < 7e-4, "mean error {mean}");
}
