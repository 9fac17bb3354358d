//! The cloud's serve loop: one thread per user, at most `max_sessions` at once (others are
//! told the server is busy); a failed request — or a panic inside one session — is logged and
//! never stops the server. Every read and write of a session gives up after
//! [`ServeOptions::handshake_timeout`] until the job request has arrived, then after
//! [`ServeOptions::timeout`]; with [`ServeOptions::session_limit`] a watchdog also cuts a
//! session that lasts too long in total (a peer trickling bytes just under the timeout).
//!
//! Each connection is first set up by [`ServeOptions::transport`]: under TLS the user's
//! certificate must be on the allow-list (an unknown user is refused inside the TLS handshake,
//! before any session byte, key generation, re-sharing or store write), then
//! [`ServeOptions::user_rate`] limits how many sessions each user starts.

use super::activation::ActivationCircuit;
use super::admit::{Limiter, UserRate};
use super::dispatch::{CloudContext, Runner};
use super::error::hex;
use super::handshake::{ProtocolKind, cloud_handshake, send_busy};
use super::wire::{JobRequest, Tag, expect_frame, send_frame};
use super::{JobStats, KeyPolicy, SessionError};
use crate::upload::{EncryptedModel, OwnerPublicKey};
use runtime::channel::{Channel, TcpChannel};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use transport::{Fingerprint, Link, ServerTransport};

pub use super::wire::{MAX_CHUNK, MAX_PATCHES};

/// What the cloud serves: an encrypted model and its activation circuit, checked at start.
pub struct CloudState {
    /// The encrypted model (public key only).
    pub model: EncryptedModel,
    /// The compiled activation circuit of the model.
    pub circuit: ActivationCircuit,
    /// Where the fast protocol keeps per-user shares between jobs (`None`: a setup per job).
    pub share_store: Option<crate::fast::store::CloudShareStore>,
    /// Which keys are accepted: the model's, and the size of the cloud's own per-user keys
    /// (the fast protocol's setup generates one of the user's key size).
    pub key_policy: KeyPolicy,
}

impl CloudState {
    /// Checks that `model` can be served by this build: signed by the model owner whose key
    /// is `owner` ([`EncryptedModel::verify_owner`], first), a production key
    /// ([`KeyPolicy::Production`]: ≥ 2048 bits, no small factor, not a perfect power),
    /// fixed-point formats, activation circuit and its hash, pre-activation bound.
    pub fn new(model: EncryptedModel, owner: &OwnerPublicKey) -> Result<Self, SessionError> {
        Self::with_key_policy(model, owner, KeyPolicy::Production)
    }

    /// [`CloudState::new`] under `key_policy` (tests pass [`KeyPolicy::InsecureTestKeys`]
    /// to serve small keys; no shipped command can).
    pub fn with_key_policy(
        model: EncryptedModel,
        owner: &OwnerPublicKey,
        key_policy: KeyPolicy,
    ) -> Result<Self, SessionError> {
        model.verify_owner(owner)?;
        let h = &model.header;
        key_policy.check(&h.public_key, "the model's key (the user's public key)")?;
        if h.fixed != model::fixed::FIXED {
            return Err(SessionError::Model(format!(
                "made for fixed-point formats {:?}, this build uses {:?}",
                h.fixed,
                model::fixed::FIXED
            )));
        }
        let circuit = ActivationCircuit::for_activation(&h.activation, &h.fixed)?;
        if circuit.hash() != h.circuit_hash {
            return Err(SessionError::Model(format!(
                "made for another `{}` activation circuit (hash {}…, this build {}…): \
                 re-encrypt it with this build",
                h.activation.name(),
                hex(&h.circuit_hash[..8]),
                hex(&circuit.hash()[..8])
            )));
        }
        h.check_bounds(circuit.bridge.params().x_bits)?;
        Ok(Self {
            model,
            circuit,
            share_store: None,
            key_policy,
        })
    }
}

/// Serves one connected user: handshake, then one job. Returns the job's statistics.
pub fn serve_connection<C: Channel + ?Sized>(
    ch: &mut C,
    state: &CloudState,
) -> Result<JobStats, SessionError> {
    let m = &state.model;
    let kind = cloud_handshake(ch, &m.header, &m.seal, ProtocolKind::implemented())?;
    serve_job(ch, state, kind)
}

