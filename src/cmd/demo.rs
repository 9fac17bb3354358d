//! `gcc-nn demo`: the README's main job. Runs the whole secure denoiser on the shipped
//! sample image with every role as its own process, exactly as a person would by hand:
//!
//! 1. noise (σ = 25 by default) is added to the shipped clean sample → `noisy.png`;
//! 2. the user: `gcc-nn keygen` (2048-bit Paillier);
//! 3. the model owner: `gcc-nn model encrypt` (the shipped model under the user's key);
//! 4. the cloud: `gcc-nn serve` on a free loopback port (a child process, log in
//!    `cloud.log`), over TLS 1.3 with its identity (`gcc-nn cloud-identity`, in `cloud/`)
//!    and an allow-list naming the user's identity (`gcc-nn user-identity`, in `keys/`);
//! 5. the user: `gcc-nn denoise --connect … --json` → `denoised.png`, pinning the cloud's
//!    certificate (`--insecure-plaintext`: plain TCP on both sides, for benchmarks);
//! 6. the secure result is compared with the plaintext fixed-point reference, and the
//!    summary printed: time per phase, CPU per side, bytes each way, PSNR.

use super::CliError;
use super::args::{ProtocolChoice, SchemeChoice};
use clap::Subcommand;
use model::GrayImage;
use model::denoise::denoise_fixed;
use model::fixed::{FIXED, FixedMlp};
use model::metrics::{add_noise, psnr_u8};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The end-to-end demonstration.
#[derive(Subcommand)]
pub(crate) enum DemoCommand {
    /// Secure denoising of the shipped sample image end to end: keygen, model encryption,
    /// a cloud process and the user, over loopback TLS 1.3 (semi-honest, κ = 128, σ = 40).
    Demo {
        /// Folder for keys, the encrypted model, the images and the cloud's log.
        #[arg(
            short = 'o',
            long = "output",
            alias = "out",
            value_name = "DIR",
            default_value = "demo-out"
        )]
        out: PathBuf,
        /// Secure protocol: `fast-rlwe` (default: linear layers on ring-LWE), `fast` (on
        /// Paillier, ≈ 4× slower), `reference` (the paper's: hours per image at 2048 bits).
        #[arg(long, value_enum, default_value = "fast-rlwe")]
        protocol: ProtocolChoice,
        /// Garbling scheme of the fast protocols: `half-gates` (default) or `three-halves`
        /// (23 % fewer garbled bytes, more hashing); passed to the user's `denoise --connect`.
        #[arg(long, value_enum, default_value = "half-gates")]
        scheme: SchemeChoice,
        /// Paillier modulus bits (2048 is the real setting).
        #[arg(long, default_value_t = 2048)]
        bits: u32,
        /// Denoise only the top-left N×N crop of the sample (quicker runs).
        #[arg(long)]
        crop: Option<usize>,
        /// Noise σ on the 0–255 scale.
        #[arg(long, default_value_t = 25.0)]
        sigma: f64,
        /// Seed of the simulated noise (the noise is test data, not a secret).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print one JSON object (fields: docs/cli.md) on stdout; the steps go to stderr.
        #[arg(long)]
        json: bool,
        /// INSECURE: plain TCP between the cloud and the user instead of TLS 1.3 (to measure
        /// the cost of TLS).
        #[arg(long)]
        insecure_plaintext: bool,
    },
}

/// Kills the cloud child if the demo stops early.
struct CloudProcess(Child);

