//! Bristol Fashion and old Bristol format: reader and writer.
//!
//! Bristol Fashion (Archer, Smart et al.):
//! ```text
//! <ngates> <nwires>
//! <niv> <ni_1> .. <ni_niv>      input values and their widths
//! <nov> <no_1> .. <no_nov>      output values and their widths
//!
//! <#in> <#out> <in wires..> <out wires..> <OP>   OP in XOR AND INV EQ EQW MAND
//! ```
//! The old Bristol format has `<n1> <n2> <n3>` on line 2 (two input widths and one output
//! width) and no line 3. In both, inputs occupy the first wires and the outputs are the
//! last wires. The reader accepts all six operations (`EQ` constants are folded away,
//! `EQW` becomes a wire alias, `MAND` is split into ANDs) and tolerates any whitespace
//! and blank lines. The writer emits the basic XOR/AND/INV form.
//!
//! Bit order: the format fixes none. gcc-nn reads bits LSB-first within a value, two's
//! complement for signed formats; files from other tools keep their own order (see
//! `circuit/tests/data/bristol/README.md`). Values carry no party; see [`crate::meta`].

mod assemble;
mod parse;
mod write;

pub use write::write_fashion;

use crate::circuit::{Circuit, CircuitError};
use crate::limits::LimitError;
use assemble::assemble;
use parse::{check_widths, header_counts, lines, number, read_gates, syntax, width_list};

/// An error reading a Bristol file: names the line (1-based) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BristolError {
    /// A line does not have the expected shape.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// The file ended before the header was complete.
    #[error("file ends inside the header (expected {expected})")]
    TruncatedHeader {
        /// What the reader was looking for.
        expected: &'static str,
    },
    /// The header's gate count differs from the gate lines present.
    #[error("header declares {declared} gates but the file has {found} gate lines")]
    GateCount {
        /// Gates declared on line 1.
        declared: u64,
        /// Gate lines found.
        found: u64,
    },
    /// The header's wire count is inconsistent with inputs, gates and outputs.
    #[error("header declares {declared} wires: {message}")]
    WireCount {
        /// Wires declared on line 1.
        declared: u64,
        /// Why the number cannot be right.
        message: String,
    },
    /// A gate names a wire beyond the declared count.
    #[error("line {line}: wire {wire} is out of range (the header declares {num_wires} wires)")]
    WireOutOfRange {
        /// 1-based line number.
        line: usize,
        /// Offending wire.
        wire: u64,
        /// Declared wire count.
        num_wires: u64,
    },
    /// A gate reads a wire no input or earlier gate wrote.
    #[error("line {line}: wire {wire} is read before any gate writes it")]
    ReadBeforeWrite {
        /// 1-based line number.
        line: usize,
        /// Offending wire.
        wire: u64,
    },
    /// A gate writes a wire that is already written.
    #[error("line {line}: wire {wire} is written twice")]
    WrittenTwice {
        /// 1-based line number.
        line: usize,
        /// Offending wire.
        wire: u64,
    },
    /// An output wire is never written.
    #[error("output wire {wire} is never written")]
    OutputNotWritten {
        /// Offending wire.
        wire: u64,
    },
    /// A constant output in a circuit with no input wire to build it from.
    #[error(
        "output bit {index} is constant but the circuit has no input wire to derive a constant from"
    )]
    ConstantWithoutInputs {
        /// Position among the output bits.
        index: usize,
    },
    /// The assembled circuit is malformed.
    #[error("invalid circuit: {0}")]
    Circuit(#[from] CircuitError),
    /// A declared size exceeds its limit (see [`crate::limits`]); nothing was allocated for it.
    #[error("Bristol header: {0}")]
    Limit(#[from] LimitError),
}

/// Reads a Bristol Fashion circuit (all six operations; whitespace-tolerant).
///
/// Inputs and outputs are named `"0"`, `"1"`, … with no party and format
/// `Unsigned { width, frac: 0 }`; apply side information with [`crate::meta`].
pub fn read_fashion(text: &str) -> Result<Circuit, BristolError> {
    let mut it = lines(text);
    let (ngates, nwires) = header_counts(it.next())?;
    let inputs_line = it.next().ok_or(BristolError::TruncatedHeader {
        expected: "the input values on line 2",
    })?;
    let inputs = width_list(&inputs_line, "input")?;
    let outputs_line = it.next().ok_or(BristolError::TruncatedHeader {
        expected: "the output values on line 3",
    })?;
    let outputs = width_list(&outputs_line, "output")?;
    check_widths(&inputs)?;
    check_widths(&outputs)?;
    let gates = read_gates(it, ngates)?;
    assemble(nwires, &inputs, &outputs, gates)
}

/// Reads a circuit in the old Bristol format (line 2: `n1 n2 n3`, two input widths and
/// the output width). A zero-width input is dropped.
pub fn read_old_format(text: &str) -> Result<Circuit, BristolError> {
    let mut it = lines(text);
    let (ngates, nwires) = header_counts(it.next())?;
    let io = it.next().ok_or(BristolError::TruncatedHeader {
        expected: "`<n1> <n2> <n3>` on line 2",
    })?;
    if io.tokens.len() != 3 {
        return Err(syntax(
            io.number,
            format!("expected `<n1> <n2> <n3>`, found `{}`", io.tokens.join(" ")),
        ));
    }
    let n1 = number(io.number, io.tokens[0], "first input width")?;
    let n2 = number(io.number, io.tokens[1], "second input width")?;
    let n3 = number(io.number, io.tokens[2], "output width")?;
    let inputs: Vec<u64> = [n1, n2].into_iter().filter(|&w| w > 0).collect();
    check_widths(&inputs)?;
    check_widths(&[n3])?;
    let gates = read_gates(it, ngates)?;
    assemble(nwires, &inputs, &[n3], gates)
}
