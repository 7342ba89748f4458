//! Local verification throughput of the client library's `Verifier` against raw RSA signature
//! verification, measured in one run on the same machine. `cargo bench --bench verify`.
//!
//! A real dealer runs in process on port 0; the verifier is built by discovery and its JWKS
//! cache warmed. Then rounds alternate, each 1 s on one thread: the raw aws-lc-rs RS512 check
//! of the token's signature (`RsaPublicKeyComponents::verify`, n and e as in the JWK), and
//! `Verifier::verify_at` (header, algorithm allow-list, key lookup by kid, signature, claims).
//! It prints both rates per round and the median ratio (goal ≥ 0.9).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // a benchmark fails by panicking

use std::time::{Duration, Instant};

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA512, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use tokendealer::client::{ServerMetadata, TokenSource, Verifier};
use tokendealer::{Application, Settings};

const ROUNDS: usize = 5;
const ROUND: Duration = Duration::from_secs(1);

/// Calls `f` for `ROUND` and returns calls per second.
fn rate(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < ROUND {
        for _ in 0..64 {
            f();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (base, token, verifier, now) = rt.block_on(async {
        let settings = Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().into(),
            keys_dir: keys.path().into(),
            ..Settings::default()
        };
        let app = Application::build(settings).await.unwrap();
        let base = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        let creds: serde_json::Value = serde_json::from_slice(
            &std::fs::read(data.path().join("admin-credentials.json")).unwrap(),
        )
        .unwrap();
        let admin = TokenSource::builder(
            format!("{base}/oauth/token"),
            creds["client_id"].as_str().unwrap(),
            creds["client_secret"].as_str().unwrap(),
        )
        .audience("urn:tokendealer:admin")
        .scope(&["tokendealer:admin"])
        .build()
        .unwrap();
        let token = admin.token().await.unwrap().secret().to_owned();
        let meta = ServerMetadata::discover(&reqwest::Client::new(), &base)
            .await
            .unwrap();
        let verifier = Verifier::from_metadata(&meta, "urn:tokendealer:admin")
            .build()
            .unwrap();
        let now = tokendealer::domain::UnixTime::now().as_secs();
        verifier
            .verify_at(&token, now)
            .await
            .expect("the token verifies");
        (base, token, verifier, now)
    });

    let (n, e) = rt.block_on(rsa_components(&base, &token));
    let (message, signature) = token.rsplit_once('.').unwrap();
    let signature = B64.decode(signature).unwrap();
    let raw_key = RsaPublicKeyComponents {
        n: n.as_slice(),
        e: e.as_slice(),
    };

    println!("round  raw RS512 verify/s  Verifier::verify_at/s  ratio");
    let mut ratios = Vec::new();
    for round in 1..=ROUNDS {
        let raw = rate(|| {
            raw_key
                .verify(&RSA_PKCS1_2048_8192_SHA512, message.as_bytes(), &signature)
                .unwrap();
        });
        let ours = rt.block_on(async {
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < ROUND {
                for _ in 0..64 {
                    verifier.verify_at(&token, now).await.unwrap();
                }
                n += 64;
            }
            n as f64 / start.elapsed().as_secs_f64()
        });
        let ratio = ours / raw;
        ratios.push(ratio);
        println!("{round:>5}  {raw:>18.0}  {ours:>21.0}  {ratio:.3}");
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "median ratio (Verifier ÷ raw RSA verify): {:.3}  (goal ≥ 0.90)",
        ratios[ROUNDS / 2]
    );
}

/// The RSA modulus and exponent of the token's key, as the JWKS publishes them.
async fn rsa_components(base: &str, token: &str) -> (Vec<u8>, Vec<u8>) {
    let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    let jwks: serde_json::Value = reqwest::get(format!("{base}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    let decode = |m: &str| B64.decode(key[m].as_str().unwrap()).unwrap();
    (decode("n"), decode("e"))
}
