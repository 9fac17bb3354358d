//! The fast protocol's output (docs/design.md §7 "Output"): the user learns the 8-bit image and
//! nothing finer.
//!
//! After the last layer the user holds `z_U` and the cloud `z_C`, additive shares in `Z_2^k`
//! of every patch's raw output `q`. The output mapping of [`model::pixel`] is linear up to
//! the final division, so each party sums its own shares per pixel, locally:
//!
//! ```text
//! S_U = Σ_covering patches (centre(p)·2^Fw + z_U)   (the user knows its input p)
//! S_C = Σ_covering patches z_C                       (mod 2^k)
//! ```
//!
//! and `S_U + S_C = S (mod 2^k)`, the sum [`model::pixel::pixel`] maps. The number `n` of
//! patches covering a pixel is public (image size and patch geometry, which the image
//! header announces), so there is one circuit per distinct `n` (`circuits/output_pixel.dsl`
//! with `-D N=n`; an image at stride 5 needs n ∈ {1, 2, 4}), each run as one batch over its
//! pixels in row-major order.
//!
//! Roles: **the user garbles and the cloud evaluates, with [`Reveal::Garbler`]**: the cloud
//! enters `S_C` by correlated OT (as in the activations) and returns the colour bits of its
//! output labels, which only the user can decode. So the user's whole view of this step is
//! the OT-extension messages (uniform given its Δ) and one colour bit per output bit, which
//! decodes to exactly the pixel: its view is simulated from the pixels alone. The cloud sees
//! garbled tables and labels without their decoding and learns nothing. The other choice
//! (cloud garbles, user evaluates) would make the user download every garbled table (32 bytes
//! per AND) and the cloud's input labels; here the user uploads them, like in every other
//! garbled batch of the run, and downloads only the OT messages and 8 bits per pixel.

use super::batch::run_batch;
use super::msg::{GcBatch, GcCircuit};
use super::report::FastReport;
use super::ring::Ring;
use crate::error::ProtocolError;
use circuit::value::{from_bits, to_bits};
use compiler::{CompileOptions, Party, ValueFormat};
use model::fixed::FixedParams;
use model::patches::{ImageLayout, PatchGeometry};
use model::pixel::patch_values;
use rand::CryptoRng;
use runtime::channel::Channel;
use runtime::driver::{Reveal, TwoPartyCircuit};
use runtime::scheme::Scheme;

/// `circuits/output_pixel.dsl`: one pixel from shares of its sum over `N` patches.
pub const OUTPUT_PIXEL: &str = include_str!("../../../circuits/output_pixel.dsl");

/// Compiles the output circuit for `n` covering patches and checks its interface:
/// `input garbler su: uint<k>`, `input evaluator sc: uint<k>`, `output pixel: uint<8>`.
pub fn compile_pixel_circuit(
    n: u32,
    params: &FixedParams,
    ring: Ring,
) -> Result<TwoPartyCircuit, ProtocolError> {
    if n == 0 {
        return Err(ProtocolError::Interface(
            "output circuit: a pixel covered by no patch".into(),
        ));
    }
    let overrides = [
        ("K", ring.k.to_string()),
        ("F", params.z_frac().to_string()),
        ("N", n.to_string()),
        // ⌈log2 n⌉
        ("NB", (u32::BITS - (n - 1).leading_zeros()).to_string()),
    ];
    let options = CompileOptions {
        overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        ..CompileOptions::default()
    };
    let circuit = compiler::compile_source(OUTPUT_PIXEL, "circuits/output_pixel.dsl", &options)
        .map_err(|e| ProtocolError::Compile(format!("output circuit: {}", e.render())))?;
    let uint = |f: &ValueFormat, w: u32| matches!(f, ValueFormat::Unsigned { width, frac: 0 } if *width == w);
    let interface_ok = match (circuit.inputs.as_slice(), circuit.outputs.as_slice()) {
        ([su, sc], [px]) => {
            su.name == "su"
                && su.party == Some(Party::Garbler)
                && uint(&su.format, ring.k)
                && sc.name == "sc"
                && sc.party == Some(Party::Evaluator)
                && uint(&sc.format, ring.k)
                && px.name == "pixel"
                && uint(&px.format, 8)
        }
        _ => false,
    };
    if !interface_ok {
        return Err(ProtocolError::Interface(format!(
            "output circuit: expected inputs su (garbler), sc (evaluator): uint<{}> and one \
             output pixel: uint<8>",
            ring.k
        )));
    }
    TwoPartyCircuit::new(circuit).map_err(ProtocolError::Driver)
}

/// The output circuits of one image: one per distinct coverage, with its pixels.
#[derive(Debug)]
pub struct OutputPlan {
    /// `(n, circuit, pixel indices in row-major order)`, by increasing n.
    groups: Vec<(u32, TwoPartyCircuit, Vec<usize>)>,
    /// Pixel index of value `i` of patch `p`, at `p · values + i` ([`ImageLayout::pixel_indices`]).
    pixel_of: Vec<usize>,
    pixels: usize,
    values: usize,
}

