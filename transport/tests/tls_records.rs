//! The TLS channel's own record layer ([`gcc_nn_transport::record`]) end to end over
//! loopback: megabytes both ways in random chunk sizes arrive byte for byte (and the byte
//! counters and session ids agree), blocks too, straddling records; a flipped byte or a record cut short on the wire is an
//! error, never data; close_notify ends the stream after everything sent before it.

use gcc_nn_transport::{AllowList, ClientTransport, Identity, Link, Role, ServerTransport};
use runtime::block::Block;
use runtime::channel::{Channel, ChannelError};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Deterministic test data and chunk sizes (xorshift64*; not a key, only a pattern).
struct Pattern(u64);

impl Pattern {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }

    /// A chunk size in 1..=max, small sizes as likely as large ones' magnitudes.
    fn size(&mut self, max: usize) -> usize {
        let bits = (self.next() % 18) as u32;
        1 + (self.next() as usize % (1usize << bits)).min(max - 1)
    }
}

/// A TLS server transport and a client transport that trusts it.
fn transports() -> (ServerTransport, ClientTransport) {
    let cloud = Identity::generate(Role::Cloud).expect("cloud identity");
    let user = Identity::generate(Role::User).expect("user identity");
    let allow = AllowList::of(vec![(user.fingerprint(), "test user".into())]);
    (
        ServerTransport::tls(&cloud, allow).expect("server config"),
        ClientTransport::tls(&user, cloud.fingerprint()).expect("client config"),
    )
}

/// The server's link (in a thread) and the client's, the client connecting to `addr` when
/// given (a proxy in front of `listener`) or to `listener` itself.
fn connect(listener: TcpListener, via: Option<String>) -> (JoinHandle<Link>, Link) {
    let (server, client) = transports();
    let addr = via.unwrap_or_else(|| listener.local_addr().expect("addr").to_string());
    let accept = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        server.accept(stream, TIMEOUT).expect("server handshake")
    });
    (
        accept,
        client.connect(&addr, TIMEOUT).expect("client handshake"),
    )
}

fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind")
}

/// Sends `data` in random chunk sizes (flushing now and then).
fn send_all(link: &mut Link, data: &[u8], sizes: &mut Pattern) {
    let mut at = 0;
    while at < data.len() {
        let n = sizes.size(200_000).min(data.len() - at);
        link.send(&data[at..at + n]).expect("send");
        if sizes.next().is_multiple_of(7) {
            link.flush().expect("flush");
        }
        at += n;
    }
    link.flush().expect("flush");
}

/// Receives `len` bytes in random chunk sizes.
fn recv_all(link: &mut Link, len: usize, sizes: &mut Pattern) -> Vec<u8> {
    let mut got = vec![0u8; len];
    let mut at = 0;
    while at < len {
        let n = sizes.size(150_000).min(len - at);
        link.recv_exact(&mut got[at..at + n]).expect("recv");
        at += n;
    }
    got
}

#[test]
fn megabytes_both_ways_in_random_chunks_arrive_byte_for_byte() {
    let (accept, mut client) = connect(listener(), None);
    let up = Pattern(0x1234_5678_9abc_def1).bytes(3 << 20);
    let down = Pattern(0x0fed_cba9_8765_4321).bytes((2 << 20) + 12_345);
    let (up2, down2) = (up.clone(), down.clone());
    let server = std::thread::spawn(move || {
        let mut server = accept.join().expect("accept thread");
        let got = recv_all(&mut server, up2.len(), &mut Pattern(7));
        // A small ping-pong between the bulk transfers: recv flushes what was queued.
        server.send(b"ping").expect("send");
        let mut pong = [0u8; 4];
        server.recv_exact(&mut pong).expect("pong");
        send_all(&mut server, &down2, &mut Pattern(8));
        (
            got,
            pong,
            server.bytes_sent(),
            server.bytes_received(),
            server.session_id(),
        )
    });
    send_all(&mut client, &up, &mut Pattern(9));
    let mut ping = [0u8; 4];
    client.recv_exact(&mut ping).expect("ping");
    client.send(b"pong").expect("send");
    let got_down = recv_all(&mut client, down.len(), &mut Pattern(10));
    let (got_up, pong, s_sent, s_received, s_session) = server.join().expect("server thread");
    assert!(got_up == up, "the client's bytes arrive unchanged");
    assert!(got_down == down, "the server's bytes arrive unchanged");
    assert_eq!((&ping, &pong), (b"ping", b"pong"));
    assert_eq!(s_received, up.len() as u64 + 4);
    assert_eq!(s_sent, down.len() as u64 + 4);
    assert_eq!(client.bytes_sent(), s_received);
    assert_eq!(client.bytes_received(), s_sent);
    assert_eq!(
        client.session_id(),
        s_session,
        "both ends export the same session id"
    );
    assert_ne!(s_session, [0u8; 32]);
}