/// After the handshake agreed on `kind`: reads the user's job request and runs the job.
pub fn serve_job<C: Channel + ?Sized>(
    ch: &mut C,
    state: &CloudState,
    kind: ProtocolKind,
) -> Result<JobStats, SessionError> {
    let job = read_job(ch)?;
    run_job(ch, state, kind, job)
}

/// Reads the user's job request (checked against [`MAX_PATCHES`] and [`MAX_CHUNK`]; one of
/// another session than the channel's is refused, naming both).
pub fn read_job<C: Channel + ?Sized>(ch: &mut C) -> Result<JobRequest, SessionError> {
    let job = JobRequest::from_bytes(&expect_frame(ch, Tag::Job, "job request")?)?;
    job.check_session(&ch.session_id())?;
    Ok(job)
}

/// Runs a job the user asked for under the agreed protocol `kind` (through that protocol's
/// one interface, [`super::dispatch`]), then says done.
pub fn run_job<C: Channel + ?Sized>(
    ch: &mut C,
    state: &CloudState,
    kind: ProtocolKind,
    job: JobRequest,
) -> Result<JobStats, SessionError> {
    let ctx = CloudContext {
        model: &state.model,
        bridge: &state.circuit.bridge,
        store: state.share_store.as_ref(),
        key_policy: state.key_policy,
    };
    let stats = Runner::of(kind).run_cloud(ch, &ctx, &job)?;
    send_frame(ch, Tag::Done, &[], "end of job")?;
    Ok(stats)
}

/// Options of the serve loop.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Users served at the same time; more are told the server is busy.
    pub max_sessions: usize,
    /// Read/write timeout of a connection during a job (a silent user is dropped after it).
    pub timeout: Duration,
    /// Read/write timeout until the user's job request has arrived (at most `timeout`): a
    /// connection that does not speak the protocol frees its slot quickly.
    pub handshake_timeout: Duration,
    /// Stop after this many connections (tests); `None`: serve for ever.
    pub max_connections: Option<usize>,
    /// Longest a session may last in total (its socket is shut down then); `None`: no limit.
    pub session_limit: Option<Duration>,
    /// How users connect: TLS 1.3 with the cloud's identity and an allow-list of users, or
    /// plain TCP (the library's default, for tests; `gcc-nn serve` asks for it by name).
    pub transport: ServerTransport,
    /// Sessions each authenticated user may start per window (`None`: no limit).
    pub user_rate: Option<UserRate>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_sessions: 1,
            timeout: Duration::from_secs(3600),
            handshake_timeout: Duration::from_secs(30),
            max_connections: None,
            session_limit: None,
            transport: ServerTransport::InsecurePlaintext,
            user_rate: None,
        }
    }
}

/// A log line sink (`#ID PEER: message`), for embedding and tests; every line is also a
/// `tracing` event with a level and the session and peer as fields, which the CLI prints
/// with timestamps.
pub type Log = Arc<dyn Fn(String) + Send + Sync>;

/// How serious a server event is (its `tracing` level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Severity {
    /// Normal operation: connections, finished jobs, busy refusals.
    Info,
    /// A session failed or was cut; the server goes on.
    Warn,
    /// The server itself is in trouble (accept failed, a session panicked).
    Error,
}

/// Reports a server event: a `tracing` event at `severity` with the session number and the
/// peer as fields, and the same text as one line to `log` (`#ID PEER: message`).
fn event(log: &Log, severity: Severity, session: Option<usize>, peer: Option<&str>, message: &str) {
    match severity {
        Severity::Info => tracing::info!(session, peer, "{message}"),
        Severity::Warn => tracing::warn!(session, peer, "{message}"),
        Severity::Error => tracing::error!(session, peer, "{message}"),
    }
    log(match (session, peer) {
        (Some(id), Some(p)) => format!("#{id} {p}: {message}"),
        (Some(id), None) => format!("#{id}: {message}"),
        _ => message.to_string(),
    });
}

