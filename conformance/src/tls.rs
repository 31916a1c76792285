//! How the suite reaches a real deployment: one TLS client configuration (the platform's trust
//! roots plus `--cacert`, or no verification at all with `--insecure`) and the `--header` fields
//! added to every request. The scenarios' client (reqwest), the raw-TCP probes and the load
//! client all use the same [`Transport`], so a target is reached the same way by each.

use std::{
    fmt, io,
    path::{Path, PathBuf},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use hyper::header::{HeaderName, HeaderValue};
use rustls::{
    ClientConfig, DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject as _},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_rustls::{TlsConnector, client::TlsStream};

/// How a certificate failure begins; preflight says it as the one reason a run cannot happen.
pub const NOT_TRUSTED: &str = "the server's TLS certificate is not trusted";

/// The label that replaces a `--header` value in every output.
pub const HEADER_VALUE_LABEL: &str = "<--header value>";

/// Header fields the suite must write itself: a `--header` may not set them.
const RESERVED: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "upgrade",
];

/// Why the transport could not be set up (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// `--cacert` cannot be read.
    #[error("--cacert {path}: cannot read it: {source}")]
    CaRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `--cacert` holds no usable PEM certificate.
    #[error("--cacert {0}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it")]
    CaEmpty(PathBuf),
    /// `--cacert` holds a certificate rustls cannot parse.
    #[error("--cacert {path}: not a PEM certificate: {why}")]
    CaInvalid {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The platform verifier could not be built (no trust roots, a bad `--cacert`).
    #[error("cannot set up certificate verification: {0}")]
    Verifier(String),
    /// A `--header` is not `Name: value`.
    #[error("--header {0:?} is not 'Name: value' (a valid HTTP header name, a colon, a value)")]
    BadHeader(String),
    /// A `--header` names a field the suite writes itself.
    #[error(
        "--header {0:?}: the suite writes Host, Content-Length, Transfer-Encoding, Connection, TE and Upgrade itself"
    )]
    ReservedHeader(String),
}

/// What the command line says about reaching the target.
#[derive(Debug, Clone, Default)]
pub struct TransportOptions {
    /// A PEM file of certificates added to the platform's trust roots.
    pub cacert: Option<PathBuf>,
    /// Accept any certificate (self-signed, expired, another host's).
    pub insecure: bool,
    /// `Name: value` fields added to every request.
    pub headers: Vec<String>,
}

/// TLS settings and extra headers, ready to use; cheap to clone.
#[derive(Clone)]
pub struct Transport {
    tls: Arc<ClientConfig>,
    insecure: bool,
    headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("insecure", &self.insecure)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Builds the TLS configuration and checks the headers.
    pub fn new(options: &TransportOptions) -> Result<Transport, SetupError> {
        // reqwest is built without a bundled crypto provider; ring is the tree's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| SetupError::Verifier(e.to_string()))?
            .dangerous();
        let verifier: Arc<dyn ServerCertVerifier> = if options.insecure {
            Arc::new(Unverified {
                provider,
                refusal: None,
            })
        } else {
            let extra = match &options.cacert {
                Some(path) => read_pem(path)?,
                None => Vec::new(),
            };
            let given = !extra.is_empty();
            let platform = if given {
                rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            } else {
                rustls_platform_verifier::Verifier::new(provider.clone())
            };
            match platform {
                Ok(v) => Arc::new(v),
                Err(e) if given => return Err(SetupError::Verifier(e.to_string())),
                // A machine without CA certificates can still check an http:// target; an
                // https:// one is refused at its handshake, saying why.
                Err(e) => Arc::new(Unverified {
                    provider,
                    refusal: Some(format!(
                        "no certificate authority is trusted on this machine: {e}"
                    )),
                }),
            }
        };
        let tls = builder
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let headers = options
            .headers
            .iter()
            .filter(|h| !h.trim().is_empty())
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Transport {
            tls: Arc::new(tls),
            insecure: options.insecure,
            headers: headers.into(),
        })
    }

    /// The platform's trust roots, no extra header.
    pub fn plain() -> Result<Transport, SetupError> {
        Transport::new(&TransportOptions::default())
    }

    /// The rustls client configuration every https connection uses.
    pub fn tls_config(&self) -> Arc<ClientConfig> {
        self.tls.clone()
    }

    /// Whether certificates go unverified (`--insecure`).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// The `--header` fields, in the order given.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }

    /// The `--header` fields as text, name as given (lower-cased) and value.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    }

    /// Each `--header` value, labelled for the redactor: a gateway key is a secret.
    pub fn secrets(&self) -> Vec<(String, &'static str)> {
        self.header_pairs()
            .into_iter()
            .map(|(_, v)| (v, HEADER_VALUE_LABEL))
            .collect()
    }

    /// Adds the `--header` fields to `headers`, except those whose name is already there: what
    /// a scenario sets itself (Authorization, Content-Type, Accept) is what it checks.
    pub fn add_headers(&self, headers: &mut Vec<(String, String)>) {
        for (name, value) in self.header_pairs() {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(&name)) {
                headers.push((name, value));
            }
        }
    }

    /// A TCP connection to `addr`, wrapped in TLS for `server_name` when `tls` is set.
    pub async fn connect(
        &self,
        addr: &str,
        tls: Option<&ServerName<'static>>,
    ) -> io::Result<Stream> {
        let tcp = TcpStream::connect(addr).await?;
        self.wrap(tcp, tls).await
    }

    /// Wraps a connected socket in TLS for `server_name` when `tls` is set.
    pub async fn wrap(
        &self,
        tcp: TcpStream,
        tls: Option<&ServerName<'static>>,
    ) -> io::Result<Stream> {
        let _ = tcp.set_nodelay(true);
        match tls {
            None => Ok(Stream::Plain(tcp)),
            Some(name) => {
                let stream = TlsConnector::from(self.tls.clone())
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| io::Error::other(certificate_sentence(&e.to_string())))?;
                Ok(Stream::Tls(Box::new(stream)))
            }
        }
    }
}

