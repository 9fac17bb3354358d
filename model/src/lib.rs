//! The MLP denoiser: patches, noise, PSNR and plaintext references (inference only: training
//! with candle is the `gcc-nn-train` crate).
//!
//! - [`gray`]: grayscale images as pixel planes;
//! - [`image_file`]: PNG, JPEG, TIFF, PGM in (8/16-bit, colour to BT.601 luma) and out;
//! - [`limits`]: the image decoder's size limits;
//! - [`patches`]: overlapping patches with mirror padding, overlap averaging, normalisation;
//! - [`pixel`]: the output mapping to 8-bit pixels, in integers (one definition);
//! - [`metrics`]: PSNR, SSIM, seeded Gaussian noise;
//! - [`mlp`]: the residual MLP and its versioned file format;
//! - [`model_activation`]: the activation a model file names (name and source hash) and the
//!   rule that picks a run's activation from it;
//! - [`fixed`]: the fixed-point parameters ([`fixed::FIXED`]), the activation's table
//!   ([`fixed::FixedActivation`], from the `gcc-nn-activation` DSL program) and the exact network;
//! - [`denoise`]: whole-image denoisers (float tanh, float activation table, fixed point);
//! - [`report`]: the PSNR table (float tanh vs fixed point) and the comparison image;
//! - [`shipped`]: the model and sample image in `assets/`, built in.

pub mod denoise;
pub mod error;
pub mod fixed;
pub mod gray;
pub mod image_file;
pub mod limits;
pub mod metrics;
pub mod mlp;
pub mod model_activation;
pub mod patches;
pub mod pixel;
pub mod report;
pub mod shipped;

pub use error::{ModelError, Result};
pub use gray::GrayImage;
pub use mlp::Mlp;
pub use model_activation::ModelActivation;
pub use patches::PatchGeometry;
