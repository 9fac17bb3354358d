//! A [`Channel`] over TLS 1.3: rustls runs the handshake on one TCP connection (verifiers,
//! client authentication, the exporter), then hands its traffic secrets to our record layer
//! ([`crate::record`]: records decrypted in place in one large buffer). Buffering, counters,
//! timeouts and error mapping are those of [`runtime::channel::TcpChannel`], and blocks go
//! straight into the plaintext buffer and come straight out of the decrypted records; the
//! session identifier is the TLS exporter's value.

use crate::error::TransportError;
use crate::identity::Fingerprint;
use crate::record::{HEADER, MAX_FRAGMENT, Records};
use runtime::block::{Block, blocks_to_bytes};
use runtime::channel::{BUF_SIZE, Channel, ChannelError, SessionId, map_io_error};
use rustls::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use rustls::{ExtractedSecrets, SideData};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// The exporter label of the session identifier (RFC 8446 §7.5; empty context).
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-gcc-nn-session-id-v1";

/// The name the user sends as SNI; no certificate is checked against it (the cloud's is
/// pinned by fingerprint).
const SERVER_NAME: &str = "gcc-nn-cloud";

/// The longest record body rustls accepts (2^14 + 2048): longer ones it rejects itself.
const MAX_WIRE_BODY: usize = MAX_FRAGMENT + 2048;

/// A TLS 1.3 connection to the peer.
pub struct TlsChannel {
    records: Records,
    socket: TcpStream,
    /// Plaintext queued by `send`.
    out: Vec<u8>,
    /// Records of `out`, encrypted and about to be written.
    wire: Vec<u8>,
    timeout: Duration,
    sent: u64,
    received: u64,
    session: SessionId,
    peer: Option<Fingerprint>,
}

/// What the handshake leaves: the session identifier, the peer's fingerprint, the cipher
/// suite and the traffic secrets.
struct Established {
    session: SessionId,
    peer: Option<Fingerprint>,
    suite: &'static rustls::Tls13CipherSuite,
}

/// Reads one whole TLS record (header and body) from `sock`: the handshake is fed to rustls
/// record by record so that nothing after its last record (the peer's first application
/// data) is left inside rustls when the secrets are taken. A header no TLS 1.3 peer sends
/// is returned alone, for rustls to reject with its own error.
fn read_record(sock: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut record = vec![0u8; HEADER];
    sock.read_exact(&mut record)?;
    let len = usize::from(u16::from_be_bytes([record[3], record[4]]));
    if (20..=23).contains(&record[0]) && record[1] == 3 && len <= MAX_WIRE_BODY {
        record.resize(HEADER + len, 0);
        sock.read_exact(&mut record[HEADER..])?;
    }
    Ok(record)
}

