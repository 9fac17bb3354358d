//! Byte channels between the two parties: TCP and in-memory, buffered, with byte counters
//! and timeouts. A vanished peer, a short read or a timeout is a [`ChannelError`], never a
//! hang or a panic; every length read from the peer is checked by [`recv_len`] before
//! anything is allocated for it.
//!
//! Every channel belongs to one session ([`Channel::session_id`]): the TLS transport (crate
//! `transport`) derives the identifier from the TLS exporter; every sub-protocol header
//! carries it and a header of another session is refused. Plain TCP and in-memory channels
//! carry [`UNBOUND_SESSION`] unless given one.
//!
//! Files: here the trait, the helpers and [`MemChannel`]; `channel/tcp.rs` the TCP channel.

use crate::block::{Block, blocks_from_bytes, blocks_into_bytes};
use std::io;
use std::sync::mpsc;
use std::time::Duration;

mod tcp;
pub use tcp::{TCP_RECV_BUF, TCP_SEND_BUF, TcpChannel, accept_tcp, connect_tcp};

/// Default time to wait for the peer before giving up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Size of the send and receive buffers.
pub const BUF_SIZE: usize = 1 << 16;

/// The identifier of one session between the parties (32 bytes), which every sub-protocol
/// header carries.
pub type SessionId = [u8; 32];

/// The session identifier of a channel bound to no session (in-memory channels and recorded
/// transcripts unless given one with `with_session`).
pub const UNBOUND_SESSION: SessionId = [0; 32];

/// The first 8 bytes of a session identifier in hex, for error messages.
pub fn short_session(id: &SessionId) -> String {
    id[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A failure of the link between the parties.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The peer closed the connection (or died) while `needed` more bytes were expected.
    #[error("peer closed the connection while {needed} more bytes were expected")]
    Closed {
        /// Bytes still missing from the read in progress.
        needed: usize,
    },
    /// Nothing arrived from the peer within the timeout.
    #[error("timed out after {0:?} waiting for the peer")]
    Timeout(Duration),
    /// The peer announced a length beyond the allowed limit.
    #[error("peer sent length {got} for {what}, limit is {limit}")]
    LengthLimit {
        /// What the length is of.
        what: &'static str,
        /// Length announced.
        got: u64,
        /// Largest length allowed.
        limit: u64,
    },
    /// Another I/O failure (connection reset, broken pipe, …).
    #[error("I/O error on the channel: {0}")]
    Io(#[from] io::Error),
}

/// A reliable, ordered, buffered byte stream to the other party.
pub trait Channel {
    /// Queues `bytes` for sending (buffered; see [`Channel::flush`]).
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError>;
    /// Reads exactly `buf.len()` bytes.
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError>;
    /// Pushes out everything queued so far.
    fn flush(&mut self) -> Result<(), ChannelError>;
    /// Bytes sent so far.
    fn bytes_sent(&self) -> u64;
    /// Bytes received so far.
    fn bytes_received(&self) -> u64;
    /// The session this channel carries ([`UNBOUND_SESSION`] unless the transport set one).
    fn session_id(&self) -> SessionId {
        UNBOUND_SESSION
    }
    /// Queues blocks for sending, 16 bytes each, little-endian (by default through
    /// [`Channel::send`]; a channel with its own buffer writes them into it directly).
    fn send_blocks(&mut self, blocks: &[Block]) -> Result<(), ChannelError> {
        send_blocks_staged(self, blocks)
    }
    /// Receives `out.len()` blocks (by default through [`Channel::recv_exact`]; a channel
    /// with its own buffer reads them out of it directly).
    fn recv_blocks(&mut self, out: &mut [Block]) -> Result<(), ChannelError> {
        recv_blocks_staged(self, out)
    }
}

/// The [`ChannelError`] of an I/O error of a socket read or write (`needed`: bytes still
/// expected by the read; `timeout`: the socket's timeout).
pub fn map_io_error(e: io::Error, needed: usize, timeout: Duration) -> ChannelError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => ChannelError::Closed { needed },
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ChannelError::Timeout(timeout),
        _ => ChannelError::Io(e),
    }
}

