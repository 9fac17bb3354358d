//! The Cheetah encoding and the masked matrix–vector products against plain `Z_(2^k)`
//! arithmetic, bit-exact, on random data and several layouts.

use gcc_nn_rlwe::params::N;
use gcc_nn_rlwe::{Engine, Layout, SecretKey, decrypt_outputs, encrypt_inputs, masked_products};
use rand::Rng;

fn random(rng: &mut impl Rng, n: usize, k: u32) -> Vec<u64> {
    (0..n).map(|_| rng.next_u64() & ((1u64 << k) - 1)).collect()
}

/// `E·x mod 2^k`, `[i][patch]`.
fn reference(e: &[u64], x: &[u64], n: usize, m: usize, p: usize, k: u32) -> Vec<u64> {
    let mut out = vec![0u64; m * p];
    for i in 0..m {
        for q in 0..p {
            let s = (0..n).fold(0u64, |s, j| {
                s.wrapping_add(e[i * n + j].wrapping_mul(x[j * p + q]))
            });
            out[i * p + q] = s & ((1u64 << k) - 1);
        }
    }
    out
}

/// Negacyclic product mod 2^k (schoolbook, sparse in `a`).
fn negacyclic_mod_t(a: &[u64], b: &[u64], k: u32) -> Vec<u64> {
    let mut out = vec![0u64; N];
    for (i, &x) in a.iter().enumerate().filter(|(_, x)| **x != 0) {
        for (j, &y) in b.iter().enumerate().filter(|(_, y)| **y != 0) {
            let v = x.wrapping_mul(y);
            let d = i + j;
            if d < N {
                out[d] = out[d].wrapping_add(v)
            } else {
                out[d - N] = out[d - N].wrapping_sub(v)
            }
        }
    }
    out.iter().map(|v| v & ((1u64 << k) - 1)).collect()
}

#[test]
fn cheetah_encoding_puts_every_inner_product_on_its_coefficient() {
    let mut rng = rand::rng();
    // (n_in, n_out, patches, k, (n_i, n_o, pp)): Cheetah's pp = 1, batched, partial blocks.
    let cases = [
        (7, 5, 1, 40, (7, 5, 1)),
        (9, 4, 30, 40, (4, 3, 30)),
        (5, 6, 100, 16, (2, 2, 100)),
        (30, 3, 2, 40, (30, 3, 1)),
    ];
    for (n, m, p, k, blocks) in cases {
        let l = Layout::new(n, m, p, k, blocks).expect("layout");
        let (e, x) = (random(&mut rng, n * m, k), random(&mut rng, n * p, k));
        let mut got = vec![0u64; m * p];
        for ob in 0..l.out_blocks() {
            for g in 0..l.groups() {
                let mut acc = vec![0u64; N];
                for ib in 0..l.in_blocks() {
                    let prod = negacyclic_mod_t(
                        &l.encode_matrix(&e, ob, ib).expect("encode"),
                        &l.encode_vector(&x, ib, g).expect("encode"),
                        k,
                    );
                    acc.iter_mut()
                        .zip(prod)
                        .for_each(|(a, v)| *a = a.wrapping_add(v) & l.t_mask());
                }
                let vals: Vec<u64> = l.useful_degrees(ob, g).map(|d| acc[d]).collect();
                l.scatter(&vals, ob, g, &mut got).expect("scatter");
            }
        }
        assert_eq!(got, reference(&e, &x, n, m, p, k), "layout {blocks:?}");
    }
}

fn check_product(layout: Layout, rng: &mut impl rand::CryptoRng) {
    let sk = SecretKey::generate(rng);
    let pk = sk.public_key(rng);
    let (n, m, p, k) = (layout.n_in, layout.n_out, layout.patches, layout.k);
    let (e, x) = (random(rng, n * m, k), random(rng, n * p, k));
    let cts = encrypt_inputs(&sk, &layout, &x, rng).expect("encrypt");
    let (outs, rho) = masked_products(&pk, &layout, &cts, &e, rng).expect("products");
    let mine = decrypt_outputs(&sk, &layout, &outs).expect("decrypt");
    let mask = layout.t_mask();
    let want = reference(&e, &x, n, m, p, k);
    for t in 0..m * p {
        assert_eq!(
            mine[t].wrapping_add(rho[t]) & mask,
            want[t].wrapping_neg() & mask,
            "{layout:?} value {t}"
        );
    }
    // The returned shares are masked: ρ alone is not the product.
    assert_ne!(
        rho,
        want.iter()
            .map(|v| v.wrapping_neg() & mask)
            .collect::<Vec<_>>()
    );
}

