//! The native fixed-point activations equal the DSL reference interpreter on the DSL
//! programs in `circuits/`: exhaustively over every `fixed<16, 12>` input, and on random
//! wide ring values for the shares and masked forms.

use gcc_nn_model::activation::{PiecewiseQuadratic, TANH_FIT, TANH_STAR};
use gcc_nn_model::fixed::FIXED;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn program(name: &str) -> dsl::core::Program {
    let path = format!("{}/../circuits/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    dsl::check(&src, &path).unwrap_or_else(|d| panic!("{path}: {}", d.render()))
}

fn sign_extend(raw: u128, bits: u32) -> i64 {
    let v = (raw & ((1u128 << bits) - 1)) as i128;
    (if v >= 1 << (bits - 1) {
        v - (1 << bits)
    } else {
        v
    }) as i64
}

fn exhaustive(file: &str, act: &PiecewiseQuadratic) {
    let p = program(file);
    let interp = dsl::Interpreter::new(&p);
    for x in -(1i64 << 15)..(1i64 << 15) {
        let out = interp
            .run(&[(x as u128) & 0xffff])
            .expect("interpreter runs");
        assert_eq!(
            sign_extend(out[0], 16),
            act.eval_fixed(x),
            "{file} at raw x = {x}"
        );
    }
}

#[test]
fn tanh_star_matches_tanh_dsl_on_every_input() {
    exhaustive("tanh.dsl", &TANH_STAR);
}

#[test]
fn tanh_fit_matches_tanh_fit_dsl_on_every_input() {
    exhaustive("tanh_fit.dsl", &TANH_FIT);
}

/// zu, zc, r → y = act_fixed(zu + zc mod 2^K) + r mod 2^K, on every truncated value
/// `z >> Fw` of 16 bits (random low bits and shares) plus random wide z.
fn shares(file: &str, act: &PiecewiseQuadratic) {
    let p = program(file);
    let interp = dsl::Interpreter::new(&p);
    let k = FIXED.ring_bits;
    let mask = (1u128 << k) - 1;
    let mut rng = ChaCha12Rng::seed_from_u64(7);
    let check = |z: i64, rng: &mut ChaCha12Rng| {
        let zu = rng.random::<u64>() as u128 & mask;
        let zc = ((z as i128 as u128).wrapping_sub(zu)) & mask;
        let r = rng.random::<u64>() as u128 & mask;
        let y = interp.run(&[zu, zc, r]).expect("interpreter runs")[0];
        let expect = ((FIXED.act_fixed(z, act) as i128 as u128).wrapping_add(r)) & mask;
        assert_eq!(y, expect, "{file} at z = {z}");
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

#[test]
fn shares_tanh_matches_native_activation() {
    shares("shares_tanh.dsl", &TANH_STAR);
}

#[test]
fn shares_tanh_fit_matches_native_activation() {
    shares("shares_tanh_fit.dsl", &TANH_FIT);
}

/// xm = z + r, ru, r → y = act_fixed(z) + ru (no wrap), z a signed 36-bit value.
fn masked(file: &str, act: &PiecewiseQuadratic) {
    let p = program(file);
    let interp = dsl::Interpreter::new(&p);
    let (lz, sigma) = (36u32, 40u32);
    let mut rng = ChaCha12Rng::seed_from_u64(9);
    for i in 0..6000 {
        let z: i64 = if i % 2 == 0 {
            rng.random_range(-(1i64 << (lz - 1))..(1i64 << (lz - 1)))
        } else {
            (rng.random_range(-(1i64 << 15)..(1i64 << 15)) << FIXED.fw)
                + rng.random_range(0..1i64 << FIXED.fw)
        };
        let r = (1u128 << (lz - 1)) + (rng.random::<u128>() % (1u128 << (lz + sigma - 1)));
        let xm = (z as i128 + r as i128) as u128;
        let ru = rng.random::<u64>() as u128 % (1u128 << (FIXED.fa + 2 + sigma));
        let y = interp.run(&[xm, ru, r]).expect("interpreter runs")[0];
        let expect = FIXED.act_fixed(z, act) as i128 + ru as i128;
        assert_eq!(y as i128, expect, "{file} at z = {z}");
    }
}

#[test]
fn masked_tanh_matches_native_activation() {
    masked("masked_tanh.dsl", &TANH_STAR);
}

#[test]
fn masked_tanh_fit_matches_native_activation() {
    masked("masked_tanh_fit.dsl", &TANH_FIT);
}

#[test]
fn fit_is_much_closer_to_tanh_than_tanh_star() {
    let (star, fit) = (TANH_STAR.max_fixed_error(), TANH_FIT.max_fixed_error());
    assert!(star > 0.02 && star < 0.025, "tanh* max error {star}");
    assert!(fit < 0.0035, "tanh_fit max error {fit}");
}
