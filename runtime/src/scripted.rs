//! Channels for testing a party against recorded or hostile peers: a [`ScriptedChannel`]
//! whose reads come from a fixed byte string (writes are counted and discarded), and a
//! [`RecordingChannel`] that keeps every byte its party receives. Together they turn an
//! honest run into a transcript that can be replayed, mutated or fuzzed.

use crate::channel::{Channel, ChannelError, SessionId, UNBOUND_SESSION};

/// A peer that "sends" a fixed script: reads consume it, writes vanish. When the script
/// runs out a read fails with [`ChannelError::Closed`], as if the peer had hung up.
#[derive(Debug, Clone)]
pub struct ScriptedChannel<'a> {
    script: &'a [u8],
    pos: usize,
    sent: u64,
    session: SessionId,
}

impl<'a> ScriptedChannel<'a> {
    /// A channel whose reads return `script`, in order.
    pub fn new(script: &'a [u8]) -> Self {
        Self {
            script,
            pos: 0,
            sent: 0,
            session: UNBOUND_SESSION,
        }
    }

    /// The same channel, carrying session `id` (a transcript replayed into a session).
    pub fn with_session(mut self, id: SessionId) -> Self {
        self.session = id;
        self
    }

    /// Bytes of the script not read yet.
    pub fn remaining(&self) -> usize {
        self.script.len() - self.pos
    }
}

impl Channel for ScriptedChannel<'_> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.sent += bytes.len() as u64;
        Ok(())
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        let rest = &self.script[self.pos..];
        if rest.len() < buf.len() {
            self.pos = self.script.len();
            return Err(ChannelError::Closed {
                needed: buf.len() - rest.len(),
            });
        }
        buf.copy_from_slice(&rest[..buf.len()]);
        self.pos += buf.len();
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        Ok(())
    }

    fn bytes_sent(&self) -> u64 {
        self.sent
    }

    fn bytes_received(&self) -> u64 {
        self.pos as u64
    }

    fn session_id(&self) -> SessionId {
        self.session
    }
}

/// Wraps a channel and keeps a copy of every byte received through it.
pub struct RecordingChannel<C> {
    inner: C,
    received: Vec<u8>,
}

impl<C: Channel> RecordingChannel<C> {
    /// Records what arrives on `inner`.
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            received: Vec::new(),
        }
    }

    /// Every byte received so far, in order.
    pub fn received(&self) -> &[u8] {
        &self.received
    }

    /// The recorded bytes (the channel is dropped, which closes it).
    pub fn into_received(self) -> Vec<u8> {
        self.received
    }
}

impl<C: Channel> Channel for RecordingChannel<C> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.inner.send(bytes)
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.recv_exact(buf)?;
        self.received.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }

    fn bytes_sent(&self) -> u64 {
        self.inner.bytes_sent()
    }

    fn bytes_received(&self) -> u64 {
        self.inner.bytes_received()
    }

    fn session_id(&self) -> SessionId {
        self.inner.session_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{MemChannel, recv_u64, send_u64};
    use std::time::Duration;

    #[test]
    fn script_is_read_in_order_then_the_peer_hangs_up() {
        let script = [1u8, 2, 3, 4, 5];
        let mut ch = ScriptedChannel::new(&script);
        ch.send(&[9; 100]).expect("writes are discarded");
        let mut two = [0u8; 2];
        ch.recv_exact(&mut two).expect("first read");
        assert_eq!(two, [1, 2]);
        assert_eq!(ch.remaining(), 3);
        let mut four = [0u8; 4];
        assert!(matches!(
            ch.recv_exact(&mut four),
            Err(ChannelError::Closed { needed: 1 })
        ));
        assert_eq!(ch.bytes_sent(), 100);
        assert_eq!(ch.remaining(), 0);
    }

    #[test]
    fn recording_keeps_exactly_what_arrived() {
        let (mut a, b) = MemChannel::pair(Duration::from_secs(5));
        let mut rec = RecordingChannel::new(b);
        send_u64(&mut a, 0x0102).expect("send");
        a.send(&[7, 8]).expect("send");
        a.flush().expect("flush");
        assert_eq!(recv_u64(&mut rec).expect("recv"), 0x0102);
        let mut two = [0u8; 2];
        rec.recv_exact(&mut two).expect("recv");
        assert_eq!(rec.received(), &[2, 1, 0, 0, 0, 0, 0, 0, 7, 8]);
        assert_eq!(rec.bytes_received(), 10);
    }
}
