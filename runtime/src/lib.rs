//! gcc-nn runtime: half-gates garbling, oblivious transfer and channels.
//!
//! Security: semi-honest, κ = 128, σ = 40.
#![deny(unsafe_code)]

mod aesni;
pub mod bench;
pub mod block;
pub mod channel;
pub mod driver;
pub mod garble;
pub mod ot;
pub mod plan;
pub mod prg;
pub mod tccr;

pub use block::{Block, Delta};
