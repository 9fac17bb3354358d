//! The TCP channel: [`TcpChannel`] and the connect/accept helpers with timeouts.

use super::{Channel, ChannelError, map_io_error};
use crate::block::{Block, blocks_from_bytes, blocks_into_bytes};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// First pause of [`accept_tcp`]'s polling; each further one doubles, up to [`ACCEPT_POLL_MAX`].
const ACCEPT_POLL_MIN: Duration = Duration::from_micros(50);
/// Longest pause of [`accept_tcp`]'s polling.
const ACCEPT_POLL_MAX: Duration = Duration::from_millis(5);

/// Accepts one connection on `listener`, waiting at most `timeout` (the socket is left
/// blocking). Polls with pauses from 50 µs doubling to 5 ms: a peer that connects at once
/// (two threads, a child process) is taken within microseconds, a slow one costs ≈ 200
/// wake-ups a second.
pub fn accept_tcp(listener: &TcpListener, timeout: Duration) -> io::Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let deadline = std::time::Instant::now() + timeout;
    let mut pause = ACCEPT_POLL_MIN;
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no peer connected in time",
                    ));
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(ACCEPT_POLL_MAX);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Opens a TCP connection to `addr` (trying each address it resolves to), giving up on each
/// after `timeout`.
pub fn connect_tcp<A: ToSocketAddrs>(addr: A, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "address resolved to nothing");
    for a in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Bytes of a [`TcpChannel`]'s send buffer (the socket is written in pieces this large).
///
/// 1 MiB: garbler + evaluator over loopback on the random 1M-AND circuit (2-core Zen 4,
/// interleaved with in-memory garbling, 14 rounds) ran at 0.66× in-memory garbling (median)
/// against 0.55× with the former 64 KiB `BufWriter`/`BufReader`; 256 KiB buffers were a few
/// per cent slower than 1 MiB. Fewer, larger socket calls cost less kernel time per byte.
pub const TCP_SEND_BUF: usize = 1 << 20;
/// Bytes of a [`TcpChannel`]'s receive buffer (the socket is read in pieces up to this large).
pub const TCP_RECV_BUF: usize = 1 << 20;

/// A TCP connection with buffered reads and writes and a read/write timeout.
///
/// Its two buffers are allocated once per connection and reused: blocks are written straight into the
/// send buffer (one copy, no staging) and read straight out of the receive buffer, and
/// the socket sees writes of [`TCP_SEND_BUF`] bytes and reads of up to [`TCP_RECV_BUF`].
/// What is still queued when the channel is dropped is sent (best effort), as a
/// `BufWriter` would.
pub struct TcpChannel {
    stream: TcpStream,
    out: Box<[u8]>,
    out_len: usize,
    inbox: Box<[u8]>,
    in_pos: usize,
    in_end: usize,
    timeout: Duration,
    sent: u64,
    received: u64,
}

impl TcpChannel {
    /// Wraps a connected stream; reads and writes give up after `timeout`.
    pub fn new(stream: TcpStream, timeout: Duration) -> io::Result<TcpChannel> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(TcpChannel {
            stream,
            out: vec![0; TCP_SEND_BUF].into_boxed_slice(),
            out_len: 0,
            inbox: vec![0; TCP_RECV_BUF].into_boxed_slice(),
            in_pos: 0,
            in_end: 0,
            timeout,
            sent: 0,
            received: 0,
        })
    }

    /// Connects to `addr`.
    pub fn connect<A: ToSocketAddrs>(addr: A, timeout: Duration) -> io::Result<TcpChannel> {
        TcpChannel::new(connect_tcp(addr, timeout)?, timeout)
    }

    /// Accepts one connection on `listener`, waiting at most `timeout`.
    pub fn accept(listener: &TcpListener, timeout: Duration) -> io::Result<TcpChannel> {
        TcpChannel::new(accept_tcp(listener, timeout)?, timeout)
    }

    fn map_err(&self, e: io::Error, needed: usize) -> ChannelError {
        map_io_error(e, needed, self.timeout)
    }

    /// Writes `bytes` to the socket, unbuffered.
    fn write_through(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        (&self.stream)
            .write_all(bytes)
            .map_err(|e| map_io_error(e, 0, self.timeout))
    }

    /// Writes out the send buffer (emptied even on an error: the stream is then broken).
    fn drain_out(&mut self) -> Result<(), ChannelError> {
        let n = std::mem::take(&mut self.out_len);
        if n == 0 {
            return Ok(());
        }
        (&self.stream)
            .write_all(&self.out[..n])
            .map_err(|e| map_io_error(e, 0, self.timeout))
    }

    /// One read from the socket into the receive buffer, after moving the unread bytes (if
    /// any) to its front; `needed`: bytes the caller still expects (for the error).
    fn fill_inbox(&mut self, needed: usize) -> Result<(), ChannelError> {
        self.inbox.copy_within(self.in_pos..self.in_end, 0);
        self.in_end -= self.in_pos;
        self.in_pos = 0;
        loop {
            match (&self.stream).read(&mut self.inbox[self.in_end..]) {
                Ok(0) => return Err(ChannelError::Closed { needed }),
                Ok(k) => {
                    self.in_end += k;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.map_err(e, needed)),
            }
        }
    }
}

impl Drop for TcpChannel {
    fn drop(&mut self) {
        // Best effort, as `BufWriter` does: a peer may still read what was queued.
        let _ = self.drain_out();
    }
}

