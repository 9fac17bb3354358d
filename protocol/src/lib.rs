//! gcc-nn protocols: the Paillier ↔ garbled-circuit bridge (docs/design.md §6) and, later, the
//! secure MLP protocols (docs/protocol.md).
//!
//! Security: semi-honest parties that do not collude, κ = 128 (garbling, OT), σ = 40
//! (statistical masking), Paillier with a 2048-bit modulus by default.

pub mod app;
pub mod bridge;
pub mod error;
pub mod fast;
pub mod fresh;
pub mod params;
pub mod progress;
pub mod reference;
pub mod session;
pub mod timeline;
pub mod upload;
pub mod wire;

pub use error::{BridgeError, ProtocolError};
pub use timeline::Timeline;
