//! The garbling scheme through the secure fast protocol (docs/protocol.md §3, "Garbling
//! scheme"): the user names it in the image header, the cloud follows, every garbled batch
//! runs on it. With three-halves the image equals half-gates' and the fixed-point
//! reference's pixel for pixel, on both linear-layer engines; the bytes the cloud receives in
//! each garbled batch are half-gates' minus exactly the garbled material the two schemes
//! differ by: per instance of a circuit of n AND gates 32·n bytes against 24·n + ⌈5n/8⌉
//! (1.5κ + 5 bits per AND); and each batch is exactly the garbler's setup, its material and
//! its decoding bits (no input labels: both sides derive them). A header changed in transit
//! makes the cloud garble with another scheme: the first batch's driver handshake refuses it
//! on both sides.

use crate::fast_common;

use fast_common::{keys, random_model, setup};
use gcc_nn_protocol::fast::party::{run_cloud_with, run_user_chunked};
use gcc_nn_protocol::fast::schedule::Chunking;
use gcc_nn_protocol::fast::{CloudOutputOrShare, CrossEngine, ShareCircuit, simulate_chunked};
use model::GrayImage;
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::FixedMlp;
use model::patches::ImageLayout;
use runtime::channel::{Channel, ChannelError, MemChannel};
use runtime::scheme::Scheme;
use std::time::Duration;

/// Garbled bytes of one instance of an `n`-AND circuit, written out from the papers (not
/// from the code under test).
fn material(scheme: Scheme, n: u64) -> u64 {
    match scheme {
        Scheme::HalfGates => 2 * 16 * n,
        Scheme::ThreeHalves => 3 * 8 * n + (5 * n).div_ceil(8),
    }
}

/// Bytes the garbler (the user) sends in every batch before its material: the driver's
/// handshake, the hash start point and its 128 base-OT points (32 bytes each).
const GARBLER_SETUP: u64 = runtime::driver::HANDSHAKE_BYTES as u64 + 16 + 128 * 32;

/// One image run's result: pixels, the cloud's bytes received per garbled batch and the
/// user's and the cloud's report of the scheme.
struct Ran {
    pixels: Vec<u8>,
    batches: Vec<u64>,
    schemes: (Scheme, Scheme),
    output_ands: u64,
    pixel_count: u64,
    patches: u64,
}

fn run(
    model: &FixedMlp,
    noisy: &GrayImage,
    engine: CrossEngine,
    scheme: Scheme,
    shares: (
        &gcc_nn_protocol::fast::ModelShare,
        &gcc_nn_protocol::fast::ModelShare,
    ),
) -> Ran {
    let (inputs, _) = quantised_patches(model, noisy, 1).expect("patches");
    let layout = ImageLayout::new(noisy.width(), noisy.height(), model.geometry(1).expect("g"))
        .expect("layout");
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("circuit");
    let sim = simulate_chunked(
        engine,
        Chunking::Whole,
        scheme,
        &keys().0,
        shares,
        &circuit,
        &inputs,
        &layout,
        false,
    )
    .unwrap_or_else(|e| panic!("{engine}, {scheme}: {e}"));
    let CloudOutputOrShare::Image(cloud) = sim.cloud else {
        panic!("an image run returns the cloud's report");
    };
    Ran {
        pixels: sim.user.pixels,
        batches: cloud.report.gc_bytes_received.clone(),
        schemes: (sim.user.report.scheme, cloud.report.scheme),
        output_ands: cloud.report.output_ands,
        pixel_count: cloud.report.pixels,
        patches: cloud.patches as u64,
    }
}

