//! The training configuration and its file: one JSON object, every field optional (the
//! defaults are the shipped model's), unknown fields refused.
//!
//! ```json
//! { "input_patch": 13, "output_patch": 5, "stride": 5, "hidden": [128, 128],
//!   "activation": "relu", "sigma": 25, "steps": 30000, "batch": 256,
//!   "learning_rate": 0.001, "seed": 1, "checkpoint_every": 1000 }
//! ```

use model::error::{ModelError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The hidden layers' activation during training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainActivation {
    /// The real tanh; the secure runs use its fixed-point fit `tanh_fit` (or tanh*).
    Tanh,
    /// max(x, 0); the secure runs use the shipped `relu` circuit (far fewer ANDs).
    Relu,
}

impl TrainActivation {
    /// The shipped fixed-point activation (`gcc-nn-activation` name) that matches it.
    pub fn fixed_name(self) -> &'static str {
        match self {
            Self::Tanh => "tanh_fit",
            Self::Relu => "relu",
        }
    }

    /// Its name in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tanh => "tanh",
            Self::Relu => "relu",
        }
    }
}

/// What to train and for how long (the reproducible part of a run: a checkpoint records it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSpec {
    /// Input patch side.
    pub input_patch: usize,
    /// Output patch side.
    pub output_patch: usize,
    /// Stride stored in the model as its default.
    pub stride: usize,
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// The hidden layers' activation.
    pub activation: TrainActivation,
    /// Noise σ on the [0, 255] scale.
    pub sigma: f64,
    /// Optimiser steps (0: the initial weights unchanged).
    pub steps: usize,
    /// Patches per step.
    pub batch: usize,
    /// Adam learning rate at the start; decays by cosine to 5 % of it.
    pub learning_rate: f64,
    /// Seed of every random choice (initial weights, crops, noise).
    pub seed: u64,
    /// Steps between checkpoints (0: none).
    pub checkpoint_every: usize,
}

impl Default for TrainSpec {
    fn default() -> Self {
        Self {
            input_patch: 13,
            output_patch: 5,
            stride: 5,
            hidden: vec![128, 128],
            activation: TrainActivation::Tanh,
            sigma: 25.0,
            steps: 30_000,
            batch: 256,
            learning_rate: 1e-3,
            seed: 1,
            checkpoint_every: 1_000,
        }
    }
}

impl TrainSpec {
    /// Parses a configuration file's text; `what` names it in errors.
    pub fn from_json(text: &str, what: &str) -> Result<Self> {
        let spec: Self = serde_json::from_str(text).map_err(|e| {
            ModelError::Training(format!("{what}: not a training configuration: {e}"))
        })?;
        spec.check()
            .map_err(|m| ModelError::Training(format!("{what}: {m}")))?;
        Ok(spec)
    }

    /// Reads a configuration file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// The configuration as one JSON object (what a checkpoint stores).
    pub fn to_json(&self) -> String {
        // Plain fields only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks the values that no model could have.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.batch == 0 {
            return Err("batch (0) must be positive".into());
        }
        if self.hidden.contains(&0) {
            return Err(format!("hidden widths {:?} include 0", self.hidden));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!(
                "learning_rate {} is not positive",
                self.learning_rate
            ));
        }
        if !(self.sigma.is_finite() && self.sigma >= 0.0) {
            return Err(format!("sigma {} is not a finite σ ≥ 0", self.sigma));
        }
        model::patches::PatchGeometry::new(self.input_patch, self.output_patch, self.stride)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Layer widths, input first.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.input_patch * self.input_patch];
        w.extend(&self.hidden);
        w.push(self.output_patch * self.output_patch);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_file_takes_the_defaults_for_the_rest() {
        let s = TrainSpec::from_json(r#"{"activation": "relu", "hidden": [64]}"#, "c.json")
            .expect("valid");
        assert_eq!(s.activation, TrainActivation::Relu);
        assert_eq!(s.hidden, vec![64]);
        assert_eq!(s.input_patch, 13);
        assert_eq!(s.widths(), vec![169, 64, 25]);
        assert_eq!(
            TrainSpec::from_json(&s.to_json(), "again").expect("round trip"),
            s
        );
    }

    #[test]
    fn unknown_fields_and_impossible_values_are_refused_naming_the_file() {
        let e = TrainSpec::from_json(r#"{"hiden": [64]}"#, "c.json").expect_err("typo");
        assert!(
            e.to_string().contains("c.json") && e.to_string().contains("hiden"),
            "{e}"
        );
        let e = TrainSpec::from_json(r#"{"activation": "swish"}"#, "c.json").expect_err("name");
        assert!(e.to_string().contains("swish"), "{e}");
        let e = TrainSpec::from_json(r#"{"batch": 0}"#, "c.json").expect_err("batch");
        assert!(e.to_string().contains("batch (0)"), "{e}");
        let e = TrainSpec::from_json(r#"{"input_patch": 4, "output_patch": 5}"#, "c.json")
            .expect_err("geometry");
        assert!(e.to_string().contains("c.json"), "{e}");
    }
}
