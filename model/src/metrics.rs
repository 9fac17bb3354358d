//! Image quality: PSNR (peak 255) and SSIM, and seeded Gaussian noise.

use crate::error::{ModelError, Result};
use crate::gray::GrayImage;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha12Rng;

fn same_size(a: &GrayImage, b: &GrayImage) -> Result<()> {
    if a.width() != b.width() || a.height() != b.height() {
        return Err(ModelError::SizeMismatch {
            a_width: a.width(),
            a_height: a.height(),
            b_width: b.width(),
            b_height: b.height(),
        });
    }
    Ok(())
}

/// PSNR in dB of `test` against `clean`, peak 255, on the floating-point values
/// (infinite for identical images).
pub fn psnr(clean: &GrayImage, test: &GrayImage) -> Result<f64> {
    same_size(clean, test)?;
    let n = clean.pixels().len() as f64;
    let mse = clean
        .pixels()
        .iter()
        .zip(test.pixels())
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / n;
    Ok(10.0 * (255.0 * 255.0 / mse).log10())
}

/// PSNR in dB after rounding and clamping `test` to 8 bits (what a saved PNG scores).
pub fn psnr_u8(clean: &GrayImage, test: &GrayImage) -> Result<f64> {
    psnr(clean, &test.quantized())
}

/// Mean SSIM (Wang et al. 2004: 11×11 Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03,
/// L = 255) over all window positions that fit inside the image.
pub fn ssim(clean: &GrayImage, test: &GrayImage) -> Result<f64> {
    same_size(clean, test)?;
    const R: usize = 5;
    let (w, h) = (clean.width(), clean.height());
    if w < 2 * R + 1 || h < 2 * R + 1 {
        return Err(ModelError::ImageTooSmall {
            width: w,
            height: h,
            needed: 2 * R + 1,
        });
    }
    let g: Vec<f64> = (0..=2 * R)
        .map(|i| (-((i as f64 - R as f64).powi(2)) / (2.0 * 1.5 * 1.5)).exp())
        .collect();
    let gsum: f64 = g.iter().sum();
    let g: Vec<f64> = g.iter().map(|v| v / gsum).collect();
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (a, b) = (clean.pixels(), test.pixels());
    let mut total = 0.0;
    let mut count = 0usize;
    for y in R..h - R {
        for x in R..w - R {
            let (mut ma, mut mb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for dy in 0..=2 * R {
                for dx in 0..=2 * R {
                    let wgt = g[dy] * g[dx];
                    let idx = (y + dy - R) * w + x + dx - R;
                    let (va, vb) = (a[idx], b[idx]);
                    ma += wgt * va;
                    mb += wgt * vb;
                    saa += wgt * va * va;
                    sbb += wgt * vb * vb;
                    sab += wgt * va * vb;
                }
            }
            let (va, vb, cov) = (saa - ma * ma, sbb - mb * mb, sab - ma * mb);
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            count += 1;
        }
    }
    Ok(total / count as f64)
}

/// A standard normal sample (Box–Muller) from `rng`.
pub fn standard_normal(rng: &mut ChaCha12Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `clean` plus white Gaussian noise of standard deviation `sigma` (on the [0, 255]
/// scale) from a ChaCha12 generator seeded with `seed`; not clipped, not rounded.
pub fn add_noise(clean: &GrayImage, sigma: f64, seed: u64) -> GrayImage {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let pixels = clean
        .pixels()
        .iter()
        .map(|&v| v + sigma * standard_normal(&mut rng))
        .collect();
    // Same size as a valid image, so this cannot fail.
    GrayImage::new(clean.width(), clean.height(), pixels).unwrap_or_else(|_| clean.clone())
}
