//! An in-process mock dealer on 127.0.0.1 with request counters, and test signing keys.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// What the mock saw of one request.
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// Serves `handler` on a fresh port and returns the base URL.
pub async fn serve<F, Fut>(handler: F) -> String
where
    F: Fn(Seen) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let handler = Arc::clone(&handler);
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await?.to_bytes();
                        let seen = Seen {
                            method: parts.method,
                            path: parts.uri.path().to_owned(),
                            headers: parts.headers,
                            body: String::from_utf8_lossy(&body).into_owned(),
                        };
                        Ok::<_, hyper::Error>(handler(seen).await)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

pub fn json_response(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::from(body.to_string()))
        .unwrap()
}

/// A signing key and its public JWK.
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// Bytes an attacker can find: the public key, for HS256-confusion tokens.
    pub public_der: Vec<u8>,
}

impl TestKey {
    pub fn rsa(kid: &str) -> Self {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec()));
        Self {
            kid: kid.into(),
            alg: Algorithm::RS512,
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
            public_der: pair.public_key().as_ref().to_vec(),
        }
    }

    pub fn es256(kid: &str) -> Self {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        Self {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref()),
            public_der: pair.public_key().as_ref().to_vec(),
        }
    }

    pub fn ed25519(kid: &str) -> Self {
        let pair = Ed25519KeyPair::generate().unwrap();
        Self {
            kid: kid.into(),
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref()),
            public_der: pair.public_key().as_ref().to_vec(),
        }
    }

    /// The public JWK, published under this key's `kid` and `alg`.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).unwrap();
        jwk.common.key_id = Some(self.kid.clone());
        serde_json::to_value(jwk).unwrap()
    }

    /// An `at+jwt` token with this key's `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with(self.header(), claims)
    }

    pub fn header(&self) -> Header {
        let mut header = Header::new(self.alg);
        header.typ = Some("at+jwt".into());
        header.kid = Some(self.kid.clone());
        header
    }

    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// Generated once: RSA generation takes ~80 ms.
pub static DEALER_KEY: LazyLock<TestKey> = LazyLock::new(|| TestKey::rsa("dealer-1"));
/// Another party's key, used under the dealer's `kid`.
pub static FOREIGN_KEY: LazyLock<TestKey> = LazyLock::new(|| TestKey::rsa("dealer-1"));

pub const AUDIENCE: &str = "runs";
pub const NOW: u64 = 1_800_000_000;

/// A mock dealer: discovery, JWKS, token and introspection endpoints, each counted.
pub struct MockDealer {
    pub base: String,
    pub state: Arc<DealerState>,
}

#[derive(Default)]
pub struct DealerState {
    pub base: Mutex<String>,
    pub jwks: Mutex<Vec<Value>>,
    pub cache_control: Mutex<Option<String>>,
    pub jwks_hits: AtomicUsize,
    pub token_hits: AtomicUsize,
    /// Headers and body of the last token request.
    pub last_token_request: Mutex<Option<(HeaderMap, String)>>,
    /// When set, the token endpoint answers this error instead of a token.
    pub token_error: Mutex<Option<(StatusCode, Value)>>,
    pub expires_in: AtomicUsize,
    /// When set, a token request with a `DPoP` proof lacking this nonce gets
    /// `400 use_dpop_nonce` and the nonce in `DPoP-Nonce`.
    pub dpop_nonce: Mutex<Option<String>>,
}

impl MockDealer {
    pub async fn start(keys: &[&TestKey]) -> Self {
        let state = Arc::new(DealerState {
            jwks: Mutex::new(keys.iter().map(|k| k.jwk()).collect()),
            expires_in: AtomicUsize::new(3600),
            ..DealerState::default()
        });
        let shared = Arc::clone(&state);
        let base = serve(move |seen| {
            let state = Arc::clone(&shared);
            async move { state.answer(seen).await }
        })
        .await;
        *state.base.lock().unwrap() = base.clone();
        Self { base, state }
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.base)
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.base)
    }

    pub fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn token_hits(&self) -> usize {
        self.state.token_hits.load(Ordering::SeqCst)
    }

    /// Claims of a valid token issued by this dealer at [`NOW`].
    pub fn claims(&self) -> Value {
        json!({
            "iss": self.base, "sub": "strava", "aud": AUDIENCE, "client_id": "strava",
            "exp": NOW + 600, "iat": NOW, "nbf": NOW, "jti": "j-1", "scope": "runs:read",
        })
    }
}

impl DealerState {
    async fn answer(&self, seen: Seen) -> Response<Full<Bytes>> {
        match (seen.method.as_str(), seen.path.as_str()) {
            ("GET", "/jwks") => {
                self.jwks_hits.fetch_add(1, Ordering::SeqCst);
                let keys = self.jwks.lock().unwrap().clone();
                let mut response = json_response(StatusCode::OK, json!({ "keys": keys }));
                if let Some(cc) = self.cache_control.lock().unwrap().clone() {
                    response
                        .headers_mut()
                        .insert("cache-control", cc.parse().unwrap());
                }
                response
            }
            ("POST", "/token") => {
                let n = self.token_hits.fetch_add(1, Ordering::SeqCst) + 1;
                let proof = seen
                    .headers
                    .get("dpop")
                    .map(|v| v.to_str().unwrap().to_owned());
                *self.last_token_request.lock().unwrap() = Some((seen.headers, seen.body));
                // Slow enough that concurrent callers overlap with the request in flight.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                if let Some((status, body)) = self.token_error.lock().unwrap().clone() {
                    return json_response(status, body);
                }
                if let Some(refusal) = self.nonce_refusal(proof.as_deref()) {
                    return refusal;
                }
                let token_type = if proof.is_some() { "DPoP" } else { "Bearer" };
                json_response(
                    StatusCode::OK,
                    json!({
                        "access_token": format!("tok-{n}"), "token_type": token_type,
                        "expires_in": self.expires_in.load(Ordering::SeqCst), "scope": "runs:read",
                    }),
                )
            }
            ("GET", "/.well-known/oauth-authorization-server") => {
                let base = self.base.lock().unwrap().clone();
                json_response(
                    StatusCode::OK,
                    json!({
                        "issuer": base, "jwks_uri": format!("{base}/jwks"),
                        "token_endpoint": format!("{base}/token"),
                        "introspection_endpoint": format!("{base}/introspect"),
                    }),
                )
            }
            ("POST", "/introspect") => {
                // Basic base64("rs:rs secret"), the space form-encoded as '+'.
                let expected = format!("Basic {}", base64_encode("rs:rs+secret"));
                if seen
                    .headers
                    .get("authorization")
                    .is_none_or(|v| *v != *expected)
                {
                    return json_response(
                        StatusCode::UNAUTHORIZED,
                        json!({"error": "invalid_client"}),
                    );
                }
                if seen.body.contains("token=good") {
                    let base = self.base.lock().unwrap().clone();
                    json_response(
                        StatusCode::OK,
                        json!({"active": true, "iss": base, "sub": "alice", "aud": AUDIENCE,
                               "exp": NOW + 600, "scope": "runs:read", "roles": ["role1"]}),
                    )
                } else {
                    json_response(StatusCode::OK, json!({"active": false}))
                }
            }
            _ => json_response(StatusCode::NOT_FOUND, json!({})),
        }
    }
}

pub fn base64_encode(raw: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(raw)
}
