//! The masked-activation circuits the sessions can run, by the name of the activation the
//! fixed-point model uses (`model::activation`): both sides compile the circuit from the
//! sources built into this binary and compare its hash in the handshake. They are compiled
//! with σ = [`crate::reference::MASK_SIGMA`] (81): the reference protocol masks the same
//! pre-activation up to [`crate::reference::MASK_USES`] times.

use super::SessionError;
use crate::bridge::BridgeCircuit;

/// Masked paper tanh* (`circuits/masked_tanh.dsl`), activation name `tanh`.
const MASKED_TANH: &str = include_str!("../../../circuits/masked_tanh.dsl");
/// Masked tanh_fit (`circuits/masked_tanh_fit.dsl`), activation name `tanh_fit`.
const MASKED_TANH_FIT: &str = include_str!("../../../circuits/masked_tanh_fit.dsl");

/// A compiled masked-activation circuit and the activation it implements.
#[derive(Debug, Clone)]
pub struct ActivationCircuit {
    /// Activation name (as in `model::activation::PiecewiseQuadratic::name`).
    pub name: String,
    /// The compiled bridge circuit.
    pub bridge: BridgeCircuit,
}

impl ActivationCircuit {
    /// Compiles the masked circuit of activation `name` (`tanh` or `tanh_fit`).
    pub fn for_name(name: &str) -> Result<Self, SessionError> {
        let (src, path) = match name {
            "tanh" => (MASKED_TANH, "circuits/masked_tanh.dsl"),
            "tanh_fit" => (MASKED_TANH_FIT, "circuits/masked_tanh_fit.dsl"),
            other => {
                return Err(SessionError::Model(format!(
                    "no masked circuit for activation `{other}` (known: tanh, tanh_fit)"
                )));
            }
        };
        // The reference protocol masks the same pre-activation once per occurrence of its
        // patch: the circuit's masks get the reference protocol's counted-uses parameter.
        let sigma = crate::reference::MASK_SIGMA;
        let overrides = [("SIGMA".to_string(), sigma.to_string())];
        let bridge = BridgeCircuit::from_source(src, path, &overrides, sigma)?;
        Ok(Self {
            name: name.to_string(),
            bridge,
        })
    }

    /// SHA-256 identity of the compiled circuit and its party map.
    pub fn hash(&self) -> [u8; 32] {
        self.bridge.two_party().hash()
    }
}
