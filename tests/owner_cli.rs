//! Issue 17 item 4 through the shipped binary: `gcc-nn model owner-key` writes the owner's
//! key pair; `serve --owner-pub` refuses, before it listens, a model signed by another key
//! (naming both fingerprints) and an unsigned upload of the previous format; `model encrypt`
//! needs the owner's key. (The user's refusal is in `protocol/tests/owner_signature.rs`.)

use crate::secure_common;

use protocol::upload::{EncryptedModel, OwnerKey, OwnerPublicKey, UPLOAD_FILE};
use rand::SeedableRng;
use rand::rngs::StdRng;
use secure_common::*;
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("spawn")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

#[test]
fn owner_key_writes_the_pair_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("owner");
    let o = out_dir.to_string_lossy().into_owned();
    let out = run(&["model", "owner-key", "-o", &o]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let public = OwnerPublicKey::load(&out_dir.join("owner.pub")).expect("public key");
    let secret = OwnerKey::load(&out_dir).expect("secret key");
    assert_eq!(secret.public(), public);
    assert!(
        text(&out.stdout).contains(&public.fingerprint()),
        "prints the fingerprint"
    );
    #[cfg(unix)]
    assert_eq!(
        (
            mode(&out_dir.join("owner.key")),
            mode(&out_dir.join("owner.pub"))
        ),
        (0o600, 0o644)
    );
    let out = run(&["model", "owner-key", "-o", &o]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--force"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(OwnerPublicKey::load(&out_dir).expect("kept"), public);
}

/// The tiny model under a small test key, signed by `signer`, saved as `d/model.enc`.
fn save_model(d: &Path, signer: &OwnerKey) -> EncryptedModel {
    let sk = small_key(512);
    let enc = EncryptedModel::encrypt_with_rng(
        &tiny_fixed(),
        sk.public_key(),
        signer,
        &mut StdRng::seed_from_u64(3),
    )
    .expect("upload");
    enc.save(&d.join("model.enc")).expect("save");
    enc
}

/// `gcc-nn serve --model d/model.enc --owner-pub d/owner` on plain TCP.
fn serve(d: &Path) -> Output {
    let (model, owner) = (arg(d, "model.enc"), arg(d, "owner"));
    let args = ["serve", "--model", &model, "--owner-pub", &owner];
    run(&[
        &args[..],
        &["--listen", "127.0.0.1:0", "--insecure-plaintext"],
    ]
    .concat())
}

#[test]
fn serve_refuses_a_model_signed_by_another_key_naming_both() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (owner, mallory) = (OwnerKey::from_seed(&[1; 32]), OwnerKey::from_seed(&[2; 32]));
    owner.save_pair(&d.join("owner"), false).expect("owner key");
    save_model(d, &mallory);
    let out = serve(d);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("wrong model owner"), "{err}");
    assert!(err.contains(&mallory.public().fingerprint()), "{err}");
    assert!(err.contains(&owner.public().fingerprint()), "{err}");
    assert!(!text(&out.stdout).contains("listening"), "never listens");
}

#[test]
fn serve_refuses_an_unsigned_upload_of_the_previous_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let owner = OwnerKey::from_seed(&[1; 32]);
    owner.save_pair(&d.join("owner"), false).expect("owner key");
    let enc = save_model(d, &owner);
    // Version 3: the same body without the owner's seal.
    let bytes = enc.to_bytes();
    let field = |name: &str| {
        let layout = enc.file_layout();
        layout.into_iter().find(|(n, _)| *n == name).expect(name).1
    };
    let (envelope, seal, checksum) = (field("envelope"), field("seal"), field("checksum"));
    let mut body = bytes[envelope.end..seal.start].to_vec();
    body.extend_from_slice(&bytes[seal.end..checksum.start]);
    let mut v3 = UPLOAD_FILE;
    v3.version = 3;
    std::fs::write(d.join("model.enc"), v3.seal(&body)).expect("write");
    let out = serve(d);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("model.enc"), "{err}");
    assert!(err.contains("re-run `gcc-nn model encrypt"), "{err}");
}

#[test]
fn model_encrypt_needs_the_owner_key() {
    let out = run(&["model", "encrypt", "--user-key", "k", "-o", "m.enc"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--owner-key"),
        "{}",
        text(&out.stderr)
    );
}