/// Drives a connection's handshake to its end (flushing our last flight), then reads the
/// session identifier, the peer's certificate fingerprint and the cipher suite.
fn establish<S: SideData>(
    conn: &mut ConnectionCommon<S>,
    sock: &mut TcpStream,
) -> io::Result<Established> {
    loop {
        while conn.wants_write() {
            conn.write_tls(sock)?;
        }
        if !conn.is_handshaking() {
            break;
        }
        let record = read_record(sock)?;
        let mut rest = &record[..];
        while !rest.is_empty() {
            conn.read_tls(&mut rest)?;
            if let Err(e) = conn.process_new_packets() {
                // Send the alert describing the error if there is one (as rustls does).
                let _ignored = conn.write_tls(sock);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
    let session = conn
        .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .map_err(io::Error::other)?;
    let peer = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Fingerprint::of(c));
    let suite = conn
        .negotiated_cipher_suite()
        .and_then(|s| s.tls13())
        .ok_or_else(|| io::Error::other("TLS: no TLS 1.3 cipher suite was negotiated"))?;
    Ok(Established {
        session,
        peer,
        suite,
    })
}

impl TlsChannel {
    /// The user's side: runs the TLS handshake on a connected socket (the cloud's
    /// certificate checked by `config`'s verifier; `config` must allow secret extraction).
    pub fn client(
        mut socket: TcpStream,
        config: Arc<ClientConfig>,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        prepare(&socket, timeout)?;
        let name = rustls::pki_types::ServerName::try_from(SERVER_NAME)
            .map_err(|e| TransportError::Generate(e.to_string()))?;
        let mut conn =
            ClientConnection::new(config, name).map_err(|source| TransportError::Tls {
                step: "client set-up",
                source,
            })?;
        let done = establish(&mut conn, &mut socket).map_err(handshake_error)?;
        let secrets = conn.dangerous_extract_secrets();
        Self::new(socket, timeout, done, secrets)
    }

    /// The cloud's side: runs the TLS handshake on an accepted socket (the user's
    /// certificate checked by `config`'s verifier; `config` must allow secret extraction).
    pub fn server(
        mut socket: TcpStream,
        config: Arc<ServerConfig>,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        prepare(&socket, timeout)?;
        let mut conn = ServerConnection::new(config).map_err(|source| TransportError::Tls {
            step: "server set-up",
            source,
        })?;
        let done = establish(&mut conn, &mut socket).map_err(handshake_error)?;
        let secrets = conn.dangerous_extract_secrets();
        Self::new(socket, timeout, done, secrets)
    }

    fn new(
        socket: TcpStream,
        timeout: Duration,
        done: Established,
        secrets: Result<ExtractedSecrets, rustls::Error>,
    ) -> Result<Self, TransportError> {
        let tls_error = |source| TransportError::Tls {
            step: "taking over the record layer",
            source,
        };
        let records = Records::new(done.suite, secrets.map_err(tls_error)?).map_err(tls_error)?;
        Ok(Self {
            records,
            socket,
            out: Vec::with_capacity(BUF_SIZE),
            wire: Vec::with_capacity(BUF_SIZE + BUF_SIZE / 64),
            timeout,
            sent: 0,
            received: 0,
            session: done.session,
            peer: done.peer,
        })
    }

    /// The fingerprint of the certificate the peer presented (checked by the verifier).
    pub fn peer(&self) -> Option<Fingerprint> {
        self.peer
    }

    /// The underlying socket (for timeouts and shutdown).
    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    /// Encrypts what `send` queued and writes it to the socket.
    fn push_out(&mut self) -> Result<(), ChannelError> {
        if !self.out.is_empty() {
            let t = self.timeout;
            self.wire.clear();
            self.records
                .seal(&self.out, &mut self.wire)
                .map_err(|e| map_io_error(e, 0, t))?;
            self.socket
                .write_all(&self.wire)
                .map_err(|e| map_io_error(e, 0, t))?;
            self.out.clear();
        }
        Ok(())
    }

    /// Ends the stream cleanly: flushes, then sends close_notify (the peer's reads end with
    /// [`ChannelError::Closed`] once it has read everything sent before).
    pub fn close(&mut self) -> Result<(), ChannelError> {
        self.flush()?;
        let t = self.timeout;
        self.wire.clear();
        self.records
            .close_notify(&mut self.wire)
            .and_then(|()| self.socket.write_all(&self.wire))
            .map_err(|e| map_io_error(e, 0, t))
    }
}

fn prepare(socket: &TcpStream, timeout: Duration) -> Result<(), TransportError> {
    socket
        .set_nodelay(true)
        .and_then(|()| socket.set_read_timeout(Some(timeout)))
        .and_then(|()| socket.set_write_timeout(Some(timeout)))
        .map_err(handshake_error)
}

fn handshake_error(source: io::Error) -> TransportError {
    TransportError::Io {
        step: "TLS handshake".into(),
        source,
    }
}

impl Channel for TlsChannel {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.out.extend_from_slice(bytes);
        self.sent += bytes.len() as u64;
        if self.out.len() >= BUF_SIZE {
            self.push_out()?;
        }
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        // Flush first: the peer may be waiting for what we queued before answering.
        self.flush()?;
        let t = self.timeout;
        self.records
            .read_exact(&mut self.socket, buf)
            .map_err(|e| map_io_error(e, buf.len(), t))?;
        self.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.push_out()
    }

    fn send_blocks(&mut self, blocks: &[Block]) -> Result<(), ChannelError> {
        // Straight into the plaintext buffer (no staging copy), sealed in pieces of about
        // BUF_SIZE as `send` does.
        for chunk in blocks.chunks(BUF_SIZE / 16) {
            blocks_to_bytes(chunk, &mut self.out);
            if self.out.len() >= BUF_SIZE {
                self.push_out()?;
            }
        }
        self.sent += 16 * blocks.len() as u64;
        Ok(())
    }

    fn recv_blocks(&mut self, out: &mut [Block]) -> Result<(), ChannelError> {
        self.flush()?;
        let t = self.timeout;
        self.records
            .read_blocks(&mut self.socket, out)
            .map_err(|e| map_io_error(e, 16 * out.len(), t))?;
        self.received += 16 * out.len() as u64;
        Ok(())
    }

    fn bytes_sent(&self) -> u64 {
        self.sent
    }

    fn bytes_received(&self) -> u64 {
        self.received
    }

    fn session_id(&self) -> SessionId {
        self.session
    }
}
