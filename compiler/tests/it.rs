//! The integration tests of gcc-nn-compiler in one binary: one link instead of one per file,
//! and the tests of all files run in parallel. Every `tests/*.rs` file is a module here (the
//! shared helper folders are declared once); a new test file needs its `mod` line below
//! (protocol's `test_layout` test fails otherwise). One file's tests:
//! `cargo test -p gcc-nn-compiler --test it -- <file>::`.

mod common;

mod breakdown;
mod formats;
mod fuzz_regressions;
mod garble;
mod garbled_circuits;
mod limits;
mod link;
mod lower;
mod mutated_programs;
mod passes;
mod random_programs;
mod report_md;
mod shipped;
