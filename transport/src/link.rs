//! What the session layer and the garbler/evaluator commands connect with: a
//! [`ClientTransport`] (the user's side: pinned cloud certificate, own identity) and a
//! [`ServerTransport`] (the cloud's side: own identity, allow-list of users), each either TLS
//! 1.3 or — only when built with `insecure_plaintext` — plain TCP. Both give a [`Link`].

use crate::error::TransportError;
use crate::identity::{AllowList, Fingerprint, Identity};
use crate::tls::TlsChannel;
use crate::verify::{AllowedUsers, PinnedCloud};
use runtime::block::Block;
use runtime::channel::{Channel, ChannelError, SessionId, TcpChannel, connect_tcp};
use rustls::crypto::{CryptoProvider, ring as provider};
use rustls::{ClientConfig, ServerConfig};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// The `ring` provider with AES-128-GCM first (κ = 128 is the whole system's level; it is
/// the fastest suite on AES-NI machines), TLS 1.3 suites only. (rustls deprecates the `ring`
/// provider for lacking post-quantum key exchange; the `aws-lc-rs` one needs cmake and a C
/// toolchain this project does not assume. Semi-honest parties and κ = 128 are the
/// project's model; X25519 key exchange meets it.)
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    use provider::cipher_suite::{
        TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256,
    };
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            TLS13_AES_128_GCM_SHA256,
            TLS13_AES_256_GCM_SHA384,
            TLS13_CHACHA20_POLY1305_SHA256,
        ],
        ..provider::default_provider()
    })
}

fn tls_error(step: &'static str) -> impl Fn(rustls::Error) -> TransportError {
    move |source| TransportError::Tls { step, source }
}

/// A connection to the peer: TLS 1.3, or plain TCP.
pub enum Link {
    /// TLS 1.3 with both certificates checked.
    Tls(TlsChannel),
    /// Plain TCP (insecure: benchmarks only).
    Plain(TcpChannel),
}

impl Link {
    /// The fingerprint of the peer's certificate (`None` over plain TCP).
    pub fn peer(&self) -> Option<Fingerprint> {
        match self {
            Link::Tls(t) => t.peer(),
            Link::Plain(_) => None,
        }
    }

    /// Whether the link is encrypted and authenticated.
    pub fn is_tls(&self) -> bool {
        matches!(self, Link::Tls(_))
    }

    fn inner(&mut self) -> &mut dyn Channel {
        match self {
            Link::Tls(t) => t,
            Link::Plain(p) => p,
        }
    }

    fn inner_ref(&self) -> &dyn Channel {
        match self {
            Link::Tls(t) => t,
            Link::Plain(p) => p,
        }
    }
}

impl Channel for Link {
    fn send(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.inner().send(bytes)
    }
    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner().recv_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner().flush()
    }
    fn bytes_sent(&self) -> u64 {
        self.inner_ref().bytes_sent()
    }
    fn bytes_received(&self) -> u64 {
        self.inner_ref().bytes_received()
    }
    fn session_id(&self) -> SessionId {
        self.inner_ref().session_id()
    }
    fn send_blocks(&mut self, blocks: &[Block]) -> Result<(), ChannelError> {
        self.inner().send_blocks(blocks)
    }
    fn recv_blocks(&mut self, out: &mut [Block]) -> Result<(), ChannelError> {
        self.inner().recv_blocks(out)
    }
}

fn plain_link(stream: TcpStream, timeout: Duration) -> Result<Link, TransportError> {
    TcpChannel::new(stream, timeout)
        .map(Link::Plain)
        .map_err(|source| TransportError::Io {
            step: "plain-TCP set-up".into(),
            source,
        })
}

/// How the user (or the evaluator) connects.
#[derive(Clone, Debug)]
pub enum ClientTransport {
    /// TLS 1.3: the peer's certificate must have the pinned fingerprint; this side presents
    /// its own identity.
    Tls(Arc<ClientConfig>),
    /// Plain TCP: no encryption, no authentication (benchmarks only).
    InsecurePlaintext,
}

