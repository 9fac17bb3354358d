//! The boolean circuit: the contract between the compiler and the runtime.
//!
//! A [`Circuit`] is a list of XOR/AND/INV gates in topological order over numbered wires.
//! Wires `0..n_input_bits` are the input bits, value by value in the order of
//! [`Circuit::inputs`], each value LSB-first (two's complement for signed formats). Every
//! other wire is written by exactly one gate, before any gate reads it. Outputs are an
//! explicit list of wires, value by value in the order of [`Circuit::outputs`], LSB-first.
//! There are no constant wires: the compiler folds constants away, and a constant output
//! bit is materialised from an input wire (`x XOR x` = 0, `INV(x XOR x)` = 1), which is free.
//!
//! Bristol Fashion puts outputs on the last wires; [`Circuit`] does not require it, the
//! Bristol writer renumbers.

use serde::{Deserialize, Serialize};

/// Index of a wire in a [`Circuit`].
pub type WireId = u32;

/// Which of the two parties supplies an input value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Party {
    /// The party that garbles the circuit (sends tables and its own input labels).
    Garbler,
    /// The party that evaluates the circuit (gets its input labels by oblivious transfer).
    Evaluator,
}

/// How the bits of an input or output value are read as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueFormat {
    /// A single bit.
    Bool,
    /// Two's complement integer of `width` bits with `frac` fractional bits (`frac = 0`: `int<n>`).
    Signed {
        /// Total bits.
        width: u32,
        /// Fractional bits.
        frac: u32,
    },
    /// Unsigned integer of `width` bits with `frac` fractional bits (`frac = 0`: `uint<n>`).
    Unsigned {
        /// Total bits.
        width: u32,
        /// Fractional bits.
        frac: u32,
    },
}

impl ValueFormat {
    /// Number of wires a value of this format occupies.
    pub fn width(&self) -> u32 {
        match *self {
            ValueFormat::Bool => 1,
            ValueFormat::Signed { width, .. } | ValueFormat::Unsigned { width, .. } => width,
        }
    }
}

/// One named input or output value of a circuit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IoValue {
    /// Name of the value in the source program (`"0"`, `"1"`, … for plain Bristol files).
    pub name: String,
    /// Who supplies an input; `None` for outputs and for inputs of unknown owner.
    pub party: Option<Party>,
    /// Bit layout and meaning of the value.
    pub format: ValueFormat,
}

/// A gate of the circuit. XOR and INV are free under free-XOR; AND costs two ciphertexts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gate {
    /// `out = a XOR b`.
    Xor {
        /// First input wire.
        a: WireId,
        /// Second input wire.
        b: WireId,
        /// Output wire.
        out: WireId,
    },
    /// `out = a AND b`.
    And {
        /// First input wire.
        a: WireId,
        /// Second input wire.
        b: WireId,
        /// Output wire.
        out: WireId,
    },
    /// `out = NOT a`.
    Inv {
        /// Input wire.
        a: WireId,
        /// Output wire.
        out: WireId,
    },
}

impl Gate {
    /// The wire this gate writes.
    pub fn output(&self) -> WireId {
        match *self {
            Gate::Xor { out, .. } | Gate::And { out, .. } | Gate::Inv { out, .. } => out,
        }
    }
}

/// A boolean circuit over XOR/AND/INV gates with party-annotated input values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    /// Input values in wire order: value 0 occupies wires `0..w0`, value 1 the next `w1`, …
    pub inputs: Vec<IoValue>,
    /// Output values, in the order of [`Circuit::output_wires`].
    pub outputs: Vec<IoValue>,
    /// Total number of wires (inputs included); every wire id is below this.
    pub num_wires: u32,
    /// Gates in topological order.
    pub gates: Vec<Gate>,
    /// The wires carrying the output bits, value by value, LSB-first.
    pub output_wires: Vec<WireId>,
}

impl Circuit {
    /// Number of input wires (the sum of the input value widths).
    pub fn num_input_wires(&self) -> u32 {
        self.inputs.iter().map(|v| v.format.width()).sum()
    }

    /// Wire range `start..end` of input value `index`.
    pub fn input_range(&self, index: usize) -> std::ops::Range<u32> {
        let start: u32 = self.inputs[..index].iter().map(|v| v.format.width()).sum();
        start..start + self.inputs[index].format.width()
    }

    /// Number of AND gates: the cost of garbling.
    pub fn and_count(&self) -> usize {
        self.gates
            .iter()
            .filter(|g| matches!(g, Gate::And { .. }))
            .count()
    }

