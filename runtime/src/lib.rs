//! gcc-nn runtime: runs compiled boolean circuits between two parties with garbled circuits.
//!
//! **Security: semi-honest, κ = 128, σ = 40.** Both parties follow the protocol; the
//! evaluator learns only the outputs revealed to it, the garbler only those revealed to it.
//!
//! # Pieces
//! - [`block`]: 128-bit [`Block`] labels and the free-XOR offset [`Delta`] (lsb(Δ) = 1).
//! - [`tccr`]: the GKWY20 multi-instance tweakable circular correlation-robust hash
//!   `H(x, i) = AES_{S⊕i}(x) ⊕ x`, re-keyed per tweak, key schedules batched (AES-NI at run time).
//! - [`prg`]: AES-CTR pseudo-random generator on the `aes` crate.
//! - [`plan`]: a circuit rewritten over reusable label slots (memory ∝ peak live wires) with
//!   AND gates grouped into independent batches.
//! - [`garble`]: sans-IO half-gates [`garble::Garbler`] / [`garble::Evaluator`] streaming
//!   tables into a [`garble::TableSink`] / out of a [`garble::TableSource`].
//! - [`three_halves`]: sans-IO three-halves garbling (Rosulek–Roy 2021, 1.5κ + 5 bits per AND).
//! - [`scheme`]: the per-run choice [`scheme::Scheme`] between the two, agreed at the handshake.
//! - [`ot`]: Chou–Orlandi base OT over Ristretto, IKNP correlated OT with correlation Δ.
//! - [`channel`]: the [`channel::Channel`] trait, [`channel::TcpChannel`],
//!   [`channel::MemChannel`]; byte counters, timeouts, length limits.
//! - [`scripted`]: a channel replaying a byte script and one recording what arrives (for
//!   replaying, mutating and fuzzing transcripts).
//! - [`driver`]: the two-party run (one circuit, or the same circuit N times as a batch).
//!
//! # Running a circuit between two parties
//! Build a [`driver::TwoPartyCircuit`] (the circuit plus the owner of each input value) on
//! both sides, connect a channel, and call [`driver::run_garbler`] on one side and
//! [`driver::run_evaluator`] on the other with the same batch size and [`driver::Reveal`].
//! Inputs are given per instance as the party's own input bits: its input values in circuit
//! order, each LSB-first (two's complement). The evaluator's bits enter by correlated OT (one
//! IKNP extension for the whole batch); the garbler's labels are not sent: both sides derive
//! them from a seed the evaluator draws ([`driver::input_labels`]).
//! A handshake compares a SHA-256 of the circuit and party map, the batch size and the reveal
//! mode, so two sides holding different circuits fail with [`driver::DriverError::CircuitMismatch`]
//! on both sides. Every error names its phase; a dead or silent peer ends the run with an error
//! (never a hang: channel timeouts bound every wait).
//!
//! ```
//! use gcc_nn_runtime::channel::MemChannel;
//! use gcc_nn_runtime::driver::{Reveal, TwoPartyCircuit, run_evaluator, run_garbler};
//! use circuit::{Circuit, Gate, IoValue, Party, ValueFormat};
//!
//! // y = a AND b, a from the garbler, b from the evaluator.
//! let bit = |n: &str, p| IoValue { name: n.into(), party: p, format: ValueFormat::Bool };
//! let circuit = Circuit {
//!     inputs: vec![bit("a", Some(Party::Garbler)), bit("b", Some(Party::Evaluator))],
//!     outputs: vec![bit("y", None)],
//!     num_wires: 3,
//!     gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
//!     output_wires: vec![2],
//! };
//! let tpc = TwoPartyCircuit::new(circuit).expect("every input has an owner");
//! let (mut g_ch, mut e_ch) = MemChannel::pair(std::time::Duration::from_secs(10));
//! let tpc_e = tpc.clone();
//! // A batch of four instances: (a, b) = (0,0), (0,1), (1,0), (1,1).
//! let evaluator = std::thread::spawn(move || {
//!     let inputs = vec![vec![false], vec![true], vec![false], vec![true]];
//!     run_evaluator(&mut e_ch, &tpc_e, &inputs, Reveal::Evaluator, &mut rand::rng())
//! });
//! let inputs = vec![vec![false], vec![false], vec![true], vec![true]];
//! let g = run_garbler(&mut g_ch, &tpc, &inputs, Reveal::Evaluator, &mut rand::rng()).expect("garbler");
//! let e = evaluator.join().expect("thread").expect("evaluator");
//! assert_eq!(e.outputs, Some(vec![vec![false], vec![false], vec![false], vec![true]]));
//! assert!(g.outputs.is_none()); // only the evaluator learns the outputs
//! assert_eq!(e.stats.ands, 4);
//! ```
//!
//! For a Paillier bridge (garbler = user, evaluator = cloud): the cloud's masked shares are
//! evaluator inputs (they arrive by OT), outputs go to the evaluator with [`driver::Reveal::Evaluator`],
//! and the whole layer runs as one batch (`inputs.len()` = number of activations).
//!
//! # Untrusted peer bytes
//! Every message of a run has a size fixed by the circuit and the batch size both sides
//! agreed on at the handshake, so nothing the peer sends sizes an allocation; the peer's
//! announced batch is checked against [`driver::MAX_INSTANCES`] and length-prefixed messages
//! go through [`channel::recv_len`] with a named limit. Curve points are validated; any
//! other bytes are just wrong labels (semi-honest security: outputs are then garbage, never
//! a panic). Errors name the message being received (e.g. `evaluation (receiving garbled
//! tables): timed out …`). `tests/hostile_peer.rs` replays, truncates, mutates and
//! randomises honest transcripts with [`scripted`] channels; the fuzz targets
//! `runtime_evaluator` and `runtime_garbler` run the same harness.
//!
//! Only [`aesni`](self) and `memory` (private; one `madvise` call) contain `unsafe` code;
//! everything else is denied it.
#![deny(unsafe_code)]

mod aesni;
pub mod bench;
pub mod block;
pub mod channel;
pub mod driver;
pub mod garble;
mod memory;
pub mod ot;
pub mod plan;
pub mod prg;
pub mod scheme;
pub mod scripted;
pub mod tccr;
pub mod three_halves;

pub use block::{Block, Delta};
pub use driver::{
    DriverError, Reveal, RunOutput, RunStats, TwoPartyCircuit, run_evaluator,
    run_evaluator_with_scheme, run_garbler, run_garbler_with_scheme,
};
pub use scheme::Scheme;
