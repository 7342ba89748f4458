//! Native TLS on the main listener: HTTPS with HTTP/1.1 and HTTP/2 chosen by ALPN, `https://`
//! issuer and metadata, the handshake deadline, and what a non-TLS client gets.

mod mtls;
mod process;
mod reload;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use reqwest::Version;
use serde_json::Value;
use tempfile::TempDir;
use tokendealer::Settings;
use tokendealer::client::ServerMetadata;
use tokendealer::config::TlsFiles;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::helpers::{TestApp, spawn_with};

/// A private CA and a server certificate for 127.0.0.1 and localhost signed by it.
pub struct Pair {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

impl Pair {
    pub fn new(name: &str) -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        leaf.distinguished_name
            .push(DnType::CommonName, format!("{name} dealer"));
        let leaf = leaf.signed_by(&key, &*ca).unwrap();
        Self {
            ca_pem: ca.pem(),
            cert_pem: leaf.pem(),
            key_pem: key.serialize_pem(),
            cert_der: leaf.der().to_vec(),
        }
    }

    /// Writes the certificate and key as `cert.pem` and `key.pem` (0600) in `dir`, each
    /// replaced whole (written aside, then renamed), as a deployment tool would.
    pub fn install(&self, dir: &Path) -> TlsFiles {
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        replace(&files.cert, &self.cert_pem);
        replace(&files.key, &self.key_pem);
        files
    }
}

/// Replaces `path` with `text`, mode 0600, by a rename.
pub fn replace(path: &Path, text: &str) {
    let aside = path.with_extension("new");
    std::fs::write(&aside, text).unwrap();
    std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&aside, path).unwrap();
}

/// A client that trusts only `ca_pem` and reports the peer's certificate.
pub fn trusting(ca_pem: &str) -> reqwest::ClientBuilder {
    let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .tls_info(true)
}

/// The certificate the server presented on the connection that carried `response`.
pub fn peer_certificate(response: &reqwest::Response) -> Vec<u8> {
    let info = response.extensions().get::<reqwest::tls::TlsInfo>();
    info.and_then(|i| i.peer_certificate()).unwrap().to_vec()
}

/// A dealer serving HTTPS with `pair` (its files in the returned dir), and a client trusting
/// its CA in `app.http`.
pub async fn spawn_tls(pair: &Pair, tweak: impl FnOnce(&mut Settings)) -> (TestApp, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let files = pair.install(dir.path());
    let mut app = spawn_with(|s| {
        s.tls.files = Some(files);
        tweak(s);
    })
    .await;
    app.http = trusting(&pair.ca_pem).build().unwrap();
    (app, dir)
}

async fn token_over(app: &TestApp, http: &reqwest::Client) -> reqwest::Response {
    let admin = app.admin_client();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", admin.id.as_str()),
        ("client_secret", admin.secret.as_str()),
    ];
    http.post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_token_comes_over_https_with_http1_and_with_http2_chosen_by_alpn() {
    let pair = Pair::new("alpn");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    assert!(app.base.starts_with("https://"), "{}", app.base);

    let h1 = trusting(&pair.ca_pem).http1_only().build().unwrap();
    let r = token_over(&app, &h1).await;
    assert_eq!((r.status().as_u16(), r.version()), (200, Version::HTTP_11));
    assert_eq!(peer_certificate(&r), pair.cert_der);
    assert!(r.json::<Value>().await.unwrap()["access_token"].is_string());

    // reqwest offers `h2` and `http/1.1`; the server picks `h2`.
    let h2 = trusting(&pair.ca_pem).build().unwrap();
    let r = token_over(&app, &h2).await;
    assert_eq!((r.status().as_u16(), r.version()), (200, Version::HTTP_2));
    assert!(r.json::<Value>().await.unwrap()["access_token"].is_string());
}

