//! Request reading's unit tests: charsets, Basic credentials and where they were, repeated parameters.

use super::*;
use crate::domain::ClientAuth;

#[test]
fn a_form_declared_in_another_charset_than_utf8_is_refused() {
    let form = "application/x-www-form-urlencoded";
    let with = |value: &str| {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
        require_content_type(&headers, form).map_err(|e| e.description().into_owned())
    };
    for ok in [
        form,
        "Application/X-WWW-Form-Urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/x-www-form-urlencoded;charset=UTF-8",
        "application/x-www-form-urlencoded; charset=\"utf-8\"",
        "application/x-www-form-urlencoded ; charset=utf-8",
        "application/x-www-form-urlencoded; charset=utf8",
        "application/x-www-form-urlencoded; charset=US-ASCII",
        "application/x-www-form-urlencoded; x=1; charset=utf-8",
    ] {
        assert_eq!(with(ok), Ok(()), "{ok}");
    }
    for charset in [
        "iso-8859-1",
        "latin1",
        "utf-16",
        "\"windows-1252\"",
        "utf-8; charset=latin1",
        "latin1; charset=utf-8",
        "utf-8; charset=utf-8",
        "utf-8; charset*=iso-8859-1''",
    ] {
        let value = format!("{form}; charset={charset}");
        assert!(with(&value).unwrap_err().contains("UTF-8"), "{value}");
    }
    for other in [
        "application/json",
        "text/plain",
        "application/x-www-form-urlencodedx",
        "",
    ] {
        let err = with(other).unwrap_err();
        assert!(
            err.contains("must be application/x-www-form-urlencoded"),
            "{other}"
        );
    }
}

#[test]
fn debug_output_never_shows_a_secret_or_a_password() {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let form = Form::parse(&h, b"client_secret=s3cr3t&password=hunter22&client_id=a").unwrap();
    let creds = ClientAuth {
        client_id: "a".into(),
        client_secret: "s3cr3t".into(),
        certificate: None,
        assertion: None,
    };
    let printed = format!("{form:?} {creds:?}");
    assert!(
        !printed.contains("s3cr3t") && !printed.contains("hunter22"),
        "{printed}"
    );
    assert!(
        printed.contains("client_secret") && printed.contains("\"a\""),
        "{printed}"
    );
}

#[test]
fn a_repeated_form_parameter_is_refused() {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let err = Form::parse(&h, b"grant_type=a&grant_type=b").unwrap_err();
    assert_eq!(err.code(), "invalid_request");
}
