//! The cost model of a secure run of the fast protocol (issue 19): what one image costs for a
//! model, an activation and a stride, from the compiled circuits and the measured rates.
//!
//! Counts are exact, from the code the run uses: patches from [`ImageLayout`], the
//! multiply-accumulates `Σ inputs·outputs` per patch, the activations (hidden widths per
//! patch), the ANDs of the activation's on-shares circuit ([`ShareCircuit::for_activation`],
//! the circuit the fast protocol garbles), the ANDs of the output circuits (one per pixel,
//! [`compile_pixel_circuit`] per coverage), the RLWE ciphertext bytes of every cross product
//! ([`rlwe::Layout::choose`], the layouts both parties pick). Times and the remaining bytes
//! come from the rates of [`MEASURED`] (one place, with their source and machine).
//!
//! Wall-time model (both parties on one 2-core machine, as in `gcc-nn demo`): the garbled
//! batches run the garbler and the evaluator at once, one core each, at
//! [`Rates::ands_per_second`] plus [`Rates::activation_ns`] per activation (its OT, input
//! labels and share handling; an output pixel pays it in proportion to its input bits);
//! the RLWE linear layers take [`Rates::rlwe_ns_per_mac`] per multiply-accumulate plus
//! [`Rates::rlwe_image_seconds`] per image (keys, transforms, the packing of a small image's
//! few patches into whole polynomials), fitted to an idle 64×64 bench and an idle 256×256
//! demo; the Paillier linear layers [`Rates::paillier_ns_per_mac`] per multiply-accumulate.
//! Nothing overlaps across these steps. Both cores are busy throughout, so the CPU time of
//! both parties is about twice the wall time ([`Rates::cpu_per_wall`]). The transport is
//! not modelled: the rates are of runs over plain TCP or in one process; TLS 1.3 added 22 s
//! to the garbled layers of the idle 256×256 demo at b2235fd (50.1 s against 28.0 s), which
//! transport changes since then reduce.

use crate::error::ProtocolError;
use crate::fast::ShareCircuit;
use crate::fast::output::compile_pixel_circuit;
use crate::fast::ring::Ring;
use activation::Activation;
use model::Mlp;
use model::fixed::{FIXED, FixedParams};
use model::patches::{ImageLayout, PatchGeometry};

/// Measured rates of the protocols on one machine, with their source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// The machine and its state when measured.
    pub machine: &'static str,
    /// The commands and commits the figures come from.
    pub source: &'static str,
    /// Garbled ANDs per second of one batch, garbler and evaluator running at once.
    pub ands_per_second: f64,
    /// Wall nanoseconds per activation besides its ANDs (OT of the cloud's share, the
    /// garbler's input labels, share bookkeeping).
    pub activation_ns: f64,
    /// Bytes of one garbled AND table (half-gates: 2 × κ/8).
    pub bytes_per_and: f64,
    /// Bytes per evaluator input bit: one OT-extension row (the garbler's labels are not sent).
    pub bytes_per_label: f64,
    /// Wall nanoseconds per multiply-accumulate of the RLWE linear layers (fast-rlwe).
    pub rlwe_ns_per_mac: f64,
    /// Wall seconds of the RLWE linear layers per image besides their multiply-accumulates.
    pub rlwe_image_seconds: f64,
    /// Wall nanoseconds per multiply-accumulate of the Paillier linear layers (fast).
    pub paillier_ns_per_mac: f64,
    /// Fixed wall seconds per image (randomness tables, key exchange).
    pub image_seconds: f64,
    /// CPU seconds of both parties per wall second (both cores busy).
    pub cpu_per_wall: f64,
}

