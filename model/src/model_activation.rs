//! The activation a model file names (format version 3, [`crate::mlp`]): its name and the
//! SHA-256 of its DSL source, and the one rule every command applies to pick the activation
//! of a run ([`ModelActivation::resolve`]).
//!
//! The rule: without an explicit activation, a run uses the model's own — a shipped name
//! whose built-in source has the model's hash; an explicit activation (a shipped name or a
//! DSL file) is accepted only if its source has the model's hash, and refused otherwise with
//! an error naming both. A user-written DSL activation is pinned by its hash: the model names
//! it, the user passes the file, and any other source is refused.

use crate::error::{ModelError, Result};
use activation::Activation;
use sha2::{Digest, Sha256};

/// Longest activation name a model file may carry, in bytes (UTF-8).
pub const MAX_ACTIVATION_NAME: usize = 64;

/// The activation a model was trained for: its name and the SHA-256 of its DSL source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelActivation {
    name: String,
    sha256: [u8; 32],
}

impl ModelActivation {
    /// `name` (1 to [`MAX_ACTIVATION_NAME`] bytes, no control characters) with the SHA-256
    /// of its DSL source.
    pub fn new(name: &str, sha256: [u8; 32]) -> Result<Self> {
        check_name(name).map_err(ModelError::BadActivationName)?;
        Ok(Self {
            name: name.to_string(),
            sha256,
        })
    }

    /// The activation `a` (its name and source hash).
    pub fn of(a: &Activation) -> Result<Self> {
        Self::new(a.name(), a.sha256())
    }

    /// The shipped activation `name` (hash of its built-in source; the DSL is not checked
    /// here, so this is cheap).
    pub fn shipped(name: &str) -> Result<Self> {
        let (n, _, source) = activation::SHIPPED
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| activation::ActivationError::Unknown {
                name: name.to_string(),
                known: activation::shipped_names(),
            })?;
        Self::new(n, Sha256::digest(source.as_bytes()).into())
    }

    /// The activation's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 of the activation's DSL source.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// Whether `a` is this activation (same source hash; the name is informative).
    pub fn matches(&self, a: &Activation) -> bool {
        a.sha256() == self.sha256
    }

    /// The activation of a run (module docs): `explicit` if it has the model's hash (else
    /// [`ModelError::ActivationMismatch`]); without it, the shipped activation of the
    /// model's name if its source has the model's hash (else
    /// [`ModelError::ActivationUnavailable`], saying to pass the DSL file).
    pub fn resolve(&self, explicit: Option<Activation>) -> Result<Activation> {
        if let Some(a) = explicit {
            if self.matches(&a) {
                return Ok(a);
            }
            return Err(ModelError::ActivationMismatch {
                model: self.to_string(),
                given: format!(
                    "{} ({}, sha256 {})",
                    a.name(),
                    a.file(),
                    short_hex(&a.sha256())
                ),
            });
        }
        let unavailable = |reason: String| ModelError::ActivationUnavailable {
            model: self.to_string(),
            reason,
        };
        let Ok(shipped) = Self::shipped(&self.name) else {
            return Err(unavailable(
                "it is not a shipped activation: pass its DSL file with --activation FILE.dsl"
                    .into(),
            ));
        };
        if shipped.sha256 != self.sha256 {
            return Err(unavailable(format!(
                "this gcc-nn's shipped `{}` has another source (sha256 {}): pass the model's \
                 DSL file with --activation FILE.dsl",
                self.name,
                short_hex(&shipped.sha256)
            )));
        }
        Ok(Activation::shipped(&self.name)?)
    }
}

impl std::fmt::Display for ModelActivation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (sha256 {})", self.name, short_hex(&self.sha256))
    }
}

/// The first 8 bytes of a hash in hex, then `…`: enough to tell sources apart in a message.
fn short_hex(h: &[u8; 32]) -> String {
    format!("{}…", activation::hex(&h[..8]))
}

/// Why `name` cannot be a model file's activation name, if it cannot.
pub(crate) fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() || name.len() > MAX_ACTIVATION_NAME {
        return Err(format!(
            "{} bytes, outside 1..={MAX_ACTIVATION_NAME}",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{name:?} contains a control character"));
    }
    Ok(())
}
