//! circuits/gelu.dsl against the real GELU(x) = x·Φ(x) on every fixed<16, 12> input: the
//! maximum error stated in the file is the measured one (to 2 significant digits).

use gcc_nn_activation::{Activation, MAX_RAW, MIN_RAW};

/// erf by its Taylor series for |z| < 2.5, else 1 − erfc by the continued fraction
/// erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))); both better than 1e-13.
fn erf(z: f64) -> f64 {
    let a = z.abs();
    let v = if a < 2.5 {
        let (mut term, mut sum, mut n) = (a, a, 0.0f64);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -a * a / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        let mut t = a;
        for k in (1..=80).rev() {
            t = a + (k as f64 / 2.0) / t;
        }
        1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / t
    };
    v.copysign(z)
}

fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

#[test]
fn erf_known_answers() {
    // Abramowitz & Stegun table 7.1 / DLMF values
    assert!((erf(0.5) - 0.520_499_877_813_046_5).abs() < 1e-13);
    assert!((erf(1.0) - 0.842_700_792_949_714_9).abs() < 1e-13);
    assert!((erf(2.0) - 0.995_322_265_018_952_7).abs() < 1e-13);
    assert!((1.0 - erf(3.0) - 2.209_049_699_858_544e-5).abs() < 1e-15);
    assert!((erf(-1.0) + 0.842_700_792_949_714_9).abs() < 1e-13);
}

#[test]
fn gelu_error_is_the_one_stated_in_the_file() {
    let a = Activation::shipped("gelu").expect("gelu");
    let marker = "Max |error| against the real GELU over every";
    let src = a.source().replace("\n//", "");
    let at = src.find(marker).expect("the file states its error");
    let rest = &src[at..];
    let colon = rest.find(": ").expect("figure");
    let stated: f64 = rest[colon + 2..]
        .split([' ', '(', ','])
        .next()
        .and_then(|s| s.parse().ok())
        .expect("a number");
    let (mut max, mut sum, mut at_max) = (0.0f64, 0.0f64, 0i64);
    for raw in MIN_RAW..=MAX_RAW {
        let x = raw as f64 / 4096.0;
        let y = a.eval(raw).expect("eval") as f64 / 4096.0;
        let e = (y - gelu(x)).abs();
        sum += e;
        if e > max {
            max = e;
            at_max = raw;
        }
    }
    let mean = sum / (MAX_RAW - MIN_RAW + 1) as f64;
    eprintln!(
        "gelu.dsl: max |error| {max:.3e} at x = {}, mean {mean:.3e}",
        at_max as f64 / 4096.0
    );
    assert!(
        (max - stated).abs() <= 0.05 * stated,
        "stated {stated:e}, measured {max:e} at raw {at_max}"
    );
    // it is an approximation of GELU, not of something else: the shape holds
    assert_eq!(a.eval(0).expect("eval"), 0);
    assert_eq!(
        a.eval(MAX_RAW).expect("eval"),
        MAX_RAW,
        "GELU(x) = x for large x"
    );
    assert_eq!(
        a.eval(MIN_RAW).expect("eval"),
        0,
        "GELU(x) = 0 for very negative x"
    );
    let min = (MIN_RAW..=MAX_RAW)
        .map(|r| a.eval(r).expect("eval"))
        .min()
        .expect("some");
    assert!(
        (min as f64 / 4096.0 + 0.170).abs() < 2e-3,
        "minimum −0.170 near x = −0.75"
    );
}
