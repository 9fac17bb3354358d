//! The garbler (OT sender) of a garbled batch of `circuits/masked_tanh.dsl` whose peer is the
//! fuzz input: byte 0 picks the batch configuration, the rest is what the evaluator "sends"
//! (seeds: transcripts of honest runs). Every input must end in `Ok` or an error, never a
//! panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../runtime/tests/harness/gc_replay.rs"]
mod gc_replay;

fuzz_target!(|data: &[u8]| {
    let _ = gc_replay::garbler_from_script(data);
});
