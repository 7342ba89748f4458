//! TokenSource: caching, single flight, client authentication, errors, refresh on 401.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use serde_json::json;

use super::support::{MockDealer, base64_encode, json_response, serve};
use crate::{AuthMethod, ClientError, TokenSource};

fn source(dealer: &MockDealer) -> TokenSource {
    TokenSource::builder(dealer.token_endpoint(), "strava", "secret")
        .audience("runs")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_hundred_concurrent_callers_share_one_token_request() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let calls = (0..100)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await.unwrap() })
        })
        .collect::<Vec<_>>();
    for call in calls {
        assert_eq!(call.await.unwrap().secret(), "tok-1");
    }
    assert_eq!(dealer.token_hits(), 1);
}

#[tokio::test]
async fn a_cached_token_is_reused_while_it_has_more_than_the_margin_left() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let first = source.token().await.unwrap();
    let second = source.token().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(dealer.token_hits(), 1);
    assert_eq!(first.scope(), Some("runs:read"));
}

#[tokio::test]
async fn a_token_expiring_within_the_margin_is_replaced() {
    let dealer = MockDealer::start(&[]).await;
    dealer.state.expires_in.store(10, Ordering::SeqCst);
    let source = TokenSource::builder(dealer.token_endpoint(), "strava", "secret")
        .refresh_margin(Duration::from_secs(30))
        .build()
        .unwrap();
    assert_eq!(source.token().await.unwrap().secret(), "tok-1");
    assert_eq!(source.token().await.unwrap().secret(), "tok-2");
}

#[tokio::test]
async fn basic_auth_form_encodes_id_and_secret_before_base64() {
    let dealer = MockDealer::start(&[]).await;
    let source = TokenSource::builder(dealer.token_endpoint(), "my client", "s:e/cret")
        .audience("runs")
        .resource("https://runs.internal")
        .scope(&["runs:read", "runs:write"])
        .build()
        .unwrap();
    source.token().await.unwrap();
    let (headers, body) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    let expected = format!("Basic {}", base64_encode("my+client:s%3Ae%2Fcret"));
    assert_eq!(headers["authorization"], expected.as_str());
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("audience"), Some("runs"));
    assert_eq!(field("resource"), Some("https://runs.internal"));
    assert_eq!(field("scope"), Some("runs:read runs:write"));
    assert_eq!(field("client_secret"), None);
}

#[tokio::test]
async fn client_secret_post_sends_the_credentials_in_the_form() {
    let dealer = MockDealer::start(&[]).await;
    let source = TokenSource::builder(dealer.token_endpoint(), "strava", "secret")
        .auth_method(AuthMethod::ClientSecretPost)
        .build()
        .unwrap();
    source.token().await.unwrap();
    let (headers, body) = dealer
        .state
        .last_token_request
        .lock()
        .unwrap()
        .take()
        .unwrap();
    assert!(headers.get("authorization").is_none());
    assert!(body.contains("client_id=strava") && body.contains("client_secret=secret"));
}

#[tokio::test]
async fn an_oauth_error_answer_surfaces_its_code_and_description() {
    let dealer = MockDealer::start(&[]).await;
    *dealer.state.token_error.lock().unwrap() = Some((
        StatusCode::UNAUTHORIZED,
        json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}),
    ));
    let err = source(&dealer).token().await.unwrap_err();
    match &err {
        ClientError::OAuth {
            status,
            error,
            description,
        } => {
            assert_eq!(*status, StatusCode::UNAUTHORIZED);
            assert_eq!(error, "invalid_client");
            assert_eq!(
                description.as_deref(),
                Some("unknown client or wrong secret")
            );
        }
        other => panic!("expected an OAuth error, got {other:?}"),
    }
    assert!(err.to_string().contains("wrong secret"));
}

#[tokio::test]
async fn a_non_oauth_error_answer_is_reported_with_its_status() {
    let dealer = MockDealer::start(&[]).await;
    *dealer.state.token_error.lock().unwrap() =
        Some((StatusCode::BAD_GATEWAY, json!("upstream down")));
    let err = source(&dealer).token().await.unwrap_err();
    assert!(
        matches!(err, ClientError::UnexpectedResponse { status, .. } if status == StatusCode::BAD_GATEWAY)
    );
}

/// An API that refuses `tok-1` and accepts any other token, counting its requests.
async fn api_refusing_the_first_token(hits: Arc<AtomicUsize>, refuse_all: bool) -> String {
    serve(move |seen| {
        hits.fetch_add(1, Ordering::SeqCst);
        let refused = refuse_all
            || seen
                .headers
                .get("authorization")
                .is_some_and(|v| v == "Bearer tok-1");
        async move {
            let status = if refused {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            };
            json_response(status, json!({}))
        }
    })
    .await
}

#[tokio::test]
async fn a_hundred_requests_refused_with_401_cause_exactly_one_extra_token_request() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let api = api_refusing_the_first_token(Arc::default(), false).await;
    source.token().await.unwrap();
    let calls = (0..100)
        .map(|_| {
            let (source, url) = (source.clone(), format!("{api}/runs"));
            tokio::spawn(
                async move { source.send_authorized(|http| http.get(&url)).await.unwrap() },
            )
        })
        .collect::<Vec<_>>();
    for call in calls {
        assert_eq!(call.await.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(dealer.token_hits(), 2);
}

#[tokio::test]
async fn a_second_401_is_returned_to_the_caller_without_a_third_try() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let hits = Arc::new(AtomicUsize::new(0));
    let api = api_refusing_the_first_token(Arc::clone(&hits), true).await;
    let response = source
        .send_authorized(|http| http.get(format!("{api}/runs")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!((hits.load(Ordering::SeqCst), dealer.token_hits()), (2, 2));
}

#[tokio::test]
async fn invalidating_a_token_already_replaced_keeps_the_replacement() {
    let dealer = MockDealer::start(&[]).await;
    let source = source(&dealer);
    let old = source.token().await.unwrap();
    source.invalidate();
    let new = source.token().await.unwrap();
    source.invalidate_if(&old);
    assert_eq!(source.token().await.unwrap(), new);
    assert_eq!(dealer.token_hits(), 2);
}

#[tokio::test]
async fn an_access_token_does_not_show_its_secret_in_debug_output() {
    let dealer = MockDealer::start(&[]).await;
    let token = source(&dealer).token().await.unwrap();
    assert!(!format!("{token:?}").contains("tok-1"));
}

#[test]
fn a_malformed_endpoint_url_fails_at_build() {
    assert!(TokenSource::builder("not a url", "a", "b").build().is_err());
}

#[tokio::test]
async fn callers_waiting_on_a_failed_request_share_its_error() {
    let dealer = MockDealer::start(&[]).await;
    *dealer.state.token_error.lock().unwrap() =
        Some((StatusCode::BAD_REQUEST, json!({"error": "invalid_scope"})));
    let source = source(&dealer);
    let calls = (0..50)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await })
        })
        .collect::<Vec<_>>();
    for call in calls {
        assert!(matches!(
            call.await.unwrap(),
            Err(ClientError::OAuth { .. })
        ));
    }
    assert_eq!(dealer.token_hits(), 1);
    // A later call, not one that was waiting, asks again.
    *dealer.state.token_error.lock().unwrap() = None;
    assert_eq!(source.token().await.unwrap().secret(), "tok-2");
}