impl OutputPlan {
    /// Groups the pixels of `layout` by coverage and compiles a circuit per group.
    pub fn new(
        layout: &ImageLayout,
        params: &FixedParams,
        ring: Ring,
    ) -> Result<Self, ProtocolError> {
        let coverage = layout.coverage();
        let mut ns: Vec<u32> = coverage.clone();
        ns.sort_unstable();
        ns.dedup();
        let groups = ns
            .into_iter()
            .map(|n| {
                let idx: Vec<usize> = (0..coverage.len()).filter(|&i| coverage[i] == n).collect();
                Ok((n, compile_pixel_circuit(n, params, ring)?, idx))
            })
            .collect::<Result<_, ProtocolError>>()?;
        Ok(Self {
            groups,
            pixel_of: layout.pixel_indices(),
            pixels: layout.pixel_count(),
            values: layout.patch_values(),
        })
    }

    /// `(n, AND gates per pixel, pixels)` of every group.
    pub fn and_counts(&self) -> Vec<(u32, usize, usize)> {
        self.groups
            .iter()
            .map(|(n, c, idx)| (*n, c.and_count(), idx.len()))
            .collect()
    }

    /// Per-pixel sums mod 2^k of one party's output shares `z[i][p]` (`values` rows of
    /// `patches` entries, the layout of the last layer's shares), plus `extra[p][i]` if given
    /// (the user's `centre(p)·2^Fw`).
    pub fn pixel_sums(
        &self,
        ring: &Ring,
        z: &[u64],
        extra: Option<&[Vec<i64>]>,
    ) -> Result<Vec<u64>, ProtocolError> {
        let patches = self.pixel_of.len() / self.values.max(1);
        if z.len() != self.pixel_of.len() || extra.is_some_and(|e| e.len() != patches) {
            return Err(ProtocolError::Protocol {
                phase: "output sums",
                what: format!(
                    "{} output shares for {patches} patches of {} values",
                    z.len(),
                    self.values
                ),
            });
        }
        let mut sums = vec![0u64; self.pixels];
        for (k, &pixel) in self.pixel_of.iter().enumerate() {
            let (p, i) = (k / self.values, k % self.values);
            let mut v = z[i * patches + p];
            if let Some(e) = extra {
                let c = e[p]
                    .get(i)
                    .copied()
                    .ok_or_else(|| ProtocolError::Protocol {
                        phase: "output sums",
                        what: format!("patch {p} has {} centre values", e[p].len()),
                    })?;
                v = ring.add(v, ring.from_signed(c));
            }
            sums[pixel] = ring.add(sums[pixel], v);
        }
        Ok(sums)
    }

    /// Number of coverage groups (one garbled batch each).
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// Pixels of the image.
    pub fn pixel_count(&self) -> usize {
        self.pixels
    }

    /// The circuit of group `g`.
    pub fn circuit(&self, g: usize) -> Option<&TwoPartyCircuit> {
        self.groups.get(g).map(|(_, c, _)| c)
    }

    /// One party's input bits for group `g`: its pixel sums `s` (one per pixel), `k` bits.
    pub fn group_bits(&self, g: usize, s: &[u64], k: u32) -> Result<Vec<Vec<bool>>, ProtocolError> {
        self.check_sums(s)?;
        let idx = self.groups.get(g).map_or(&[][..], |(_, _, idx)| &idx[..]);
        Ok(idx.iter().map(|&i| to_bits(s[i].into(), k)).collect())
    }

    /// Writes the decoded pixels `outs` of group `g` into the row-major `image`.
    pub fn place(
        &self,
        g: usize,
        outs: &[Vec<bool>],
        image: &mut [u8],
    ) -> Result<(), ProtocolError> {
        let idx = self.groups.get(g).map_or(&[][..], |(_, _, idx)| &idx[..]);
        if outs.len() != idx.len()
            || outs.iter().any(|o| o.len() != 8)
            || image.len() != self.pixels
        {
            return Err(ProtocolError::Protocol {
                phase: "output",
                what: format!("{} pixels decoded for {}", outs.len(), idx.len()),
            });
        }
        for (&i, o) in idx.iter().zip(outs) {
            image[i] = from_bits(o) as u8;
        }
        Ok(())
    }