/// The rates measured on this project's machine (2-core AMD EPYC Zen 4 with VAES, 2.45 GHz).
pub const MEASURED: Rates = Rates {
    machine: "2-core AMD EPYC Zen 4 (VAES), 2.45 GHz, idle, both parties on it",
    source: "session 6, idle (the lead's runs, /work/notes/s6): `fast_bench` 64x64, rlwe, \
             1024-bit keys, three runs each of relu (120 ANDs) and tanh_fit (737 ANDs), medians \
             (user garbling 4.51 and 11.45 ms per patch, linear layers 6.85 ms per patch); \
             `gcc-nn demo -q --insecure-plaintext` at b2235fd (256x256: linear layers 2.80 s; \
             its garbled layers, 28.0 s, are the check); `gcc-nn demo --protocol fast` at \
             02577de, idle (image 646.3 s) for the Paillier rate (docs/model.md, \"Cost model\")",
    // Two equations, relu and tanh_fit at 64x64 (169 patches, 43,264 activations, 675,584
    // output ANDs, 4,096 pixels): 0.762 s and 1.935 s of garbling.
    ands_per_second: 22.76e6,
    activation_ns: 10_970.0,
    bytes_per_and: 32.0,
    bytes_per_label: 16.0,
    // RLWE linear layers, user's wall: 1.172 s for 169 patches (fast_bench 64x64) and 2.80 s
    // for 2,704 patches (plain-TCP demo 256x256): 15.6 ns per MAC + 1.06 s.
    rlwe_ns_per_mac: 15.6,
    rlwe_image_seconds: 1.06,
    // (646.3 − 43.8) s / (2,704 × 41,216) multiply-accumulates (not re-measured this session).
    paillier_ns_per_mac: 5_400.0,
    image_seconds: 0.1,
    // fast_bench 75x75, idle (README): 32.4 ms CPU per 17.2 ms of wall per patch.
    cpu_per_wall: 1.88,
};

/// What a model costs per patch, independent of the image.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchCost {
    /// Layer widths, input first.
    pub widths: Vec<usize>,
    /// Weights and biases.
    pub parameters: usize,
    /// Multiply-accumulates of the linear layers per patch.
    pub macs: u64,
    /// Activations per patch (the hidden widths).
    pub activations: u64,
    /// The activation's name.
    pub activation: String,
    /// ANDs of the activation's on-shares circuit.
    pub ands_per_activation: u64,
    /// Garbler (user) input bits and evaluator (cloud) input bits of one activation.
    pub activation_bits: (u64, u64),
}

/// The predicted cost of one `side`×`side` image.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageCost {
    /// Image side in pixels.
    pub side: usize,
    /// Stride between output patches.
    pub stride: usize,
    /// Patches.
    pub patches: u64,
    /// Multiply-accumulates of the linear layers.
    pub macs: u64,
    /// Activations.
    pub activations: u64,
    /// ANDs of all activations.
    pub activation_ands: u64,
    /// ANDs of the output circuits (one per pixel).
    pub output_ands: u64,
    /// Bytes user → cloud (garbled tables, labels, OT, RLWE ciphertexts).
    pub bytes_up: u64,
    /// Bytes cloud → user (OT, RLWE ciphertexts, output colour bits).
    pub bytes_down: u64,
    /// Of [`ImageCost::bytes_up`] and [`ImageCost::bytes_down`]: the RLWE ciphertexts.
    pub rlwe_bytes: (u64, u64),
    /// Predicted wall seconds of the garbled activations and output circuits.
    pub gc_seconds: f64,
    /// Predicted wall seconds of the RLWE linear layers.
    pub rlwe_seconds: f64,
    /// Predicted wall seconds of the Paillier linear layers.
    pub paillier_seconds: f64,
}

impl ImageCost {
    /// Predicted wall seconds of the image with the default protocol (fast-rlwe).
    pub fn seconds_rlwe(&self, rates: &Rates) -> f64 {
        self.gc_seconds + self.rlwe_seconds + rates.image_seconds
    }

    /// Predicted CPU seconds of both parties for the image (fast-rlwe).
    pub fn cpu_seconds_rlwe(&self, rates: &Rates) -> f64 {
        self.seconds_rlwe(rates) * rates.cpu_per_wall
    }

    /// Predicted wall seconds of the image with Paillier linear layers (`--protocol fast`).
    pub fn seconds_paillier(&self, rates: &Rates) -> f64 {
        self.gc_seconds + self.paillier_seconds + rates.image_seconds
    }
}

fn err(what: &str) -> impl Fn(String) -> ProtocolError + '_ {
    move |e| ProtocolError::Model(format!("cost of {what}: {e}"))
}

