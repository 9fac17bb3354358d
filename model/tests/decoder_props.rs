//! Decoder hardening: model files and PNGs declaring huge sizes fail at once naming the
//! field; random and mutated bytes never panic; random models round-trip through files.

use gcc_nn_model::ModelError;
use gcc_nn_model::gray::GrayImage;
use gcc_nn_model::image_file::MAX_IMAGE_SIDE;
use gcc_nn_model::mlp::{Dense, MAX_LAYER_WIDTH, MAX_PARAMETERS, Mlp};
use proptest::prelude::*;
use std::path::Path;
use testkit::mutate::{edits, mutate};

/// A model file: the envelope around the activation section of tanh_fit (name length,
/// name, SHA-256 of the source), the given u32 header fields (sigma passed as bits) and
/// `tail` bytes.
fn model_file(fields: &[u32], tail: &[u8]) -> Vec<u8> {
    let act = gcc_nn_model::ModelActivation::shipped("tanh_fit").expect("tanh_fit");
    let mut body = vec![act.name().len() as u8];
    body.extend_from_slice(act.name().as_bytes());
    body.extend_from_slice(&act.sha256());
    for f in fields {
        body.extend_from_slice(&f.to_le_bytes());
    }
    body.extend_from_slice(tail);
    gcc_nn_model::mlp::MODEL_FILE.seal(&body)
}

fn model_error(bytes: &[u8]) -> String {
    match Mlp::from_bytes(bytes, "test") {
        Err(e @ ModelError::BadModelFile { .. }) => e.to_string(),
        other => panic!("expected a model file error, got {other:?}"),
    }
}

const SIGMA_25: u32 = 0x41c8_0000; // 25.0_f32

#[test]
fn model_files_declaring_huge_sizes_fail_fast() {
    // 17x17 → 1x1, two layers 289 → 65536 → 1: 19 million parameters, no weights present.
    let e = model_error(&model_file(&[17, 1, 1, SIGMA_25, 2, 289, 65536, 1], &[]));
    assert!(
        e.contains(&format!(
            "parameter count 19070977 exceeds the limit of {MAX_PARAMETERS}"
        )),
        "{e}"
    );
    let e = model_error(&model_file(&[17, 1, 1, SIGMA_25, 1, 289, 1 << 30], &[]));
    assert!(
        e.contains(&format!(
            "layer width 1073741824 is outside 1..={MAX_LAYER_WIDTH}"
        )),
        "{e}"
    );
    let e = model_error(&model_file(&[17, 1, 1, SIGMA_25, u32::MAX], &[]));
    assert!(e.contains("layer count 4294967295"), "{e}");
    let e = model_error(&model_file(&[u32::MAX, 1, 1, SIGMA_25, 1, 1, 1], &[]));
    assert!(e.contains("input patch side 4294967295"), "{e}");
    // Within the limits, but the weights are not there: refused before reading them.
    let e = model_error(&model_file(&[3, 1, 1, SIGMA_25, 1, 9, 1], &[0; 8]));
    assert!(
        e.contains("declare 10 parameters (40 bytes) but 8 bytes follow"),
        "{e}"
    );
}

#[test]
fn fuzz_model_nan_sigma_is_refused() {
    // A NaN σ made a decoded model unequal to itself (the round trip of the fuzz target).
    let weights: Vec<u8> = (0..10).flat_map(|_| 0.5f32.to_le_bytes()).collect();
    let ok = model_file(&[3, 1, 1, SIGMA_25, 1, 9, 1], &weights);
    assert!(Mlp::from_bytes(&ok, "ok").is_ok());
    let e = model_error(&model_file(
        &[3, 1, 1, f32::NAN.to_bits(), 1, 9, 1],
        &weights,
    ));
    assert!(e.contains("training sigma NaN"), "{e}");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG signature, a valid IHDR chunk for an 8-bit grayscale `w`×`h` image and an empty
/// IDAT chunk (the decoder reads the header up to the first IDAT).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&w.to_be_bytes());
    chunk.extend_from_slice(&h.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(b"IDAT");
    out.extend_from_slice(&crc32(b"IDAT").to_be_bytes());
    out
}

#[test]
fn png_declaring_a_huge_image_fails_fast() {
    let bytes = png_header(100_000, 100_000);
    assert_eq!(bytes.len(), 45);
    match GrayImage::decode(&bytes, Path::new("huge.png")) {
        Err(ModelError::ImageTooLarge {
            width: 100_000,
            height: 100_000,
            ..
        }) => {}
        other => panic!("expected ImageTooLarge, got {other:?}"),
    }
    let e = GrayImage::decode(
        &png_header(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE),
        Path::new("big.png"),
    )
    .expect_err("16384² is above the pixel limit");
    assert!(
        e.to_string().contains("16384x16384 exceeds the limit"),
        "{e}"
    );
    // A small header without pixel data is a codec error, not a size error.
    let e = GrayImage::decode(&png_header(4, 4), Path::new("empty.png")).expect_err("no data");
    assert!(matches!(e, ModelError::ImageCodec { .. }), "{e}");
}

fn random_model(input: usize, hidden: &[usize], values: &[f32]) -> Mlp {
    let mut widths = vec![input * input];
    widths.extend_from_slice(hidden);
    widths.push(1);
    let mut k = 0usize;
    let mut next = || {
        k += 1;
        values[k % values.len()]
    };
    let layers = widths
        .windows(2)
        .map(|p| Dense {
            inputs: p[0],
            outputs: p[1],
            weights: (0..p[0] * p[1]).map(|_| next()).collect(),
            bias: (0..p[1]).map(|_| next()).collect(),
        })
        .collect();
    Mlp::new(input, 1, 1, 25.0, layers).expect("valid model")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..120)) {
        let _ = Mlp::from_bytes(&bytes, "random");
        let _ = GrayImage::decode(&bytes, Path::new("random.png"));
    }

    #[test]
    fn mutated_files_never_panic(edits in edits(6)) {
        let m = random_model(3, &[4], &[0.5, -0.25, 1.0]);
        // The whole file mutated (envelope checks), and its body mutated then sealed again
        // (so the mutation reaches the field checks behind the checksum).
        let file = m.to_bytes();
        let mut whole = file.clone();
        mutate(&mut whole, &edits);
        let _ = Mlp::from_bytes(&whole, "mutated");
        let mut body = file[20..file.len() - 32].to_vec();
        mutate(&mut body, &edits);
        let _ = Mlp::from_bytes(&gcc_nn_model::mlp::MODEL_FILE.seal(&body), "mutated body");
        let mut png = gcc_nn_model::shipped::SAMPLE_PNG[..600].to_vec();
        mutate(&mut png, &edits);
        let _ = GrayImage::decode(&png, Path::new("mutated.png"));
    }

    #[test]
    fn random_models_round_trip(
        input in prop::sample::select(vec![1usize, 3, 5]),
        hidden in prop::collection::vec(1..6usize, 0..3),
        values in prop::collection::vec(-10.0f32..10.0, 1..20),
    ) {
        let m = random_model(input, &hidden, &values);
        let back = Mlp::from_bytes(&m.to_bytes(), "round trip").expect("reads back");
        prop_assert_eq!(back, m);
    }
}