/// Sends a little-endian `u64`.
pub fn send_u64<C: Channel + ?Sized>(ch: &mut C, v: u64) -> Result<(), ChannelError> {
    ch.send(&v.to_le_bytes())
}

/// Receives a little-endian `u64`.
pub fn recv_u64<C: Channel + ?Sized>(ch: &mut C) -> Result<u64, ChannelError> {
    let mut b = [0u8; 8];
    ch.recv_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Receives a length and checks it against `limit` before the caller allocates for it.
pub fn recv_len<C: Channel + ?Sized>(
    ch: &mut C,
    what: &'static str,
    limit: u64,
) -> Result<usize, ChannelError> {
    let got = recv_u64(ch)?;
    if got > limit {
        return Err(ChannelError::LengthLimit { what, got, limit });
    }
    usize::try_from(got).map_err(|_| ChannelError::LengthLimit { what, got, limit })
}

/// Sends blocks (16 bytes each, little-endian): [`Channel::send_blocks`].
pub fn send_blocks<C: Channel + ?Sized>(ch: &mut C, blocks: &[Block]) -> Result<(), ChannelError> {
    ch.send_blocks(blocks)
}

/// [`Channel::send_blocks`] through [`Channel::send`], via a stack buffer.
fn send_blocks_staged<C: Channel + ?Sized>(
    ch: &mut C,
    blocks: &[Block],
) -> Result<(), ChannelError> {
    // The staging buffer is zeroed on every call: size it to the message (a 4 KiB buffer
    // for a 1 KiB IKNP row cost more in zeroing than in copying).
    match blocks.len() {
        0..=64 => send_staged::<1024, C>(ch, blocks),
        65..=128 => send_staged::<2048, C>(ch, blocks),
        _ => send_staged::<4096, C>(ch, blocks),
    }
}

fn send_staged<const N: usize, C: Channel + ?Sized>(
    ch: &mut C,
    blocks: &[Block],
) -> Result<(), ChannelError> {
    let mut buf = [0u8; N];
    for chunk in blocks.chunks(N / 16) {
        blocks_into_bytes(chunk, &mut buf[..16 * chunk.len()]);
        ch.send(&buf[..16 * chunk.len()])?;
    }
    Ok(())
}

/// Receives `out.len()` blocks: [`Channel::recv_blocks`].
pub fn recv_blocks<C: Channel + ?Sized>(ch: &mut C, out: &mut [Block]) -> Result<(), ChannelError> {
    ch.recv_blocks(out)
}

/// [`Channel::recv_blocks`] through [`Channel::recv_exact`], via a stack buffer.
fn recv_blocks_staged<C: Channel + ?Sized>(
    ch: &mut C,
    out: &mut [Block],
) -> Result<(), ChannelError> {
    match out.len() {
        0..=64 => recv_staged::<1024, C>(ch, out),
        65..=128 => recv_staged::<2048, C>(ch, out),
        _ => recv_staged::<4096, C>(ch, out),
    }
}

fn recv_staged<const N: usize, C: Channel + ?Sized>(
    ch: &mut C,
    out: &mut [Block],
) -> Result<(), ChannelError> {
    let mut buf = [0u8; N];
    for chunk in out.chunks_mut(N / 16) {
        let bytes = &mut buf[..16 * chunk.len()];
        ch.recv_exact(bytes)?;
        blocks_from_bytes(bytes, chunk);
    }
    Ok(())
}

/// One end of an in-memory channel (for tests, benches and single-process runs).
pub struct MemChannel {
    tx: mpsc::SyncSender<Vec<u8>>,
    rx: mpsc::Receiver<Vec<u8>>,
    out: Vec<u8>,
    inbox: Vec<u8>,
    inbox_pos: usize,
    timeout: Duration,
    sent: u64,
    received: u64,
    session: SessionId,
}

impl MemChannel {
    /// Two connected ends; a read waits at most `timeout` for the peer.
    pub fn pair(timeout: Duration) -> (MemChannel, MemChannel) {
        // Bounded queues of 64 KiB chunks: a sender far ahead of its receiver blocks
        // (like a full socket buffer) instead of growing memory without limit.
        let (tx_a, rx_b) = mpsc::sync_channel(64);
        let (tx_b, rx_a) = mpsc::sync_channel(64);
        let end = |tx, rx| MemChannel {
            tx,
            rx,
            out: Vec::with_capacity(BUF_SIZE),
            inbox: Vec::new(),
            inbox_pos: 0,
            timeout,
            sent: 0,
            received: 0,
            session: UNBOUND_SESSION,
        };
        (end(tx_a, rx_a), end(tx_b, rx_b))
    }

    /// The same end, carrying session `id` (tests of session binding give both ends one).
    pub fn with_session(mut self, id: SessionId) -> MemChannel {
        self.session = id;
        self
    }
}

impl Channel for MemChannel {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.out.extend_from_slice(bytes);
        self.sent += bytes.len() as u64;
        if self.out.len() >= BUF_SIZE {
            self.flush()?;
        }
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.flush()?;
        let mut filled = 0;
        while filled < buf.len() {
            if self.inbox_pos == self.inbox.len() {
                self.inbox = match self.rx.recv_timeout(self.timeout) {
                    Ok(chunk) => chunk,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        return Err(ChannelError::Timeout(self.timeout));
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(ChannelError::Closed {
                            needed: buf.len() - filled,
                        });
                    }
                };
                self.inbox_pos = 0;
            }
            let n = (buf.len() - filled).min(self.inbox.len() - self.inbox_pos);
            buf[filled..filled + n]
                .copy_from_slice(&self.inbox[self.inbox_pos..self.inbox_pos + n]);
            filled += n;
            self.inbox_pos += n;
        }
        self.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        if self.out.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.out, Vec::with_capacity(BUF_SIZE));
        self.tx
            .send(chunk)
            .map_err(|_| ChannelError::Closed { needed: 0 })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_channel_round_trip_and_counters() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
        send_u64(&mut a, 7).expect("send");
        send_blocks(&mut a, &[Block(1), Block(2)]).expect("send");
        a.flush().expect("flush");
        assert_eq!(recv_u64(&mut b).expect("recv"), 7);
        let mut out = [Block::ZERO; 2];
        recv_blocks(&mut b, &mut out).expect("recv");
        assert_eq!(out, [Block(1), Block(2)]);
        assert_eq!(a.bytes_sent(), 40);
        assert_eq!(b.bytes_received(), 40);
    }

    #[test]
    fn dropped_peer_is_an_error_not_a_hang() {
        let (a, mut b) = MemChannel::pair(Duration::from_secs(5));
        drop(a);
        let mut buf = [0u8; 4];
        assert!(matches!(
            b.recv_exact(&mut buf),
            Err(ChannelError::Closed { needed: 4 })
        ));
    }

    #[test]
    fn silent_peer_times_out() {
        let (_a, mut b) = MemChannel::pair(Duration::from_millis(50));
        let mut buf = [0u8; 1];
        assert!(matches!(
            b.recv_exact(&mut buf),
            Err(ChannelError::Timeout(_))
        ));
    }

    #[test]
    fn oversized_length_is_rejected() {
        let (mut a, mut b) = MemChannel::pair(Duration::from_secs(5));
        send_u64(&mut a, u64::MAX).expect("send");
        a.flush().expect("flush");
        assert!(matches!(
            recv_len(&mut b, "test", 1000),
            Err(ChannelError::LengthLimit { .. })
        ));
    }
}
