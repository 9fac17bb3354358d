//! The reference protocol end to end in one process (cloud thread, user client, loopback
//! TCP): outputs equal the fixed-point reference bit for bit; what the cloud receives.

use crate::secure_common;

use paillier::{PublicKey, SecretKey};
use protocol::session::KeyPolicy;
use protocol::session::serve::{CloudState, ServeOptions, serve_connection};
use protocol::session::{ProtocolKind, SessionError};
use protocol::upload::EncryptedModel;
use runtime::channel::MemChannel;
use runtime::scripted::RecordingChannel;
use secure_common::*;
use std::time::Duration;

const T: Duration = Duration::from_secs(120);

fn run_over_tcp(sk: &SecretKey, patches: &[Vec<i64>], chunk: usize) -> Vec<Vec<i64>> {
    let enc = encrypt_test_key(&tiny_fixed(), sk);
    let enc = EncryptedModel::from_bytes(&enc.to_bytes()).expect("file round trip");
    let (addr, lines) = spawn_server(
        enc,
        ServeOptions {
            max_connections: Some(1),
            ..ServeOptions::default()
        },
    );
    let mut s =
        connect_test_key(&addr, sk, ProtocolKind::Reference, T, Duration::ZERO).expect("connect");
    let mut layers_seen = 0;
    let (q, stats) = s
        .run_job(sk, patches, chunk, &mut |p| {
            layers_seen = layers_seen.max(p.layers_done)
        })
        .expect("job");
    assert_eq!(layers_seen, 2, "progress reports every layer");
    assert_eq!(stats.patches, patches.len() as u64);
    assert!(stats.bytes_sent > 0 && stats.bytes_received > 0);
    drop(s);
    let _ = lines;
    q
}

#[test]
fn reference_protocol_equals_fixed_point_reference_over_tcp() {
    let sk = small_key(512);
    let fixed = tiny_fixed();
    let patches = test_patches(7);
    let q = run_over_tcp(&sk, &patches, 3);
    for (p, q) in patches.iter().zip(&q) {
        assert_eq!(q, &fixed.forward(p).0, "patch {p:?}");
    }
    // The patches reach the activation's saturated and its curved pieces.
    let l = &fixed.layers[0];
    let xs: Vec<i64> = patches
        .iter()
        .flat_map(|p| {
            (0..4).map(move |o| {
                let z: i64 = l.weights[o * 9..(o + 1) * 9]
                    .iter()
                    .zip(p)
                    .map(|(w, x)| w * x)
                    .sum::<i64>()
                    + l.bias[o];
                (z >> 24).abs()
            })
        })
        .collect();
    assert!(xs.iter().any(|&x| x >= 4), "{xs:?}");
    assert!(xs.iter().any(|&x| x < 1), "{xs:?}");
}

#[test]
fn reference_protocol_with_a_2048_bit_key() {
    let sk = SecretKey::generate(2048, &mut rand::rng()).expect("key");
    let fixed = tiny_fixed();
    let patches = test_patches(1);
    let q = run_over_tcp(&sk, &patches, 1);
    assert_eq!(q[0], fixed.forward(&patches[0]).0);
}

#[test]
fn the_cloud_receives_only_encryptions_of_the_users_data() {
    let sk = small_key(512);
    let pk: PublicKey = sk.public_key().clone();
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let owner = test_owner().public();
    let state =
        CloudState::with_key_policy(enc, &owner, KeyPolicy::InsecureTestKeys).expect("state");
    let (cloud_end, user_end) = MemChannel::pair(T);
    let patches = test_patches(2);
    let cloud = std::thread::spawn(move || {
        let mut rec = RecordingChannel::new(cloud_end);
        serve_connection(&mut rec, &state).expect("serve");
        rec.into_received()
    });
    let mut s = handshake_test_key(user_end, &sk, ProtocolKind::Reference).expect("handshake");
    let (q, _) = s.run_job(&sk, &patches, 2, &mut |_| {}).expect("job");
    drop(s);
    let received = cloud.join().expect("cloud thread");
    // Accept frame (5 + ACCEPT_BYTES), job frame (5 + JobRequest::BYTES), then exactly the
    // encrypted patches.
    let accept_end = 5 + protocol::session::handshake::ACCEPT_BYTES;
    let start = accept_end + 5 + protocol::session::wire::JobRequest::BYTES;
    assert_eq!(
        received[accept_end], 6,
        "the job frame follows the accept frame"
    );
    let width = pk.ciphertext_bytes();
    let flat: Vec<i64> = patches.iter().flatten().copied().collect();
    for (k, v) in flat.iter().enumerate() {
        let at = start + k * width;
        let c = pk
            .read_ciphertext(&received[at..at + width])
            .expect("ciphertext");
        let m = sk.decrypt_signed(&c).expect("decrypt");
        assert_eq!(
            m,
            (*v).into(),
            "input {k} arrives as an encryption of the pixel"
        );
    }
    // No input pixel and no output value travels in the clear (as 8-byte or 4-byte words).
    for v in flat
        .iter()
        .chain(q.iter().flatten())
        .filter(|v| v.abs() > 255)
    {
        for pat in [v.to_le_bytes().to_vec(), (*v as i32).to_le_bytes().to_vec()] {
            assert!(
                !received.windows(pat.len()).any(|w| w == pat.as_slice()),
                "value {v} appears in the clear"
            );
        }
    }
}

