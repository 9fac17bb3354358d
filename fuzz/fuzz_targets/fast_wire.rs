//! One party of the fast protocol (user or cloud; whole job with pairing and setup, or the
//! image run with stored shares) whose peer is the fuzz input: byte 0 picks the role, the
//! rest is what the peer "sends" (seeds: transcripts of honest runs, from
//! `GCC_NN_WRITE_FUZZ_SEEDS=1 cargo test -p gcc-nn-protocol --test it -- fast_wire::`). Every
//! input must end in `Ok` or an error, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

extern crate protocol as gcc_nn_protocol;

#[path = "../../protocol/tests/fast_harness/mod.rs"]
mod fast_harness;

fuzz_target!(|data: &[u8]| {
    let _ = fast_harness::run_script(data);
});
