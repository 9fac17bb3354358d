//! Cross-checks of the fixed-size Montgomery arithmetic against `crypto-bigint`'s
//! `BoxedMontyForm` (an independent implementation) on random and edge operands.

use super::FixedModulus;
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A random odd modulus of exactly `N` limbs (top bit set when `full`, else a shorter top
/// limb, like p² of 2047 bits).
fn modulus<const N: usize>(rng: &mut ChaCha20Rng, full: bool) -> [u64; N] {
    let mut n = [0u64; N];
    for w in n.iter_mut() {
        *w = rng.next_u64();
    }
    n[0] |= 1;
    if full {
        n[N - 1] |= 1 << 63;
    } else {
        n[N - 1] = (n[N - 1] >> 1) | (1 << 62);
    }
    n
}

struct Pair<const N: usize> {
    fixed: FixedModulus<N>,
    params: BoxedMontyParams,
}

fn pair<const N: usize>(n: &[u64; N]) -> Pair<N> {
    let boxed = BoxedUint::from_words(n.iter().copied());
    let params = BoxedMontyParams::new(Odd::new(boxed).expect("odd"));
    let fixed = FixedModulus::<N>::new(n, BoxedMontyForm::one(&params).as_montgomery().as_words())
        .expect("fixed modulus");
    Pair { fixed, params }
}

/// A uniform value below the modulus, in both representations (Montgomery words, form).
fn element<const N: usize>(p: &Pair<N>, words: &[u64; N]) -> ([u64; N], BoxedMontyForm) {
    let x = BoxedUint::from_words(words.iter().copied());
    let x = x.rem(p.params.modulus().as_nz_ref());
    let form = BoxedMontyForm::new(x, &p.params);
    let mont: [u64; N] = form.as_montgomery().as_words().try_into().expect("limbs");
    (mont, form)
}

fn random_words<const N: usize>(rng: &mut ChaCha20Rng) -> [u64; N] {
    let mut w = [0u64; N];
    for x in w.iter_mut() {
        *x = rng.next_u64();
    }
    w
}

/// Edge operands: 0, 1, 2, n − 1, n − 2, and random values.
fn operands<const N: usize>(rng: &mut ChaCha20Rng, n: &[u64; N]) -> Vec<[u64; N]> {
    let mut one = [0u64; N];
    one[0] = 1;
    let mut two = [0u64; N];
    two[0] = 2;
    let mut n1 = *n;
    n1[0] -= 1;
    let mut n2 = *n;
    n2[0] -= 2;
    let mut out = vec![[0u64; N], one, two, n1, n2, [u64::MAX; N]];
    out.extend((0..6).map(|_| random_words::<N>(rng)));
    out
}

fn check_mul_square<const N: usize>(seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    for full in [true, false] {
        let n = modulus::<N>(&mut rng, full);
        let p = pair(&n);
        let ops = operands(&mut rng, &n);
        for x in &ops {
            let (xm, xf) = element(&p, x);
            let sq = p.fixed.square(&xm);
            assert_eq!(
                &sq[..],
                xf.square().as_montgomery().as_words(),
                "square N={N}"
            );
            for y in &ops {
                let (ym, yf) = element(&p, y);
                let prod = p.fixed.mul(&xm, &ym);
                assert_eq!(
                    &prod[..],
                    xf.mul(&yf).as_montgomery().as_words(),
                    "mul N={N}"
                );
            }
        }
    }
}

fn check_pow<const N: usize>(seed: u64, bits: u32) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let n = modulus::<N>(&mut rng, seed.is_multiple_of(2));
    let p = pair(&n);
    let words = bits.div_ceil(64) as usize;
    let mut exps: Vec<Vec<u64>> = vec![vec![0; words], vec![u64::MAX; words]];
    let mut e1 = vec![0; words];
    e1[0] = 1;
    exps.push(e1);
    exps.extend((0..3).map(|_| (0..words).map(|_| rng.next_u64()).collect()));
    for e in &mut exps {
        if !bits.is_multiple_of(64) {
            let last = words - 1;
            e[last] &= (1u64 << (bits % 64)) - 1;
        }
    }
    for x in operands(&mut rng, &n).iter().take(8) {
        let (xm, xf) = element(&p, x);
        for e in &exps {
            let got = p.fixed.pow(&xm, e, bits);
            let exp = BoxedUint::from_words(e.iter().copied());
            let want = xf.pow(&exp);
            assert_eq!(
                &got[..],
                want.as_montgomery().as_words(),
                "pow N={N} bits={bits}"
            );
        }
    }
}

#[test]
fn mul_and_square_match_crypto_bigint() {
    check_mul_square::<1>(1);
    check_mul_square::<2>(2);
    check_mul_square::<4>(3);
    check_mul_square::<5>(4);
    check_mul_square::<8>(5);
    check_mul_square::<32>(6);
}

#[test]
fn pow_matches_crypto_bigint() {
    check_pow::<1>(10, 64);
    check_pow::<2>(11, 67);
    check_pow::<4>(12, 128);
    check_pow::<8>(13, 255);
    check_pow::<32>(14, 1024);
    check_pow::<32>(15, 1021);
}

#[test]
fn rejects_even_or_misfitting_moduli() {
    assert!(FixedModulus::<2>::new(&[4, 1], &[0, 0]).is_none());
    assert!(FixedModulus::<2>::new(&[5], &[0]).is_none());
    assert!(FixedModulus::<2>::new(&[5, 1], &[0, 0]).is_some());
}

fn check_sized<const N: usize>(seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let n = modulus::<N>(&mut rng, false);
    let p = pair(&n);
    let sized = super::SizedModulus::new(&p.params).expect("supported size");
    let e = BoxedUint::from_words((0..N / 2).map(|_| rng.next_u64()));
    let (_, xf) = element(&p, &random_words::<N>(&mut rng));
    let got = sized.pow(&xf, &e).expect("same width");
    assert_eq!(got.retrieve(), xf.pow(&e).retrieve(), "sized pow N={N}");
}

#[test]
fn sized_moduli_match_crypto_bigint_and_other_sizes_fall_back() {
    check_sized::<4>(20);
    check_sized::<8>(21);
    check_sized::<16>(22);
    check_sized::<32>(23);
    check_sized::<48>(24);
    let mut rng = ChaCha20Rng::seed_from_u64(25);
    let p = pair(&modulus::<5>(&mut rng, true));
    assert!(super::SizedModulus::new(&p.params).is_none());
}
