//! Known-answer tests of the negacyclic NTT: against schoolbook multiplication on random
//! small cases for every prime, and a fixed hand-checkable case.

use gcc_nn_rlwe::arith::Modulus;
use gcc_nn_rlwe::ntt::{NttTable, schoolbook_negacyclic};
use gcc_nn_rlwe::params::{N, PRIMES};
use rand::Rng;

fn random_poly(rng: &mut impl Rng, n: usize, p: u64) -> Vec<u64> {
    (0..n).map(|_| rng.next_u64() % p).collect()
}

#[test]
fn ntt_product_equals_schoolbook_on_random_small_cases() {
    let mut rng = rand::rng();
    for &p in &PRIMES {
        for n in [2usize, 4, 16, 64, 256] {
            let t = NttTable::new(p, n).expect("table");
            for _ in 0..3 {
                let (a, b) = (random_poly(&mut rng, n, p), random_poly(&mut rng, n, p));
                assert_eq!(
                    t.multiply(&a, &b),
                    schoolbook_negacyclic(&Modulus::new(p), &a, &b),
                    "p = {p}, n = {n}"
                );
            }
        }
    }
}

#[test]
fn x_times_x_to_the_n_minus_1_is_minus_one() {
    // X · X^(n−1) = X^n = −1 in Z_p[X]/(X^n + 1): a fixed known answer.
    let p = PRIMES[0];
    let t = NttTable::new(p, 8).expect("table");
    let mut x = vec![0u64; 8];
    x[1] = 1;
    let mut y = vec![0u64; 8];
    y[7] = 1;
    let mut expect = vec![0u64; 8];
    expect[0] = p - 1;
    assert_eq!(t.multiply(&x, &y), expect);
}

#[test]
fn forward_then_inverse_is_identity_at_full_size() {
    let mut rng = rand::rng();
    for &p in &PRIMES {
        let t = NttTable::new(p, N).expect("table");
        let a = random_poly(&mut rng, N, p);
        let mut b = a.clone();
        t.forward(&mut b);
        assert_ne!(a, b);
        t.inverse(&mut b);
        assert_eq!(a, b);
    }
}

#[test]
fn full_size_product_matches_schoolbook_on_a_sparse_case() {
    // Sparse operands keep the schoolbook reference fast at N = 8192, wraps included.
    let mut rng = rand::rng();
    let p = PRIMES[1];
    let t = NttTable::new(p, N).expect("table");
    let mut a = vec![0u64; N];
    let mut b = vec![0u64; N];
    for _ in 0..20 {
        a[rng.next_u64() as usize % N] = rng.next_u64() % p;
        b[rng.next_u64() as usize % N] = rng.next_u64() % p;
    }
    let m = Modulus::new(p);
    let mut expect = vec![0u64; N];
    for (i, &x) in a.iter().enumerate().filter(|(_, x)| **x != 0) {
        for (j, &y) in b.iter().enumerate().filter(|(_, y)| **y != 0) {
            let v = m.mul(x, y);
            let k = i + j;
            if k < N {
                expect[k] = m.add(expect[k], v)
            } else {
                expect[k - N] = m.sub(expect[k - N], v)
            }
        }
    }
    assert_eq!(t.multiply(&a, &b), expect);
}

#[test]
fn bad_tables_are_refused_with_a_reason() {
    assert!(NttTable::new(PRIMES[0], 12).is_err());
    assert!(NttTable::new(97, 64).is_err()); // 97 − 1 is not a multiple of 128
    assert!(NttTable::new(PRIMES[0] + 2, N).is_err()); // not ≡ 1 mod 2N
    assert!(
        NttTable::new(65 * 2 * N as u64 + 1, N).is_err()
            || gcc_nn_rlwe::arith::is_prime_u64(65 * 2 * N as u64 + 1)
    );
}
