//! `gcc-nn garbler` / `gcc-nn evaluator` / `gcc-nn bench-gc`: run a circuit between two
//! parties with garbled circuits (semi-honest, κ = 128, σ = 40), and measure throughput.
//!
//! `--circuit` takes a `.dsl` program (compiled on the fly), a compact binary circuit, or a
//! Bristol file (Bristol Fashion or the old format; a `FILE.meta.json` side file beside it,
//! or `--meta`, gives names, parties and formats; otherwise `--party` flags assign owners).

use super::CliError;
use super::args::SchemeChoice;
use clap::{Args, Subcommand, ValueEnum};
use compiler::report::{self, value_type};
use compiler::{Circuit, Party, ValueFormat};
use runtime::channel::{accept_tcp, connect_tcp};
use runtime::driver::{
    Reveal, RunOutput, TwoPartyCircuit, run_evaluator_with_scheme, run_garbler_with_scheme,
};
use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod bench;

/// Garbled-circuit commands.
#[derive(Subcommand)]
pub(crate) enum GcCommand {
    /// Garble a circuit for one evaluator that connects to ADDR (semi-honest, κ = 128, σ = 40).
    Garbler(GarblerArgs),
    /// Connect to a garbler at ADDR and evaluate the circuit (semi-honest, κ = 128, σ = 40).
    Evaluator(EvaluatorArgs),
    /// Measure garbling, evaluation and OT-extension throughput (in memory and over loopback TCP).
    BenchGc(BenchArgs),
}

/// Who learns the outputs.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum RevealArg {
    /// Only the evaluator.
    Evaluator,
    /// Only the garbler.
    Garbler,
    /// Both parties.
    Both,
}

/// Options shared by both parties.
#[derive(Args)]
pub(crate) struct CommonArgs {
    /// Circuit: a .dsl program, a binary circuit, or a Bristol (Fashion or old) file.
    #[arg(long, value_name = "FILE")]
    circuit: PathBuf,
    /// An input value this party supplies: NAME=VALUE (program formats, e.g. x=0.5; for
    /// plain Bristol values NAME is the value index and VALUE hex 0x… or decimal). Repeatable.
    #[arg(long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
    /// Owner of an input value of a Bristol file without side file: NAME=garbler|evaluator.
    #[arg(long = "party", value_name = "NAME=PARTY")]
    parties: Vec<String>,
    /// Side file with names, parties and formats for a Bristol file (default: FILE.meta.json if present).
    #[arg(long, value_name = "FILE")]
    meta: Option<PathBuf>,
    /// Who learns the outputs (both sides must agree).
    #[arg(long, value_enum, default_value = "evaluator")]
    reveal: RevealArg,
    /// Run the circuit this many times on the same inputs as one batch (one OT extension, one stream).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Garbling scheme (both sides must agree; the handshake refuses a mismatch).
    #[arg(long, value_enum, default_value = "half-gates")]
    scheme: SchemeChoice,
    /// Seconds to wait for the peer before giving up.
    #[arg(
        long,
        alias = "timeout-secs",
        value_name = "SECS",
        default_value_t = 60
    )]
    timeout: u64,
    /// INSECURE: derive all randomness from this seed (reproducible test runs only).
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON object (outputs and figures; fields: docs/cli.md) instead of text.
    #[arg(long)]
    json: bool,
}

/// Garbler options.
#[derive(Args)]
pub(crate) struct GarblerArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Address to listen on, e.g. 127.0.0.1:7000.
    #[arg(long, value_name = "ADDR")]
    listen: String,
    /// TLS: this side's identity (cloud.key/cloud.crt) and the evaluators it accepts.
    #[command(flatten)]
    tls: super::identity::ServerTlsArgs,
}

/// Evaluator options.
#[derive(Args)]
pub(crate) struct EvaluatorArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Address of the garbler, e.g. 127.0.0.1:7000.
    #[arg(long, value_name = "ADDR")]
    connect: String,
    /// Keep retrying a refused connection for this many seconds (0: fail at once).
    #[arg(
        long = "wait",
        alias = "retry",
        value_name = "SECS",
        default_value_t = 0
    )]
    retry: u64,
    /// TLS: this side's identity (user.key/user.crt) and the garbler's pinned certificate.
    #[command(flatten)]
    tls: super::identity::ClientTlsArgs,
}