/// The per-patch counts of `mlp` with `act` under the fixed-point formats `params`.
pub fn patch_cost(
    mlp: &Mlp,
    act: &Activation,
    params: &FixedParams,
) -> Result<PatchCost, ProtocolError> {
    let circuit = ShareCircuit::for_activation(act, params)
        .map_err(|e| err("the activation circuit")(e.to_string()))?;
    let widths = mlp.widths();
    let hidden = &widths[1..widths.len().saturating_sub(1)];
    let k = u64::from(params.ring_bits);
    Ok(PatchCost {
        macs: mlp
            .layers
            .iter()
            .map(|l| (l.inputs * l.outputs) as u64)
            .sum(),
        activations: hidden.iter().map(|&w| w as u64).sum(),
        parameters: mlp.parameter_count(),
        activation: act.name().to_string(),
        ands_per_activation: circuit.and_count() as u64,
        // zu and r from the garbler, zc from the evaluator (circuits/wrappers/shares.dsl).
        activation_bits: (2 * k, k),
        widths,
    })
}

/// The predicted cost of a `side`×`side` image at `stride` with `rates`.
pub fn image_cost(
    mlp: &Mlp,
    patch: &PatchCost,
    params: &FixedParams,
    side: usize,
    stride: usize,
    rates: &Rates,
) -> Result<ImageCost, ProtocolError> {
    let geometry = PatchGeometry::new(mlp.input_patch, mlp.output_patch, stride)
        .map_err(|e| err("the patch geometry")(e.to_string()))?;
    let layout = ImageLayout::new(side, side, geometry)
        .map_err(|e| err(&format!("a {side}x{side} image"))(e.to_string()))?;
    let patches = layout.patch_count() as u64;
    let ring = Ring::new(params.ring_bits).map_err(|e| err("the ring")(e.to_string()))?;
    let k = u64::from(params.ring_bits);

    // Output circuits: one per pixel, its ANDs by how many patches cover it.
    let coverage = layout.coverage();
    let mut ns = coverage.clone();
    ns.sort_unstable();
    ns.dedup();
    let mut output_ands = 0u64;
    for n in ns {
        let c = compile_pixel_circuit(n, params, ring)
            .map_err(|e| err("the output circuit")(e.to_string()))?;
        let pixels = coverage.iter().filter(|&&m| m == n).count() as u64;
        output_ands += pixels * c.and_count() as u64;
    }
    let pixels = layout.pixel_count() as u64;

    // RLWE ciphertexts: cross product 1 of every layer (the user's inputs up, the results
    // down), cross product 2 of every layer but the first (the cloud's inputs down, the
    // results up).
    let (mut rlwe_up, mut rlwe_down) = (0u64, 0u64);
    for (li, l) in mlp.layers.iter().enumerate() {
        let lay = rlwe::Layout::choose(l.inputs, l.outputs, patches as usize, params.ring_bits)
            .map_err(|e| err("the RLWE layout")(e.to_string()))?;
        let inputs = (lay.input_count() * lay.input_bytes()) as u64;
        let results = lay.bytes() as u64 - inputs;
        rlwe_up += inputs;
        rlwe_down += results;
        if li > 0 {
            rlwe_down += inputs;
            rlwe_up += results;
        }
    }

    let activations = patch.activations * patches;
    let activation_ands = activations * patch.ands_per_activation;
    let e_bits = patch.activation_bits.1;
    let (lbl, and_b) = (rates.bytes_per_label, rates.bytes_per_and);
    // Up: the garbled tables only. The user's input labels are derived from the cloud's
    // seed, not sent (GC handshake version 4); the OT rows of the cloud's bits travel down.
    let gc_up = (activation_ands + output_ands) as f64 * and_b;
    // OT: the evaluator's column per input bit; the output's colour bits (one byte a pixel).
    let gc_down = activations as f64 * e_bits as f64 * lbl + pixels as f64 * (k as f64 * lbl + 1.0);
    let macs = patch.macs * patches;
    Ok(ImageCost {
        side,
        stride,
        patches,
        macs,
        activations,
        activation_ands,
        output_ands,
        bytes_up: gc_up as u64 + rlwe_up,
        bytes_down: gc_down as u64 + rlwe_down,
        rlwe_bytes: (rlwe_up, rlwe_down),
        // An output pixel's inputs: 2K bits against an activation's 3K.
        gc_seconds: (activation_ands + output_ands) as f64 / rates.ands_per_second
            + (activations as f64 + pixels as f64 * 2.0 / 3.0) * rates.activation_ns * 1e-9,
        rlwe_seconds: macs as f64 * rates.rlwe_ns_per_mac * 1e-9 + rates.rlwe_image_seconds,
        paillier_seconds: macs as f64 * rates.paillier_ns_per_mac * 1e-9,
    })
}

