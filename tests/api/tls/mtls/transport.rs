//! The handshake with a client CA: its deadline still cuts a stalled one; the CA reloads.

use serde_json::json;

use super::{ClientCa, register, spawn_mtls, token_by_certificate};
use crate::tls::{Pair, spawn_tls};

#[tokio::test]
async fn a_handshake_stalled_after_the_certificate_request_is_cut_at_its_deadline() {
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    let (pair, ca) = (Pair::new("mtls-stall"), ClientCa::new("stall"));
    let deadline = Duration::from_secs(1);
    let dir = ca.install();
    let path = dir.path().join("client-ca.pem");
    let (app, _tls_dir) = spawn_tls(&pair, move |s| {
        s.tls.client_ca = Some(path);
        s.tls.handshake_timeout = deadline;
        s.first_byte_timeout = Duration::from_secs(60);
        s.idle_timeout = Duration::from_secs(60);
    })
    .await;
    // A real ClientHello; the server answers with its flight, certificate request included,
    // and the client never sends its certificate (nor anything else).
    let mut roots = rustls::RootCertStore::empty();
    let server_ca = rustls::pki_types::CertificateDer::from(pem_der(&pair.ca_pem));
    roots.add(server_ca).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut hello = Vec::new();
    rustls::ClientConnection::new(Arc::new(config), name)
        .unwrap()
        .write_tls(&mut hello)
        .unwrap();
    let mut stalled = tokio::net::TcpStream::connect(app.base.trim_start_matches("https://"))
        .await
        .unwrap();
    stalled.write_all(&hello).await.unwrap();
    let (took, received) =
        crate::tls::read_until_closed(&mut stalled, deadline + Duration::from_secs(6)).await;
    assert!(!received.is_empty(), "the server answered the hello");
    assert!(took >= deadline / 2, "cut too early: {took:?}");
    let secret_client = app.admin_client();
    assert_eq!(
        app.token_post(&secret_client.id, &secret_client.secret, &[])
            .await
            .status(),
        200
    );
}

fn pem_der(pem: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn a_reload_reads_the_client_ca_again() {
    let pair = Pair::new("mtls-reload");
    let (old, new) = (ClientCa::new("old"), ClientCa::new("new"));
    let (app, dirs) = spawn_mtls(&pair, &old).await;
    register(
        &app,
        json!({"client_id": "svc-r", "audiences": ["https://api"],
               "tls_client_auth_subject_dn": "CN=svc-r,O=Example"}),
    )
    .await;
    let under_new = new.issue("svc-r");
    let before = under_new.client(&pair.ca_pem);
    let status = token_by_certificate(&app, &before, "svc-r").await.0;
    assert_eq!(status, 401, "not under the configured CA yet");
    crate::tls::replace(&dirs.1.path().join("client-ca.pem"), &new.pem);
    app.tls_reloader.as_ref().unwrap().reload().await.unwrap();
    // Judged at the handshake: a new connection (a new client) is judged by the new CA.
    let after = under_new.client(&pair.ca_pem);
    assert_eq!(token_by_certificate(&app, &after, "svc-r").await.0, 200);
    let under_old = old.issue("svc-r").client(&pair.ca_pem);
    assert_eq!(token_by_certificate(&app, &under_old, "svc-r").await.0, 401);
}
