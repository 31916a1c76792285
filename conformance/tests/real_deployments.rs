//! Real deployments: an https target (a TLS front on 127.0.0.1 that forwards to the reference
//! server), a private CA given with `--cacert` or skipped with `--insecure`, and `--header`
//! fields that every request must carry (scenarios, preflight, raw probes, properties, load).
//!
//! The certificates under `tests/data/` were made once with openssl: a CA (`test-ca.pem`, its
//! key discarded) and a server certificate for `localhost` and `127.0.0.1` signed by it. The
//! JWKS of an RS256 deployment (a profile's `jwks_url`) is served by a wiremock mock.

mod support;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _};
use serde_json::Value;
use support::{Invocation, Output};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};
use tokio_rustls::TlsAcceptor;

const KEY: &str = "real-deployments-test-key-0123456789abcdef";
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

async fn server() -> reference_server::RunningServer {
    support::server(KEY, Duration::from_secs(60)).await
}

/// A TLS front on 127.0.0.1:0 forwarding every connection to `backend`, keeping a copy of
/// every byte the clients sent.
struct TlsFront {
    base_url: String,
    seen: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsFront {
    fn sent_by_clients(&self) -> String {
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        String::from_utf8_lossy(&seen).into_owned()
    }
}

async fn tls_front(backend: &str) -> TlsFront {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs = CertificateDer::pem_file_iter(format!("{DATA}/test-server.pem"))
        .expect("cert file")
        .collect::<Result<Vec<_>, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(format!("{DATA}/test-server.key")).expect("key");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let backend = backend
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let task = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, backend, seen) = (acceptor.clone(), backend.clone(), seen.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(upstream) = TcpStream::connect(&backend).await else {
                        return;
                    };
                    let (mut client_rd, mut client_wr) = tokio::io::split(tls);
                    let (mut up_rd, mut up_wr) = upstream.into_split();
                    let inbound = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            match client_rd.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if let Ok(mut s) = seen.lock() {
                                        s.extend_from_slice(&buf[..n]);
                                    }
                                    if up_wr.write_all(&buf[..n]).await.is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = up_wr.shutdown().await;
                    };
                    let outbound = async {
                        let _ = tokio::io::copy(&mut up_rd, &mut client_wr).await;
                        let _ = client_wr.shutdown().await;
                    };
                    tokio::join!(inbound, outbound);
                });
            }
        })
    };
    TlsFront {
        base_url: format!("https://127.0.0.1:{port}"),
        seen,
        task,
    }
}

/// Runs the binary with `args` (and the account), nothing from this shell's environment.
async fn run(args: Vec<String>, with_reports: bool) -> Output {
    let invocation = Invocation::new(args).env_clear().quiet();
    let invocation = match with_reports {
        true => invocation.json().junit(),
        false => invocation,
    };
    invocation.output_async().await
}

fn target_args(base_url: &str, extra: &[&str]) -> Vec<String> {
    support::target_args(base_url, support::LOGIN, KEY, extra)
}

fn cacert() -> String {
    format!("{DATA}/test-ca.pem")
}

/// The scenarios of an https run: the raw probes (oversized bodies, malformed requests) among
/// them, and no expiry waits.
const TAGS: &str = "(@hygiene or @obtaining) and not @waits";