#[test]
fn three_halves_gives_the_half_gates_and_fixed_point_image_with_exactly_its_material_fewer_bytes() {
    // 3×3 → 1×1 patches at stride 1 on an 8×6 image: one patch per pixel, two hidden layers
    // (6 and 5 activations per patch), every pixel covered once (one output batch).
    let model = random_model(&[9, 6, 5, 1], 31);
    let px = (0..8 * 6).map(|i| ((i * 53) % 256) as f64).collect();
    let noisy = GrayImage::new(8, 6, px).expect("image");
    let (user_share, cloud_share) = setup(&model);
    let want = denoise_fixed(&model, &noisy, 1)
        .expect("reference")
        .0
        .to_u8();
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("circuit");
    let ands = circuit.and_count() as u64;
    for engine in CrossEngine::ALL {
        let hg = run(
            &model,
            &noisy,
            engine,
            Scheme::HalfGates,
            (&user_share, &cloud_share),
        );
        let th = run(
            &model,
            &noisy,
            engine,
            Scheme::ThreeHalves,
            (&user_share, &cloud_share),
        );
        assert_eq!(
            hg.schemes,
            (Scheme::HalfGates, Scheme::HalfGates),
            "{engine}"
        );
        assert_eq!(
            th.schemes,
            (Scheme::ThreeHalves, Scheme::ThreeHalves),
            "{engine}: the cloud follows the user's header"
        );
        assert_eq!(
            hg.pixels, want,
            "{engine}: half-gates against the reference"
        );
        assert_eq!(
            th.pixels, want,
            "{engine}: three-halves against the reference"
        );
        // Batches: the activations of each hidden layer (one chunk), then one output batch.
        let patches = th.patches;
        assert_eq!(patches, 8 * 6, "{engine}");
        let instances = [patches * 6, patches * 5, th.pixel_count];
        assert_eq!(th.batches.len(), instances.len(), "{engine}");
        assert_eq!(hg.batches.len(), instances.len(), "{engine}");
        assert_eq!(th.pixel_count, (8 * 6) as u64);
        assert_eq!(th.output_ands, hg.output_ands);
        assert_eq!(th.output_ands % th.pixel_count, 0, "one output circuit");
        let per_pixel = th.output_ands / th.pixel_count;
        let circuit_ands = [ands, ands, per_pixel];
        // Decoding bits the user sends per batch: an activation's output (the cloud learns
        // y), none for the output circuits (the user learns the pixels).
        let out_bits = circuit.two_party().output_bits() as u64;
        let decoding = [
            (instances[0] * out_bits).div_ceil(8),
            (instances[1] * out_bits).div_ceil(8),
            0,
        ];
        for (b, (&n, &a)) in instances.iter().zip(&circuit_ands).enumerate() {
            let (h, t) = (hg.batches[b], th.batches[b]);
            let diff = n * (material(Scheme::HalfGates, a) - material(Scheme::ThreeHalves, a));
            // Everything else (driver handshake, start point, base OT) is the same for both
            // schemes: the whole difference is the material.
            assert_eq!(h - t, diff, "{engine}, batch {b}: {n} × {a} ANDs");
            // Exactly: the garbler's setup, the material and the decoding bits; the user's
            // input labels (16 bytes per garbler input bit) are derived, not sent.
            for (scheme, got) in [(Scheme::HalfGates, h), (Scheme::ThreeHalves, t)] {
                assert_eq!(
                    got,
                    GARBLER_SETUP + n * material(scheme, a) + decoding[b],
                    "{engine}, {scheme}, batch {b}"
                );
            }
        }
    }
}

/// The user's side of the channel, rewriting the scheme word of the first message it sends
/// (the image header) to half-gates: the cloud follows the header, so it garbles with
/// another scheme than the user.
struct HeaderSchemeToHalfGates {
    inner: MemChannel,
    header_scheme: Option<u64>,
}

impl Channel for HeaderSchemeToHalfGates {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        if self.header_scheme.is_some() {
            return self.inner.send(bytes);
        }
        assert_eq!(
            &bytes[..8],
            b"GCCNN-FI",
            "the user's first message is the header"
        );
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[96..104]);
        self.header_scheme = Some(u64::from_le_bytes(word));
        let mut changed = bytes.to_vec();
        changed[96..104].copy_from_slice(&u64::from(Scheme::HalfGates.code()).to_le_bytes());
        self.inner.send(&changed)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.recv_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn bytes_sent(&self) -> u64 {
        self.inner.bytes_sent()
    }
    fn bytes_received(&self) -> u64 {
        self.inner.bytes_received()
    }
}

#[test]
fn each_garbled_batch_refuses_a_peer_with_another_scheme_than_the_header_named() {
    // The header is rewritten in transit (negative control of the header's role): the cloud
    // takes half-gates, the user garbles three-halves, and the first batch's driver
    // handshake stops both, each naming the two schemes.
    let model = random_model(&[9, 4, 1], 33);
    let px = (0..4 * 3).map(|i| ((i * 71) % 256) as f64).collect();
    let noisy = GrayImage::new(4, 3, px).expect("image");
    let (user_share, cloud_share) = setup(&model);
    let (inputs, _) = quantised_patches(&model, &noisy, 1).expect("patches");
    let layout = ImageLayout::new(4, 3, model.geometry(1).expect("geometry")).expect("layout");
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("circuit");
    let (user_sk, engine) = (&keys().0, CrossEngine::Paillier);
    let user_pk = user_sk.public_key();
    let (a, mut b) = MemChannel::pair(Duration::from_secs(120));
    let mut a = HeaderSchemeToHalfGates {
        inner: a,
        header_scheme: None,
    };
    let (user, cloud) = std::thread::scope(|s| {
        let cloud = s.spawn(|| {
            let mut rng = rand::rng();
            run_cloud_with(
                engine,
                &mut b,
                user_pk,
                &cloud_share,
                &circuit,
                false,
                &mut rng,
            )
        });
        let (chunks, scheme, mut rng) = (Chunking::Whole, Scheme::ThreeHalves, rand::rng());
        let user = run_user_chunked(
            engine,
            chunks,
            scheme,
            &mut a,
            user_sk,
            &user_share,
            &circuit,
            &inputs,
            &layout,
            &mut rng,
        );
        (user, cloud.join().expect("cloud thread"))
    });
    assert_eq!(
        a.header_scheme,
        Some(u64::from(Scheme::ThreeHalves.code())),
        "the user named its scheme in the header"
    );
    for (who, err) in [
        ("user", user.map(|_| ()).expect_err("the user refuses")),
        ("cloud", cloud.map(|_| ()).expect_err("the cloud refuses")),
    ] {
        let text = err.to_string();
        assert!(text.contains("different garbling schemes"), "{who}: {text}");
        assert!(
            text.contains("--scheme three-halves") && text.contains("--scheme half-gates"),
            "{who}: {text}"
        );
    }
}
