//! The activation circuit of the bridge: compilation, interface check, plaintext reference.
//!
//! Interface (by name, any declaration order; `circuits/masked_tanh.dsl` has it):
//! - `input garbler xm: ufixed<LX + σ + 1, F>` — the masked pre-activation x' = x + m as
//!   the user decrypted it;
//! - `input evaluator r: ufixed<W, F>` with W ≥ LX — the low W bits of the cloud's mask m;
//! - `input garbler ru: ufixed<RW, FY>` — the user's output mask, uniform in [0, 2^RW);
//! - `output y: fixed<≥ RW + 2, FY>` — f(x) + ru, exact (signed).
//!
//! The circuit must read x as `(xm − r) mod 2^LX` in two's complement, and f(x) must be
//! small against the output mask: |f(x)| ≤ 2^(RW − σ). LX follows from the width of `xm`.

use crate::error::BridgeError;
use compiler::{Circuit, CompileOptions, Party, ValueFormat};
use runtime::driver::TwoPartyCircuit;

/// Path of the default bridge circuit, relative to the repository root.
pub const DEFAULT_CIRCUIT_PATH: &str = "circuits/masked_tanh.dsl";
/// The default bridge circuit: masked tanh* (`circuits/masked_tanh.dsl`).
pub const DEFAULT_CIRCUIT: &str = include_str!("../../../circuits/masked_tanh.dsl");
/// Statistical masking parameter used unless told otherwise.
pub const DEFAULT_SIGMA: u32 = 40;
/// Overrides of `masked_tanh.dsl` for pre-activations at the activation scale (FW = 0):
/// a 16-bit x with 12 fractional bits, as `circuits/tanh.dsl` takes it.
pub const NARROW_OVERRIDES: [(&str, &str); 2] = [("FW", "0"), ("LZ", "16")];

/// A compiled activation circuit with the bridge's interface, plus its reference program.
#[derive(Debug, Clone)]
pub struct BridgeCircuit {
    pub(crate) tpc: TwoPartyCircuit,
    program: dsl::core::Program,
    params: MaskParams,
    overrides: Vec<(String, String)>,
    pub(crate) chained: Option<super::chained::ChainedCircuit>,
}

/// Bit widths that fix the masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskParams {
    /// LX: the pre-activation is a signed LX-bit integer (raw fixed-point).
    pub x_bits: u32,
    /// RW: the output mask ru is uniform in [0, 2^RW).
    pub ru_bits: u32,
    /// σ: statistical masking parameter.
    pub sigma: u32,
}

impl MaskParams {
    /// Width of a masked pre-activation `x + m` as the user decrypts it: LX + σ + 1 bits.
    pub fn masked_x_width(&self) -> u32 {
        self.x_bits + self.sigma + 1
    }

    /// Slot width of a packed masked activation: RW + 2 bits hold y = f(x) + ru and
    /// f(x) = y − ru as signed values.
    pub fn masked_y_width(&self) -> u32 {
        self.ru_bits + 2
    }
}

fn find<'a>(
    circuit: &'a Circuit,
    names: &[&str],
    party: Party,
) -> Result<&'a compiler::IoValue, BridgeError> {
    let v = circuit
        .inputs
        .iter()
        .find(|v| names.contains(&v.name.as_str()))
        .ok_or_else(|| BridgeError::Interface(format!("no input named `{}`", names[0])))?;
    if v.party != Some(party) {
        return Err(BridgeError::Interface(format!(
            "input `{}` must belong to the {party:?}, not {:?}",
            v.name, v.party
        )));
    }
    Ok(v)
}

fn unsigned_width(v: &compiler::IoValue) -> Result<u32, BridgeError> {
    match v.format {
        ValueFormat::Unsigned { width, .. } => Ok(width),
        other => Err(BridgeError::Interface(format!(
            "`{}` must be unsigned (uint/ufixed), found {other:?}",
            v.name
        ))),
    }
}