    /// The user's side (standalone, half-gates; an image run's core carries its negotiated
    /// scheme instead): garbles every group with its sums `s_u`, learns the pixels.
    /// Returns the row-major 8-bit image; adds the gates and traffic to `report`.
    pub fn run_user<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
        &self,
        ch: &mut C,
        ring: &Ring,
        s_u: &[u64],
        report: &mut FastReport,
        rng: &mut R,
    ) -> Result<Vec<u8>, ProtocolError> {
        self.check_sums(s_u)?;
        let mut image = vec![0u8; self.pixels];
        for (g, (_, circuit, _)) in self.groups.iter().enumerate() {
            let batch = GcBatch {
                circuit: GcCircuit::Output(g),
                garbler: true,
                reveal: Reveal::Garbler,
                scheme: Scheme::default(),
                bits: self.group_bits(g, s_u, ring.k)?,
            };
            let outs = run_batch(ch, circuit, &batch, report, rng)?;
            let outs = outs.ok_or_else(|| ProtocolError::Protocol {
                phase: "output",
                what: "the garbler got no pixels".into(),
            })?;
            self.place(g, &outs, &mut image)?;
        }
        Ok(image)
    }

    /// The cloud's side (standalone, half-gates): evaluates every group with its sums `s_c`
    /// (entered by OT) and returns the colour bits to the user; learns nothing. Adds gates
    /// and traffic to `report`.
    pub fn run_cloud<C: Channel + ?Sized, R: CryptoRng + ?Sized>(
        &self,
        ch: &mut C,
        ring: &Ring,
        s_c: &[u64],
        report: &mut FastReport,
        rng: &mut R,
    ) -> Result<(), ProtocolError> {
        self.check_sums(s_c)?;
        for (g, (_, circuit, _)) in self.groups.iter().enumerate() {
            let batch = GcBatch {
                circuit: GcCircuit::Output(g),
                garbler: false,
                reveal: Reveal::Garbler,
                scheme: Scheme::default(),
                bits: self.group_bits(g, s_c, ring.k)?,
            };
            run_batch(ch, circuit, &batch, report, rng)?;
        }
        Ok(())
    }

    /// Checks that `s` has one sum per pixel.
    pub(crate) fn check_sums(&self, s: &[u64]) -> Result<(), ProtocolError> {
        if s.len() != self.pixels {
            return Err(ProtocolError::Protocol {
                phase: "output",
                what: format!("{} pixel sums for {} pixels", s.len(), self.pixels),
            });
        }
        Ok(())
    }
}

/// The side of a square patch of `values` values, if it is one.
fn square_side(values: usize) -> Option<usize> {
    let s = (values as f64).sqrt().round() as usize;
    (s * s == values).then_some(s)
}

/// Checks that `layout` cuts `patches` patches of the model's sizes (`first_inputs` =
/// input side², `last_outputs` = output side²).
pub fn check_layout(
    layout: &ImageLayout,
    first_inputs: usize,
    last_outputs: usize,
    patches: usize,
) -> Result<(), ProtocolError> {
    let g = layout.geometry;
    if g.input * g.input != first_inputs
        || g.output * g.output != last_outputs
        || layout.patch_count() != patches
    {
        return Err(ProtocolError::Protocol {
            phase: "image header",
            what: format!(
                "a {}x{} image at stride {} cut into {}x{} → {}x{} patches has {} patches; \
                 the model takes {first_inputs} inputs and gives {last_outputs} outputs per \
                 patch, and the run has {patches} patches",
                layout.width,
                layout.height,
                g.stride,
                g.input,
                g.input,
                g.output,
                g.output,
                layout.patch_count()
            ),
        });
    }
    Ok(())
}

/// The layout announced by an image header (`width`, `height`, `stride`), checked against
/// the model's patch sizes and the announced patch count before anything is allocated.
pub fn header_layout(
    words: [u64; 3],
    first_inputs: usize,
    last_outputs: usize,
    patches: usize,
) -> Result<ImageLayout, ProtocolError> {
    let bad = |what: String| ProtocolError::Protocol {
        phase: "image header",
        what,
    };
    let [width, height, stride] = words;
    let most = u64::from(model::gray::MAX_IMAGE_SIDE);
    if width > most || height > most {
        return Err(bad(format!(
            "a {width}x{height} image: at most {most} pixels a side"
        )));
    }
    let (Some(input), Some(output)) = (square_side(first_inputs), square_side(last_outputs)) else {
        return Err(bad(format!(
            "a model of {first_inputs} inputs and {last_outputs} outputs has no square patches"
        )));
    };
    let stride = usize::try_from(stride).unwrap_or(usize::MAX);
    let geometry = PatchGeometry::new(input, output, stride).map_err(|e| bad(e.to_string()))?;
    let layout = ImageLayout::new(width as usize, height as usize, geometry)
        .map_err(|e| bad(e.to_string()))?;
    check_layout(&layout, first_inputs, last_outputs, patches)?;
    Ok(layout)
}

/// The user's addend per patch and output value: `centre(p)·2^Fw` (scale `Fw + Fa`) of its
/// quantised input patches.
pub fn user_centres(
    params: &FixedParams,
    layout: &ImageLayout,
    inputs: &[Vec<i64>],
) -> Vec<Vec<i64>> {
    let zeros = vec![0i64; layout.patch_values()];
    inputs
        .iter()
        .map(|p| patch_values(params, layout.geometry, p, &zeros))
        .collect()
}