/// What the serve loop runs for each accepted user: returns a summary line to log.
pub type Handler = Arc<dyn Fn(&mut Connection) -> Result<String, SessionError> + Send + Sync>;

/// An accepted user as a [`Handler`] sees it: the channel, under the handshake timeout
/// until [`Connection::start_job`].
pub struct Connection {
    /// The channel to the user (TLS or plain TCP, as [`ServeOptions::transport`] says).
    pub channel: Link,
    /// The user's certificate fingerprint (`None` over plain TCP).
    pub user: Option<Fingerprint>,
    socket: TcpStream,
    job_timeout: Duration,
}

impl Connection {
    /// Switches the connection from the handshake timeout to the (longer) job timeout.
    pub fn start_job(&self) -> Result<(), SessionError> {
        let t = Some(self.job_timeout);
        self.socket
            .set_read_timeout(t)
            .and_then(|()| self.socket.set_write_timeout(t))
            .map_err(|e| SessionError::Io(format!("cannot set the job timeout: {e}")))
    }
}

/// Sockets of the running sessions with their deadlines; a thread shuts down the expired.
struct Watchdog {
    sessions: Mutex<Vec<(usize, Instant, TcpStream)>>,
    stop: AtomicBool,
}

impl Watchdog {
    fn watch(&self, id: usize, deadline: Instant, stream: TcpStream) {
        let mut s = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        s.push((id, deadline, stream));
    }

    fn forget(&self, id: usize) {
        let mut s = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        s.retain(|(i, _, _)| *i != id);
    }

    /// Shuts down every session past its deadline until told to stop.
    fn run(&self, limit: Duration, log: &Log) {
        while !self.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
            let now = Instant::now();
            let mut s = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
            s.retain(|(id, deadline, stream)| {
                if *deadline > now {
                    return true;
                }
                // Unblocks the session's pending read or write at once.
                let _ = stream.shutdown(Shutdown::Both);
                let message = format!(
                    "session time limit of {} s reached, disconnected",
                    limit.as_secs_f64()
                );
                event(log, Severity::Warn, Some(*id), None, &message);
                false
            });
        }
    }
}

