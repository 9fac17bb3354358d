//! Whole-image denoising in float (tanh or an activation's table) and in exact fixed point.

use crate::error::Result;
use crate::fixed::{FixedActivation, FixedMlp};
use crate::gray::GrayImage;
use crate::mlp::Mlp;
use crate::patches::{ImageLayout, PatchGeometry, centre, denormalise, extract, merge, normalise};
use crate::pixel::image_pixels;
use rayon::prelude::*;

/// Which activation a float denoiser uses.
#[derive(Clone, Debug, PartialEq)]
pub enum FloatActivation {
    /// The real tanh (the baseline of a tanh-family model, what its training used).
    Tanh,
    /// max(x, 0) (the baseline of a ReLU model, what its training used).
    Relu,
    /// An activation's fixed-point values: x rounded to `Fa` = 12 fractional bits,
    /// saturated, looked up in its table (the rest of the network stays in float).
    Table(FixedActivation),
}

impl FloatActivation {
    /// The float activation a model was trained with: ReLU for a model naming `relu`,
    /// tanh for every other (training knows only these two).
    pub fn trained_for(activation: &crate::model_activation::ModelActivation) -> Self {
        if activation.name() == "relu" {
            Self::Relu
        } else {
            Self::Tanh
        }
    }

    /// Its name in reports: `tanh`, `relu` or `table`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Tanh => "tanh",
            Self::Relu => "relu",
            Self::Table(_) => "table",
        }
    }

    /// Evaluates the activation.
    pub fn eval(&self, x: f64) -> f64 {
        match self {
            Self::Tanh => x.tanh(),
            Self::Relu => x.max(0.0),
            Self::Table(a) => {
                let scale = f64::from(1u32 << activation::FA);
                // Far outside the format, saturation gives the same value.
                let raw = crate::fixed::round_half_away((x * scale).clamp(-1e9, 1e9));
                a.eval(raw) as f64 / scale
            }
        }
    }
}

/// Denoises in floating point at the given stride.
pub fn denoise_float(
    model: &Mlp,
    noisy: &GrayImage,
    stride: usize,
    act: FloatActivation,
) -> Result<GrayImage> {
    let geometry = PatchGeometry::new(model.input_patch, model.output_patch, stride)?;
    let patches = extract(noisy, geometry)?;
    let n_in = geometry.input * geometry.input;
    let outputs: Vec<f64> = patches
        .data
        .par_chunks(n_in)
        .flat_map_iter(|raw| {
            let p: Vec<f64> = raw.iter().map(|&v| normalise(v)).collect();
            let q = model.forward(&p, |x| act.eval(x));
            let c = centre(&p, geometry);
            c.into_iter()
                .zip(q)
                .map(|(c, q)| denormalise(c + q))
                .collect::<Vec<_>>()
        })
        .collect();
    merge(&outputs, &patches, noisy.width(), noisy.height())
}

/// The quantised input patches of an image (raw, `Fa` fractional bits), ready for the
/// fixed-point network or a secure protocol, with the patch layout for merging.
pub fn quantised_patches(
    fixed: &FixedMlp,
    noisy: &GrayImage,
    stride: usize,
) -> Result<(Vec<Vec<i64>>, crate::patches::Patches)> {
    let geometry = fixed.geometry(stride)?;
    let patches = extract(noisy, geometry)?;
    let n_in = geometry.input * geometry.input;
    let q = patches
        .data
        .chunks(n_in)
        .map(|raw| {
            raw.iter()
                .map(|&v| fixed.params.quantise_input(normalise(v)))
                .collect()
        })
        .collect();
    Ok((q, patches))
}

/// Denoises with the exact fixed-point network; also returns the largest |z| met. The
/// image's pixels are the integers of [`crate::pixel::image_pixels`] (0..=255): this is the
/// reference every secure protocol must equal pixel for pixel.
pub fn denoise_fixed(
    fixed: &FixedMlp,
    noisy: &GrayImage,
    stride: usize,
) -> Result<(GrayImage, i64)> {
    let (inputs, _) = quantised_patches(fixed, noisy, stride)?;
    let results: Vec<(Vec<i64>, i64)> = inputs.par_iter().map(|p| fixed.forward(p)).collect();
    let max_z = results.iter().map(|r| r.1).max().unwrap_or(0);
    let outputs: Vec<Vec<i64>> = results.into_iter().map(|r| r.0).collect();
    let layout = ImageLayout::new(noisy.width(), noisy.height(), fixed.geometry(stride)?)?;
    let pixels = image_pixels(&fixed.params, &layout, &inputs, &outputs)?;
    Ok((gray_from_u8(&layout, &pixels)?, max_z))
}

/// An 8-bit image (row-major, `layout`'s size) as a [`GrayImage`].
pub fn gray_from_u8(layout: &ImageLayout, pixels: &[u8]) -> Result<GrayImage> {
    GrayImage::new(
        layout.width,
        layout.height,
        pixels.iter().map(|&v| f64::from(v)).collect(),
    )
}
