//! gcc-nn protocols: the Paillier ↔ garbled-circuit bridge (docs/design.md §6) and, later, the
//! secure MLP protocols (docs/protocol.md).
//!
//! Security: semi-honest parties that do not collude, κ = 128 (garbling, OT), σ = 40
//! (statistical masking), Paillier with a 2048-bit modulus by default.

pub mod bridge;
pub mod error;
pub mod fast;
pub mod progress;
pub mod reference;
pub mod session;
pub mod upload;

pub use error::BridgeError;
