//! The activation circuit of the bridge: compilation, interface check, plaintext reference.
//!
//! Interface (by name; any declaration order):
//! - `input garbler xr: ufixed<LX, FX>` — low LX bits of the masked pre-activation x + m;
//! - `input evaluator r: ufixed<LX, FX>` — low LX bits of the cloud's mask m;
//! - `input garbler ru: ufixed<WY, FY>` — the user's output mask;
//! - `output y: ufixed<WY, FY>` — f(x) + ru, exact (never wraps when ru is drawn as specified).
//!
//! The circuit must read x as `(xr − r) mod 2^LX` in two's complement, and `WY = LY + σ + 1`
//! where f(x) is a signed LY-bit value. [`DEFAULT_CIRCUIT`] is such a program for tanh*.

use crate::error::BridgeError;
use compiler::{Circuit, CompileOptions, Party, ValueFormat};
use runtime::driver::TwoPartyCircuit;

/// The default bridge circuit: masked tanh* (LX = 16, FX = 12, LY = 16, σ = 40).
pub const DEFAULT_CIRCUIT: &str = include_str!("../../circuits/bridge_tanh.dsl");
/// Name under which [`DEFAULT_CIRCUIT`] appears in diagnostics.
pub const DEFAULT_CIRCUIT_NAME: &str = "protocol/circuits/bridge_tanh.dsl";
/// Statistical masking parameter used unless told otherwise.
pub const DEFAULT_SIGMA: u32 = 40;

/// A compiled activation circuit with the bridge's interface, plus its reference program.
#[derive(Debug, Clone)]
pub struct BridgeCircuit {
    pub(crate) tpc: TwoPartyCircuit,
    program: dsl::core::Program,
    params: MaskParams,
}

/// Bit widths that fix the masks: the circuit reads LX-bit pre-activations and produces
/// LY-bit activations, masked with σ statistical bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskParams {
    /// LX: the pre-activation is a signed LX-bit integer (raw fixed-point).
    pub x_bits: u32,
    /// LY: the activation is a signed LY-bit integer.
    pub y_bits: u32,
    /// σ: statistical masking parameter.
    pub sigma: u32,
}

impl MaskParams {
    /// Width of a masked pre-activation `x + m` as the user decrypts it: LX + σ + 1 bits.
    pub fn masked_x_width(&self) -> u32 {
        self.x_bits + self.sigma + 1
    }

    /// Width of a masked activation `f(x) + ru`: WY = LY + σ + 1 bits.
    pub fn masked_y_width(&self) -> u32 {
        self.y_bits + self.sigma + 1
    }
}

fn input_format(circuit: &Circuit, name: &str, party: Party) -> Result<ValueFormat, BridgeError> {
    let v = circuit
        .inputs
        .iter()
        .find(|v| v.name == name)
        .ok_or_else(|| BridgeError::Interface(format!("no input named `{name}`")))?;
    if v.party != Some(party) {
        return Err(BridgeError::Interface(format!(
            "input `{name}` must belong to the {party:?}, not {:?}",
            v.party
        )));
    }
    Ok(v.format)
}

fn unsigned_width(name: &str, f: ValueFormat) -> Result<u32, BridgeError> {
    match f {
        ValueFormat::Unsigned { width, .. } => Ok(width),
        other => Err(BridgeError::Interface(format!(
            "`{name}` must be unsigned (uint/ufixed), found {other:?}"
        ))),
    }
}

impl BridgeCircuit {
    /// Compile a bridge circuit from DSL source with constant overrides (`("SIGMA", "40")`…)
    /// and check its interface against σ = `sigma`.
    pub fn from_source(
        src: &str,
        file_name: &str,
        overrides: &[(String, String)],
        sigma: u32,
    ) -> Result<Self, BridgeError> {
        let options = CompileOptions {
            overrides: overrides.to_vec(),
            ..CompileOptions::default()
        };
        let circuit = compiler::compile_source(src, file_name, &options)
            .map_err(|e| BridgeError::Compile(e.render()))?;
        let program = dsl::check_with(src, file_name, overrides)
            .map_err(|d| BridgeError::Compile(d.render()))?;
        let xr = unsigned_width("xr", input_format(&circuit, "xr", Party::Garbler)?)?;
        let r = unsigned_width("r", input_format(&circuit, "r", Party::Evaluator)?)?;
        let ru = unsigned_width("ru", input_format(&circuit, "ru", Party::Garbler)?)?;
        if circuit.inputs.len() != 3 {
            return Err(BridgeError::Interface(format!(
                "expected exactly the inputs xr, r, ru; found {}",
                circuit.inputs.len()
            )));
        }
        let [out] = circuit.outputs.as_slice() else {
            return Err(BridgeError::Interface(
                "expected exactly one output `y`".into(),
            ));
        };
        let y = unsigned_width("y", out.format)?;
        if out.name != "y" {
            return Err(BridgeError::Interface(format!(
                "the output must be named `y`, found `{}`",
                out.name
            )));
        }
        if xr != r || y != ru {
            return Err(BridgeError::Interface(format!(
                "widths must match: xr {xr} vs r {r}, ru {ru} vs y {y}"
            )));
        }
        if y <= sigma + 2 || xr < 2 || xr + sigma + 1 > 127 || y > 127 {
            return Err(BridgeError::Interface(format!(
                "widths LX = {xr}, WY = {y} do not fit σ = {sigma} (need WY > σ + 2, LX + σ < 127)"
            )));
        }
        let params = MaskParams {
            x_bits: xr,
            y_bits: y - sigma - 1,
            sigma,
        };
        let tpc = TwoPartyCircuit::new(circuit).map_err(BridgeError::Driver)?;
        Ok(Self {
            tpc,
            program,
            params,
        })
    }

    /// The default masked tanh* circuit at σ = 40.
    pub fn default_tanh() -> Result<Self, BridgeError> {
        Self::from_source(DEFAULT_CIRCUIT, DEFAULT_CIRCUIT_NAME, &[], DEFAULT_SIGMA)
    }

    /// The mask widths.
    pub fn params(&self) -> MaskParams {
        self.params
    }

    /// AND gates per activation.
    pub fn and_count(&self) -> usize {
        self.tpc.and_count()
    }

    /// The two-party circuit run by the driver.
    pub fn two_party(&self) -> &TwoPartyCircuit {
        &self.tpc
    }

    /// Plaintext reference: f(x) for a raw signed pre-activation x (|x| < 2^(LX−1)), computed
    /// by the DSL interpreter on the same program with the masks m = 0 and ru = 2^(LY−1).
    pub fn reference(&self, x: i128) -> Result<i128, BridgeError> {
        let p = self.params;
        let half = 1i128 << (p.x_bits - 1);
        if x < -half || x >= half {
            return Err(BridgeError::InputRange {
                index: 0,
                what: format!("{x} needs more than {} signed bits", p.x_bits),
            });
        }
        let xr = (x as u128) & ((1u128 << p.x_bits) - 1);
        let offset = 1u128 << (p.y_bits - 1);
        let out = dsl::interpret_named(&self.program, &[("xr", xr), ("r", 0), ("ru", offset)])
            .map_err(|e| BridgeError::Interpret(e.to_string()))?;
        let y = out
            .iter()
            .find(|(n, _)| n == "y")
            .map(|(_, v)| *v)
            .ok_or_else(|| BridgeError::Interpret("no output y".into()))?;
        Ok(y as i128 - offset as i128)
    }
}
