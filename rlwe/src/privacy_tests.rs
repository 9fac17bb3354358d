//! Key-holder-view tests (docs/protocol.md §4, function privacy): the key holder knows s, its own
//! `a` (seeds) and its own errors, and sees the returned ciphertexts. Two attacks try to
//! recover the multiplier's weights: (A) divide the returned `a` part by the original `a`
//! (NTT domain), (B) correlate the decryption noise with the known input errors (least
//! squares). Both succeed on negative controls — (A) without re-randomisation and flooding,
//! (B) with re-randomisation but without flooding, both unswitched as a naive implementation
//! would return them — and fail on the real construction.

use crate::cipher::{InputCiphertext, Scale};
use crate::keys::{SecretKey, phase};
use crate::layout::Layout;
use crate::matvec::{Finish, Flood, Raw, expand_inputs, products_with};
use crate::params::{N, PRIMES, context};
use crate::poly::RnsPoly;
use crate::sample;

const K: u32 = 40;

/// Everything the key holder knows: its key, inputs, errors and the returned products.
struct View {
    sk: SecretKey,
    layout: Layout,
    a_in: Vec<RnsPoly>,
    f: Vec<f64>,
    raws: Vec<Raw>,
    weights: Vec<i64>,
}

/// n_in = 4 inputs per patch, 3 outputs, 2,048 patches in one polynomial (n_i = 4, n_o = 1).
fn run(finish: Finish) -> View {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    let layout = Layout::new(4, 3, 2048, K, (4, 1, 2048)).expect("layout");
    let x: Vec<u64> = (0..4 * 2048)
        .map(|_| sample::uniform_bits(&mut rng, K))
        .collect();
    let w: Vec<u64> = (0..12).map(|_| sample::uniform_bits(&mut rng, K)).collect();
    let e = sample::cbd(&mut rng);
    let v_hat = layout.encode_vector(&x, 0, 0).expect("encode");
    let ct = InputCiphertext::encrypt_with_error(&sk, &layout, &v_hat, &e, sample::seed(&mut rng));
    // f = e + ε with ε = Δ(m) − q·m/t = −r/t (r = q·m mod t, centred): known to the key holder.
    let q_mod_t = PRIMES.iter().fold(1u64, |a, &p| a.wrapping_mul(p)) & layout.t_mask();
    let f = (0..N)
        .map(|c| {
            let r = layout.centre(q_mod_t.wrapping_mul(v_hat[c]) & layout.t_mask());
            e[c] as f64 - r as f64 / 2f64.powi(K as i32)
        })
        .collect();
    let (raws, _) = products_with(
        &pk,
        &layout,
        std::slice::from_ref(&ct),
        &w,
        finish,
        &mut rng,
    )
    .expect("products");
    let weights = w.iter().map(|&v| layout.centre(v)).collect();
    View {
        sk,
        layout,
        a_in: expand_inputs(&[ct]),
        f,
        raws,
        weights,
    }
}

/// Attack A on prime `l` residues of a returned `a` part: ŵ = a_ret / a_in (NTT domain),
/// then read the weights at degrees `−j·pp`. Returns the number of weights recovered.
fn divide_out_a(v: &View, a_ret: &[Vec<u64>], modulus_index: usize, a_scaled: &[u64]) -> usize {
    let ctx = context();
    let (t, m) = (&ctx.ntt[modulus_index], ctx.modulus(modulus_index));
    let mut den = a_scaled.to_vec();
    t.forward(&mut den);
    let mut hits = 0;
    for (ob, ret) in a_ret.iter().enumerate() {
        let mut num = ret.clone();
        t.forward(&mut num);
        for (x, &d) in num.iter_mut().zip(&den) {
            *x = m.mul(*x, m.inv(d));
        }
        t.inverse(&mut num);
        for j in 0..4 {
            let (deg, sign) = if j == 0 {
                (0, 1)
            } else {
                (N - j * v.layout.pp, -1)
            };
            let c = num[deg];
            let centred = if c > m.p / 2 {
                c as i128 - m.p as i128
            } else {
                c as i128
            };
            hits += usize::from(sign * centred == v.weights[ob * 4 + j] as i128);
        }
    }
    hits
}

/// Attack B: least squares of the decryption noise (in units of q) on the known `f`;
/// returns how many weights come out within 2^12 of the truth.
#[allow(clippy::needless_range_loop)]
fn correlate_noise(v: &View, noise: &[Vec<f64>]) -> usize {
    let pp = v.layout.pp;
    let mut hits = 0;
    for (ob, y) in noise.iter().enumerate() {
        // Regressors: x_j(p) = f[j·pp + p] (the input coefficient weight j multiplies).
        let mut ata = [[0f64; 4]; 4];
        let mut aty = [0f64; 4];
        for (p, &yp) in y.iter().enumerate() {
            let xs: Vec<f64> = (0..4).map(|j| v.f[j * pp + p]).collect();
            for r in 0..4 {
                aty[r] += xs[r] * yp;
                for c in 0..4 {
                    ata[r][c] += xs[r] * xs[c];
                }
            }
        }
        let est = solve4(ata, aty);
        for j in 0..4 {
            hits += usize::from((est[j] - v.weights[ob * 4 + j] as f64).abs() < 4096.0);
        }
    }
    hits
}

