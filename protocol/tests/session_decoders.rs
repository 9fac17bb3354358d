//! The session layer's decoders against hostile bytes: frames, handshake messages, job
//! requests and whole sessions driven by random or mutated scripts never panic; a tiny
//! message declaring a huge length is refused before anything is allocated for it; every
//! encoder's output decodes back to what was encoded.

extern crate gcc_nn_protocol as protocol;

use crate::session_harness;

use proptest::prelude::*;
use protocol::session::handshake::{
    ACCEPT_BYTES, accept_payload, offer_payload, parse_accept, parse_offer,
};
use protocol::session::wire::{
    JobRequest, MAX_CHUNK, MAX_FRAME, MAX_PATCHES, MAX_REASON, Tag, peer_text, recv_frame,
    send_frame,
};
use protocol::session::{ProtocolKind, SessionError};
use runtime::channel::{Channel, MemChannel};
use runtime::scripted::ScriptedChannel;
use session_harness::{FUZZ_MODES, MODES, SESSION_MODES, fixture, honest_inputs, run};
use std::sync::OnceLock;
use std::time::Duration;

fn honest() -> &'static [Vec<u8>] {
    static H: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    H.get_or_init(honest_inputs)
}

#[test]
fn a_tiny_frame_declaring_a_huge_length_is_refused_before_allocation() {
    for (tag, limit) in [
        (Tag::Offer, MAX_FRAME),
        (Tag::Job, MAX_FRAME),
        (Tag::Reject, MAX_REASON),
        (Tag::Busy, MAX_REASON),
    ] {
        // Five bytes announcing 4 GiB; nothing follows.
        let script = [tag as u8, 0xff, 0xff, 0xff, 0xff];
        let err = recv_frame(&mut ScriptedChannel::new(&script), "test").expect_err("huge");
        let msg = err.to_string();
        assert!(
            matches!(err, SessionError::Protocol { .. })
                && msg.contains("declares 4294967295 bytes")
                && msg.contains(&format!("the limit is {limit}")),
            "{msg}"
        );
    }
    // One byte over the limit is refused, the limit itself is read (and then runs out).
    let over = (MAX_FRAME as u32 + 1).to_le_bytes();
    let err = recv_frame(
        &mut ScriptedChannel::new(&[&[Tag::Offer as u8][..], &over].concat()),
        "t",
    )
    .expect_err("over");
    assert!(err.to_string().contains("the limit is"), "{err}");
    let at = (MAX_FRAME as u32).to_le_bytes();
    let err = recv_frame(
        &mut ScriptedChannel::new(&[&[Tag::Offer as u8][..], &at].concat()),
        "t",
    )
    .expect_err("short");
    assert!(matches!(err, SessionError::Channel { .. }), "{err}");
}

#[test]
fn a_frame_over_the_limit_is_not_sent() {
    let (mut a, _b) = MemChannel::pair(Duration::from_secs(5));
    let err = send_frame(&mut a, Tag::Offer, &vec![0u8; MAX_FRAME + 1], "t").expect_err("long");
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    assert_eq!(a.bytes_sent(), 0, "nothing half-written");
}

#[test]
fn job_requests_outside_the_limits_are_refused() {
    for (patches, chunk) in [
        (0, 1),
        (MAX_PATCHES + 1, 1),
        (u64::MAX, 1),
        (1, 0),
        (1, MAX_CHUNK as u32 + 1),
        (1, u32::MAX),
    ] {
        let session = [0x5e; 32];
        let bytes = JobRequest {
            patches,
            chunk,
            session,
        }
        .to_bytes();
        let err = JobRequest::from_bytes(&bytes).expect_err("out of range");
        assert!(err.to_string().contains("patches in chunks of"), "{err}");
    }
    let err = JobRequest::from_bytes(&[0; 11]).expect_err("short");
    assert!(err.to_string().contains("11 bytes, expected 44"), "{err}");
}

#[test]
fn a_job_request_names_its_session_and_another_one_is_refused() {
    // The session id is the last 32 bytes; a request of another session is refused by name.
    let job = JobRequest {
        patches: 3,
        chunk: 2,
        session: [0xa1; 32],
    };
    let bytes = job.to_bytes();
    assert_eq!(bytes[..8], 3u64.to_le_bytes());
    assert_eq!(bytes[8..12], 2u32.to_le_bytes());
    assert_eq!(bytes[12..], [0xa1; 32]);
    let read = JobRequest::from_bytes(&bytes).expect("valid");
    read.check_session(&[0xa1; 32]).expect("same session");
    let err = read
        .check_session(&[0xb2; 32])
        .expect_err("another session");
    assert_eq!(err.phase(), "job request");
    testkit::sessions::assert_names_both_sessions(&err.to_string(), 0xa1, 0xb2);
}

