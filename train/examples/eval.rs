//! The PSNR table of a trained model, as `gcc-nn psnr-report --model MODEL --activation ACT
//! --set SET… -o OUT_DIR` prints it (same library function), for the training search while
//! the CLI is not at hand: `eval MODEL ACT OUT_DIR SET_DIR...` (σ = 25, seeds from 1, the
//! model's stride; MODEL may be a training checkpoint `.ckpt`).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: eval MODEL ACTIVATION OUT_DIR SET_DIR...";
    let [model_path, act, out_dir, sets @ ..] = args.as_slice() else {
        return Err(usage.into());
    };
    if sets.is_empty() {
        return Err(usage.into());
    }
    // A checkpoint (`.ckpt`) is evaluated with the weights it holds.
    let mlp = if model_path.ends_with(".ckpt") {
        gcc_nn_train::Checkpoint::load(&PathBuf::from(model_path))?.model
    } else {
        model::Mlp::load(&PathBuf::from(model_path))?
    };
    let act = activation::Activation::resolve(act)?;
    let sets: Vec<PathBuf> = sets.iter().map(PathBuf::from).collect();
    let out_dir = PathBuf::from(out_dir);
    model::report::psnr_report(
        &mlp,
        &[act],
        &sets,
        25.0,
        1,
        mlp.stride,
        &out_dir,
        &out_dir.join("denoise_comparison.png"),
        &mut std::io::stdout(),
    )?;
    Ok(())
}
