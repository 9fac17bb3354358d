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

/// Puts output patches (`count · output²` values, same order as [`extract`]) back into a
/// `width`×`height` image, averaging where they overlap.
pub fn merge(outputs: &[f64], patches: &Patches, width: usize, height: usize) -> Result<GrayImage> {
    let o = patches.geometry.output;
    if outputs.len() != patches.count() * o * o {
        return Err(ModelError::ShapeMismatch(format!(
            "{} output values for {} patches of {o}x{o}",
            outputs.len(),
            patches.count()
        )));
    }
    let mut sum = vec![0.0; width * height];
    let mut weight = vec![0u32; width * height];
    let mut k = 0;
    for &y0 in &patches.ys {
        for &x0 in &patches.xs {
            let block = &outputs[k * o * o..(k + 1) * o * o];
            for r in 0..o {
                for c in 0..o {
                    let idx = (y0 + r) * width + x0 + c;
                    sum[idx] += block[r * o + c];
                    weight[idx] += 1;
                }
            }
            k += 1;
        }
    }
    let pixels = sum
        .iter()
        .zip(&weight)
        .map(|(s, &w)| s / f64::from(w.max(1)))
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