    /// Evaluates the circuit in plaintext on one bit per input wire; returns the output bits.
    ///
    /// Panics if `input_bits.len()` differs from [`Circuit::num_input_wires`]; the circuit
    /// itself must be well formed (see [`Circuit::validate`]).
    pub fn simulate(&self, input_bits: &[bool]) -> Vec<bool> {
        assert_eq!(
            input_bits.len(),
            self.num_input_wires() as usize,
            "input bit count"
        );
        let mut wires = vec![false; self.num_wires as usize];
        wires[..input_bits.len()].copy_from_slice(input_bits);
        for gate in &self.gates {
            match *gate {
                Gate::Xor { a, b, out } => {
                    wires[out as usize] = wires[a as usize] ^ wires[b as usize]
                }
                Gate::And { a, b, out } => {
                    wires[out as usize] = wires[a as usize] & wires[b as usize]
                }
                Gate::Inv { a, out } => wires[out as usize] = !wires[a as usize],
            }
        }
        self.output_wires
            .iter()
            .map(|&w| wires[w as usize])
            .collect()
    }

    /// Checks the structural invariants: wire ids in range, every gate reads only wires
    /// already written, no wire written twice, no input overwritten, widths consistent.
    pub fn validate(&self) -> Result<(), CircuitError> {
        let n = self.num_wires as usize;
        let n_in = self.num_input_wires() as usize;
        if n_in > n {
            return Err(CircuitError::TooFewWires {
                needed: n_in,
                declared: n,
            });
        }
        let mut written = vec![false; n];
        written[..n_in].iter_mut().for_each(|w| *w = true);
        let read = |w: WireId, gate: usize, written: &[bool]| -> Result<(), CircuitError> {
            match written.get(w as usize) {
                None => Err(CircuitError::WireOutOfRange {
                    gate,
                    wire: w,
                    num_wires: n,
                }),
                Some(false) => Err(CircuitError::ReadBeforeWrite { gate, wire: w }),
                Some(true) => Ok(()),
            }
        };
        for (i, gate) in self.gates.iter().enumerate() {
            match *gate {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => {
                    read(a, i, &written)?;
                    read(b, i, &written)?;
                }
                Gate::Inv { a, .. } => read(a, i, &written)?,
            }
            let out = gate.output();
            match written.get_mut(out as usize) {
                None => {
                    return Err(CircuitError::WireOutOfRange {
                        gate: i,
                        wire: out,
                        num_wires: n,
                    });
                }
                Some(true) => return Err(CircuitError::WrittenTwice { gate: i, wire: out }),
                Some(w) => *w = true,
            }
        }
        let out_bits: u32 = self.outputs.iter().map(|v| v.format.width()).sum();
        if out_bits as usize != self.output_wires.len() {
            return Err(CircuitError::OutputWidthMismatch {
                declared: out_bits as usize,
                wires: self.output_wires.len(),
            });
        }
        for &w in &self.output_wires {
            if !written.get(w as usize).copied().unwrap_or(false) {
                return Err(CircuitError::OutputNotWritten { wire: w });
            }
        }
        Ok(())
    }
}

/// A structural defect of a [`Circuit`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CircuitError {
    /// The inputs need more wires than the circuit declares.
    #[error("circuit declares {declared} wires but its inputs alone need {needed}")]
    TooFewWires {
        /// Wires the inputs need.
        needed: usize,
        /// Wires declared.
        declared: usize,
    },
    /// A gate names a wire beyond the declared wire count.
    #[error("gate {gate}: wire {wire} is out of range (circuit has {num_wires} wires)")]
    WireOutOfRange {
        /// Gate index.
        gate: usize,
        /// Offending wire.
        wire: WireId,
        /// Declared wire count.
        num_wires: usize,
    },
    /// A gate reads a wire that no earlier gate or input wrote.
    #[error("gate {gate}: reads wire {wire} before any gate writes it")]
    ReadBeforeWrite {
        /// Gate index.
        gate: usize,
        /// Offending wire.
        wire: WireId,
    },
    /// Two gates (or an input and a gate) write the same wire.
    #[error("gate {gate}: writes wire {wire}, which is already written")]
    WrittenTwice {
        /// Gate index.
        gate: usize,
        /// Offending wire.
        wire: WireId,
    },
    /// The output values' widths do not add up to the number of output wires.
    #[error("outputs declare {declared} bits but {wires} output wires are listed")]
    OutputWidthMismatch {
        /// Bits declared by the output values.
        declared: usize,
        /// Output wires listed.
        wires: usize,
    },
    /// An output wire is never written.
    #[error("output wire {wire} is never written")]
    OutputNotWritten {
        /// Offending wire.
        wire: WireId,
    },
    /// More wires are live at once than a garbling plan has label slots for.
    #[error("{live} wires are live at once; a garbling plan holds at most {max}")]
    TooManyLiveWires {
        /// Label slots the circuit needs.
        live: u64,
        /// Label slots a plan can address.
        max: u64,
    },
}