/// Benchmark options.
#[derive(Args)]
pub(crate) struct BenchArgs {
    /// AND gates of the random benchmark circuit.
    #[arg(long, default_value_t = 1 << 20)]
    ands: u32,
    /// Also time this circuit file (e.g. the AES-128 Bristol file), repeated to ≥ 1M ANDs.
    #[arg(long, value_name = "FILE")]
    circuit: Option<PathBuf>,
    /// Correlated OTs for the OT-extension measurements (comma-separated counts).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize << 20, 1 << 23])]
    ots: Vec<usize>,
    /// Repetitions of each measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Garbling scheme of the garbling/evaluation/loopback measurements.
    #[arg(long, value_enum, default_value = "half-gates")]
    scheme: SchemeChoice,
    /// Print one JSON object (fields: docs/cli.md) instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs a garbled-circuit command.
pub(crate) fn run(cmd: GcCommand) -> Result<(), CliError> {
    match cmd {
        GcCommand::Garbler(a) => garbler(a),
        GcCommand::Evaluator(a) => evaluator(a),
        GcCommand::BenchGc(a) => bench::bench(a),
    }
}

fn rng_for(seed: Option<u64>) -> runtime::prg::SessionRng {
    match seed {
        Some(s) => {
            eprintln!(
                "warning: --seed {s}: all randomness is derived from a fixed seed. INSECURE, for tests only."
            );
            runtime::prg::insecure_seeded_rng(s)
        }
        None => runtime::prg::os_seeded_rng(),
    }
}

fn garbler(a: GarblerArgs) -> Result<(), CliError> {
    let timeout = Duration::from_secs(a.common.timeout);
    let (tpc, bits) = prepare(&a.common, Party::Garbler)?;
    let transport = a.tls.transport("garbler")?;
    let listener = TcpListener::bind(&a.listen).map_err(|e| match e.kind() {
        ErrorKind::AddrInUse => format!("cannot listen on {}: address already in use (is another garbler running? choose another port)", a.listen),
        _ => format!("cannot listen on {}: {e}", a.listen),
    })?;
    eprintln!(
        "garbler: listening on {} (semi-honest, κ = 128, σ = 40)",
        a.listen
    );
    let t0 = Instant::now();
    let stream = accept_tcp(&listener, timeout).map_err(|e| {
        format!(
            "no evaluator connected to {} within {}s: {e}",
            a.listen, a.common.timeout
        )
    })?;
    let mut ch = transport.accept(stream, timeout)?;
    let mut rng = rng_for(a.common.seed);
    let inputs = vec![bits; a.common.repeat];
    let (reveal, scheme) = (reveal(a.common.reveal), a.common.scheme.scheme());
    let out = run_garbler_with_scheme(&mut ch, &tpc, &inputs, reveal, scheme, &mut rng)?;
    report(&tpc, &out, t0.elapsed(), "garbler", a.common.json);
    Ok(())
}

fn evaluator(a: EvaluatorArgs) -> Result<(), CliError> {
    let timeout = Duration::from_secs(a.common.timeout);
    let (tpc, bits) = prepare(&a.common, Party::Evaluator)?;
    let transport = a.tls.transport("evaluator")?;
    let t0 = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(a.retry);
    let stream = loop {
        match connect_tcp(&a.connect, timeout) {
            Ok(s) => break s,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                return Err(format!(
                    "cannot connect to {}: connection refused (is a garbler listening there?)",
                    a.connect
                )
                .into());
            }
            Err(e) => return Err(format!("cannot connect to {}: {e}", a.connect).into()),
        }
    };
    let mut ch = transport.start(stream, timeout)?;
    let mut rng = rng_for(a.common.seed);
    let inputs = vec![bits; a.common.repeat];
    let (reveal, scheme) = (reveal(a.common.reveal), a.common.scheme.scheme());
    let out = run_evaluator_with_scheme(&mut ch, &tpc, &inputs, reveal, scheme, &mut rng)?;
    report(&tpc, &out, t0.elapsed(), "evaluator", a.common.json);
    Ok(())
}

