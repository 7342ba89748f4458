//! Mutual TLS (RFC 8705): clients authenticating by certificate (`tls_client_auth` under the
//! client CA, `self_signed_tls_client_auth`), tokens bound to the connection's certificate
//! (`cnf.x5t#S256`), the metadata saying so, and certificates forwarded by a trusted proxy.
//! This file: the certificates of the tests, authentication and binding; `registration`: the
//! admin API, CLI and console; `endpoints`: introspection, revocation, the metadata; `bound`:
//! certificate-bound tokens at the admin API and the catalog; `proxy`: a trusted proxy's header;
//! `token_source`: the service library's `TokenSource` with a certificate; `transport`: the
//! handshake.

mod bound;
mod endpoints;
mod proxy;
mod registration;
mod token_source;
mod transport;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};
use reqwest::Method;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{Pair, spawn_tls, trusting};
use crate::helpers::{TestApp, claims_of};

/// A client CA and what it signs.
pub struct ClientCa {
    pub pem: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl ClientCa {
    pub fn new(name: &str) -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("{name} client CA"));
        let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        Self {
            pem: issuer.pem(),
            issuer,
        }
    }

    /// Writes the CA certificate as `client-ca.pem` in a new directory.
    pub fn install(&self) -> TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("client-ca.pem"), &self.pem).unwrap();
        dir
    }

    /// A client certificate with subject `CN=<cn>,O=Example` and the DNS SAN `<cn>.example`.
    pub fn issue(&self, cn: &str) -> ClientCert {
        let key = KeyPair::generate().unwrap();
        let params = client_params(cn);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        ClientCert::of(cert.pem(), cert.der().to_vec(), &key)
    }
}

/// A client's certificate and key.
pub struct ClientCert {
    pub pem: String,
    pub der: Vec<u8>,
    key_pem: String,
}

impl ClientCert {
    fn of(pem: String, der: Vec<u8>, key: &KeyPair) -> Self {
        Self {
            pem,
            der,
            key_pem: key.serialize_pem(),
        }
    }

    /// A self-signed certificate with subject `CN=<cn>,O=Example`.
    pub fn self_signed(cn: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let cert = client_params(cn).self_signed(&key).unwrap();
        Self::of(cert.pem(), cert.der().to_vec(), &key)
    }

    /// `cnf.x5t#S256` of a token bound to it.
    pub fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(digest(&SHA256, &self.der))
    }

    /// An HTTPS client trusting `server_ca` and presenting this certificate.
    pub fn client(&self, server_ca: &str) -> reqwest::Client {
        let identity = format!("{}{}", self.pem, self.key_pem);
        trusting(server_ca)
            .identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap())
            .build()
            .unwrap()
    }
}

fn client_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    // Most significant first in the DER, as `openssl req -subj /O=Example/CN=svc` writes it:
    // RFC 4514 strings list the RDNs the other way round, `CN=svc,O=Example`. (rcgen's default
    // DN holds a CN already, which would put the CN first.)
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Example");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.subject_alt_names = vec![SanType::DnsName(
        format!("{cn}.example").try_into().unwrap(),
    )];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

/// A TLS dealer whose client CA is `ca`; the dir holds the files.
pub async fn spawn_mtls(pair: &Pair, ca: &ClientCa) -> (TestApp, (TempDir, TempDir)) {
    let dir = ca.install();
    let path = dir.path().join("client-ca.pem");
    let (app, tls_dir) = spawn_tls(pair, move |s| s.tls.client_ca = Some(path)).await;
    (app, (tls_dir, dir))
}

/// Registers a client through the admin API; its answer.
pub async fn register(app: &TestApp, body: Value) -> Value {
    let r = app.admin(Method::POST, "/admin/clients", Some(body)).await;
    assert_eq!(r.status(), 201, "registered");
    r.json().await.unwrap()
}

