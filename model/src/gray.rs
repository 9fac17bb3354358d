//! Grayscale images as floating-point pixel planes on the [0, 255] scale (files in and out:
//! [`crate::image_file`]).

use crate::error::{ModelError, Result};

/// The decoder's size limits ([`crate::limits`]).
pub use crate::limits::{MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE};

/// A grayscale image, row-major, pixels as `f64` on the [0, 255] scale (noisy or denoised
/// images may leave that range: noise is not clipped).
#[derive(Clone, Debug, PartialEq)]
pub struct GrayImage {
    width: usize,
    height: usize,
    pixels: Vec<f64>,
}

impl GrayImage {
    /// Wraps a row-major pixel buffer; errors if its length is not `width·height`.
    pub fn new(width: usize, height: usize, pixels: Vec<f64>) -> Result<Self> {
        if pixels.len() != width * height || width == 0 || height == 0 {
            return Err(ModelError::BadPixelBuffer {
                len: pixels.len(),
                width,
                height,
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Row-major pixels.
    pub fn pixels(&self) -> &[f64] {
        &self.pixels
    }

    /// Pixel at column `x`, row `y`.
    pub fn get(&self, x: usize, y: usize) -> f64 {
        self.pixels[y * self.width + x]
    }

    /// Pixels rounded to the nearest integer and clamped to 0..=255.
    pub fn to_u8(&self) -> Vec<u8> {
        self.pixels
            .iter()
            .map(|&v| v.round().clamp(0.0, 255.0) as u8)
            .collect()
    }

    /// The image rounded and clamped to 8 bits, as what a PNG would store.
    pub fn quantized(&self) -> Self {
        Self {
            width: self.width,
            height: self.height,
            pixels: self.to_u8().into_iter().map(f64::from).collect(),
        }
    }

    /// The `w`×`h` region whose top-left corner is (`x`, `y`); errors if it does not fit.
    pub fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Result<Self> {
        if x + w > self.width || y + h > self.height || w == 0 || h == 0 {
            return Err(ModelError::ImageTooSmall {
                width: self.width,
                height: self.height,
                needed: (x + w).max(y + h),
            });
        }
        let mut pixels = Vec::with_capacity(w * h);
        for row in y..y + h {
            pixels.extend_from_slice(&self.pixels[row * self.width + x..row * self.width + x + w]);
        }
        Self::new(w, h, pixels)
    }

    /// Images of the same height placed left to right, separated by `gap` white columns.
    pub fn side_by_side(images: &[&GrayImage], gap: usize) -> Result<Self> {
        let Some(first) = images.first() else {
            return Err(ModelError::BadPixelBuffer {
                len: 0,
                width: 0,
                height: 0,
            });
        };
        let height = first.height;
        for img in images {
            if img.height != height {
                return Err(ModelError::SizeMismatch {
                    a_width: first.width,
                    a_height: height,
                    b_width: img.width,
                    b_height: img.height,
                });
            }
        }
        let width = images.iter().map(|i| i.width).sum::<usize>() + gap * (images.len() - 1);
        let mut pixels = vec![255.0; width * height];
        let mut x0 = 0;
        for img in images {
            for y in 0..height {
                let dst = &mut pixels[y * width + x0..y * width + x0 + img.width];
                dst.copy_from_slice(&img.pixels[y * img.width..(y + 1) * img.width]);
            }
            x0 += img.width + gap;
        }
        Self::new(width, height, pixels)
    }
}
