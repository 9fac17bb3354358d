//! Prints PSNRs of a model on a directory of images at σ = 25:
//! `eval_model MODEL DIR [STRIDE]` (noisy, float tanh, float with tanh*'s table values,
//! fixed tanh*, fixed fit).

use gcc_nn_model as model;
use model::denoise::{FloatActivation, denoise_fixed, denoise_float};
use model::fixed::{FIXED, FixedActivation, FixedMlp};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let m = model::Mlp::load(&PathBuf::from(
        args.get(1).ok_or("usage: MODEL DIR [STRIDE]")?,
    ))?;
    let images =
        model::GrayImage::load_dir(&PathBuf::from(args.get(2).ok_or("usage: MODEL DIR")?))?;
    let stride: usize = args.get(3).map_or(Ok(m.stride), |s| s.parse())?;
    let (star, fit) = (
        FixedActivation::shipped("tanh")?,
        FixedActivation::shipped("tanh_fit")?,
    );
    let fs = FixedMlp::from_model_evaluated(&m, FIXED, star.clone())?;
    let ff = FixedMlp::from_model_evaluated(&m, FIXED, fit)?;
    println!(
        "worst-case |z| bounds per layer: {:?}",
        fs.z_bounds()
            .iter()
            .map(|b| format!("{b} (2^{:.1})", (*b as f64).log2()))
            .collect::<Vec<_>>()
    );
    if images.is_empty() {
        return Ok(());
    }
    let mut sums = [0.0; 5];
    let mut maxz = 0;
    for (i, clean) in images.iter().enumerate() {
        let noisy = model::metrics::add_noise(clean, 25.0, i as u64);
        let r = [
            model::metrics::psnr(clean, &noisy)?,
            model::metrics::psnr(
                clean,
                &denoise_float(&m, &noisy, stride, FloatActivation::Tanh)?,
            )?,
            model::metrics::psnr(
                clean,
                &denoise_float(&m, &noisy, stride, FloatActivation::Table(star.clone()))?,
            )?,
            {
                let (d, z) = denoise_fixed(&fs, &noisy, stride)?;
                maxz = maxz.max(z);
                model::metrics::psnr(clean, &d)?
            },
            model::metrics::psnr(clean, &denoise_fixed(&ff, &noisy, stride)?.0)?,
        ];
        println!(
            "{i:3} {:.3} {:.3} {:.3} {:.3} {:.3}",
            r[0], r[1], r[2], r[3], r[4]
        );
        for k in 0..5 {
            sums[k] += r[k];
        }
    }
    let n = images.len() as f64;
    println!(
        "avg {:.3} {:.3} {:.3} {:.3} {:.3}   max|z| = {maxz} (2^{:.1})",
        sums[0] / n,
        sums[1] / n,
        sums[2] / n,
        sums[3] / n,
        sums[4] / n,
        (maxz as f64).log2()
    );
    Ok(())
}
