//! Replacing the certificate while serving: new handshakes get the new pair, open connections
//! keep theirs, a bad pair changes nothing, and a change of the files is noticed by itself.

use std::time::Duration;

use super::{Pair, peer_certificate, replace, spawn_tls, trusting};

#[tokio::test]
async fn a_reload_serves_the_new_certificate_to_new_connections_while_open_ones_keep_working() {
    let old = Pair::new("old");
    let (app, dir) = spawn_tls(&old, |s| s.tls.watch_interval = Duration::ZERO).await;
    // HTTP/1.1 with a pool: the second request below rides the connection of the first.
    let before = trusting(&old.ca_pem).http1_only().build().unwrap();
    let r = before.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(peer_certificate(&r), old.cert_der);

    let new = Pair::new("new");
    new.install(dir.path());
    app.tls_reloader.as_ref().unwrap().reload().await.unwrap();

    let after = trusting(&new.ca_pem).build().unwrap();
    let r = after.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(peer_certificate(&r), new.cert_der);
    // A new connection trusting only the old CA is refused the new certificate...
    let fresh_old = trusting(&old.ca_pem).build().unwrap();
    assert!(fresh_old.get(app.url("/healthz")).send().await.is_err());
    // ...while the connection opened before goes on with the old one.
    let r = before.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(peer_certificate(&r), old.cert_der);
}

#[tokio::test]
async fn a_bad_new_pair_keeps_the_old_certificate_and_says_why_without_the_key() {
    let old = Pair::new("kept");
    let (app, dir) = spawn_tls(&old, |s| s.tls.watch_interval = Duration::ZERO).await;
    let reloader = app.tls_reloader.clone().unwrap();
    let files = old.install(dir.path());
    let other = Pair::new("other");

    // A key that is not the certificate's.
    replace(&files.cert, &other.cert_pem);
    let err = reloader.reload().await.unwrap_err().to_string();
    assert!(err.contains("do not make a pair"), "{err}");
    // Not PEM at all.
    replace(&files.cert, &old.cert_pem);
    replace(&files.key, "this is not a key\n");
    let err = reloader.reload().await.unwrap_err().to_string();
    assert!(err.contains("key.pem"), "{err}");
    // A missing file.
    std::fs::remove_file(&files.cert).unwrap();
    let err = reloader.reload().await.unwrap_err().to_string();
    assert!(err.contains("cert.pem"), "{err}");
    // The mismatched key's own content never appears in a message.
    replace(&files.cert, &other.cert_pem);
    replace(&files.key, &old.key_pem);
    let err = reloader.reload().await.unwrap_err().to_string();
    let key_body = old.key_pem.lines().nth(1).unwrap();
    assert!(!err.contains(key_body), "{err}");

    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(peer_certificate(&r), old.cert_der);
}

#[tokio::test]
async fn replaced_files_are_picked_up_without_a_signal() {
    let old = Pair::new("watched");
    let (app, dir) = spawn_tls(&old, |s| s.tls.watch_interval = Duration::from_millis(100)).await;
    let new = Pair::new("watched-new");
    new.install(dir.path());
    let after = trusting(&new.ca_pem).build().unwrap();
    for _ in 0..100 {
        if let Ok(r) = after.get(app.url("/healthz")).send().await {
            assert_eq!(peer_certificate(&r), new.cert_der);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new certificate was not served within 10 s");
}
