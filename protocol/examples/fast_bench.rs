//! Fast protocol (docs/protocol.md §3) with the shipped model and 2048-bit keys: setup cost,
//! per-patch costs per side split into cross products / garbled circuits / other, and the
//! extrapolation to a 256×256 image. Both parties run in this process (two threads),
//! sharing the machine's cores as two processes would, over an in-memory channel by default
//! (`FAST_BENCH_TLS`: the link of the image runs; the setup always runs in memory).
//!
//! `cargo run -p gcc-nn-protocol --example fast_bench` (the dev profile is opt-level 3;
//! env `FAST_BENCH_SIDE`: crop side, default 40; `FAST_BENCH_KEY_BITS`: default 2048;
//! `FAST_BENCH_ENGINE`: the linear layers' engine, `paillier` (default) or `rlwe`;
//! `FAST_BENCH_ACTIVATION`: a shipped activation name or DSL file, default `tanh`, the paper's;
//! `FAST_BENCH_CHUNKS`: how the image's patches are cut for the pipeline, `auto` (default),
//! `whole` or a chunk count, or several separated by commas, run one after another in this
//! process for an old-vs-new comparison in one window, e.g. `whole,2,4`;
//! `FAST_BENCH_SCHEME`: the garbling scheme, `half-gates` (default) or `three-halves`, or both
//! separated by a comma, run one after another per chunking (interleaved in one window);
//! `FAST_BENCH_TLS`: the link between the parties, `0` (in memory, default), `1` (TLS 1.3
//! over loopback TCP with the `transport` crate, fresh identities for each run: what
//! `serve` and `denoise --connect` use) or `tcp` (plain loopback TCP), or several separated
//! by commas, run one after another per scheme (interleaved: e.g. `0,1` for TLS's cost)).
//! Each run prints the garbled bytes user → cloud (all batches' bytes the cloud receives)
//! and their extrapolation to a 256×256 image, measured and from the exact formula.
//! CPU time is the process's (both parties) from `/proc/self/stat` (Linux, `platform::cpu`).