impl ClientTransport {
    /// TLS as `own`, talking only to the peer whose certificate has fingerprint `cloud`.
    pub fn tls(own: &Identity, cloud: Fingerprint) -> Result<Self, TransportError> {
        let provider = provider();
        let verifier = PinnedCloud {
            pin: cloud,
            provider: Arc::clone(&provider),
        };
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_error("client configuration"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_client_auth_cert(vec![own.cert.clone()], own.key())
            .map_err(tls_error("client identity"))?;
        config.resumption = rustls::client::Resumption::disabled();
        // The record layer after the handshake is ours (crate::record), keyed by rustls.
        config.enable_secret_extraction = true;
        Ok(Self::Tls(Arc::new(config)))
    }

    /// Connects to `addr` and sets the link up (TLS handshake or session nonces); reads and
    /// writes give up after `timeout`.
    pub fn connect(&self, addr: &str, timeout: Duration) -> Result<Link, TransportError> {
        let stream = connect_tcp(addr, timeout).map_err(|source| TransportError::Io {
            step: format!("cannot connect to {addr}"),
            source,
        })?;
        self.start(stream, timeout)
    }

    /// Sets the link up on a connected socket.
    pub fn start(&self, stream: TcpStream, timeout: Duration) -> Result<Link, TransportError> {
        match self {
            Self::Tls(config) => Ok(Link::Tls(TlsChannel::client(
                stream,
                Arc::clone(config),
                timeout,
            )?)),
            Self::InsecurePlaintext => plain_link(stream, timeout),
        }
    }
}

/// How the cloud (or the garbler) accepts connections.
#[derive(Clone, Debug)]
pub enum ServerTransport {
    /// TLS 1.3: this side presents its identity; a user whose certificate is not on the
    /// allow-list is refused inside the handshake.
    Tls(Arc<ServerConfig>),
    /// Plain TCP: no encryption, no authentication (benchmarks only).
    InsecurePlaintext,
}

impl ServerTransport {
    /// TLS as `own`, accepting the users of `allow` only.
    pub fn tls(own: &Identity, allow: AllowList) -> Result<Self, TransportError> {
        let provider = provider();
        let verifier = AllowedUsers {
            allow,
            provider: Arc::clone(&provider),
        };
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls_error("server configuration"))?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(vec![own.cert.clone()], own.key())
            .map_err(tls_error("server identity"))?;
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        config.enable_secret_extraction = true;
        Ok(Self::Tls(Arc::new(config)))
    }

    /// Sets an accepted socket's link up (TLS handshake, which refuses a user not on the
    /// allow-list, or session nonces); reads and writes give up after `timeout`.
    pub fn accept(&self, stream: TcpStream, timeout: Duration) -> Result<Link, TransportError> {
        match self {
            Self::Tls(config) => Ok(Link::Tls(TlsChannel::server(
                stream,
                Arc::clone(config),
                timeout,
            )?)),
            Self::InsecurePlaintext => plain_link(stream, timeout),
        }
    }

