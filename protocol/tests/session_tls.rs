//! Sessions over TLS 1.3 (issue 17, items 1–3), in-process over 127.0.0.1 with small
//! Paillier keys (these tests are about the link and the session binding, not the key size):
//!
//! - a user refuses a cloud whose certificate is not the pinned one, and one that does not
//!   speak TLS;
//! - the cloud refuses a user not on its allow-list before any work: nothing is written to
//!   its share store and the refusal comes at once (a positive control writes the store);
//! - a proxy flipping one byte in the middle of a session makes it fail with an error, never
//!   a wrong image (a control proxy that flips nothing gives the reference image);
//! - a message of another session is refused: the session offer, the garbled-circuit
//!   handshake (with same-session controls), and a whole TLS session replayed into a new
//!   connection;
//! - the per-user session rate refuses the session over the limit before any work.

extern crate gcc_nn_protocol as protocol;

use model::fixed::FixedMlp;
use model::patches::ImageLayout;
use paillier::SecretKey;
use protocol::fast::store::CloudShareStore;
use protocol::session::admit::UserRate;
use protocol::session::client::{Session, connect_with_policy, handshake_with_policy};
use protocol::session::serve::{CloudState, ServeOptions, serve};
use protocol::session::{KeyPolicy, ProtocolKind, SessionError};
use protocol::upload::{EncryptedModel, OwnerKey, OwnerPublicKey};
use runtime::channel::{Channel, MemChannel, SessionId};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use transport::{AllowList, ClientTransport, Fingerprint, Identity, Link, Role, ServerTransport};

type Lines = Arc<Mutex<Vec<String>>>;

/// The model of these tests: 1x1 patches, 3 hidden units.
fn tiny_fixed() -> FixedMlp {
    testkit::models::tiny()
}

/// A Paillier key of `bits` (small: the tests' key policy).
fn small_key(bits: u32) -> SecretKey {
    SecretKey::generate_any_size(bits, &mut rand::rng()).expect("key")
}

/// The model owner's signing key of these tests.
fn owner() -> OwnerKey {
    OwnerKey::from_seed(&[7; 32])
}

fn owner_pub() -> OwnerPublicKey {
    owner().public()
}

/// The owner's upload of `fixed` under `sk`'s public key.
fn encrypt_test_key(fixed: &FixedMlp, sk: &SecretKey) -> EncryptedModel {
    EncryptedModel::encrypt_with_rng(fixed, sk.public_key(), &owner(), &mut rand::rng())
        .expect("upload")
}

/// Input patches spread over the input range, extremes included.
fn test_patches(n: usize) -> Vec<Vec<i64>> {
    let max = model::fixed::FIXED.quantise_input(model::fixed::FIXED.input_clamp);
    (0..n as i64)
        .map(|k| vec![([max, -max, 0, 1234, -777][k as usize % 5] + k % 3).clamp(-max, max)])
        .collect()
}

/// A plain handshake under the tests' key policy.
fn handshake_test_key<C: Channel>(
    ch: C,
    sk: &SecretKey,
    kind: ProtocolKind,
) -> Result<Session<C>, SessionError> {
    handshake_with_policy(ch, sk, &owner_pub(), kind, KeyPolicy::InsecureTestKeys)
}

const T: Duration = Duration::from_secs(60);

/// The cloud's and an allowed user's identities.
struct Parties {
    cloud: Identity,
    user: Identity,
}

fn parties() -> Parties {
    Parties {
        cloud: Identity::generate(Role::Cloud).expect("cloud identity"),
        user: Identity::generate(Role::User).expect("user identity"),
    }
}

