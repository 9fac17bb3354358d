//! Issue 17 item 4: owner-signed models. The owner's Ed25519 key reproduces RFC 8032's test
//! vectors; the signature of a fixed-seed upload checks out under an independent verifier
//! (RFC 8032 §5.1.7 written here over curve25519-dalek and SHA-512, on the signed message
//! rebuilt from the file's own field layout); a model signed by another key is refused by the
//! cloud and by the user, naming both fingerprints; a tampered upload (one byte of the
//! parameters or of the header flipped, checksum recomputed) and an unsigned one are refused.

extern crate gcc_nn_protocol as protocol;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use model::fixed::{FIXED, FixedMlp};
use model::mlp::{Dense, Mlp};
use paillier::SecretKey;
use protocol::session::client::handshake_with_policy;
use protocol::session::handshake::{ProtocolKind, offer_payload, user_handshake};
use protocol::session::serve::{CloudState, serve_connection};
use protocol::session::wire::{Tag, expect_frame, send_frame};
use protocol::session::{KeyPolicy, SessionError};
use protocol::upload::owner::{OWNER_PUBLIC_FILE, OWNER_SECRET_FILE};
use protocol::upload::{EncryptedModel, MODEL_FILE_VERSION, OwnerKey, OwnerPublicKey, UPLOAD_FILE};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use runtime::channel::{MemChannel, UNBOUND_SESSION};
use sha2::{Digest, Sha256, Sha512};
use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

const TEST_KEYS: KeyPolicy = KeyPolicy::InsecureTestKeys;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().expect("length")
}

/// RFC 8032 §5.1.7 verification, written independently of ed25519-dalek: decode A and R,
/// require S < L, then check `[S]B = R + [k]A` with `k = SHA-512(R || A || M) mod L`.
fn independent_verify(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let (Some(a), Some(r)) = (
        CompressedEdwardsY(*public).decompress(),
        CompressedEdwardsY(array(&signature[..32])).decompress(),
    ) else {
        return false;
    };
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(array(&signature[32..])))
    else {
        return false;
    };
    let mut h = Sha512::new();
    h.update(&signature[..32]);
    h.update(public);
    h.update(message);
    let k = Scalar::from_bytes_mod_order_wide(&array(&h.finalize()));
    EdwardsPoint::mul_base(&s) == r + k * a
}

/// RFC 8032 §7.1, TEST 1–3: (secret key, public key, message, signature).
const RFC8032: [(&str, &str, &str, &str); 3] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
];

#[test]
fn the_owner_key_reproduces_the_rfc8032_test_vectors() {
    for (secret, public, message, signature) in RFC8032 {
        let key = OwnerKey::from_seed(&array(&unhex(secret)));
        let (public, message) = (unhex(public), unhex(message));
        let signature: [u8; 64] = array(&unhex(signature));
        assert_eq!(key.public().to_bytes().as_slice(), public.as_slice());
        assert_eq!(
            key.sign(&message),
            signature,
            "deterministic RFC 8032 signature"
        );
        let pk = OwnerPublicKey::from_bytes(&array(&public)).expect("valid key");
        assert!(pk.verify(&message, &signature));
        assert!(independent_verify(&array(&public), &message, &signature));
        // One more byte, or one flipped bit of the signature: both verifiers refuse.
        let mut longer = message.clone();
        longer.push(0);
        assert!(!pk.verify(&longer, &signature));
        assert!(!independent_verify(&array(&public), &longer, &signature));
        let mut bad = signature;
        bad[40] ^= 0x10;
        assert!(!pk.verify(&message, &bad));
        assert!(!independent_verify(&array(&public), &message, &bad));
    }
}

/// A 3x3 → 2 → 1x1 tanh_fit model.
fn tiny_fixed() -> FixedMlp {
    let mlp = Mlp::new(
        3,
        1,
        1,
        25.0,
        vec![
            Dense {
                inputs: 9,
                outputs: 2,
                weights: (0..18).map(|k| (k % 7) as f32 / 7.0 - 0.4).collect(),
                bias: vec![0.1, -0.2],
            },
            Dense {
                inputs: 2,
                outputs: 1,
                weights: vec![0.6, -0.4],
                bias: vec![0.05],
            },
        ],
    )
    .expect("model");
    FixedMlp::from_model(
        &mlp,
        FIXED,
        activation::Activation::shipped("tanh_fit").expect("tanh_fit"),
    )
    .expect("fixed")
}

