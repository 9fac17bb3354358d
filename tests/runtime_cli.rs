//! `gcc-nn garbler` / `gcc-nn evaluator` as two spawned processes over loopback TLS 1.3
//! (the garbler holds a cloud identity and accepts the evaluator's; the evaluator pins the
//! garbler's certificate): known answers, a .dsl program compiled on the fly, and faults that
//! must end both processes with a clear error in bounded time.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_gcc-nn");
const AES128: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/circuit/tests/data/bristol/bristol_fashion/aes_128.txt"
);
const AES192: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/circuit/tests/data/bristol/bristol_fashion/aes_192.txt"
);
const TANH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/circuits/tanh.dsl");

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The identities of these tests, made once with the identity commands: `cloud.*` for the
/// garbler, `user.*` for the evaluator, `allow.txt` naming the evaluator.
fn tls_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tmp").keep().join("tls");
        let d = dir.to_string_lossy().into_owned();
        let run = |args: &[&str]| {
            let o = Command::new(BIN).args(args).output().expect("spawn");
            assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
            text(&o.stdout)
        };
        run(&["cloud-identity", "-o", &d]);
        run(&["user-identity", "-o", &d]);
        let fp = run(&["fingerprint", &format!("{d}/user.crt")]);
        std::fs::write(dir.join("allow.txt"), fp).expect("allow list");
        dir
    })
}

/// The garbler's TLS options.
fn garbler_tls() -> Vec<String> {
    let d = tls_dir();
    vec![
        "--identity".into(),
        d.to_string_lossy().into_owned(),
        "--allow-users".into(),
        d.join("allow.txt").to_string_lossy().into_owned(),
    ]
}

/// The evaluator's TLS options.
fn evaluator_tls() -> Vec<String> {
    let d = tls_dir();
    vec![
        "--identity".into(),
        d.to_string_lossy().into_owned(),
        "--cloud-cert".into(),
        d.join("cloud.crt").to_string_lossy().into_owned(),
    ]
}

/// `args` with TLS options (the garbler's if it runs the garbler), unless it asks for plain TCP.
fn with_tls(args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    if !args.contains(&"--insecure-plaintext") && !args.contains(&"--help") {
        match args.first() {
            Some(&"garbler") => v.extend(garbler_tls()),
            Some(&"evaluator") => v.extend(evaluator_tls()),
            _ => {}
        }
    }
    v
}

fn spawn(args: &[&str]) -> Child {
    let args = with_tls(args);
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gcc-nn")
}

