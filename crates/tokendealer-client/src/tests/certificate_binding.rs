//! RequireAccess enforcing certificate-bound tokens (RFC 8705 §3): the connection's certificate
//! or, from a trusted proxy only, a forwarded one must be the one the token names.

use std::net::{IpAddr, SocketAddr};

use http::{Request, StatusCode};
use serde_json::json;

use super::binding::{get, layer, send, token};
use super::support::{DEALER_KEY, MockDealer};
use crate::{PeerAddr, PeerCertificate};

fn with_certificate(token: &str, der: Option<&[u8]>) -> Request<()> {
    let mut request = get(format!("Bearer {token}"), &[]);
    if let Some(der) = der {
        request
            .extensions_mut()
            .insert(PeerCertificate(der.to_vec()));
    }
    request
}

fn x5t(der: &[u8]) -> String {
    use base64::Engine as _;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

#[tokio::test]
async fn a_certificate_bound_token_needs_that_certificate_on_the_connection() {
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let (mine, other) = (b"certificate one".as_slice(), b"certificate two".as_slice());
    let token = token(&dealer, Some(json!({"x5t#S256": x5t(mine)})));
    let layer = layer(&dealer);
    let ok = send(&layer, with_certificate(&token, Some(mine))).await;
    let wrong = send(&layer, with_certificate(&token, Some(other))).await;
    let none = send(&layer, with_certificate(&token, None)).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        (wrong.status, none.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert!(
        wrong
            .challenge
            .starts_with(r#"Bearer error="invalid_token""#),
        "{}",
        wrong.challenge
    );
}

#[tokio::test]
async fn a_forwarded_certificate_counts_only_from_a_trusted_proxy_address() {
    use base64::Engine as _;
    let dealer = MockDealer::start(&[&DEALER_KEY]).await;
    let der = b"forwarded certificate".as_slice();
    let token = token(&dealer, Some(json!({"x5t#S256": x5t(der)})));
    let proxy: IpAddr = "10.0.0.7".parse().unwrap();
    let layer = layer(&dealer).certificate_header("x-client-cert".parse().unwrap(), &[proxy]);
    let from = |ip: &str| {
        let mut request = get(format!("Bearer {token}"), &[]);
        let header = base64::engine::general_purpose::STANDARD.encode(der);
        request
            .headers_mut()
            .insert("x-client-cert", header.parse().unwrap());
        let addr: SocketAddr = format!("{ip}:4000").parse().unwrap();
        request.extensions_mut().insert(PeerAddr(addr));
        request
    };
    assert_eq!(send(&layer, from("10.0.0.7")).await.status, StatusCode::OK);
    assert_eq!(
        send(&layer, from("10.0.0.8")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let without_setting = super::binding::layer(&dealer);
    assert_eq!(
        send(&without_setting, from("10.0.0.7")).await.status,
        StatusCode::UNAUTHORIZED
    );
}
