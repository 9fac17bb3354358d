//! The model file decoder and the grayscale image decoder. First byte: 0 → model file as
//! is, 1 → a model file body sealed in the envelope (`mlp::MODEL_FILE`: reaches the fields
//! behind the checksum), 2 → image (PNG) decoder. A model that reads is written back and must re-read equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use model::gray::GrayImage;
use model::mlp::{MODEL_FILE, Mlp};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 | 1 => {
            let bytes = if selector % 3 == 1 {
                MODEL_FILE.seal(rest)
            } else {
                rest.to_vec()
            };
            if let Ok(m) = Mlp::from_bytes(&bytes, "fuzz") {
                match Mlp::from_bytes(&m.to_bytes(), "fuzz again") {
                    Ok(back) => assert_eq!(back, m, "model round trip"),
                    Err(e) => panic!("written model does not read back: {e}"),
                }
            }
        }
        _ => {
            if let Ok(img) = GrayImage::decode(rest, Path::new("fuzz.png")) {
                assert_eq!(img.pixels().len(), img.width() * img.height());
            }
        }
    }
});