#[test]
fn masked_products_match_plain_ring_arithmetic_on_random_data() {
    let mut rng = rand::rng();
    for (n, m, p, k, blocks) in [
        (9, 4, 30, 40, (4, 3, 30)),
        (5, 6, 1000, 40, (1, 2, 1000)),
        (3, 2, 10, 12, (3, 1, 5)),
    ] {
        let l = Layout::new(n, m, p, k, blocks).expect("layout");
        check_product(l.with_engine(Engine::Coefficient), &mut rng);
        check_product(l.with_engine(Engine::Ntt), &mut rng);
    }
}

#[test]
fn chosen_layout_of_a_shipped_sized_layer_is_exact() {
    // The third layer's shape (128 → 25) on a few hundred patches, with the chooser's layout.
    let mut rng = rand::rng();
    let layout = Layout::choose(128, 25, 300, 40).expect("layout");
    assert!(layout.n_o * layout.n_i * layout.pp <= N);
    check_product(layout, &mut rng);
}

#[test]
fn chooser_prefers_whole_image_batches_for_the_shipped_model() {
    for (n, m) in [(169, 128), (128, 128), (128, 25)] {
        let l = Layout::choose(n, m, 2704, 40).expect("layout");
        assert_eq!((l.pp, l.groups()), (2704, 1), "{l:?}");
    }
}

#[test]
fn wrong_sizes_and_indices_are_errors_naming_what() {
    let l = Layout::new(9, 4, 30, 40, (4, 3, 30)).expect("layout");
    let e = l.encode_vector(&[0; 10], 0, 0).expect_err("short x");
    assert!(e.to_string().contains("inputs x[j][patch]"), "{e}");
    let e = l.encode_vector(&[0; 270], 3, 0).expect_err("block 3 of 3");
    assert!(e.to_string().contains("input block 3"), "{e}");
    let e = l
        .encode_matrix(&[0; 36], 2, 0)
        .expect_err("output block 2 of 2");
    assert!(e.to_string().contains("output block 2"), "{e}");
    let e = l
        .scatter(&[0; 5], 0, 0, &mut [0; 120])
        .expect_err("5 useful values");
    assert!(e.to_string().contains("useful values"), "{e}");
    let e = Layout::new(9, 4, 30, 40, (4, 3, 100)).expect_err("pp > P");
    assert!(e.to_string().contains("pp = 100"), "{e}");
    let e = Layout::new(9, 4, 3000, 40, (9, 4, 3000)).expect_err("n_o·n_i·pp > N");
    assert!(e.to_string().contains("exceeds N"), "{e}");
}

#[test]
fn few_patches_choose_the_ntt_engine_and_stay_exact() {
    // One patch of the first layer: Cheetah's dense blocks, the NTT engine.
    let mut rng = rand::rng();
    let layout = Layout::choose(169, 128, 1, 40).expect("layout");
    assert_eq!(layout.engine, Engine::Ntt, "{layout:?}");
    assert!(layout.n_o * layout.n_i > 1000, "{layout:?}");
    check_product(layout, &mut rng);
    let many = Layout::choose(169, 128, 2704, 40).expect("layout");
    assert_eq!(many.engine, Engine::Coefficient, "{many:?}");
}

#[test]
fn shipped_model_image_traffic_is_within_the_target() {
    // Deterministic metric: bytes of the five cross products of one 256×256 image
    // (layer 1 has one cross product, layers 2 and 3 two), from the chosen layouts.
    let bytes: usize = [(169, 128, 1), (128, 128, 2), (128, 25, 2)]
        .iter()
        .map(|&(n, m, c)| c * Layout::choose(n, m, 2704, 40).expect("layout").bytes())
        .sum();
    assert!(
        bytes < 150_000_000,
        "{bytes} bytes per image (target ≤ 1 GB, measured 112.3 MB)"
    );
    assert!(
        bytes > 50_000_000,
        "{bytes}: the inputs alone are 2,704·(169 + 2·128 + 2·128) values"
    );
}

#[test]
fn layout_bytes_equal_the_serialized_sizes() {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    // Partial last blocks and groups on both axes.
    let l = Layout::new(7, 5, 23, 40, (3, 2, 10)).expect("layout");
    let (e, x) = (random(&mut rng, 35, 40), random(&mut rng, 7 * 23, 40));
    let cts = encrypt_inputs(&sk, &l, &x, &mut rng).expect("encrypt");
    let (outs, _) = masked_products(&pk, &l, &cts, &e, &mut rng).expect("products");
    let sent: usize = cts.iter().map(|c| c.to_bytes(&l).len()).sum::<usize>()
        + outs.iter().map(|o| o.to_bytes().len()).sum::<usize>();
    assert_eq!(l.bytes(), sent);
}