#[allow(clippy::needless_range_loop)]
fn solve4(mut a: [[f64; 4]; 4], mut b: [f64; 4]) -> [f64; 4] {
    for i in 0..4 {
        let piv = (i..4)
            .max_by(|&x, &y| a[x][i].abs().total_cmp(&a[y][i].abs()))
            .unwrap_or(i);
        a.swap(i, piv);
        b.swap(i, piv);
        for r in i + 1..4 {
            let f = a[r][i] / a[i][i];
            for c in i..4 {
                a[r][c] -= f * a[i][c];
            }
            b[r] -= f * b[i];
        }
    }
    let mut x = [0f64; 4];
    for i in (0..4).rev() {
        x[i] = (b[i] - (i + 1..4).map(|c| a[i][c] * x[c]).sum::<f64>()) / a[i][i];
    }
    x
}

/// The phase `b + a·s` of an unswitched product at the useful degrees (n_o = 1: `0..pp`).
fn phase_useful(v: &View, raw: &Raw) -> RnsPoly {
    let mut b_full = RnsPoly::zero();
    for (u, d) in v.layout.useful_degrees(0, 0).enumerate() {
        for l in 0..3 {
            b_full.residues_mut(l)[d] = raw.b[l][u];
        }
    }
    phase(&v.sk, &b_full, &raw.a)
}

/// Decryption noise of unswitched, unflooded products: exact (it is far below Q0/2), from
/// the residues mod Q0 once the message is known (decoded after switching the phase).
fn noise_unswitched(v: &View) -> Vec<Vec<f64>> {
    let m0 = context().modulus(0);
    let scale = Scale::new(K);
    v.raws
        .iter()
        .map(|raw| {
            let ph = phase_useful(v, raw);
            (0..v.layout.pp)
                .map(|d| {
                    let (x0, x1, x2) = (ph.residues(0)[d], ph.residues(1)[d], ph.residues(2)[d]);
                    let msg = scale.decode_q0(crate::cipher::switch_coeff(x0, x1, x2));
                    let n = m0.sub(x0, scale.delta(msg, 0));
                    if n > m0.p / 2 {
                        n as f64 - m0.p as f64
                    } else {
                        n as f64
                    }
                })
                .collect()
        })
        .collect()
}

/// Decryption noise of the switched products as the key holder sees it, scaled back to units
/// of q (multiplied by q/Q0).
fn noise_switched(v: &View) -> Vec<Vec<f64>> {
    let m0 = context().modulus(0);
    let scale = Scale::new(K);
    let q_over_q0 = (PRIMES[1] as f64) * (PRIMES[2] as f64);
    v.raws
        .iter()
        .enumerate()
        .map(|(ob, raw)| {
            let out = raw.switch();
            let mut a = out.a.clone();
            let t0 = &context().ntt[0];
            t0.forward(&mut a);
            for (x, &s) in a.iter_mut().zip(v.sk.s_ntt.residues(0)) {
                *x = m0.mul(*x, s);
            }
            t0.inverse(&mut a);
            v.layout
                .useful_degrees(ob, 0)
                .zip(&out.b)
                .map(|(d, &b)| {
                    let x = m0.add(b, a[d]);
                    let msg = scale.decode_q0(x);
                    let centre = ((msg as u128 * m0.p as u128) >> K) as u64;
                    let n = m0.sub(x, centre);
                    let n = if n > m0.p / 2 {
                        n as f64 - m0.p as f64
                    } else {
                        n as f64
                    };
                    n * q_over_q0
                })
                .collect()
        })
        .collect()
}

#[test]
fn negative_control_without_flooding_leaks_the_weights_through_the_noise() {
    let v = run(Finish {
        rerandomise: true,
        flood: Flood::Off,
    });
    assert_eq!(
        correlate_noise(&v, &noise_unswitched(&v)),
        12,
        "the control must leak every weight"
    );
}

#[test]
fn real_construction_defeats_noise_correlation() {
    let v = run(Finish {
        rerandomise: true,
        flood: Flood::Uniform,
    });
    assert_eq!(correlate_noise(&v, &noise_switched(&v)), 0);
}

#[test]
fn negative_control_without_rerandomisation_leaks_the_weights_by_division() {
    let v = run(Finish {
        rerandomise: false,
        flood: Flood::Off,
    });
    let a_ret: Vec<Vec<u64>> = v.raws.iter().map(|r| r.a.residues(0).to_vec()).collect();
    assert_eq!(
        divide_out_a(&v, &a_ret, 0, v.a_in[0].residues(0)),
        12,
        "the control must leak every weight"
    );
}

#[test]
fn real_construction_defeats_division_by_a() {
    let v = run(Finish {
        rerandomise: true,
        flood: Flood::Uniform,
    });
    let outs: Vec<_> = v.raws.iter().map(|r| r.switch()).collect();
    let a_ret: Vec<Vec<u64>> = outs.iter().map(|o| o.a.clone()).collect();
    // The best the key holder can do in Q0: divide by its own a switched to Q0.
    let a0: Vec<u64> = (0..N)
        .map(|c| {
            crate::cipher::switch_coeff(
                v.a_in[0].residues(0)[c],
                v.a_in[0].residues(1)[c],
                v.a_in[0].residues(2)[c],
            )
        })
        .collect();
    assert_eq!(divide_out_a(&v, &a_ret, 0, &a0), 0);
    // Unswitched (to rule out that switching alone hides it): still nothing.
    let a_ret: Vec<Vec<u64>> = v.raws.iter().map(|r| r.a.residues(0).to_vec()).collect();
    assert_eq!(divide_out_a(&v, &a_ret, 0, v.a_in[0].residues(0)), 0);
}