fn user_key() -> &'static SecretKey {
    static K: OnceLock<SecretKey> = OnceLock::new();
    K.get_or_init(|| {
        SecretKey::generate_any_size(512, &mut ChaCha20Rng::seed_from_u64(17)).expect("key")
    })
}

fn owner() -> OwnerKey {
    OwnerKey::from_seed(&[0x42; 32])
}

fn mallory() -> OwnerKey {
    OwnerKey::from_seed(&[0x66; 32])
}

/// The tiny model under the user's key, signed by `signer`, all randomness from fixed seeds.
fn upload(signer: &OwnerKey) -> EncryptedModel {
    EncryptedModel::encrypt_with_rng(
        &tiny_fixed(),
        user_key().public_key(),
        signer,
        &mut ChaCha20Rng::seed_from_u64(5),
    )
    .expect("upload")
}

/// The byte range of the file field `name` ([`EncryptedModel::file_layout`]).
fn field(enc: &EncryptedModel, name: &str) -> Range<usize> {
    enc.file_layout()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no field {name}"))
        .1
}

/// `bytes` with the envelope's trailing SHA-256 recomputed (what a forger can always do).
fn resealed(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 32;
    let digest = Sha256::digest(&bytes[..n]);
    bytes[n..].copy_from_slice(&digest);
    bytes
}

#[test]
fn a_fixed_seed_upload_signature_verifies_independently() {
    let enc = upload(&owner());
    let bytes = enc.to_bytes();
    assert_eq!(bytes, upload(&owner()).to_bytes(), "fixed seeds, one file");
    let layout = enc.file_layout();
    assert_eq!(layout.last().map(|(_, r)| r.end), Some(bytes.len()));
    let header = &bytes[field(&enc, "header")];
    let seal = &bytes[field(&enc, "seal")];
    let params = &bytes[field(&enc, "ciphertexts")];
    assert_eq!(header, enc.header.to_bytes().as_slice());
    // The signed message as docs/protocol.md §1 states it, rebuilt from the file's bytes.
    let digest = Sha256::digest(params);
    let mut message = b"gcc-nn owner-signed encrypted model\0".to_vec();
    message.extend_from_slice(&MODEL_FILE_VERSION.to_le_bytes());
    message.extend_from_slice(&(header.len() as u64).to_le_bytes());
    message.extend_from_slice(header);
    message.extend_from_slice(&digest);
    assert_eq!(
        &seal[..32],
        digest.as_slice(),
        "the seal names the parameters"
    );
    assert_eq!(
        seal[32..64],
        owner().public().to_bytes(),
        "and the owner key"
    );
    let signature: [u8; 64] = array(&seal[64..]);
    assert!(independent_verify(
        &array(&seal[32..64]),
        &message,
        &signature
    ));
    // The message binds the domain, the version, the header and the parameters.
    for at in [0, 40, message.len() / 2, message.len() - 1] {
        let mut other = message.clone();
        other[at] ^= 1;
        assert!(
            !independent_verify(&array(&seal[32..64]), &other, &signature),
            "{at}"
        );
    }
    assert!(!independent_verify(
        &mallory().public().to_bytes(),
        &message,
        &signature
    ));
    // The cloud offers the same header bytes with the same seal.
    let offer = offer_payload(
        &enc.header,
        &enc.seal,
        &[ProtocolKind::Reference],
        &UNBOUND_SESSION,
    );
    assert!(offer.ends_with(header));
    assert!(offer.windows(seal.len()).any(|w| w == seal));
}

