//! The database out of reach (a TCP relay in front of it, cut and restored): admin writes
//! answer 503 at once, cached clients get tokens for a bounded time, then the token path fails
//! closed and `/readyz` says so; once the database is back everything works again without a
//! restart. (A relay rather than the cluster stopped: the other tests share the cluster.)

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::helpers::{spawn_with, use_postgres};

/// Relays connections from a local port to the database until cut.
struct Relay {
    addr: SocketAddr,
    cut: CancellationToken,
}

impl Relay {
    async fn start(addr: SocketAddr, upstream: String) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = CancellationToken::new();
        let stop = cut.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((mut inbound, _)) = accepted else {
                    continue;
                };
                let (upstream, stop) = (upstream.clone(), stop.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = stop.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    }
                });
            }
        });
        Self { addr, cut }
    }
}

/// A fresh database reached through a [`Relay`]: the relay, the URL through it, and the
/// database's own address (to start a relay on again).
async fn relayed_database() -> (Relay, String, String) {
    let url = super::database().await;
    let config: tokio_postgres::Config = url.parse().unwrap();
    let upstream = match (config.get_hosts().first(), config.get_ports().first()) {
        (Some(tokio_postgres::config::Host::Tcp(h)), Some(p)) => format!("{h}:{p}"),
        _ => panic!("needs a cluster reached over TCP, to relay: {url}"),
    };
    let relay = Relay::start("127.0.0.1:0".parse().unwrap(), upstream.clone()).await;
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let relayed = format!(
        "postgres://{}{password}@{}/{}",
        config.get_user().unwrap_or("postgres"),
        relay.addr,
        config.get_dbname().unwrap()
    );
    (relay, relayed, upstream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn with_the_database_out_of_reach_writes_answer_503_and_reads_fail_closed_after_the_bound() {
    let (relay, relayed, upstream) = relayed_database().await;
    let app = spawn_with(|s| {
        use_postgres(s, &relayed);
        s.database_stale = Duration::from_secs(3);
        s.store_write_timeout = Duration::from_secs(2);
    })
    .await;
    let client = app.register("svc", &["https://api"], &[]).await;

    relay.cut.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Inside the bound, a cached client still gets tokens.
    assert_eq!(
        app.token_post("svc", &client.secret, &[]).await.status(),
        200
    );
    let started = Instant::now();
    let token = app.admin_token().await;
    let r = app
        .admin_as(
            &token,
            reqwest::Method::POST,
            "/admin/clients",
            Some(serde_json::json!({ "client_id": "new", "audiences": ["https://api"] })),
        )
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no hang: {:?}",
        started.elapsed()
    );

    // Past the bound the token path fails closed.
    let mut closed = false;
    for _ in 0..40 {
        if app.token_post("svc", &client.secret, &[]).await.status() == 503 {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(closed, "tokens stop once the cache may be stale");

    // Back on the same port: reconnection is automatic.
    let _relay = Relay::start(relay.addr, upstream).await;
    let mut back = false;
    for _ in 0..60 {
        if app.token_post("svc", &client.secret, &[]).await.status() == 200 {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(back, "tokens again once the database is back");
    let again = app.register("after", &["https://api"], &[]).await;
    assert_eq!(
        app.token_post("after", &again.secret, &[]).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: TOKENDEALER_TEST_DATABASE_URL (.ci/run sets it)"]
async fn readyz_answers_503_while_the_database_is_out_of_reach_past_the_bound_and_200_once_it_is_back()
 {
    let (relay, relayed, upstream) = relayed_database().await;
    let app = spawn_with(|s| {
        use_postgres(s, &relayed);
        s.database_stale = Duration::from_secs(2);
    })
    .await;
    let client = app.register("svc", &["https://api"], &[]).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    relay.cut.cancel();
    let cut = Instant::now();
    let mut unready = None;
    while cut.elapsed() < Duration::from_secs(15) {
        let r = app.get("/readyz").await;
        if r.status() == 503 {
            unready = Some(r.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = unready.expect("/readyz answers 503 once the cache may be stale");
    assert!(
        cut.elapsed() >= Duration::from_secs(2),
        "ready for the bound: tokens are served meanwhile ({:?})",
        cut.elapsed()
    );
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["reason"], "store_unavailable");
    let description = body["description"].as_str().unwrap();
    assert!(
        description.contains("cut off from the database"),
        "{description}"
    );
    assert!(!description.contains(&relayed), "no URL: {description}");
    // What readiness says is what the token path does; liveness holds.
    assert_eq!(
        app.token_post("svc", &client.secret, &[]).await.status(),
        503
    );
    assert_eq!(app.get("/livez").await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);

    let _relay = Relay::start(relay.addr, upstream).await;
    let back = Instant::now();
    let mut ready = false;
    while back.elapsed() < Duration::from_secs(20) {
        if app.get("/readyz").await.status() == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "/readyz answers 200 again once the database is back");
    assert_eq!(
        app.token_post("svc", &client.secret, &[]).await.status(),
        200
    );
}
