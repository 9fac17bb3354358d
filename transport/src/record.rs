//! The TLS 1.3 record layer of an established connection, run by us with rustls' own
//! record protection (its `MessageEncrypter` / `MessageDecrypter` for the negotiated suite,
//! keyed with the traffic secrets rustls hands over after the handshake).
//!
//! Why not rustls' streams: rustls 0.23 copies every decrypted record into a fresh `Vec`
//! (`CommonState::take_received_plaintext`, in its unbuffered API too) before the caller
//! copies it again; on a stream of garbled tables that copy and its allocation cost more
//! than the AES-GCM. Here records are read from the socket into one large buffer, decrypted
//! in place there, and handed out from it.
//!
//! What is ours is only framing: the 5-byte record header, the sequence numbers (one per
//! record and direction, starting where rustls left them; the nonce is derived from them by
//! rustls), and the inner content types after decryption: application data is delivered, a
//! close_notify alert ends the stream, anything else (another alert, a post-handshake
//! message — the parties send no tickets and no key updates) is an error. A sender refuses to
//! go past the suite's confidentiality limit instead of updating keys.

use runtime::block::{Block, blocks_from_bytes};
use rustls::crypto::cipher::{
    InboundOpaqueMessage, MessageDecrypter, MessageEncrypter, OutboundChunks, OutboundPlainMessage,
};
use rustls::{ConnectionTrafficSecrets, ContentType, ExtractedSecrets, ProtocolVersion};
use std::io::{self, Read};

/// Plaintext bytes of one record at most (RFC 8446 §5.1).
pub const MAX_FRAGMENT: usize = 1 << 14;

/// Header bytes of a record.
pub const HEADER: usize = 5;

/// Ciphertext bytes of one record at most (RFC 8446 §5.2: 2^14 + 256).
const MAX_CIPHERTEXT: usize = MAX_FRAGMENT + 256;

/// Bytes read from the socket at a time (besides room for one whole record).
const READ_BUFFER: usize = 1 << 18;

/// One direction's protection: rustls' encrypter or decrypter and the next sequence number.
struct Keys<C: ?Sized> {
    cipher: Box<C>,
    seq: u64,
}

/// The record layer of one established TLS 1.3 connection.
pub struct Records {
    tx: Keys<dyn MessageEncrypter>,
    rx: Keys<dyn MessageDecrypter>,
    /// Records this side may send (the suite's confidentiality limit).
    limit: u64,
    /// Bytes read from the socket: `[..plain.start]` consumed, `plain` decrypted and not yet
    /// handed out, `[next..filled]` not yet decrypted.
    inbox: Vec<u8>,
    plain: std::ops::Range<usize>,
    next: usize,
    filled: usize,
    /// Whether the peer's close_notify arrived (the stream has ended).
    closed: bool,
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl Records {
    /// The record layer continuing a connection whose handshake rustls completed:
    /// `secrets` are its traffic secrets and sequence numbers, `suite` its cipher suite.
    pub fn new(
        suite: &'static rustls::Tls13CipherSuite,
        secrets: ExtractedSecrets,
    ) -> Result<Self, rustls::Error> {
        let (tx_seq, tx) = secrets.tx;
        let (rx_seq, rx) = secrets.rx;
        let (tx_key, tx_iv) = key_iv(tx)?;
        let (rx_key, rx_iv) = key_iv(rx)?;
        Ok(Self {
            tx: Keys {
                cipher: suite.aead_alg.encrypter(tx_key, tx_iv),
                seq: tx_seq,
            },
            rx: Keys {
                cipher: suite.aead_alg.decrypter(rx_key, rx_iv),
                seq: rx_seq,
            },
            limit: suite.common.confidentiality_limit,
            inbox: vec![0; READ_BUFFER + HEADER + MAX_CIPHERTEXT],
            plain: 0..0,
            next: 0,
            filled: 0,
            closed: false,
        })
    }

    /// Appends the records carrying `data` to `out` (at most [`MAX_FRAGMENT`] bytes each).
    pub fn seal(&mut self, data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        for chunk in data.chunks(MAX_FRAGMENT) {
            if self.tx.seq >= self.limit {
                return Err(invalid(format!(
                    "TLS: {} records sent, the cipher suite's confidentiality limit",
                    self.tx.seq
                )));
            }
            self.push(ContentType::ApplicationData, chunk, out)?;
        }
        Ok(())
    }

    /// Fills `buf` with the next plaintext bytes, reading and decrypting records from
    /// `socket` as needed. The stream's end (close_notify, or the socket's EOF) before
    /// `buf` is full is `UnexpectedEof`; a record that fails to decrypt or is not
    /// application data is `InvalidData`.
    pub fn read_exact(&mut self, socket: &mut impl Read, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            if self.plain.is_empty() {
                self.open_next(socket)?;
                continue;
            }
            let n = self.plain.len().min(buf.len() - done);
            let from = self.plain.start;
            buf[done..done + n].copy_from_slice(&self.inbox[from..from + n]);
            self.plain.start += n;
            done += n;
        }
        Ok(())
    }

