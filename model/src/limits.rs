//! The image decoder's size limits, below every module that names them (the decoder in
//! [`crate::image_file`], the pixel planes in [`crate::gray`], the error in
//! [`crate::error`]).

/// Widest and tallest image the decoder accepts, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Most pixels the decoder accepts (2^25: 256 MiB as `f64`).
pub const MAX_IMAGE_PIXELS: u64 = 1 << 25;