use gcc_nn_protocol::fast::party::{run_cloud_with, run_user_chunked};
use gcc_nn_protocol::fast::schedule::Chunking;
use gcc_nn_protocol::fast::{
    CloudOutputOrShare, CrossEngine, EncryptedModel, FastReport, ModelShare, Ring, ShareCircuit,
    Simulation, UserOutput, simulate_chunked, simulate_setup,
};
use gcc_nn_protocol::timeline::Category;
use model::denoise::{denoise_fixed, quantised_patches};
use model::fixed::{FIXED, FixedMlp};
use model::patches::ImageLayout;
use model::{GrayImage, shipped};
use paillier::SecretKey;
use runtime::scheme::Scheme;
use std::time::{Duration, Instant};
use transport::{AllowList, ClientTransport, Identity, Link, Role, ServerTransport};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The comma-separated values of the environment variable `name`, or the type's default.
fn env_list<T>(name: &str) -> Result<Vec<T>, Box<dyn std::error::Error>>
where
    T: std::str::FromStr + Default,
    T::Err: std::fmt::Display,
{
    let Ok(list) = std::env::var(name) else {
        return Ok(vec![T::default()]);
    };
    list.split(',')
        .map(|s| s.trim().parse().map_err(|e| format!("{name}: {e}").into()))
        .collect()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn side_line(name: &str, r: &FastReport, patches: usize) {
    let per = |d: Duration| secs(d) * 1e3 / patches as f64;
    println!(
        "  {name:<6} per patch: cross {:>8.2} ms  gc {:>7.2} ms  other {:>6.2} ms  | sent {:>9.1} KB  received {:>9.1} KB",
        per(r.category(Category::Cross)),
        per(r.category(Category::Gc)),
        per(r.category(Category::Other)),
        r.bytes_sent as f64 / 1024.0 / patches as f64,
        r.bytes_received as f64 / 1024.0 / patches as f64,
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // FAST_BENCH_LEGACY_ZEROS=1: the INSECURE fixed-base zeros toward the key holder (the code
    // before issue 13), for the old-vs-new cost of the fix in one window; needs the feature
    // insecure-negative-controls, which this package's examples get from its dev-dependency.
    if std::env::var("FAST_BENCH_LEGACY_ZEROS").is_ok_and(|v| v == "1") {
        #[cfg(feature = "insecure-negative-controls")]
        {
            gcc_nn_protocol::fast::fresh::negative_control::set_legacy_fixed_base(true);
            println!(
                "INSECURE negative control: fixed-base short-exponent zeros toward the key holder"
            );
        }
        #[cfg(not(feature = "insecure-negative-controls"))]
        return Err("FAST_BENCH_LEGACY_ZEROS needs the feature insecure-negative-controls".into());
    }
    let side = env("FAST_BENCH_SIDE", 40);
    let bits = env("FAST_BENCH_KEY_BITS", 2048) as u32;
    let engine: CrossEngine = match std::env::var("FAST_BENCH_ENGINE") {
        Ok(name) => name.parse()?,
        Err(_) => CrossEngine::default(),
    };
    let chunkings: Vec<Chunking> = env_list("FAST_BENCH_CHUNKS")?;
    let schemes: Vec<Scheme> = env_list("FAST_BENCH_SCHEME")?;
    let links: Vec<BenchLink> = env_list("FAST_BENCH_TLS")?;
    let mut rng = rand::rng();
    let t = Instant::now();
    let user_sk = SecretKey::generate_any_size(bits, &mut rng)?;
    let cloud_sk = std::sync::Arc::new(SecretKey::generate_any_size(bits, &mut rng)?);
    println!(
        "fast protocol bench: {bits}-bit keys (two key pairs generated in {:.1} s)",
        secs(t.elapsed())
    );

    let mlp = shipped::model()?;
    let act = std::env::var("FAST_BENCH_ACTIVATION").unwrap_or_else(|_| "tanh".into());
    let fixed = FixedMlp::from_model(&mlp, FIXED, activation::Activation::resolve(&act)?)?;
    let widths: Vec<String> = mlp.widths().iter().map(|w| w.to_string()).collect();
    let weights: usize = fixed
        .layers
        .iter()
        .map(|l| l.inputs * l.outputs + l.outputs)
        .sum();
    println!(
        "shipped model {} ({} weights and biases), stride {}, activation {}",
        widths.join("→"),
        weights,
        fixed.stride,
        fixed.activation.name()
    );

    let t = Instant::now();
    let owner = gcc_nn_protocol::upload::OwnerKey::generate();
    let enc = EncryptedModel::encrypt_with_rng(&fixed, user_sk.public_key(), &owner, &mut rng)?;
    println!(
        "owner upload (model owner's cost, once): {:.1} s",
        secs(t.elapsed())
    );

    let ring = Ring::new(FIXED.ring_bits)?;
    let setup = simulate_setup(&user_sk, cloud_sk, &enc, ring)?;
    let CloudOutputOrShare::Share(cloud_share) = setup.cloud else {
        return Err("setup did not return the cloud's share".into());
    };
    let user_share = setup.user;
    println!(
        "setup, once per (user, model): {:.1} s wall; user share {} KB, cloud share {} KB on disk",
        secs(setup.wall),
        user_share.to_bytes().len() / 1024,
        cloud_share.to_bytes().len() / 1024
    );

    let circuit = ShareCircuit::for_activation(&fixed.activation, &fixed.params)?;
    let img = shipped::sample_image()?;
    if side > img.width().min(img.height()) {
        return Err(format!(
            "FAST_BENCH_SIDE={side} exceeds the {}×{} sample",
            img.width(),
            img.height()
        )
        .into());
    }
    // From (60, 60), moved up and left as far as a large side needs.
    let off = 60.min(img.width().min(img.height()) - side);
    let crop: Vec<f64> = (0..side)
        .flat_map(|y| (0..side).map(move |x| (x, y)))
        .map(|(x, y)| img.get(off + x, off + y))
        .collect();
    let noisy = model::metrics::add_noise(&GrayImage::new(side, side, crop)?, 25.0, 1);
    let (inputs, _) = quantised_patches(&fixed, &noisy, fixed.stride)?;
    let image = ImageLayout::new(side, side, fixed.geometry(fixed.stride)?)?;
    let want = denoise_fixed(&fixed, &noisy, fixed.stride)?.0.to_u8();
    let run = Run {
        engine,
        user_sk: &user_sk,
        shares: (&user_share, &cloud_share),
        circuit: &circuit,
        inputs: &inputs,
        image: &image,
        fixed: &fixed,
        setup: setup.wall,
    };
    let mut exact = true;
    for chunking in chunkings {
        for &scheme in &schemes {
            for &link in &links {
                exact &= run.image(chunking, scheme, link, &want)?;
            }
        }
    }
    if !exact {
        return Err("the fast protocol differs from the fixed-point reference".into());
    }
    Ok(())
}

/// One image run's fixed inputs.
struct Run<'a> {
    engine: CrossEngine,
    user_sk: &'a SecretKey,
    shares: (&'a ModelShare, &'a ModelShare),
    circuit: &'a ShareCircuit,
    inputs: &'a [Vec<i64>],
    image: &'a ImageLayout,
    fixed: &'a FixedMlp,
    setup: Duration,
}

impl Run<'_> {
    /// Runs the image cut as `chunking`, garbled with `scheme`, over `link`, and prints its
    /// figures; whether the pixels are `want`.
    fn image(
        &self,
        chunking: Chunking,
        scheme: Scheme,
        link: BenchLink,
        want: &[u8],
    ) -> Result<bool, Box<dyn std::error::Error>> {
        let (engine, circuit, image, fixed) = (self.engine, self.circuit, self.image, self.fixed);
        let patches = self.inputs.len();
        let side = image.width;
        // Over a socket the link is set up first (TLS handshake), outside the timed run.
        let ends = link.connect()?;
        let cpu0 = platform::cpu::own_cpu();
        let sim = match ends {
            None => simulate_chunked(
                engine,
                chunking,
                scheme,
                self.user_sk,
                self.shares,
                circuit,
                self.inputs,
                image,
                false,
            )?,
            Some(ends) => self.over(ends, chunking, scheme)?,
        };
        let cpu = platform::cpu::own_cpu()
            .zip(cpu0)
            .map(|(a, b)| a - b)
            .unwrap_or_default();
        let CloudOutputOrShare::Image(cloud) = sim.cloud else {
            return Err("image run did not return the cloud's report".into());
        };
        // The user's 8-bit image against the integer fixed-point reference, pixel for pixel.
        let exact = want == sim.user.pixels.as_slice();
        let chunks = sim.user.report.chunks;
        println!(
            "--- chunking {chunking:?}, {scheme} garbling, {link}: {chunks} chunk(s) of about {} patches",
            patches.div_ceil(chunks.max(1))
        );
        let pixels = image.pixel_count() as f64;
        println!(
            "output circuits: {} pixels, {:.1} ANDs per pixel, {:.1} KB received by the user ({:.1} B per pixel), {:.1} KB by the cloud",
            sim.user.report.pixels,
            sim.user.report.output_ands as f64 / pixels,
            sim.user.report.output_bytes_received as f64 / 1024.0,
            sim.user.report.output_bytes_received as f64 / pixels,
            cloud.report.output_bytes_received as f64 / 1024.0
        );
        println!(
            "image {side}×{side} (linear layers on {engine}): {patches} patches, {:.1} s wall ({:.1} ms per patch), {} ANDs per activation, exact vs fixed-point reference: {}",
            secs(sim.wall),
            secs(sim.wall) * 1e3 / patches as f64,
            circuit.and_count(),
            if exact { "yes" } else { "NO" }
        );
        println!(
            "  CPU (both parties): {:.1} s = {:.1} ms per patch; ideal 2-core wall {:.1} ms per patch",
            secs(cpu),
            secs(cpu) * 1e3 / patches as f64,
            secs(cpu) * 500.0 / patches as f64
        );
        side_line("user", &sim.user.report, patches);
        side_line("cloud", &cloud.report, patches);
        for (name, r) in [("user", &sim.user.report), ("cloud", &cloud.report)] {
            println!("  {name} phases:");
            for (p, d) in &r.phases() {
                println!("    {p:<45} {:>8.3} s", secs(*d));
            }
        }
        let full = fixed.geometry(fixed.stride)?.patch_count(256, 256);
        let scale = full as f64 / patches as f64;
        println!(
            "extrapolated 256×256 ({full} patches at stride {}): {:.0} s wall as measured ({:.1} min), CPU {:.0} s (≥ {:.1} min on 2 idle cores), user sends {:.0} MB, cloud sends {:.0} MB; setup once {:.0} s",
            fixed.stride,
            secs(sim.wall) * scale,
            secs(sim.wall) * scale / 60.0,
            secs(cpu) * scale,
            secs(cpu) * scale / 120.0,
            sim.user.report.bytes_sent as f64 * scale / 1e6,
            cloud.report.bytes_sent as f64 * scale / 1e6,
            secs(self.setup),
        );
        gc_bytes_line(
            &cloud.report,
            scheme,
            circuit.and_count(),
            (patches, full),
            fixed,
        );
        if engine == CrossEngine::Rlwe {
            // RLWE packs a whole layer of an image into a few polynomials: its costs grow by
            // polynomial, not by patch, so a small crop's per-patch figures overstate an image.
            let (up, down) = rlwe_image_bytes(fixed, full, self.shares.0.ring.k)?;
            println!(
                "RLWE linear layers of a 256×256 image, exact from the layouts: user sends {:.1} MB, cloud sends {:.1} MB (CPU and wall: run FAST_BENCH_SIDE=256)",
                up as f64 / 1e6,
                down as f64 / 1e6
            );
        }
        Ok(exact)
    }
}

