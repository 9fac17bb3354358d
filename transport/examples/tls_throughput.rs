//! Raw throughput of the link over loopback: one direction, the sender's and the receiver's
//! thread in this process, TLS 1.3 (AES-128-GCM, fresh identities) against plain TCP,
//! interleaved run by run. Prints per run the wall rate and each side's thread CPU time, and
//! at the end the medians and TLS's extra CPU per GB over plain TCP (what TLS adds to a
//! protocol moving that many bytes).
//!
//! `cargo run --release -p gcc-nn-transport --example tls_throughput` (env `TLS_BENCH_MB`:
//! megabytes per run, default 2048; `TLS_BENCH_RUNS`: runs of each link, default 3).
//! CPU times are the threads' own (`platform::cpu::thread_cpu`, Linux).

use gcc_nn_transport::{AllowList, ClientTransport, Identity, Link, Role, ServerTransport};
use runtime::channel::{BUF_SIZE, Channel};
use std::net::TcpListener;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One run's figures: wall seconds, the sender's and the receiver's thread CPU seconds.
struct Figures {
    wall: f64,
    send_cpu: f64,
    recv_cpu: f64,
}

/// A connected pair of links over 127.0.0.1 (server end, client end).
fn pair(server: ServerTransport, client: ClientTransport) -> Result<(Link, Link), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener
        .local_addr()
        .map_err(|e| e.to_string())?
        .to_string();
    let accept = std::thread::spawn(move || {
        let (stream, _) = listener.accept().map_err(|e| e.to_string())?;
        server.accept(stream, TIMEOUT).map_err(|e| e.to_string())
    });
    let client = client.connect(&addr, TIMEOUT).map_err(|e| e.to_string())?;
    let server = accept.join().map_err(|_| "accept thread panicked")??;
    Ok((server, client))
}

fn cpu() -> f64 {
    platform::cpu::thread_cpu().map_or(f64::NAN, |d| d.as_secs_f64())
}

/// Sends `bytes` from the client end to the server end in `BUF_SIZE` writes.
fn run(server: Link, client: Link, bytes: usize) -> Result<Figures, String> {
    let chunk = vec![0x5au8; BUF_SIZE];
    let start = Instant::now();
    let receiver = std::thread::spawn(move || -> Result<f64, String> {
        let mut server = server;
        let c0 = cpu();
        let mut buf = vec![0u8; BUF_SIZE];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(BUF_SIZE);
            server
                .recv_exact(&mut buf[..n])
                .map_err(|e| e.to_string())?;
            left -= n;
        }
        // One byte back: the sender's clock stops once everything arrived.
        server
            .send(&[1])
            .and_then(|()| server.flush())
            .map_err(|e| e.to_string())?;
        Ok(cpu() - c0)
    });
    let mut client = client;
    let c0 = cpu();
    let mut left = bytes;
    while left > 0 {
        let n = left.min(BUF_SIZE);
        client.send(&chunk[..n]).map_err(|e| e.to_string())?;
        left -= n;
    }
    let mut ack = [0u8; 1];
    client.recv_exact(&mut ack).map_err(|e| e.to_string())?;
    let send_cpu = cpu() - c0;
    let wall = start.elapsed().as_secs_f64();
    let recv_cpu = receiver.join().map_err(|_| "receiver panicked")??;
    Ok(Figures {
        wall,
        send_cpu,
        recv_cpu,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mb = env("TLS_BENCH_MB", 2048);
    let runs = env("TLS_BENCH_RUNS", 3).max(1);
    let bytes = mb << 20;
    let gb = bytes as f64 / 1e9;
    let cloud = Identity::generate(Role::Cloud)?;
    let user = Identity::generate(Role::User)?;
    let allow = AllowList::of(vec![(user.fingerprint(), "bench user".into())]);
    let tls = (
        ServerTransport::tls(&cloud, allow)?,
        ClientTransport::tls(&user, cloud.fingerprint())?,
    );
    let plain = (
        ServerTransport::InsecurePlaintext,
        ClientTransport::InsecurePlaintext,
    );
    println!("link throughput over loopback: {mb} MiB per run, user → cloud, {runs} runs each");
    let mut per_gb = [Vec::new(), Vec::new()];
    let mut rates = [Vec::new(), Vec::new()];
    for r in 0..runs {
        for (k, (name, (s, c))) in [("plain TCP", &plain), ("TLS 1.3", &tls)]
            .into_iter()
            .enumerate()
        {
            let (server, client) = pair(s.clone(), c.clone())?;
            if k == 1 && !(server.is_tls() && client.is_tls()) {
                return Err("the TLS pair is not TLS".into());
            }
            let f = run(server, client, bytes)?;
            let cpu = f.send_cpu + f.recv_cpu;
            println!(
                "run {} {name:<9}: {:.2} GB/s wall; CPU sender {:.2} s, receiver {:.2} s = {:.2} CPU-s per GB",
                r + 1,
                gb / f.wall,
                f.send_cpu,
                f.recv_cpu,
                cpu / gb
            );
            per_gb[k].push(cpu / gb);
            rates[k].push(gb / f.wall);
        }
    }
    let (plain_cpu, tls_cpu) = (median(per_gb[0].clone()), median(per_gb[1].clone()));
    let extra = tls_cpu - plain_cpu;
    println!(
        "medians: plain TCP {:.2} GB/s wall, {plain_cpu:.2} CPU-s/GB; TLS 1.3 {:.2} GB/s wall, {tls_cpu:.2} CPU-s/GB",
        median(rates[0].clone()),
        median(rates[1].clone())
    );
    println!(
        "TLS adds {extra:.2} CPU-s per GB (both ends) = {:.2} GB/s per core of encryption + decryption; for 18 GB user → cloud: +{:.0} CPU-s",
        1.0 / extra.max(f64::MIN_POSITIVE),
        18.0 * extra
    );
    Ok(())
}
