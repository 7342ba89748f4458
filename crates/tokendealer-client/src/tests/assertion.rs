//! TokenSource without a secret: private_key_jwt assertions (RFC 7523 §2.2) as the dealer
//! receives them, checked with the public key alone, and assertion files read for each fetch.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::support::MockDealer;
use crate::{ClientAssertionKey, ClientError, SigningKey, TokenSource};

const ISSUER: &str = "https://dealer.example";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A new private key as PKCS#8 PEM, and its public half for checking signatures, made apart
/// from the code under test.
fn key_pair(alg: Algorithm) -> (String, DecodingKey) {
    let (pkcs8, public) = match alg {
        Algorithm::RS256 | Algorithm::PS384 => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
            let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
            let public = DecodingKey::from_rsa_der(pair.public_key().as_ref());
            (der.as_ref().to_vec(), public)
        }
        Algorithm::ES256 | Algorithm::ES384 => {
            let curve = if alg == Algorithm::ES256 {
                &ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &ECDSA_P384_SHA384_FIXED_SIGNING
            };
            let pair = EcdsaKeyPair::generate(curve).unwrap();
            let public = DecodingKey::from_ec_der(pair.public_key().as_ref());
            (pair.to_pkcs8v1().unwrap().as_ref().to_vec(), public)
        }
        Algorithm::EdDSA => {
            let pair = Ed25519KeyPair::generate().unwrap();
            let public = DecodingKey::from_ed_der(pair.public_key().as_ref());
            (pair.to_pkcs8v1().unwrap().as_ref().to_vec(), public)
        }
        other => panic!("no test key for {other:?}"),
    };
    (pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8)), public)
}

fn form_of(dealer: &MockDealer) -> Vec<(String, String)> {
    let (_, body) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    serde_urlencoded::from_str(&body).unwrap()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The assertion's header and claims, after its signature verified with `public`.
fn verified(assertion: &str, public: &DecodingKey, alg: Algorithm) -> (String, Value) {
    let header = jsonwebtoken::decode_header(assertion).unwrap();
    assert_eq!(header.alg, alg);
    let mut validation = Validation::new(alg);
    validation.set_audience(&[ISSUER]);
    let claims = jsonwebtoken::decode::<Value>(assertion, public, &validation)
        .unwrap()
        .claims;
    (header.kid.unwrap(), claims)
}

#[tokio::test]
async fn each_key_type_signs_an_assertion_the_dealer_can_check_with_the_public_key() {
    for alg in [
        Algorithm::RS256,
        Algorithm::PS384,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let dealer = MockDealer::start(&[]).await;
        let (pem, public) = key_pair(alg);
        let key = ClientAssertionKey::from_pem(pem.as_bytes(), alg, "k-2026", ISSUER).unwrap();
        let source = TokenSource::private_key_jwt(dealer.token_endpoint(), "strava", key)
            .audience("runs")
            .build()
            .unwrap();
        source.token().await.unwrap();
        let form = form_of(&dealer);
        assert_eq!(field(&form, "client_assertion_type"), Some(JWT_BEARER));
        assert_eq!(field(&form, "client_id"), Some("strava"));
        assert_eq!(field(&form, "client_secret"), None);
        let (kid, claims) = verified(field(&form, "client_assertion").unwrap(), &public, alg);
        assert_eq!(kid, "k-2026", "{alg:?}");
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("strava"), Some("strava"))
        );
        let (iat, exp) = (
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert_eq!(exp - iat, 60);
        assert!(iat.abs_diff(jsonwebtoken::get_current_timestamp()) < 5);
    }
}

#[tokio::test]
async fn every_token_request_carries_a_new_assertion_with_a_new_128_bit_jti() {
    let dealer = MockDealer::start(&[]).await;
    dealer
        .state
        .expires_in
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let (pem, public) = key_pair(Algorithm::ES256);
    let key = ClientAssertionKey::from_pem(pem.as_bytes(), Algorithm::ES256, "k", ISSUER).unwrap();
    let source = TokenSource::private_key_jwt(dealer.token_endpoint(), "strava", key)
        .build()
        .unwrap();
    let mut jtis = Vec::new();
    for _ in 0..2 {
        source.token().await.unwrap();
        let form = form_of(&dealer);
        let (_, claims) = verified(
            field(&form, "client_assertion").unwrap(),
            &public,
            Algorithm::ES256,
        );
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1]);
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&jtis[0])
        .unwrap();
    assert_eq!(raw.len(), 16);
}

#[tokio::test]
async fn the_assertion_can_be_addressed_to_the_token_endpoint_instead_of_the_issuer() {
    let dealer = MockDealer::start(&[]).await;
    let (pem, _) = key_pair(Algorithm::EdDSA);
    let key = ClientAssertionKey::from_pem(pem.as_bytes(), Algorithm::EdDSA, "k", ISSUER)
        .unwrap()
        .audience_token_endpoint();
    TokenSource::private_key_jwt(dealer.token_endpoint(), "strava", key)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    let form = form_of(&dealer);
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(
        field(&form, "client_assertion").unwrap(),
    )
    .unwrap()
    .claims;
    assert_eq!(claims["aud"], dealer.token_endpoint().as_str());
}