/// Waits for `child` at most `limit`; kills it and fails the test if it takes longer.
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let t0 = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("try_wait") {
            return child.wait_with_output().expect("output");
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "process did not exit within {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const AES_PARTIES: [&str; 4] = ["--party", "0=garbler", "--party", "1=evaluator"];

fn aes_garbler(port: u16, extra: &[&str]) -> Child {
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec![
        "garbler",
        "--circuit",
        AES128,
        "--listen",
        &addr,
        "--input",
        "0=0x2b7e151628aed2a6abf7158809cf4f3c",
    ];
    args.extend(AES_PARTIES);
    args.extend(extra);
    spawn(&args)
}

fn aes_evaluator(port: u16, circuit: &str, extra: &[&str]) -> Child {
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec![
        "evaluator",
        "--circuit",
        circuit,
        "--connect",
        &addr,
        "--retry",
        "20",
        "--input",
        "1=0x3243f6a8885a308d313198a2e0370734",
    ];
    args.extend(AES_PARTIES);
    args.extend(extra);
    spawn(&args)
}

#[test]
fn aes_128_between_two_processes_gives_fips197_ciphertext_to_both() {
    let port = free_port();
    let g = aes_garbler(port, &["--reveal", "both", "--seed", "7"]);
    let e = aes_evaluator(port, AES128, &["--reveal", "both"]);
    let (eo, go) = (
        wait_bounded(e, Duration::from_secs(60)),
        wait_bounded(g, Duration::from_secs(60)),
    );
    assert!(
        go.status.success() && eo.status.success(),
        "garbler: {}\nevaluator: {}",
        text(&go.stderr),
        text(&eo.stderr)
    );
    for out in [&go, &eo] {
        assert!(
            text(&out.stdout).contains("0 = 0x3925841d02dc09fbdc118597196a0b32"),
            "stdout: {}",
            text(&out.stdout)
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("ANDs: 6400")
                && err.contains("bytes sent")
                && err.contains("semi-honest, κ = 128, σ = 40"),
            "{err}"
        );
    }
    assert!(text(&go.stderr).contains("INSECURE"), "--seed warns");
}

#[test]
fn dsl_program_compiled_on_the_fly_matches_plaintext_simulation() {
    let circuit = compiler::compile_file(
        std::path::Path::new(TANH),
        &compiler::CompileOptions::default(),
    )
    .expect("tanh.dsl compiles");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    for x in ["0.5", "-1.25", "3"] {
        let g = spawn(&[
            "garbler",
            "--circuit",
            TANH,
            "--listen",
            &addr,
            "--input",
            &format!("x={x}"),
            "--repeat",
            "3",
        ]);
        let e = spawn(&[
            "evaluator",
            "--circuit",
            TANH,
            "--connect",
            &addr,
            "--retry",
            "20",
            "--repeat",
            "3",
        ]);
        let (eo, go) = (
            wait_bounded(e, Duration::from_secs(60)),
            wait_bounded(g, Duration::from_secs(60)),
        );
        assert!(
            go.status.success() && eo.status.success(),
            "{}\n{}",
            text(&go.stderr),
            text(&eo.stderr)
        );
        // Expected: the compiler's plaintext simulation of the same circuit on the same raw input.
        let ty = dsl::Ty::Num(dsl::NumTy {
            signed: true,
            width: 16,
            frac: 12,
        });
        let raw = dsl::parse_value(x, &ty).expect("value");
        let out = circuit.simulate(&circuit::value::to_bits(raw, 16));
        let y = circuit::value::from_bits(&out);
        let shown = dsl::format_value(y, &ty);
        let stdout = text(&eo.stdout);
        assert_eq!(
            stdout.matches(&format!("y = {shown}")).count(),
            3,
            "x = {x}: {stdout}"
        );
        assert!(text(&go.stdout).contains("revealed to the other party"));
    }
}

#[test]
fn wrong_circuit_on_one_side_fails_both_with_circuit_mismatch() {
    let port = free_port();
    let g = aes_garbler(port, &[]);
    let e = aes_evaluator(port, AES192, &[]);
    let (eo, go) = (
        wait_bounded(e, Duration::from_secs(30)),
        wait_bounded(g, Duration::from_secs(30)),
    );
    assert!(!go.status.success() && !eo.status.success());
    for o in [&go, &eo] {
        assert!(
            text(&o.stderr).contains("circuit mismatch"),
            "{}",
            text(&o.stderr)
        );
    }
}

#[test]
fn three_halves_gives_the_fips197_ciphertext_and_a_scheme_mismatch_is_refused() {
    let port = free_port();
    let g = aes_garbler(port, &["--reveal", "both", "--scheme", "three-halves"]);
    let e = aes_evaluator(
        port,
        AES128,
        &["--reveal", "both", "--scheme", "three-halves"],
    );
    let (eo, go) = (
        wait_bounded(e, Duration::from_secs(60)),
        wait_bounded(g, Duration::from_secs(60)),
    );
    assert!(
        go.status.success() && eo.status.success(),
        "garbler: {}\nevaluator: {}",
        text(&go.stderr),
        text(&eo.stderr)
    );
    for out in [&go, &eo] {
        assert!(
            text(&out.stdout).contains("0 = 0x3925841d02dc09fbdc118597196a0b32"),
            "stdout: {}",
            text(&out.stdout)
        );
    }
    // Garbler on three-halves, evaluator on the default (half-gates): both refuse.
    let port = free_port();
    let g = aes_garbler(port, &["--scheme", "three-halves"]);
    let e = aes_evaluator(port, AES128, &[]);
    let (eo, go) = (
        wait_bounded(e, Duration::from_secs(30)),
        wait_bounded(g, Duration::from_secs(30)),
    );
    assert!(!go.status.success() && !eo.status.success());
    for (o, ours, theirs) in [
        (&go, "three-halves", "half-gates"),
        (&eo, "half-gates", "three-halves"),
    ] {
        let err = text(&o.stderr);
        assert!(
            err.contains("different garbling schemes")
                && err.contains(&format!("this side: --scheme {ours}"))
                && err.contains(&format!("the peer: --scheme {theirs}")),
            "{err}"
        );
    }
}

#[test]
fn evaluator_killed_mid_stream_ends_garbler_with_error() {
    let port = free_port();
    // 40000 AES instances = 256 M ANDs ≈ 8 GB of tables: far longer than the 1.5 s before the kill.
    let g = aes_garbler(port, &["--repeat", "40000", "--timeout", "10"]);
    let mut e = aes_evaluator(port, AES128, &["--repeat", "40000", "--timeout", "10"]);
    // Wait until the stream is flowing (the evaluator has handshaken), then kill it.
    std::thread::sleep(Duration::from_millis(1500));
    e.kill().expect("kill evaluator");
    let _ = e.wait();
    let go = wait_bounded(g, Duration::from_secs(30));
    assert!(!go.status.success(), "garbler must fail");
    let err = text(&go.stderr);
    // Normally the kill lands mid-stream ("garbling") or during OT; on a very slow machine
    // it may land before the evaluator connected, and the garbler's accept then times out.
    assert!(
        err.contains("error:")
            && (err.contains("garbling")
                || err.contains("OT")
                || err.contains("no evaluator connected")),
        "{err}"
    );
}

#[test]
fn garbler_killed_mid_stream_ends_evaluator_with_error() {
    let port = free_port();
    let mut g = aes_garbler(port, &["--repeat", "40000", "--timeout", "10"]);
    let e = aes_evaluator(port, AES128, &["--repeat", "40000", "--timeout", "10"]);
    std::thread::sleep(Duration::from_millis(1500));
    g.kill().expect("kill garbler");
    let _ = g.wait();
    let eo = wait_bounded(e, Duration::from_secs(30));
    assert!(!eo.status.success(), "evaluator must fail");
    let err = text(&eo.stderr);
    assert!(
        err.contains("error:")
            && (err.contains("closed")
                || err.contains("reset")
                || err.contains("I/O")
                || err.contains("connection refused")),
        "{err}"
    );
}

#[test]
fn truncated_stream_is_a_clear_error() {
    // A fake garbler: echoes a valid handshake (role flipped), then sends 5 bytes and hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let e = aes_evaluator(port, AES128, &["--timeout", "10", "--insecure-plaintext"]);
    let (mut s, _) = listener.accept().expect("accept");
    let mut hello = [0u8; runtime::driver::HANDSHAKE_BYTES];
    s.read_exact(&mut hello).expect("handshake");
    hello[12] = 1; // role: garbler
    std::io::Write::write_all(&mut s, &hello).expect("send handshake");
    std::io::Write::write_all(&mut s, &[1, 2, 3, 4, 5]).expect("send");
    // Hang up by half-closing and draining: the evaluator sends its input-label seed after
    // the handshake, and a socket closed with unread bytes sends a reset instead of an end of
    // stream (the evaluator would then see "connection reset", not a truncated stream).
    s.shutdown(std::net::Shutdown::Write).expect("half-close");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let _ = s.read_to_end(&mut Vec::new());
    drop(s);
    let eo = wait_bounded(e, Duration::from_secs(30));
    assert!(!eo.status.success());
    let err = text(&eo.stderr);
    assert!(
        err.contains("setup") && err.contains("peer closed the connection"),
        "{err}"
    );
}

#[test]
fn port_in_use_refused_connection_and_bad_inputs_are_clear_errors() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().expect("addr").port();
    let go = wait_bounded(aes_garbler(port, &[]), Duration::from_secs(30));
    assert!(!go.status.success());
    assert!(
        text(&go.stderr).contains("address already in use"),
        "{}",
        text(&go.stderr)
    );
    drop(busy);

    let closed = free_port();
    let addr = format!("127.0.0.1:{closed}");
    let mut args = vec![
        "evaluator",
        "--circuit",
        AES128,
        "--connect",
        &addr,
        "--input",
        "1=0x00",
    ];
    args.extend(AES_PARTIES);
    let eo = wait_bounded(spawn(&args), Duration::from_secs(30));
    assert!(!eo.status.success());
    assert!(
        text(&eo.stderr).contains("connection refused"),
        "{}",
        text(&eo.stderr)
    );

    let run_bad = |input: &str| {
        let mut args = vec![
            "garbler",
            "--circuit",
            AES128,
            "--listen",
            "127.0.0.1:0",
            "--input",
            input,
        ];
        args.extend(AES_PARTIES);
        let o = wait_bounded(spawn(&args), Duration::from_secs(30));
        assert!(!o.status.success());
        text(&o.stderr)
    };
    assert!(run_bad("key=0x00").contains("no input named 'key'"));
    assert!(run_bad("1=0x00").contains("supplied by the other party"));
    let too_wide = format!("0=0x1{}", "0".repeat(32));
    let err = run_bad(&too_wide);
    assert!(err.contains("'0'") && err.contains("128"), "{err}");

    let o = wait_bounded(
        spawn(&["garbler", "--circuit", AES128, "--listen", "127.0.0.1:0"]),
        Duration::from_secs(30),
    );
    assert!(
        text(&o.stderr).contains("has no owner"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn help_states_the_security_level() {
    for cmd in ["garbler", "evaluator"] {
        let o = Command::new(BIN)
            .args([cmd, "--help"])
            .output()
            .expect("run");
        let s = text(&o.stdout);
        assert!(
            s.contains("semi-honest, κ = 128, σ = 40"),
            "{cmd} --help: {s}"
        );
        assert!(
            s.contains("INSECURE"),
            "{cmd} --help mentions the insecure --seed"
        );
    }
}
