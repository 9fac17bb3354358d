//! The shipped circuits (`circuits/*.dsl`) in the reference interpreter: tanh* against its
//! float formula and the paper's error figures, the masked forms against tanh.dsl composed
//! with the masking arithmetic, ReLU and the sigmoid approximation.

use gcc_nn_dsl::{self as dsl, Interpreter, core::Program};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

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
fn tanh_within_one_ulp_of_the_formula_away_from_jumps() {
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
        assert!((got - want).abs() <= ULP, "x = {x}: {got} vs {want}");
        checked += 1;
    }
    assert!(checked > 49_000);
}

#[test]
fn tanh_pinned_at_the_jumps() {
    let p = load("tanh.dsl");
    let it = Interpreter::new(&p);
    // (raw x, raw tanh*(x)): 0 is 0 (sign(0) = 0); ±1 ulp jumps to ±d1 = ±0.016 (66.5 ulp);
    // |x| ≤ 1.52 holds up to raw 6225 (1.52·4096 = 6225.92), the second piece starts at
    // 6226 and lies *below* the first (a downward jump 3721 → 3704); |x| ≤ 2.57 holds up
    // to raw 10526 (2.57·4096 = 10526.72), then tanh* is exactly ±1.
    let pins = [
        (0, 0),
        (1, 67),
        (-1, -67),
        (6225, 3721),
        (6226, 3704),
        (-6225, -3721),
        (-6226, -3704),
        (10526, 4047),
        (10527, 4096),
        (-10526, -4047),
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

/// floor(v / 2^k) for signed v.
fn floor_shift(v: i128, k: u32) -> i128 {
    v >> k
}

/// The activation of a truncated pre-activation (raw at scale 12) through the function's
/// own program, saturating outside its input range as the function does (±1 beyond 2.57
/// for tanh*, beyond 4 for tanh_fine).
fn tanh_ref(it: &Interpreter<'_>, zt: i128) -> i128 {
    if zt >= 32768 {
        4096
    } else if zt < -32768 {
        -4096
    } else {
        i128::from(tanh_raw(it, zt as i64))
    }
}

/// Signed pre-activations at scale 24: mostly in tanh*'s interesting range, some huge.
fn random_z(rng: &mut ChaCha12Rng, bits: u32) -> i128 {
    let lim = 1i128 << (bits - 1);
    match rng.random_range(0..4) {
        0 => rng.random_range(-lim..lim),
        1 => rng.random_range(-(3i128 << 24)..(3i128 << 24)),
        2 => rng.random_range(-(1i128 << 24)..(1i128 << 24)),
        _ => [
            0,
            1,
            -1,
            lim - 1,
            -lim,
            6225 << 12,
            6226 << 12,
            -(6226 << 12),
            10527 << 12,
        ][rng.random_range(0..9)],
    }
}

#[test]
fn masked_tanh_agrees_with_tanh_composed_with_masking() {
    masked_agrees("tanh.dsl", "masked_tanh.dsl");
}

#[test]
fn masked_tanh_fine_agrees_with_tanh_fine_composed_with_masking() {
    masked_agrees("tanh_fine.dsl", "masked_tanh_fine.dsl");
}

fn masked_agrees(function: &str, masked: &str) {
    let tanh = load(function);
    let tanh_it = Interpreter::new(&tanh);
    let p = load(masked);
    let it = Interpreter::new(&p);
    let names: Vec<&str> = p.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["xm", "ru", "r"]);
    let (lz, sigma, ruw) = (36u32, 40u32, 54u32);
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    for _ in 0..4000 {
        let z = random_z(&mut rng, lz);
        // r >= 2^(LZ-1) keeps z + r >= 0, as the protocol must.
        let r: i128 = rng.random_range((1i128 << (lz - 1))..(1i128 << (lz + sigma)));
        let ru: i128 = rng.random_range(0..(1i128 << ruw));
        let xm = z + r;
        assert!(xm >= 0 && xm < 1i128 << (lz + sigma + 1));
        let out = it.run(&[xm as u128, ru as u128, r as u128]).expect("runs")[0];
        let got = p.outputs[0].ty.num().expect("numeric").to_bigint(out);
        let want = tanh_ref(&tanh_it, floor_shift(z, 12)) + ru;
        assert_eq!(got, want.into(), "z = {z}, r = {r}, ru = {ru}");
    }
}

#[test]
fn shares_tanh_agrees_with_tanh_composed_with_sharing() {
    shares_agree("tanh.dsl", "shares_tanh.dsl");
}

#[test]
fn shares_tanh_fine_agrees_with_tanh_fine_composed_with_sharing() {
    shares_agree("tanh_fine.dsl", "shares_tanh_fine.dsl");
}

fn shares_agree(function: &str, shared: &str) {
    let tanh = load(function);
    let tanh_it = Interpreter::new(&tanh);
    let p = load(shared);
    let it = Interpreter::new(&p);
    let names: Vec<&str> = p.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["zu", "zc", "r"]);
    let k = 40u32;
    let m = 1i128 << k;
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    for _ in 0..4000 {
        let z = random_z(&mut rng, k);
        let zu: i128 = rng.random_range(0..m);
        let zc = (z - zu).rem_euclid(m);
        let r: i128 = rng.random_range(0..m);
        let out = it.run(&[zu as u128, zc as u128, r as u128]).expect("runs")[0];
        let want = (tanh_ref(&tanh_it, floor_shift(z, 12)) + r).rem_euclid(m);
        assert_eq!(out as i128, want, "z = {z}, zu = {zu}, r = {r}");
    }
}

#[test]
fn shares_tanh_width_follows_k_override() {
    let path = format!("{}/../circuits/shares_tanh.dsl", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).expect("circuit file");
    let p = dsl::check_with(&src, "shares_tanh.dsl", &[("K".into(), "48".into())]).expect("checks");
    assert!(p.inputs.iter().all(|i| i.ty.width() == 48));
    assert_eq!(p.outputs[0].ty.width(), 48);
}

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
