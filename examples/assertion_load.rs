//! Tokens per second of a `private_key_jwt` client against a secret client's, in one run on
//! one server: `cargo run --release --example assertion_load -- URL DATA_DIR [SECS] [TASKS]`
//! (benches/assertions.sh starts the server and runs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokendealer::domain::keys::{SigningAlg, SigningKey};

const API: &str = "https://api.example";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (base, data) = (args[1].clone(), args[2].clone());
    let secs: u64 = args.get(3).map_or(Ok(10), |s| s.parse())?;
    let tasks: usize = args.get(4).map_or(Ok(16), |s| s.parse())?;
    let creds: Value = serde_json::from_str(&std::fs::read_to_string(format!(
        "{data}/admin-credentials.json"
    ))?)?;
    let http = reqwest::Client::new();
    let admin: Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("audience", "urn:tokendealer:admin"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let admin = admin["access_token"].as_str().unwrap().to_owned();
    let (made, pkcs8) = SigningKey::generate_for(SigningAlg::EdDsa)?;
    let mut jwk = made.jwk().clone();
    jwk.common.key_id = Some("bench".into());
    let add = |body: Value| {
        http.post(format!("{base}/admin/clients"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let secret: Value = add(json!({"client_id": "bench-secret", "audiences": [API]}))
        .await?
        .json()
        .await?;
    let secret = secret["client_secret"].as_str().unwrap().to_owned();
    add(json!({"client_id": "bench-jwt", "audiences": [API], "jwks": {"keys": [jwk]}})).await?;
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8));
    let key = Arc::new(EncodingKey::from_ed_pem(pem.as_bytes())?);
    let issuer: Value = http
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await?
        .json()
        .await?;
    let issuer = issuer["issuer"].as_str().unwrap().to_owned();
    let run = |with_key: bool| {
        let (http, base, secret, key, issuer) = (
            http.clone(),
            base.clone(),
            secret.clone(),
            key.clone(),
            issuer.clone(),
        );
        async move {
            let done = Arc::new(AtomicU64::new(0));
            let until = Instant::now() + Duration::from_secs(secs);
            let workers: Vec<_> = (0..tasks).map(|_| {
                let (http, base, secret, key, issuer, done) = (http.clone(), base.clone(), secret.clone(), key.clone(), issuer.clone(), done.clone());
                tokio::spawn(async move {
                    while Instant::now() < until {
                        let req = http.post(format!("{base}/oauth/token"));
                        let req = if with_key {
                            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
                            let claims = json!({"iss": "bench-jwt", "sub": "bench-jwt", "aud": issuer, "iat": now, "exp": now + 60, "jti": hex::encode(rand::random::<[u8; 16]>())});
                            let mut header = Header::new(Algorithm::EdDSA);
                            header.kid = Some("bench".into());
                            let assertion = jsonwebtoken::encode(&header, &claims, &key).unwrap();
                            req.form(&[("grant_type", "client_credentials"), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", assertion.as_str())])
                        } else {
                            req.form(&[("grant_type", "client_credentials"), ("client_id", "bench-secret"), ("client_secret", secret.as_str())])
                        };
                        if req.send().await.is_ok_and(|r| r.status() == 200) {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            }).collect();
            for w in workers {
                w.await.unwrap();
            }
            done.load(Ordering::Relaxed) as f64 / secs as f64
        }
    };
    let secret_rate = run(false).await;
    let jwt_rate = run(true).await;
    println!("secret client: {secret_rate:.0} tokens/s");
    println!("private_key_jwt client: {jwt_rate:.0} tokens/s");
    println!("ratio: {:.3}", jwt_rate / secret_rate);
    Ok(())
}
