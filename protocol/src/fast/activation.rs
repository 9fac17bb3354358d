//! The activation of the fast protocol: one garbled batch per layer over additive shares.
//!
//! Interface (by name, checked): `input garbler zu: ufixed<K, ·>`, `input evaluator zc:
//! ufixed<K, ·>`, `input garbler r: ufixed<K, ·>`, `output y: ufixed<K, ·>` with
//! `y = act((zu + zc mod 2^K) as signed >> FW) + r mod 2^K` (`circuits/shares_tanh*.dsl`).
//! The user garbles (zu, r), the cloud evaluates with zc by correlated OT and learns y.

use super::ring::Ring;
use crate::error::BridgeError;
use compiler::{CompileOptions, Party, ValueFormat};
use model::fixed::FixedParams;
use runtime::driver::TwoPartyCircuit;

/// `circuits/shares_tanh.dsl` (the paper's tanh*).
pub const SHARES_TANH: &str = include_str!("../../../circuits/shares_tanh.dsl");
/// `circuits/shares_tanh_fine.dsl` (the 4-piece fitted tanh).
pub const SHARES_TANH_FINE: &str = include_str!("../../../circuits/shares_tanh_fine.dsl");
/// `circuits/shares_tanh_fit.dsl` (the minimax fit).
pub const SHARES_TANH_FIT: &str = include_str!("../../../circuits/shares_tanh_fit.dsl");

/// Which input of the circuit a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Zu,
    Zc,
    R,
}

/// A compiled share-activation circuit with its checked interface.
#[derive(Debug)]
pub struct ShareCircuit {
    tpc: TwoPartyCircuit,
    ring: Ring,
    order: Vec<Slot>,
}

impl ShareCircuit {
    /// The shipped circuit for the activation named `name` (`tanh`, `tanh_fine`, `tanh_fit`,
    /// as [`model::activation::PiecewiseQuadratic::name`]) compiled for `params`.
    pub fn for_activation(name: &str, params: &FixedParams) -> Result<Self, BridgeError> {
        let (src, file) = match name {
            "tanh" => (SHARES_TANH, "circuits/shares_tanh.dsl"),
            "tanh_fine" => (SHARES_TANH_FINE, "circuits/shares_tanh_fine.dsl"),
            "tanh_fit" => (SHARES_TANH_FIT, "circuits/shares_tanh_fit.dsl"),
            other => {
                return Err(BridgeError::Interface(format!(
                    "no share circuit for the activation `{other}`"
                )));
            }
        };
        let overrides = vec![
            ("K".to_string(), params.ring_bits.to_string()),
            ("FW".to_string(), params.fw.to_string()),
            ("FA".to_string(), params.fa.to_string()),
        ];
        let ring = Ring::new(params.ring_bits).map_err(crate::error::he("ring"))?;
        Self::from_source(src, file, &overrides, ring)
    }

    /// Compiles DSL source with constant overrides and checks the interface for `ring`.
    pub fn from_source(
        src: &str,
        file_name: &str,
        overrides: &[(String, String)],
        ring: Ring,
    ) -> Result<Self, BridgeError> {
        let options = CompileOptions {
            overrides: overrides.to_vec(),
            ..CompileOptions::default()
        };
        let circuit = compiler::compile_source(src, file_name, &options)
            .map_err(|e| BridgeError::Compile(e.render()))?;
        let width_ok =
            |f: &ValueFormat| matches!(f, ValueFormat::Unsigned { width, .. } if *width == ring.k);
        let mut order = Vec::new();
        for v in &circuit.inputs {
            let (slot, party) = match v.name.as_str() {
                "zu" => (Slot::Zu, Party::Garbler),
                "zc" => (Slot::Zc, Party::Evaluator),
                "r" => (Slot::R, Party::Garbler),
                other => {
                    return Err(BridgeError::Interface(format!(
                        "unexpected input `{other}`"
                    )));
                }
            };
            if v.party != Some(party) || !width_ok(&v.format) {
                return Err(BridgeError::Interface(format!(
                    "input `{}` must be a {party:?} ufixed<{}, ·>, found {:?} {:?}",
                    v.name, ring.k, v.party, v.format
                )));
            }
            order.push(slot);
        }
        let mut sorted = order.clone();
        sorted.sort_by_key(|s| *s as u8);
        if sorted != [Slot::Zu, Slot::Zc, Slot::R] {
            return Err(BridgeError::Interface(
                "expected the inputs zu, zc, r".into(),
            ));
        }
        match circuit.outputs.as_slice() {
            [y] if y.name == "y" && width_ok(&y.format) => {}
            _ => {
                return Err(BridgeError::Interface(format!(
                    "expected one output y: ufixed<{}, ·>",
                    ring.k
                )));
            }
        }
        let tpc = TwoPartyCircuit::new(circuit).map_err(BridgeError::Driver)?;
        Ok(Self { tpc, ring, order })
    }

    /// The circuit for the driver.
    pub fn two_party(&self) -> &TwoPartyCircuit {
        &self.tpc
    }

    /// AND gates per activation.
    pub fn and_count(&self) -> usize {
        self.tpc.and_count()
    }

    /// The garbler's input bits of one instance.
    pub(crate) fn garbler_bits(&self, zu: u64, r: u64) -> Vec<bool> {
        let mut bits = Vec::with_capacity(2 * self.ring.k as usize);
        for s in &self.order {
            let v = match s {
                Slot::Zu => zu,
                Slot::R => r,
                Slot::Zc => continue,
            };
            bits.extend((0..self.ring.k).map(|i| (v >> i) & 1 == 1));
        }
        bits
    }

    /// The evaluator's input bits of one instance.
    pub(crate) fn evaluator_bits(&self, zc: u64) -> Vec<bool> {
        (0..self.ring.k).map(|i| (zc >> i) & 1 == 1).collect()
    }

    /// The output y of one instance from its bits.
    pub(crate) fn output_value(bits: &[bool]) -> u64 {
        bits.iter()
            .enumerate()
            .fold(0u64, |acc, (i, &b)| acc | (u64::from(b) << i))
    }
}
