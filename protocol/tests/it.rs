//! The integration tests of gcc-nn-protocol in one binary: one link instead of one per file,
//! and the tests of all files run in parallel. Every `tests/*.rs` file is a module here (the
//! shared helper folders are declared once) except the two in `serial.rs`, which switch
//! process-wide state; a new test file needs its `mod` line below (`test_layout` fails
//! otherwise). One file's tests: `cargo test -p gcc-nn-protocol --test it -- <file>::`.

// The crate under test by its short name in every module (the harnesses write
// `protocol::…`).
extern crate gcc_nn_protocol as protocol;

mod bridge_harness;
mod fast_common;
mod fast_harness;
mod keyholder_common;
mod session_harness;

mod architecture;
mod bridge_exact;
mod bridge_privacy;
mod bridge_wire;
mod fast_exact;
mod fast_files;
mod fast_output;
mod fast_pipeline;
mod fast_privacy;
mod fast_rlwe;
mod fast_scheme;
mod fast_setup_transcript;
mod fast_slots;
mod fast_user_view;
mod fast_wire;
mod keyholder_bridge;
mod keyholder_reference;
mod owner_signature;
mod session_decoders;
mod session_keys;
mod session_replay;
mod session_serve;
mod session_tls;
mod shipped_models;
mod test_layout;
mod upload_bounds;
