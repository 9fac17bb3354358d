//! gcc-nn circuits: the contract between the compiler (which produces them) and the
//! runtime (which garbles and evaluates them).
//!
//! - [`circuit`]: the [`Circuit`] type — XOR/AND/INV [`Gate`]s over numbered wires
//!   ([`WireId`]), input and output values ([`IoValue`]) with their owner ([`Party`]) and
//!   [`ValueFormat`]; [`Circuit::validate`] checks the structural invariants.
//! - Formats: [`bristol`] (Bristol Fashion and the old Bristol format), [`meta`] (the
//!   value→party map and fixed-point formats beside a Bristol file), [`binary`] (compact,
//!   versioned, checksummed). Every declared size is checked against [`limits`] first.
//! - [`load::load`]: the one loader of circuit files (any format, recognised by content,
//!   with the Bristol side file; errors name the file).
//! - [`stats::CircuitStats`]: what garbling a circuit costs.
//! - [`simulate`]: plaintext evaluation, 64 inputs at once.
//! - [`value`]: the one value codec (raw patterns, signed, fixed-point and hex ⇄ LSB-first
//!   circuit bits).
//!
//! ```
//! use gcc_nn_circuit::{Circuit, Gate, IoValue, Party, ValueFormat};
//! let bit = |n: &str, p| IoValue { name: n.into(), party: p, format: ValueFormat::Bool };
//! let c = Circuit {
//!     inputs: vec![bit("a", Some(Party::Garbler)), bit("b", Some(Party::Evaluator))],
//!     outputs: vec![bit("y", None)],
//!     num_wires: 3,
//!     gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
//!     output_wires: vec![2],
//! };
//! c.validate().expect("well formed");
//! assert_eq!(c.simulate(&[true, true]), vec![true]);
//! let back = gcc_nn_circuit::binary::read(&gcc_nn_circuit::binary::write(&c)).expect("reads");
//! assert_eq!(back, c);
//! ```

pub mod binary;
pub mod bristol;
pub mod circuit;
pub mod limits;
pub mod load;
pub mod meta;
pub mod simulate;
pub mod stats;
pub mod value;

pub use circuit::{Circuit, CircuitError, Gate, IoValue, Party, ValueFormat, WireId};