impl Channel for TcpChannel {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        if bytes.len() > self.out.len() - self.out_len {
            self.drain_out()?;
        }
        if bytes.len() >= self.out.len() {
            self.write_through(bytes)?;
        } else {
            self.out[self.out_len..self.out_len + bytes.len()].copy_from_slice(bytes);
            self.out_len += bytes.len();
        }
        self.sent += bytes.len() as u64;
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        // Flush first: the peer may be waiting for what we queued before answering.
        self.flush()?;
        let mut filled = 0;
        loop {
            let n = (buf.len() - filled).min(self.in_end - self.in_pos);
            buf[filled..filled + n].copy_from_slice(&self.inbox[self.in_pos..self.in_pos + n]);
            self.in_pos += n;
            filled += n;
            if filled == buf.len() {
                break;
            }
            self.fill_inbox(buf.len() - filled)?;
        }
        self.received += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.drain_out()
    }

    fn bytes_sent(&self) -> u64 {
        self.sent
    }

    fn bytes_received(&self) -> u64 {
        self.received
    }

    fn send_blocks(&mut self, blocks: &[Block]) -> Result<(), ChannelError> {
        let mut rest = blocks;
        while !rest.is_empty() {
            let room = (self.out.len() - self.out_len) / 16;
            if room == 0 {
                self.drain_out()?;
                continue;
            }
            let (now, later) = rest.split_at(room.min(rest.len()));
            let end = self.out_len + 16 * now.len();
            blocks_into_bytes(now, &mut self.out[self.out_len..end]);
            self.out_len = end;
            rest = later;
        }
        self.sent += 16 * blocks.len() as u64;
        Ok(())
    }

    fn recv_blocks(&mut self, out: &mut [Block]) -> Result<(), ChannelError> {
        self.flush()?;
        let mut done = 0;
        while done < out.len() {
            let whole = (self.in_end - self.in_pos) / 16;
            if whole == 0 {
                let needed = 16 * (out.len() - done) - (self.in_end - self.in_pos);
                self.fill_inbox(needed)?;
                continue;
            }
            let k = whole.min(out.len() - done);
            let end = self.in_pos + 16 * k;
            blocks_from_bytes(&self.inbox[self.in_pos..end], &mut out[done..done + k]);
            self.in_pos = end;
            done += k;
        }
        self.received += 16 * out.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_truncated_stream_is_closed_error() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let t = std::thread::spawn(move || {
            let mut c = TcpChannel::connect(addr, Duration::from_secs(5)).expect("connect");
            c.send(&[1, 2, 3]).expect("send");
            c.flush().expect("flush");
        });
        let mut s = TcpChannel::accept(&listener, Duration::from_secs(5)).expect("accept");
        t.join().expect("join");
        let mut buf = [0u8; 8];
        assert!(matches!(
            s.recv_exact(&mut buf),
            Err(ChannelError::Closed { needed: 5 })
        ));
    }

    /// Connected (client, server) ends.
    fn pair() -> (TcpChannel, TcpChannel) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let c = TcpChannel::connect(addr, Duration::from_secs(10)).expect("connect");
        let s = TcpChannel::accept(&listener, Duration::from_secs(10)).expect("accept");
        (c, s)
    }

    fn pattern(n: usize, seed: u8) -> Vec<u8> {
        (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed).collect()
    }

    fn blocks(n: usize, seed: u128) -> Vec<Block> {
        (0..n as u128)
            .map(|i| Block(i.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) ^ seed))
            .collect()
    }

    #[test]
    fn tcp_bytes_and_blocks_round_trip_across_buffer_boundaries() {
        let (mut c, mut s) = pair();
        // Messages larger than both buffers, odd lengths that leave a block split across two
        // socket reads, and the tail sent by dropping the channel without a flush.
        let big = pattern(TCP_SEND_BUF + 5, 1);
        let many = blocks(TCP_SEND_BUF / 16 + 3, 7);
        let t = std::thread::spawn({
            let (big, many) = (big.clone(), many.clone());
            move || {
                c.send(&[1, 2, 3, 4, 5, 6, 7]).expect("send");
                c.send_blocks(&blocks(3, 2)).expect("send");
                c.send(&big).expect("send");
                c.send_blocks(&many).expect("send");
                c.send(&[9]).expect("send");
                c.send_blocks(&many[..1]).expect("send");
                c.bytes_sent()
            }
        });
        let mut seven = [0u8; 7];
        s.recv_exact(&mut seven).expect("recv");
        assert_eq!(seven, [1, 2, 3, 4, 5, 6, 7]);
        let mut three = [Block::ZERO; 3];
        s.recv_blocks(&mut three).expect("recv");
        assert_eq!(three.to_vec(), blocks(3, 2));
        let mut got = vec![0u8; big.len()];
        s.recv_exact(&mut got).expect("recv");
        assert_eq!(got, big);
        let mut got = vec![Block::ZERO; many.len()];
        s.recv_blocks(&mut got).expect("recv");
        assert_eq!(got, many);
        let mut one = [0u8; 1];
        s.recv_exact(&mut one).expect("recv");
        assert_eq!(one, [9]);
        let mut last = [Block::ZERO];
        s.recv_blocks(&mut last).expect("recv");
        assert_eq!(last[0], many[0]);
        let sent = t.join().expect("join");
        assert_eq!(sent, s.bytes_received());
        assert_eq!(
            sent,
            7 + 48 + big.len() as u64 + 16 * many.len() as u64 + 1 + 16
        );
    }

    #[test]
    fn tcp_stream_cut_inside_blocks_names_the_missing_bytes() {
        let (mut c, mut s) = pair();
        c.send(&[0xab; 40]).expect("send");
        drop(c);
        let mut out = [Block::ZERO; 4];
        assert!(matches!(
            s.recv_blocks(&mut out),
            Err(ChannelError::Closed { needed: 24 })
        ));
        assert_eq!(out[..2], [Block(u128::from_le_bytes([0xab; 16])); 2]);
    }
}
