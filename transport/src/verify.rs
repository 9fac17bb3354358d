//! The two certificate checks of a gcc-nn link, as rustls verifiers. There is no certificate
//! authority and no host name: each side names the other by its certificate's
//! [`Fingerprint`] — the user pins the cloud's ([`PinnedCloud`]), the cloud accepts the users
//! of its allow-list ([`AllowedUsers`]). The TLS 1.3 handshake signature (CertificateVerify)
//! is still checked against the presented certificate's key, with the provider's algorithms,
//! so presenting someone else's certificate without its key fails.

use crate::identity::{AllowList, Fingerprint};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, OtherError, SignatureScheme,
};
use std::sync::Arc;

/// A certificate refusal with a message naming the fingerprints.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

fn refuse(message: String) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Refused(
        message,
    )))))
}

/// The handshake-signature methods both verifiers share: they check a TLS 1.2/1.3 signature
/// with the signature algorithms of `self.provider` (the identity check is each verifier's own).
macro_rules! signature_checks_by_provider {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// The user's check of the cloud: its certificate must be the pinned one.
#[derive(Debug)]
pub struct PinnedCloud {
    /// The fingerprint the user was given.
    pub pin: Fingerprint,
    /// The provider whose signature algorithms check the handshake signature.
    pub provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCloud {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = Fingerprint::of(end_entity);
        if got == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(refuse(format!(
                "the cloud presented certificate {got}, but the pinned one is {} \
                 (wrong --cloud-cert/--cloud-fingerprint, or not the cloud you meant)",
                self.pin
            )))
        }
    }

    signature_checks_by_provider!();
}

/// The cloud's check of a user: its certificate must be on the allow-list (the refusal names
/// the certificate's fingerprint, which the serve loop logs).
#[derive(Debug)]
pub struct AllowedUsers {
    /// The accepted users.
    pub allow: AllowList,
    /// The provider whose signature algorithms check the handshake signature.
    pub provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for AllowedUsers {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let got = Fingerprint::of(end_entity);
        if self.allow.name_of(&got).is_some() {
            return Ok(ClientCertVerified::assertion());
        }
        Err(refuse(format!(
            "user certificate {got} is not on the allow-list ({} users)",
            self.allow.len()
        )))
    }

    signature_checks_by_provider!();
}