#[test]
fn a_user_with_the_wrong_key_gets_a_clear_error_and_the_server_goes_on() {
    let owner_key = small_key(512);
    let other_key = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &owner_key);
    let (addr, _lines) = spawn_server(enc, ServeOptions::default());
    let err = connect_test_key(
        &addr,
        &other_key,
        ProtocolKind::Reference,
        T,
        Duration::ZERO,
    )
    .err()
    .expect("wrong key must fail");
    assert!(matches!(err, SessionError::WrongKey { .. }), "{err}");
    assert!(err.to_string().contains("wrong key"), "{err}");
    // Waits while the server is still closing the refused session.
    let wait = Duration::from_secs(30);
    let mut s = connect_test_key(&addr, &owner_key, ProtocolKind::Reference, T, wait)
        .expect("the right key is served next");
    let patches = test_patches(1);
    let (q, _) = s
        .run_job(&owner_key, &patches, 1, &mut |_| {})
        .expect("job");
    assert_eq!(q[0], tiny_fixed().forward(&patches[0]).0);
}

#[test]
fn fast_protocol_through_a_session_equals_fixed_point_reference() {
    let sk = small_key(1024);
    let fixed = tiny_fixed();
    let enc = encrypt_test_key(&fixed, &sk);
    let (addr, _lines) = spawn_server(
        enc,
        ServeOptions {
            max_connections: Some(1),
            ..ServeOptions::default()
        },
    );
    let mut s =
        connect_test_key(&addr, &sk, ProtocolKind::Fast, T, Duration::ZERO).expect("connect");
    // The fast protocol runs whole images: bare patches are refused before anything is sent.
    let err = s
        .run_job(&sk, &test_patches(2), 1, &mut |_| {})
        .expect_err("bare patches");
    assert!(err.to_string().contains("run_image"), "{err}");
    let (noisy, patches, layout) = tiny_image(6, 5);
    let (out, stats) = s
        .run_image(&sk, &patches, &layout, 3, &mut |_| {})
        .expect("job");
    let (want, _) = model::denoise::denoise_fixed(&fixed, &noisy, 1).expect("reference");
    assert_eq!(
        out.pixels,
        want.to_u8(),
        "pixel for pixel the fixed-point reference"
    );
    assert!(
        out.patch_outputs.is_none(),
        "the fast protocol reveals only pixels"
    );
    assert!(stats.bytes_sent > 0 && stats.bytes_received > 0);
}

/// A `width`×`height` image for the tiny model (pixels spread over the whole input range,
/// clamps included), its quantised patches at stride 1 and its layout.
fn tiny_image(
    width: usize,
    height: usize,
) -> (model::GrayImage, Vec<Vec<i64>>, model::patches::ImageLayout) {
    let px = (0..width * height)
        .map(|i| [700.0, -300.0, 0.0, 128.0, 255.0, 61.0, 190.0][i % 7])
        .collect();
    let img = model::GrayImage::new(width, height, px).expect("image");
    let fixed = tiny_fixed();
    let (patches, _) = model::denoise::quantised_patches(&fixed, &img, 1).expect("patches");
    let layout = model::patches::ImageLayout::new(width, height, fixed.geometry(1).expect("g"))
        .expect("layout");
    (img, patches, layout)
}

#[test]
fn reference_protocol_image_reveals_patch_outputs_and_maps_them_to_the_same_pixels() {
    let sk = small_key(1024);
    let fixed = tiny_fixed();
    let (addr, _lines) = spawn_server(
        encrypt_test_key(&fixed, &sk),
        ServeOptions {
            max_connections: Some(1),
            ..ServeOptions::default()
        },
    );
    let mut s =
        connect_test_key(&addr, &sk, ProtocolKind::Reference, T, Duration::ZERO).expect("connect");
    let (noisy, patches, layout) = tiny_image(3, 3);
    let (out, _) = s
        .run_image(&sk, &patches, &layout, 9, &mut |_| {})
        .expect("job");
    let (want, _) = model::denoise::denoise_fixed(&fixed, &noisy, 1).expect("reference");
    assert_eq!(out.pixels, want.to_u8());
    let q = out.patch_outputs.expect("the paper's protocol reveals q");
    assert_eq!(q[0], fixed.forward(&patches[0]).0);
}
