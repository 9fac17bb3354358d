//! Session binding of the fast protocol's own headers (issue 17, item 2): what the cloud sent
//! in a setup, and what the user sent in an image run, recorded in session A and replayed
//! into session B, is refused at its header with an error naming both sessions; the same
//! recording replayed into its own session A passes the header (the control: the refusal
//! comes from the session id, not from the replay itself). The session offer and the
//! garbled-circuit handshake are replayed in `session_tls.rs`, the pairing messages in
//! `fast::pairing_core`'s unit tests, the bridge header in `bridge_wire.rs`.

use crate::fast_harness;

use fast_harness::{Role, fixture, run_role};
use gcc_nn_protocol::BridgeError;
use gcc_nn_protocol::fast::{cloud_setup, user_setup};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::{Channel, MemChannel, SessionId};
use runtime::scripted::{RecordingChannel, ScriptedChannel};
use std::sync::Arc;
use std::time::Duration;

/// The recorded session and the one it is replayed into.
const A: SessionId = [0xa1; 32];
const B: SessionId = [0xb2; 32];

/// Both ends of an in-memory link in session `id`.
fn pair_in(id: SessionId) -> (MemChannel, MemChannel) {
    let (a, b) = MemChannel::pair(Duration::from_secs(30));
    (a.with_session(id), b.with_session(id))
}

/// `err` is a refusal in `phase` naming session A as the message's and B as this one's.
fn assert_refused_naming_both(err: &BridgeError, phase: &str) {
    assert_eq!(err.phase(), phase, "{err}");
    testkit::sessions::assert_names_both_sessions(&err.to_string(), A[0], B[0]);
}

#[test]
fn a_setup_recorded_in_another_session_is_refused_at_its_header() {
    let f = fixture();
    let (ring, shapes) = (f.shares.0.ring, f.enc.shapes());
    // Session A: an honest setup, the user's received bytes recorded.
    let (user_end, mut cloud_end) = pair_in(A);
    let (recorded, share) = std::thread::scope(|s| {
        let cloud = s.spawn(move || {
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            let pk = f.user.public_key();
            cloud_setup(
                &mut cloud_end,
                pk,
                &f.enc,
                Arc::clone(&f.cloud),
                ring,
                &mut rng,
            )
        });
        let mut rec = RecordingChannel::new(user_end);
        let share = user_setup(&mut rec, &f.user, &shapes, ring).expect("honest setup");
        cloud.join().expect("cloud thread").expect("cloud setup");
        (rec.into_received(), share)
    });
    // Replayed to a user in session B: refused at the header, before any ciphertext is read.
    let mut replay = ScriptedChannel::new(&recorded).with_session(B);
    let err = user_setup(&mut replay, &f.user, &shapes, ring).expect_err("another session");
    assert_refused_naming_both(&err, "setup header");
    assert!(
        replay.remaining() > recorded.len() / 2,
        "refused at the header, not after the ciphertexts"
    );
    // Control: the same bytes in session A give the recorded run's share (the setup is one
    // way, cloud to user, so a replay in its own session completes).
    let mut replay = ScriptedChannel::new(&recorded).with_session(A);
    let again = user_setup(&mut replay, &f.user, &shapes, ring).expect("same session");
    assert_eq!(again.binding, share.binding);
    assert_eq!(again.layers, share.layers);
}

#[test]
fn an_image_header_recorded_in_another_session_is_refused_before_the_cloud_sends() {
    let f = fixture();
    // Session A: an honest image run (the harness's roles with their fixed seeds), the
    // cloud's received bytes (the user's stream) recorded.
    let (mut user_end, cloud_end) = pair_in(A);
    let (recorded, pixels) = std::thread::scope(|s| {
        let cloud = s.spawn(move || {
            let mut rec = RecordingChannel::new(cloud_end);
            run_role(Role::CloudImage, &mut rec).map(|_| rec.into_received())
        });
        let out = run_role(Role::UserImage, &mut user_end).expect("honest image run");
        let recorded = cloud.join().expect("cloud thread").expect("cloud run");
        (recorded, out)
    });
    assert_eq!(
        pixels,
        Some(f.reference_pixels()),
        "the recorded run is an honest one"
    );
    // Replayed to a cloud in session B: refused at the header; the cloud sent nothing.
    let replay_into = |id: SessionId| {
        let mut ch = ScriptedChannel::new(&recorded).with_session(id);
        let out = run_role(Role::CloudImage, &mut ch);
        (out.map(|_| ()), ch.bytes_sent())
    };
    let (out, sent) = replay_into(B);
    assert_refused_naming_both(&out.expect_err("another session"), "image header");
    assert_eq!(
        sent, 0,
        "nothing sent in answer to another session's header"
    );
    // Control: in session A the header is accepted and the cloud answers with its key; what
    // follows may fail (the recording answered another cloud key), but not at the header.
    let (out, sent) = replay_into(A);
    assert!(sent > 0, "the cloud took the header and sent its key");
    if let Err(e) = out {
        assert!(
            e.phase() != "image header" && !e.to_string().contains("another session"),
            "{e}"
        );
    }
}

#[test]
fn a_job_request_recorded_in_another_session_is_refused_by_the_cloud() {
    use gcc_nn_protocol::session::serve::read_job;
    use gcc_nn_protocol::session::wire::{JobRequest, Tag, send_frame};
    // The Job frame a user sent in session A (the reference protocol's only header: its own
    // messages are runs of ciphertexts), as a recorder in the middle saw it.
    let job = JobRequest {
        patches: 4,
        chunk: 2,
        session: A,
    };
    let (user_end, cloud_end) = pair_in(A);
    let mut rec = RecordingChannel::new(cloud_end);
    let mut user_end = user_end;
    send_frame(&mut user_end, Tag::Job, &job.to_bytes(), "job").expect("send");
    assert_eq!(read_job(&mut rec).expect("same session"), job);
    let recorded = rec.into_received();
    // Replayed to a cloud in session B: refused, naming both.
    let err = read_job(&mut ScriptedChannel::new(&recorded).with_session(B))
        .expect_err("another session");
    assert_refused_naming_both(&err, "job request");
    // Control: the replay in session A is read.
    let again = read_job(&mut ScriptedChannel::new(&recorded).with_session(A)).expect("A");
    assert_eq!(again, job);
}
