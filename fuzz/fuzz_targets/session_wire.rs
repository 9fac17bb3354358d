//! The session layer's decoders fed from fuzz bytes: frames, the handshake's offer and
//! accept, job requests, and whole sessions of the cloud and of the user (reference
//! protocol, 512-bit test key) whose peer is the fuzz input. Byte 0 picks the mode (see
//! `protocol/tests/session_harness/mod.rs`); seeds are honest transcripts
//! (`fuzz/seeds/session_wire/`). Every input must end in `Ok` or an error, never a panic,
//! a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../protocol/tests/session_harness/mod.rs"]
mod session_harness;

fuzz_target!(|data: &[u8]| {
    let _ = session_harness::run(data);
});
