//! Measures the RLWE core at N = 8192 and runs the shipped model's five cross products for one
//! 256×256 image (2,704 patches; layers 169→128, 128→128, 128→25; layer 1 has no second
//! cross product since the cloud's input share is zero), reporting CPU seconds per side,
//! wall time and bytes each way. `cargo run --release -p gcc-nn-rlwe --example rlwe_bench`
//! (`RLWE_BENCH_PATCHES` changes the patch count).

use gcc_nn_rlwe::params::{L, N, PRIMES};
use gcc_nn_rlwe::poly::RnsPoly;
use gcc_nn_rlwe::{Layout, SecretKey, decrypt_outputs, encrypt_inputs, masked_products};
use std::time::Instant;

/// User + system CPU seconds of this process (`platform::cpu`; 0 where `/proc` is missing).
fn cpu_seconds() -> f64 {
    platform::cpu::own_cpu().map_or(0.0, |d| d.as_secs_f64())
}

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    let t0 = Instant::now();
    for _ in 0..reps {
        std::hint::black_box(f());
    }
    t0.elapsed().as_secs_f64() / reps as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand::rng();
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key(&mut rng);
    println!(
        "# RLWE core, N = {N}, L = {L} primes, log2 q = {:.1}, one thread unless noted",
        PRIMES.iter().map(|&p| (p as f64).log2()).sum::<f64>()
    );

    // Primitives.
    let ctx = gcc_nn_rlwe::params::context();
    let mut a = gcc_nn_rlwe::sample::uniform_from_seed(&[7; 32]);
    let ntt = time(200, || ctx.ntt[1].forward(a.residues_mut(1)));
    println!(
        "NTT forward, one prime:                          {:8.1} µs",
        ntt * 1e6
    );
    let w_ntt = gcc_nn_rlwe::sample::uniform_from_seed(&[8; 32]);
    let mut c = (RnsPoly::zero(), RnsPoly::zero());
    let prod = time(200, || {
        c.0 = a.mul_ntt(&w_ntt);
        c.1 = a.mul_ntt(&w_ntt);
    });
    println!(
        "pt×ct product, NTT domain (ŵ pre-transformed):   {:8.1} µs  (+ {} NTTs for ŵ: {:.1} µs)",
        prod * 1e6,
        L,
        L as f64 * ntt * 1e6
    );
    let rayon_one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let one = Layout::new(1, 1, 1, 40, (1, 1, 1))?;
    let enc = rayon_one.install(|| time(50, || encrypt_inputs(&sk, &one, &[5], &mut rand::rng())));
    println!(
        "secret-key encryption (seeded a), one ciphertext: {:8.1} µs",
        enc * 1e6
    );
    let cts = encrypt_inputs(&sk, &one, &[5], &mut rng)?;
    let prodc = rayon_one.install(|| {
        time(20, || {
            masked_products(&pk, &one, &cts, &[3], &mut rand::rng())
        })
    });
    println!(
        "one masked product, 1 term (MAC + mask + pk-enc of 0 + flood + switch): {:8.1} µs",
        prodc * 1e6
    );
    let (outs, _) = masked_products(&pk, &one, &cts, &[3], &mut rng)?;
    let dec = rayon_one.install(|| time(50, || decrypt_outputs(&sk, &one, &outs)));
    println!(
        "decryption of one returned ciphertext:           {:8.1} µs",
        dec * 1e6
    );
    let terms = Layout::new(169, 1, 48, 40, (169, 1, 48))?;
    let x169 = vec![1u64; 169 * 48];
    let cts169 = encrypt_inputs(&sk, &terms, &x169, &mut rng)?;
    let w169 = vec![12345u64; 169];
    let p169 = rayon_one.install(|| {
        time(10, || {
            masked_products(&pk, &terms, &cts169, &w169, &mut rand::rng())
        })
    });
    println!(
        "per weight term (coefficient-domain shift-MAC over a and b, L = 3): {:8.2} µs  (169 terms: {:.2} ms)",
        (p169 - prodc) / 168.0 * 1e6,
        p169 * 1e3
    );

    let patches: usize = std::env::var("RLWE_BENCH_PATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2704);
    run_image(&sk, &pk, patches)?;
    run_image(&sk, &pk, 1)?;
    Ok(())
}

/// The five cross products of the shipped model for `patches` patches.
fn run_image(
    sk: &SecretKey,
    pk: &gcc_nn_rlwe::PublicKey,
    patches: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand::rng();
    println!("\n# one image: {patches} patches, both cores (rayon), k = 40");
    let layers = [(169usize, 128usize, 1usize), (128, 128, 2), (128, 25, 2)];
    let (mut owner_cpu, mut mult_cpu, mut bytes_up, mut bytes_down, mut wall) =
        (0f64, 0f64, 0usize, 0usize, 0f64);
    for (n, m, crosses) in layers {
        let layout = Layout::choose(n, m, patches, 40)?;
        for _ in 0..crosses {
            let x: Vec<u64> = (0..n * patches)
                .map(|_| gcc_nn_rlwe::sample::uniform_bits(&mut rng, 40))
                .collect();
            let e: Vec<u64> = (0..n * m)
                .map(|_| gcc_nn_rlwe::sample::uniform_bits(&mut rng, 40))
                .collect();
            let (c0, t0) = (cpu_seconds(), Instant::now());
            let cts = encrypt_inputs(sk, &layout, &x, &mut rng)?;
            let c1 = cpu_seconds();
            let (outs, rho) = masked_products(pk, &layout, &cts, &e, &mut rng)?;
            let c2 = cpu_seconds();
            let mine = decrypt_outputs(sk, &layout, &outs)?;
            let (c3, w3) = (cpu_seconds(), t0.elapsed().as_secs_f64());
            let up: usize = cts.iter().map(|c| c.to_bytes(&layout).len()).sum();
            let down: usize = outs.iter().map(|o| o.to_bytes().len()).sum();
            // Spot check: shares reconstruct −E·x on the first output of the first patch.
            let want = (0..n).fold(0u64, |s, j| {
                s.wrapping_add(e[j].wrapping_mul(x[j * patches]))
            });
            let ok = mine[0].wrapping_add(rho[0]).wrapping_add(want) & ((1 << 40) - 1) == 0;
            println!(
                "{n:3}→{m:3}: layout n_i = {}, n_o = {}, pp = {}, {:?} engine: {} inputs, {} outputs; owner {:.2}+{:.2} CPU-s, multiplier {:.2} CPU-s, wall {:.2} s; {:.1} MB up, {:.1} MB down; check {}",
                layout.n_i,
                layout.n_o,
                layout.pp,
                layout.engine,
                cts.len(),
                outs.len(),
                c1 - c0,
                c3 - c2,
                c2 - c1,
                w3,
                up as f64 / 1e6,
                down as f64 / 1e6,
                if ok { "ok" } else { "FAILED" }
            );
            owner_cpu += (c1 - c0) + (c3 - c2);
            mult_cpu += c2 - c1;
            wall += w3;
            bytes_up += up;
            bytes_down += down;
        }
    }
    println!(
        "image total: {:.2} CPU-s (key owners {:.2}, multipliers {:.2}), {:.2} s wall run one after another, {:.1} MB ({:.1} up, {:.1} down)",
        owner_cpu + mult_cpu,
        owner_cpu,
        mult_cpu,
        wall,
        (bytes_up + bytes_down) as f64 / 1e6,
        bytes_up as f64 / 1e6,
        bytes_down as f64 / 1e6
    );
    Ok(())
}
