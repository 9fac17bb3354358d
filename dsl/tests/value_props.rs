//! The value parser takes untrusted user text (`--input x=…`): random text never panics
//! it, huge exponents are refused quickly, and every raw value of a type formats to text
//! that parses back to the same raw value.

use dsl::{NumTy, Ty, format_value, parse_value};
use gcc_nn_dsl as dsl;
use proptest::prelude::*;

fn num_ty() -> impl Strategy<Value = NumTy> {
    (any::<bool>(), 1..=128u32, 0..=40u32).prop_map(|(signed, width, frac)| NumTy {
        signed,
        width,
        frac,
    })
}

#[test]
fn huge_exponents_are_errors_not_hangs() {
    let ty = Ty::Num(NumTy {
        signed: true,
        width: 16,
        frac: 12,
    });
    for text in [
        "1e999999999",
        "1e-999999999",
        "-7.5e4000000000",
        "0x1p99999999",
    ] {
        let started = std::time::Instant::now();
        assert!(parse_value(text, &ty).is_err(), "{text}");
        assert!(
            started.elapsed().as_secs() < 5,
            "{text} took {:?}",
            started.elapsed()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_text_never_panics(text in "[-+0-9a-fA-FxXbBeE._ ]{0,40}", ty in num_ty()) {
        let _ = parse_value(&text, &Ty::Num(ty));
        let _ = parse_value(&text, &Ty::Bool);
    }

    #[test]
    fn formatted_values_parse_back(ty in num_ty(), raw in any::<u128>()) {
        let raw = if ty.width == 128 { raw } else { raw & ((1u128 << ty.width) - 1) };
        let text = format_value(raw, &Ty::Num(ty));
        let back = parse_value(&text, &Ty::Num(ty)).expect("formatted value parses");
        let mask = if ty.width == 128 { u128::MAX } else { (1u128 << ty.width) - 1 };
        prop_assert_eq!(back & mask, raw, "{}", text);
    }
}
