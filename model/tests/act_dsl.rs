//! The secure wrappers generated from an activation (`gcc-nn-activation`: the masked one of
//! the bridge and the reference protocol, the on-shares one of the fast protocol) equal the
//! plaintext fixed-point reference [`FixedParams::act_fixed`] under the DSL interpreter, on
//! every truncated value of the activation format and on random wide ring values, for the
//! tanh family and for activations with a wider range (ReLU, GELU).

use activation::{MaskedParams, SharesParams, Wrapper};
use gcc_nn_model::fixed::{FIXED, FixedActivation, FixedParams};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

const NAMES: [&str; 4] = ["tanh", "tanh_fit", "relu", "gelu"];

fn act(name: &str) -> FixedActivation {
    FixedActivation::shipped(name).expect("shipped activation")
}

fn sign_extend(raw: u128, bits: u32) -> i128 {
    let v = (raw & ((1u128 << bits) - 1)) as i128;
    if v >= 1 << (bits - 1) {
        v - (1 << bits)
    } else {
        v
    }
}

/// zu, zc, r → y = act_fixed(zu + zc mod 2^K) + r mod 2^K, on every truncated value
/// `z >> Fw` of 16 bits (every third, random low bits and shares) plus random wide z.
fn shares(name: &str) {
    let a = act(name);
    let p = a
        .wrapper_program(&Wrapper::Shares(SharesParams {
            k: FIXED.ring_bits,
            fw: FIXED.fw,
        }))
        .expect("shares wrapper links");
    let interp = dsl::Interpreter::new(&p);
    let k = FIXED.ring_bits;
    let mask = (1u128 << k) - 1;
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let check = |z: i64, rng: &mut ChaCha12Rng| {
        let zu = rng.random::<u64>() as u128 & mask;
        let zc = ((z as i128 as u128).wrapping_sub(zu)) & mask;
        let r = rng.random::<u64>() as u128 & mask;
        let y = interp.run(&[zu, zc, r]).expect("interpreter runs")[0];
        let expect = ((FIXED.act_fixed(z, &a) as i128 as u128).wrapping_add(r)) & mask;
        assert_eq!(y, expect, "shares wrapper of {name} at z = {z}");
    };
    for x in (-(1i64 << 15)..(1i64 << 15)).step_by(3) {
        let low = rng.random_range(0..1i64 << FIXED.fw);
        check((x << FIXED.fw) + low, &mut rng);
    }
    for _ in 0..3000 {
        let z = rng.random_range(-(1i64 << (k - 1))..(1i64 << (k - 1)));
        check(z, &mut rng);
    }
}

/// xm = z + r, ru, r → y = act_fixed(z) + ru (no wrap), z a signed 36-bit value.
fn masked(name: &str, params: &FixedParams) {
    let a = act(name);
    let mp = MaskedParams {
        fw: params.fw,
        ..MaskedParams::default()
    };
    let p = a
        .wrapper_program(&Wrapper::Masked(mp))
        .expect("masked wrapper links");
    let interp = dsl::Interpreter::new(&p);
    let (lz, sigma) = (mp.lz, mp.sigma);
    let yb = a.output_bits().expect("table");
    let y_bits = yb + sigma + 2;
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    for i in 0..6000 {
        let z: i64 = if i % 2 == 0 {
            rng.random_range(-(1i64 << (lz - 1))..(1i64 << (lz - 1)))
        } else {
            (rng.random_range(-(1i64 << 15)..(1i64 << 15)) << params.fw)
                + rng.random_range(0..1i64 << params.fw)
        };
        let r = (1u128 << (lz - 1)) + (rng.random::<u128>() % (1u128 << (lz + sigma - 1)));
        let xm = (z as i128 + r as i128) as u128;
        let ru = rng.random::<u64>() as u128 % (1u128 << (yb + sigma));
        let y = interp.run(&[xm, ru, r]).expect("interpreter runs")[0];
        let expect = i128::from(params.act_fixed(z, &a)) + ru as i128;
        assert_eq!(
            sign_extend(y, y_bits),
            expect,
            "masked wrapper of {name} at z = {z}"
        );
    }
}

#[test]
fn shares_wrappers_match_the_plaintext_reference() {
    for name in NAMES {
        shares(name);
    }
}

#[test]
fn masked_wrappers_match_the_plaintext_reference() {
    for name in NAMES {
        masked(name, &FIXED);
    }
}

#[test]
fn output_widths_follow_the_activation_range() {
    // The tanh family lies in [−1, 1] (14 bits at 12 fractional), ReLU and GELU reach 8.
    let bits: Vec<u32> = NAMES
        .iter()
        .map(|n| act(n).output_bits().expect("table"))
        .collect();
    assert_eq!(bits, vec![14, 14, 16, 16]);
}

#[test]
fn fit_is_much_closer_to_tanh_than_tanh_star() {
    let max_err = |a: &FixedActivation| {
        (-(1i64 << 15)..(1i64 << 15))
            .map(|x| (a.eval(x) as f64 / 4096.0 - (x as f64 / 4096.0).tanh()).abs())
            .fold(0.0, f64::max)
    };
    let (star, fit) = (max_err(&act("tanh")), max_err(&act("tanh_fit")));
    assert!(star > 0.02 && star < 0.025, "tanh* max error {star}");
    assert!(fit < 0.0035, "tanh_fit max error {fit}");
}
