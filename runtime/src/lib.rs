//! gcc-nn runtime: half-gates garbling, oblivious transfer and channels.
//!
//! Security: semi-honest, κ = 128, σ = 40.
