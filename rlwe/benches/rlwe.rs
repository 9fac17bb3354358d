//! Criterion benches of the RLWE core.
fn main() {}
