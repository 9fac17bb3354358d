//! Faults of the secure service: a user vanishing mid-image, busy servers, corrupt or
//! mismatched model files.

use crate::secure_common;

use protocol::session::KeyPolicy;
use protocol::session::serve::{CloudState, ServeOptions};
use protocol::session::wire::{JobRequest, Tag, send_frame};
use protocol::session::{ProtocolKind, SessionError};
use protocol::upload::EncryptedModel;
use runtime::channel::Channel;
use secure_common::*;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(120);

#[test]
fn a_user_vanishing_mid_image_leaves_the_cloud_serving_the_next_one() {
    let sk = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let (addr, lines) = spawn_server(enc, ServeOptions::default());
    {
        let mut s = connect_test_key(&addr, &sk, ProtocolKind::Reference, T, Duration::ZERO)
            .expect("connect");
        let job = JobRequest {
            patches: 4,
            chunk: 2,
            session: s.channel.session_id(),
        };
        send_frame(&mut s.channel, Tag::Job, &job.to_bytes(), "job").expect("job");
        // Half of the first encrypted patch, then hang up.
        let half = vec![1u8; sk.public_key().ciphertext_bytes() * 4 + 7];
        s.channel.send(&half).expect("send");
        s.channel.flush().expect("flush");
    }
    // The next user waits (up to 30 s) while the server notices the first one is gone.
    let mut s = connect_test_key(
        &addr,
        &sk,
        ProtocolKind::Reference,
        T,
        Duration::from_secs(30),
    )
    .expect("second user is served");
    let patches = test_patches(2);
    let (q, _) = s.run_job(&sk, &patches, 2, &mut |_| {}).expect("job");
    for (p, q) in patches.iter().zip(&q) {
        assert_eq!(q, &tiny_fixed().forward(p).0);
    }
    let log = lines.lock().expect("log").join("\n");
    assert!(log.contains("request failed"), "{log}");
}

#[test]
fn a_second_user_is_told_to_wait_then_served() {
    let sk = std::sync::Arc::new(small_key(512));
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let (addr, lines) = spawn_server(
        enc,
        ServeOptions {
            max_sessions: 1,
            max_connections: None,
            ..ServeOptions::default()
        },
    );
    let mut first = connect_test_key(&addr, &sk, ProtocolKind::Reference, T, Duration::ZERO)
        .expect("first user");
    let err = connect_test_key(&addr, &sk, ProtocolKind::Reference, T, Duration::ZERO)
        .err()
        .expect("busy");
    assert!(matches!(err, SessionError::Busy(_)), "{err}");
    let waiting = {
        let (addr, sk) = (addr.clone(), std::sync::Arc::clone(&sk));
        std::thread::spawn(move || {
            let t = Instant::now();
            let mut s = connect_test_key(
                &addr,
                &sk,
                ProtocolKind::Reference,
                T,
                Duration::from_secs(60),
            )
            .expect("served after waiting");
            let patches = test_patches(1);
            let (q, _) = s.run_job(&sk, &patches, 1, &mut |_| {}).expect("job");
            (q, t.elapsed())
        })
    };
    let patches = test_patches(3);
    let (q1, _) = first
        .run_job(&sk, &patches, 3, &mut |_| {})
        .expect("first job");
    drop(first);
    let (q2, _) = waiting.join().expect("second user");
    assert_eq!(q1[0], tiny_fixed().forward(&patches[0]).0);
    assert_eq!(q2[0], tiny_fixed().forward(&test_patches(1)[0]).0);
    let log = lines.lock().expect("log").join("\n");
    assert!(log.contains("told to wait"), "{log}");
}

#[test]
fn corrupt_and_mismatched_model_files_are_refused_with_a_reason() {
    let sk = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let bytes = enc.to_bytes();
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let err = EncryptedModel::from_bytes(&flipped).expect_err("corrupt");
    assert!(err.to_string().contains("checksum"), "{err}");
    let err = EncryptedModel::from_bytes(&bytes[..bytes.len() - 100]).expect_err("truncated");
    assert!(err.to_string().contains("encrypted model"), "{err}");
    let err = EncryptedModel::from_bytes(b"GCCMLP01 this is a plaintext model")
        .expect_err("not encrypted");
    assert!(
        err.to_string().contains("not a gcc-nn encrypted model"),
        "{err}"
    );

    // The changed models below are re-signed by the owner: the checks after the signature's
    // are what refuses them.
    let (owner, owner_pub) = (test_owner(), test_owner().public());
    let mut other_circuit = enc.clone();
    other_circuit.header.circuit_hash[0] ^= 1;
    other_circuit.sign(&owner);
    let reread = EncryptedModel::from_bytes(&other_circuit.to_bytes()).expect("well formed");
    let err = CloudState::with_key_policy(reread, &owner_pub, KeyPolicy::InsecureTestKeys)
        .err()
        .expect("mismatched circuit");
    assert!(err.to_string().contains("activation circuit"), "{err}");

    let mut other_format = enc.clone();
    other_format.header.fixed.fw = 10;
    other_format.sign(&owner);
    let err = CloudState::with_key_policy(other_format, &owner_pub, KeyPolicy::InsecureTestKeys)
        .err()
        .expect("mismatched formats");
    assert!(err.to_string().contains("fixed-point"), "{err}");

    // Another activation (ReLU) under the circuit hash of the model's own: refused, named.
    let mut swapped = enc;
    swapped.header.activation = model::fixed::FixedActivation::shipped("relu").expect("relu");
    swapped.sign(&owner);
    let err = CloudState::with_key_policy(swapped, &owner_pub, KeyPolicy::InsecureTestKeys)
        .err()
        .expect("swapped activation");
    assert!(err.to_string().contains("relu"), "{err}");
}