/// The wrong-owner error, naming both fingerprints.
fn assert_wrong_owner(err: &SessionError, signer: &OwnerKey, expected: &OwnerKey) {
    assert!(matches!(err, SessionError::WrongOwner { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(&signer.public().fingerprint()), "{text}");
    assert!(text.contains(&expected.public().fingerprint()), "{text}");
}

#[test]
fn a_model_signed_by_another_key_is_refused_by_the_cloud() {
    let err = CloudState::with_key_policy(upload(&mallory()), &owner().public(), TEST_KEYS)
        .err()
        .expect("refused");
    assert_wrong_owner(&err, &mallory(), &owner());
    // Read back from its file, too: the file is well formed, only the owner is wrong.
    let reread = EncryptedModel::from_bytes(&upload(&mallory()).to_bytes()).expect("parses");
    let err = CloudState::with_key_policy(reread, &owner().public(), TEST_KEYS)
        .err()
        .expect("refused");
    assert_wrong_owner(&err, &mallory(), &owner());
    CloudState::with_key_policy(upload(&owner()), &owner().public(), TEST_KEYS)
        .expect("the owner's own model is served");
}

/// A cloud serving `enc` (checked against `signer`, as a cloud given that key would) and a
/// user expecting `expected`: the user's handshake result and the cloud's.
fn session(
    enc: EncryptedModel,
    signer: &OwnerKey,
    expected: &OwnerKey,
) -> (Result<(), SessionError>, Result<(), SessionError>) {
    let state = CloudState::with_key_policy(enc, &signer.public(), TEST_KEYS).expect("state");
    let (user_end, cloud_end) = MemChannel::pair(Duration::from_secs(30));
    let cloud = std::thread::spawn(move || {
        let mut ch = cloud_end;
        serve_connection(&mut ch, &state).map(|_| ())
    });
    let user = handshake_with_policy(
        user_end,
        user_key(),
        &expected.public(),
        ProtocolKind::Reference,
        TEST_KEYS,
    )
    .map(drop);
    (user, cloud.join().expect("cloud thread"))
}

#[test]
fn a_model_signed_by_another_key_is_refused_by_the_user() {
    let (user, cloud) = session(upload(&mallory()), &mallory(), &owner());
    assert_wrong_owner(&user.expect_err("the user refuses"), &mallory(), &owner());
    let cloud = cloud.expect_err("the cloud is told");
    assert!(cloud.to_string().contains("wrong model owner"), "{cloud}");
    // Control: the owner's model passes the same handshake (the cloud then waits for a job
    // and sees the user hang up).
    let (user, _) = session(upload(&owner()), &owner(), &owner());
    user.expect("the owner's model is accepted");
}

/// The user checks the signature over the header it is offered, not only the key: an offer
/// whose header was changed after signing (the owner's seal kept) is refused.
#[test]
fn the_user_refuses_an_offer_whose_header_is_not_the_signed_one() {
    let enc = upload(&owner());
    let mut changed = enc.header.clone();
    changed.stride += 1;
    let (mut user_end, mut cloud_end) = MemChannel::pair(Duration::from_secs(30));
    let offer = offer_payload(
        &changed,
        &enc.seal,
        &[ProtocolKind::Reference],
        &UNBOUND_SESSION,
    );
    send_frame(&mut cloud_end, Tag::Offer, &offer, "offer").expect("send");
    let err = user_handshake(
        &mut user_end,
        user_key().public_key(),
        &owner().public(),
        ProtocolKind::Reference,
    )
    .expect_err("refused");
    assert!(matches!(err, SessionError::Signature(_)), "{err}");
    assert!(
        err.to_string().contains(&owner().public().fingerprint()),
        "{err}"
    );
    let reject = expect_frame(&mut cloud_end, Tag::Accept, "accept").expect_err("no accept");
    assert!(reject.to_string().contains("owner signature"), "{reject}");
}

#[test]
fn a_tampered_upload_is_refused() {
    let enc = upload(&owner());
    let bytes = enc.to_bytes();
    let params = field(&enc, "ciphertexts");
    let mut flipped = bytes.clone();
    flipped[params.start + params.len() / 2] ^= 0x01;
    // As is, the envelope's checksum catches it …
    let err = EncryptedModel::from_bytes(&flipped).expect_err("corrupt");
    assert!(err.to_string().contains("checksum"), "{err}");
    // … and with the checksum recomputed, the owner's signature does.
    let err = EncryptedModel::from_bytes(&resealed(flipped)).expect_err("tampered");
    assert!(matches!(err, SessionError::Signature(_)), "{err}");
    assert!(
        err.to_string().contains("changed after it was signed"),
        "{err}"
    );
    assert!(
        err.to_string().contains(&owner().public().fingerprint()),
        "{err}"
    );
    // One byte of the header (its stride), found through the header's own layout.
    let header_at = field(&enc, "header").start;
    let (_, stride) = enc
        .header
        .layout()
        .into_iter()
        .find(|(n, _)| *n == "stride")
        .expect("stride field");
    let mut flipped = bytes.clone();
    flipped[header_at + stride.start] ^= 0x02;
    let err = EncryptedModel::from_bytes(&resealed(flipped)).expect_err("tampered");
    assert!(matches!(err, SessionError::Signature(_)), "{err}");
    // The cloud's check of a model in memory: one ciphertext swapped for another.
    let mut swapped = enc.clone();
    swapped.layers[0].weights[0] = swapped.layers[0].weights[1].clone();
    let err = CloudState::with_key_policy(swapped, &owner().public(), TEST_KEYS)
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("changed after it was signed"),
        "{err}"
    );
    // Control: the untouched file reads back and is served.
    let back = EncryptedModel::from_bytes(&bytes).expect("intact");
    CloudState::with_key_policy(back, &owner().public(), TEST_KEYS).expect("served");
}

#[test]
fn an_unsigned_upload_is_refused() {
    let enc = upload(&owner());
    let bytes = enc.to_bytes();
    // The previous format (version 3): the same body without the seal.
    let (seal, checksum) = (field(&enc, "seal"), field(&enc, "checksum"));
    let mut body = bytes[bytes::HEADER_BYTES..seal.start].to_vec();
    body.extend_from_slice(&bytes[seal.end..checksum.start]);
    let v3 = bytes::Format {
        version: 3,
        ..UPLOAD_FILE
    }
    .seal(&body);
    let err = EncryptedModel::from_bytes(&v3).expect_err("unsigned");
    let text = err.to_string();
    assert!(text.contains("older gcc-nn"), "{text}");
    assert!(text.contains("re-run `gcc-nn model encrypt"), "{text}");
    // A version-4 file whose signature was blanked out.
    let mut blank = bytes.clone();
    blank[seal.start + 64..seal.end].fill(0);
    let err = EncryptedModel::from_bytes(&resealed(blank)).expect_err("unsigned");
    assert!(matches!(err, SessionError::Signature(_)), "{err}");
    // A seal naming a small-order key (whose signatures prove nothing) is refused as such.
    let mut weak = bytes.clone();
    weak[seal.start + 32..seal.start + 64].copy_from_slice(&identity_point());
    let err = EncryptedModel::from_bytes(&resealed(weak)).expect_err("weak key");
    assert!(err.to_string().contains("weak"), "{err}");
}

/// The encoding of the neutral element (a small-order point, y = 1).
fn identity_point() -> [u8; 32] {
    let mut p = [0u8; 32];
    p[0] = 1;
    p
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

#[test]
fn owner_key_files_are_private_enveloped_and_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = OwnerKey::generate();
    assert_ne!(key.public(), OwnerKey::generate().public(), "fresh keys");
    let (secret, public) = key.save_pair(dir.path(), false).expect("written");
    #[cfg(unix)]
    assert_eq!((mode(&secret), mode(&public)), (0o600, 0o644));
    assert_eq!(
        OwnerKey::load(dir.path()).expect("secret").public(),
        key.public()
    );
    assert_eq!(OwnerPublicKey::load(&public).expect("public"), key.public());
    assert!(
        std::fs::read(&secret)
            .expect("read")
            .starts_with(&OWNER_SECRET_FILE.magic)
    );
    assert!(
        std::fs::read(&public)
            .expect("read")
            .starts_with(&OWNER_PUBLIC_FILE.magic)
    );
    // The secret key never shows in Debug output.
    let seed_hex: String = std::fs::read(&secret).expect("read")[20..52]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!format!("{key:?}").contains(&seed_hex));
    // No overwrite without --force; nothing changed by the refusal.
    let other = OwnerKey::generate();
    let err = other.save_pair(dir.path(), false).expect_err("exists");
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(OwnerPublicKey::load(&public).expect("public"), key.public());
    other.save_pair(dir.path(), true).expect("forced");
    assert_eq!(
        OwnerPublicKey::load(&public).expect("public"),
        other.public()
    );
    // Errors name the file and what is wrong with it.
    let mut corrupt = std::fs::read(&public).expect("read");
    corrupt[25] ^= 1;
    std::fs::write(&public, &corrupt).expect("write");
    let err = OwnerPublicKey::load(&public).expect_err("corrupt");
    assert!(
        err.to_string().contains(&public.display().to_string()),
        "{err}"
    );
    assert!(err.to_string().contains("checksum"), "{err}");
    let err = OwnerPublicKey::load(&secret).expect_err("a secret key file");
    assert!(
        err.to_string()
            .contains("not a gcc-nn owner public key file"),
        "{err}"
    );
    let err = OwnerKey::load(&dir.path().join("missing.key")).expect_err("missing");
    assert!(err.to_string().contains("missing.key"), "{err}");
    let weak = OWNER_PUBLIC_FILE.seal(&identity_point());
    let err = OwnerPublicKey::from_file_bytes(&weak).expect_err("weak");
    assert!(err.to_string().contains("weak"), "{err}");
}
