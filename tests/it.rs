//! The integration tests of gcc-nn (the command-line program, the examples, the spawned-process
//! secure runs) in one binary: one link instead of one per file, and the tests of all files
//! run in parallel. Every `tests/*.rs` file is a module here (the shared helper folders are
//! declared once) but `soak_serve.rs`, a binary of its own (its server's 4 s timeouts fail
//! under the load of the other tests at once); a new test file needs its `mod` line below
//! (protocol's `test_layout` test fails otherwise). One file's tests:
//! `cargo test -p gcc-nn --test it -- <file>::`.

mod cli_common;
mod secure_common;

mod activation_cli;
mod cli_demo;
mod cli_flags;
mod cli_json;
mod cli_meta;
mod compiler_cli;
mod cost_cli;
mod dsl_cli;
mod examples;
mod image_cli;
mod model_activation_cli;
mod model_cli;
mod owner_cli;
mod paillier_cli;
mod report_train_cli;
mod runtime_cli;
mod secure_cli;
mod secure_faults;
mod secure_keys;
mod secure_reference;
mod secure_rlwe_budget;
mod secure_shipped_models;
mod secure_tls;
