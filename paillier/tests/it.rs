//! The integration tests of gcc-nn-paillier in one binary: one link instead of one per file,
//! and the tests of all files run in parallel. Every `tests/*.rs` file is a module here; a new
//! test file needs its `mod` line below (protocol's `test_layout` test fails otherwise). One
//! file's tests: `cargo test -p gcc-nn-paillier --test it -- <file>::`.

mod crt_decryption;
mod decoder_props;
mod full_size;
mod kat;
mod multiexp;
mod packing;
mod primes_encoding;
mod production_keys;
mod properties;
mod serialization;
