//! Login floods: the bounded hashing queue answers 503 at once, and the per-address lockout
//! keeps IPv4 clients of a dual-stack listener apart.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use super::{Directory, PASSWORD};
use crate::helpers::spawn_with;

/// Checks the 503 of a full queue: `Retry-After` and RFC 6749's `temporarily_unavailable`.
async fn assert_temporarily_unavailable(r: Response) {
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
}

/// Slow-ish hashes, one at a time, one waiting: a burst of logins overflows at once.
fn one_hash_one_waiting(s: &mut tokendealer::Settings) {
    s.users.argon2_m_cost = 4096;
    s.users.argon2_t_cost = 3;
    s.users.hash_concurrency = 1;
    s.users.hash_queue = 1;
    s.users.max_failures_per_user = 1000;
}

#[tokio::test]
async fn a_full_hashing_queue_answers_503_at_once_while_client_credentials_keep_working() {
    let app = spawn_with(one_hash_one_waiting).await;
    app.seed().await;
    let portal = app.register_client("portal", &["password"]).await;
    let svc = app.register_client("svc", &["client_credentials"]).await;

    let logins: Vec<_> = (0..24)
        .map(|i| {
            let (http, base, portal) = (app.http.clone(), app.base.clone(), portal.clone());
            tokio::spawn(async move {
                let wrong = format!("wrong {i}");
                if i % 2 == 0 {
                    let form = [
                        ("grant_type", "password"),
                        ("username", "alice"),
                        ("password", &wrong),
                    ];
                    let r = http.post(format!("{base}/oauth/token"));
                    r.basic_auth("portal", Some(portal)).form(&form).send()
                } else {
                    let body = json!({"username": "alice", "password": wrong});
                    http.post(format!("{base}/token/gettoken"))
                        .json(&body)
                        .send()
                }
                .await
                .unwrap()
            })
        })
        .collect();
    for _ in 0..10 {
        let r = app.token_basic("svc", &svc, &[]).await;
        assert_eq!(r.status(), 200, "client credentials during the flood");
    }

    let (mut checked, mut refused) = (0, 0);
    for login in logins {
        let r = login.await.unwrap();
        match r.status() {
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                refused += 1;
                assert_temporarily_unavailable(r).await;
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    println!("{checked} logins checked, {refused} refused with 503");
    assert!(refused > 0, "a full queue refuses");
    assert!(
        checked >= 2,
        "the running and the waiting login are checked"
    );

    // The flood is over: the right password works at both endpoints.
    let r = app
        .password_grant(("portal", &portal), "alice", PASSWORD)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.gettoken("alice", PASSWORD).await.status(), 201);
}

#[tokio::test]
async fn the_tokenleader_endpoint_answers_a_full_queue_in_both_dialects() {
    let app = spawn_with(one_hash_one_waiting).await;
    app.seed().await;
    let logins: Vec<_> = (0..12)
        .map(|i| {
            let (http, url) = (app.http.clone(), app.url("/token/gettoken"));
            let body = json!({"username": "alice", "password": format!("wrong {i}")});
            tokio::spawn(async move { http.post(url).json(&body).send().await.unwrap() })
        })
        .collect();
    let mut refused = Vec::new();
    for login in logins {
        let r = login.await.unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert!(r.headers().contains_key("retry-after"));
            refused.push(r.json::<Value>().await.unwrap());
        }
    }
    let body = refused.first().expect("some logins are refused");
    // tokenleaderclient reads `status`; anything else reads RFC 6749's `error`.
    assert_eq!(body["status"], "Service Unavailable");
    assert_eq!(body["error"], "temporarily_unavailable");
}

/// Whether this machine can serve IPv4 clients on an IPv6 wildcard socket, and bind a client to
/// 127.0.0.3: the sandbox may lack IPv6 or dual-stack sockets.
async fn dual_stack_available() -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("[::]:0")
        .await
        .map_err(|e| format!("cannot bind [::]:0 ({e})"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::from(([127, 0, 0, 3], 0)))
        .map_err(|e| format!("cannot bind a client to 127.0.0.3 ({e})"))?;
    socket
        .connect(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| format!("an IPv4 client cannot reach [::]:{port} ({e})"))?;
    Ok(())
}

#[tokio::test]
async fn bad_logins_from_one_ipv4_client_of_a_dual_stack_listener_do_not_lock_out_another() {
    if let Err(why) = dual_stack_available().await {
        eprintln!("skipped: no dual-stack listener here: {why}");
        return;
    }
    let mut app = spawn_with(|s| {
        s.listen = "[::]:0".parse().unwrap();
        s.users.max_failures_per_address = 3;
    })
    .await;
    // The server listens on [::]; its IPv4 clients arrive as ::ffff:127.0.0.x.
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    app.base = format!("http://127.0.0.1:{port}");
    app.seed().await;

    for i in 0..3 {
        let r = app.gettoken(&format!("guess{i}"), "wrong").await;
        assert_eq!(r.status(), 401);
    }
    assert_eq!(
        app.gettoken("alice", PASSWORD).await.status(),
        429,
        "127.0.0.1 is locked out"
    );

    let other = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)))
        .build()
        .unwrap();
    let r = other
        .post(app.url("/token/gettoken"))
        .json(&json!({"username": "alice", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "127.0.0.3 is not");
}