impl Run<'_> {
    /// The image run of both parties over the connected `(cloud, user)` ends of a socket.
    fn over(
        &self,
        (mut cloud_end, mut user_end): (Link, Link),
        chunking: Chunking,
        scheme: Scheme,
    ) -> Result<Simulation<UserOutput>, Box<dyn std::error::Error>> {
        let (engine, circuit, image) = (self.engine, self.circuit, self.image);
        let user_pk = self.user_sk.public_key().clone();
        let start = Instant::now();
        std::thread::scope(|s| {
            let cloud = s.spawn(|| {
                let (share, rng) = (self.shares.1, &mut rand::rng());
                run_cloud_with(engine, &mut cloud_end, &user_pk, share, circuit, false, rng)
            });
            let user = run_user_chunked(
                engine,
                chunking,
                scheme,
                &mut user_end,
                self.user_sk,
                self.shares.0,
                circuit,
                self.inputs,
                image,
                &mut rand::rng(),
            );
            let cloud = cloud.join().map_err(|_| "the cloud thread panicked")?;
            Ok(Simulation {
                user: user?,
                cloud: CloudOutputOrShare::Image(Box::new(cloud?)),
                wall: start.elapsed(),
            })
        })
    }
}

/// The link of an image run (`FAST_BENCH_TLS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum BenchLink {
    /// An in-memory channel (`0`).
    #[default]
    Memory,
    /// TLS 1.3 over loopback TCP, fresh identities (`1`).
    Tls,
    /// Plain loopback TCP (`tcp`).
    Tcp,
}

