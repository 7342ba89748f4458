//! Costly imported hashes (PBKDF2 with more iterations than tokenleader 1.8 used) under a
//! flood: they run in a lane of their own, one check per user at a time, and refusals for a
//! full lane count against the sender's address. The iteration count here (400,000 SHA-256,
//! ~0.2–0.4 s in a debug build) keeps the tests' CPU modest; `benches/costly_login_flood.sh`
//! measures the real sizes.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Directory, PASSWORD};
use crate::helpers::{TestApp, spawn_with};

const COSTLY_ITERATIONS: u32 = 400_000;

/// A Werkzeug `pbkdf2:sha256:N` hash of `password`, made as Werkzeug makes it.
fn werkzeug_hash(password: &str, iterations: u32) -> String {
    let salt = format!("{:016x}", rand::random::<u64>());
    let mut out = [0u8; 32];
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations).unwrap(),
        salt.as_bytes(),
        password.as_bytes(),
        &mut out,
    );
    format!("pbkdf2:sha256:{iterations}${salt}${}", hex::encode(out))
}

/// Imports `name` (role `ops`, wfc `acme-eng`, from `seed`) with a costly hash of `password`.
async fn import_costly(app: &TestApp, name: &str, password: &str) {
    let body = json!({"username": name, "email": name, "roles": ["ops"], "wfc": "acme-eng",
        "password_hash": werkzeug_hash(password, COSTLY_ITERATIONS)});
    let r = app
        .admin(Method::POST, "/admin/import/tokenleader/users", Some(body))
        .await;
    assert_eq!(r.status(), 201, "importing {name}");
}

/// A client whose connections leave from `127.0.0.N`.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .build()
        .unwrap()
}

async fn gettoken_from(
    http: &reqwest::Client,
    app: &TestApp,
    user: &str,
    pw: &str,
) -> (StatusCode, Duration) {
    let started = Instant::now();
    let r = http
        .post(app.url("/token/gettoken"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap();
    (r.status(), started.elapsed())
}

#[tokio::test]
async fn a_flood_of_wrong_passwords_for_costly_users_from_many_addresses_leaves_ordinary_logins_working()
 {
    let app = Arc::new(spawn_with(|s| s.users.hash_concurrency = 2).await);
    app.seed().await;
    let costly: Vec<String> = (0..16).map(|i| format!("costly{i}")).collect();
    for name in &costly {
        import_costly(&app, name, "their real password").await;
    }

    // 24 senders, each from an address of its own, each posting wrong passwords in a loop.
    let stop = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..24u8)
        .map(|i| {
            let (app, stop, costly) = (app.clone(), stop.clone(), costly.clone());
            tokio::spawn(async move {
                let http = client_from(10 + i);
                let mut seen = Vec::new();
                for k in 0usize.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let user = &costly[(usize::from(i) + k) % costly.len()];
                    seen.push(gettoken_from(&http, &app, user, "wrong").await.0);
                    // Refusals come back at once: a pause keeps the senders' own CPU modest.
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut ordinary = Vec::new();
    for _ in 0..10 {
        ordinary.push(gettoken_from(&app.http, &app, "alice", PASSWORD).await);
    }
    stop.store(true, Ordering::Relaxed);
    let mut statuses = std::collections::BTreeMap::new();
    for sender in flood {
        for status in sender.await.unwrap() {
            *statuses.entry(status.as_u16()).or_insert(0) += 1;
        }
    }
    println!("ordinary logins {ordinary:?}; flood answers {statuses:?}");
    let good = ordinary
        .iter()
        .filter(|(status, took)| *status == StatusCode::CREATED && *took < Duration::from_secs(2))
        .count();
    assert!(good >= 9, "ordinary logins during the flood: {ordinary:?}");
    assert!(
        statuses.get(&503).is_some_and(|n| *n > 0),
        "the flood filled the costly lane: {statuses:?}"
    );
    assert!(
        statuses.get(&401).is_some_and(|n| *n > 0),
        "and some of it was checked: {statuses:?}"
    );
}

#[tokio::test]
async fn a_second_login_for_a_user_whose_costly_check_is_under_way_is_refused_at_once() {
    let app = spawn_with(|s| s.users.costly_hash_concurrency = 2).await;
    app.seed().await;
    import_costly(&app, "slow", "the slow one's password").await;

    let (first, second) =
        tokio::join!(gettoken_from(&app.http, &app, "slow", "wrong one"), async {
            // The first is admitted by then: its check takes hundreds of milliseconds.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let r = app.gettoken("slow", "wrong two").await;
            (r.status(), r.headers().get("retry-after").cloned())
        });
    assert_eq!(first.0, StatusCode::UNAUTHORIZED, "the first is checked");
    assert_eq!(second.0, StatusCode::TOO_MANY_REQUESTS, "the second is not");
    assert!(second.1.is_some(), "with Retry-After");

    // Once the check is over, the user logs in, and the hash is argon2id from then on.
    let r = app.gettoken("slow", "the slow one's password").await;
    assert_eq!(r.status(), 201);
    let user: serde_json::Value = app
        .admin(Method::GET, "/admin/users/slow", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["password_scheme"], "argon2id");
}

#[tokio::test]
async fn refusals_for_a_full_costly_lane_count_against_the_senders_address() {
    // One costly thread and four waiting: of twelve logins at once, five are admitted.
    let app = spawn_with(|s| {
        s.users.costly_hash_concurrency = 1;
        s.users.max_failures_per_address = 8;
    })
    .await;
    app.seed().await;
    for i in 0..12 {
        import_costly(&app, &format!("costly{i}"), "their real password").await;
    }
    let logins = (0..12).map(|i| {
        let app = &app;
        async move { app.gettoken(&format!("costly{i}"), "wrong").await.status() }
    });
    let statuses = futures_util::future::join_all(logins).await;
    let count = |code: u16| statuses.iter().filter(|s| s.as_u16() == code).count();
    assert_eq!(count(503), 7, "{statuses:?}");
    // The five admitted are checked (401) until the address is locked out, then refused (429)
    // when their turn comes: the refusals counted too.
    assert_eq!(count(401) + count(429), 5, "{statuses:?}");
    assert!(count(429) > 0, "{statuses:?}");

    // 127.0.0.1 is locked out...
    let r = app.gettoken("alice", PASSWORD).await;
    assert_eq!(r.status(), 429);
    // ...and alice, from elsewhere, is not.
    let (status, _) = gettoken_from(&client_from(2), &app, "alice", PASSWORD).await;
    assert_eq!(status, 201);
}
