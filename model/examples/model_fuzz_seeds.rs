//! Writes the seed corpus of the `model_file` fuzz target into DIR (default
//! `fuzz/seeds/model_file`): selector byte 0 + a whole model file, selector 1 + a model
//! file's body (the target seals it in the envelope, `mlp::MODEL_FILE`), selector 2 + small
//! PNGs. The model seeds are a tiny 5×5→1×1 model (the shipped one is 166 kB) and the
//! shipped model's body's first 2 kB; the PNGs are 1×1 and 16×16 crops of the shipped sample.
//!
//! `cargo run -p gcc-nn-model --example model_fuzz_seeds [DIR]`

use gcc_nn_model::mlp::{Dense, Mlp};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/seeds/model_file".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let layer = |inputs: usize, outputs: usize| Dense {
        inputs,
        outputs,
        weights: (0..inputs * outputs)
            .map(|i| i as f32 * 0.01 - 0.1)
            .collect(),
        bias: (0..outputs).map(|i| i as f32 * 0.5).collect(),
    };
    let tiny = Mlp::new(5, 1, 1, 25.0, vec![layer(25, 4), layer(4, 1)])?.to_bytes();
    let unsummed = tiny[20..tiny.len() - 32].to_vec();
    let shipped_head = gcc_nn_model::shipped::MODEL_BYTES[20..2048].to_vec();
    let sample = gcc_nn_model::shipped::sample_image()?;
    let png = |side: usize| -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let path = std::env::temp_dir().join(format!("gcc-nn-fuzz-seed-{side}.png"));
        sample.crop(100, 100, side, side)?.save_png(&path)?;
        let bytes = std::fs::read(&path)?;
        std::fs::remove_file(&path)?;
        Ok(bytes)
    };
    let seeds: Vec<(&str, u8, Vec<u8>)> = vec![
        ("tiny_model", 0, tiny),
        ("tiny_model_unsummed", 1, unsummed),
        ("shipped_model_head", 1, shipped_head),
        ("png_1x1", 2, png(1)?),
        ("png_16x16", 2, png(16)?),
    ];
    for (name, selector, bytes) in &seeds {
        let mut out = vec![*selector];
        out.extend_from_slice(bytes);
        std::fs::write(dir.join(name), out)?;
    }
    println!("wrote {} seeds to {}", seeds.len(), dir.display());
    Ok(())
}
