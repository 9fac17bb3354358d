//! The masked-activation circuit a session runs, generated from the activation the model
//! header carries (its DSL source, bound by SHA-256): the cloud compiles it from the source
//! of the encrypted model, the user from the source the cloud sends in the handshake, and both
//! compare the circuit's hash. It is compiled with σ = [`crate::params::REFERENCE_SIGMA`] (81):
//! the reference protocol masks the same pre-activation up to [`crate::reference::MASK_USES`]
//! times.

use crate::bridge::BridgeCircuit;
use crate::error::ProtocolError;
use activation::{Activation, MaskedParams};
use model::fixed::FixedParams;

/// A compiled masked-activation circuit and the activation it implements.
#[derive(Debug, Clone)]
pub struct ActivationCircuit {
    /// The activation (name, source, SHA-256).
    pub activation: Activation,
    /// The compiled bridge circuit.
    pub bridge: BridgeCircuit,
}

impl ActivationCircuit {
    /// The masked wrapper of `act` for pre-activations of the formats `fixed` (scale
    /// `Fw + Fa`, a signed 36-bit value: LX = 36), with the reference protocol's σ.
    pub fn for_activation(act: &Activation, fixed: &FixedParams) -> Result<Self, ProtocolError> {
        // The reference protocol masks the same pre-activation once per occurrence of its
        // patch: the circuit's masks get the reference protocol's counted-uses parameter.
        let p = MaskedParams {
            sigma: crate::params::REFERENCE_SIGMA,
            fw: fixed.fw,
            ..MaskedParams::default()
        };
        let bridge = BridgeCircuit::from_activation(act, p)
            .map_err(|e| ProtocolError::Model(format!("activation `{}`: {e}", act.name())))?;
        Ok(Self {
            activation: act.clone(),
            bridge,
        })
    }

    /// SHA-256 identity of the compiled circuit and its party map.
    pub fn hash(&self) -> [u8; 32] {
        self.bridge.two_party().hash()
    }
}
