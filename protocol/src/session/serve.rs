//! The cloud's serve loop: one thread per user, at most `max_sessions` at once (others are
//! told the server is busy); a failed request is logged and never stops the server.

use super::activation::ActivationCircuit;
use super::error::hex;
use super::handshake::{ProtocolKind, cloud_handshake, send_busy};
use super::wire::{Tag, expect_frame, send_frame};
use super::{JobStats, SessionError};
use crate::reference;
use crate::upload::EncryptedModel;
use runtime::channel::{Channel, TcpChannel};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Largest chunk of patches per protocol round.
pub const MAX_CHUNK: usize = 4096;
/// Largest number of patches per job.
pub const MAX_PATCHES: u64 = 1 << 24;

/// What the cloud serves: an encrypted model and its activation circuit, checked at start.
pub struct CloudState {
    /// The encrypted model (public key only).
    pub model: EncryptedModel,
    /// The compiled activation circuit of the model.
    pub circuit: ActivationCircuit,
}

impl CloudState {
    /// Checks that `model` can be served by this build: fixed-point formats, activation
    /// circuit and its hash, pre-activation bound.
    pub fn new(model: EncryptedModel) -> Result<Self, SessionError> {
        let h = &model.header;
        if h.fixed != model::fixed::FIXED {
            return Err(SessionError::Model(format!(
                "made for fixed-point formats {:?}, this build uses {:?}",
                h.fixed,
                model::fixed::FIXED
            )));
        }
        let circuit = ActivationCircuit::for_name(&h.activation)?;
        if circuit.hash() != h.circuit_hash {
            return Err(SessionError::Model(format!(
                "made for another `{}` activation circuit (hash {}…, this build {}…): \
                 re-encrypt it with this build",
                h.activation,
                hex(&h.circuit_hash[..8]),
                hex(&circuit.hash()[..8])
            )));
        }
        if h.z_bits >= circuit.bridge.params().x_bits {
            return Err(SessionError::Model(format!(
                "pre-activations of {} bits exceed the circuit's {}",
                h.z_bits,
                circuit.bridge.params().x_bits
            )));
        }
        Ok(Self { model, circuit })
    }
}

/// Serves one connected user: handshake, then one job. Returns the job's statistics.
pub fn serve_connection<C: Channel + ?Sized>(
    ch: &mut C,
    state: &CloudState,
) -> Result<JobStats, SessionError> {
    let model = &state.model;
    let kind = cloud_handshake(ch, &model.header, ProtocolKind::implemented())?;
    let job = expect_frame(ch, Tag::Job, "job request")?;
    let bad = |what: String| SessionError::Protocol {
        phase: "job request",
        what,
    };
    if job.len() != 12 {
        return Err(bad(format!("{} bytes, expected 12", job.len())));
    }
    let mut p = [0u8; 8];
    p.copy_from_slice(&job[..8]);
    let patches = u64::from_le_bytes(p);
    let chunk = u32::from_le_bytes([job[8], job[9], job[10], job[11]]) as usize;
    if patches == 0 || patches > MAX_PATCHES || chunk == 0 || chunk > MAX_CHUNK {
        return Err(bad(format!(
            "{patches} patches in chunks of {chunk} (1..={MAX_PATCHES}, 1..={MAX_CHUNK})"
        )));
    }
    let mut stats = JobStats::default();
    let mut left = patches as usize;
    if kind == ProtocolKind::Fast {
        // The whole image in one run: packing works across all its patches.
        super::fast_job::cloud_job(ch, model, left, &mut stats)?;
        left = 0;
    }
    while left > 0 {
        let count = left.min(chunk);
        match kind {
            ProtocolKind::Reference => reference::cloud::run_chunk(
                ch,
                &model.header.public_key,
                model,
                &state.circuit.bridge,
                count,
                &mut stats,
            )?,
            ProtocolKind::Fast => return Err(SessionError::Unsupported("fast protocol in chunks")),
        }
        left -= count;
    }
    send_frame(ch, Tag::Done, &[], "end of job")?;
    Ok(stats)
}

/// Options of the serve loop.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Users served at the same time; more are told the server is busy.
    pub max_sessions: usize,
    /// Read/write timeout of a connection (a silent user is dropped after it).
    pub timeout: Duration,
    /// Stop after this many connections (tests); `None`: serve for ever.
    pub max_connections: Option<usize>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_sessions: 1,
            timeout: Duration::from_secs(3600),
            max_connections: None,
        }
    }
}

/// A log line sink (the CLI prints them).
pub type Log = Arc<dyn Fn(String) + Send + Sync>;

/// Decrements the active-session count when a session thread ends, even by panic.
struct ActiveGuard(Arc<AtomicUsize>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts users on `listener` and serves each on its own thread.
pub fn serve(
    listener: &TcpListener,
    state: Arc<CloudState>,
    opts: &ServeOptions,
    log: Log,
) -> Result<(), SessionError> {
    let active = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for (n, stream) in listener.incoming().enumerate() {
        let id = n + 1;
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                log(format!("accept failed: {e}"));
                continue;
            }
        };
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        match TcpChannel::new(stream, opts.timeout) {
            Err(e) => log(format!("#{id} {peer}: socket setup failed: {e}")),
            Ok(mut ch) => {
                if active.fetch_add(1, Ordering::SeqCst) >= opts.max_sessions {
                    active.fetch_sub(1, Ordering::SeqCst);
                    let msg = format!(
                        "serving {} user(s) already; try again later",
                        opts.max_sessions
                    );
                    let _ = send_busy(&mut ch, &msg);
                    log(format!("#{id} {peer}: told to wait (busy)"));
                } else {
                    let guard = ActiveGuard(Arc::clone(&active));
                    let (state, log) = (Arc::clone(&state), Arc::clone(&log));
                    log(format!("#{id} {peer}: connected"));
                    handles.push(std::thread::spawn(move || {
                        let _guard = guard;
                        let t = std::time::Instant::now();
                        match serve_connection(&mut ch, &state) {
                            Ok(s) => {
                                let phases: Vec<String> = s
                                    .phases
                                    .iter()
                                    .map(|(n, d)| format!("{n} {:.3} s", d.as_secs_f64()))
                                    .collect();
                                log(format!(
                                    "#{id} {peer}: done, {} patches in {:.1} s, {} B sent, \
                                     {} B received; phases: {}",
                                    s.patches,
                                    t.elapsed().as_secs_f64(),
                                    s.bytes_sent,
                                    s.bytes_received,
                                    phases.join(", ")
                                ))
                            }
                            Err(e) => log(format!("#{id} {peer}: request failed: {e}")),
                        }
                    }));
                }
            }
        }
        if opts.max_connections.is_some_and(|m| id >= m) {
            break;
        }
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