#[test]
fn close_notify_ends_the_stream_after_everything_sent_before_it() {
    let (accept, mut client) = connect(listener(), None);
    let data = Pattern(3).bytes(100_000);
    client.send(&data).expect("send");
    let Link::Tls(tls) = &mut client else {
        panic!("the link is TLS");
    };
    tls.close().expect("close");
    let mut server = accept.join().expect("accept thread");
    let mut got = vec![0u8; data.len()];
    server
        .recv_exact(&mut got)
        .expect("data before close_notify");
    assert!(got == data);
    let mut more = [0u8; 1];
    assert!(matches!(
        server.recv_exact(&mut more),
        Err(ChannelError::Closed { needed: 1 })
    ));
}

/// Blocks of a deterministic pattern.
fn blocks(pattern: &mut Pattern, n: usize) -> Vec<Block> {
    (0..n)
        .map(|_| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&pattern.next().to_le_bytes());
            b[8..].copy_from_slice(&pattern.next().to_le_bytes());
            Block::from_bytes(b)
        })
        .collect()
}

/// The TLS channel's block path (blocks written straight into its plaintext buffer, read
/// straight out of decrypted records): blocks sent after 5 bytes straddle record boundaries
/// and still arrive whole, in random batch sizes; the block path and the byte path carry the
/// same bytes (16 per block, little-endian) in both directions, and the counters agree.
#[test]
fn blocks_straddling_records_arrive_whole_and_match_the_byte_path() {
    let (accept, mut client) = connect(listener(), None);
    let first = blocks(&mut Pattern(21), 70_001);
    let second = blocks(&mut Pattern(22), 9_999);
    let back = blocks(&mut Pattern(23), 40_003);
    let (first2, second2, back2) = (first.clone(), second.clone(), back.clone());
    let server = std::thread::spawn(move || {
        let mut server = accept.join().expect("accept thread");
        let mut head = [0u8; 5];
        server.recv_exact(&mut head).expect("head");
        let mut got = vec![Block::ZERO; first2.len()];
        let (mut at, mut sizes) = (0, Pattern(24));
        while at < got.len() {
            let n = sizes.size(3_000).min(got.len() - at);
            server.recv_blocks(&mut got[at..at + n]).expect("blocks");
            at += n;
        }
        let mut mid = [0u8; 3];
        server.recv_exact(&mut mid).expect("mid");
        // The second run of blocks read as bytes: the block path's wire format.
        let mut raw = vec![0u8; 16 * second2.len()];
        server.recv_exact(&mut raw).expect("raw blocks");
        let as_bytes: Vec<u8> = second2.iter().flat_map(|b| b.to_bytes()).collect();
        // And back: blocks sent as bytes, read by the client with recv_blocks.
        let bytes: Vec<u8> = back2.iter().flat_map(|b| b.to_bytes()).collect();
        send_all(&mut server, &bytes, &mut Pattern(25));
        let ok = head == *b"head!" && mid == *b"mid" && got == first2 && raw == as_bytes;
        (ok, server.bytes_received(), server.bytes_sent())
    });
    client.send(b"head!").expect("send");
    for (i, chunk) in first.chunks(4_321).enumerate() {
        client.send_blocks(chunk).expect("send blocks");
        if i % 5 == 4 {
            client.flush().expect("flush");
        }
    }
    client.send(b"mid").expect("send");
    client.send_blocks(&second).expect("send blocks");
    let mut got_back = vec![Block::ZERO; back.len()];
    client.recv_blocks(&mut got_back).expect("blocks back");
    let (ok, s_received, s_sent) = server.join().expect("server thread");
    assert!(ok, "the server got every byte and block as sent");
    assert!(
        got_back == back,
        "blocks sent as bytes arrive as the same blocks"
    );
    assert_eq!(s_received, 8 + 16 * (first.len() + second.len()) as u64);
    assert_eq!(client.bytes_sent(), s_received);
    assert_eq!(client.bytes_received(), s_sent);
    assert_eq!(s_sent, 16 * back.len() as u64);
}

/// A stream that ends inside a block (close_notify after 8 bytes) is `Closed`, not a block.
#[test]
fn a_stream_ending_inside_a_block_is_closed_not_data() {
    let (accept, mut client) = connect(listener(), None);
    client.send(&[7u8; 24]).expect("send");
    let Link::Tls(tls) = &mut client else {
        panic!("the link is TLS");
    };
    tls.close().expect("close");
    let mut server = accept.join().expect("accept thread");
    let mut one = [Block::ZERO; 1];
    server.recv_blocks(&mut one).expect("the first whole block");
    assert_eq!(one[0], Block::from_bytes([7u8; 16]));
    assert!(matches!(
        server.recv_blocks(&mut one),
        Err(ChannelError::Closed { needed: 16 })
    ));
}

