//! The link between the two parties of gcc-nn: TLS 1.3 (rustls, `ring` provider) with
//! long-term self-signed identities on both sides, or — only when asked for by name —
//! plain TCP for benchmarks.
//!
//! - [`identity`]: an identity is a key pair and a self-signed certificate (`cloud.key` /
//!   `cloud.crt` or `user.key` / `user.crt` in a directory; the key file 0600); it is named by
//!   its certificate's SHA-256 [`Fingerprint`]. The user pins the cloud's certificate (the file
//!   or its fingerprint); the cloud accepts the users of an [`AllowList`] of fingerprints.
//! - [`verify`]: the two rustls verifiers doing exactly that (no CA, no host names).
//! - [`tls`]: a [`TlsChannel`] implementing [`runtime::channel::Channel`] over a TCP socket;
//!   [`record`]: its record layer after the handshake (rustls' record protection, in place).
//! - [`link`]: what the session layer uses: [`ClientTransport::connect`] and
//!   [`ServerTransport::accept`] give a [`Link`] (TLS, or plain TCP when configured so) whose
//!   [`runtime::channel::Channel::session_id`] every sub-protocol header carries.
//!
//! Session identifier: under TLS, the 32-byte TLS exporter value of label
//! [`tls::EXPORTER_LABEL`] (RFC 8446 §7.5): both ends derive the same value, no other session
//! has it, and nobody without the session's keys can compute it. Plain TCP carries no session
//! identifier ([`runtime::channel::UNBOUND_SESSION`]) and no authentication: anyone in the
//! middle can read, change or replay anything — which is why it is only for benchmarks.

pub mod error;
pub mod identity;
pub mod link;
pub mod record;
pub mod tls;
pub mod verify;

pub use error::TransportError;
pub use identity::{AllowList, Fingerprint, Identity, Role};
pub use link::{ClientTransport, Link, ServerTransport};
pub use tls::TlsChannel;
