//! Side information beside a Bristol file: the value→party map and fixed-point formats.
//!
//! Bristol Fashion carries only value widths. gcc-nn writes `FILE.meta.json` next to
//! `FILE` with the names, parties and formats of the inputs and outputs, and applies it
//! when reading the circuit back.

use crate::circuit::{Circuit, IoValue, ValueFormat};
use crate::limits;
use serde::{Deserialize, Serialize};

/// Current version of the side file.
pub const META_VERSION: u32 = 1;

/// Contents of a `.meta.json` side file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitMeta {
    /// Format version ([`META_VERSION`]).
    pub version: u32,
    /// Input values in wire order.
    pub inputs: Vec<IoValue>,
    /// Output values in order.
    pub outputs: Vec<IoValue>,
}

/// An error reading or applying side information.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetaError {
    /// The JSON does not parse as a side file.
    #[error("side file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The side file has a version this build does not read.
    #[error("side file version {found} is not supported (expected {META_VERSION})")]
    Version {
        /// Version found.
        found: u32,
    },
    /// A value format exceeds a limit (see [`crate::limits`]).
    #[error("side file: {0}")]
    Limit(#[from] crate::limits::LimitError),
    /// The side file describes different values than the circuit has.
    #[error("side file lists {what} that do not match the circuit: {detail}")]
    Mismatch {
        /// "inputs" or "outputs".
        what: &'static str,
        /// Widths side by side.
        detail: String,
    },
}

/// The path of the side file of a circuit file: `FILE.meta.json`.
pub fn meta_path(circuit_path: &std::path::Path) -> std::path::PathBuf {
    let mut s = circuit_path.as_os_str().to_owned();
    s.push(".meta.json");
    s.into()
}

/// The side information of `circuit` as pretty JSON.
pub fn to_json(circuit: &Circuit) -> String {
    let meta = CircuitMeta {
        version: META_VERSION,
        inputs: circuit.inputs.clone(),
        outputs: circuit.outputs.clone(),
    };
    serde_json::to_string_pretty(&meta).unwrap_or_default()
}

fn widths(values: &[IoValue]) -> Vec<u32> {
    values.iter().map(|v| v.format.width()).collect()
}

/// Replaces the inputs and outputs of `circuit` (read from Bristol) by those in `json`;
/// their widths must match value for value.
pub fn apply(circuit: &mut Circuit, json: &str) -> Result<(), MetaError> {
    let meta: CircuitMeta = serde_json::from_str(json)?;
    if meta.version != META_VERSION {
        return Err(MetaError::Version {
            found: meta.version,
        });
    }
    for v in meta.inputs.iter().chain(&meta.outputs) {
        if let ValueFormat::Signed { frac, .. } | ValueFormat::Unsigned { frac, .. } = v.format {
            limits::check("fractional bits", frac.into(), limits::MAX_FRAC_BITS)?;
        }
    }
    for (what, ours, theirs) in [
        ("inputs", &circuit.inputs, &meta.inputs),
        ("outputs", &circuit.outputs, &meta.outputs),
    ] {
        if widths(ours) != widths(theirs) {
            return Err(MetaError::Mismatch {
                what,
                detail: format!(
                    "circuit widths {:?}, side file widths {:?}",
                    widths(ours),
                    widths(theirs)
                ),
            });
        }
    }
    circuit.inputs = meta.inputs;
    circuit.outputs = meta.outputs;
    Ok(())
}
