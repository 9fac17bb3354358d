//! Test support shared by the workspace's tests: a dev-dependency only (`publish = false`),
//! never a dependency of shipped code.
//!
//! - [`mutate`]: byte edits for the decoder property tests (proptest strategies and the
//!   functions that apply them);
//! - `models` (feature `model`): the small fixed-point models the protocol tests run;
//! - [`sessions`]: the check of a refusal of another session's message.

#[cfg(feature = "model")]
pub mod models;
pub mod mutate;
pub mod sessions;
