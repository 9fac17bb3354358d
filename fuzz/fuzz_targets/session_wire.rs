//! The session layer's decoders fed from fuzz bytes: frames, the handshake's offer and
//! accept, the cloud's and the user's handshake, job requests and model headers, each from
//! a scripted peer whose bytes are the fuzz input (512-bit test key). Byte 0 picks the mode
//! among the cheap modes 0–3 of `protocol/tests/session_harness/mod.rs` (microseconds per
//! input); the full reference-protocol sessions (modes 4–6, milliseconds per input) run
//! from mutated honest transcripts in `protocol/tests/session_decoders.rs`, and their
//! protocol messages are fuzzed by the runtime and bridge targets. Seeds: honest inputs
//! (`fuzz/seeds/session_wire/`). Every input must end in `Ok` or an error, never a panic, a
//! hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../protocol/tests/session_harness/mod.rs"]
mod session_harness;

fuzz_target!(|data: &[u8]| {
    if let Some((&mode, script)) = data.split_first() {
        let cheap = mode % session_harness::FUZZ_MODES as u8;
        let _ = session_harness::run(&[&[cheap][..], script].concat());
    }
});
