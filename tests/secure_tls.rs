//! `denoise --connect` over TLS as spawned processes: it refuses to run without a pinned
//! cloud certificate, and refuses a cloud presenting another certificate (naming both),
//! writing no image. (The in-process session tests over TLS are in
//! protocol/tests/session_tls.rs.)

use crate::secure_common;

use secure_common::*;

#[test]
fn denoise_connect_refuses_to_run_without_a_pinned_or_with_a_wrong_certificate() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let tls = tls_dir(d);
    let other = d.join("other");
    run_ok(&["cloud-identity", "-o", &other.to_string_lossy()]);
    write_key_files(d, production_key());
    save_sample_crop(d, 0, 0, 4, 4);
    let base = |extra: &[&str]| {
        let mut args: Vec<String> = ["denoise", "--connect", "127.0.0.1:1", "--key"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(d.to_string_lossy().into_owned());
        args.push(arg(d, "crop.png"));
        args.extend(["-o".to_string(), arg(d, "out.png")]);
        args.extend(extra.iter().map(|s| s.to_string()));
        std::process::Command::new(BIN)
            .args(&args)
            .output()
            .expect("spawn")
    };
    let identity = tls.to_string_lossy().into_owned();
    let owner = owner_dir(d).to_string_lossy().into_owned();
    // No pinned certificate: refused before connecting (nothing listens on port 1 anyway).
    let out = base(&["--identity", &identity, "--owner-pub", &owner]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--cloud-cert"),
        "{err}"
    );
    // A wrong certificate against a real TLS cloud: the user refuses it, naming both.
    encrypt_tiny_model(d, d);
    let (server, addr) = start_server(&d.join("model.enc"), &["--max-connections", "1"]);
    let wrong = arg(&other, "cloud.crt");
    let mut args = vec!["denoise", "--connect", &addr, "--key"];
    let key = d.to_string_lossy().into_owned();
    let (crop, out_png) = (arg(d, "crop.png"), arg(d, "out.png"));
    args.extend([key.as_str(), crop.as_str(), "-o", out_png.as_str()]);
    args.extend([
        "--identity",
        &identity,
        "--cloud-cert",
        &wrong,
        "--owner-pub",
        &owner,
    ]);
    let out = std::process::Command::new(BIN)
        .args(&args)
        .output()
        .expect("spawn");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("pinned"), "{err}");
    assert!(!d.join("out.png").exists(), "no image written");
    drop(server);
}
