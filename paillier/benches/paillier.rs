//! Paillier at 2048 bits on one core: key generation, encryption (off-line r^N and on-line
//! part, fixed-base comb powers), CRT and textbook decryption, homomorphic operations,
//! multi-exponentiation, and the big-integer backend comparison (num-bigint vs
//! crypto-bigint) behind the choice recorded in the crate docs.
//!
//! Run: `cargo bench -p gcc-nn-paillier` (add a filter such as `decrypt` to run a subset).
//! The group `old-vs-new` measures, in one run, the constant-time CRT decryption and
//! key-owner randomness against the num-bigint based code they replaced, and `primes` the
//! crypto-primes generator against the removed hand-written one (both baselines live in
//! `support/baseline.rs`, used by no library code).

#[path = "support/baseline.rs"]
mod baseline;

use criterion::{Criterion, criterion_group, criterion_main};
use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams, FixedMontyForm, FixedMontyParams};
use crypto_bigint::{BoxedUint, Odd, U1024, U2048};
use gcc_nn_paillier::monty::FixedModulus;
use gcc_nn_paillier::prime::random_prime;
use gcc_nn_paillier::{
    BigInt, BigUint, CombTable, FixedBaseTable, RandomnessPool, SecretKey, full_zero, inner_product,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::hint::black_box;
use std::time::Duration;

fn key() -> SecretKey {
    SecretKey::generate(2048, &mut ChaCha20Rng::seed_from_u64(2048)).expect("keygen")
}

fn boxed(x: &BigUint, bits: u32) -> BoxedUint {
    BoxedUint::from_words_with_precision(x.iter_u64_digits(), bits)
}

fn backends(c: &mut Criterion) {
    let sk = key();
    let pk = sk.public_key();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let nn = pk.n_squared().clone();
    let a = pk
        .encrypt(&BigUint::from(5u8), &mut rng)
        .expect("enc")
        .to_biguint();
    let b = pk
        .encrypt(&BigUint::from(7u8), &mut rng)
        .expect("enc")
        .to_biguint();
    let mut g = c.benchmark_group("backend");
    g.bench_function("num-bigint mul mod N^2", |bench| {
        bench.iter(|| black_box((&a * &b) % &nn))
    });
    let params = BoxedMontyParams::new_vartime(Odd::new(boxed(&nn, 4096)).expect("odd"));
    let ma = BoxedMontyForm::new(boxed(&a, 4096), &params);
    let mb = BoxedMontyForm::new(boxed(&b, 4096), &params);
    g.bench_function("crypto-bigint mul mod N^2", |bench| {
        bench.iter(|| black_box(ma.mul(&mb)))
    });
    g.bench_function("crypto-bigint square mod N^2", |bench| {
        bench.iter(|| black_box(ma.square()))
    });
    // One CRT half of a decryption: 2048-bit modulus p², 1024-bit exponent p−1.
    let p2 = {
        let mut p = BigUint::from(rng.random::<u64>() | 1);
        while p.bits() < 2048 {
            p = (p << 64u32) | BigUint::from(rng.random::<u64>());
        }
        p | BigUint::from(1u8)
    };
    let e = BigUint::from_bytes_le(&(0..128).map(|_| rng.random::<u8>()).collect::<Vec<_>>());
    let base = &a % &p2;
    g.bench_function("num-bigint modpow 2048-bit mod, 1024-bit exp", |bench| {
        bench.iter(|| black_box(base.modpow(&e, &p2)))
    });
    let pp = BoxedMontyParams::new_vartime(Odd::new(boxed(&p2, 2048)).expect("odd"));
    let mbase = BoxedMontyForm::new(boxed(&base, 2048), &pp);
    let be = boxed(&e, 1024);
    g.bench_function("crypto-bigint pow 2048-bit mod, 1024-bit exp", |bench| {
        bench.iter(|| black_box(mbase.pow(&be)))
    });
    // The same with crypto-bigint's fixed-width (stack) types.
    let fixed_modulus = U2048::from_words(words::<32>(&p2));
    let fp = FixedMontyParams::new(Odd::new(fixed_modulus).expect("odd"));
    let fbase = FixedMontyForm::new(&U2048::from_words(words::<32>(&base)), &fp);
    let fe = U1024::from_words(words::<16>(&e));
    g.bench_function("crypto-bigint fixed U2048 pow, U1024 exp", |bench| {
        bench.iter(|| black_box(fbase.pow(&fe)))
    });
    let fe_wide: U2048 = fe.resize();
    g.bench_function("crypto-bigint fixed U2048 pow_amm, 1024-bit exp", |bench| {
        bench.iter(|| black_box(fbase.pow_amm_bounded_exp(&fe_wide, 1024)))
    });
    g.finish();
}

/// The low `N` 64-bit words of `x`.
fn words<const N: usize>(x: &BigUint) -> [u64; N] {
    let mut out = [0u64; N];
    for (o, w) in out.iter_mut().zip(x.iter_u64_digits()) {
        *o = w;
    }
    out
}

/// Old (num-bigint around crypto-bigint's pow, removed) against new (constant-time
/// crypto-bigint only) secret-key arithmetic, and old against new prime generation.
fn old_vs_new(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let p = random_prime(1024, &mut rng);
    let q = random_prime(1024, &mut rng);
    let sk = SecretKey::from_primes(&p, &q).expect("key");
    let pk = sk.public_key();
    let old = baseline::OldCrt::new(&p, &q);
    let m = BigUint::from(987_654_321u64) << 1200u32;
    let ct = pk.encrypt(&m, &mut rng).expect("enc");
    assert_eq!(old.decrypt(&ct.to_biguint()), m, "baseline decrypts");
    let mut g = c.benchmark_group("old-vs-new");
    g.bench_function(
        "decrypt 2048-bit, old (num-bigint + crypto-bigint pow)",
        |bench| bench.iter(|| black_box(old.decrypt(&ct.to_biguint()))),
    );
    g.bench_function(
        "decrypt 2048-bit, new (constant-time crypto-bigint)",
        |bench| bench.iter(|| black_box(sk.decrypt(&ct).expect("dec"))),
    );
    let y = ct.to_biguint();
    let k = BigUint::from(123_456_789u64) << 1500u32;
    g.bench_function("add plaintext (1+kN)Y, old (num-bigint)", |bench| {
        bench.iter(|| {
            black_box(baseline::old_mul_one_plus_kn(
                &y,
                &k,
                pk.n(),
                pk.n_squared(),
            ))
        })
    });
    g.bench_function(
        "add plaintext (1+kN)Y, new (constant-time crypto-bigint)",
        |bench| bench.iter(|| black_box(pk.add_plain(&ct, &k).expect("add"))),
    );
    g.bench_function("key-owner r^N, old (exponent N mod p(p-1))", |bench| {
        bench.iter(|| black_box(old.random_nth_power(&mut rng)))
    });
    g.bench_function("key-owner r^N, new (s^p mod p^2, constant time)", |bench| {
        bench.iter(|| black_box(sk.random_nth_power_crt(&mut rng)))
    });
    g.finish();

    let mut g = c.benchmark_group("primes");
    g.sample_size(20);
    g.bench_function(
        "1024-bit prime, old hand-written (trial division + 40 MR)",
        |bench| bench.iter(|| black_box(baseline::old_random_prime(1024, &mut rng))),
    );
    g.bench_function("1024-bit prime, crypto-primes (BPSW + 4 MR)", |bench| {
        bench.iter(|| black_box(random_prime(1024, &mut rng)))
    });
    g.finish();
}

fn paillier(c: &mut Criterion) {
    let sk = key();
    let pk = sk.public_key();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut g = c.benchmark_group("paillier-2048");
    g.bench_function("keygen", |bench| {
        bench.iter(|| black_box(SecretKey::generate(2048, &mut rng).expect("keygen")))
    });
    g.bench_function("r^N off-line (public key)", |bench| {
        bench.iter(|| black_box(pk.random_nth_power(&mut rng)))
    });
    g.bench_function("r^N off-line (key owner, CRT)", |bench| {
        bench.iter(|| black_box(sk.random_nth_power_crt(&mut rng)))
    });
    let rn = pk.random_nth_power(&mut rng);
    let m = BigUint::from(123_456_789u64) << 1500u32;
    g.bench_function("encrypt on-line (precomputed r^N)", |bench| {
        bench.iter(|| black_box(pk.encrypt_with(&m, &rn).expect("enc")))
    });
    let c1 = pk.encrypt_with(&m, &rn).expect("enc");
    let c2 = pk.encrypt(&BigUint::from(99u8), &mut rng).expect("enc");
    g.bench_function("decrypt (CRT)", |bench| {
        bench.iter(|| black_box(sk.decrypt(&c1).expect("dec")))
    });
    g.bench_function("decrypt (CRT, halves on two threads)", |bench| {
        bench.iter(|| black_box(sk.decrypt_parallel(&c1).expect("dec")))
    });
    g.bench_function("decrypt (textbook)", |bench| {
        bench.iter(|| black_box(sk.decrypt_textbook(&c1).expect("dec")))
    });
    g.bench_function("add (mul mod N^2)", |bench| {
        bench.iter(|| black_box(pk.add(&c1, &c2)))
    });
    g.bench_function("add plaintext (1 + kN trick)", |bench| {
        bench.iter(|| black_box(pk.add_plain(&c1, &m).expect("add")))
    });
    g.bench_function("re-randomise", |bench| {
        bench.iter(|| black_box(pk.rerandomize(&c1, &rn)))
    });
    g.bench_function("negate", |bench| bench.iter(|| black_box(pk.neg(&c1))));
    let k16 = BigUint::from(0xbeefu32);
    let k64 = BigUint::from(0xdead_beef_cafe_f00du64);
    g.bench_function("scalar mul, 16-bit", |bench| {
        bench.iter(|| black_box(pk.mul_plain(&c1, &k16)))
    });
    g.bench_function("scalar mul, 64-bit", |bench| {
        bench.iter(|| black_box(pk.mul_plain(&c1, &k64)))
    });
    g.finish();

    let mut g = c.benchmark_group("multiexp-2048");
    let mut pool = RandomnessPool::new();
    pool.fill_crt(&sk, 1024);
    let cts: Vec<_> = (0..1024u32)
        .map(|i| {
            pk.encrypt_with(&BigUint::from(i), &pool.take().expect("pool"))
                .expect("enc")
        })
        .collect();
    let ws: Vec<BigInt> = (0..1024)
        .map(|_| BigInt::from(rng.random::<u64>()))
        .collect();
    g.bench_function("inner product 1024 x 64-bit, Pippenger", |bench| {
        bench.iter(|| black_box(inner_product(pk, &cts, &ws).expect("ip")))
    });
    g.bench_function("inner product 1024 x 64-bit, naive", |bench| {
        bench.iter(|| {
            let mut acc = pk.mul_plain(&cts[0], ws[0].magnitude());
            for (c, w) in cts.iter().zip(&ws).skip(1) {
                acc = pk.add(&acc, &pk.mul_plain(c, w.magnitude()));
            }
            black_box(acc)
        })
    });
    let table = FixedBaseTable::new(pk, &cts[..128], 40, 0).expect("table");
    let es: Vec<u64> = (0..128).map(|_| rng.random::<u64>() >> 24).collect();
    g.bench_function("fixed-base row 128 x 40-bit (table reused)", |bench| {
        bench.iter(|| black_box(table.inner_product(pk, &es).expect("ip")))
    });
    g.finish();

    let mut g = c.benchmark_group("randomness-2048");
    let comb = CombTable::new(pk, full_zero(pk, &mut rng), 1024, usize::MAX);
    g.bench_function("comb h^x, 1024-bit x, window 8 (table reused)", |bench| {
        bench.iter(|| black_box(comb.random_power(pk, &mut rng)))
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

/// crypto-bigint's `BoxedMontyForm` against the crate's fixed-size constant-time Montgomery
/// arithmetic (`gcc_nn_paillier::monty`) modulo a 2048-bit p²: one multiplication, one
/// squaring and one CRT half (exponent of 1024 bits), in one run.
fn monty(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let p = random_prime(1024, &mut rng);
    let pp = &p * &p;
    let params = BoxedMontyParams::new(Odd::new(boxed(&pp, 2048)).expect("odd"));
    let one = BoxedMontyForm::one(&params);
    let fixed = FixedModulus::<32>::new(&words::<32>(&pp), one.as_montgomery().as_words())
        .expect("fixed modulus");
    let x = BigUint::from_bytes_le(&(0..256).map(|_| rng.random::<u8>()).collect::<Vec<_>>()) % &pp;
    let y = BigUint::from_bytes_le(&(0..256).map(|_| rng.random::<u8>()).collect::<Vec<_>>()) % &pp;
    let xf = BoxedMontyForm::new(boxed(&x, 2048), &params);
    let yf = BoxedMontyForm::new(boxed(&y, 2048), &params);
    let xm: [u64; 32] = xf.as_montgomery().as_words().try_into().expect("limbs");
    let ym: [u64; 32] = yf.as_montgomery().as_words().try_into().expect("limbs");
    let e = boxed(&(&p - 1u8), 1024);
    assert_eq!(
        &fixed.pow(&xm, e.as_words(), 1024)[..],
        xf.pow(&e).as_montgomery().as_words(),
        "same power"
    );
    let mut g = c.benchmark_group("monty");
    g.bench_function(
        "mul mod p^2 (2048-bit), crypto-bigint BoxedMontyForm",
        |bench| bench.iter(|| black_box(black_box(&xf).mul(black_box(&yf)))),
    );
    g.bench_function("mul mod p^2 (2048-bit), fixed 32-limb FIPS", |bench| {
        bench.iter(|| black_box(fixed.mul(black_box(&xm), black_box(&ym))))
    });
    g.bench_function(
        "square mod p^2 (2048-bit), crypto-bigint BoxedMontyForm",
        |bench| bench.iter(|| black_box(black_box(&xf).square())),
    );
    g.bench_function("square mod p^2 (2048-bit), fixed 32-limb FIPS", |bench| {
        bench.iter(|| black_box(fixed.square(black_box(&xm))))
    });
    g.bench_function(
        "c^(p-1) mod p^2, crypto-bigint BoxedMontyForm::pow",
        |bench| bench.iter(|| black_box(black_box(&xf).pow(&e))),
    );
    g.bench_function("c^(p-1) mod p^2, fixed 32-limb 5-bit window", |bench| {
        bench.iter(|| black_box(fixed.pow(black_box(&xm), e.as_words(), 1024)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = backends, old_vs_new, monty, paillier
}
criterion_main!(benches);
