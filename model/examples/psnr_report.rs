//! The PSNR table without the CLI: `psnr_report [MODEL] [STRIDE]` run from the repository
//! root (same library function and output as `gcc-nn psnr-report`).

use gcc_nn_model as model;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mlp = match args.get(1) {
        Some(p) => model::Mlp::load(Path::new(p))?,
        None => model::shipped::model()?,
    };
    let stride = args.get(2).map_or(Ok(mlp.stride), |s| s.parse())?;
    let sets: Vec<PathBuf> = ["../shared/data/images/seed5", "../shared/data/images/Set12"]
        .into_iter()
        .map(PathBuf::from)
        .filter(|d| d.is_dir())
        .collect();
    model::report::psnr_report(
        &mlp,
        &sets,
        25.0,
        1,
        stride,
        Path::new("target/psnr-report"),
        Path::new("docs/denoise_comparison.png"),
        &mut std::io::stdout(),
    )?;
    Ok(())
}