/// The verdicts of the scenarios whose name contains `part`.
fn verdicts_of(report: &Value, part: &str) -> Vec<String> {
    let run = &report["runs"][0];
    let scenarios = run["scenarios"].as_array().cloned().unwrap_or_default();
    let verdicts = run["verdicts"].as_array().cloned().unwrap_or_default();
    scenarios
        .iter()
        .zip(&verdicts)
        .filter(|(s, _)| s["scenario"].as_str().is_some_and(|n| n.contains(part)))
        .map(|(_, v)| v.as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_target_conforms_with_its_ca_given() {
    let srv = server().await;
    let front = tls_front(&srv.base_url()).await;
    let r = run(
        target_args(&front.base_url, &["--cacert", &cacert(), "--tags", TAGS]),
        true,
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("CONFORMS: https://127.0.0.1:"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("--insecure"), "{}", r.stdout);
    assert_eq!(r.json["runs"][0]["insecure"], Value::Bool(false));
    for part in ["over raw TCP", "the connection stays usable"] {
        let v = verdicts_of(&r.json, part);
        assert!(
            !v.is_empty() && v.iter().all(|v| v == "passed"),
            "raw probes run over https: {part}: {v:?}"
        );
    }
    assert!(
        front.sent_by_clients().contains("GARBAGE\r\n"),
        "the raw probes went through the TLS front"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_certificate_exits_2_in_one_sentence() {
    let srv = server().await;
    let front = tls_front(&srv.base_url()).await;
    let r = run(target_args(&front.base_url, &["--tags", TAGS]), false).await;
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let err = r.stderr.trim();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("TLS certificate is not trusted"), "{err}");
    assert!(
        err.contains("--cacert") && err.contains("--insecure"),
        "{err}"
    );

    let mut load = vec!["load".to_string()];
    load.extend(target_args(&front.base_url, &["--duration", "1s"]));
    load.retain(|a| a != "--signing-key" && a != KEY);
    let r = run(load, false).await;
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("TLS certificate is not trusted"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_conforms_and_every_report_says_so() {
    let srv = server().await;
    let front = tls_front(&srv.base_url()).await;
    let r = run(
        target_args(&front.base_url, &["--insecure", "--tags", "@obtaining"]),
        true,
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("CONFORMS: ") && l.contains("--insecure")),
        "{}",
        r.stdout
    );
    assert_eq!(r.json["runs"][0]["insecure"], Value::Bool(true));
    assert!(
        r.junit.contains("<property name=\"insecure\""),
        "{}",
        r.junit
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_carries_the_extra_headers() {
    let srv = server().await;
    let front = tls_front(&srv.base_url()).await;
    let header = "X-Gateway-Key: gw-secret-4711";
    let r = run(
        target_args(
            &front.base_url,
            &["--cacert", &cacert(), "--header", header, "--tags", TAGS],
        ),
        true,
    )
    .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        !r.stdout.contains("gw-secret-4711"),
        "a --header value is a secret"
    );

    let mut props = vec!["properties".to_string()];
    props.extend(target_args(
        &front.base_url,
        &[
            "--cacert",
            &cacert(),
            "--header",
            header,
            "--only",
            "tokens",
            "--cases",
            "8",
            "--seed",
            "3",
        ],
    ));
    let p = run(props, false).await;
    assert_eq!(p.code, 0, "{}\n{}", p.stdout, p.stderr);

    let mut load = vec!["load".to_string()];
    load.extend(target_args(
        &front.base_url,
        &[
            "--cacert",
            &cacert(),
            "--header",
            header,
            "--duration",
            "1s",
            "--connections",
            "2",
            "--max-requests",
            "40",
        ],
    ));
    load.retain(|a| a != "--signing-key" && a != KEY);
    let l = run(load, false).await;
    assert_eq!(l.code, 0, "{}\n{}", l.stdout, l.stderr);
    assert!(
        l.stdout.contains("load: POST https://127.0.0.1:"),
        "{}",
        l.stdout
    );

    // Every request head the TLS front saw carries the header: reqwest writes header names
    // in lower case, the raw probes as the feature text does; all have a Host line but one.
    let seen = front.sent_by_clients().to_ascii_lowercase();
    let heads = seen.matches("\r\nhost: ").count();
    let carried = seen
        .matches("\r\nx-gateway-key: gw-secret-4711\r\n")
        .count();
    assert!(heads > 100, "{heads} requests seen");
    assert_eq!(
        carried,
        heads + 1,
        "every request (and the garbage request line) carries the --header"
    );
}

/// A machine without CA certificates (a minimal container) still checks an `http://` target;
/// an `https://` one stops at its certificate, in one sentence.
#[tokio::test(flavor = "multi_thread")]
async fn without_system_trust_roots_http_still_works() {
    let srv = server().await;
    let front = tls_front(&srv.base_url()).await;
    let dir = std::env::temp_dir().join(format!("no-roots-{}", std::process::id()));
    let no_roots = |args: Vec<String>| {
        Invocation::new(args)
            .env_clear()
            .env("SSL_CERT_FILE", &dir.join("none.pem").to_string_lossy())
            .env("SSL_CERT_DIR", &dir.join("none").to_string_lossy())
            .quiet()
            .output_async()
    };
    let out = no_roots(target_args(&srv.base_url(), &["--tags", "@obtaining"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = no_roots(target_args(&front.base_url, &["--tags", "@obtaining"])).await;
    let err = out.stderr;
    assert_eq!(out.code, 2, "{err}");
    assert!(err.contains("TLS certificate is not trusted"), "{err}");
    assert!(err.contains("no certificate authority is trusted"), "{err}");
}

/// An RS256 reference server with the test key pair, and a JWKS of `keys` on a mock.
async fn rs256_with_jwks(keys: Value) -> (reference_server::RunningServer, wiremock::MockServer) {
    let srv = support::spawn(|c| {
        c.algorithm = reference_server::keys::Algorithm::Rs256;
        c.signing_key = None;
        c.private_key_file = Some(format!("{DATA}/rs256-private.pem").into());
        c.public_key_file = Some(format!("{DATA}/rs256-public.pem").into());
        c.access_lifetime = Duration::from_secs(60);
        c.refresh_lifetime = Duration::from_secs(120);
        c.users = vec![support::user(support::LOGIN, support::PASSWORD, true)];
    })
    .await;
    let jwks = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/.well-known/jwks.json"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({ "keys": keys })),
        )
        .mount(&jwks)
        .await;
    (srv, jwks)
}

/// `--base-url`, the account and a profile declaring RS256 with the mock's JWKS.
fn jwks_args(base_url: &str, jwks: &wiremock::MockServer) -> (Vec<String>, std::path::PathBuf) {
    let profile = std::env::temp_dir().join(format!(
        "real-deployments-jwks-{}-{}.toml",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(
        &profile,
        format!(
            "base = \"classic\"\n[tokens]\nalgorithm = \"RS256\"\njwks_url = \"{}/.well-known/jwks.json\"\n",
            jwks.uri()
        ),
    )
    .expect("write profile");
    let args = [
        "--base-url",
        base_url,
        "--login",
        support::LOGIN,
        "--password",
        support::PASSWORD,
        "--profile",
        &profile.to_string_lossy(),
        "--tags",
        "@asymmetric",
    ]
    .map(String::from)
    .to_vec();
    (args, profile)
}

fn rs256_jwk(kid: &str, key: &conformance::keys::PublicKey) -> Value {
    let mut jwk = key.jwk.clone();
    jwk["kid"] = Value::from(kid);
    jwk["use"] = Value::from("sig");
    jwk
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jwks_url_supplies_the_public_key() {
    let public = conformance::keys::PublicKey::from_pem(
        &std::fs::read(format!("{DATA}/rs256-public.pem")).expect("public key"),
    )
    .expect("a public key");
    let (srv, jwks) = rs256_with_jwks(serde_json::json!([rs256_jwk("server-1", &public)])).await;
    let (args, profile) = jwks_args(&srv.base_url(), &jwks);
    let r = run(args, true).await;
    let _ = std::fs::remove_file(&profile);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for part in [
        "Issued tokens carry the declared alg and verify under the server's public key",
        "keyed with the public key's PEM text is refused by the protected endpoint",
        "keyed with the public key's DER fails verification",
    ] {
        assert_eq!(
            verdicts_of(&r.json, part),
            ["passed"],
            "{part}\n{}",
            r.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jwks_without_the_servers_key_fails_tok_22() {
    let attacker = conformance::keys::attacker_key(conformance::keys::KeyType::Rsa)
        .expect("the attacker's key");
    let (srv, jwks) =
        rs256_with_jwks(serde_json::json!([rs256_jwk("other", attacker.public())])).await;
    let (args, profile) = jwks_args(&srv.base_url(), &jwks);
    let r = run(args, true).await;
    let _ = std::fs::remove_file(&profile);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        verdicts_of(
            &r.json,
            "Issued tokens carry the declared alg and verify under the server's public key"
        ),
        ["failed"],
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("does not verify under the key of jwks_url"),
        "{}",
        r.stdout
    );
}
