//! The integration tests of gcc-nn-circuit in one binary (one link, and the tests of every file
//! run in parallel): each `tests/*.rs` file is a module here. A new test file needs its
//! `mod` line below (protocol's `test_layout` check fails otherwise); run one file's
//! tests with `cargo test -p gcc-nn-circuit --test it -- <file>::`.

mod bristol;
mod decoder_props;
mod formats;
mod limits;
