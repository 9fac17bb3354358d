//! `gcc-nn demo --json` end to end (every role its own process, 2048-bit keys, a 16×16 crop):
//! the secure image equals the plaintext reference, the summary has time per phase, CPU
//! per side and bytes each way, and the progress events of all its processes (recorded
//! through `GCC_NN_PROGRESS_EVENTS`) advance through the upload, the re-sharing and every
//! layer's cross products and activations, in order, each phase to its total. The demo runs
//! with `--scheme three-halves`, which reaches the user's `denoise --connect` (half-gates, the
//! default, runs in every other secure test).

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

/// One process's progress: (phase name, total, units done, step labels in order).
type Phases = Vec<(String, u64, u64, Vec<String>)>;

/// The events of the file, per process id.
fn phases_per_process(events: &str) -> BTreeMap<String, Phases> {
    let mut out: BTreeMap<String, Phases> = BTreeMap::new();
    for line in events.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let phases = out.entry(f[0].to_string()).or_default();
        let n = |s: &str| {
            s.parse::<u64>()
                .unwrap_or_else(|_| panic!("count in {line}"))
        };
        match f[1] {
            "phase" => phases.push((f[2].to_string(), n(f[3]), 0, Vec::new())),
            "advance" => phases.last_mut().expect("open phase").2 += n(f[2]),
            "step" => {
                let p = phases.last_mut().expect("open phase");
                p.2 += n(f[3]);
                p.3.push(f[2].to_string());
            }
            "finish" => {}
            other => panic!("unknown event {other} in {line}"),
        }
    }
    out
}

#[test]
fn demo_json_summary_and_progress_through_every_phase() {
    let dir = tempfile::tempdir().expect("tmp");
    let events = dir.path().join("events.tsv");
    let out_dir = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args([
            "demo",
            "--crop",
            "16",
            "--scheme",
            "three-halves",
            "--json",
            "-o",
        ])
        .arg(&out_dir)
        .env("GCC_NN_PROGRESS_EVENTS", &events)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");

    assert_eq!(v["equal_to_reference"], true, "{v}");
    assert_eq!(v["scheme"], "three-halves", "{v}");
    assert_eq!(v["user"]["scheme"], "three-halves", "the user ran it: {v}");
    let protocol = v["protocol"].as_str().expect("protocol");
    assert!(
        protocol.starts_with("fast"),
        "the default is a fast protocol: {v}"
    );
    let names: Vec<&str> = v["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    for want in ["user: keygen", "model owner: upload (model encrypt)"] {
        assert!(names.contains(&want), "{want} missing: {names:?}");
    }
    for part in ["setup (re-sharing)", ": image"] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("user: ") && n.contains(part)),
            "no user phase with {part}: {names:?}"
        );
    }
    for p in v["phases"].as_array().expect("phases") {
        assert!(
            p["seconds"].as_f64().expect("seconds") > 0.0,
            "phase without time: {p}"
        );
    }
    for side in ["user", "cloud"] {
        let cpu = v["cpu_seconds"][side].as_f64();
        assert!(cpu.is_some_and(|c| c > 0.0), "{side} CPU: {v}");
    }
    let (sent, received) = (
        v["bytes"]["sent"].as_u64().expect("sent"),
        v["bytes"]["received"].as_u64().expect("received"),
    );
    assert!(sent > 0 && received > 0, "{v}");
    let (noisy, denoised) = (
        v["quality"]["noisy_psnr_db"].as_f64().expect("noisy"),
        v["quality"]["denoised_psnr_db"].as_f64().expect("denoised"),
    );
    assert!(denoised > noisy, "{v}");
    // The user's own object is embedded and agrees.
    assert_eq!(v["user"]["bytes"]["sent"].as_u64(), Some(sent));
    assert_eq!(v["user"]["mode"], "secure");

    // Progress: the owner's process encrypts, the user's re-shares then runs every layer.
    let layers = v["user"]["layers"].as_u64().expect("layers") as usize;
    let patches = v["user"]["patches"].as_u64().expect("patches");
    let recorded = std::fs::read_to_string(&events).expect("events file");
    let per_process = phases_per_process(&recorded);
    let all: Vec<&(String, u64, u64, Vec<String>)> = per_process.values().flatten().collect();
    let find = |name: &str| {
        all.iter()
            .find(|p| p.0 == name)
            .unwrap_or_else(|| panic!("no phase {name}: {recorded}"))
    };
    for name in ["upload: encrypting the model", "re-sharing the model"] {
        let p = find(name);
        assert!(
            p.1 > 0 && p.2 == p.1,
            "{name} must advance to its total: {p:?}"
        );
    }
    let image = find("denoising the image");
    assert_eq!(
        image.2, image.1,
        "the image phase ends at its total: {image:?}"
    );
    let mut want = Vec::new();
    for l in 1..=layers {
        want.push(format!("layer {l}/{layers}: cross products"));
        let last = if l == layers {
            "output pixels"
        } else {
            "activations"
        };
        want.push(format!("layer {l}/{layers}: {last}"));
    }
    assert_eq!(image.3, want, "every layer's steps, in order");
    assert_eq!(image.1, 2 * patches * layers as u64);
    // The upload runs in the owner's process, the rest in the user's.
    let owner = per_process
        .values()
        .find(|ps| ps.iter().any(|p| p.0 == "upload: encrypting the model"))
        .expect("owner");
    assert!(!owner.iter().any(|p| p.0 == "re-sharing the model"));
}

#[test]
fn demo_refuses_the_reference_protocol_with_three_halves_before_any_key_is_made() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_gcc-nn"))
        .args([
            "demo",
            "--protocol",
            "reference",
            "--scheme",
            "three-halves",
            "-o",
        ])
        .arg(&out_dir)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("half-gates only"), "{stderr}");
    assert!(!out_dir.exists(), "nothing written: {}", out_dir.display());
}
