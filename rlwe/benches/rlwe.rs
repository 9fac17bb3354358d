//! Criterion benches of the RLWE core at N = 8192: the NTT, one input encryption, one
//! returned ciphertext (one weight: products, mask, encryption of zero, flooding, switch),
//! one decryption, and the third layer's cross product (128→25) for a whole image.
//! `cargo bench -p gcc-nn-rlwe`; the whole-image figures come from
//! `cargo run --release -p gcc-nn-rlwe --example rlwe_bench`.

use criterion::{Criterion, criterion_group, criterion_main};
use gcc_nn_rlwe::{Layout, SecretKey, decrypt_outputs, encrypt_inputs, masked_products};
use std::hint::black_box;

fn primitives(c: &mut Criterion) {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    let ctx = gcc_nn_rlwe::params::context();
    let mut a = gcc_nn_rlwe::sample::uniform_from_seed(&[1; 32]);
    let mut g = c.benchmark_group("rlwe_n8192");
    g.bench_function("ntt_forward_one_prime", |b| {
        b.iter(|| ctx.ntt[1].forward(black_box(a.residues_mut(1))))
    });
    let one = Layout::new(1, 1, 1, 40, (1, 1, 1)).expect("layout");
    g.bench_function("encrypt_one_input", |b| {
        b.iter(|| encrypt_inputs(&sk, &one, &[5], &mut rand::rng()))
    });
    let cts = encrypt_inputs(&sk, &one, &[5], &mut rng).expect("encrypt");
    g.bench_function("one_returned_ciphertext_one_weight", |b| {
        b.iter(|| masked_products(&pk, &one, &cts, &[3], &mut rand::rng()))
    });
    let (outs, _) = masked_products(&pk, &one, &cts, &[3], &mut rng).expect("products");
    g.bench_function("decrypt_one_returned_ciphertext", |b| {
        b.iter(|| decrypt_outputs(&sk, &one, &outs))
    });
    g.finish();
}

fn layer3_image(c: &mut Criterion) {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    let layout = Layout::choose(128, 25, 2704, 40).expect("layout");
    let x: Vec<u64> = (0..128 * 2704).map(|i| i as u64 * 7919).collect();
    let w: Vec<u64> = (0..128 * 25).map(|i| i as u64 * 104_729).collect();
    let cts = encrypt_inputs(&sk, &layout, &x, &mut rng).expect("encrypt");
    let mut g = c.benchmark_group("rlwe_layer3_2704_patches");
    g.sample_size(10);
    g.bench_function("encrypt_inputs", |b| {
        b.iter(|| encrypt_inputs(&sk, &layout, &x, &mut rand::rng()))
    });
    g.bench_function("masked_products", |b| {
        b.iter(|| masked_products(&pk, &layout, &cts, &w, &mut rand::rng()))
    });
    g.finish();
}

criterion_group!(benches, primitives, layer3_image);
criterion_main!(benches);