/// A token request with `client_id` alone in the form (the certificate is the credential).
pub async fn token_by_certificate(app: &TestApp, http: &reqwest::Client, id: &str) -> (u16, Value) {
    let form = [("grant_type", "client_credentials"), ("client_id", id)];
    let r = http
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

pub fn cnf(token: &Value) -> Value {
    claims_of(token["access_token"].as_str().unwrap())["cnf"].clone()
}

#[tokio::test]
async fn a_tls_client_auth_client_gets_a_token_bound_to_its_certificate_by_its_subject_dn() {
    let (pair, ca) = (Pair::new("mtls-dn"), ClientCa::new("dn"));
    let (app, _dir) = spawn_mtls(&pair, &ca).await;
    // Registered in another case and spacing than the certificate's CN=svc-a,O=Example: the
    // names are compared RDN by RDN, as LDAP compares them, not as strings.
    let view = register(
        &app,
        json!({"client_id": "svc-a", "audiences": ["https://api"],
               "tls_client_auth_subject_dn": "cn=SVC-A,o=example"}),
    )
    .await;
    assert_eq!(view["token_endpoint_auth_method"], "tls_client_auth");
    assert!(view.get("client_secret").is_none(), "{view}");

    let cert = ca.issue("svc-a");
    let (status, token) = token_by_certificate(&app, &cert.client(&pair.ca_pem), "svc-a").await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(cnf(&token), json!({"x5t#S256": cert.thumbprint()}));
}

#[tokio::test]
async fn a_tls_client_auth_client_may_be_registered_by_a_dns_san_instead() {
    let (pair, ca) = (Pair::new("mtls-san"), ClientCa::new("san"));
    let (app, _dir) = spawn_mtls(&pair, &ca).await;
    register(
        &app,
        json!({"client_id": "svc-san", "audiences": ["https://api"],
               "tls_client_auth_san_dns": "svc-san.example"}),
    )
    .await;
    let ok = ca.issue("svc-san").client(&pair.ca_pem);
    assert_eq!(token_by_certificate(&app, &ok, "svc-san").await.0, 200);
    let other = ca.issue("svc-other").client(&pair.ca_pem);
    assert_eq!(token_by_certificate(&app, &other, "svc-san").await.0, 401);
}

#[tokio::test]
async fn a_self_signed_client_gets_a_bound_token_with_its_certificate_and_no_other() {
    let pair = Pair::new("mtls-self");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    let cert = ClientCert::self_signed("robot");
    let view = register(
        &app,
        json!({"client_id": "robot", "audiences": ["https://api"],
               "tls_client_certificate": cert.pem}),
    )
    .await;
    assert_eq!(
        view["token_endpoint_auth_method"],
        "self_signed_tls_client_auth"
    );
    assert_eq!(view["tls_client_certificate_x5t#S256"], cert.thumbprint());

    let (status, token) = token_by_certificate(&app, &cert.client(&pair.ca_pem), "robot").await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(cnf(&token), json!({"x5t#S256": cert.thumbprint()}));

    // Another certificate with the same names is another key: refused, in the handshake's
    // stead by invalid_client.
    let impostor = ClientCert::self_signed("robot").client(&pair.ca_pem);
    let (status, body) = token_by_certificate(&app, &impostor, "robot").await;
    assert_eq!((status, &body["error"]), (401, &json!("invalid_client")));
}

#[tokio::test]
async fn every_failed_certificate_authentication_gets_the_answer_of_a_wrong_secret() {
    let (pair, ca) = (Pair::new("mtls-fail"), ClientCa::new("fail"));
    let (app, _dir) = spawn_mtls(&pair, &ca).await;
    register(
        &app,
        json!({"client_id": "svc-b", "audiences": ["https://api"],
               "tls_client_auth_subject_dn": "CN=svc-b,O=Example"}),
    )
    .await;
    let wrong_secret = app.token_post("svc-b", "not-a-secret", &[]).await;
    let reference = (wrong_secret.status(), wrong_secret.text().await.unwrap());
    assert_eq!(reference.0, 401);

    let answer = |r: (u16, Value)| (r.0, r.1.to_string());
    let expected = (401, reference.1.clone());
    let without = app.http.clone();
    assert_eq!(
        answer(token_by_certificate(&app, &without, "svc-b").await),
        expected,
        "no certificate at all"
    );
    // The right names under another CA: the handshake passes, the chain does not.
    let elsewhere = ClientCa::new("elsewhere").issue("svc-b");
    assert_eq!(
        answer(token_by_certificate(&app, &elsewhere.client(&pair.ca_pem), "svc-b").await),
        expected,
        "a chain to another CA"
    );
    let self_signed = ClientCert::self_signed("svc-b");
    assert_eq!(
        answer(token_by_certificate(&app, &self_signed.client(&pair.ca_pem), "svc-b").await),
        expected,
        "a self-signed certificate with the right names"
    );
    let other_subject = ca.issue("svc-c").client(&pair.ca_pem);
    assert_eq!(
        answer(token_by_certificate(&app, &other_subject, "svc-b").await),
        expected,
        "another subject under the right CA"
    );
    // The right certificate, and a secret too: a TLS client has none.
    let right = ca.issue("svc-b").client(&pair.ca_pem);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "svc-b"),
        ("client_secret", "anything"),
    ];
    let r = right
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.text().await.unwrap()), expected);
    assert_eq!(token_by_certificate(&app, &right, "svc-b").await.0, 200);

    // Why, the audit trail alone says (newest first).
    let trail: Vec<Value> = app
        .admin(Method::GET, "/admin/audit?kind=auth", None)
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> = trail
        .iter()
        .filter(|e| e["presented_id"] == "svc-b")
        .map(|e| e["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "wrong_method",
            "wrong_certificate",
            "certificate_not_from_ca",
            "certificate_not_from_ca",
            "no_certificate",
            "wrong_method",
        ]
    );
}

#[tokio::test]
async fn a_secret_client_works_without_a_certificate_and_its_token_is_bound_when_it_sends_one() {
    let (pair, ca) = (Pair::new("mtls-secret"), ClientCa::new("secret"));
    let (app, _dir) = spawn_mtls(&pair, &ca).await;
    let client = app.register("plain", &["https://api"], &[]).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client.id.as_str()),
        ("client_secret", client.secret.as_str()),
    ];
    let unbound: Value = app
        .http
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(cnf(&unbound).is_null(), "{unbound}");

    let cert = ClientCert::self_signed("anything");
    let r = cert
        .client(&pair.ca_pem)
        .post(app.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bound: Value = r.json().await.unwrap();
    assert_eq!(cnf(&bound), json!({"x5t#S256": cert.thumbprint()}));
    // Introspection says what the token is bound to.
    let token = bound["access_token"].as_str().unwrap();
    assert_eq!(
        app.introspect(&client, token).await["cnf"],
        json!({"x5t#S256": cert.thumbprint()})
    );
}
