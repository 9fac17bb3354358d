//! The integration tests of gcc-nn-runtime in one binary: one link instead of one per file, and
//! the tests of all files run in parallel. Every `tests/*.rs` file is a module here (the shared
//! helper folders are declared once); a new test file needs its `mod` line below (protocol's
//! `test_layout` test fails otherwise). One file's tests:
//! `cargo test -p gcc-nn-runtime --test it -- <file>::`.

// The crate under test by its short name in every module (hostile_peer.rs and its
// harness write `runtime::…`).
extern crate gcc_nn_runtime as runtime;

mod common;

mod batch_and_faults;
mod bristol_tcp;
mod hostile_peer;
mod input_labels;
mod schemes;
