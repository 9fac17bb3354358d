//! Whole tasks built on the protocols, for the command line and for library users: the
//! user's secure denoising of an image ([`denoise`]) and its summary ([`summary`]), and the
//! predicted cost of a secure run for any model ([`cost`]).
//!
//! This layer sits on top of [`crate::session`]: it opens the session, cuts the image into
//! the model's patches, runs the job, reports progress per phase ([`crate::progress`]) and
//! assembles the result; it never touches protocol messages.

pub mod cost;
pub mod denoise;
pub mod summary;

pub use denoise::{DenoiseOptions, DenoiseRun, denoise_remote};
