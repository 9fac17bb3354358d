//! Training checkpoints: everything a run needs to continue exactly where it stopped (the
//! configuration, the step, the random generator's position, the weights and Adam's
//! moments), so that a run cut into pieces gives the same model as one run.
//!
//! File: the [`bytes`] envelope ([`CHECKPOINT_FILE`]: `"GCCNNCKP"`, version, length, body,
//! SHA-256) around: the configuration as JSON (u64 length + UTF-8), `u64` steps done, `u64`
//! seed of the generator, `u64` × 2 its word position (low, high), `f64` running loss,
//! `u64` Adam step, the model file ([`model::mlp::MODEL_FILE`], u64 length + bytes; a
//! version-2 model of an older checkpoint is read for the configuration's activation), then
//! per layer Adam's first and second moments of the weights and of the biases (`f32`).

use crate::config::TrainSpec;
use bytes::{DecodeError, Format, Put};
use model::Mlp;
use model::error::{ModelError, Result};
use std::path::Path;

/// The checkpoint file envelope.
pub const CHECKPOINT_FILE: Format = Format {
    what: "training checkpoint",
    magic: *b"GCCNNCKP",
    version: 1,
    max_body: 1 << 30,
    remedy: "start the run again without --resume",
    legacy_prefixes: &[],
};

/// Adam's moments of one tensor, and the tensor's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    /// First moment.
    pub m: Vec<f32>,
    /// Second moment.
    pub v: Vec<f32>,
}

/// The state of a run after some steps.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The run's configuration.
    pub spec: TrainSpec,
    /// Steps done.
    pub step: u64,
    /// Word position of the run's ChaCha12 generator (seeded with `spec.seed`).
    pub rng_word_pos: u128,
    /// Running mean of the loss (for the progress line).
    pub running_loss: f64,
    /// Adam's step counter.
    pub adam_step: u64,
    /// The weights.
    pub model: Mlp,
    /// Adam's moments, weights then biases of each layer in order.
    pub moments: Vec<Moments>,
}

impl Checkpoint {
    /// Serialises the checkpoint.
    pub fn to_bytes(&self) -> Vec<u8> {
        let model = self.model.to_bytes();
        let json = self.spec.to_json();
        let floats: usize = self.moments.iter().map(|m| m.m.len() * 8).sum();
        let mut w = CHECKPOINT_FILE.writer(json.len() + model.len() + floats + 64);
        w.put_u64(json.len() as u64);
        w.put(json.as_bytes());
        w.put_u64(self.step);
        w.put_u64(self.rng_word_pos as u64);
        w.put_u64((self.rng_word_pos >> 64) as u64);
        w.put(&self.running_loss.to_le_bytes());
        w.put_u64(self.adam_step);
        w.put_u64(model.len() as u64);
        w.put(&model);
        for mo in &self.moments {
            for v in mo.m.iter().chain(&mo.v) {
                w.put(&v.to_le_bytes());
            }
        }
        w.finish()
    }

    /// Parses a checkpoint; `what` names the source in errors.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self> {
        let bad = |message: String| ModelError::BadModelFile {
            what: what.to_string(),
            message,
        };
        let decode =
            |e: DecodeError| bad(format!("{} at byte {}: {}", e.field, e.offset, e.reason));
        let mut r = CHECKPOINT_FILE.open(bytes).map_err(decode)?;
        let json = r.bytes64("configuration", 1 << 20).map_err(decode)?;
        let json = std::str::from_utf8(json).map_err(|e| bad(format!("configuration: {e}")))?;
        let spec = TrainSpec::from_json(json, what)?;
        let step = r.u64("step").map_err(decode)?;
        let lo = r.u64("generator position").map_err(decode)?;
        let hi = r.u64("generator position").map_err(decode)?;
        let running_loss = f64::from_bits(r.u64("running loss").map_err(decode)?);
        let adam_step = r.u64("Adam step").map_err(decode)?;
        let model_bytes = r.bytes64("model", 1 << 28).map_err(decode)?;
        // Checkpoints written before model format v3 hold a v2 model (no activation): the
        // configuration names it.
        let model = if Mlp::file_version(model_bytes) == Some(2) {
            let activation = model::ModelActivation::shipped(spec.activation.fixed_name())?;
            Mlp::from_v2_bytes(model_bytes, what, activation)?
        } else {
            Mlp::from_bytes(model_bytes, what)?
        };
        if model.widths() != spec.widths() {
            return Err(bad(format!(
                "model widths {:?} differ from the configuration's {:?}",
                model.widths(),
                spec.widths()
            )));
        }
        let mut moments = Vec::new();
        for l in &model.layers {
            for n in [l.weights.len(), l.bias.len()] {
                let mut read = |field: &str| -> Result<Vec<f32>> {
                    (0..n)
                        .map(|_| r.u32(field).map(f32::from_bits).map_err(decode))
                        .collect()
                };
                let m = read("first moment")?;
                let v = read("second moment")?;
                moments.push(Moments { m, v });
            }
        }
        r.finish().map_err(decode)?;
        Ok(Self {
            spec,
            step,
            rng_word_pos: u128::from(lo) | (u128::from(hi) << 64),
            running_loss,
            adam_step,
            model,
            moments,
        })
    }

    /// Reads a checkpoint file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// Writes the checkpoint (to a temporary file renamed over `path`).
    pub fn save(&self, path: &Path) -> Result<()> {
        model::image_file::write_replacing(path, &self.to_bytes())
    }
}
