//! One party of the HE↔GC bridge (user, or cloud in unpacked/packed/chained mode) whose peer
//! is the fuzz input: byte 0 picks the role, the rest is what the peer "sends" (the bridge
//! header, ciphertexts, then the garbled-circuit messages; seeds: transcripts of honest
//! runs). Every input must end in `Ok` or an error, never a panic, a hang or a huge
//! allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../protocol/tests/bridge_harness/mod.rs"]
mod bridge_harness;

fuzz_target!(|data: &[u8]| {
    let _ = bridge_harness::run_script(data);
});
