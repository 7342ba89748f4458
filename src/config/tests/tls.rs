//! The TLS settings: both files or neither, and what they imply.

use crate::config::*;

fn load(vars: &[(&str, &str)], overrides: Overrides) -> anyhow::Result<Settings> {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    Settings::load_with_env(overrides, vars)
}

#[test]
fn a_certificate_without_a_key_is_an_error_that_says_what_is_missing() {
    let err = load(
        &[("TOKENDEALER_TLS_CERT", "cert.pem")],
        Overrides::default(),
    )
    .unwrap_err();
    assert!(format!("{err:#}").contains("tls_key is not"), "{err:#}");
    let only_key = Overrides {
        tls_key: Some("key.pem".into()),
        ..Default::default()
    };
    let err = load(&[], only_key).unwrap_err();
    assert!(format!("{err:#}").contains("tls_cert is not"), "{err:#}");
}

#[test]
fn the_files_come_from_flags_over_the_environment_and_tls_is_off_without_them() {
    assert_eq!(load(&[], Overrides::default()).unwrap().tls.files, None);
    let flags = Overrides {
        tls_cert: Some("flag-cert.pem".into()),
        ..Default::default()
    };
    let vars = [
        ("TOKENDEALER_TLS_CERT", "env-cert.pem"),
        ("TOKENDEALER_TLS_KEY", "env-key.pem"),
        ("TOKENDEALER_TLS_HANDSHAKE_TIMEOUT_SECS", "3"),
    ];
    let s = load(&vars, flags).unwrap();
    let files = s.tls.files.unwrap();
    assert_eq!(files.cert, std::path::PathBuf::from("flag-cert.pem"));
    assert_eq!(files.key, std::path::PathBuf::from("env-key.pem"));
    assert_eq!(s.tls.handshake_timeout, std::time::Duration::from_secs(3));
}