/// The seeds of the fuzz target `session_wire` are the first `FUZZ_MODES` of these honest
/// inputs: `SESSION_WIRE_SEEDS=$PWD/fuzz/seeds/session_wire cargo test -p gcc-nn-protocol
/// --test it -- session_decoders::honest_transcripts` from the repository root writes them
/// there (an absolute path: the test's working directory is `protocol/`;
/// `fuzz/seeds/regenerate_wire_seeds.sh` runs it with the other wire targets' writers).
#[test]
fn honest_transcripts_cut_short_end_in_errors() {
    // The honest run inside `honest_inputs` checks its outputs against the fixed-point
    // reference.
    let inputs = honest();
    assert_eq!(inputs.len(), MODES.len());
    if let Some(dir) = std::env::var_os("SESSION_WIRE_SEEDS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("seed dir");
        for (k, input) in inputs.iter().enumerate().take(FUZZ_MODES) {
            std::fs::write(dir.join(format!("honest_mode{k}")), input).expect("seed");
        }
    }
    // The handshakes alone succeed.
    assert!(run(&inputs[1]).is_ok() && run(&inputs[2]).is_ok());
    // Cut short, each session transcript ends in an error, not a panic and not a success.
    for input in SESSION_MODES.map(|m| &inputs[m]) {
        for cut in [1, input.len() / 3, input.len() - 1] {
            assert!(
                run(&input[..cut]).is_err(),
                "cut at {cut} of {}",
                input.len()
            );
        }
    }
}

#[test]
fn a_reject_reason_is_printable() {
    let mut script = vec![Tag::Reject as u8, 7, 0, 0, 0];
    script.extend_from_slice(b"no\x1b[2J\n");
    let err = recv_frame(&mut ScriptedChannel::new(&script), "t").expect_err("reject");
    let SessionError::Rejected(text) = err else {
        panic!("{err}")
    };
    assert_eq!(text, "no\u{fffd}[2J\u{fffd}");
}

/// Flips, overwrites, inserts or deletes bytes of `base` at the positions `edits` name.
fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = base.to_vec();
    for &(pos, op, byte) in edits {
        if out.len() < 2 {
            break;
        }
        // Keep the mode byte: mutations target the script.
        let at = 1 + pos % (out.len() - 1);
        match op % 4 {
            0 => out[at] ^= byte | 1,
            1 => out[at] = byte,
            2 => out.insert(at, byte),
            _ => {
                out.remove(at);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_scripts_never_panic(mode in 0..MODES.len() as u8, script in prop::collection::vec(any::<u8>(), 0..600)) {
        let input = [&[mode][..], &script].concat();
        let _ = run(&input);
    }

    #[test]
    fn mutated_honest_transcripts_never_panic(
        which in 0..MODES.len(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4),
    ) {
        let input = mutate(&honest()[which], &edits);
        let _ = run(&input);
    }

    #[test]
    fn frames_round_trip(code in 2..=7u8, payload in prop::collection::vec(any::<u8>(), 0..2000)) {
        let tag = Tag::from_u8(code).expect("tag");
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
        send_frame(&mut a, tag, &payload, "t").expect("send");
        match recv_frame(&mut b, "t") {
            Ok((t, p)) => {
                prop_assert_eq!(t, tag);
                prop_assert_eq!(p, payload);
            }
            Err(SessionError::Rejected(text)) => {
                prop_assert_eq!(tag, Tag::Reject);
                prop_assert_eq!(text, peer_text(&payload));
            }
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    #[test]
    fn job_requests_round_trip(patches in 1..=MAX_PATCHES, chunk in 1..=MAX_CHUNK as u32) {
        let job = JobRequest { patches, chunk, session: [7; 32] };
        prop_assert_eq!(JobRequest::from_bytes(&job.to_bytes()).expect("valid"), job);
    }

    #[test]
    fn offers_and_accepts_round_trip(reference in any::<bool>(), fast in any::<bool>(), pick_fast in any::<bool>()) {
        let (header, seal) = (&fixture().1.model.header, &fixture().1.model.seal);
        let served: Vec<ProtocolKind> = [(reference, ProtocolKind::Reference), (fast, ProtocolKind::Fast)]
            .into_iter()
            .filter_map(|(on, k)| on.then_some(k))
            .collect();
        let session = [pick_fast as u8 ^ 0x5a; 32];
        let offer = offer_payload(header, seal, &served, &session);
        let (sid, mask, h, s) = parse_offer(&offer).expect("offer");
        prop_assert_eq!(&s, seal);
        prop_assert_eq!(sid, session);
        prop_assert_eq!(&h, header);
        for k in ProtocolKind::implemented() {
            prop_assert_eq!(mask & (1 << k.code()) != 0, served.contains(k));
        }
        let kind = if pick_fast { ProtocolKind::Fast } else { ProtocolKind::Reference };
        let accept = accept_payload(kind, &session, &offer);
        prop_assert_eq!(accept.len(), ACCEPT_BYTES);
        let (code, sid, digest) = parse_accept(&accept).expect("accept");
        prop_assert_eq!(ProtocolKind::from_code(code), Some(kind));
        prop_assert_eq!(sid, session);
        prop_assert_eq!(&digest[..], &accept[33..]);
    }

    #[test]
    fn peer_text_has_no_control_characters(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        prop_assert!(!peer_text(&bytes).chars().any(char::is_control));
    }
}
