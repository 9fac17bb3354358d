//! The output mapping of the fixed-point denoiser, in integers: one definition that the
//! plaintext reference, the reference protocol's user and the fast protocol's output circuit
//! (`circuits/output_pixel.dsl`) all follow.
//!
//! Patch `k` gives, for every pixel of its output block, the value
//! `v = centre(p)·2^Fw + q` at scale `2^F`, `F = Fw + Fa` (the residual network predicts
//! the noise-free pixel as input centre plus output). A pixel covered by `n` patches (public:
//! it depends only on the image size and the geometry, [`ImageLayout::coverage`]) sums them,
//! `S = Σ v`, in the ring `Z_2^K` like every pre-activation (read as signed; real images stay
//! below `2^31`, far from `2^(K−1)`). The float formula is
//! `round(((S/(n·2^F))·0.2 + 0.5)·255)` clamped to `0..=255`; since `0.2·255 = 51` and
//! `0.5·255 + 1/2 = 128` it is exactly
//!
//! ```text
//! pixel = clamp(128 + ⌊51·S / (n·2^F)⌋, 0, 255)
//! ```
//!
//! (round half away from zero and `⌊x + 1/2⌋` differ only at negative ties, which clamp to 0
//! either way). Integer division is floor division; `⌊⌊x/a⌋/b⌋ = ⌊x/(ab)⌋` for positive
//! `a`, `b`, so a circuit may shift right by `F` first and divide by `n` after.

use crate::error::{ModelError, Result};
use crate::fixed::FixedParams;
use crate::fixed::wrap_signed;
use crate::patches::{ImageLayout, PatchGeometry};

/// `0.2 · 255`: the output scale of [`crate::patches::denormalise`] in pixel units.
pub const PIXEL_SCALE: i128 = 51;
/// `0.5 · 255 + 1/2`: the output offset of [`crate::patches::denormalise`] plus the half
/// that turns rounding into a floor.
pub const PIXEL_OFFSET: i128 = 128;

/// The 8-bit pixel of a sum `s` (scale `2^F`, already read in the ring) over `n ≥ 1`
/// covering patches: `clamp(128 + ⌊51·s / (n·2^F)⌋, 0, 255)` (module docs).
pub fn pixel(s: i64, n: u32, params: &FixedParams) -> u8 {
    let d = i128::from(n.max(1)) << params.z_frac();
    let v = PIXEL_OFFSET + (PIXEL_SCALE * i128::from(s)).div_euclid(d);
    v.clamp(0, 255) as u8
}

/// One patch's values `centre(p)·2^Fw + q` (scale `2^F`) from its quantised input patch
/// `input` (`Fa`) and its raw network output `q`.
pub fn patch_values(
    params: &FixedParams,
    geometry: PatchGeometry,
    input: &[i64],
    q: &[i64],
) -> Vec<i64> {
    let (m, o, side) = (geometry.margin(), geometry.output, geometry.input);
    (0..o * o)
        .zip(q)
        .map(|(i, &q)| (input[(i / o + m) * side + m + i % o] << params.fw).wrapping_add(q))
        .collect()
}

/// The 8-bit image (row-major) from every patch's quantised input and raw output `q`: the
/// sums of [`patch_values`] per pixel, read in `Z_2^K`, mapped by [`pixel`].
pub fn image_pixels(
    params: &FixedParams,
    layout: &ImageLayout,
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
) -> Result<Vec<u8>> {
    let g = layout.geometry;
    let (side, per) = (g.input * g.input, layout.patch_values());
    if inputs.len() != layout.patch_count()
        || outputs.len() != inputs.len()
        || inputs.iter().any(|p| p.len() != side)
        || outputs.iter().any(|q| q.len() != per)
    {
        return Err(ModelError::ShapeMismatch(format!(
            "{} input and {} output patches for {} patches of {side} inputs and {per} outputs",
            inputs.len(),
            outputs.len(),
            layout.patch_count()
        )));
    }
    let values = inputs
        .iter()
        .zip(outputs)
        .flat_map(|(p, q)| patch_values(params, g, p, q));
    let mut sums = vec![0i128; layout.pixel_count()];
    for (v, idx) in values.zip(layout.pixel_indices()) {
        sums[idx] += i128::from(v);
    }
    Ok(sums
        .into_iter()
        .zip(layout.coverage())
        .map(|(s, n)| pixel(wrap_signed(s, params.ring_bits) as i64, n, params))
        .collect())
}
