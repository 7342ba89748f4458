//! TLS to PostgreSQL: with `sslmode=verify-full` every connection of the dealer is encrypted
//! and the server's certificate is checked against `sslrootcert`; a certificate the roots do
//! not vouch for stops the start instead of falling back to plaintext. Needs the CI cluster,
//! which serves TLS with a throwaway CA (`.ci/pg-cluster.sh`).

use std::path::PathBuf;

use tokendealer::{Application, Settings};

use crate::helpers::{fresh_database, spawn_with, use_postgres};

/// The CA of the test cluster, when there is one.
fn cluster_ca() -> Option<PathBuf> {
    let dir = std::env::var_os("TOKENDEALER_TEST_PG_DIR")?;
    Some(PathBuf::from(dir).join("ca.crt")).filter(|p| p.exists())
}

/// `url` with `query` appended.
fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[tokio::test]
async fn with_verify_full_every_connection_of_the_dealer_is_encrypted() {
    let (Some(url), Some(ca)) = (fresh_database().await, cluster_ca()) else {
        return;
    };
    let tls_url = with_query(
        &url,
        &format!("sslmode=verify-full&sslrootcert={}", ca.display()),
    );
    let app = spawn_with(|s| use_postgres(s, &tls_url)).await;
    let svc = app.register("svc", &["https://api"], &[]).await;
    let token = app.access_token(&svc, &[]).await;
    app.revoke(&svc, &token).await;

    // The database's own view of the dealer's sessions: all of them over TLS.
    let (db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let rows = db
        .query(
            "SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.application_name = 'tokendealer' AND a.datname = current_database()",
            &[],
        )
        .await
        .unwrap();
    let encrypted: Vec<bool> = rows.iter().map(|r| r.get(0)).collect();
    assert!(!encrypted.is_empty(), "the dealer holds sessions");
    assert!(
        encrypted.iter().all(|&e| e),
        "every session encrypted: {encrypted:?}"
    );
}

#[tokio::test]
async fn a_database_certificate_the_roots_do_not_vouch_for_stops_the_start() {
    let (Some(url), Some(_)) = (fresh_database().await, cluster_ca()) else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    // The system's roots do not hold the cluster's throwaway CA; nor does another CA file.
    let other_ca = data.path().join("other-ca.pem");
    let other = rcgen::generate_simple_self_signed(vec!["elsewhere".into()]).unwrap();
    std::fs::write(&other_ca, other.cert.pem()).unwrap();
    for query in [
        "sslmode=verify-full".to_owned(),
        format!("sslmode=require&sslrootcert={}", other_ca.display()),
    ] {
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().into(),
            keys_dir: keys.path().into(),
            ..Settings::default()
        };
        use_postgres(&mut settings, &with_query(&url, &query));
        settings.database_stale = std::time::Duration::from_secs(2);
        let err = match Application::build(settings).await {
            Ok(_) => panic!("{query}: started without a verified certificate"),
            Err(e) => format!("{e:#}"),
        };
        assert!(
            err.contains("certificate") || err.contains("CA certificate"),
            "{query}: {err}"
        );
    }
}