#[tokio::test]
async fn the_issuer_and_the_metadata_urls_say_https_and_the_client_library_follows_them() {
    let pair = Pair::new("issuer");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    assert_eq!(app.issuer, app.base);
    assert!(
        app.issuer.starts_with("https://127.0.0.1:"),
        "{}",
        app.issuer
    );
    let doc: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], app.issuer.as_str());
    for endpoint in ["token_endpoint", "jwks_uri", "introspection_endpoint"] {
        let url = doc[endpoint].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/", app.issuer)),
            "{endpoint}: {url}"
        );
    }
    // A service trusting the private CA discovers the dealer and verifies its tokens.
    let metadata = ServerMetadata::discover(&app.http, &app.base)
        .await
        .unwrap();
    let verifier =
        tokendealer::client::Verifier::from_metadata(&metadata, crate::helpers::ADMIN_AUDIENCE)
            .http_client(app.http.clone())
            .build()
            .unwrap();
    let token: Value = token_over(&app, &app.http).await.json().await.unwrap();
    let claims = verifier
        .verify(token["access_token"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(claims.iss.as_deref(), Some(app.issuer.as_str()));
}

#[tokio::test]
async fn an_explicit_issuer_is_kept_as_written_with_tls() {
    let pair = Pair::new("explicit");
    let (app, _dir) = spawn_tls(&pair, |s| {
        s.issuer = Some("https://auth.example.com/".into());
    })
    .await;
    let doc: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], "https://auth.example.com/");
}

/// Reads until the server closes the connection (panics past `limit`): how long it took and
/// what came.
pub(crate) async fn read_until_closed(
    stream: &mut TcpStream,
    limit: Duration,
) -> (Duration, Vec<u8>) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(start + limit, stream.read(&mut buf)).await {
            Err(_) => panic!("still open after {limit:?}; received {received:?}"),
            Ok(Ok(0) | Err(_)) => return (start.elapsed(), received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

async fn assert_still_serving(app: &TestApp) {
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(token_over(app, &app.http).await.status(), 200);
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_handshake_is_closed_at_the_handshake_deadline() {
    let pair = Pair::new("stall");
    let deadline = Duration::from_secs(1);
    let (app, _dir) = spawn_tls(&pair, |s| {
        s.tls.handshake_timeout = deadline;
        // Only the handshake deadline can cut: the HTTP ones start after it.
        s.first_byte_timeout = Duration::from_secs(60);
        s.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let mut silent = TcpStream::connect(app.base.trim_start_matches("https://"))
        .await
        .unwrap();
    let (took, received) = read_until_closed(&mut silent, deadline + Duration::from_secs(6)).await;
    assert!(received.is_empty(), "{received:?}");
    assert!(took >= deadline / 2, "cut too early: {took:?}");
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn a_stalled_handshake_holds_a_place_under_the_cap_until_it_is_cut() {
    let pair = Pair::new("cap");
    let deadline = Duration::from_secs(1);
    let (app, _dir) = spawn_tls(&pair, |s| {
        s.max_connections = 1;
        s.tls.handshake_timeout = deadline;
    })
    .await;
    let addr = app.base.trim_start_matches("https://").to_owned();
    let mut stalled = TcpStream::connect(&addr).await.unwrap();
    let start = Instant::now();
    // The one place is taken: the next client waits in the listen queue until the stalled
    // handshake is cut at its deadline, then is served.
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert!(
        start.elapsed() >= deadline / 2,
        "served beside the stalled handshake: {:?}",
        start.elapsed()
    );
    let (_, received) = read_until_closed(&mut stalled, Duration::from_secs(1)).await;
    assert!(received.is_empty(), "{received:?}");
}

#[tokio::test]
async fn plain_http_sent_to_the_tls_port_is_closed_without_an_http_answer_and_the_server_goes_on() {
    let pair = Pair::new("plain");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    let addr = app.base.trim_start_matches("https://").to_owned();
    for _ in 0..3 {
        let mut plain = TcpStream::connect(&addr).await.unwrap();
        plain
            .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let (_, received) = read_until_closed(&mut plain, Duration::from_secs(5)).await;
        assert!(!received.starts_with(b"HTTP/"), "{received:?}");
    }
    let plain_client = reqwest::Client::new();
    let err = plain_client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await;
    assert!(err.is_err(), "plain HTTP is not served: {err:?}");
    assert_still_serving(&app).await;
}
