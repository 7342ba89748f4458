//! The key schedule: new keys are published before they sign, old ones stay while their tokens
//! live; the schedule survives restarts; asked-for rotations follow it unless `--now`.

mod stores;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{Value, json};
use tokendealer::Settings;

use crate::cli::{cli, json_out};
use crate::helpers::{Registered, TestApp, header_of, spawn_with};

const PREPUBLISH: u64 = 4;
const POLL: Duration = Duration::from_millis(250);

/// A schedule of seconds: a new key every `period` s, published 4 s ahead, tokens of 6 s.
fn seconds_schedule(s: &mut Settings, period: u64) {
    s.keys.rotation_period_secs = period;
    s.keys.prepublish_secs = Some(PREPUBLISH);
    s.jwks_max_age = 2;
    s.max_token_ttl = 6;
    s.default_token_ttl = 6;
    s.users.tokenleader_token_ttl = 6;
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn kid_of(token: &str) -> String {
    header_of(token)["kid"].as_str().unwrap().to_owned()
}

fn exp_of(token: &str) -> u64 {
    crate::helpers::claims_of(token)["exp"].as_u64().unwrap()
}

async fn published(app: &TestApp) -> BTreeSet<String> {
    app.jwks()
        .await
        .keys
        .into_iter()
        .filter_map(|k| k.common.key_id)
        .collect()
}

/// The RS512 key in `state` as `GET /admin/keys` lists it.
async fn rs512_in(app: &TestApp, state: &str) -> Option<Value> {
    let keys: Value = app
        .admin(Method::GET, "/admin/keys", None)
        .await
        .json()
        .await
        .unwrap();
    keys.as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RS512" && k["state"] == state)
        .cloned()
}

async fn client(app: &TestApp) -> Registered {
    app.register("svc", &["https://api"], &[]).await
}

#[tokio::test]
async fn over_several_rotations_every_key_is_published_before_it_signs_and_stays_while_its_tokens_live()
 {
    let app = spawn_with(|s| seconds_schedule(s, 8)).await;
    let c = client(&app).await;
    let started = Instant::now();
    let initial = published(&app).await;
    // Per kid: first and last instant seen in the JWKS, and first instant it signed a token.
    let mut first_seen: BTreeMap<String, Instant> = BTreeMap::new();
    let mut first_token: BTreeMap<String, Instant> = BTreeMap::new();
    // Every JWKS seen, at its (wall-clock) time; every token with its kid and exp.
    let mut polls: Vec<(f64, BTreeSet<String>)> = Vec::new();
    let mut tokens: Vec<(String, f64, u64)> = Vec::new();
    while started.elapsed() < Duration::from_secs(48) {
        let at = unix_now();
        let kids = published(&app).await;
        let seen = Instant::now();
        for kid in &kids {
            first_seen.entry(kid.clone()).or_insert(seen);
        }
        polls.push((at, kids));
        let issued = unix_now();
        let token = app.access_token(&c, &[]).await;
        first_token
            .entry(kid_of(&token))
            .or_insert_with(Instant::now);
        tokens.push((kid_of(&token), issued, exp_of(&token)));
        tokio::time::sleep(POLL).await;
    }

    let new_signers: Vec<&String> = first_token
        .keys()
        .filter(|kid| !initial.contains(*kid))
        .collect();
    assert!(
        new_signers.len() >= 2,
        "at least two rotations in 48 s: {first_token:?}"
    );
    for kid in new_signers {
        let ahead = first_token[kid].duration_since(first_seen[kid]);
        assert!(
            ahead >= Duration::from_secs(PREPUBLISH),
            "{kid} signed {ahead:?} after it was first seen in the JWKS"
        );
    }
    for (kid, issued, exp) in &tokens {
        for (at, kids) in polls.iter().filter(|(at, _)| at > issued) {
            assert!(
                *at >= *exp as f64 || kids.contains(kid),
                "{kid} left the JWKS at {at} while a token it signed lived until {exp}"
            );
        }
    }
    let (_, last) = polls.last().unwrap();
    assert!(
        initial.iter().any(|kid| !last.contains(kid)),
        "the first RS512 key was retired (its window is 6 s of tokens plus 30 s of leeway)"
    );
    let retired = rs512_in(&app, "retired")
        .await
        .expect("listed once retired");
    let (since, at) = (retired["activated_at"].as_u64(), retired["at"].as_u64());
    assert!(since.is_some() && at > since, "{retired}");
    let retiring = rs512_in(&app, "retiring")
        .await
        .expect("a replaced key verifies");
    let (since, until) = (retiring["since"].as_u64(), retiring["until"].as_u64());
    assert_eq!(
        until.zip(since).map(|(u, s)| u - s),
        Some(6 + 30),
        "{retiring}"
    );
}

#[tokio::test]
async fn a_restart_during_a_pre_publication_keeps_the_next_key_and_its_due_time() {
    let app = spawn_with(|s| seconds_schedule(s, 10)).await;
    let c = client(&app).await;
    let old = kid_of(&app.access_token(&c, &[]).await);
    let next = loop {
        if let Some(next) = rs512_in(&app, "next").await {
            break next;
        }
        tokio::time::sleep(POLL).await;
    };
    let (kid, due) = (
        next["kid"].as_str().unwrap().to_owned(),
        next["due"].as_u64().unwrap(),
    );
    assert!(
        unix_now() < due as f64 - 1.0,
        "restarting well before {due}"
    );

    let app = app.restart().await;
    assert!(published(&app).await.contains(&kid), "still published");
    let mut signed_by_old = 0;
    loop {
        let token = app.access_token(&c, &[]).await;
        let iat = crate::helpers::claims_of(&token)["iat"].as_u64().unwrap();
        let expected = if iat < due { &old } else { &kid };
        assert_eq!(
            &kid_of(&token),
            expected,
            "signed at {iat}, {kid} due at {due}"
        );
        if iat >= due {
            break;
        }
        signed_by_old += 1;
        tokio::time::sleep(POLL).await;
    }
    assert!(
        signed_by_old > 0,
        "the restart was over before the due time"
    );
    // The record follows within a tick.
    let mut active = rs512_in(&app, "active").await.unwrap();
    for _ in 0..12 {
        if active["kid"] == kid.as_str() {
            break;
        }
        tokio::time::sleep(POLL).await;
        active = rs512_in(&app, "active").await.unwrap();
    }
    assert_eq!(active["kid"], kid.as_str());
    assert_eq!(active["activated_at"], due);
    let retiring = rs512_in(&app, "retiring").await.unwrap();
    assert_eq!(
        (&retiring["kid"], &retiring["since"]),
        (&json!(old), &json!(due))
    );
}

#[tokio::test]
async fn keys_rotate_publishes_first_and_signs_when_due_and_with_now_signs_at_once() {
    let app = spawn_with(|s| {
        seconds_schedule(s, 0);
        s.keys.prepublish_secs = Some(3);
    })
    .await;
    let c = client(&app).await;
    let old = kid_of(&app.access_token(&c, &[]).await);

    let next = json_out(&cli(&app, &["keys", "rotate", "--alg", "RS512"]).await);
    let asked = Instant::now();
    let (kid, due) = (next["kid"].as_str().unwrap(), next["due"].as_u64().unwrap());
    assert_eq!(next["state"], "next");
    assert!(published(&app).await.contains(kid), "in the JWKS at once");
    let listed = json_out(&cli(&app, &["keys", "list"]).await);
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["active", "active", "active", "next"]);
    assert!(listed[0]["created_at"].is_u64() && listed[0]["activated_at"].is_u64());
    let again = json_out(&cli(&app, &["keys", "rotate", "--alg", "RS512"]).await);
    assert_eq!(
        again["kid"], kid,
        "one next key at a time: the published one stays"
    );

    let first = loop {
        let token = app.access_token(&c, &[]).await;
        if kid_of(&token) != old {
            break token;
        }
        tokio::time::sleep(POLL).await;
    };
    assert_eq!(kid_of(&first), kid);
    assert!(
        asked.elapsed() >= Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    assert!(crate::helpers::claims_of(&first)["iat"].as_u64().unwrap() >= due);

    let now = json_out(&cli(&app, &["keys", "rotate", "--alg", "RS512", "--now"]).await);
    assert_eq!(now["state"], "active");
    let token = app.access_token(&c, &[]).await;
    assert_eq!(
        kid_of(&token),
        now["kid"].as_str().unwrap(),
        "signs at once"
    );
    app.verify_with_jwks(&first, "https://api")
        .await
        .expect("the replaced key still verifies");
}

#[tokio::test]
async fn by_default_a_new_key_is_published_half_an_hour_before_it_signs() {
    let app = crate::helpers::spawn_app().await;
    let asked = unix_now();
    let r = app
        .admin(
            Method::POST,
            "/admin/keys/rotate",
            Some(json!({"alg": "RS512"})),
        )
        .await;
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["state"], "next", "{next}");
    // Istio refreshes a remote JWKS every 20 minutes and not on an unknown kid.
    let ahead = next["due"].as_u64().unwrap() as f64 - asked;
    assert!(
        (1800.0..1805.0).contains(&ahead),
        "due {ahead} s after it was asked for"
    );
}