/// The cost report of a model: per-patch counts and one [`ImageCost`] per side.
#[derive(Clone, Debug, PartialEq)]
pub struct CostReport {
    /// Per-patch counts.
    pub patch: PatchCost,
    /// Per image side asked for.
    pub images: Vec<ImageCost>,
    /// The rates the times come from.
    pub rates: Rates,
}

/// The cost of `mlp` with `act` at `stride` (default: the model's) for each of `sides`, with
/// the shipped fixed-point formats and the [`MEASURED`] rates.
pub fn cost_report(
    mlp: &Mlp,
    act: &Activation,
    stride: Option<usize>,
    sides: &[usize],
) -> Result<CostReport, ProtocolError> {
    let patch = patch_cost(mlp, act, &FIXED)?;
    let stride = stride.unwrap_or(mlp.stride);
    let images = sides
        .iter()
        .map(|&s| image_cost(mlp, &patch, &FIXED, s, stride, &MEASURED))
        .collect::<Result<_, _>>()?;
    Ok(CostReport {
        patch,
        images,
        rates: MEASURED,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> (Mlp, Activation) {
        (
            model::shipped::model().expect("shipped model"),
            Activation::shipped("tanh_fit").expect("tanh_fit"),
        )
    }

    #[test]
    fn shipped_model_counts_match_the_hand_computed_ones() {
        let (m, act) = shipped();
        let r = cost_report(&m, &act, None, &[256, 512]).expect("cost");
        // 13x13 → 128 → 128 → 5x5.
        assert_eq!(r.patch.macs, 169 * 128 + 128 * 128 + 128 * 25);
        assert_eq!(r.patch.activations, 256);
        assert_eq!(r.patch.parameters, 41_497);
        // 52 regular positions 0, 5, …, 250 plus the flush one at 251 per axis.
        assert_eq!(r.images[0].patches, 2_704);
        assert_eq!(r.images[0].macs, 2_704 * 41_216);
        assert_eq!(r.images[0].activations, 2_704 * 256);
        // 512: positions 0, 5, …, 505 (102) plus the flush 507.
        assert_eq!(r.images[1].patches, 103 * 103);
        assert_eq!(
            r.images[0].activation_ands,
            2_704 * 256 * r.patch.ands_per_activation
        );
    }

    #[test]
    fn predictions_reproduce_the_measured_256_image() {
        // The idle plain-TCP demo at b2235fd: garbled layers 13.58 + 13.71 s and output
        // pixels 0.73 s (not used by the fit: the check), linear layers 2.80 s, image 30.9 s,
        // 17.12 GB up, 0.530 GB down; tanh_fit then had 712 ANDs on shares: price those, not
        // today's compiler's.
        let (m, act) = shipped();
        let mut r = cost_report(&m, &act, None, &[256]).expect("cost");
        r.patch.ands_per_activation = 712;
        r.images[0] = image_cost(&m, &r.patch, &FIXED, 256, m.stride, &MEASURED).expect("cost");
        let img = &r.images[0];
        let gc = img.gc_seconds;
        assert!(
            (gc - 28.02).abs() < 0.1 * 28.02,
            "predicted {gc:.1} s garbled"
        );
        let t = img.seconds_rlwe(&r.rates);
        assert!((t - 30.9).abs() < 0.1 * 30.9, "predicted {t:.1} s");
        // 17.12 GB measured, less the user's input labels it no longer sends (2,704 × 256 ×
        // 80 × 16 B + 65,536 × 40 × 16 B = 0.928 GB, exact: runtime/tests/input_labels.rs).
        let up = img.bytes_up as f64 / 1e9;
        let measured_up = 17.12 - 0.928;
        assert!(
            (up - measured_up).abs() < 0.05 * measured_up,
            "predicted {up:.2} GB up"
        );
        let down = img.bytes_down as f64 / 1e9;
        assert!(
            (down - 0.530).abs() < 0.15 * 0.530,
            "predicted {down:.3} GB down"
        );
        let p = img.seconds_paillier(&r.rates);
        assert!(
            (p - 646.3).abs() < 0.1 * 646.3,
            "predicted {p:.1} s with Paillier"
        );
    }

    /// The 64x64 bench of the fit, phase by phase, within 25 % (the bound): garbling
    /// with the bench's circuits (relu 120 ANDs, tanh_fit 737 as compiled then), the linear
    /// layers, the wall, the bytes to the cloud (6,482.8 and 1,546.8 KB per patch).
    #[test]
    fn predictions_are_within_25_percent_of_the_64x64_bench() {
        let (m, tanh) = shipped();
        let relu = Activation::shipped("relu").expect("relu");
        let near = |what: &str, predicted: f64, measured: f64| {
            assert!(
                (predicted / measured - 1.0).abs() < 0.25,
                "{what}: predicted {predicted:.3}, measured {measured:.3}"
            );
        };
        for (act, ands, gc, wall, kb_up) in [
            (&relu, 120, 0.762, 2.0, 1_546.8),
            (&tanh, 737, 1.935, 3.0, 6_482.8),
        ] {
            let mut r = cost_report(&m, act, None, &[64]).expect("cost");
            // The bench's circuit: price its AND count, not today's compiler's.
            r.patch.ands_per_activation = ands;
            let img = image_cost(&m, &r.patch, &FIXED, 64, 5, &MEASURED).expect("cost");
            assert_eq!(img.patches, 169);
            near("garbling", img.gc_seconds, gc);
            near("linear layers", img.rlwe_seconds, 1.172);
            near("wall", img.seconds_rlwe(&MEASURED), wall);
            // Measured when the user still sent its input labels: 80 × 16 B per activation
            // (256 per patch) and 40 × 16 B per output pixel (4,096 over 169 patches), exact.
            let labels_kb = (256.0 * 80.0 * 16.0 + 4096.0 * 40.0 * 16.0 / 169.0) / 1e3;
            near(
                "bytes up",
                img.bytes_up as f64,
                (kb_up - labels_kb) * 1e3 * 169.0,
            );
        }
    }

    #[test]
    fn a_cheaper_activation_costs_fewer_ands_and_less_time() {
        let (m, tanh) = shipped();
        let relu = Activation::shipped("relu").expect("relu");
        let a = cost_report(&m, &tanh, None, &[256]).expect("cost");
        let b = cost_report(&m, &relu, None, &[256]).expect("cost");
        assert!(b.patch.ands_per_activation * 2 < a.patch.ands_per_activation);
        assert!(b.images[0].seconds_rlwe(&b.rates) < a.images[0].seconds_rlwe(&a.rates));
        assert_eq!(a.images[0].macs, b.images[0].macs);
    }

    #[test]
    fn a_smaller_stride_costs_more_patches() {
        let (m, act) = shipped();
        let s5 = cost_report(&m, &act, Some(5), &[256]).expect("cost");
        let s3 = cost_report(&m, &act, Some(3), &[256]).expect("cost");
        assert_eq!(s3.images[0].patches, 7_225);
        assert_eq!(s3.images[0].macs, 7_225 * 41_216);
        let (t3, t5) = (
            s3.images[0].seconds_rlwe(&s3.rates),
            s5.images[0].seconds_rlwe(&s5.rates),
        );
        assert!(t3 > 2.5 * t5 && t3 < 2.8 * t5, "{t3:.1} s vs {t5:.1} s");
    }

    #[test]
    fn an_image_smaller_than_a_patch_is_an_error_naming_it() {
        let (m, act) = shipped();
        let e = cost_report(&m, &act, None, &[8]).expect_err("8x8 is below 13x13");
        assert!(e.to_string().contains("8x8"), "{e}");
    }
}
