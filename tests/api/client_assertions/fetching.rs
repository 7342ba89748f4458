//! Clients whose keys are at a `jwks_uri`: fetched within bounds and cached; a slow, huge,
//! redirecting or private-key-serving URL leaves the client unauthenticated and nothing else
//! slower. The URLs are plain http on loopback, allowed by the development setting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::helpers::{TestApp, spawn_with};

/// What the key server answers next.
#[derive(Clone)]
enum Answer {
    Keys(Value, Option<u64>),
    Slow(Duration),
    Huge(usize),
    Redirect,
    Down,
}

struct KeyServer {
    url: String,
    answer: Arc<Mutex<Answer>>,
    hits: Arc<AtomicUsize>,
}

impl KeyServer {
    async fn start(answer: Answer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let (shared, hits) = (Arc::new(Mutex::new(answer)), Arc::new(AtomicUsize::new(0)));
        let (a, h, u) = (shared.clone(), hits.clone(), url.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (answer, u) = (a.lock().unwrap().clone(), u.clone());
                h.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let head = |status: &str, extra: &str, len: usize| {
                        format!(
                            "HTTP/1.1 {status}\r\n{extra}content-length: {len}\r\nconnection: close\r\n\r\n"
                        )
                    };
                    match answer {
                        Answer::Keys(set, max_age) => {
                            let body = set.to_string();
                            let cc = max_age
                                .map(|s| format!("cache-control: max-age={s}\r\n"))
                                .unwrap_or_default();
                            let msg = head(
                                "200 OK",
                                &format!("{cc}content-type: application/json\r\n"),
                                body.len(),
                            );
                            let _ = socket.write_all(format!("{msg}{body}").as_bytes()).await;
                        }
                        Answer::Slow(d) => {
                            tokio::time::sleep(d).await;
                            let _ = socket.write_all(head("200 OK", "", 2).as_bytes()).await;
                            let _ = socket.write_all(b"{}").await;
                        }
                        Answer::Huge(n) => {
                            let _ = socket.write_all(head("200 OK", "", n).as_bytes()).await;
                            let chunk = vec![b' '; 64 * 1024];
                            let mut sent = 0;
                            while sent < n {
                                if socket.write_all(&chunk).await.is_err() {
                                    break;
                                }
                                sent += chunk.len();
                            }
                        }
                        Answer::Redirect => {
                            let msg = head("302 Found", &format!("location: {u}\r\n"), 0);
                            let _ = socket.write_all(msg.as_bytes()).await;
                        }
                        Answer::Down => {
                            let _ = socket
                                .write_all(head("503 Service Unavailable", "", 0).as_bytes())
                                .await;
                        }
                    }
                });
            }
        });
        Self {
            url,
            answer: shared,
            hits,
        }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn app_with_cooldown(cooldown: u64) -> TestApp {
    spawn_with(|s| {
        s.client_assertions.jwks_allow_http_loopback = true;
        s.client_assertions.jwks_refetch_cooldown_secs = cooldown;
        s.client_assertions.jwks_fetch_timeout_secs = 1;
        s.client_assertions.jwks_min_cache_secs = 0;
    })
    .await
}

