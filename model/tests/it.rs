//! The integration tests of gcc-nn-model in one binary: one link instead of one per file, and
//! the tests of all files run in parallel. Every `tests/*.rs` file is a module here; a new test
//! file needs its `mod` line below (protocol's `test_layout` test fails otherwise). One file's
//! tests: `cargo test -p gcc-nn-model --test it -- <file>::`.

mod act_dsl;
mod decoder_props;
mod fixed;
mod image_files;
mod metrics;
mod model_activation;
mod patches;
mod pixel;
mod shipped;
