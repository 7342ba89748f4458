//! The `[keys]` table: from the file and the environment, and the schedule's bounds and the
//! algorithm list checked at start.

use super::env;
use crate::config::*;

#[test]
fn by_default_keys_rotate_every_90_days_published_half_an_hour_or_twice_the_jwks_cache_ahead() {
    let load = |max_age: &str| {
        let vars = env(&[("TOKENDEALER_JWKS_MAX_AGE", max_age)]);
        Settings::load_with_env(Overrides::default(), vars).unwrap()
    };
    let policy = load("120").key_policy();
    assert_eq!(policy.rotation_period, 7_776_000);
    // Istio refreshes every 20 minutes whatever max-age says: 30 minutes ahead at least.
    assert_eq!(policy.prepublish, 1800);
    assert_eq!(
        policy.verify_window,
        86_400 + crate::domain::keys::VERIFIER_LEEWAY_SECS
    );
    assert_eq!(Settings::default().key_policy().prepublish, 1800);
    assert_eq!(load("1200").key_policy().prepublish, 2400);
    assert!(
        load("120")
            .to_toml()
            .unwrap()
            .contains("prepublish_secs = 1800")
    );
}

#[test]
fn an_issuer_is_a_bounded_url_without_quotes() {
    let load = |issuer: &str| {
        let vars = env(&[("TOKENDEALER_ISSUER", issuer)]);
        Settings::load_with_env(Overrides::default(), vars)
    };
    assert!(load("https://auth.example.com").is_ok());
    let longest = format!("https://{}", "a".repeat(256 - 8));
    assert!(load(&longest).is_ok());
    for bad in [
        format!("{longest}a"),
        "https://a\"b".to_owned(),
        "https://a\\b".to_owned(),
        "ftp://a".to_owned(),
        "https://auth.example/t?x=1".to_owned(),
        "https://auth.example/t#x".to_owned(),
    ] {
        assert!(load(&bad).is_err(), "{bad}");
    }
}

#[test]
fn a_rotation_period_that_would_keep_too_many_replaced_keys_is_refused_at_start() {
    let load = |period: &str, ttl: &str| {
        let vars = env(&[
            ("TOKENDEALER_KEYS_ROTATION_PERIOD_SECS", period),
            ("TOKENDEALER_MAX_TOKEN_TTL", ttl),
            // Less than every period tried: the default half hour would not fit in 15 minutes.
            ("TOKENDEALER_KEYS_PREPUBLISH_SECS", "600"),
        ]);
        Settings::load_with_env(Overrides::default(), vars)
    };
    // A day's tokens: hourly rotation keeps 25 replaced keys, every 15 minutes 97.
    assert!(load("3600", "86400").is_ok());
    let err = format!("{:#}", load("900", "86400").unwrap_err());
    assert!(
        err.contains("rotation_period_secs (900) is too short"),
        "{err}"
    );
    // Shorter tokens leave a key set just as small with shorter periods.
    assert!(load("900", "3600").is_ok());
}

#[test]
fn the_keys_table_comes_from_the_file_and_the_environment_beats_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("td.toml");
    let file = "[keys]\nrotation_period_secs = 3600\nprepublish_secs = 60\n";
    std::fs::write(&path, file).unwrap();
    let overrides = Overrides {
        config: Some(path),
        ..Default::default()
    };
    let from_file = Settings::load_with_env(overrides.clone(), Vec::new()).unwrap();
    assert_eq!(
        (
            from_file.keys.rotation_period_secs,
            from_file.keys.prepublish_secs
        ),
        (3600, Some(60))
    );
    let vars = env(&[
        ("TOKENDEALER_KEYS_ROTATION_PERIOD_SECS", "0"),
        ("TOKENDEALER_KEYS_PREPUBLISH_SECS", "30"),
        ("TOKENDEALER_KEYS_DIR", "/srv/keys"),
    ]);
    let s = Settings::load_with_env(overrides, vars).unwrap();
    assert_eq!(s.key_policy().rotation_period, 0);
    assert_eq!(s.key_policy().prepublish, 30);
    assert_eq!(s.keys_dir, PathBuf::from("/srv/keys"));
}

#[test]
fn a_pre_publication_as_long_as_the_period_stops_the_start_with_a_clear_error() {
    let vars = env(&[
        ("TOKENDEALER_KEYS_ROTATION_PERIOD_SECS", "1800"),
        ("TOKENDEALER_JWKS_MAX_AGE", "300"),
    ]);
    let err = Settings::load_with_env(Overrides::default(), vars).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(
            "prepublish_secs (1800; by default the larger of 1800 and twice \
                      jwks_max_age)"
        ) && msg.contains("(1800)"),
        "{msg}"
    );
    let never = env(&[
        ("TOKENDEALER_KEYS_ROTATION_PERIOD_SECS", "0"),
        ("TOKENDEALER_KEYS_PREPUBLISH_SECS", "9999"),
    ]);
    assert!(Settings::load_with_env(Overrides::default(), never).is_ok());
}

#[test]
fn the_algorithms_come_from_the_file_or_the_environment_as_a_list_or_names_with_commas() {
    use crate::domain::keys::{Algorithms, SigningAlg};
    assert_eq!(Settings::default().keys.algorithms, Algorithms::ALL);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("td.toml");
    std::fs::write(&path, "[keys]\nalgorithms = [\"RS512\", \"ES256\"]\n").unwrap();
    let overrides = Overrides {
        config: Some(path),
        ..Default::default()
    };
    let from_file = Settings::load_with_env(overrides.clone(), Vec::new()).unwrap();
    assert_eq!(from_file.keys.algorithms.names(), ["RS512", "ES256"]);
    assert!(
        !from_file
            .key_policy()
            .algorithms
            .contains(SigningAlg::EdDsa)
    );
    for raw in ["RS512", "rs512 ", "[\"RS512\"]", " RS512 ,"] {
        let vars = env(&[("TOKENDEALER_KEYS_ALGORITHMS", raw)]);
        let s = Settings::load_with_env(overrides.clone(), vars);
        let names = s.map(|s| s.keys.algorithms.names());
        // Names are JWS names, case and all: `rs512` is not one.
        if raw.contains("rs512") {
            assert!(names.is_err(), "{raw}");
        } else {
            assert_eq!(names.unwrap(), ["RS512"], "{raw}");
        }
    }
    let vars = env(&[("TOKENDEALER_KEYS_ALGORITHMS", "RS512,EdDSA ES256")]);
    let s = Settings::load_with_env(Overrides::default(), vars).unwrap();
    assert_eq!(s.keys.algorithms, Algorithms::ALL);
    let printed = s.to_toml().unwrap();
    assert!(
        printed.contains(r#"algorithms = ["RS512", "EdDSA", "ES256"]"#),
        "{printed}"
    );
}

#[test]
fn an_unknown_or_missing_algorithm_stops_the_start_with_a_message_naming_the_setting() {
    for (raw, why) in [
        ("RS512,HS256", "unknown algorithm \"HS256\""),
        ("[]", "is empty"),
        ("", "is empty"),
        ("ES256", "must include RS512"),
    ] {
        let vars = env(&[("TOKENDEALER_KEYS_ALGORITHMS", raw)]);
        let err = Settings::load_with_env(Overrides::default(), vars).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("[keys] algorithms (TOKENDEALER_KEYS_ALGORITHMS)") && msg.contains(why),
            "{raw:?}: {msg}"
        );
    }
}
