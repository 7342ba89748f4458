//! The `[keys]` table: from the file and the environment, and the schedule's bounds checked at
//! start.

use super::env;
use crate::config::*;

#[test]
fn by_default_keys_rotate_every_90_days_published_twice_the_jwks_cache_ahead() {
    let s = Settings::load_with_env(
        Overrides::default(),
        env(&[("TOKENDEALER_JWKS_MAX_AGE", "120")]),
    )
    .unwrap();
    let policy = s.key_policy();
    assert_eq!(policy.rotation_period, 7_776_000);
    assert_eq!(policy.prepublish, 240);
    assert_eq!(
        policy.verify_window,
        86_400 + crate::domain::keys::VERIFIER_LEEWAY_SECS
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
        ("TOKENDEALER_KEYS_ROTATION_PERIOD_SECS", "600"),
        ("TOKENDEALER_JWKS_MAX_AGE", "300"),
    ]);
    let err = Settings::load_with_env(Overrides::default(), vars).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("prepublish_secs (600") && msg.contains("(600)"),
        "{msg}"
    );
    let never = env(&[
        ("TOKENDEALER_KEYS_ROTATION_PERIOD_SECS", "0"),
        ("TOKENDEALER_KEYS_PREPUBLISH_SECS", "9999"),
    ]);
    assert!(Settings::load_with_env(Overrides::default(), never).is_ok());
}