async fn register_uri(app: &TestApp, id: &str, uri: &str) {
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": id, "audiences": [API], "jwks_uri": uri})),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn a_new_kid_is_fetched_at_once_then_not_again_within_the_cooldown() {
    let app = app_with_cooldown(2).await;
    let (k1, k2, k3) = (
        Signer::ed25519("k1"),
        Signer::rsa("k2"),
        Signer::ed25519("k3"),
    );
    let server = KeyServer::start(Answer::Keys(jwks(&[&k1]), Some(3600))).await;
    register_uri(&app, "svc", &server.url).await;
    assert_eq!(
        token_with(&app, &k1.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    assert_eq!(
        token_with(&app, &k1.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    assert_eq!(server.hits(), 1, "cached for its max-age");
    // Rotation: the client publishes k2 and uses it; the unknown kid refetches (once the
    // cooldown since the first fetch is over).
    server.set(Answer::Keys(jwks(&[&k1, &k2]), Some(3600)));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        token_with(&app, &k2.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    assert_eq!(server.hits(), 2);
    // Within the cooldown an unknown kid, however often and concurrently, fetches nothing.
    server.set(Answer::Keys(jwks(&[&k1, &k2, &k3]), Some(3600)));
    let assertions: Vec<String> = (0..8).map(|_| k3.sign(&claims(&app, "svc"))).collect();
    let tries = assertions.iter().map(|a| token_with(&app, a, &[]));
    for r in futures_util::future::join_all(tries).await {
        assert_eq!(r.status(), 401);
    }
    assert_eq!(server.hits(), 2);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        token_with(&app, &k3.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn the_last_good_set_serves_while_the_uri_fails() {
    let app = app_with_cooldown(0).await;
    let key = Signer::ed25519("k1");
    let server = KeyServer::start(Answer::Keys(jwks(&[&key]), Some(0))).await;
    register_uri(&app, "svc", &server.url).await;
    assert_eq!(
        token_with(&app, &key.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    server.set(Answer::Down);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        token_with(&app, &key.sign(&claims(&app, "svc")), &[])
            .await
            .status(),
        200
    );
    assert!(server.hits() >= 2, "the expired set was asked for again");
}

#[tokio::test]
async fn a_slow_huge_redirecting_or_private_uri_fails_the_client_and_slows_no_one_else() {
    let app = app_with_cooldown(30).await;
    let key = Signer::ed25519("k1");
    let mut private = serde_json::to_value(&key.jwk).unwrap();
    private["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    let servers = [
        (
            "slow",
            KeyServer::start(Answer::Slow(Duration::from_secs(5))).await,
        ),
        (
            "huge",
            KeyServer::start(Answer::Huge(10 * 1024 * 1024)).await,
        ),
        ("loop", KeyServer::start(Answer::Redirect).await),
        (
            "private",
            KeyServer::start(Answer::Keys(json!({"keys": [private]}), None)).await,
        ),
    ];
    for (id, server) in &servers {
        register_uri(&app, id, &server.url).await;
    }
    let inline = Signer::ed25519("in");
    register_with_keys(&app, "inline", jwks(&[&inline])).await;
    let plain = app.register("plain", &[API], &[]).await;
    let hostile = servers.iter().map(|(id, _)| {
        let assertion = key.sign(&claims(&app, id));
        let app = &app;
        async move {
            let started = Instant::now();
            let r = token_with(app, &assertion, &[]).await;
            (r.status().as_u16(), started.elapsed())
        }
    });
    let others = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let a = token_with(&app, &inline.sign(&claims(&app, "inline")), &[])
            .await
            .status();
        let b = app.token_post(&plain.id, &plain.secret, &[]).await.status();
        ((a.as_u16(), b.as_u16()), started.elapsed())
    };
    let (answers, (ok, others_took)) =
        tokio::join!(futures_util::future::join_all(hostile), others);
    assert_eq!(ok, (200, 200));
    assert!(
        others_took < Duration::from_millis(800),
        "others took {others_took:?}"
    );
    for ((status, took), (id, _)) in answers.iter().zip(&servers) {
        assert_eq!(*status, 401, "{id}");
        assert!(*took < Duration::from_secs(3), "{id} took {took:?}");
    }
    // The redirect was not followed round and round.
    assert_eq!(servers[2].1.hits(), 1);
}

#[tokio::test]
async fn a_plain_http_uri_is_not_fetched_without_the_development_setting() {
    let app = crate::helpers::spawn_app().await;
    let key = Signer::ed25519("k1");
    let server = KeyServer::start(Answer::Keys(jwks(&[&key]), None)).await;
    register_uri(&app, "svc", &server.url).await;
    assert_invalid_client(
        token_with(&app, &key.sign(&claims(&app, "svc")), &[]).await,
        "http",
    )
    .await;
    assert_eq!(server.hits(), 0);
}