#[test]
fn a_key_of_another_kind_than_its_algorithm_fails_when_the_source_is_configured() {
    let (ec_pem, _) = key_pair(Algorithm::ES256);
    let (p384_pem, _) = key_pair(Algorithm::ES384);
    let (ed_pem, _) = key_pair(Algorithm::EdDSA);
    assert!(SigningKey::from_pem(ec_pem.as_bytes(), Algorithm::RS256).is_err());
    assert!(SigningKey::from_pem(p384_pem.as_bytes(), Algorithm::ES256).is_err());
    assert!(SigningKey::from_pem(ed_pem.as_bytes(), Algorithm::ES256).is_err());
    assert!(SigningKey::from_pem(ec_pem.as_bytes(), Algorithm::HS256).is_err());
    assert!(SigningKey::from_pem(b"not a key", Algorithm::ES256).is_err());
    let key =
        ClientAssertionKey::from_pem(ec_pem.as_bytes(), Algorithm::ES256, "k", ISSUER).unwrap();
    let unnamed =
        TokenSource::private_key_jwt("https://dealer.example/oauth/token", "", key).build();
    assert!(matches!(unnamed, Err(ClientError::Config(_))));
}

#[tokio::test]
async fn an_assertion_file_is_read_again_for_every_token_request() {
    let dealer = MockDealer::start(&[]).await;
    dealer
        .state
        .expires_in
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("td-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("token");
    std::fs::write(&path, "aaa.bbb.first\n").unwrap();
    let source = TokenSource::assertion_file(dealer.token_endpoint(), &path)
        .audience("runs")
        .build()
        .unwrap();
    source.token().await.unwrap();
    let form = form_of(&dealer);
    assert_eq!(field(&form, "client_assertion"), Some("aaa.bbb.first"));
    assert_eq!(field(&form, "client_assertion_type"), Some(JWT_BEARER));
    assert_eq!(field(&form, "client_id"), None, "no client id unless given");
    // The kubelet replaces the token in place; the next fetch sends the new one.
    std::fs::write(&path, "aaa.bbb.second").unwrap();
    source.token().await.unwrap();
    assert_eq!(
        field(&form_of(&dealer), "client_assertion"),
        Some("aaa.bbb.second")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_missing_empty_or_huge_assertion_file_fails_the_fetch_without_a_request() {
    let dealer = MockDealer::start(&[]).await;
    let dir = std::env::temp_dir().join(format!("td-client-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let huge = dir.join("huge");
    std::fs::write(&huge, format!("a.b.{}", "c".repeat(100_000))).unwrap();
    for path in [dir.join("missing"), empty, huge] {
        let source = TokenSource::assertion_file(dealer.token_endpoint(), &path)
            .client_id("strava")
            .build()
            .unwrap();
        let err = source.token().await.unwrap_err();
        assert!(matches!(err, ClientError::Credential(_)), "{err:?}");
    }
    assert_eq!(dealer.token_hits(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn an_ed25519_key_in_pkcs8_v2_as_rcgen_writes_it_signs_too() {
    let v2 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).unwrap();
    let public = Ed25519KeyPair::from_pkcs8(v2.as_ref()).unwrap();
    let public = DecodingKey::from_ed_der(public.public_key().as_ref());
    let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", v2.as_ref().to_vec()));
    let dealer = MockDealer::start(&[]).await;
    let key = ClientAssertionKey::from_pem(pem.as_bytes(), Algorithm::EdDSA, "k", ISSUER).unwrap();
    let x = serde_json::to_value(key.signing_key().public_jwk()).unwrap()["x"].clone();
    TokenSource::private_key_jwt(dealer.token_endpoint(), "strava", key)
        .build()
        .unwrap()
        .token()
        .await
        .unwrap();
    let form = form_of(&dealer);
    verified(
        field(&form, "client_assertion").unwrap(),
        &public,
        Algorithm::EdDSA,
    );
    assert_eq!(x.as_str().unwrap().len(), 43, "32 bytes, base64url");
}

#[test]
fn the_public_jwk_of_an_ec_key_is_what_jsonwebtoken_derives() {
    for alg in [Algorithm::ES256, Algorithm::ES384] {
        let (pem, _) = key_pair(alg);
        let ours = SigningKey::from_pem(pem.as_bytes(), alg).unwrap();
        let encoding = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        let mut theirs = jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, alg).unwrap();
        theirs.common = Default::default();
        assert_eq!(ours.public_jwk(), &theirs, "{alg:?}");
    }
}
