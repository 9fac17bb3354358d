//! The generated wrappers against the hand-written circuits they replace (copied into
//! `tests/data/old/` as known answers before deletion): for tanh* (`tanh`), tanh_fit and
//! tanh_fine the masked and on-shares circuits, and the chained-packing circuit of tanh*,
//! give identical outputs on random inputs and on the edge cases (saturation boundaries,
//! breakpoints, extreme pre-activations), compiled and simulated, and in the interpreter.
//! Prints the AND counts of old and new.

use compiler::{Circuit, CompileOptions};
use gcc_nn_activation::{Activation, ChainedParams, MaskedParams, SharesParams, Wrapper};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn old(name: &str) -> String {
    let path = format!("{}/tests/data/old/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("known-answer circuit")
}

/// The activation with exact products: the shipped one, or for tanh and tanh_fit (whose
/// products are truncated since `trunc_mul`: dsl/tests/circuits.rs and tests/accuracy.rs)
/// their exact programs `tests/data/old/*.dsl`, which the hand-written wrappers were
/// written for.
fn exact(act: &str) -> Activation {
    if TRUNCATED.contains(&act) {
        let file = format!("{act}.dsl");
        Activation::from_source(act, &old(&file), &file).expect("exact program")
    } else {
        Activation::shipped(act).expect("shipped")
    }
}

/// Shipped activations whose products are truncated (no longer equal to the old programs).
const TRUNCATED: [&str; 2] = ["tanh", "tanh_fit"];

fn overrides(pairs: &[(&str, u32)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Old and new, compiled and checked, with the same constant overrides on both.
struct Pair {
    old_c: Circuit,
    new_c: std::sync::Arc<Circuit>,
    old_p: dsl::core::Program,
    new_p: dsl::core::Program,
}

fn pair(act: &str, old_file: &str, w: Wrapper, ov: &[(String, String)]) -> Pair {
    let a = exact(act);
    let src = old(old_file);
    let options = CompileOptions {
        overrides: ov.to_vec(),
        ..CompileOptions::default()
    };
    let old_c = compiler::compile_source(&src, old_file, &options)
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let old_p = dsl::check_with(&src, old_file, ov).unwrap_or_else(|d| panic!("{}", d.render()));
    let new_c = a.circuit(&w).unwrap_or_else(|e| panic!("{e}"));
    let new_p = a.wrapper_program(&w).unwrap_or_else(|e| panic!("{e}"));
    let names = |c: &Circuit| {
        c.inputs
            .iter()
            .map(|v| (v.name.clone(), v.format.width()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&old_c), names(&new_c), "{act}: same inputs");
    let outs = |c: &Circuit| {
        c.outputs
            .iter()
            .map(|v| (v.name.clone(), v.format.width()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outs(&old_c), outs(&new_c), "{act}: same outputs");
    eprintln!(
        "{act} {old_file} {:?}: old {} ANDs, generated {} ANDs",
        ov,
        old_c.and_count(),
        new_c.and_count()
    );
    Pair {
        old_c,
        new_c,
        old_p,
        new_p,
    }
}

impl Pair {
    /// Both circuits (simulated) and both programs (interpreted) agree on every tuple.
    fn agree(&self, tuples: &[Vec<u128>], what: &str) {
        for chunk in tuples.chunks(64) {
            let a = compiler::simulate::simulate_raw(&self.old_c, chunk);
            let b = compiler::simulate::simulate_raw(&self.new_c, chunk);
            for ((x, y), t) in a.iter().zip(&b).zip(chunk) {
                assert_eq!(x, y, "{what}: circuits differ on {t:x?}");
            }
        }
        let (io, inew) = (
            dsl::Interpreter::new(&self.old_p),
            dsl::Interpreter::new(&self.new_p),
        );
        for t in tuples.iter().step_by(4) {
            assert_eq!(
                io.run(t).expect("old runs"),
                inew.run(t).expect("new runs"),
                "{what}: programs differ on {t:x?}"
            );
        }
    }
}

fn mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Pre-activations z (raw, at `frac` fractional bits, signed `lz` bits) worth testing: the
/// saturation boundary ±8, every breakpoint of the tanh family, 0, ±1 ulp, the extremes.
fn edge_zs(lz: u32, frac: u32) -> Vec<i128> {
    let one = 1i128 << frac;
    let mut v = vec![
        0,
        1,
        -1,
        (1 << (lz - 1)) - 1,
        -(1 << (lz - 1)),
        (1 << (lz - 2)),
        -(1 << (lz - 2)),
    ];
    let points = [
        8.0, 7.999, 1.52, 2.57, 3.5, 4.0, 0.75, 1.71875, 0.55, 1.3, 2.2, 0.5, 16.0,
    ];
    for p in points {
        let c = (p * one as f64) as i128;
        for d in [-one / 4096 - 1, -1, 0, 1, one / 4096, one / 4096 + 1] {
            for s in [1, -1] {
                let z = s * (c + d);
                if z >= -(1 << (lz - 1)) && z < (1 << (lz - 1)) {
                    v.push(z);
                }
            }
        }
    }
    v
}

/// A random pre-activation: mostly within ±10 (where the activation varies), some anywhere.
fn random_z(rng: &mut ChaCha12Rng, lz: u32, frac: u32) -> i128 {
    if rng.random_range(0..4) == 0 {
        rng.random_range(-(1i128 << (lz - 1))..(1i128 << (lz - 1)))
    } else {
        let lim = (10i128 << frac).min((1 << (lz - 1)) - 1);
        rng.random_range(-lim..=lim)
    }
}

fn masked_tuples(p: MaskedParams, seed: u64) -> Vec<Vec<u128>> {
    let (lz, sigma, f) = (p.lz, p.sigma, p.fw + 12);
    let ruw = 14 + sigma;
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut zs = edge_zs(lz, f);
    for _ in 0..3000 {
        zs.push(random_z(&mut rng, lz, f));
    }
    let mut out = Vec::new();
    for (i, z) in zs.into_iter().enumerate() {
        // r ≥ 2^(LZ−1) keeps z + r ≥ 0, as the protocol must.
        let r: i128 = rng.random_range((1i128 << (lz - 1))..(1i128 << (lz + sigma)));
        let ru: u128 = rng.random::<u128>() & mask(ruw);
        out.push(vec![(z + r) as u128, ru, r as u128]);
        if i % 8 == 0 {
            // fully random bits too: the circuits must agree off the protocol's domain
            let xm = rng.random::<u128>() & mask(lz + sigma + 1);
            let r2 = rng.random::<u128>() & mask(lz + sigma);
            out.push(vec![xm, ru, r2]);
        }
    }
    out
}

fn shares_tuples(p: SharesParams, seed: u64) -> Vec<Vec<u128>> {
    let (k, f) = (p.k, p.fw + 12);
    let m = 1i128 << k;
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let mut zs = edge_zs(k, f);
    for _ in 0..3000 {
        zs.push(random_z(&mut rng, k, f));
    }
    zs.into_iter()
        .map(|z| {
            let zu: i128 = rng.random_range(0..m);
            let zc = (z - zu).rem_euclid(m);
            let r: i128 = rng.random_range(0..m);
            vec![zu as u128, zc as u128, r as u128]
        })
        .collect()
}

const FAMILY: [(&str, &str, &str); 3] = [
    ("tanh", "masked_tanh.dsl", "shares_tanh.dsl"),
    ("tanh_fit", "masked_tanh_fit.dsl", "shares_tanh_fit.dsl"),
    ("tanh_fine", "masked_tanh_fine.dsl", "shares_tanh_fine.dsl"),
];

#[test]
fn masked_wrapper_equals_the_hand_written_masked_circuits() {
    for (act, masked, _) in FAMILY {
        for (i, p) in [
            MaskedParams::default(),
            MaskedParams::narrow(40),
            MaskedParams {
                sigma: 81,
                ..MaskedParams::default()
            },
        ]
        .into_iter()
        .enumerate()
        {
            let ov = overrides(&[("SIGMA", p.sigma), ("FW", p.fw), ("LZ", p.lz)]);
            let pr = pair(act, masked, Wrapper::Masked(p), &ov);
            pr.agree(
                &masked_tuples(p, 100 + i as u64),
                &format!("{act} masked {p:?}"),
            );
        }
    }
}

#[test]
fn shares_wrapper_equals_the_hand_written_share_circuits() {
    for (act, _, shares) in FAMILY {
        for (i, p) in [SharesParams::default(), SharesParams { k: 48, fw: 12 }]
            .into_iter()
            .enumerate()
        {
            let ov = overrides(&[("K", p.k), ("FW", p.fw)]);
            let pr = pair(act, shares, Wrapper::Shares(p), &ov);
            pr.agree(
                &shares_tuples(p, 200 + i as u64),
                &format!("{act} shares {p:?}"),
            );
        }
    }
}

#[test]
fn chained_wrapper_equals_the_spliced_chained_circuit() {
    let p = ChainedParams {
        slots: 3,
        masked: MaskedParams::default(),
    };
    let pr = pair("tanh", "chained_tanh_3.dsl", Wrapper::Chained(p), &[]);
    let (lz, sigma) = (36u32, 40u32);
    let mut rng = ChaCha12Rng::seed_from_u64(300);
    let edges = edge_zs(lz, 24);
    let mut tuples = Vec::new();
    for i in 0..2000 {
        let mut t = Vec::new();
        // v_s − m_s (with the borrow) = z_s + 2^(L−1): digits of the offset pre-activations
        let ms: Vec<u128> = (0..3).map(|_| rng.random::<u128>() & mask(lz)).collect();
        let vs: Vec<u128> = (0..3)
            .map(|s| {
                let z = if i < edges.len() && s == 1 {
                    edges[i]
                } else {
                    random_z(&mut rng, lz, 24)
                };
                ((z + (1 << (lz - 1))) as u128).wrapping_add(ms[s]) & mask(lz)
            })
            .collect();
        t.extend(vs);
        t.extend(ms);
        t.extend((0..3).map(|_| rng.random::<u128>() & mask(14)));
        t.push(rng.random::<u128>() & mask(sigma));
        tuples.push(t);
    }
    pr.agree(&tuples, "tanh chained 3 slots");
}

#[test]
fn shipped_tanh_family_equals_the_old_plain_programs_on_every_input() {
    for (act, _, _) in FAMILY {
        if TRUNCATED.contains(&act) {
            continue; // tanh: known answers in dsl/tests/circuits.rs; tanh_fit: tests/accuracy.rs
        }
        let file = format!("{act}.dsl");
        let src = old(&file);
        let p = dsl::check(&src, &file).unwrap_or_else(|d| panic!("{}", d.render()));
        let it = dsl::Interpreter::new(&p);
        let a = Activation::shipped(act).expect("shipped");
        let table = a.table().expect("table");
        for raw in gcc_nn_activation::MIN_RAW..=gcc_nn_activation::MAX_RAW {
            let want = it.run(&[u128::from(raw as i16 as u16)]).expect("runs")[0] as u16 as i16;
            let got = table[(raw - gcc_nn_activation::MIN_RAW) as usize];
            assert_eq!(got, want, "{act}: raw {raw}");
        }
        let old_c = compiler::compile_source(&src, &file, &CompileOptions::default()).expect("old");
        let new_c = compiler::compile_source(a.source(), a.file(), &CompileOptions::default())
            .expect("new");
        eprintln!(
            "{act}.dsl plain: old {} ANDs, now {} ANDs",
            old_c.and_count(),
            new_c.and_count()
        );
    }
}

#[test]
fn the_comparison_has_teeth() {
    // negative control: tanh_fit's wrapper against the hand-written tanh* circuit differs
    let p = MaskedParams::default();
    let ov = overrides(&[("SIGMA", p.sigma), ("FW", p.fw), ("LZ", p.lz)]);
    let pr = pair("tanh_fit", "masked_tanh.dsl", Wrapper::Masked(p), &ov);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pr.agree(&masked_tuples(p, 1), "control")
    }));
    assert!(r.is_err(), "tanh_fit must differ from tanh*");
}
