//! The fast protocol's output circuit (`circuits/output_pixel.dsl`) against the one integer
//! definition of the output mapping (`model::pixel::pixel`): every coverage n an image can
//! have, sums at every threshold and extreme of the ring, random shares; and a two-party
//! run over a channel on a real layout, where only the user learns the pixels.

use circuit::value::{from_bits, push_bits, to_bits};
use gcc_nn_protocol::fast::output::{OutputPlan, compile_pixel_circuit};
use gcc_nn_protocol::fast::{FastReport, Ring};
use model::fixed::FIXED;
use model::patches::{ImageLayout, PatchGeometry};
use model::pixel::pixel;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use runtime::channel::MemChannel;
use std::time::Duration;

fn ring() -> Ring {
    Ring::new(FIXED.ring_bits).expect("ring")
}

/// Sums where the pixel changes (around every threshold ⌊k·n·2^F/51⌋ ± 1, including the
/// clamps at −128n and 128n), the ring's extremes, and random values.
fn interesting_sums(n: u32, rng: &mut ChaCha20Rng) -> Vec<i64> {
    let half = 1i64 << (FIXED.ring_bits - 1);
    let mut s = vec![0, -1, 1, half - 1, -half, -half + 1, half - 2];
    let d = i64::from(n) << FIXED.z_frac();
    for k in -131i64..=131 {
        let edge = (k * d).div_euclid(51);
        s.extend([edge - 1, edge, edge + 1]);
    }
    s.extend((0..300).map(|_| rng.random_range(-half..half)));
    s.extend((0..300).map(|_| rng.random_range(-(d * 3)..d * 3)));
    s
}

#[test]
fn output_circuit_equals_the_integer_pixel_for_every_coverage() {
    let ring = ring();
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    for n in 1..=16u32 {
        let tpc = compile_pixel_circuit(n, &FIXED, ring).expect("compiles");
        let mut seen = [false; 256];
        for s in interesting_sums(n, &mut rng) {
            let su = ring.reduce(rng.random());
            let sc = ring.sub(ring.from_signed(s), su);
            let mut bits = to_bits(su.into(), ring.k);
            push_bits(&mut bits, sc.into(), ring.k);
            let got = from_bits(&tpc.circuit().simulate(&bits)) as u64;
            let want = pixel(s, n, &FIXED);
            assert_eq!(got, u64::from(want), "n = {n}, S = {s}");
            seen[usize::from(want)] = true;
        }
        assert!(seen.iter().all(|&b| b), "n = {n}: every pixel value met");
    }
}

#[test]
fn output_circuit_is_small() {
    let ring = ring();
    // stride 5 on 5×5 output patches covers a pixel 1, 2 or 4 times: a power of two divides
    // for free; 3 (stride 3) needs the restoring division.
    for (n, most) in [(1, 170), (2, 170), (4, 170), (3, 260), (9, 320)] {
        let ands = compile_pixel_circuit(n, &FIXED, ring)
            .expect("compiles")
            .and_count();
        assert!(ands <= most, "n = {n}: {ands} ANDs");
    }
    assert!(compile_pixel_circuit(0, &FIXED, ring).is_err());
}

#[test]
fn two_party_output_reveals_the_pixels_to_the_user() {
    let ring = ring();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    // 5×5 outputs at stride 2 on a 19×16 image: coverages 1, 2, 3, 4, 6, 9 of a real layout.
    let layout =
        ImageLayout::new(19, 16, PatchGeometry::new(9, 5, 2).expect("geometry")).expect("layout");
    let plan = OutputPlan::new(&layout, &FIXED, ring).expect("plan");
    let groups = plan.and_counts();
    assert!(groups.len() >= 4, "several coverages: {groups:?}");
    let patches = layout.patch_count();
    let values = layout.patch_values();
    // q and centres such that the sums cover the whole pixel range and its clamps.
    let q: Vec<i64> = (0..values * patches)
        .map(|_| rng.random_range(-(3i64 << 24)..3i64 << 24))
        .collect();
    let centres: Vec<Vec<i64>> = (0..patches)
        .map(|_| {
            (0..values)
                .map(|_| rng.random_range(-(8i64 << 24)..8i64 << 24))
                .collect()
        })
        .collect();
    // Shares [i][p] of q.
    let z_u: Vec<u64> = (0..q.len()).map(|_| ring.reduce(rng.random())).collect();
    let z_c: Vec<u64> = (0..q.len())
        .map(|k| {
            let (i, p) = (k / patches, k % patches);
            ring.sub(ring.from_signed(q[p * values + i]), z_u[k])
        })
        .collect();
    let s_u = plan.pixel_sums(&ring, &z_u, Some(&centres)).expect("sums");
    let s_c = plan.pixel_sums(&ring, &z_c, None).expect("sums");
    // The expected image from the plain sums.
    let coverage = layout.coverage();
    let mut sums = vec![0i64; layout.pixel_count()];
    for (k, idx) in layout.pixel_indices().into_iter().enumerate() {
        let (p, i) = (k / values, k % values);
        sums[idx] += centres[p][i] + q[k];
    }
    let want: Vec<u8> = sums
        .iter()
        .zip(&coverage)
        .map(|(&s, &n)| pixel(s, n, &FIXED))
        .collect();
    let (a, mut b) = MemChannel::pair(Duration::from_secs(60));
    let (user, user_report, cloud_report) = std::thread::scope(|s| {
        let plan = &plan;
        let cloud = s.spawn(move || {
            let mut report = FastReport::default();
            plan.run_cloud(&mut b, &ring, &s_c, &mut report, &mut rand::rng())
                .expect("cloud");
            report
        });
        let mut a = a;
        let mut report = FastReport::default();
        let user = plan
            .run_user(&mut a, &ring, &s_u, &mut report, &mut rand::rng())
            .expect("user");
        (user, report, cloud.join().expect("cloud thread"))
    });
    assert_eq!(user, want);
    assert!(want.contains(&0) && want.contains(&255), "clamps exercised");
    let expected_ands: usize = groups.iter().map(|(_, a, px)| a * px).sum();
    assert_eq!(user_report.output_ands, expected_ands as u64);
    assert_eq!(cloud_report.output_ands, expected_ands as u64);
    assert_eq!(user_report.pixels, layout.pixel_count() as u64);
    assert_eq!(user_report.gc_bytes_received.len(), groups.len());
    // Shares of the wrong length are an error, not a panic.
    assert!(plan.pixel_sums(&ring, &z_u[1..], None).is_err());
}