impl std::str::FromStr for BenchLink {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "0" | "mem" | "memory" => Ok(Self::Memory),
            "1" | "tls" => Ok(Self::Tls),
            "tcp" | "plain" => Ok(Self::Tcp),
            other => Err(format!("unknown link `{other}` (0, 1 or tcp)")),
        }
    }
}

impl std::fmt::Display for BenchLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Memory => "in memory",
            Self::Tls => "TLS 1.3 over loopback",
            Self::Tcp => "plain TCP over loopback",
        })
    }
}

impl BenchLink {
    /// The connected `(cloud, user)` ends over 127.0.0.1 (`None` in memory).
    fn connect(self) -> Result<Option<(Link, Link)>, Box<dyn std::error::Error>> {
        let (server, client) = match self {
            Self::Memory => return Ok(None),
            Self::Tls => {
                let cloud = Identity::generate(Role::Cloud)?;
                let user = Identity::generate(Role::User)?;
                let allow = AllowList::of(vec![(user.fingerprint(), "bench user".into())]);
                (
                    ServerTransport::tls(&cloud, allow)?,
                    ClientTransport::tls(&user, cloud.fingerprint())?,
                )
            }
            Self::Tcp => (
                ServerTransport::InsecurePlaintext,
                ClientTransport::InsecurePlaintext,
            ),
        };
        let timeout = Duration::from_secs(3600);
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        let accept = std::thread::spawn(move || -> Result<Link, String> {
            let (stream, _) = listener.accept().map_err(|e| e.to_string())?;
            server.accept(stream, timeout).map_err(|e| e.to_string())
        });
        let user = client.connect(&addr, timeout)?;
        let cloud = accept.join().map_err(|_| "the accept thread panicked")??;
        if self == Self::Tls && !(cloud.is_tls() && user.is_tls()) {
            return Err("the TLS link is not TLS".into());
        }
        Ok(Some((cloud, user)))
    }
}

