//! `gcc-nn cost`: the predicted cost of a secure run of any model file
//! ([`protocol::app::cost`]): per image, the linear layers' multiply-accumulates, activations
//! × ANDs, bytes each way, and the wall time now (fast-rlwe) and with Paillier linear layers.

use super::CliError;
use activation::Activation;
use clap::Subcommand;
use model::Mlp;
use protocol::app::cost::{CostReport, ImageCost, cost_report};
use std::path::PathBuf;

/// The cost-model command.
#[derive(Subcommand)]
pub(crate) enum CostCommand {
    /// Predict what a secure run costs for a model: MACs, activations × ANDs, bytes each way
    /// and wall time per image, from the compiled circuits and the measured rates
    /// (docs/model.md "Cost model").
    Cost {
        /// Model file; default: the shipped assets/denoiser.gccmlp.
        #[arg(conflicts_with = "shape")]
        model: Option<PathBuf>,
        /// Instead of a model file, a network of this shape (the cost does not depend on
        /// the weights): input patch side, hidden widths, output patch side, e.g. the
        /// paper's `39,3072,3072,2559,2047,17` (with --stride 3).
        #[arg(long, value_delimiter = ',', num_args = 1..)]
        shape: Option<Vec<usize>>,
        /// The activation: a shipped name or a DSL file; default: the one the model file
        /// names (a file's own is the only one accepted), with --shape tanh_fit.
        #[arg(long, value_name = "FILE.dsl|NAME", value_parser = super::parse_activation)]
        activation: Option<Activation>,
        /// Stride; default: the model's.
        #[arg(long)]
        stride: Option<usize>,
        /// Image sides (square images), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "256,512")]
        side: Vec<usize>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `gcc-nn cost`.
pub(crate) fn run(cmd: CostCommand) -> Result<(), CliError> {
    let CostCommand::Cost {
        model,
        shape,
        activation,
        stride,
        side,
        json,
    } = cmd;
    let (mlp, name) = match (&model, &shape) {
        (_, Some(shape)) => (shaped(shape, stride)?, format!("of shape {shape:?}")),
        (Some(p), None) => (Mlp::load(p)?, p.display().to_string()),
        (None, None) => (
            model::shipped::model()?,
            "assets/denoiser.gccmlp (shipped)".to_string(),
        ),
    };
    if side.is_empty() {
        return Err("--side: give at least one image side".into());
    }
    // A shaped network (zero weights, made for tanh_fit by `Mlp::new`) takes any activation.
    let activation = match (activation, &shape) {
        (Some(a), Some(_)) => a,
        (explicit, _) => mlp.activation_for(explicit)?,
    };
    let report = cost_report(&mlp, &activation, stride, &side)?;
    if json {
        outln!("{}", to_json(&name, &report));
    } else {
        print(&name, &report);
    }
    Ok(())
}

/// A zero-weight model of `shape` (input side, hidden widths…, output side).
fn shaped(shape: &[usize], stride: Option<usize>) -> Result<Mlp, CliError> {
    let [input, hidden @ .., output] = shape else {
        return Err(
            "--shape: give the input patch side, the hidden widths and the output patch side"
                .into(),
        );
    };
    Mlp::zeros(*input, hidden, *output, stride.unwrap_or(1))
        .map_err(|e| format!("--shape: {e}").into())
}

fn widths(w: &[usize]) -> String {
    w.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" → ")
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn print(name: &str, r: &CostReport) {
    let p = &r.patch;
    outln!(
        "model {name}: {}, {} weights and biases, activation {} ({} ANDs on shares)",
        widths(&p.widths),
        thousands(p.parameters as u64),
        p.activation,
        p.ands_per_activation
    );
    outln!(
        "per patch: {} MACs, {} activations ({} ANDs)",
        thousands(p.macs),
        p.activations,
        thousands(p.activations * p.ands_per_activation)
    );
    outln!(
        "| image | stride | patches | MACs | activations × ANDs | output ANDs | user → cloud | cloud → user | predicted wall, fast-rlwe (garbled + linear) | with Paillier linear layers |"
    );
    outln!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for i in &r.images {
        outln!(
            "| {s}×{s} | {} | {} | {:.1} M | {} × {} = {:.1} M | {:.1} M | {:.2} GB | {:.3} GB | {:.1} s ({:.1} + {:.1}) | {:.0} s |",
            i.stride,
            thousands(i.patches),
            i.macs as f64 / 1e6,
            thousands(i.activations),
            p.ands_per_activation,
            i.activation_ands as f64 / 1e6,
            i.output_ands as f64 / 1e6,
            i.bytes_up as f64 / 1e9,
            i.bytes_down as f64 / 1e9,
            i.seconds_rlwe(&r.rates),
            i.gc_seconds,
            i.rlwe_seconds,
            i.seconds_paillier(&r.rates),
            s = i.side
        );
    }
    let rt = &r.rates;
    outln!(
        "rates: {:.1} M AND/s + {:.2} µs per activation, {} B per AND, {} B per label/OT; RLWE linear layers {:.1} ns per MAC + {:.2} s per image; Paillier {:.1} µs per MAC; {} s per image",
        rt.ands_per_second / 1e6,
        rt.activation_ns / 1e3,
        rt.bytes_per_and,
        rt.bytes_per_label,
        rt.rlwe_ns_per_mac,
        rt.rlwe_image_seconds,
        rt.paillier_ns_per_mac / 1e3,
        rt.image_seconds
    );
    outln!("machine: {}", rt.machine);
    outln!("source: {}", rt.source);
}

fn image_json(i: &ImageCost, r: &CostReport) -> serde_json::Value {
    serde_json::json!({
        "side": i.side,
        "stride": i.stride,
        "patches": i.patches,
        "macs": i.macs,
        "activations": i.activations,
        "activation_ands": i.activation_ands,
        "output_ands": i.output_ands,
        "bytes_user_to_cloud": i.bytes_up,
        "bytes_cloud_to_user": i.bytes_down,
        "rlwe_bytes": [i.rlwe_bytes.0, i.rlwe_bytes.1],
        "gc_seconds": i.gc_seconds,
        "linear_seconds_rlwe": i.rlwe_seconds,
        "cpu_seconds_fast_rlwe": i.cpu_seconds_rlwe(&r.rates),
        "linear_seconds_paillier": i.paillier_seconds,
        "seconds_fast_rlwe": i.seconds_rlwe(&r.rates),
        "seconds_fast_paillier": i.seconds_paillier(&r.rates),
    })
}

fn to_json(name: &str, r: &CostReport) -> serde_json::Value {
    let p = &r.patch;
    serde_json::json!({
        "model": name,
        "widths": p.widths,
        "parameters": p.parameters,
        "activation": p.activation,
        "ands_per_activation": p.ands_per_activation,
        "macs_per_patch": p.macs,
        "activations_per_patch": p.activations,
        "images": r.images.iter().map(|i| image_json(i, r)).collect::<Vec<_>>(),
        "rates": {
            "machine": r.rates.machine,
            "source": r.rates.source,
            "ands_per_second": r.rates.ands_per_second,
            "activation_ns": r.rates.activation_ns,
            "bytes_per_and": r.rates.bytes_per_and,
            "bytes_per_label": r.rates.bytes_per_label,
            "rlwe_ns_per_mac": r.rates.rlwe_ns_per_mac,
            "rlwe_image_seconds": r.rates.rlwe_image_seconds,
            "paillier_ns_per_mac": r.rates.paillier_ns_per_mac,
            "image_seconds": r.rates.image_seconds,
        },
    })
}