/// The server name to verify for a URL's host (a DNS name or an IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} is not a server name: {e}"))
}

/// A TLS failure said as one sentence about the certificate, when that is what it was.
pub fn certificate_sentence(error: &str) -> String {
    let lower = error.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        format!(
            "{NOT_TRUSTED} ({}): give its CA with --cacert FILE, or accept any certificate with --insecure",
            error.trim()
        )
    } else {
        error.to_string()
    }
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, SetupError> {
    let bytes = std::fs::read(path).map_err(|source| SetupError::CaRead {
        path: path.to_path_buf(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SetupError::CaInvalid {
            path: path.to_path_buf(),
            why: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(SetupError::CaEmpty(path.to_path_buf()));
    }
    Ok(certs)
}

fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), SetupError> {
    let bad = || SetupError::BadHeader(text.to_string());
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
    if RESERVED.contains(&name.as_str()) {
        return Err(SetupError::ReservedHeader(text.to_string()));
    }
    Ok((name, value))
}

/// `--insecure`: every certificate is accepted (`refusal` is `None`); handshake signatures are
/// still checked, so the connection is encrypted to whoever holds the presented key. With a
/// `refusal`, every certificate is refused with it (no trust roots to check one against).
#[derive(Debug)]
struct Unverified {
    provider: Arc<rustls::crypto::CryptoProvider>,
    refusal: Option<String>,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.refusal {
            None => Ok(ServerCertVerified::assertion()),
            Some(why) => Err(rustls::Error::General(why.clone())),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
        rustls::crypto::verify_tls13_signature(
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
}

/// A connection, plain or TLS: what the raw probes and the load client read and write.
#[derive(Debug)]
pub enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_and_reserved_ones_are_refused() {
        let t = Transport::new(&TransportOptions {
            headers: vec!["X-Api-Key: abc 123".into(), "  ".into()],
            ..TransportOptions::default()
        })
        .expect("valid");
        assert_eq!(
            t.header_pairs(),
            vec![("x-api-key".to_string(), "abc 123".to_string())]
        );
        let mut h = vec![("Authorization".to_string(), "Bearer x".to_string())];
        t.add_headers(&mut h);
        assert_eq!(h.len(), 2);
        for bad in [
            "no colon",
            ": v",
            "Bad Name: v",
            "Host: x",
            "content-length: 3",
        ] {
            let e = Transport::new(&TransportOptions {
                headers: vec![bad.into()],
                ..TransportOptions::default()
            });
            assert!(e.is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cacert_without_certificates_is_refused() {
        let path = std::env::temp_dir().join(format!("no-certs-{}.pem", std::process::id()));
        std::fs::write(&path, "not a pem\n").expect("write");
        let e = Transport::new(&TransportOptions {
            cacert: Some(path.clone()),
            ..TransportOptions::default()
        });
        let _ = std::fs::remove_file(&path);
        assert!(matches!(e, Err(SetupError::CaEmpty(_))), "{e:?}");
    }
}
