//! How long a refused client assertion takes, by why it is refused: a known `private_key_jwt`
//! client with an assertion signed by the wrong key, against a client id nobody registered and
//! against an issuer nobody trusts, interleaved round by round over one connection (issue 24:
//! an unknown client must cost what a wrong key does). Prints medians and quartiles.
//! `cargo run --release --example assertion_timing -- URL DATA_DIR [ROUNDS]`
//! (benches/assertion_timing.sh starts a server and runs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokendealer::domain::keys::{SigningAlg, SigningKey};

const API: &str = "https://api.example";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A fresh RSA-4096 key, as jsonwebtoken signs with it, and its public JWK named `kid`.
fn rsa4096(kid: &str) -> (EncodingKey, Value) {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa4096).unwrap();
    let der = AsDer::<Pkcs8V1Der>::as_der(&pair).unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let enc = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    let mut jwk = serde_json::to_value(
        jsonwebtoken::jwk::Jwk::from_encoding_key(&enc, Algorithm::RS256).unwrap(),
    )
    .unwrap();
    jwk["kid"] = json!(kid);
    jwk.as_object_mut().unwrap().remove("alg");
    (enc, jwk)
}

/// A fresh key of `kind`, as jsonwebtoken signs with it, and its public JWK named `kid`.
fn key(kind: SigningAlg, kid: &str) -> (EncodingKey, Value) {
    let (made, pkcs8) = SigningKey::generate_for(kind).unwrap();
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8));
    let enc = match kind {
        SigningAlg::EdDsa => EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
        _ => EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    };
    let mut jwk = serde_json::to_value(made.jwk()).unwrap();
    jwk["kid"] = json!(kid);
    jwk.as_object_mut().unwrap().remove("alg");
    (enc, jwk)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (base, data) = (args[1].clone(), args[2].clone());
    let rounds: usize = args.get(3).map_or(Ok(1000), |s| s.parse())?;
    let creds: Value = serde_json::from_str(&std::fs::read_to_string(format!(
        "{data}/admin-credentials.json"
    ))?)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
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
    let issuer: Value = http
        .get(format!("{base}/.well-known/oauth-authorization-server"))
        .send()
        .await?
        .json()
        .await?;
    let issuer = issuer["issuer"].as_str().unwrap().to_owned();

    // One registered client per family; the attacker signs with keys of its own, same kid.
    let mut cases: Vec<(String, String, EncodingKey, Algorithm)> = Vec::new();
    for (kind, alg, name) in [
        (SigningAlg::Rs512, Algorithm::RS256, "rsa"),
        (SigningAlg::Rs512, Algorithm::RS256, "rsa4096"),
        (SigningAlg::EdDsa, Algorithm::EdDSA, "ed25519"),
    ] {
        let key = |kind, kid| {
            if name == "rsa4096" {
                rsa4096(kid)
            } else {
                key(kind, kid)
            }
        };
        let (_, jwk) = key(kind, "k1");
        let id = format!("timing-{name}");
        let r = http
            .post(format!("{base}/admin/clients"))
            .bearer_auth(&admin)
            .json(&json!({"client_id": id, "audiences": [API], "jwks": {"keys": [jwk]}}))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "registering {id}: {}", r.status());
        let (wrong, _) = key(kind, "k1");
        cases.push((
            format!("{name}: known client, wrong key"),
            id.clone(),
            wrong,
            alg,
        ));
        let (stranger, _) = key(kind, "k1");
        cases.push((
            format!("{name}: known client, unknown kid"),
            id,
            stranger,
            alg,
        ));
        let (other, _) = key(kind, "k1");
        cases.push((
            format!("{name}: unknown client"),
            format!("nobody-{name}"),
            other,
            alg,
        ));
        let (third, _) = key(kind, "k1");
        cases.push((
            format!("{name}: untrusted issuer"),
            "https://untrusted.example".into(),
            third,
            alg,
        ));
    }
    let assertion = |iss: &str, sub: &str, key: &EncodingKey, alg: Algorithm, kid_unknown: bool| {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = json!({"iss": iss, "sub": sub, "aud": issuer, "iat": now, "exp": now + 60,
                            "jti": hex::encode(rand::random::<[u8; 16]>())});
        let mut header = Header::new(alg);
        header.kid = Some(if kid_unknown { "k9" } else { "k1" }.into());
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    };
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); cases.len()];
    for round in 0..rounds + 50 {
        // A new order every round: the case after another family's pays that family's code and
        // tables out of the caches (in a fixed order the first Ed25519 case after the RSA ones
        // read ~25 µs slower than the next, known client or not).
        let mut order: Vec<usize> = (0..cases.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, usize::from(rand::random::<u16>()) % (i + 1));
        }
        for i in order {
            let (name, who, key, alg) = &cases[i];
            let (iss, sub) = if name.contains("issuer") {
                (who.as_str(), "system:serviceaccount:x:y")
            } else {
                (who.as_str(), who.as_str())
            };
            let jwt = assertion(iss, sub, key, *alg, name.contains("unknown kid"));
            let form = [
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", jwt.as_str()),
            ];
            let start = Instant::now();
            let r = http
                .post(format!("{base}/oauth/token"))
                .form(&form)
                .send()
                .await?;
            let status = r.status();
            let _ = r.bytes().await?;
            let took = start.elapsed().as_secs_f64() * 1e6;
            anyhow::ensure!(status == 401, "{name}: {status}");
            if round >= 50 {
                samples[i].push(took);
            }
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{rounds} interleaved rounds (after 50 of warm-up), µs per request; load {}",
        load.trim()
    );
    println!("{:<34} {:>9} {:>9} {:>9}", "case", "p25", "median", "p75");
    for ((name, ..), mut s) in cases.iter().zip(samples) {
        s.sort_by(f64::total_cmp);
        let q = |p: f64| s[((s.len() - 1) as f64 * p) as usize];
        println!(
            "{name:<34} {:>9.1} {:>9.1} {:>9.1}",
            q(0.25),
            q(0.5),
            q(0.75)
        );
    }
    Ok(())
}
