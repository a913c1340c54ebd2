//! TLS towards the county server: the certificates a PEM text holds, the
//! rustls client that trusts exactly them (ring, TLS 1.2 and 1.3) and the
//! connector that puts it under ureq, and why a server's certificate was
//! not trusted, in words.

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::i18n::Lang;

/// Why a PEM text gives no certificates to trust, or no TLS client could be
/// made of them (English, for a detail or the log).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("not PEM certificates ({0})")]
    NotPem(rustls::pki_types::pem::Error),
    #[error("a certificate that cannot be trusted ({0})")]
    Untrustable(rustls::Error),
    #[error("no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate,
    #[error("{0}")]
    Verifier(#[from] rustls::client::VerifierBuilderError),
    #[error("{0}")]
    Client(rustls::Error),
}

/// The certificates of a PEM text: an error when there is none or one is
/// not a certificate a root can be made of.
pub fn trusted_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let mut certs = Vec::new();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(TlsSetupError::NotPem)?;
        roots.add(cert.clone()).map_err(TlsSetupError::Untrustable)?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate);
    }
    Ok(certs)
}

/// A TLS client that trusts exactly `certs` (ring, TLS 1.2 and 1.3).
pub(super) fn tls_config(
    certs: Vec<CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in &certs {
        roots.add(cert.clone()).map_err(TlsSetupError::Untrustable)?;
    }
    let webpki =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(TlsSetupError::Client)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { webpki, certs }))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Trusts the credentials' certificates as roots (a county CA signed the
/// server's certificate), and each also as itself: a self-signed server
/// certificate made as a CA (as `openssl req -x509` makes them) that a
/// root check refuses as a server's is trusted when it is byte for byte
/// one of them and names the server. The server proves it holds the
/// certificate's key in the handshake either way.
#[derive(Debug)]
struct Pinned {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    certs: Vec<CertificateDer<'static>>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => Ok(verified),
            Err(e) if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) => {
                let parsed =
                    rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| e.clone())?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// ureq's connector for a TLS client of our own (`tls_config`): it wraps
/// a plain connection to an `https` address in TLS with `config`, and
/// passes everything on untouched when there is none.
#[derive(Debug)]
pub(super) struct PinnedTls {
    config: Option<Arc<rustls::ClientConfig>>,
}

impl PinnedTls {
    pub(super) fn new(config: Option<Arc<rustls::ClientConfig>>) -> PinnedTls {
        PinnedTls { config }
    }
}

impl<In: Transport> Connector<In> for PinnedTls {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        let Some(config) = &self.config else {
            return Ok(Some(Either::A(transport)));
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host)
            .map_err(|_| ureq::Error::Tls("not a server name"))?
            .to_owned();
        let mut conn = rustls::ClientConnection::new(config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        Ok(Some(Either::B(TlsTransport {
            buffers: LazyBuffers::new(
                details.config.input_buffer_size(),
                details.config.output_buffer_size(),
            ),
            stream: rustls::StreamOwned { conn, sock },
        })))
    }
}

/// A connection under TLS, for ureq.
pub(super) struct TlsTransport {
    buffers: LazyBuffers,
    stream: rustls::StreamOwned<rustls::ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish_non_exhaustive()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// The TLS failure under a transport error, if there is one.
pub(super) fn tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // An io::Error's `source` skips the error it wraps, and ureq's
        // error has none.
        let wrapped = match e.downcast_ref::<ureq::Error>() {
            Some(ureq::Error::Rustls(tls)) => return Some(tls),
            Some(ureq::Error::Io(io)) => Some(io),
            _ => e.downcast_ref::<std::io::Error>(),
        };
        if let Some(tls) = wrapped
            .and_then(|io| io.get_ref())
            .and_then(|inner| tls_error(inner))
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

/// Why the server's certificate is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untrusted {
    /// Signed by nobody this terminal trusts (a self-signed certificate
    /// and no `ca` in the credentials, or another one).
    UnknownIssuer,
    /// Made out for another name or address.
    WrongName,
    Expired,
    NotYetValid,
    Revoked,
    /// No certificate at all.
    None,
    Other,
}

impl Untrusted {
    pub(super) fn of(e: &rustls::Error) -> Untrusted {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::NoCertificatesPresented => Untrusted::None,
            rustls::Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer | C::BadSignature => Untrusted::UnknownIssuer,
                C::NotValidForName | C::NotValidForNameContext { .. } => Untrusted::WrongName,
                C::Expired | C::ExpiredContext { .. } => Untrusted::Expired,
                C::NotValidYet | C::NotValidYetContext { .. } => Untrusted::NotYetValid,
                C::Revoked => Untrusted::Revoked,
                _ => Untrusted::Other,
            },
            _ => Untrusted::Other,
        }
    }

    pub fn words(self, lang: Lang) -> &'static str {
        match self {
            Untrusted::UnknownIssuer => lang.pick("签发者不受信任", "its issuer is not trusted"),
            Untrusted::WrongName => lang.pick(
                "证书上的名称与服务器地址不符",
                "it is made out for another name or address",
            ),
            Untrusted::Expired => lang.pick("证书已过期", "it has expired"),
            Untrusted::NotYetValid => lang.pick(
                "证书尚未生效（或本机时间不对）",
                "it is not valid yet (or this machine's clock is wrong)",
            ),
            Untrusted::Revoked => lang.pick("证书已被吊销", "it has been revoked"),
            Untrusted::None => lang.pick("服务器没有出示证书", "the server showed no certificate"),
            Untrusted::Other => lang.pick(
                "不是受信任的机构为这个服务器签发的证书",
                "it is not a certificate a trusted issuer made out for this server",
            ),
        }
    }
}

/// Whether a TLS failure is the server's certificate not verifying.
pub(super) fn untrusted(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
}
