//! The error mapping's unit tests: statuses said in advance, challenges by where credentials were.

use super::*;

fn every_error() -> Vec<OAuthError> {
    vec![
        OAuthError::invalid_request("x"),
        OAuthError::InvalidClient,
        OAuthError::InvalidGrant("x"),
        OAuthError::grant_not_allowed(),
        OAuthError::UnsupportedGrantType,
        OAuthError::InvalidScope("x"),
        OAuthError::InvalidTarget("x".into()),
        OAuthError::InvalidToken("x"),
        OAuthError::InsufficientScope("x"),
        OAuthError::TooManyRequests {
            retry_after_secs: 1,
        },
        OAuthError::StoreBusy(anyhow::anyhow!("x")),
        OAuthError::Internal(anyhow::anyhow!("x")),
    ]
}

#[test]
fn every_401_carries_a_challenge_unless_the_client_authenticated_in_the_form() {
    for error in every_error() {
        let what = error.code();
        let r = CredentialsIn::Header.reject(error).into_response();
        if r.status() == StatusCode::UNAUTHORIZED {
            assert!(r.headers().contains_key(header::WWW_AUTHENTICATE), "{what}");
        }
    }
    let r = CredentialsIn::Form
        .reject(OAuthError::InvalidClient)
        .into_response();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!r.headers().contains_key(header::WWW_AUTHENTICATE));
}

#[test]
fn the_status_said_in_advance_is_the_status_answered() {
    let mut all: Vec<Rejection> = every_error().into_iter().map(Rejection::from).collect();
    all.extend([
        Rejection::NotFound,
        Rejection::MethodNotAllowed("GET"),
        Rejection::PayloadTooLarge(1),
        Rejection::RequestTimeout(std::time::Duration::from_secs(1)),
        Rejection::Admin(AdminError::Invalid("x".into())),
        Rejection::Admin(AdminError::NotFound("x".into())),
        Rejection::Admin(AdminError::Conflict("x".into())),
        Rejection::InvalidClient(CredentialsIn::Header),
        Rejection::InvalidClient(CredentialsIn::Form),
    ]);
    for rejection in all {
        let said = rejection.status();
        assert_eq!(said, rejection.into_response().status());
    }
}

#[test]
fn a_failed_authorization_header_is_challenged_with_basic_and_the_error() {
    let r = CredentialsIn::Header
        .reject(OAuthError::InvalidClient)
        .into_response();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()[header::WWW_AUTHENTICATE],
        r#"Basic realm="tokendealer", error="invalid_client", error_description="client authentication failed""#
    );
}

#[test]
fn where_the_credentials_were_changes_only_an_invalid_client() {
    for presented in [CredentialsIn::Header, CredentialsIn::Form] {
        let r = presented.reject(OAuthError::InvalidScope("x"));
        assert!(matches!(r, Rejection::OAuth(OAuthError::InvalidScope(_))));
    }
}