/// A TLS cloud serving `enc` on a free port for `connections` connections, accepting
/// `allowed`; its share store in `store` if given. Returns the address and the log.
fn tls_server(
    enc: EncryptedModel,
    cloud: &Identity,
    allowed: &[&Identity],
    store: Option<&Path>,
    user_rate: Option<UserRate>,
    connections: usize,
) -> (String, Lines, JoinHandle<()>) {
    let allow = AllowList::of(
        allowed
            .iter()
            .map(|u| (u.fingerprint(), "test user".to_string()))
            .collect(),
    );
    let transport = ServerTransport::tls(cloud, allow).expect("server transport");
    server(enc, transport, store, user_rate, connections)
}

/// The serve loop on a free port over `transport`, for `connections` connections, all of
/// which may run at once: a user never waits for the previous session's slot (the tests'
/// users connect one after another, and a connection answered busy would count as one of
/// the `connections` and go to a proxy that forwards only one).
fn server(
    enc: EncryptedModel,
    transport: ServerTransport,
    store: Option<&Path>,
    user_rate: Option<UserRate>,
    connections: usize,
) -> (String, Lines, JoinHandle<()>) {
    let mut state = CloudState::with_key_policy(enc, &owner_pub(), KeyPolicy::InsecureTestKeys)
        .expect("servable model");
    state.share_store = store.map(|d| CloudShareStore::open(d).expect("store"));
    let opts = ServeOptions {
        transport,
        user_rate,
        max_connections: Some(connections),
        max_sessions: connections,
        handshake_timeout: Duration::from_secs(10),
        ..ServeOptions::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let lines: Lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let h = std::thread::spawn(move || {
        let log = Arc::new(move |l: String| sink.lock().expect("log").push(l));
        serve(&listener, Arc::new(state), &opts, log).expect("serve");
    });
    (addr, lines, h)
}

/// Connects over TLS as `user`, pinning `cloud`.
fn tls_connect(
    addr: &str,
    user: &Identity,
    cloud: Fingerprint,
    sk: &SecretKey,
    kind: ProtocolKind,
) -> Result<Session<Link>, SessionError> {
    let transport = ClientTransport::tls(user, cloud).expect("client transport");
    let policy = KeyPolicy::InsecureTestKeys;
    let owner = owner_pub();
    // No waiting: the test servers take every connection at once (`server`).
    let wait = Duration::ZERO;
    connect_with_policy(&transport, addr, sk, &owner, kind, T, wait, policy)
}

/// A 4x4 image of the tiny model through the session, checked against the fixed-point
/// reference: `Ok` only with exactly the reference's pixels (a wrong image panics).
fn image_job(s: &mut Session<Link>, sk: &SecretKey) -> Result<(), SessionError> {
    let fixed = tiny_fixed();
    let layout = ImageLayout::new(4, 4, fixed.geometry(1).expect("geometry")).expect("layout");
    let patches: Vec<Vec<i64>> = test_patches(layout.patch_count());
    let (out, _) = s.run_image(sk, &patches, &layout, 4, &mut |_| {})?;
    let q: Vec<Vec<i64>> = patches.iter().map(|p| fixed.forward(p).0).collect();
    let want = model::pixel::image_pixels(&fixed.params, &layout, &patches, &q).expect("pixels");
    assert_eq!(
        out.pixels, want,
        "a session that succeeds gives the reference image"
    );
    Ok(())
}

fn log_text(lines: &Lines) -> String {
    lines.lock().expect("log").join("\n")
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map_while(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_user_refuses_a_cloud_with_another_certificate_or_without_tls() {
    let p = parties();
    let sk = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let impostor = Identity::generate(Role::Cloud).expect("impostor");
    let (addr, lines, first) = tls_server(enc.clone(), &impostor, &[&p.user], None, None, 1);
    let err = tls_connect(
        &addr,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::Reference,
    )
    .err()
    .expect("the user refuses the impostor");
    let text = err.to_string();
    assert!(
        text.contains(&impostor.fingerprint().to_string())
            && text.contains(&p.cloud.fingerprint().to_string()),
        "the refusal names both certificates: {text}"
    );
    first.join().expect("server");
    assert!(!log_text(&lines).contains("done"), "no session ran");

    // A cloud speaking plain TCP (no certificate at all): the TLS handshake fails.
    let (addr, _lines, _server) = server(enc, ServerTransport::InsecurePlaintext, None, None, 1);
    let err = tls_connect(
        &addr,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::Reference,
    )
    .err()
    .expect("the user refuses a cloud without TLS");
    assert!(err.to_string().contains("TLS"), "{err}");
}

#[test]
fn an_unknown_user_is_refused_before_any_work_and_nothing_is_written() {
    let p = parties();
    let stranger = Identity::generate(Role::User).expect("stranger");
    let sk = small_key(1024);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("store");
    let (addr, lines, server) = tls_server(enc, &p.cloud, &[&p.user], Some(&store), None, 2);
    let t = Instant::now();
    let mut s = tls_connect(
        &addr,
        &stranger,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::FastRlwe,
    )
    .and_then(|mut s| image_job(&mut s, &sk).map(|()| s))
    .err()
    .map(|e| (e, t.elapsed()));
    let (err, took) = s.take().expect("the stranger is refused");
    // A setup would generate a Paillier key and re-share the model first (seconds even at
    // 1024 bits); the refusal comes from the TLS handshake.
    assert!(
        took < Duration::from_secs(5),
        "refused at once, took {took:?}"
    );
    assert!(
        err.to_string().contains("TLS") || err.to_string().contains("alert"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let log = log_text(&lines);
    assert!(
        log.contains("refused before any work")
            && log.contains(&stranger.fingerprint().to_string()),
        "the cloud logs the refused certificate: {log}"
    );
    assert!(
        files_in(&store).is_empty(),
        "nothing written: {:?}",
        files_in(&store)
    );

    // Positive control: the allowed user's fast job does write the store.
    let mut s = tls_connect(
        &addr,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::FastRlwe,
    )
    .expect("the allowed user is served");
    image_job(&mut s, &sk).expect("image");
    drop(s);
    server.join().expect("server");
    assert!(
        files_in(&store).iter().any(|f| f.ends_with(".cloudshare")),
        "the allowed user's setup is stored: {:?}",
        files_in(&store)
    );
}

/// Forwards one connection to `server`, XOR-ing `flip` into byte number `at` of the stream
/// in direction `up` (user → cloud) or down. Returns the proxy's address.
fn flipping_proxy(server: &str, up: bool, at: u64, flip: u8) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = server.to_string();
    let h = std::thread::spawn(move || {
        let Ok((user, _)) = listener.accept() else {
            return;
        };
        let Ok(cloud) = TcpStream::connect(&server) else {
            return;
        };
        let clone = |s: &TcpStream| s.try_clone().expect("clone");
        let (u2, c2) = (clone(&user), clone(&cloud));
        let (a, b) = if up { (at, u64::MAX) } else { (u64::MAX, at) };
        let t = std::thread::spawn(move || pump(u2, c2, a, flip));
        pump(cloud, user, b, flip);
        let _ = t.join();
    });
    (addr, h)
}

/// Copies `from` to `to` until EOF, flipping byte `at`; then shuts both down.
fn pump(mut from: TcpStream, mut to: TcpStream, at: u64, flip: u8) {
    let mut buf = [0u8; 1 << 14];
    let mut passed = 0u64;
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        if (passed..passed + n as u64).contains(&at) {
            buf[(at - passed) as usize] ^= flip;
        }
        passed += n as u64;
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

#[test]
fn a_byte_flipped_in_the_middle_of_a_session_fails_it_never_a_wrong_image() {
    let p = parties();
    let sk = small_key(1024);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    // Control: the same proxy flipping nothing passes the reference image.
    let cases = [(true, 0u8), (true, 1), (false, 0x80)];
    let (addr, lines, server) = tls_server(enc, &p.cloud, &[&p.user], None, None, cases.len());
    for (up, flip) in cases {
        // Well past the TLS handshake (a few KB), inside the job's traffic.
        let (proxy, h) = flipping_proxy(&addr, up, 40_000, flip);
        let outcome = tls_connect(
            &proxy,
            &p.user,
            p.cloud.fingerprint(),
            &sk,
            ProtocolKind::FastRlwe,
        )
        .and_then(|mut s| image_job(&mut s, &sk));
        match flip {
            0 => outcome.expect("an untouched session gives the reference image"),
            _ => {
                let err = outcome.expect_err("a flipped byte fails the session");
                let text = err.to_string();
                assert!(
                    text.contains("decrypt") || text.contains("alert") || text.contains("closed"),
                    "up {up}: {text}"
                );
            }
        }
        let _ = h.join();
    }
    server.join().expect("server");
    let log = log_text(&lines);
    assert_eq!(
        log.matches("done,").count(),
        1,
        "only the untouched session ran: {log}"
    );
}

/// Records every byte `server` sends on one connection, and returns them.
fn recording_proxy(server: &str) -> (String, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = server.to_string();
    let h = std::thread::spawn(move || {
        let (user, _) = listener.accept().expect("accept");
        let cloud = TcpStream::connect(&server).expect("connect");
        let (mut u2, mut c2) = (
            user.try_clone().expect("clone"),
            cloud.try_clone().expect("c"),
        );
        let t = std::thread::spawn(move || {
            let _ = std::io::copy(&mut u2, &mut c2);
            let _ = c2.shutdown(Shutdown::Write);
        });
        let (mut from, mut to) = (cloud, user);
        let mut seen = Vec::new();
        let mut buf = [0u8; 1 << 14];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = t.join();
        seen
    });
    (addr, h)
}

#[test]
fn a_tls_session_replayed_into_another_connection_is_refused() {
    let p = parties();
    let sk = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let (addr, _lines, server) = tls_server(enc, &p.cloud, &[&p.user], None, None, 1);
    let (proxy, rec) = recording_proxy(&addr);
    let mut s = tls_connect(
        &proxy,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::Reference,
    )
    .expect("session one");
    let (q, _) = s
        .run_job(&sk, &test_patches(1), 1, &mut |_| {})
        .expect("job");
    assert_eq!(q[0], tiny_fixed().forward(&test_patches(1)[0]).0);
    drop(s);
    let recorded = rec.join().expect("recording");
    server.join().expect("server");
    // A fake cloud that plays session one's bytes to a new connection: its handshake messages
    // are bound to session one's randoms and keys, so the user's TLS refuses them.
    let fake = TcpListener::bind("127.0.0.1:0").expect("bind");
    let fake_addr = fake.local_addr().expect("addr").to_string();
    let replay = std::thread::spawn(move || {
        let (mut user, _) = fake.accept().expect("accept");
        let _ = user.write_all(&recorded);
        std::thread::sleep(Duration::from_millis(500));
    });
    let err = tls_connect(
        &fake_addr,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::Reference,
    )
    .err()
    .expect("a replayed session is refused");
    assert!(err.to_string().contains("TLS"), "{err}");
    replay.join().expect("replay");
}

/// Two in-memory channels of sessions `a` and `b`: what the cloud sends in session `a` is
/// recorded, then replayed to a user in session `b`.
fn replay_offer(a: SessionId, b: SessionId) -> Result<(), SessionError> {
    let sk = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let state =
        CloudState::with_key_policy(enc, &owner_pub(), KeyPolicy::InsecureTestKeys).expect("state");
    let (cloud_end, user_end) = MemChannel::pair(Duration::from_secs(5));
    let (mut cloud_end, user_end) = (cloud_end.with_session(a), user_end.with_session(a));
    let cloud = std::thread::spawn(move || {
        let served = ProtocolKind::implemented();
        let _ = protocol::session::handshake::cloud_handshake(
            &mut cloud_end,
            &state.model.header,
            &state.model.seal,
            served,
        );
    });
    // The first frame of session a, as a recorder in the middle sees it.
    let mut rec = runtime::scripted::RecordingChannel::new(user_end);
    let _ = protocol::session::wire::recv_frame(&mut rec, "offer");
    let offer_bytes = rec.into_received();
    let _ = cloud.join();
    // Session b: the user reads the replayed offer.
    let (mut replayer, user_b) = MemChannel::pair(Duration::from_secs(5));
    replayer.send(&offer_bytes).expect("replay");
    replayer.flush().expect("flush");
    let user_b = user_b.with_session(b);
    handshake_test_key(user_b, &sk, ProtocolKind::Reference).map(|_| ())
}

#[test]
fn an_offer_replayed_from_another_session_is_refused_naming_it() {
    let (a, b) = ([0xaa; 32], [0xbb; 32]);
    let err = replay_offer(a, b).expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("another session") && text.contains("aaaaaaaa") && text.contains("bbbbbbbb"),
        "{text}"
    );
    // Control: the same replay within its own session passes the offer check (and fails only
    // later, when the recorder does not answer).
    let err = replay_offer(a, a).expect_err("no cloud behind the replay");
    assert!(!err.to_string().contains("another session"), "{err}");
}

#[test]
fn a_garbled_circuit_handshake_from_another_session_is_refused() {
    use runtime::driver::{DriverError, Reveal, TwoPartyCircuit, run_evaluator, run_garbler};
    let aes = || {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../circuit/tests/data/bristol/bristol_fashion/aes_128.txt"
        ))
        .expect("aes_128.txt");
        let c = circuit::bristol::read_fashion(&text).expect("parse");
        let parties = vec![circuit::Party::Garbler, circuit::Party::Evaluator];
        TwoPartyCircuit::with_parties(c, parties).expect("two-party circuit")
    };
    let run = |ga: SessionId, ev: SessionId| {
        let (g, e) = MemChannel::pair(Duration::from_secs(5));
        let (mut g, mut e) = (g.with_session(ga), e.with_session(ev));
        let gt = std::thread::spawn(move || {
            let tpc = aes();
            run_garbler(
                &mut g,
                &tpc,
                &[vec![true; 128]],
                Reveal::Evaluator,
                &mut rand::rng(),
            )
        });
        let tpc = aes();
        let out = run_evaluator(
            &mut e,
            &tpc,
            &[vec![false; 128]],
            Reveal::Evaluator,
            &mut rand::rng(),
        );
        let _ = gt.join();
        out
    };
    let err = run([1; 32], [2; 32]).expect_err("refused");
    assert!(matches!(err, DriverError::WrongSession { .. }), "{err}");
    assert!(err.to_string().contains("another session"), "{err}");
    // Control: both in one session, the run completes.
    run([3; 32], [3; 32]).expect("same session");
}

#[test]
fn a_user_over_the_session_rate_is_refused_before_any_work() {
    let p = parties();
    let sk = small_key(512);
    let enc = encrypt_test_key(&tiny_fixed(), &sk);
    let rate = UserRate {
        max: 1,
        per: Duration::from_secs(3600),
    };
    let (addr, lines, server) = tls_server(enc, &p.cloud, &[&p.user], None, Some(rate), 2);
    let mut s = tls_connect(
        &addr,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::Reference,
    )
    .expect("first session");
    s.run_job(&sk, &test_patches(1), 1, &mut |_| {})
        .expect("job");
    drop(s);
    let err = tls_connect(
        &addr,
        &p.user,
        p.cloud.fingerprint(),
        &sk,
        ProtocolKind::Reference,
    )
    .err()
    .expect("second session refused");
    assert!(
        matches!(err, SessionError::Rejected(_)) && err.to_string().contains("rate limit"),
        "{err}"
    );
    server.join().expect("server");
    assert!(log_text(&lines).contains("refused before any work"));
}
