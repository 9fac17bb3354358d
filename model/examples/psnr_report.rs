//! The PSNR table without the CLI, with the shipped model at its own stride:
//! `cargo run --release -p gcc-nn-model --example psnr_report -- OUT_DIR SET_DIR...`
//! (same library function and output as `gcc-nn psnr-report --set SET_DIR -o OUT_DIR`).
//! The denoised images and the comparison image go to OUT_DIR; e.g. SET_DIR =
//! model/tests/data/cc0 (the CC0 images shipped with the repository).

use gcc_nn_model as model;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [out_dir, sets @ ..] = args.as_slice() else {
        return Err("usage: psnr_report OUT_DIR SET_DIR [SET_DIR ...]".into());
    };
    if sets.is_empty() {
        return Err("usage: psnr_report OUT_DIR SET_DIR [SET_DIR ...]".into());
    }
    let mlp = model::shipped::model()?;
    let activations = model::report::DEFAULT_ACTIVATIONS
        .iter()
        .map(|n| activation::Activation::shipped(n))
        .collect::<Result<Vec<_>, _>>()?;
    model::report::psnr_report(
        &mlp,
        &activations,
        sets,
        25.0,
        1,
        mlp.stride,
        out_dir,
        &out_dir.join("denoise_comparison.png"),
        &mut std::io::stdout(),
    )?;
    Ok(())
}
