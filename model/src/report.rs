//! The PSNR table of the README: float tanh against the exact fixed-point denoisers.

use crate::activation::{TANH_FIT, TANH_STAR};
use crate::denoise::{FloatActivation, denoise_fixed, denoise_float};
use crate::error::{ModelError, Result};
use crate::fixed::{FIXED, FixedMlp};
use crate::gray::GrayImage;
use crate::metrics::{add_noise, psnr, psnr_u8};
use crate::mlp::Mlp;
use std::io::Write;
use std::path::{Path, PathBuf};

fn io(path: &Path) -> impl Fn(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// For every image in each of `sets` ([`crate::image_file::image_files_in`]: sorted by
/// name; a missing or empty set is an error before any work; noise seed `seed`, `seed + 1`, …):
/// writes a markdown row to `out` with the noisy PSNR, float tanh, fixed-point tanh*, its
/// gap, fixed-point tanh_fit, its gap, and tanh_fit after 8-bit rounding, plus per-set
/// averages; saves the tanh_fit denoised PNGs in `out_dir`, and the side-by-side PNG
/// (clean | noisy | float tanh | fixed tanh_fit) of the shipped sample at `comparison`.
#[allow(clippy::too_many_arguments)]
pub fn psnr_report(
    mlp: &Mlp,
    sets: &[PathBuf],
    sigma: f64,
    seed: u64,
    stride: usize,
    out_dir: &Path,
    comparison: &Path,
    out: &mut dyn Write,
) -> Result<()> {
    // Every set is listed before any work: a missing or empty folder fails at once.
    let listed = sets
        .iter()
        .map(|set| Ok((set, crate::image_file::image_files_in(set)?)))
        .collect::<Result<Vec<_>>>()?;
    let star = FixedMlp::from_model(mlp, FIXED, TANH_STAR)?;
    let fit = FixedMlp::from_model(mlp, FIXED, TANH_FIT)?;
    std::fs::create_dir_all(out_dir).map_err(io(out_dir))?;
    let o = Path::new("<output>");
    writeln!(
        out,
        "σ = {sigma}, stride {stride}, model {}x{} → {:?} → {}x{}, seeds from {seed}",
        mlp.input_patch,
        mlp.input_patch,
        &mlp.widths()[1..mlp.widths().len() - 1],
        mlp.output_patch,
        mlp.output_patch
    )
    .map_err(io(o))?;
    writeln!(
        out,
        "| image | noisy | float tanh | fixed tanh* | gap | fixed tanh_fit | gap | tanh_fit 8-bit |"
    )
    .map_err(io(o))?;
    writeln!(out, "|---|---|---|---|---|---|---|---|").map_err(io(o))?;
    let mut n_img = seed;
    let mut converted = 0usize;
    for (set, files) in &listed {
        let set_name = set
            .file_name()
            .map_or("set".into(), |s| s.to_string_lossy().into_owned());
        let mut sums = [0.0f64; 7];
        for file in files {
            let (clean, source) = GrayImage::load_with_source(file)?;
            converted += usize::from(source.conversion_note().is_some());
            let noisy = add_noise(&clean, sigma, n_img);
            n_img += 1;
            let float = denoise_float(mlp, &noisy, stride, FloatActivation::Tanh)?;
            let (star_img, _) = denoise_fixed(&star, &noisy, stride)?;
            let (fit_img, _) = denoise_fixed(&fit, &noisy, stride)?;
            let stem = file
                .file_stem()
                .map_or("img".into(), |s| s.to_string_lossy().into_owned());
            fit_img.save_png(&out_dir.join(format!("{set_name}_{stem}_fixed.png")))?;
            let r = [
                psnr(&clean, &noisy)?,
                psnr(&clean, &float)?,
                psnr(&clean, &star_img)?,
                0.0,
                psnr(&clean, &fit_img)?,
                0.0,
                psnr_u8(&clean, &fit_img)?,
            ];
            let r = [r[0], r[1], r[2], r[1] - r[2], r[4], r[1] - r[4], r[6]];
            print_row(out, &format!("{set_name}/{stem}"), &r)?;
            sums.iter_mut().zip(&r).for_each(|(s, v)| *s += v);
        }
        let n = files.len() as f64;
        print_row(
            out,
            &format!("**{set_name} average**"),
            &sums.map(|s| s / n),
        )?;
    }
    if converted > 0 {
        writeln!(
            out,
            "note: {converted} colour or alpha image(s) were converted to gray (BT.601 luma, alpha ignored)"
        )
        .map_err(io(o))?;
    }
    let clean = crate::shipped::sample_image()?;
    let noisy = add_noise(&clean, sigma, seed);
    let float = denoise_float(mlp, &noisy, stride, FloatActivation::Tanh)?;
    let (fixed_img, _) = denoise_fixed(&fit, &noisy, stride)?;
    let side = GrayImage::side_by_side(&[&clean, &noisy, &float, &fixed_img], 8)?;
    if let Some(dir) = comparison.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    side.save_png(comparison)?;
    writeln!(
        out,
        "sample camera256: noisy {:.2} dB, float tanh {:.2} dB, fixed tanh_fit {:.2} dB; wrote {}",
        psnr(&clean, &noisy)?,
        psnr(&clean, &float)?,
        psnr(&clean, &fixed_img)?,
        comparison.display()
    )
    .map_err(io(o))?;
    Ok(())
}

fn print_row(out: &mut dyn Write, name: &str, r: &[f64; 7]) -> Result<()> {
    writeln!(
        out,
        "| {name} | {:.2} | {:.2} | {:.2} | {:.3} | {:.2} | {:.3} | {:.2} |",
        r[0], r[1], r[2], r[3], r[4], r[5], r[6]
    )
    .map_err(io(Path::new("<output>")))
}
