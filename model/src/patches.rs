//! Cutting an image into overlapping patches and putting output patches back.
//!
//! Output patches (`output`×`output`) sit at top-left positions `0, s, 2s, …` along each
//! axis, plus a last one flush with the far border, so every pixel is covered. Each input
//! patch (`input`×`input`) is centred on its output patch; pixels beyond the border are
//! mirrored (symmetric reflection: `-1 → 0`, `n → n-1`). Merging averages overlaps.

use crate::error::{ModelError, Result};
use crate::gray::GrayImage;

/// Sizes of the input and output patches and the stride between output patches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchGeometry {
    /// Side of the input patch.
    pub input: usize,
    /// Side of the output patch (centred in the input patch).
    pub output: usize,
    /// Distance between neighbouring output patches.
    pub stride: usize,
}

impl PatchGeometry {
    /// Checks that the sizes make sense: `output ≤ input`, same parity, `1 ≤ stride ≤ output`.
    pub fn new(input: usize, output: usize, stride: usize) -> Result<Self> {
        if output == 0 || output > input || !(input - output).is_multiple_of(2) {
            return Err(ModelError::BadGeometry(format!(
                "output patch {output} must be ≥ 1, ≤ input patch {input} and of the same parity"
            )));
        }
        if stride == 0 || stride > output {
            return Err(ModelError::BadGeometry(format!(
                "stride {stride} must be between 1 and the output patch size {output} (else pixels are missed)"
            )));
        }
        Ok(Self {
            input,
            output,
            stride,
        })
    }

    /// Border of the input patch around the output patch.
    pub fn margin(&self) -> usize {
        (self.input - self.output) / 2
    }

    /// Output-patch positions along an axis of `len` pixels (`len ≥ output`).
    pub fn positions(&self, len: usize) -> Vec<usize> {
        let last = len - self.output;
        let mut v: Vec<usize> = (0..last).step_by(self.stride).collect();
        v.push(last);
        v
    }

    /// Number of patches for a `width`×`height` image.
    pub fn patch_count(&self, width: usize, height: usize) -> usize {
        self.positions(width).len() * self.positions(height).len()
    }

    /// Errors unless the image is at least one input patch large.
    pub fn check_image(&self, width: usize, height: usize) -> Result<()> {
        if width < self.input || height < self.input {
            return Err(ModelError::ImageTooSmall {
                width,
                height,
                needed: self.input,
            });
        }
        Ok(())
    }
}

/// Symmetric reflection of index `i` into `0..n` (valid for `-n ≤ i < 2n`).
fn mirror(i: isize, n: usize) -> usize {
    let n = n as isize;
    let j = if i < 0 {
        -i - 1
    } else if i >= n {
        2 * n - i - 1
    } else {
        i
    };
    j as usize
}

/// The input patches of an image, row-major within a patch, patches in raster order.
#[derive(Clone, Debug)]
pub struct Patches {
    /// Pixel values, `count · input²` of them.
    pub data: Vec<f64>,
    /// Output-patch x positions.
    pub xs: Vec<usize>,
    /// Output-patch y positions.
    pub ys: Vec<usize>,
    /// The geometry used.
    pub geometry: PatchGeometry,
}

impl Patches {
    /// Number of patches.
    pub fn count(&self) -> usize {
        self.xs.len() * self.ys.len()
    }

    /// The `k`-th input patch.
    pub fn patch(&self, k: usize) -> &[f64] {
        let n = self.geometry.input * self.geometry.input;
        &self.data[k * n..(k + 1) * n]
    }
}

/// Cuts `img` into input patches (mirror padding at the borders).
pub fn extract(img: &GrayImage, geometry: PatchGeometry) -> Result<Patches> {
    geometry.check_image(img.width(), img.height())?;
    let xs = geometry.positions(img.width());
    let ys = geometry.positions(img.height());
    let m = geometry.margin() as isize;
    let side = geometry.input;
    let mut data = Vec::with_capacity(xs.len() * ys.len() * side * side);
    for &y0 in &ys {
        for &x0 in &xs {
            for dy in 0..side as isize {
                let y = mirror(y0 as isize - m + dy, img.height());
                for dx in 0..side as isize {
                    let x = mirror(x0 as isize - m + dx, img.width());
                    data.push(img.get(x, y));
                }
            }
        }
    }
    Ok(Patches {
        data,
        xs,
        ys,
        geometry,
    })
}