    /// Whether users are authenticated (TLS).
    pub fn is_tls(&self) -> bool {
        matches!(self, Self::Tls(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use std::net::TcpListener;

    const T: Duration = Duration::from_secs(10);

    struct Parties {
        cloud: Identity,
        user: Identity,
    }

    fn parties() -> Parties {
        Parties {
            cloud: Identity::generate(Role::Cloud).expect("cloud"),
            user: Identity::generate(Role::User).expect("user"),
        }
    }

    /// Runs `server` on one accepted connection and `client` against it.
    fn pair(
        server: ServerTransport,
        client: ClientTransport,
    ) -> (Result<Link, TransportError>, Result<Link, TransportError>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let s = std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut link = server.accept(stream, T)?;
            // Answer one byte so that a refused user's client sees the refusal.
            let mut b = [0u8; 1];
            link.recv_exact(&mut b).map_err(|e| TransportError::Io {
                step: "server read".into(),
                source: std::io::Error::other(e.to_string()),
            })?;
            link.send(&b)
                .and_then(|()| link.flush())
                .map_err(|e| TransportError::Io {
                    step: "server write".into(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            Ok(link)
        });
        let c = client.connect(&addr, T).and_then(|mut link| {
            let mut b = [7u8];
            link.send(&b)
                .and_then(|()| link.recv_exact(&mut b))
                .map_err(|e| TransportError::Io {
                    step: "client echo".into(),
                    source: std::io::Error::other(e.to_string()),
                })?;
            Ok(link)
        });
        (s.join().expect("server thread"), c)
    }

    #[test]
    fn pinned_tls_agrees_on_one_session_id_per_connection() {
        let p = parties();
        let allow = AllowList::of(vec![(p.user.fingerprint(), "u".into())]);
        let server = ServerTransport::tls(&p.cloud, allow).expect("server");
        let client = ClientTransport::tls(&p.user, p.cloud.fingerprint()).expect("client");
        let (s1, c1) = pair(server.clone(), client.clone());
        let (s1, c1) = (s1.expect("server 1"), c1.expect("client 1"));
        assert!(s1.is_tls() && c1.is_tls());
        assert_eq!(s1.session_id(), c1.session_id());
        assert_ne!(s1.session_id(), runtime::channel::UNBOUND_SESSION);
        assert_eq!(s1.peer(), Some(p.user.fingerprint()));
        assert_eq!(c1.peer(), Some(p.cloud.fingerprint()));
        let (s2, c2) = pair(server, client);
        let (s2, c2) = (s2.expect("server 2"), c2.expect("client 2"));
        assert_eq!(s2.session_id(), c2.session_id());
        assert_ne!(
            s1.session_id(),
            s2.session_id(),
            "each session has its own id"
        );
    }

    #[test]
    fn a_user_refuses_a_cloud_with_another_certificate() {
        let p = parties();
        let impostor = Identity::generate(Role::Cloud).expect("impostor");
        let allow = AllowList::of(vec![(p.user.fingerprint(), "u".into())]);
        let server = ServerTransport::tls(&impostor, allow).expect("server");
        let client = ClientTransport::tls(&p.user, p.cloud.fingerprint()).expect("client");
        let (s, c) = pair(server, client);
        let err = c.err().expect("the user must refuse").to_string();
        assert!(err.contains(&impostor.fingerprint().to_string()), "{err}");
        assert!(err.contains(&p.cloud.fingerprint().to_string()), "{err}");
        assert!(s.is_err(), "no session on the impostor's side either");
    }

    #[test]
    fn the_cloud_refuses_a_user_not_on_its_allow_list() {
        let p = parties();
        let stranger = Identity::generate(Role::User).expect("stranger");
        let allow = AllowList::of(vec![(p.user.fingerprint(), "u".into())]);
        let server = ServerTransport::tls(&p.cloud, allow).expect("server");
        let client = ClientTransport::tls(&stranger, p.cloud.fingerprint()).expect("client");
        let (s, c) = pair(server, client);
        let err = s.err().expect("the cloud must refuse").to_string();
        assert!(err.contains(&stranger.fingerprint().to_string()), "{err}");
        assert!(err.contains("allow-list"), "{err}");
        assert!(c.is_err(), "the stranger's connection fails too");
    }

    #[test]
    fn plain_links_carry_no_session_and_no_peer() {
        let (s, c) = pair(
            ServerTransport::InsecurePlaintext,
            ClientTransport::InsecurePlaintext,
        );
        let (s, c) = (s.expect("server"), c.expect("client"));
        assert!(!s.is_tls() && s.peer().is_none() && c.peer().is_none());
        assert_eq!(s.session_id(), runtime::channel::UNBOUND_SESSION);
    }
}
