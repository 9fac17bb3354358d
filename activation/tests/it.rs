//! The integration tests of gcc-nn-activation in one binary: one link instead of one per file,
//! and the tests of all files run in parallel. Every `tests/*.rs` file is a module here; a new
//! test file needs its `mod` line below (protocol's `test_layout` test fails otherwise). One
//! file's tests: `cargo test -p gcc-nn-activation --test it -- <file>::`.

mod accuracy;
mod activation;
mod gelu;
mod known_answers;
mod wrappers;