/// A proxy for one connection: client → server bytes pass through `tamper` (given each
/// chunk and its offset in the stream; returning false cuts the stream there), server →
/// client bytes unchanged.
fn proxy(
    server: String,
    tamper: impl FnMut(u64, &mut Vec<u8>) -> bool + Send + 'static,
) -> (String, JoinHandle<()>) {
    let front = listener();
    let addr = front.local_addr().expect("addr").to_string();
    let h = std::thread::spawn(move || {
        let (user, _) = front.accept().expect("proxy accept");
        let cloud = TcpStream::connect(server).expect("proxy connect");
        let (u2, c2) = (
            user.try_clone().expect("clone"),
            cloud.try_clone().expect("clone"),
        );
        let down = std::thread::spawn(move || pump(c2, u2, |_, _| true));
        pump(user, cloud, tamper);
        let _ = down.join();
    });
    (addr, h)
}

fn pump(mut from: TcpStream, mut to: TcpStream, mut tamper: impl FnMut(u64, &mut Vec<u8>) -> bool) {
    let mut passed = 0u64;
    let mut buf = vec![0u8; 4096];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        let mut chunk = buf[..n].to_vec();
        let go_on = tamper(passed, &mut chunk);
        passed += n as u64;
        if to.write_all(&chunk).is_err() || !go_on {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Sends 300 kB through a proxy applying `tamper`; returns what the server's read gave
/// (the data, checked to be the data sent, or the error).
fn through_proxy(
    tamper: impl FnMut(u64, &mut Vec<u8>) -> bool + Send + 'static,
) -> Result<usize, ChannelError> {
    let back = listener();
    let (addr, h) = proxy(back.local_addr().expect("addr").to_string(), tamper);
    let (accept, client) = connect(back, Some(addr));
    let data = Pattern(11).bytes(300_000);
    let sent = data.clone();
    let sender = std::thread::spawn(move || {
        let mut client = client;
        // The send may fail once the proxy has cut the stream: the server's view is the test.
        let _ = client.send(&sent).and_then(|()| client.flush());
        client
    });
    let mut server = accept.join().expect("accept thread");
    let mut got = vec![0u8; data.len()];
    let out = server.recv_exact(&mut got);
    drop(server);
    drop(sender.join().expect("sender thread"));
    h.join().expect("proxy thread");
    out.map(|()| {
        assert!(got == data, "data that arrives is the data sent");
        got.len()
    })
}

/// Where the body of record number `index` of a TLS stream starts, once `stream` holds
/// every header before it.
fn body_of_record(stream: &[u8], index: usize) -> Option<usize> {
    let mut at = 0;
    for _ in 0..index {
        let header = stream.get(at..at + 5)?;
        at += 5 + usize::from(u16::from_be_bytes([header[3], header[4]]));
    }
    Some(at + 5)
}

/// The client → server record tampered with: past the handshake's few records, inside the
/// application data (300 kB are 19 records).
const RECORD: usize = 12;
#[test]
fn an_untouched_proxy_passes_the_data() {
    assert!(through_proxy(|_, _| true).is_ok(), "the control passes");
}

#[test]
fn a_flipped_byte_in_a_record_is_an_error_never_data() {
    let mut stream = Vec::new();
    let out = through_proxy(move |passed, chunk| {
        stream.extend_from_slice(chunk);
        let end = passed as usize + chunk.len();
        // A byte in the middle of the record's body, found from the headers seen so far.
        if let Some(at) = body_of_record(&stream, RECORD).map(|b| b + 1000)
            && (passed as usize..end).contains(&at)
        {
            chunk[at - passed as usize] ^= 0x01;
        }
        true
    });
    match out {
        Err(ChannelError::Io(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
            assert!(e.to_string().contains("tampered or corrupt"), "{e}");
        }
        other => panic!("a flipped byte must fail the read: {other:?}"),
    }
}

#[test]
fn a_record_cut_short_is_an_error_never_data() {
    let mut stream = Vec::new();
    let out = through_proxy(move |passed, chunk| {
        stream.extend_from_slice(chunk);
        let end = passed as usize + chunk.len();
        match body_of_record(&stream, RECORD).map(|b| b + 1000) {
            Some(at) if at < end => {
                chunk.truncate(at.saturating_sub(passed as usize));
                false
            }
            _ => true,
        }
    });
    assert!(
        matches!(out, Err(ChannelError::Closed { .. })),
        "a stream cut inside a record ends as closed: {out:?}"
    );
}
