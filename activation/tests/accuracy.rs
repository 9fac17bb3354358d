//! tanh_fit with truncated products (`trunc_mul`, dsl/README.md §4) against its exact
//! program (`tests/data/old/tanh_fit.dsl`, the shipped file before the change): on every
//! input of the activation format the two differ by at most one ulp, and the maximum error
//! against tanh is not larger; with too few guard bits (the negative control) it is.

use gcc_nn_activation::{Activation, MAX_RAW, MIN_RAW, SharesParams};

const ULP: f64 = 1.0 / 4096.0;

fn exact_source() -> String {
    let path = format!("{}/tests/data/old/tanh_fit.dsl", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("exact tanh_fit")
}

/// Largest |f(x) − tanh(x)| over every input, and where.
fn max_error(a: &Activation) -> (f64, i64) {
    let table = a.table().expect("table");
    (MIN_RAW..=MAX_RAW)
        .map(|raw| {
            let y = f64::from(table[(raw - MIN_RAW) as usize]) * ULP;
            ((y - (raw as f64 * ULP).tanh()).abs(), raw)
        })
        .fold((0.0, 0), |m, e| if e.0 > m.0 { e } else { m })
}

#[test]
fn truncated_tanh_fit_is_as_close_to_tanh_as_the_exact_one() {
    let shipped = Activation::shipped("tanh_fit").expect("shipped");
    assert!(
        shipped.source().contains("trunc_mul"),
        "the shipped tanh_fit uses truncated products"
    );
    let exact = Activation::from_source("tanh_fit", &exact_source(), "exact.dsl").expect("exact");
    let (e_new, at_new) = max_error(&shipped);
    let (e_old, at_old) = max_error(&exact);
    eprintln!(
        "max |f − tanh|: truncated {e_new:.6e} at raw {at_new}, exact {e_old:.6e} at raw {at_old}"
    );
    assert!(e_new <= e_old, "truncated {e_new} > exact {e_old}");
    let (t_new, t_old) = (shipped.table().expect("t"), exact.table().expect("t"));
    let differ = t_new.iter().zip(t_old).filter(|(a, b)| a != b).count();
    let worst = t_new
        .iter()
        .zip(t_old)
        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
        .max()
        .unwrap_or(0);
    eprintln!("inputs where they differ: {differ} of 65536, by at most {worst} ulp");
    assert!(worst <= 1, "differs by {worst} ulp");
    // Cheaper: the point of the change (circuits/REPORT.md has the counts).
    let c = |a: &Activation| {
        a.shares_circuit(&SharesParams::default())
            .expect("c")
            .and_count()
    };
    assert!(
        c(&shipped) + 100 < c(&exact),
        "{} vs {}",
        c(&shipped),
        c(&exact)
    );
}

#[test]
fn without_guard_bits_the_error_grows() {
    // Negative control: the same program keeping partial products only down to the
    // result's own 2^-12 (FP = FA) is measurably worse than the exact evaluation.
    let src = Activation::shipped("tanh_fit")
        .expect("shipped")
        .source()
        .replace("const FP = FA + 2;", "const FP = FA;")
        .replace("trunc_mul(t, t, 15)", "trunc_mul(t, t, 13)");
    assert!(
        src.contains("const FP = FA;"),
        "the control edits the program"
    );
    let coarse = Activation::from_source("coarse", &src, "coarse.dsl").expect("coarse");
    let exact = Activation::from_source("tanh_fit", &exact_source(), "exact.dsl").expect("exact");
    let (e_coarse, _) = max_error(&coarse);
    let (e_old, _) = max_error(&exact);
    assert!(e_coarse > e_old, "coarse {e_coarse} vs exact {e_old}");
}
