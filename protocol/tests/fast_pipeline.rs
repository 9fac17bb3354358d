//! The pipelined fast protocol (issue 16 item 4): the image's patches cut into chunks, a
//! chunk's garbled activations running while the next chunk's products are computed on a
//! second thread. Through the real runner (two parties, in-memory channel), on both engines,
//! the user's 8-bit image equals the fixed-point reference and the unchunked run's, pixel
//! for pixel; the garbled batches and the products beside them are where the schedule says.

use crate::fast_common;

use fast_common::{keys, random_model, setup};
use gcc_nn_protocol::fast::schedule::Chunking;
use gcc_nn_protocol::fast::{CloudOutputOrShare, CrossEngine, ShareCircuit, simulate_chunked};
use gcc_nn_protocol::timeline::Category;
use model::GrayImage;
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::FixedMlp;
use model::patches::ImageLayout;

/// Pixels over the whole input range, clamps included.
fn extreme_image(width: usize, height: usize) -> GrayImage {
    let px = (0..width * height)
        .map(|i| match i % 5 {
            0 => 700.0,
            1 => -300.0,
            _ => ((i * 53) % 256) as f64,
        })
        .collect();
    GrayImage::new(width, height, px).expect("image")
}

/// Runs `model` on `noisy` cut as each of `chunkings` on every engine; checks each image
/// against the reference and the accounting of its garbled batches.
fn check(model: &FixedMlp, noisy: &GrayImage, stride: usize, chunkings: &[Chunking]) {
    let (inputs, _) = quantised_patches(model, noisy, stride).expect("patches");
    let geometry = model.geometry(stride).expect("geometry");
    let layout = ImageLayout::new(noisy.width(), noisy.height(), geometry).expect("layout");
    let (user_share, cloud_share) = setup(model);
    let circuit = ShareCircuit::for_activation(&model.activation, &model.params).expect("circuit");
    let expected = denoise_fixed(model, noisy, stride)
        .expect("reference")
        .0
        .to_u8();
    let hidden_layers = model.layers.len() - 1;
    for engine in CrossEngine::ALL {
        for &chunking in chunkings {
            let sim = simulate_chunked(
                engine,
                chunking,
                runtime::scheme::Scheme::HalfGates,
                &keys().0,
                (&user_share, &cloud_share),
                &circuit,
                &inputs,
                &layout,
                true,
            )
            .unwrap_or_else(|e| panic!("{engine}, {chunking:?}: {e}"));
            assert_eq!(sim.user.pixels, expected, "{engine}, {chunking:?}: pixels");
            let CloudOutputOrShare::Image(cloud) = sim.cloud else {
                panic!("image run returns the cloud's report");
            };
            let chunks = sim.user.report.chunks;
            assert_eq!(cloud.report.chunks, chunks, "the cloud follows the header");
            let asked = inputs.len().div_ceil(chunking.chunk_patches(inputs.len()));
            assert_eq!(chunks, asked, "{engine}, {chunking:?}");
            let view = cloud.view.expect("recorded view");
            // One activation batch per hidden layer and chunk, together every activation.
            assert_eq!(view.gc_bytes_received.len(), hidden_layers * chunks);
            let hidden: usize = model.layers[..hidden_layers]
                .iter()
                .map(|l| l.outputs)
                .sum();
            assert_eq!(view.activations.len(), hidden * inputs.len());
            assert_eq!(cloud.report.activations, (hidden * inputs.len()) as u64);
            // Products computed beside a batch: the cloud's beside every batch, the user's
            // from layer 2 on; none in one chunk.
            let beside = |r: &gcc_nn_protocol::fast::FastReport| {
                r.entries
                    .iter()
                    .filter(|e| e.category == Category::Cross && e.name.contains("beside"))
                    .count()
            };
            let (u, c) = (beside(&sim.user.report), beside(&cloud.report));
            if chunks == 1 {
                assert_eq!((u, c), (0, 0), "{engine}: nothing beside in one chunk");
            } else {
                assert_eq!(c, hidden_layers * chunks, "{engine}, {chunking:?}: cloud");
                assert_eq!(u, (hidden_layers - 1) * chunks + 1, "{engine}: user");
            }
        }
    }
}

#[test]
fn chunked_images_match_the_reference_on_both_engines() {
    // Three layers (products beside the batches on both sides), 18 patches.
    let model = random_model(&[9, 6, 5, 1], 1);
    let chunkings = [Chunking::Whole, Chunking::Chunks(2), Chunking::Chunks(5)];
    check(&model, &extreme_image(8, 5), 1, &chunkings);
    // Overlapping patches (pixels covered 1 to 9 times) summed across chunks.
    let model = random_model(&[25, 6, 9], 4);
    check(&model, &extreme_image(9, 6), 2, &[Chunking::Chunks(3)]);
}

#[test]
fn chunkings_parse_and_cut_whole_chunks() {
    assert_eq!("whole".parse(), Ok(Chunking::Whole));
    assert_eq!("auto".parse(), Ok(Chunking::Auto));
    assert_eq!("4".parse(), Ok(Chunking::Chunks(4)));
    for bad in ["0", "65", "many"] {
        let err = bad.parse::<Chunking>().expect_err("refused");
        assert!(err.contains(bad), "{err}");
    }
    // 2,704 patches (a 256×256 image) in 4 chunks of 676; 10 in 4 chunks of 3, 3, 3, 1.
    assert_eq!(Chunking::Chunks(4).chunk_patches(2704), 676);
    assert_eq!(Chunking::Chunks(4).chunk_patches(10), 3);
    // Never more chunks than patches, never an empty one.
    assert_eq!(Chunking::Chunks(8).chunk_patches(3), 1);
    assert_eq!(Chunking::Whole.chunk_patches(7), 7);
    // Aligned to 15 slots per ciphertext: 676 → 690 (4 chunks: 690, 690, 690, 634), 10 →
    // 15 (2 chunks of 15, 5); not where the count would change (3 patches of 10 → 15 would
    // make one chunk); alignment 1 changes nothing.
    assert_eq!(Chunking::Chunks(4).aligned_patches(2704, 15), 690);
    assert_eq!(Chunking::Chunks(2).aligned_patches(20, 15), 15);
    assert_eq!(Chunking::Chunks(2).aligned_patches(6, 15), 3);
    assert_eq!(Chunking::Chunks(4).aligned_patches(10, 1), 3);
    assert_eq!(Chunking::Whole.aligned_patches(10, 15), 10);
    assert_eq!(Chunking::Chunks(2).aligned_patches(29, 15), 15);
}
