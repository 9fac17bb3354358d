//! The model and sample image shipped in `assets/`, compiled into the binary.
//!
//! - `assets/denoiser.gccmlp`: the trained residual MLP (format: [`crate::mlp`], version 3:
//!   it names its activation, `tanh_fit`), made by `gcc-nn train` (command and measured
//!   figures in `docs/model.md`);
//! - `assets/denoiser_relu.gccmlp`: the ReLU model of the training search (13×13 → 256 →
//!   256 → 5×5, stride 5; the file names its activation, `relu`): better and cheaper securely than the
//!   default (docs/model.md, "The quality/cost front");
//! - `assets/camera256.png`: rows 40…295, columns 150…405 of scikit-image's `camera.png`
//!   (CC0, Lav Varshney), the sample image of the default run.

use crate::error::Result;
use crate::gray::GrayImage;
use crate::mlp::Mlp;
use std::path::Path;

/// Bytes of the shipped model file.
pub const MODEL_BYTES: &[u8] = include_bytes!("../../assets/denoiser.gccmlp");
/// Bytes of the shipped ReLU model file (it names its activation, `relu`).
pub const RELU_MODEL_BYTES: &[u8] = include_bytes!("../../assets/denoiser_relu.gccmlp");
/// The activation the ReLU model was trained for (the name its file carries).
pub const RELU_MODEL_ACTIVATION: &str = "relu";
/// Bytes of the shipped sample image.
pub const SAMPLE_PNG: &[u8] = include_bytes!("../../assets/camera256.png");

/// The shipped trained model.
pub fn model() -> Result<Mlp> {
    Mlp::from_bytes(MODEL_BYTES, "assets/denoiser.gccmlp (built in)")
}

/// The shipped ReLU model (for [`RELU_MODEL_ACTIVATION`], named in the file).
pub fn relu_model() -> Result<Mlp> {
    Mlp::from_bytes(RELU_MODEL_BYTES, "assets/denoiser_relu.gccmlp (built in)")
}

/// The shipped 256×256 sample image (clean).
pub fn sample_image() -> Result<GrayImage> {
    GrayImage::decode(SAMPLE_PNG, Path::new("assets/camera256.png (built in)"))
}