/// The centre `output`×`output` block of an input patch.
pub fn centre(patch: &[f64], geometry: PatchGeometry) -> Vec<f64> {
    let (m, o, i) = (geometry.margin(), geometry.output, geometry.input);
    let mut out = Vec::with_capacity(o * o);
    for r in 0..o {
        out.extend_from_slice(&patch[(r + m) * i + m..(r + m) * i + m + o]);
    }
    out
}

/// Where an image's output patches go: the image size and the patch geometry (all public).
///
/// Patch `k` (raster order, as [`extract`]) covers the `output`×`output` block at
/// (`xs[k % xs.len()]`, `ys[k / xs.len()]`); its value `i` (row-major) lands on one pixel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLayout {
    /// Image width in pixels.
    pub width: usize,
    /// Image height in pixels.
    pub height: usize,
    /// The patch geometry.
    pub geometry: PatchGeometry,
    xs: Vec<usize>,
    ys: Vec<usize>,
}

impl ImageLayout {
    /// The layout of a `width`×`height` image; errors if it is smaller than one input patch.
    pub fn new(width: usize, height: usize, geometry: PatchGeometry) -> Result<Self> {
        geometry.check_image(width, height)?;
        Ok(Self {
            width,
            height,
            geometry,
            xs: geometry.positions(width),
            ys: geometry.positions(height),
        })
    }

    /// Number of patches.
    pub fn patch_count(&self) -> usize {
        self.xs.len() * self.ys.len()
    }

    /// Number of pixels.
    pub fn pixel_count(&self) -> usize {
        self.width * self.height
    }

    /// Values per output patch (`output²`).
    pub fn patch_values(&self) -> usize {
        self.geometry.output * self.geometry.output
    }

    /// The pixel index (row-major) of value `i` of every patch, patch after patch:
    /// `patch_count() · output²` entries.
    pub fn pixel_indices(&self) -> Vec<usize> {
        let o = self.geometry.output;
        let mut out = Vec::with_capacity(self.patch_count() * o * o);
        for &y0 in &self.ys {
            for &x0 in &self.xs {
                for r in 0..o {
                    out.extend((0..o).map(|c| (y0 + r) * self.width + x0 + c));
                }
            }
        }
        out
    }

    /// How many patches cover each pixel (row-major, every entry ≥ 1).
    pub fn coverage(&self) -> Vec<u32> {
        let mut n = vec![0u32; self.pixel_count()];
        for idx in self.pixel_indices() {
            n[idx] += 1;
        }
        n
    }

    /// Most patches covering one pixel: at most `(⌈output/stride⌉ + 1)²` (the regular
    /// positions plus the one flush with the far border, per axis).
    pub fn max_coverage_bound(&self) -> u32 {
        let per_axis = self.geometry.output.div_ceil(self.geometry.stride) + 1;
        (per_axis * per_axis) as u32
    }

    /// Errors unless `values` holds `patch_count() · output²` values.
    pub fn check_values(&self, values: usize) -> Result<()> {
        let o = self.geometry.output;
        if values != self.patch_count() * o * o {
            return Err(ModelError::ShapeMismatch(format!(
                "{values} output values for {} patches of {o}x{o}",
                self.patch_count()
            )));
        }
        Ok(())
    }
}

/// Puts output patches (`count · output²` values, same order as [`extract`]) back into a
/// `width`×`height` image, averaging where they overlap (floating point: the float
/// denoiser; the fixed-point one maps to pixels in integers, [`crate::pixel`]).
pub fn merge(outputs: &[f64], patches: &Patches, width: usize, height: usize) -> Result<GrayImage> {
    let layout = ImageLayout::new(width, height, patches.geometry)?;
    if layout.xs != patches.xs || layout.ys != patches.ys {
        return Err(ModelError::ShapeMismatch(format!(
            "patches cut from another image size than {width}x{height}"
        )));
    }
    layout.check_values(outputs.len())?;
    let mut sum = vec![0.0; width * height];
    for (&v, idx) in outputs.iter().zip(layout.pixel_indices()) {
        sum[idx] += v;
    }
    let pixels = sum
        .iter()
        .zip(layout.coverage())
        .map(|(s, w)| s / f64::from(w.max(1)))
        .collect();
    GrayImage::new(width, height, pixels)
}

/// Pixel value → network input: `(v/255 − 0.5)/0.2`.
pub fn normalise(v: f64) -> f64 {
    (v / 255.0 - 0.5) / 0.2
}

/// Network output → pixel value: `(y·0.2 + 0.5)·255`.
pub fn denormalise(y: f64) -> f64 {
    (y * 0.2 + 0.5) * 255.0
}
