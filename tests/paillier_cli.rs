//! `gcc-nn keygen` writes loadable key files (secret file 0600) and refuses bad requests;
//! `gcc-nn bridge-demo` runs the bridge end to end and reports every output as matching.

use std::process::Command;

fn gcc_nn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
}

#[test]
fn keygen_writes_loadable_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = gcc_nn()
        .args(["keygen", "-o"])
        .arg(dir.path())
        .output()
        .expect("run gcc-nn");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = std::fs::read(dir.path().join("paillier.key")).expect("secret key file");
    let public = std::fs::read(dir.path().join("paillier.pub")).expect("public key file");
    let sk = paillier::SecretKey::from_bytes(&secret).expect("secret key loads");
    let pk = paillier::PublicKey::from_bytes(&public).expect("public key loads");
    assert_eq!(sk.public_key(), &pk);
    assert_eq!(pk.bits(), 2048);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("paillier.key"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No key material reaches the terminal (only the fingerprint).
    let printed = String::from_utf8_lossy(&out.stdout);
    let n_hex = sk.public_key().n().to_str_radix(16);
    assert!(!printed.contains(&n_hex[..16]));

    // A second run does not overwrite the keys.
    let again = gcc_nn()
        .args(["keygen", "-o"])
        .arg(dir.path())
        .output()
        .expect("run gcc-nn");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
}

#[test]
fn keygen_refuses_before_writing_anything_when_one_key_file_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("paillier.pub"), b"old public key").expect("write");
    let out = gcc_nn()
        .args(["keygen", "-o"])
        .arg(dir.path())
        .output()
        .expect("run gcc-nn");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("paillier.pub exists"));
    // No secret key without its public key, and the old file is untouched.
    assert!(!dir.path().join("paillier.key").exists());
    assert_eq!(
        std::fs::read(dir.path().join("paillier.pub")).expect("read"),
        b"old public key"
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
}

#[test]
fn keygen_rejects_unsupported_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = gcc_nn()
        .args(["keygen", "--bits", "1024", "-o"])
        .arg(dir.path())
        .output()
        .expect("run gcc-nn");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1024-bit") && err.contains("at least 2048"),
        "{err}"
    );
    assert!(!dir.path().join("paillier.key").exists());
    // Above the minimum, only the supported sizes (2048, 3072).
    let out = gcc_nn()
        .args(["keygen", "--bits", "2500", "-o"])
        .arg(dir.path())
        .output()
        .expect("run gcc-nn");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported key size: 2500 bits"), "{err}");
    assert!(!dir.path().join("paillier.key").exists());
}

#[test]
fn bridge_demo_matches_reference() {
    let out = gcc_nn()
        .args(["bridge-demo", "--batch", "40", "--packed", "--seed", "7"])
        .output()
        .expect("run gcc-nn");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("40 of 40 outputs bit-identical"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("INSECURE"));
}