fn reveal(r: RevealArg) -> Reveal {
    match r {
        RevealArg::Evaluator => Reveal::Evaluator,
        RevealArg::Garbler => Reveal::Garbler,
        RevealArg::Both => Reveal::Both,
    }
}

/// Loads the circuit, assigns parties and encodes this party's inputs as bits.
fn prepare(a: &CommonArgs, me: Party) -> Result<(TwoPartyCircuit, Vec<bool>), CliError> {
    if a.repeat == 0 {
        return Err("--repeat must be at least 1".into());
    }
    let circuit = load_circuit(&a.circuit, a.meta.as_deref())?;
    let parties = assign_parties(&circuit, &a.parties)?;
    let tpc = TwoPartyCircuit::with_parties(circuit, parties)?;
    let bits = encode_inputs(&tpc, me, &a.inputs)?;
    Ok((tpc, bits))
}

/// Reads a .dsl, binary or Bristol circuit (applying a side file if there is one).
fn load_circuit(path: &Path, meta: Option<&Path>) -> Result<Circuit, CliError> {
    Ok(report::load_any(
        path,
        meta,
        &compiler::CompileOptions::default(),
    )?)
}

fn parse_party(s: &str) -> Option<Party> {
    match s.to_ascii_lowercase().as_str() {
        "garbler" | "g" => Some(Party::Garbler),
        "evaluator" | "e" => Some(Party::Evaluator),
        _ => None,
    }
}

fn assign_parties(c: &Circuit, flags: &[String]) -> Result<Vec<Party>, CliError> {
    let mut parties: Vec<Option<Party>> = c.inputs.iter().map(|v| v.party).collect();
    for f in flags {
        let (name, p) = f
            .split_once('=')
            .ok_or_else(|| format!("--party {f}: expected NAME=garbler|evaluator"))?;
        let party = parse_party(p)
            .ok_or_else(|| format!("--party {f}: party must be garbler or evaluator"))?;
        let idx = c
            .inputs
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| {
                format!(
                    "--party {f}: no input named '{name}' (inputs: {})",
                    names(c.inputs.iter().map(|v| v.name.as_str()))
                )
            })?;
        parties[idx] = Some(party);
    }
    parties
        .iter()
        .zip(&c.inputs)
        .map(|(p, v)| {
            p.ok_or_else(|| {
                format!(
                    "input '{}' has no owner: pass --party {}=garbler|evaluator or a side file",
                    v.name, v.name
                )
                .into()
            })
        })
        .collect()
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// Parses VALUE into `width` bits, LSB first.
fn value_bits(name: &str, text: &str, format: ValueFormat) -> Result<Vec<bool>, CliError> {
    let width = format.width();
    if width <= 128 {
        let raw = dsl::parse_value(text.trim(), &value_type(format))
            .map_err(|e| format!("input '{name}': {e}"))?;
        return Ok(circuit::value::to_bits(raw, width));
    }
    // Wide plain values (e.g. a 512-bit SHA block): hex only, as one big-endian integer.
    circuit::value::parse_hex(text, width).map_err(|e| format!("input '{name}': {e}").into())
}

fn encode_inputs(
    tpc: &TwoPartyCircuit,
    me: Party,
    given: &[String],
) -> Result<Vec<bool>, CliError> {
    let c = tpc.circuit();
    let mine: Vec<usize> = (0..c.inputs.len())
        .filter(|&i| tpc.parties()[i] == me)
        .collect();
    let role = if me == Party::Garbler {
        "garbler"
    } else {
        "evaluator"
    };
    let mut values: Vec<Option<Vec<bool>>> = vec![None; c.inputs.len()];
    for g in given {
        let (name, text) = g
            .split_once('=')
            .ok_or_else(|| format!("--input {g}: expected NAME=VALUE"))?;
        let idx = c
            .inputs
            .iter()
            .position(|v| v.name == name)
            .ok_or_else(|| {
                format!(
                    "--input {g}: no input named '{name}' (the {role}'s inputs are: {})",
                    names(mine.iter().map(|&i| c.inputs[i].name.as_str()))
                )
            })?;
        if tpc.parties()[idx] != me {
            return Err(format!(
                "--input {g}: '{name}' is supplied by the other party, not the {role}"
            )
            .into());
        }
        if values[idx].is_some() {
            return Err(format!("--input {g}: '{name}' given twice").into());
        }
        values[idx] = Some(value_bits(name, text, c.inputs[idx].format)?);
    }
    let mut bits = Vec::new();
    for &i in &mine {
        let v = values[i].take().ok_or_else(|| {
            format!(
                "missing --input {}=VALUE (the {role} supplies it)",
                c.inputs[i].name
            )
        })?;
        bits.extend(v);
    }
    Ok(bits)
}

