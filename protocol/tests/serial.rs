//! The tests of gcc-nn-protocol that switch process-wide state, in a binary of their own and
//! one at a time (under [`keyholder_common::serial`]): the negative controls of
//! `keyholder_fast.rs` turn on the insecure fixed-base randomness of every fast run in the
//! process, and `progress_events.rs` installs the process's progress sink, which would record
//! every other test's runs. Everything else is in `it.rs`. One file's tests:
//! `cargo test -p gcc-nn-protocol --test serial -- <file>::`.

// The crate under test by its short name in every module, as in `it.rs`.
extern crate gcc_nn_protocol as protocol;

mod fast_common;
mod keyholder_common;

mod keyholder_fast;
mod progress_events;