/// Frees a session's slot (and its watchdog entry) when its thread ends, even by panic.
struct SlotGuard {
    id: usize,
    active: Arc<AtomicUsize>,
    watchdog: Option<Arc<Watchdog>>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(w) = &self.watchdog {
            w.forget(self.id);
        }
        self.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The text of a panic payload.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// A job's summary line for the log.
fn summary(s: &JobStats, elapsed: Duration) -> String {
    let phases: Vec<String> = s
        .phases()
        .iter()
        .map(|(n, d)| format!("{n} {:.3} s", d.as_secs_f64()))
        .collect();
    format!(
        "done, {} patches in {:.1} s, {} B sent, {} B received; phases: {}",
        s.patches,
        elapsed.as_secs_f64(),
        s.bytes_sent,
        s.bytes_received,
        phases.join(", ")
    )
}

/// Accepts users on `listener` and serves each on its own thread: handshake and job request
/// under [`ServeOptions::handshake_timeout`], then the job under [`ServeOptions::timeout`].
pub fn serve(
    listener: &TcpListener,
    state: Arc<CloudState>,
    opts: &ServeOptions,
    log: Log,
) -> Result<(), SessionError> {
    let handler: Handler = Arc::new(move |conn: &mut Connection| {
        let t = Instant::now();
        let ch = &mut conn.channel;
        let m = &state.model;
        let kind = cloud_handshake(ch, &m.header, &m.seal, ProtocolKind::implemented())?;
        let job = read_job(ch)?;
        conn.start_job()?;
        let stats = run_job(&mut conn.channel, &state, kind, job)?;
        Ok(summary(&stats, t.elapsed()))
    });
    serve_with(listener, opts, log, handler)
}

/// Accepts users on `listener` and runs `handler` for each on its own thread, at most
/// `opts.max_sessions` at once. A handler's error or panic is logged; the loop goes on.
pub fn serve_with(
    listener: &TcpListener,
    opts: &ServeOptions,
    log: Log,
    handler: Handler,
) -> Result<(), SessionError> {
    // A failing log sink (e.g. `eprintln!` into a closed pipe panics) must not stop the
    // accept loop: its panics are contained here.
    let log: Log = Arc::new(move |line: String| {
        let _ = catch_unwind(AssertUnwindSafe(|| log(line)));
    });
    let active = Arc::new(AtomicUsize::new(0));
    let watchdog = opts.session_limit.map(|limit| {
        let w = Arc::new(Watchdog {
            sessions: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let (w2, log) = (Arc::clone(&w), Arc::clone(&log));
        let thread = std::thread::spawn(move || w2.run(limit, &log));
        (w, thread)
    });
    let limiter = opts.user_rate.map(|r| Arc::new(Limiter::new(r)));
    let busy_notices = Arc::new(AtomicUsize::new(0));
    let shared = Shared {
        opts,
        active: &active,
        log: &log,
        handler: &handler,
        limiter: &limiter,
        busy_notices: &busy_notices,
    };
    let mut handles: Vec<JoinHandle<()>> = Vec::new();
    for (n, stream) in listener.incoming().enumerate() {
        let id = n + 1;
        // Finished sessions' threads are detached here, so a long-running server keeps no
        // per-session state after a session ends.
        handles.retain(|h| !h.is_finished());
        match stream {
            Ok(stream) => {
                let w = watchdog.as_ref().map(|(w, _)| Arc::clone(w));
                if let Some(h) = accept_one(id, stream, w, &shared) {
                    handles.push(h);
                }
            }
            Err(e) => {
                event(
                    &log,
                    Severity::Error,
                    None,
                    None,
                    &format!("accept failed: {e}"),
                );
                // E.g. out of file descriptors: do not spin while sessions end.
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        if opts.max_connections.is_some_and(|m| id >= m) {
            break;
        }
    }
    for h in handles {
        let _ = h.join();
    }
    if let Some((w, thread)) = watchdog {
        w.stop.store(true, Ordering::SeqCst);
        let _ = thread.join();
    }
    Ok(())
}

/// What the session threads of one serve loop share.
struct Shared<'a> {
    opts: &'a ServeOptions,
    active: &'a Arc<AtomicUsize>,
    log: &'a Log,
    handler: &'a Handler,
    limiter: &'a Option<Arc<Limiter>>,
    busy_notices: &'a Arc<AtomicUsize>,
}

/// Busy notices being sent over TLS at once (each needs a TLS handshake on its own thread);
/// further connections while busy are closed without one.
const MAX_BUSY_NOTICES: usize = 8;

/// Tells a user that arrived while every slot is taken that the server is busy: over plain
/// TCP at once, over TLS after the handshake on a short-lived thread (at most
/// [`MAX_BUSY_NOTICES`] at a time).
fn tell_busy(stream: TcpStream, sh: &Shared<'_>) {
    let msg = format!(
        "serving {} user(s) already; try again later",
        sh.opts.max_sessions
    );
    let timeout = sh.opts.handshake_timeout.min(sh.opts.timeout);
    if !sh.opts.transport.is_tls() {
        if let Ok(mut ch) = TcpChannel::new(stream, timeout) {
            let _ = send_busy(&mut ch, &msg);
        }
        return;
    }
    if sh.busy_notices.fetch_add(1, Ordering::SeqCst) >= MAX_BUSY_NOTICES {
        sh.busy_notices.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    let (transport, count) = (sh.opts.transport.clone(), Arc::clone(sh.busy_notices));
    let spawned = std::thread::Builder::new()
        .name("busy-notice".into())
        .spawn(move || {
            if let Ok(mut link) = transport.accept(stream, timeout) {
                let _ = send_busy(&mut link, &msg);
            }
            count.fetch_sub(1, Ordering::SeqCst);
        });
    if spawned.is_err() {
        sh.busy_notices.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sets the link up (TLS: the user's certificate must be on the allow-list) and applies the
/// per-user rate; returns the connection, or the reason it was refused (before any work).
fn open_connection(
    stream: TcpStream,
    socket: TcpStream,
    opts: &ServeOptions,
    limiter: Option<&Limiter>,
) -> Result<Connection, String> {
    let timeout = opts.handshake_timeout.min(opts.timeout);
    let mut link = opts
        .transport
        .accept(stream, timeout)
        .map_err(|e| format!("refused before any work: {e}"))?;
    let user = link.peer();
    if let (Some(l), Some(u)) = (limiter, user)
        && let Err(wait) = l.admit(u, Instant::now())
    {
        let why = l.refusal(wait);
        let _ = send_frame(&mut link, Tag::Reject, why.as_bytes(), "reject");
        return Err(format!("user {} refused before any work: {why}", u.short()));
    }
    Ok(Connection {
        channel: link,
        user,
        socket,
        job_timeout: opts.timeout,
    })
}

/// Sets up connection `id`: tells the user the server is busy, or starts its session
/// thread (returned), which sets the link up and runs the handler.
fn accept_one(
    id: usize,
    stream: TcpStream,
    watchdog: Option<Arc<Watchdog>>,
    sh: &Shared<'_>,
) -> Option<JoinHandle<()>> {
    let (opts, log) = (sh.opts, sh.log);
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "?".to_string(), |a| a.to_string());
    let socket = match stream.try_clone() {
        Ok(s) => s,
        Err(e) => {
            let message = format!("socket setup failed: {e}");
            event(log, Severity::Warn, Some(id), Some(&peer), &message);
            return None;
        }
    };
    let watched = match (&watchdog, opts.session_limit) {
        (Some(_), Some(limit)) => match stream.try_clone() {
            Ok(s) => Some((Instant::now() + limit, s)),
            Err(e) => {
                let message = format!("socket setup failed: {e}");
                event(log, Severity::Warn, Some(id), Some(&peer), &message);
                return None;
            }
        },
        _ => None,
    };
    if sh.active.fetch_add(1, Ordering::SeqCst) >= opts.max_sessions {
        sh.active.fetch_sub(1, Ordering::SeqCst);
        tell_busy(stream, sh);
        event(
            log,
            Severity::Info,
            Some(id),
            Some(&peer),
            "told to wait (busy)",
        );
        return None;
    }
    if let (Some(w), Some((deadline, s))) = (&watchdog, watched) {
        w.watch(id, deadline, s);
    }
    let guard = SlotGuard {
        id,
        active: Arc::clone(sh.active),
        watchdog,
    };
    event(log, Severity::Info, Some(id), Some(&peer), "connected");
    let (session_log, handler, session_peer) =
        (Arc::clone(log), Arc::clone(sh.handler), peer.clone());
    let (opts, limiter) = (opts.clone(), sh.limiter.clone());
    let spawned = std::thread::Builder::new()
        .name(format!("session-{id}"))
        .spawn(move || {
            let log = session_log;
            let say = |severity, message: &str| {
                event(&log, severity, Some(id), Some(&session_peer), message);
            };
            let mut conn = match open_connection(stream, socket, &opts, limiter.as_deref()) {
                Ok(c) => c,
                Err(why) => return say(Severity::Warn, &why),
            };
            if let Some(u) = conn.user {
                say(
                    Severity::Info,
                    &format!("user {} authenticated (TLS 1.3)", u.short()),
                );
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| handler(&mut conn)));
            // The slot is free before the user sees the connection close, so a user who
            // reconnects at once is served, not told the server is busy.
            drop(guard);
            drop(conn);
            let (severity, message) = match outcome {
                Ok(Ok(line)) => (Severity::Info, line),
                Ok(Err(e)) => (Severity::Warn, format!("request failed: {e}")),
                Err(p) => (
                    Severity::Error,
                    format!(
                        "session panicked ({}); connection dropped, still serving",
                        panic_text(p.as_ref())
                    ),
                ),
            };
            say(severity, &message);
        });
    match spawned {
        Ok(h) => Some(h),
        Err(e) => {
            // The closure (and with it the slot guard) is dropped: the slot is free again.
            let message = format!("cannot start a session thread: {e}");
            event(log, Severity::Error, Some(id), Some(&peer), &message);
            None
        }
    }
}
