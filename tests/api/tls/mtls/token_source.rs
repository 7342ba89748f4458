//! The service library's `TokenSource` with a client certificate against the real dealer over
//! TLS with a client CA: a `tls_client_auth` client gets tokens bound to its certificate, and
//! none without it.

use serde_json::json;
use tokendealer::client::{ClientError, TokenSource};

use super::{ClientCa, ClientCert, register, spawn_mtls};
use crate::helpers::{TestApp, claims_of};
use crate::tls::Pair;

/// A source for `svc-ts` trusting the dealer's CA, presenting `cert` when given. The client has
/// no secret: an empty one makes the source send its `client_id` alone (RFC 8705 §2).
fn source(app_url: String, pair: &Pair, cert: Option<&ClientCert>) -> TokenSource {
    let mut builder = TokenSource::builder(app_url, "svc-ts", "")
        .audience("https://api")
        .root_certificate(pair.ca_pem.as_bytes());
    if let Some(cert) = cert {
        builder = builder.client_certificate(format!("{}{}", cert.pem, cert.key_pem).as_bytes());
    }
    builder.build().unwrap()
}

/// A TLS dealer with a client CA, and `svc-ts` registered by its certificate's subject; the
/// last member holds the temporary files.
async fn dealer_with_svc_ts(name: &str) -> (Pair, ClientCa, TestApp, impl Sized) {
    let (pair, ca) = (Pair::new(name), ClientCa::new(name));
    let (app, dirs) = spawn_mtls(&pair, &ca).await;
    register(
        &app,
        json!({"client_id": "svc-ts", "audiences": ["https://api"],
               "tls_client_auth_subject_dn": "CN=svc-ts,O=Example"}),
    )
    .await;
    (pair, ca, app, dirs)
}

#[tokio::test]
async fn a_token_source_with_a_client_certificate_gets_a_token_bound_to_it_from_the_dealer() {
    let (pair, ca, app, _dirs) = dealer_with_svc_ts("ts-mtls").await;
    let cert = ca.issue("svc-ts");
    let source = source(app.url("/oauth/token"), &pair, Some(&cert));
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), "Bearer");
    let claims = claims_of(token.secret());
    assert_eq!(claims["sub"], "svc-ts");
    assert_eq!(claims["cnf"], json!({"x5t#S256": cert.thumbprint()}));
}

#[tokio::test]
async fn a_token_source_without_the_certificate_is_refused_as_invalid_client() {
    let (pair, _ca, app, _dirs) = dealer_with_svc_ts("ts-mtls-none").await;
    let source = source(app.url("/oauth/token"), &pair, None);
    match source.token().await {
        Err(ClientError::OAuth { status, error, .. }) => {
            assert_eq!((status.as_u16(), error.as_str()), (401, "invalid_client"));
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}
