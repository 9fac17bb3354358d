//! `gcc-nn train`: trains the residual MLP denoiser (crate `gcc-nn-train`, candle) from flags
//! or a configuration file, with checkpoints to resume long runs in pieces.

use super::CliError;
use super::images::ensure_parent;
use super::runs::{check_model_output, fresh_run_dir};
use clap::Subcommand;
use model::Mlp;
use std::path::{Path, PathBuf};
use train::{Checkpoint, TrainActivation, TrainConfig, TrainSpec};

/// The training command.
#[derive(Subcommand)]
pub(crate) enum TrainCommand {
    /// Train the residual MLP on a folder of images (the shipped model came from the
    /// defaults, on Train400; see docs/model.md). Flags override the configuration file.
    Train {
        /// Folder of training images (never the test sets).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Configuration file (JSON, fields in docs/model.md "Training"); flags override it.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output model file; default: runs/train-DATE/denoiser.gccmlp (a new folder).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace OUTPUT if it exists (never the shipped assets/denoiser.gccmlp).
        #[arg(long, requires = "output")]
        force: bool,
        /// Optimiser steps [default: 30000].
        #[arg(long)]
        steps: Option<usize>,
        /// Patches per step [default: 256].
        #[arg(long)]
        batch: Option<usize>,
        /// Hidden widths, comma-separated [default: 128,128].
        #[arg(long, value_delimiter = ',')]
        hidden: Option<Vec<usize>>,
        /// Hidden activation: tanh (secure runs: tanh_fit) or relu [default: tanh].
        #[arg(long, value_parser = parse_train_activation)]
        activation: Option<TrainActivation>,
        /// Input patch side [default: 13].
        #[arg(long)]
        input_patch: Option<usize>,
        /// Output patch side [default: 5].
        #[arg(long)]
        output_patch: Option<usize>,
        /// Default stride stored in the model [default: 5].
        #[arg(long)]
        stride: Option<usize>,
        /// Training noise σ [default: 25].
        #[arg(long)]
        sigma: Option<f64>,
        /// Seed of initial weights, crops and noise [default: 1].
        #[arg(long)]
        seed: Option<u64>,
        /// Adam learning rate at the start, cosine decay to 5 % of it [default: 0.001].
        #[arg(long)]
        learning_rate: Option<f64>,
        /// Continue from this model (same shape) with a fresh schedule instead of random
        /// weights.
        #[arg(long, conflicts_with = "resume")]
        init: Option<PathBuf>,
        /// Checkpoint file, rewritten every `checkpoint_every` steps and at the end;
        /// default: OUTPUT.ckpt.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Continue the run saved in the checkpoint (same configuration and seed).
        #[arg(long)]
        resume: bool,
        /// Stop after this step (checkpoint written, model of the steps so far written to
        /// OUTPUT.partial): finish later with --resume.
        #[arg(long, value_name = "STEP")]
        stop_after: Option<usize>,
    },
}

fn parse_train_activation(s: &str) -> Result<TrainActivation, String> {
    match s {
        "tanh" => Ok(TrainActivation::Tanh),
        "relu" => Ok(TrainActivation::Relu),
        other => Err(format!(
            "`{other}`: the training activations are tanh and relu"
        )),
    }
}

/// Runs `gcc-nn train`.
pub(crate) fn run(cmd: TrainCommand) -> Result<(), CliError> {
    let TrainCommand::Train {
        data,
        config,
        output,
        force,
        steps,
        batch,
        hidden,
        activation,
        input_patch,
        output_patch,
        stride,
        sigma,
        seed,
        learning_rate,
        init,
        checkpoint,
        resume,
        stop_after,
    } = cmd;
    let mut spec = match &config {
        Some(path) => TrainSpec::load(path)?,
        None => TrainSpec::default(),
    };
    // Flags override the file.
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(v) = $field { spec.$field = v; } )* };
    }
    set!(
        steps,
        batch,
        hidden,
        activation,
        input_patch,
        output_patch,
        stride,
        sigma,
        seed,
        learning_rate
    );
    spec.check()
        .map_err(|e| format!("training configuration: {e}"))?;
    let output = match output {
        Some(p) => {
            check_model_output(&p, force)?;
            p
        }
        None => fresh_run_dir("train")?.join("denoiser.gccmlp"),
    };
    let checkpoint = checkpoint.unwrap_or_else(|| with_suffix(&output, ".ckpt"));
    let resume = if resume {
        let ck = Checkpoint::load(&checkpoint)?;
        eprintln!(
            "resuming {} at step {} of {}",
            checkpoint.display(),
            ck.step,
            ck.spec.steps
        );
        Some(ck)
    } else {
        if checkpoint.exists() {
            return Err(format!(
                "{}: a checkpoint exists (pass --resume to continue it, or remove it)",
                checkpoint.display()
            )
            .into());
        }
        None
    };
    eprintln!(
        "warning: training uses a fixed seed ({}): fine for a model, not for secrets",
        spec.seed
    );
    let images = model::GrayImage::load_dir(&data)?;
    let cfg = TrainConfig {
        spec,
        progress: true,
        init: init.as_deref().map(Mlp::load).transpose()?,
        checkpoint: Some(checkpoint.clone()),
        resume,
        stop_after,
    };
    let t = std::time::Instant::now();
    ensure_parent(&output)?;
    ensure_parent(&checkpoint)?;
    let mlp = train::train(&images, &cfg)?;
    let stopped = stop_after.is_some_and(|s| s < cfg.spec.steps);
    let written = if stopped {
        with_suffix(&output, ".partial")
    } else {
        output.clone()
    };
    mlp.save(&written)?;
    outln!(
        "wrote {} ({} parameters, activation {}, {} training images, {:.0} s{})",
        written.display(),
        mlp.parameter_count(),
        mlp.activation.name(),
        images.len(),
        t.elapsed().as_secs_f64(),
        if stopped {
            format!(
                "; stopped at step {}: continue with --resume",
                stop_after.unwrap_or_default()
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
