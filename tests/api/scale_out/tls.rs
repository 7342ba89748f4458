//! TLS to PostgreSQL: with `sslmode=verify-full` every connection of the dealer is encrypted
//! and the server's certificate is checked against `sslrootcert`; a certificate the roots do
//! not vouch for stops the start instead of falling back to plaintext. Needs the CI cluster,
//! which serves TLS with a throwaway CA (`.ci/pg-cluster.sh`).

use std::path::PathBuf;

use tokendealer::{Application, Settings};

use crate::helpers::{spawn_with, use_postgres};

/// The CA of the test cluster; a test asked to run without one fails, saying why.
fn cluster_ca() -> PathBuf {
    let dir = std::env::var_os("TOKENDEALER_TEST_PG_DIR")
        .expect("needs TOKENDEALER_TEST_PG_DIR, the folder .ci/pg-cluster.sh started");
    let ca = PathBuf::from(dir).join("ca.crt");
    assert!(
        ca.exists(),
        "no {} (.ci/pg-cluster.sh makes it)",
        ca.display()
    );
    ca
}

/// `url` with `query` appended.
fn with_query(url: &str, query: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{query}")
}

#[tokio::test]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL and _PG_DIR (.ci/run sets them)"]
async fn with_verify_full_every_connection_of_the_dealer_is_encrypted() {
    let (url, ca) = (super::database().await, cluster_ca());
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
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL and _PG_DIR (.ci/run sets them)"]
async fn a_database_certificate_the_roots_do_not_vouch_for_stops_the_start() {
    let url = super::database().await;
    cluster_ca(); // the cluster serves TLS: what stops the start is trust alone
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
