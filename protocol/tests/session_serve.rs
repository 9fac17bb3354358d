//! The serve loop under failing sessions: a panic inside one session is logged and the
//! server goes on; a session over its time limit is cut even while its peer keeps the
//! connection open.

extern crate gcc_nn_protocol as protocol;

use protocol::session::SessionError;
use protocol::session::serve::{Connection, Handler, Log, ServeOptions, serve_with};
use runtime::channel::{Channel, TcpChannel};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Lines = Arc<Mutex<Vec<String>>>;

/// Serves `handler` on a free port in a thread; returns the address, the log lines and the
/// thread (which ends after `opts.max_connections`).
fn start(opts: ServeOptions, handler: Handler) -> (String, Lines, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let lines: Lines = Arc::default();
    let sink = Arc::clone(&lines);
    let log: Log = Arc::new(move |l: String| sink.lock().expect("log").push(l));
    let h = std::thread::spawn(move || serve_with(&listener, &opts, log, handler).expect("serve"));
    (addr, lines, h)
}

fn connect(addr: &str) -> TcpChannel {
    TcpChannel::connect(addr, Duration::from_secs(30)).expect("connect")
}

#[test]
fn a_panicking_session_is_logged_and_the_server_serves_the_next_user() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    let handler: Handler = Arc::new(move |conn: &mut Connection| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("session bug on purpose");
        }
        let mut b = [0u8; 1];
        conn.channel
            .recv_exact(&mut b)
            .map_err(|e| SessionError::Io(e.to_string()))?;
        Ok(format!("served byte {}", b[0]))
    });
    let opts = ServeOptions {
        max_sessions: 1,
        max_connections: Some(2),
        ..ServeOptions::default()
    };
    let (addr, lines, server) = start(opts, handler);
    let mut first = connect(&addr);
    // The panicking session's connection is dropped: reading from it ends.
    let mut b = [0u8; 1];
    assert!(first.recv_exact(&mut b).is_err());
    // Its slot is free again (max_sessions is 1): the next user is served.
    let mut second = connect(&addr);
    second.send(&[42]).expect("send");
    second.flush().expect("flush");
    server.join().expect("the serve loop returns normally");
    let log = lines.lock().expect("log").join("\n");
    assert!(
        log.contains("session panicked (session bug on purpose)"),
        "{log}"
    );
    assert!(log.contains("served byte 42"), "{log}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_session_over_its_time_limit_is_cut_while_the_peer_holds_on() {
    let handler: Handler = Arc::new(|conn: &mut Connection| {
        // Waits far longer than the session limit (the read timeout is 60 s).
        let mut b = [0u8; 1];
        conn.channel
            .recv_exact(&mut b)
            .map_err(|e| SessionError::Io(e.to_string()))?;
        Ok("unexpected".into())
    });
    let opts = ServeOptions {
        max_sessions: 2,
        max_connections: Some(1),
        timeout: Duration::from_secs(60),
        handshake_timeout: Duration::from_secs(60),
        session_limit: Some(Duration::from_secs(1)),
        ..ServeOptions::default()
    };
    let t = Instant::now();
    let (addr, lines, server) = start(opts, handler);
    let mut user = connect(&addr);
    let mut b = [0u8; 1];
    assert!(
        user.recv_exact(&mut b).is_err(),
        "the server closed the session"
    );
    server.join().expect("serve loop");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let log = lines.lock().expect("log").join("\n");
    assert!(log.contains("session time limit of 1 s reached"), "{log}");
    assert!(log.contains("request failed"), "{log}");
}

/// A handler that reads one byte under the handshake timeout, switches to the job timeout
/// and reads another; logs how long the second read waited.
fn two_phase_handler() -> Handler {
    Arc::new(|conn: &mut Connection| {
        let io = |e: runtime::channel::ChannelError| SessionError::Io(e.to_string());
        let mut b = [0u8; 1];
        conn.channel.recv_exact(&mut b).map_err(io)?;
        conn.start_job()?;
        let t = Instant::now();
        conn.channel.recv_exact(&mut b).map_err(io)?;
        Ok(format!("job byte after {} ms", t.elapsed().as_millis()))
    })
}

#[test]
fn a_silent_connection_is_dropped_after_the_handshake_timeout_not_the_job_timeout() {
    let opts = ServeOptions {
        max_sessions: 1,
        max_connections: Some(2),
        timeout: Duration::from_secs(60),
        handshake_timeout: Duration::from_secs(1),
        session_limit: None,
        ..ServeOptions::default()
    };
    let (addr, lines, server) = start(opts, two_phase_handler());
    // Silent from the start: cut after the 1 s handshake timeout, not the 60 s one.
    let t = Instant::now();
    let mut silent = connect(&addr);
    let mut b = [0u8; 1];
    assert!(silent.recv_exact(&mut b).is_err());
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    // Past the handshake, a pause longer than the handshake timeout is fine.
    let mut user = connect(&addr);
    user.send(&[1]).and_then(|()| user.flush()).expect("send");
    std::thread::sleep(Duration::from_millis(2500));
    user.send(&[2]).and_then(|()| user.flush()).expect("send");
    server.join().expect("serve loop");
    let log = lines.lock().expect("log").join("\n");
    assert!(
        log.contains("request failed") && log.contains("timed out"),
        "{log}"
    );
    assert!(log.contains("job byte after"), "{log}");
}

#[test]
fn a_log_sink_that_panics_does_not_stop_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let opts = ServeOptions {
        max_sessions: 1,
        max_connections: Some(2),
        ..ServeOptions::default()
    };
    // Like `eprintln!` when stderr is a closed pipe.
    let log: Log = Arc::new(|_line: String| panic!("log sink broken"));
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    let handler: Handler = Arc::new(move |conn: &mut Connection| {
        let mut b = [0u8; 1];
        conn.channel
            .recv_exact(&mut b)
            .map_err(|e| SessionError::Io(e.to_string()))?;
        count.fetch_add(1, Ordering::SeqCst);
        Ok("ok".into())
    });
    let server =
        std::thread::spawn(move || serve_with(&listener, &opts, log, handler).expect("serve"));
    for k in 0..2u8 {
        let mut user = connect(&addr);
        user.send(&[k]).and_then(|()| user.flush()).expect("send");
        // Wait for the session to end before the next user (one slot).
        let mut b = [0u8; 1];
        assert!(user.recv_exact(&mut b).is_err());
    }
    server
        .join()
        .expect("the accept loop survived its log sink");
    assert_eq!(served.load(Ordering::SeqCst), 2);
}
