//! A [`Channel`] over TLS 1.3: the rustls stream of one TCP connection, with the buffering,
//! counters, timeouts and error mapping of [`runtime::channel::TcpChannel`], and the session
//! identifier taken from the TLS exporter once the handshake is done.

use crate::error::TransportError;
use crate::identity::Fingerprint;
use runtime::channel::{BUF_SIZE, Channel, ChannelError, SessionId, map_io_error};
use rustls::{ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection};
use rustls::{SideData, StreamOwned};
use std::io::{BufReader, IoSlice, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// The exporter label of the session identifier (RFC 8446 §7.5; empty context).
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-gcc-nn-session-id-v1";

/// The name the user sends as SNI; no certificate is checked against it (the cloud's is
/// pinned by fingerprint).
const SERVER_NAME: &str = "gcc-nn-cloud";

/// Bytes read from the socket at a time once the handshake is done.
const READ_BUFFER: usize = 1 << 18;

/// Plaintext rustls may hold encrypted but not yet written (its default is 64 KiB).
const SEND_BUFFER: usize = 1 << 20;

/// The socket as rustls uses it after the handshake: reads go through a large buffer
/// (rustls asks for at most 4 KiB per read, and one system call per 4 KiB cost more than
/// the cipher on a garbled-table stream), writes go straight to the socket.
struct BufferedSocket(BufReader<TcpStream>);

impl Read for BufferedSocket {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for BufferedSocket {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.get_mut().write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> std::io::Result<usize> {
        self.0.get_mut().write_vectored(bufs)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.get_mut().flush()
    }
}

/// A rustls stream of either side.
trait Duplex: Read + Write + Send {}
impl Duplex for StreamOwned<ClientConnection, BufferedSocket> {}
impl Duplex for StreamOwned<ServerConnection, BufferedSocket> {}

/// The stream of an established connection: its socket buffered for reading, its send
/// buffer enlarged.
fn stream<S: SideData, C>(mut conn: C, socket: TcpStream) -> StreamOwned<C, BufferedSocket>
where
    C: std::ops::DerefMut<Target = ConnectionCommon<S>>,
{
    conn.set_buffer_limit(Some(SEND_BUFFER));
    let socket = BufferedSocket(BufReader::with_capacity(READ_BUFFER, socket));
    StreamOwned::new(conn, socket)
}

/// A TLS 1.3 connection to the peer.
pub struct TlsChannel {
    stream: Box<dyn Duplex>,
    socket: TcpStream,
    out: Vec<u8>,
    timeout: Duration,
    sent: u64,
    received: u64,
    session: SessionId,
    peer: Option<Fingerprint>,
}

/// Drives a connection's handshake to its end (flushing our last flight), then reads the
/// session identifier and the peer's certificate fingerprint.
fn establish<S: SideData>(
    conn: &mut ConnectionCommon<S>,
    sock: &mut TcpStream,
) -> std::io::Result<(SessionId, Option<Fingerprint>)> {
    while conn.is_handshaking() {
        conn.complete_io(sock)?;
    }
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    let session = conn
        .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .map_err(std::io::Error::other)?;
    let peer = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| Fingerprint::of(c));
    Ok((session, peer))
}

impl TlsChannel {
    /// The user's side: runs the TLS handshake on a connected socket (the cloud's
    /// certificate checked by `config`'s verifier).
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
        let (session, peer) = establish(&mut conn, &mut socket).map_err(handshake_error)?;
        let raw = socket.try_clone().map_err(handshake_error)?;
        Ok(Self::new(
            Box::new(stream(conn, socket)),
            raw,
            timeout,
            session,
            peer,
        ))
    }

    /// The cloud's side: runs the TLS handshake on an accepted socket (the user's
    /// certificate checked by `config`'s verifier).
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
        let (session, peer) = establish(&mut conn, &mut socket).map_err(handshake_error)?;
        let raw = socket.try_clone().map_err(handshake_error)?;
        Ok(Self::new(
            Box::new(stream(conn, socket)),
            raw,
            timeout,
            session,
            peer,
        ))
    }

    fn new(
        stream: Box<dyn Duplex>,
        socket: TcpStream,
        timeout: Duration,
        session: SessionId,
        peer: Option<Fingerprint>,
    ) -> Self {
        Self {
            stream,
            socket,
            out: Vec::with_capacity(BUF_SIZE),
            timeout,
            sent: 0,
            received: 0,
            session,
            peer,
        }
    }

    /// The fingerprint of the certificate the peer presented (checked by the verifier).
    pub fn peer(&self) -> Option<Fingerprint> {
        self.peer
    }

    /// The underlying socket (for timeouts and shutdown).
    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    fn push_out(&mut self) -> Result<(), ChannelError> {
        if !self.out.is_empty() {
            let t = self.timeout;
            self.stream
                .write_all(&self.out)
                .map_err(|e| map_io_error(e, 0, t))?;
            self.out.clear();
        }
        Ok(())
    }
}

fn prepare(socket: &TcpStream, timeout: Duration) -> Result<(), TransportError> {
    socket
        .set_nodelay(true)
        .and_then(|()| socket.set_read_timeout(Some(timeout)))
        .and_then(|()| socket.set_write_timeout(Some(timeout)))
        .map_err(handshake_error)
}

fn handshake_error(source: std::io::Error) -> TransportError {
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
        self.stream
            .read_exact(buf)
            .map_err(|e| map_io_error(e, buf.len(), t))?;
        self.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.push_out()?;
        let t = self.timeout;
        self.stream.flush().map_err(|e| map_io_error(e, 0, t))
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