    /// Fills `out` with the next `16 · out.len()` plaintext bytes as blocks (16 bytes each,
    /// little-endian), straight out of the decrypted records; a block split between two
    /// records is put together. Errors as [`Records::read_exact`].
    pub fn read_blocks(&mut self, socket: &mut impl Read, out: &mut [Block]) -> io::Result<()> {
        let mut done = 0;
        while done < out.len() {
            let whole = self.plain.len() / 16;
            if whole == 0 {
                if self.plain.is_empty() {
                    self.open_next(socket)?;
                } else {
                    let mut bytes = [0u8; 16];
                    self.read_exact(socket, &mut bytes)?;
                    out[done] = Block::from_bytes(bytes);
                    done += 1;
                }
                continue;
            }
            let k = whole.min(out.len() - done);
            let from = self.plain.start;
            blocks_from_bytes(&self.inbox[from..from + 16 * k], &mut out[done..done + k]);
            self.plain.start += 16 * k;
            done += k;
        }
        Ok(())
    }

    /// Decrypts the next record in place (reading from `socket` until it is whole) and
    /// makes its application data the current plaintext.
    fn open_next(&mut self, socket: &mut impl Read) -> io::Result<()> {
        if self.closed {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "TLS: the peer closed the stream (close_notify)",
            ));
        }
        self.fill(socket, HEADER)?;
        let header = &self.inbox[self.next..self.next + HEADER];
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if header[0] != u8::from(ContentType::ApplicationData)
            || header[1..3] != [3, 3]
            || len > MAX_CIPHERTEXT
        {
            return Err(invalid(format!(
                "TLS: malformed record header {header:02x?} (record {})",
                self.rx.seq
            )));
        }
        self.fill(socket, HEADER + len)?;
        let start = self.next + HEADER;
        let body = &mut self.inbox[start..start + len];
        let body_at = body.as_ptr() as usize;
        let msg =
            InboundOpaqueMessage::new(ContentType::ApplicationData, ProtocolVersion::TLSv1_2, body);
        let plain = self.rx.cipher.decrypt(msg, self.rx.seq).map_err(|e| {
            invalid(format!(
                "TLS: record {} rejected ({e}): tampered or corrupt",
                self.rx.seq
            ))
        })?;
        let (typ, payload) = (plain.typ, plain.payload);
        // rustls decrypts in place: the plaintext is a part of `body`.
        let offset = start + (payload.as_ptr() as usize - body_at);
        let range = offset..offset + payload.len();
        // An alert is (level, description); close_notify is description 0.
        let alert = (payload.len(), payload.get(1).copied());
        self.rx.seq += 1;
        self.next = start + len;
        match typ {
            ContentType::ApplicationData => self.plain = range,
            ContentType::Alert if alert == (2, Some(0)) => self.closed = true,
            ContentType::Alert => {
                return Err(invalid(format!("TLS: the peer sent alert {:?}", alert.1)));
            }
            other => {
                return Err(invalid(format!(
                    "TLS: unexpected {other:?} record after the handshake"
                )));
            }
        }
        Ok(())
    }

    /// Reads from `socket` until `[next..filled]` holds at least `want` bytes, first moving
    /// the undecrypted tail to the front when the buffer lacks room (all plaintext before it
    /// has been handed out: this is only called when `plain` is empty).
    fn fill(&mut self, socket: &mut impl Read, want: usize) -> io::Result<()> {
        if self.next + want > self.inbox.len() {
            self.inbox.copy_within(self.next..self.filled, 0);
            self.filled -= self.next;
            self.next = 0;
            self.plain = 0..0;
        }
        while self.filled - self.next < want {
            let n = match socket.read(&mut self.inbox[self.filled..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "TLS: the peer closed the connection without close_notify",
                ));
            }
            self.filled += n;
        }
        Ok(())
    }

    /// Appends a close_notify alert record to `out`.
    pub fn close_notify(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.push(ContentType::Alert, &[1, 0], out)
    }

    /// Encrypts one record of type `typ` under the next sequence number and appends it.
    fn push(&mut self, typ: ContentType, payload: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        let msg = OutboundPlainMessage {
            typ,
            version: ProtocolVersion::TLSv1_2,
            payload: OutboundChunks::Single(payload),
        };
        let record = self
            .tx
            .cipher
            .encrypt(msg, self.tx.seq)
            .map_err(|e| invalid(format!("TLS: cannot encrypt a {typ:?} record: {e}")))?;
        self.tx.seq += 1;
        out.extend_from_slice(&record.encode());
        Ok(())
    }
}

/// The key and IV of one direction's traffic secrets.
fn key_iv(
    secrets: ConnectionTrafficSecrets,
) -> Result<(rustls::crypto::cipher::AeadKey, rustls::crypto::cipher::Iv), rustls::Error> {
    match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        | ConnectionTrafficSecrets::Aes256Gcm { key, iv }
        | ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => Ok((key, iv)),
        _ => Err(rustls::Error::General(
            "TLS: the negotiated cipher suite is not a TLS 1.3 AEAD".into(),
        )),
    }
}