/// Formats `bits` (LSB first) as a value of `format`.
fn format_bits(bits: &[bool], format: ValueFormat, plain: bool) -> String {
    if bits.len() > 128 || plain {
        return circuit::value::to_hex(bits);
    }
    dsl::format_value(circuit::value::from_bits(bits), &value_type(format))
}

/// The revealed outputs, per instance: (name, value as text), in the circuit's order.
fn shown_outputs(c: &Circuit, instances: &[Vec<bool>]) -> Vec<Vec<(String, String)>> {
    // Values straight from a Bristol file (no side file) print as hex integers.
    let plain = c.outputs.iter().all(|v| v.name.parse::<usize>().is_ok());
    instances
        .iter()
        .map(|bits| {
            let mut at = 0;
            c.outputs
                .iter()
                .map(|v| {
                    let w = v.format.width() as usize;
                    let shown = format_bits(&bits[at..at + w], v.format, plain);
                    at += w;
                    (v.name.clone(), shown)
                })
                .collect()
        })
        .collect()
}

/// Prints the outputs on stdout and the run's figures on stderr, or one JSON object.
fn report(tpc: &TwoPartyCircuit, out: &RunOutput, total: Duration, role: &str, json: bool) {
    let c = tpc.circuit();
    let outputs = out.outputs.as_deref().map(|o| shown_outputs(c, o));
    let s = &out.stats;
    let instances = s.ands.checked_div(tpc.and_count() as u64).unwrap_or(0);
    if json {
        let outputs = outputs.map(|list| {
            list.iter()
                .map(|inst| {
                    inst.iter()
                        .map(|(name, value)| serde_json::json!({ "name": name, "value": value }))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        });
        let phases: Vec<serde_json::Value> = s
            .phases
            .iter()
            .map(|(name, d)| serde_json::json!({ "name": name, "seconds": d.as_secs_f64() }))
            .collect();
        let value = serde_json::json!({
            "role": role,
            "outputs": outputs,
            "ands": s.ands,
            "ands_per_instance": tpc.and_count(),
            "instances": instances,
            "ots": s.ots,
            "bytes": { "sent": s.bytes_sent, "received": s.bytes_received },
            "phases": phases,
            "seconds": total.as_secs_f64(),
        });
        outln!("{value}");
        return;
    }
    match &outputs {
        Some(list) => {
            for (k, inst) in list.iter().enumerate() {
                for (name, shown) in inst {
                    if list.len() == 1 {
                        outln!("{name} = {shown}");
                    } else {
                        outln!("[{k}] {name} = {shown}");
                    }
                }
            }
        }
        None => outln!("(outputs are revealed to the other party only)"),
    }
    eprintln!("{role} summary (semi-honest, κ = 128, σ = 40):");
    eprintln!(
        "  ANDs: {} ({} per instance{})",
        s.ands,
        tpc.and_count(),
        if instances > 1 {
            format!(", {instances} instances")
        } else {
            String::new()
        }
    );
    eprintln!("  correlated OTs: {}", s.ots);
    eprintln!(
        "  bytes sent: {}  received: {}",
        s.bytes_sent, s.bytes_received
    );
    for (name, d) in &s.phases {
        eprintln!("  {name:<22} {:>10.3} ms", d.as_secs_f64() * 1e3);
        if name.ends_with("(streamed)") && !d.is_zero() {
            let rate = s.ands as f64 / d.as_secs_f64() / 1e6;
            eprintln!("  {:<22} {rate:>10.1} M AND/s", "  streaming rate");
        }
    }
    eprintln!(
        "  {:<22} {:>10.3} ms",
        "total (incl. connect)",
        total.as_secs_f64() * 1e3
    );
}
