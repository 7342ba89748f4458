//! Registering keys: public keys only, of the supported kinds, with distinct `kid`s.

use serde_json::json;

use super::*;

fn ed25519(kid: &str) -> serde_json::Value {
    json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})
}

#[test]
fn a_set_of_public_keys_is_accepted_and_its_kids_listed() {
    let set = json!({"keys": [ed25519("a"), ed25519("b")]});
    let method = ClientAuthMethod::private_key_jwt(Some(&set), None).unwrap();
    assert_eq!(method.kids(), ["a", "b"]);
    assert!(!method.uses_secret());
    assert_eq!(method.as_str(), "private_key_jwt");
}

#[test]
fn a_set_with_a_private_member_a_symmetric_key_or_a_kid_twice_is_refused() {
    let mut private = ed25519("a");
    private["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    let oct = json!({"kty": "oct", "k": "c2VjcmV0"});
    for (set, says) in [
        (
            json!({"keys": [private]}),
            "key \"a\": it holds the private or symmetric member \"d\"",
        ),
        (json!({"keys": [oct]}), "key #1 (no kid): it holds"),
        (json!({"keys": [ed25519("a"), ed25519("a")]}), "twice"),
        (json!({"keys": []}), "1 to 16"),
        (json!([ed25519("a")]), "\"keys\" array"),
    ] {
        let e = ClientAuthMethod::private_key_jwt(Some(&set), None).unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
}

#[test]
fn a_jwks_uri_is_an_absolute_url_without_credentials() {
    assert!(ClientAuthMethod::private_key_jwt(None, Some("https://svc.example/jwks")).is_ok());
    for bad in [
        "ftp://x/jwks",
        "https://u:p@x/jwks",
        "/jwks",
        "https://x/jwks#k",
    ] {
        assert!(
            ClientAuthMethod::private_key_jwt(None, Some(bad)).is_err(),
            "{bad}"
        );
    }
    let set = json!({"keys": [ed25519("a")]});
    assert!(ClientAuthMethod::private_key_jwt(Some(&set), Some("https://x/j")).is_err());
}

#[test]
fn a_stored_method_round_trips_and_a_record_without_one_is_a_secret_client() {
    let set = json!({"keys": [ed25519("a")]});
    let method = ClientAuthMethod::private_key_jwt(Some(&set), None).unwrap();
    let stored = serde_json::to_value(&method).unwrap();
    assert_eq!(stored["method"], "private_key_jwt");
    assert_eq!(
        serde_json::from_value::<ClientAuthMethod>(stored).unwrap(),
        method
    );
    let old: ClientAuthMethod = serde_json::from_value(json!({"method": "client_secret"})).unwrap();
    assert_eq!(old, ClientAuthMethod::ClientSecret);
}
