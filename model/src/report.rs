//! The PSNR table of the README: the float network (its trained activation) against the exact fixed-point denoisers.

use crate::denoise::{FloatActivation, denoise_fixed, denoise_float};
use crate::error::{ModelError, Result};
use crate::fixed::{FIXED, FixedActivation, FixedMlp};
use crate::gray::GrayImage;
use crate::metrics::{add_noise, psnr, psnr_u8};
use crate::mlp::Mlp;
use activation::Activation;
use std::io::Write;
use std::path::{Path, PathBuf};

fn io(path: &Path) -> impl Fn(std::io::Error) -> ModelError + '_ {
    move |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The activations of the README's table: tanh* (shipped name `tanh`), then tanh_fit.
pub const DEFAULT_ACTIVATIONS: [&str; 2] = ["tanh", "tanh_fit"];

/// The activations `psnr-report` compares by default: the README's [`DEFAULT_ACTIVATIONS`]
/// for a model made for `tanh_fit`, else the model's own activation alone
/// ([`crate::ModelActivation::resolve`]).
pub fn default_activations(mlp: &Mlp) -> Result<Vec<Activation>> {
    let own = mlp.activation_for(None)?;
    if own.name() == "tanh_fit" {
        return DEFAULT_ACTIVATIONS
            .iter()
            .map(|n| Ok(Activation::shipped(n)?))
            .collect();
    }
    Ok(vec![own])
}

/// Column label of an activation: the shipped `tanh` is the paper's tanh*.
fn label(a: &FixedActivation) -> String {
    match a.name() {
        "tanh" => "tanh*".into(),
        other => other.into(),
    }
}

/// For every image in each of `sets` ([`crate::image_file::image_files_in`]: sorted by
/// name; a missing or empty set is an error before any work; noise seed `seed`, `seed + 1`, …):
/// writes a markdown row to `out` with the noisy PSNR, the float network (tanh, or ReLU for a
/// ReLU model: [`FloatActivation::trained_for`]), then per activation of
/// `activations` (at least one; [`DEFAULT_ACTIVATIONS`] give the README's table) the
/// fixed-point PSNR and its gap to float, and the last activation after 8-bit rounding,
/// plus per-set averages; saves the last activation's denoised PNGs in `out_dir`, and the
/// side-by-side PNG (clean | noisy | float | fixed, last activation) of the shipped
/// sample at `comparison`.
#[allow(clippy::too_many_arguments)]
pub fn psnr_report(
    mlp: &Mlp,
    activations: &[Activation],
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
    let fixed = activations
        .iter()
        .map(|a| FixedMlp::from_model(mlp, FIXED, a.clone()))
        .collect::<Result<Vec<_>>>()?;
    let Some(last) = fixed.last() else {
        return Err(ModelError::ShapeMismatch(
            "psnr report: no activation to compare".into(),
        ));
    };
    let labels: Vec<String> = fixed.iter().map(|f| label(&f.activation)).collect();
    let last_label = labels.last().cloned().unwrap_or_default();
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
    // The float baseline is the model's own float activation (tanh, or ReLU for a ReLU model).
    let baseline = FloatActivation::trained_for(&mlp.activation);
    let mut head = format!("| image | noisy | float {} |", baseline.label());
    for l in &labels {
        head.push_str(&format!(" fixed {l} | gap |"));
    }
    writeln!(out, "{head} {last_label} 8-bit |").map_err(io(o))?;
    writeln!(out, "|---|---|---|{}---|", "---|---|".repeat(labels.len())).map_err(io(o))?;
    let mut n_img = seed;
    let mut converted = 0usize;
    for (set, files) in &listed {
        let set_name = set
            .file_name()
            .map_or("set".into(), |s| s.to_string_lossy().into_owned());
        let mut sums = vec![0.0f64; 3 + 2 * fixed.len()];
        for file in files {
            let (clean, source) = GrayImage::load_with_source(file)?;
            converted += usize::from(source.conversion_note().is_some());
            let noisy = add_noise(&clean, sigma, n_img);
            n_img += 1;
            let float = denoise_float(mlp, &noisy, stride, baseline.clone())?;
            let float_psnr = psnr(&clean, &float)?;
            let mut r = vec![psnr(&clean, &noisy)?, float_psnr];
            let mut last_img = None;
            for f in &fixed {
                let (img, _) = denoise_fixed(f, &noisy, stride)?;
                let p = psnr(&clean, &img)?;
                r.extend([p, float_psnr - p]);
                last_img = Some(img);
            }
            let stem = file
                .file_stem()
                .map_or("img".into(), |s| s.to_string_lossy().into_owned());
            if let Some(img) = last_img {
                img.save_png(&out_dir.join(format!("{set_name}_{stem}_fixed.png")))?;
                r.push(psnr_u8(&clean, &img)?);
            }
            print_row(out, &format!("{set_name}/{stem}"), &r)?;
            sums.iter_mut().zip(&r).for_each(|(s, v)| *s += v);
        }
        let n = files.len() as f64;
        let avg: Vec<f64> = sums.iter().map(|s| s / n).collect();
        print_row(out, &format!("**{set_name} average**"), &avg)?;
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
    let float = denoise_float(mlp, &noisy, stride, baseline.clone())?;
    let (fixed_img, _) = denoise_fixed(last, &noisy, stride)?;
    let side = GrayImage::side_by_side(&[&clean, &noisy, &float, &fixed_img], 8)?;
    if let Some(dir) = comparison.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    side.save_png(comparison)?;
    writeln!(
        out,
        "sample camera256: noisy {:.2} dB, float {} {:.2} dB, fixed {last_label} {:.2} dB; wrote {}",
        psnr(&clean, &noisy)?,
        baseline.label(),
        psnr(&clean, &float)?,
        psnr(&clean, &fixed_img)?,
        comparison.display()
    )
    .map_err(io(o))?;
    Ok(())
}

/// One row: noisy and float PSNR, then per activation PSNR (2 decimals) and gap (3), then
/// the 8-bit PSNR.
fn print_row(out: &mut dyn Write, name: &str, r: &[f64]) -> Result<()> {
    let mut line = format!("| {name} |");
    let n = r.len();
    for (i, v) in r.iter().enumerate() {
        let gap = i >= 2 && i + 1 < n && i % 2 == 1;
        line.push_str(&if gap {
            format!(" {v:.3} |")
        } else {
            format!(" {v:.2} |")
        });
    }
    writeln!(out, "{line}").map_err(io(Path::new("<output>")))
}
