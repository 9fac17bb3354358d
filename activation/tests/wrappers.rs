//! The generated wrappers mean what they say, for every shipped activation (and a user
//! file): the masked circuit gives f(sat(⌊z / 2^FW⌋)) + ru, the on-shares circuit
//! f(sat(⌊(zu + zc mod 2^K) / 2^FW⌋)) + r mod 2^K, the chained circuit the digits of
//! Σ_s (f_s + 2^(LY−1))·2^(s·LY) + RU, with f the plaintext table ([`Activation::eval`],
//! which saturates the same way). Compiled circuits are simulated; the linked programs are
//! interpreted on a subset.

use compiler::Circuit;
use gcc_nn_activation::{Activation, ChainedParams, MaskedParams, SHIPPED, SharesParams, Wrapper};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn mask(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

/// Pre-activations at `frac` fractional bits, signed `bits` wide: mostly where activations
/// vary (|z| < 10), some beyond the saturation bound ±8, some anywhere; plus ±8 ± 1 raw.
fn random_z(rng: &mut ChaCha12Rng, bits: u32, frac: u32) -> i128 {
    let lim = 1i128 << (bits - 1);
    let eight = 8i128 << frac;
    let z = match rng.random_range(0..6) {
        0 => rng.random_range(-lim..lim),
        1 => [
            eight,
            eight - 1,
            -eight,
            -eight - 1,
            0,
            1,
            -1,
            lim - 1,
            -lim,
        ][rng.random_range(0..9)],
        _ => rng.random_range(-(10i128 << frac)..(10i128 << frac)),
    };
    z.clamp(-lim, lim - 1)
}

fn simulate(c: &Circuit, tuples: &[Vec<u128>]) -> Vec<Vec<u128>> {
    tuples
        .chunks(64)
        .flat_map(|ch| compiler::simulate::simulate_raw(c, ch))
        .collect()
}

/// Signed value of a `width`-bit two's complement pattern.
fn signed(v: u128, width: u32) -> i128 {
    ((v << (128 - width)) as i128) >> (128 - width)
}

fn activations() -> Vec<Activation> {
    let mut v: Vec<Activation> = SHIPPED
        .iter()
        .map(|(n, _, _)| Activation::shipped(n).expect("shipped"))
        .collect();
    // a user function with a negative, wide range: f(x) = −x/2 − 3
    let src = "input garbler x: fixed<16, 12>;\noutput y: fixed<16, 12> = -(x >> 1) - 3;\n";
    v.push(Activation::from_source("user", src, "user.dsl").expect("user activation"));
    v
}

#[test]
fn masked_wrapper_is_the_activation_of_the_unmasked_value_plus_ru() {
    for act in activations() {
        for p in [MaskedParams::default(), MaskedParams::narrow(40)] {
            let c = act.masked_circuit(&p).expect("masked");
            let yb = act.output_bits().expect("bits");
            let ruw = yb + p.sigma;
            assert_eq!(c.inputs[1].format.width(), ruw, "{}: ru width", act.name());
            let mut rng = ChaCha12Rng::seed_from_u64(1);
            let mut tuples = Vec::new();
            let mut want = Vec::new();
            for _ in 0..1500 {
                let z = random_z(&mut rng, p.lz, p.fw + 12);
                let r: i128 = rng.random_range((1i128 << (p.lz - 1))..(1i128 << (p.lz + p.sigma)));
                let ru = rng.random::<u128>() & mask(ruw);
                tuples.push(vec![(z + r) as u128, ru, r as u128]);
                let f = act.eval((z >> p.fw) as i64).expect("eval");
                want.push(i128::from(f) + ru as i128);
            }
            let width = c.outputs[0].format.width();
            for ((t, out), w) in tuples.iter().zip(simulate(&c, &tuples)).zip(&want) {
                assert_eq!(signed(out[0], width), *w, "{} {p:?}: {t:x?}", act.name());
            }
            let prog = act.wrapper_program(&Wrapper::Masked(p)).expect("program");
            let it = dsl::Interpreter::new(&prog);
            for (t, w) in tuples.iter().zip(&want).step_by(10) {
                let out = it.run(t).expect("runs")[0];
                assert_eq!(signed(out, width), *w, "{} interpreted", act.name());
            }
        }
    }
}

#[test]
fn shares_wrapper_is_the_activation_of_the_shared_value_plus_r() {
    for act in activations() {
        for p in [SharesParams::default(), SharesParams { k: 48, fw: 12 }] {
            let c = act.shares_circuit(&p).expect("shares");
            // the ring width follows K (zu, zc, r in, y out)
            assert!(
                c.inputs.iter().all(|v| v.format.width() == p.k),
                "{}",
                act.name()
            );
            assert_eq!(c.outputs[0].format.width(), p.k);
            let m = 1i128 << p.k;
            let mut rng = ChaCha12Rng::seed_from_u64(2);
            let mut tuples = Vec::new();
            let mut want = Vec::new();
            for _ in 0..1500 {
                let z = random_z(&mut rng, p.k, p.fw + 12);
                let zu: i128 = rng.random_range(0..m);
                let zc = (z - zu).rem_euclid(m);
                let r: i128 = rng.random_range(0..m);
                tuples.push(vec![zu as u128, zc as u128, r as u128]);
                let f = act.eval((z >> p.fw) as i64).expect("eval");
                want.push((i128::from(f) + r).rem_euclid(m));
            }
            for ((t, out), w) in tuples.iter().zip(simulate(&c, &tuples)).zip(&want) {
                assert_eq!(out[0] as i128, *w, "{} {p:?}: {t:x?}", act.name());
            }
        }
    }
}

#[test]
fn chained_wrapper_gives_the_digits_of_the_masked_outputs() {
    for act in activations() {
        let p = ChainedParams {
            slots: 2, // K·L + σ = 112 bits: the whole ciphertext fits a u128 here
            masked: MaskedParams::default(),
        };
        let c = act.chained_circuit(&p).expect("chained");
        let (k, lz, sigma) = (p.slots, p.masked.lz, p.masked.sigma);
        let ly = act.output_bits().expect("bits");
        let mut rng = ChaCha12Rng::seed_from_u64(3);
        for _ in 0..6 {
            let mut tuples = Vec::new();
            let mut wants = Vec::new();
            for _ in 0..64 {
                let zs: Vec<i128> = (0..k).map(|_| random_z(&mut rng, lz, 24)).collect();
                // X' = Σ (z_s + 2^(L−1))·2^(s·L); V = X' + M with M random
                let xp: u128 = zs
                    .iter()
                    .enumerate()
                    .map(|(s, z)| ((z + (1 << (lz - 1))) as u128) << (s as u32 * lz))
                    .sum();
                let m = rng.random::<u128>() & mask(k as u32 * lz + sigma);
                let v = xp + m;
                let digit = |x: u128, s: usize| (x >> (s as u32 * lz)) & mask(lz);
                let ru = rng.random::<u128>() & mask(k as u32 * ly + sigma);
                let mut t: Vec<u128> = (0..k).map(|s| digit(v, s)).collect();
                t.extend((0..k).map(|s| digit(m, s)));
                t.extend((0..k).map(|s| (ru >> (s as u32 * ly)) & mask(ly)));
                t.push(ru >> (k as u32 * ly));
                let fp: u128 = zs
                    .iter()
                    .enumerate()
                    .map(|(s, z)| {
                        let f = act.eval((z >> 12) as i64).expect("eval");
                        ((i128::from(f) + (1 << (ly - 1))) as u128) << (s as u32 * ly)
                    })
                    .sum();
                let y = fp + ru;
                let mut w: Vec<u128> = (0..k).map(|s| (y >> (s as u32 * ly)) & mask(ly)).collect();
                w.push(y >> (k as u32 * ly));
                tuples.push(t);
                wants.push(w);
            }
            let got = simulate(&c, &tuples);
            assert_eq!(got, wants, "{}", act.name());
        }
    }
}

#[test]
fn masked_tanh_is_within_the_and_budget() {
    // docs/design.md §8: ≤ 650 ANDs (Garble compiles a masked tanh* to 1972); moved here from
    // compiler/tests/shipped.rs with the hand-written circuit it measured.
    let a = Activation::shipped("tanh").expect("tanh");
    let c = a.masked_circuit(&MaskedParams::default()).expect("masked");
    assert!(c.and_count() <= 650, "masked tanh*: {} ANDs", c.and_count());
}

#[test]
fn wrappers_match_the_interpreter_with_each_pass_switched_off() {
    let all = compiler::PassOptions::default();
    let mut sets = vec![all];
    for k in 0..6 {
        let mut p = all;
        match k {
            0 => p.constant_propagation = false,
            1 => p.cse = false,
            2 => p.dead_gates = false,
            3 => p.range = false,
            4 => p.path_ranges = false,
            _ => p.fusion = false,
        }
        sets.push(p);
    }
    let mut rng = ChaCha12Rng::seed_from_u64(4);
    for name in ["tanh", "gelu", "relu"] {
        let act = Activation::shipped(name).expect("shipped");
        for w in [
            Wrapper::Masked(MaskedParams::default()),
            Wrapper::Shares(SharesParams::default()),
        ] {
            let prog = act.wrapper_program(&w).expect("program");
            let it = dsl::Interpreter::new(&prog);
            let widths: Vec<u32> = prog.inputs.iter().map(|i| i.ty.width()).collect();
            let tuples: Vec<Vec<u128>> = (0..640)
                .map(|i| {
                    let mut t: Vec<u128> = widths
                        .iter()
                        .map(|&b| rng.random::<u128>() & mask(b))
                        .collect();
                    if i % 2 == 0 {
                        // the unmasked value near the interesting range: x' = z + r, zu = z − zc
                        let z = random_z(&mut rng, 36, 24) as u128;
                        t[0] = (t[2].wrapping_add(z)) & mask(widths[0]);
                        if matches!(w, Wrapper::Shares(_)) {
                            t[0] = z.wrapping_sub(t[1]) & mask(widths[0]);
                        }
                    }
                    t
                })
                .collect();
            let want: Vec<Vec<u128>> = tuples.iter().map(|t| it.run(t).expect("runs")).collect();
            for passes in &sets {
                let c = compiler::lower::lower(&prog, passes).expect("lowers");
                assert_eq!(simulate(&c, &tuples), want, "{name} {w:?} {passes:?}");
            }
        }
    }
}
