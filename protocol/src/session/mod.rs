//! Sessions between the cloud and a user over any [`runtime::channel::Channel`]: the
//! versioned handshake, job framing and limits, the cloud's serve loop with its session
//! slots, and the user's client, shared by every secure protocol. A job runs through the
//! agreed protocol's one interface ([`crate::reference::job`], [`crate::fast::job`]).
//!
//! A session: the cloud offers its model's public header (or says it is busy); the user
//! checks protocol version, fixed-point formats, shape, key and circuit hash and accepts with
//! the digest of the offer and its protocol choice; the cloud confirms; then one job (an
//! image's patches, in chunks) runs under the chosen protocol and the cloud says done.

pub use crate::bridge::activation_circuit as activation;
pub mod admit;
pub mod client;
mod dispatch;
pub(crate) mod error;
pub mod handshake;
pub mod serve;
pub mod stats;
pub mod wire;

pub use error::SessionError;
pub use handshake::ProtocolKind;
pub use stats::JobStats;

pub use crate::params::KeyPolicy;
