//! TokenSource with a DPoP key (RFC 9449): proofs on token requests, the dealer's nonce
//! answered once, and DPoP-bound tokens sent with a proof per request carrying `ath`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use http::StatusCode;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

use super::support::{DealerState, MockDealer, json_response, serve};
use crate::{SigningKey, TokenSource};

/// A DPoP proof's claims after its signature verified with its own `jwk` header.
pub fn proof_claims(proof: &str) -> Value {
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    let key = jsonwebtoken::DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .unwrap()
        .claims
}

impl DealerState {
    /// The mock dealer's nonce rule: a proof without the wanted nonce gets `400
    /// use_dpop_nonce` and the nonce in `DPoP-Nonce`.
    pub fn nonce_refusal(&self, proof: Option<&str>) -> Option<Response<Full<Bytes>>> {
        let wanted = self.dpop_nonce.lock().unwrap().clone()?;
        if proof_claims(proof?)["nonce"] == wanted.as_str() {
            return None;
        }
        let mut refusal =
            json_response(StatusCode::BAD_REQUEST, json!({"error": "use_dpop_nonce"}));
        refusal
            .headers_mut()
            .insert("dpop-nonce", wanted.parse().unwrap());
        Some(refusal)
    }
}

fn source(dealer: &MockDealer) -> TokenSource {
    TokenSource::builder(dealer.token_endpoint(), "strava", "secret")
        .dpop()
        .build()
        .unwrap()
}

fn sha256_b64(token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

#[tokio::test]
async fn a_token_request_carries_a_proof_for_post_to_the_token_endpoint() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let token = source.token().await.unwrap();
    assert_eq!(token.token_type(), "DPoP");
    let (headers, _) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    let proof = headers["dpop"].to_str().unwrap();
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.alg, Algorithm::ES256, "ES256 by default");
    let claims = proof_claims(proof);
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], dealer.token_endpoint().as_str());
    assert!(
        claims["iat"]
            .as_u64()
            .unwrap()
            .abs_diff(jsonwebtoken::get_current_timestamp())
            < 5
    );
    assert!(claims["jti"].as_str().unwrap().len() >= 22);
    assert!(
        claims.get("ath").is_none(),
        "no token goes with a token request"
    );
    let jwk = header.jwk.unwrap();
    assert_eq!(
        jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap(),
        source.dpop_key().unwrap().thumbprint()
    );
    let json = serde_json::to_value(&jwk).unwrap();
    assert!(
        json.get("d").is_none(),
        "the proof carries only the public key"
    );
}

#[tokio::test]
async fn an_eddsa_key_makes_eddsa_proofs() {
    let dealer = MockDealer::start(&[]).await;
    let source = TokenSource::builder(dealer.token_endpoint(), "strava", "secret")
        .dpop_key(SigningKey::generate(Algorithm::EdDSA).unwrap())
        .build()
        .unwrap();
    source.token().await.unwrap();
    let (headers, _) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    let proof = headers["dpop"].to_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(proof).unwrap().alg,
        Algorithm::EdDSA
    );
    assert_eq!(proof_claims(proof)["htm"], "POST");
}

#[tokio::test]
async fn the_dealers_use_dpop_nonce_is_answered_once_and_remembered() {
    let dealer = MockDealer::start(&[]).await;
    dealer.state.expires_in.store(1, Ordering::SeqCst);
    *dealer.state.dpop_nonce.lock().unwrap() = Some("n-1".into());
    let source = source(&dealer);
    assert_eq!(source.token().await.unwrap().token_type(), "DPoP");
    assert_eq!(
        dealer.token_hits(),
        2,
        "one refusal, one retry with the nonce"
    );
    // The next fetch sends the remembered nonce at once.
    source.token().await.unwrap();
    assert_eq!(dealer.token_hits(), 3);
    let (headers, _) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    assert_eq!(
        proof_claims(headers["dpop"].to_str().unwrap())["nonce"],
        "n-1"
    );
}

#[tokio::test]
async fn a_nonce_refused_twice_is_reported_without_a_third_request() {
    let dealer = MockDealer::start(&[]).await;
    *dealer.state.token_error.lock().unwrap() =
        Some((StatusCode::BAD_REQUEST, json!({"error": "use_dpop_nonce"})));
    let err = source(&dealer).token().await.unwrap_err();
    assert!(err.to_string().contains("use_dpop_nonce"));
    assert_eq!(
        dealer.token_hits(),
        1,
        "without a DPoP-Nonce there is nothing to retry with"
    );
}

#[tokio::test]
async fn a_source_without_a_dpop_key_sends_no_proof_and_gets_a_bearer_token() {
    let dealer = MockDealer::start(&[]).await;
    let source = TokenSource::builder(dealer.token_endpoint(), "strava", "secret")
        .build()
        .unwrap();
    assert_eq!(source.token().await.unwrap().token_type(), "Bearer");
    let (headers, _) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    assert!(headers.get("dpop").is_none());
}

/// What a resource server saw: the Authorization header and the proof's claims.
type SeenCalls = Arc<Mutex<Vec<(String, Value)>>>;

/// A resource server that asks for nonce `rs-1` once, then answers 200, recording each call.
async fn resource_server(seen: SeenCalls, hits: Arc<AtomicUsize>) -> String {
    serve(move |request| {
        let n = hits.fetch_add(1, Ordering::SeqCst);
        let authorization = request.headers["authorization"].to_str().unwrap().to_owned();
        let claims = proof_claims(request.headers["dpop"].to_str().unwrap());
        seen.lock().unwrap().push((authorization, claims));
        async move {
            if n == 0 {
                let mut response = json_response(StatusCode::UNAUTHORIZED, json!({}));
                let headers = response.headers_mut();
                headers.insert(
                    "www-authenticate",
                    r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
                        .parse()
                        .unwrap(),
                );
                headers.insert("dpop-nonce", "rs-1".parse().unwrap());
                return response;
            }
            json_response(StatusCode::OK, json!({}))
        }
    })
    .await
}

#[tokio::test]
async fn a_bound_token_is_sent_as_dpop_with_a_proof_of_this_request_and_its_ath() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let seen = SeenCalls::default();
    let hits = Arc::new(AtomicUsize::new(0));
    let api = resource_server(Arc::clone(&seen), Arc::clone(&hits)).await;
    let response = source
        .send_authorized(|http| http.delete(format!("{api}/runs/7?force=1#frag")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(dealer.token_hits(), 1, "a nonce round keeps the token");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let (first, second) = (&seen[0], &seen[1]);
    assert_eq!(first.0, "DPoP tok-1");
    assert_eq!(first.1["htm"], "DELETE");
    assert_eq!(
        first.1["htu"],
        format!("{api}/runs/7").as_str(),
        "no query or fragment"
    );
    assert_eq!(first.1["ath"], sha256_b64("tok-1").as_str());
    assert!(first.1.get("nonce").is_none());
    assert_eq!(second.1["nonce"], "rs-1");
    assert_ne!(first.1["jti"], second.1["jti"], "a fresh proof per request");
}