impl Drop for CloudProcess {
    fn drop(&mut self) {
        // Already exited after its one connection in the normal case; errors are moot here.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the demo's step-by-step text goes: stdout, or stderr under `--json`.
#[derive(Clone, Copy)]
struct Narrator {
    json: bool,
}

impl Narrator {
    fn say(self, text: &str) {
        if self.json {
            eprintln!("{text}");
        } else {
            outln!("{text}");
        }
    }

    /// Where a child's stdout goes (stderr under `--json`, keeping stdout one JSON object).
    fn child_stdout(self) -> Stdio {
        if self.json {
            Stdio::from(std::io::stderr())
        } else {
            Stdio::inherit()
        }
    }
}

/// Runs the demo.
pub(crate) fn run(cmd: DemoCommand) -> Result<(), CliError> {
    let DemoCommand::Demo {
        out,
        protocol,
        scheme,
        bits,
        crop,
        sigma,
        seed,
        json,
        insecure_plaintext,
    } = cmd;
    let say = Narrator { json };
    // Refused before any key is made (the reference protocol garbles with half-gates only).
    protocol.kind().check_scheme(scheme.scheme())?;
    let t0 = Instant::now();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut clean = model::shipped::sample_image()?;
    if let Some(n) = crop {
        clean = clean.crop(0, 0, n, n)?;
    }
    let noisy = add_noise(&clean, sigma, seed);
    let (clean_path, noisy_path) = (out.join("clean.png"), out.join("noisy.png"));
    clean.save_png(&clean_path)?;
    noisy.save_png(&noisy_path)?;
    say.say(&format!(
        "[1/6] sample {}x{}, noise σ = {sigma}: {}",
        clean.width(),
        clean.height(),
        noisy_path.display(),
    ));

    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    let keys = out.join("keys");
    let enc = out.join("model.enc");
    let bits_text = bits.to_string();
    let keygen_args = [
        "keygen",
        "-o",
        path(&keys)?,
        "--bits",
        &bits_text,
        "--force",
    ];
    let keygen = step(say, 2, "user: keygen", &exe, &keygen_args)?;
    // The model owner's signing key: the cloud and the user refuse a model it did not sign.
    let owner = out.join("owner");
    let owner_args = ["model", "owner-key", "-o", path(&owner)?, "--force"];
    step(say, 3, "model owner: owner-key", &exe, &owner_args)?;
    let encrypt_args = [
        "model",
        "encrypt",
        "--user-key",
        path(&keys)?,
        "--owner-key",
        path(&owner)?,
        "-o",
        path(&enc)?,
    ];
    let upload = step(say, 3, "model owner: model encrypt", &exe, &encrypt_args)?;
    let cloud_dir = out.join("cloud");
    let link = if insecure_plaintext {
        Link::plaintext()
    } else {
        identities(say, &exe, &cloud_dir, &keys)?
    };

    let log_path = out.join("cloud.log");
    say.say(&format!(
        "[4/6] cloud: serve (child process, log in {})",
        log_path.display()
    ));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let mut cloud = CloudProcess(
        Command::new(&exe)
            .args(["serve", "--model", path(&enc)?, "--listen", "127.0.0.1:0"])
            .args(["--owner-pub", path(&owner)?])
            .args(["--max-connections", "1"])
            .args(&link.serve)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start the cloud process: {e}"))?,
    );
    let addr = listening_address(&mut cloud.0)?;
    say.say(&format!("      cloud listening on {addr}"));

    let denoised = out.join("denoised.png");
    let mut denoise_args = vec![
        "denoise",
        "--connect",
        &addr,
        "--key",
        path(&keys)?,
        "--owner-pub",
        path(&owner)?,
        "--protocol",
        protocol.kind().name(),
        "--scheme",
        scheme.scheme().name(),
        "--clean",
        path(&clean_path)?,
        path(&noisy_path)?,
        "-o",
        path(&denoised)?,
        "--json",
    ];
    denoise_args.extend(link.user.iter().map(String::as_str));
    say.say(&format!(
        "[5/6] user: denoise --connect: gcc-nn {}",
        denoise_args.join(" ")
    ));
    let user = Command::new(&exe)
        .args(denoise_args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the user's denoise: {e}"))?;
    // The cloud ends after its one connection: its final CPU time, read before it is reaped.
    let cloud_cpu = platform::cpu::final_child_cpu(cloud.0.id(), Duration::from_secs(60));
    if !user.status.success() {
        return Err(format!(
            "user: denoise --connect failed ({}); the cloud's log is in {}",
            user.status,
            log_path.display()
        )
        .into());
    }
    let user: serde_json::Value = serde_json::from_slice(&user.stdout)
        .map_err(|e| format!("user: denoise --connect --json printed no JSON object: {e}"))?;
    let status = cloud.0.wait()?;
    if !status.success() {
        return Err(format!(
            "the cloud process exited with {status}; its log is in {}",
            log_path.display()
        )
        .into());
    }

    // The user's image went through PNG: compare against the reference on that same input.
    let noisy_png = GrayImage::load(&noisy_path)?;
    // The model's own activation (what `model encrypt` put into the upload's header).
    let mlp = model::shipped::model()?;
    let fixed = FixedMlp::from_model(&mlp, FIXED, mlp.activation_for(None)?)?;
    let (reference, _) = denoise_fixed(&fixed, &noisy_png, fixed.stride)?;
    let secure = GrayImage::load(&denoised)?;
    // The reference's pixels are integers (model::pixel), so the comparison is exact.
    let identical = reference.to_u8() == secure.to_u8();
    say.say(&format!(
        "[6/6] secure output {} the plaintext fixed-point reference (8-bit pixels)",
        if identical { "equals" } else { "DIFFERS FROM" },
    ));
    let report = Report {
        keygen,
        upload,
        user: &user,
        cloud_cpu,
        total: t0.elapsed(),
        noisy_psnr: psnr_u8(&clean, &noisy_png)?,
        denoised_psnr: psnr_u8(&clean, &secure)?,
    };
    if json {
        let mut value = report.json();
        value["protocol"] = protocol.kind().name().into();
        value["scheme"] = scheme.scheme().name().into();
        value["bits"] = bits.into();
        value["crop"] = crop.into();
        value["sigma"] = sigma.into();
        value["seed"] = seed.into();
        value["output_dir"] = out.display().to_string().into();
        value["denoised"] = denoised.display().to_string().into();
        value["equal_to_reference"] = identical.into();
        value["transport"] = if insecure_plaintext {
            "plain TCP (insecure)"
        } else {
            "TLS 1.3"
        }
        .into();
        outln!("{value}");
    } else {
        report.print();
        closing_notes(
            protocol,
            &out,
            &keys,
            &enc,
            (!insecure_plaintext).then_some(&cloud_dir),
        );
    }
    if identical {
        Ok(())
    } else {
        Err("secure output differs from the plaintext fixed-point reference".into())
    }
}

/// The demo's figures: its own steps plus the user's `denoise --json` object.
struct Report<'a> {
    keygen: Duration,
    upload: Duration,
    user: &'a serde_json::Value,
    cloud_cpu: Option<Duration>,
    total: Duration,
    noisy_psnr: f64,
    denoised_psnr: f64,
}

impl Report<'_> {
    /// Every timed phase in order: keygen, the upload, the user's connection and phases.
    fn phases(&self) -> Vec<(String, f64)> {
        let mut phases = vec![
            ("user: keygen".to_string(), self.keygen.as_secs_f64()),
            (
                "model owner: upload (model encrypt)".to_string(),
                self.upload.as_secs_f64(),
            ),
            (
                "user: connect and handshake".to_string(),
                self.user["handshake_seconds"].as_f64().unwrap_or(0.0),
            ),
        ];
        if let Some(list) = self.user["phases"].as_array() {
            for p in list {
                let name = p["name"].as_str().unwrap_or("?");
                phases.push((
                    format!("user: {name}"),
                    p["seconds"].as_f64().unwrap_or(0.0),
                ));
            }
        }
        phases
    }

    fn print(&self) {
        outln!("summary ({:.1} s in all):", self.total.as_secs_f64());
        for (name, secs) in self.phases() {
            outln!("  {name:<48} {secs:>9.2} s");
        }
        let cpu = |side: Option<f64>| side.map_or("unknown".to_string(), |s| format!("{s:.1} s"));
        outln!(
            "  CPU: user {}, cloud {} (whole processes)",
            cpu(self.user["cpu_seconds"]["user"].as_f64()),
            cpu(self.cloud_cpu.map(|d| d.as_secs_f64()))
        );
        let bytes = &self.user["bytes"];
        outln!(
            "  bytes: user→cloud {:.2} MB, cloud→user {:.2} MB",
            bytes["sent"].as_f64().unwrap_or(0.0) / 1e6,
            bytes["received"].as_f64().unwrap_or(0.0) / 1e6
        );
        outln!(
            "  PSNR: noisy {:.2} dB, denoised {:.2} dB (the 8-bit images as saved against the \
             clean sample, peak 255)",
            self.noisy_psnr,
            self.denoised_psnr
        );
    }

    fn json(&self) -> serde_json::Value {
        let phases: Vec<serde_json::Value> = self
            .phases()
            .into_iter()
            .map(|(name, seconds)| serde_json::json!({ "name": name, "seconds": seconds }))
            .collect();
        serde_json::json!({
            "seconds": self.total.as_secs_f64(),
            "phases": phases,
            "cpu_seconds": {
                "user": self.user["cpu_seconds"]["user"].clone(),
                "cloud": self.cloud_cpu.map(|d| d.as_secs_f64()),
            },
            "bytes": self.user["bytes"].clone(),
            "quality": {
                "noisy_psnr_db": self.noisy_psnr,
                "denoised_psnr_db": self.denoised_psnr,
            },
            "user": self.user.clone(),
        })
    }
}

/// What the user learned, and how to reuse the shares (kept only over TLS, where the cloud
/// knows the user: `cloud_dir` holds its identity).
fn closing_notes(
    protocol: ProtocolChoice,
    out: &Path,
    keys: &Path,
    enc: &Path,
    cloud_dir: Option<&PathBuf>,
) {
    if protocol.kind().fast_engine().is_none() {
        outln!("files in {}", out.display());
        return;
    }
    outln!(
        "the user learned only the 8-bit pixels: overlap averaging ran on shares and each \
         pixel was revealed by a small garbled circuit (no per-patch outputs)"
    );
    let Some(cloud) = cloud_dir else {
        outln!(
            "files in {} (plain TCP: the cloud kept no shares)",
            out.display()
        );
        return;
    };
    outln!(
        "files in {}; both sides kept their shares ({} and {}.shares/): a later \
         `gcc-nn serve --model {} --identity {c} --allow-users {c}/allowed-users.txt` + \
         `gcc-nn denoise --connect … --key {k} --identity {k} --cloud-cert {c}/cloud.crt` \
         skips the re-sharing",
        out.display(),
        keys.display(),
        enc.display(),
        enc.display(),
        c = cloud.display(),
        k = keys.display()
    );
}

/// The transport options of both roles.
struct Link {
    /// `serve`'s: its identity and the allow-list.
    serve: Vec<String>,
    /// `denoise --connect`'s: the user's identity and the pinned cloud certificate.
    user: Vec<String>,
}

impl Link {
    /// `--insecure-plaintext` for both roles.
    fn plaintext() -> Self {
        let flag = vec!["--insecure-plaintext".to_string()];
        Self {
            serve: flag.clone(),
            user: flag,
        }
    }
}

/// Creates the cloud's identity in `cloud_dir` and the user's in `keys` (each role's own
/// command), and the cloud's allow-list naming the user (what the cloud's operator writes
/// after receiving the user's fingerprint).
fn identities(say: Narrator, exe: &Path, cloud_dir: &Path, keys: &Path) -> Result<Link, CliError> {
    let user_args = ["user-identity", "-o", path(keys)?, "--force"];
    step(say, 2, "user: TLS identity", exe, &user_args)?;
    let cloud_args = ["cloud-identity", "-o", path(cloud_dir)?, "--force"];
    step(say, 4, "cloud: TLS identity", exe, &cloud_args)?;
    let user_cert = transport::Role::User.cert_path(keys);
    let fp = transport::Fingerprint::of(&transport::identity::load_cert(&user_cert)?);
    let allow = cloud_dir.join("allowed-users.txt");
    std::fs::write(&allow, format!("{fp} demo-user\n"))
        .map_err(|e| format!("cannot write {}: {e}", allow.display()))?;
    let text = |p: &Path| path(p).map(str::to_string);
    Ok(Link {
        serve: vec![
            "--identity".into(),
            text(cloud_dir)?,
            "--allow-users".into(),
            text(&allow)?,
        ],
        user: vec![
            "--identity".into(),
            text(keys)?,
            "--cloud-cert".into(),
            text(&transport::Role::Cloud.cert_path(cloud_dir))?,
        ],
    })
}

/// Runs one role as a child process, its output shown; fails on a non-zero exit. Returns
/// the step's wall time.
fn step(
    say: Narrator,
    n: usize,
    what: &str,
    exe: &Path,
    args: &[&str],
) -> Result<Duration, CliError> {
    say.say(&format!("[{n}/6] {what}: gcc-nn {}", args.join(" ")));
    let t = Instant::now();
    let status = Command::new(exe)
        .args(args)
        .stdout(say.child_stdout())
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(t.elapsed())
    } else {
        Err(format!("{what} failed ({status})").into())
    }
}

/// Reads the cloud's `listening on ADDR` line; drains the rest of its stdout.
fn listening_address(child: &mut Child) -> Result<String, CliError> {
    let stdout = child
        .stdout
        .take()
        .ok_or("the cloud process has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(addr) = line.strip_prefix("listening on ") {
            let addr = addr.trim().to_string();
            std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
            return Ok(addr);
        }
    }
    Err("the cloud process exited before listening".into())
}

/// A path as UTF-8 text for a child's command line.
fn path(p: &Path) -> Result<&str, CliError> {
    p.to_str()
        .ok_or_else(|| format!("path is not UTF-8: {}", p.display()).into())
}