/// The garbled bytes user → cloud (everything the cloud receives during the garbled
/// batches) of this run, and extrapolated to a 256×256 image (`patches.1` patches, 65,536
/// pixels): measured (the activations scaled by patches, the output circuits by pixels)
/// and from the exact formula (AND gates × the scheme's material per AND; the batches'
/// handshakes, base OTs and decoding bits left out; the user's input labels are not sent).
fn gc_bytes_line(
    cloud: &FastReport,
    scheme: Scheme,
    ands: usize,
    (patches, full): (usize, usize),
    fixed: &FixedMlp,
) {
    let all: u64 = cloud.gc_bytes_received.iter().sum();
    let output = cloud.output_bytes_received;
    let activation = all - output;
    let pixels = cloud.pixels.max(1) as f64;
    let scale = full as f64 / patches as f64;
    let measured = activation as f64 * scale + output as f64 * 65536.0 / pixels;
    // Instances × the scheme's exact material per instance (24·n + ⌈5n/8⌉ for three-halves).
    let per_patch = cloud.activations / patches.max(1) as u64;
    let out_per_pixel = cloud.output_ands / cloud.pixels.max(1);
    let act_ands = full as u64 * per_patch * ands as u64;
    let out_ands = 65536 * out_per_pixel;
    let formula = (full as u64 * per_patch) as f64 * scheme.material_bytes(ands) as f64
        + 65536.0 * scheme.material_bytes(out_per_pixel as usize) as f64;
    println!(
        "  garbled bytes user → cloud ({scheme}): {:.2} MB here ({:.2} MB activations, {:.2} MB \
         output); 256×256 at stride {}: {:.2} GB measured-extrapolated, {:.2} GB from the \
         formula ({:.0} M activation ANDs + {:.1} M output ANDs × {} B per AND)",
        all as f64 / 1e6,
        activation as f64 / 1e6,
        output as f64 / 1e6,
        fixed.stride,
        measured / 1e9,
        formula / 1e9,
        act_ands as f64 / 1e6,
        out_ands as f64 / 1e6,
        scheme.material_bytes(8) as f64 / 8.0,
    );
}

/// Bytes of the RLWE cross products of `patches` patches each way (user → cloud, cloud →
/// user): cross product 1 of every layer (the user's inputs up, the results down), cross
/// product 2 of every layer but the first (the cloud's inputs down, the results up).
fn rlwe_image_bytes(
    fixed: &FixedMlp,
    patches: usize,
    k: u32,
) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let (mut up, mut down) = (0, 0);
    for (li, l) in fixed.layers.iter().enumerate() {
        let layout = rlwe::Layout::choose(l.inputs, l.outputs, patches, k)?;
        let inputs = layout.input_count() * layout.input_bytes();
        let results = layout.bytes() - inputs;
        up += inputs;
        down += results;
        if li > 0 {
            down += inputs;
            up += results;
        }
    }
    Ok((up, down))
}