impl BridgeCircuit {
    /// Compile a bridge circuit from DSL source with constant overrides (`("LZ", "36")`…)
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
        let xm = unsigned_width(find(&circuit, &["xm", "xr"], Party::Garbler)?)?;
        let r = unsigned_width(find(&circuit, &["r"], Party::Evaluator)?)?;
        let ru = unsigned_width(find(&circuit, &["ru"], Party::Garbler)?)?;
        if circuit.inputs.len() != 3 {
            return Err(BridgeError::Interface(format!(
                "expected exactly the inputs xm, r, ru; found {}",
                circuit.inputs.len()
            )));
        }
        let [out] = circuit.outputs.as_slice() else {
            return Err(BridgeError::Interface(
                "expected exactly one output `y`".into(),
            ));
        };
        let y = match out.format {
            ValueFormat::Signed { width, .. } if out.name == "y" => width,
            other => {
                return Err(BridgeError::Interface(format!(
                    "the output must be a signed `y`, found `{}`: {other:?}",
                    out.name
                )));
            }
        };
        if xm <= sigma + 2 || xm > 127 || ru <= sigma + 1 || ru > 120 || y < ru + 2 {
            return Err(BridgeError::Interface(format!(
                "widths xm {xm}, ru {ru}, y {y} do not fit σ = {sigma} \
                 (need σ + 2 < xm ≤ 127, σ + 1 < ru ≤ 120, y ≥ ru + 2)"
            )));
        }
        let x_bits = xm - sigma - 1;
        if r < x_bits {
            return Err(BridgeError::Interface(format!(
                "the mask input r has {r} bits, fewer than LX = {x_bits}"
            )));
        }
        let params = MaskParams {
            x_bits,
            ru_bits: ru,
            sigma,
        };
        let tpc = TwoPartyCircuit::new(circuit).map_err(BridgeError::Driver)?;
        Ok(Self {
            tpc,
            program,
            params,
            overrides: overrides.to_vec(),
            chained: None,
        })
    }

    /// Also compile the chained-packing circuit (for [`super::Mode::Chained`]) for keys of
    /// `key_bits` bits; only for `circuits/masked_tanh.dsl` (default or narrow).
    pub fn with_chained(mut self, key_bits: u32) -> Result<Self, BridgeError> {
        self.chained = Some(super::chained::ChainedCircuit::new(
            key_bits,
            &self.overrides,
            self.params.sigma,
        )?);
        Ok(self)
    }

    /// The chained-packing circuit, if compiled.
    pub fn chained(&self) -> Option<&super::chained::ChainedCircuit> {
        self.chained.as_ref()
    }

    /// The default masked tanh* circuit (`circuits/masked_tanh.dsl`, pre-activations at
    /// scale FW + FA = 24, LX = 36) at σ = 40.
    pub fn default_tanh() -> Result<Self, BridgeError> {
        Self::from_source(DEFAULT_CIRCUIT, DEFAULT_CIRCUIT_PATH, &[], DEFAULT_SIGMA)
    }

    /// The default circuit for pre-activations at the activation scale (FW = 0, LX = 16).
    pub fn narrow_tanh() -> Result<Self, BridgeError> {
        let overrides: Vec<(String, String)> = NARROW_OVERRIDES
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::from_source(
            DEFAULT_CIRCUIT,
            DEFAULT_CIRCUIT_PATH,
            &overrides,
            DEFAULT_SIGMA,
        )
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

    /// Width of the output `y`.
    pub(crate) fn output_width(&self) -> u32 {
        self.tpc
            .circuit()
            .outputs
            .first()
            .map(|o| o.format.width())
            .unwrap_or(0)
    }

    /// Plaintext reference: f(x) for a raw signed pre-activation x (|x| < 2^(LX−1)), computed
    /// by the DSL interpreter on the same program with zero masks (m = 0, ru = 0).
    pub fn reference(&self, x: i128) -> Result<i128, BridgeError> {
        let p = self.params;
        let half = 1i128 << (p.x_bits - 1);
        if x < -half || x >= half {
            return Err(BridgeError::InputRange {
                index: 0,
                what: format!("{x} needs more than {} signed bits", p.x_bits),
            });
        }
        let xm = (x as u128) & ((1u128 << p.masked_x_width()) - 1);
        let masked_name = if self.program.inputs.iter().any(|i| i.name == "xm") {
            "xm"
        } else {
            "xr"
        };
        let out = dsl::interpret_named(&self.program, &[(masked_name, xm), ("r", 0), ("ru", 0)])
            .map_err(|e| BridgeError::Interpret(e.to_string()))?;
        let y = out
            .iter()
            .find(|(n, _)| n == "y")
            .map(|(_, v)| *v)
            .ok_or_else(|| BridgeError::Interpret("no output y".into()))?;
        Ok(signed(y, self.output_width()))
    }
}

/// The raw `width`-bit two's-complement pattern `v` as a signed integer.
pub(crate) fn signed(v: u128, width: u32) -> i128 {
    if width >= 128 {
        return v as i128;
    }
    let v = v & ((1u128 << width) - 1);
    if width > 0 && v >> (width - 1) == 1 {
        v as i128 - (1i128 << width)
    } else {
        v as i128
    }
}
