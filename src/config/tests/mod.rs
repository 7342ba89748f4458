//! Settings: precedence, the environment layer, the printed form, renamed keys.

mod declared;
mod key_schedule;
mod tls;

/// An environment of `pairs`, for `Settings::load_with_env`.
fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

mod file {
    use std::time::Duration;

    use crate::config::*;

    #[test]
    fn a_flag_beats_the_file_and_the_file_beats_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("td.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:7000\"\ndata_dir = \"/srv/td\"\nmax_token_ttl = 7200\n",
        )
        .unwrap();
        let s = Settings::load(Overrides {
            data_dir: Some("/flag".into()),
            config: Some(path),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.listen.port(), 7000);
        assert_eq!(s.data_dir, PathBuf::from("/flag"));
        assert_eq!(s.max_token_ttl, 7200);
        assert_eq!(s.keys_dir, PathBuf::from("./keys"));
    }

    #[test]
    fn connection_limits_come_from_the_file_and_max_connections_from_a_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("td.toml");
        std::fs::write(
            &path,
            "max_connections = 50\nidle_timeout_secs = 5\nbody_read_timeout_secs = 3\n\
             h2_max_concurrent_streams = 20\n",
        )
        .unwrap();
        let from_file = Settings::load(Overrides {
            config: Some(path.clone()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(from_file.max_connections, 50);
        assert_eq!(from_file.idle_timeout, Duration::from_secs(5));
        assert_eq!(from_file.body_read_timeout, Duration::from_secs(3));
        assert_eq!(from_file.h2_max_concurrent_streams, 20);
        assert_eq!(from_file.header_read_timeout, Duration::from_secs(10));
        let flagged = Settings::load(Overrides {
            config: Some(path),
            max_connections: Some(7),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(flagged.max_connections, 7);
    }

    #[test]
    fn a_zero_deadline_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("td.toml");
        std::fs::write(&path, "idle_timeout_secs = 0\n").unwrap();
        let err = Settings::load(Overrides {
            config: Some(path),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("idle_timeout_secs"), "{err}");
    }

    #[test]
    fn the_default_connection_cap_stays_below_the_descriptor_limit() {
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        let cap = default_max_connections() as u64;
        assert!(cap >= MIN_DEFAULT_CONNECTIONS);
        if soft > MIN_DEFAULT_CONNECTIONS + RESERVED_DESCRIPTORS {
            assert!(cap + RESERVED_DESCRIPTORS <= soft, "{cap} of {soft}");
        }
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("td.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:7000\"\n").unwrap();
        assert!(
            Settings::load(Overrides {
                config: Some(path),
                ..Default::default()
            })
            .is_err()
        );
    }
}

mod environment {
    use std::time::Duration;

    use super::env;
    use crate::config::*;

    #[test]
    fn every_setting_can_come_from_the_environment_over_the_file_and_a_flag_beats_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("td.toml");
        std::fs::write(
            &path,
            "idle_timeout_secs = 5\nlisten = \"127.0.0.1:7000\"\n",
        )
        .unwrap();
        let vars = env(&[
            ("TOKENDEALER_IDLE_TIMEOUT_SECS", "9"),
            ("TOKENDEALER_LISTEN", "127.0.0.1:7001"),
            ("TOKENDEALER_SIGNER", "inline"),
            ("TOKENDEALER_USERS_MIN_PASSWORD_LENGTH", "4"),
            ("TOKENDEALER_USERS_USER_LIST_ROLES", "[\"ops\"]"),
            ("TOKENDEALER_NOT_A_SETTING", "ignored"),
            ("HOME", "/root"),
        ]);
        let s = Settings::load_with_env(
            Overrides {
                config: Some(path.clone()),
                listen: Some("127.0.0.1:7002".parse().unwrap()),
                ..Default::default()
            },
            vars,
        )
        .unwrap();
        assert_eq!(s.idle_timeout, Duration::from_secs(9));
        assert_eq!(s.listen.port(), 7002);
        assert_eq!(s.signer, SignerMode::Inline);
        assert_eq!(s.users.min_password_length, 4);
        assert_eq!(s.users.user_list_roles, vec!["ops".to_owned()]);
    }

    #[test]
    fn a_malformed_environment_value_is_an_error_that_names_it() {
        let err = Settings::load_with_env(
            Overrides::default(),
            env(&[("TOKENDEALER_IDLE_TIMEOUT_SECS", "soon")]),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("idle_timeout_secs"), "{err:#}");
    }

    #[test]
    fn the_console_settings_come_from_the_environment() {
        let s = Settings::load_with_env(
            Overrides::default(),
            env(&[
                ("TOKENDEALER_CONSOLE", "false"),
                ("TOKENDEALER_CONSOLE_SESSION_IDLE_SECS", "60"),
                ("TOKENDEALER_CONSOLE_MAX_SESSIONS", "5"),
                ("TOKENDEALER_CONSOLE_SECURE_COOKIES", "true"),
            ]),
        )
        .unwrap();
        assert!(!s.console.enabled && s.console.secure_cookies);
        assert_eq!(s.console.session_idle.as_secs(), 60);
        assert_eq!(s.console.session_max.as_secs(), 28_800);
        assert_eq!(s.console.max_sessions, 5);
        let zero = env(&[("TOKENDEALER_CONSOLE_MAX_SESSIONS", "0")]);
        assert!(Settings::load_with_env(Overrides::default(), zero).is_err());
    }

    #[test]
    fn the_printed_settings_read_back_as_the_same_settings() {
        let s = Settings::load_with_env(
            Overrides::default(),
            env(&[
                ("TOKENDEALER_ISSUER", "https://auth.example.com/"),
                ("TOKENDEALER_METRICS_LISTEN", "127.0.0.1:9464"),
                ("TOKENDEALER_AUDIT_LOG", "-"),
                ("TOKENDEALER_TLS_CERT", "/etc/tokendealer/cert.pem"),
                ("TOKENDEALER_TLS_KEY", "/etc/tokendealer/key.pem"),
                (
                    "TOKENDEALER_TLS_CLIENT_CA",
                    "/etc/tokendealer/client-ca.pem",
                ),
                (
                    "TOKENDEALER_DATABASE_URL",
                    "postgres://td:s3cret@db:5432/td",
                ),
                ("TOKENDEALER_MASTER_KEY_FILE", "/etc/tokendealer/master.key"),
            ]),
        )
        .unwrap();
        assert_eq!(s.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(s.audit_log, Some(std::path::PathBuf::from("-")));
        let printed = s.to_toml().unwrap();
        assert!(
            !printed.contains("s3cret"),
            "the database password is never printed"
        );
        assert!(printed.contains("postgres://td:***@db:5432/td"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("printed.toml");
        std::fs::write(&path, &printed).unwrap();
        let again = Settings::load_with_env(
            Overrides {
                config: Some(path),
                ..Default::default()
            },
            Vec::new(),
        )
        .unwrap();
        assert_eq!(format!("{again:?}"), format!("{s:?}"));
        for key in layers::Names::of_settings().unwrap().keys {
            assert!(printed.contains(&key), "{key} is printed");
        }
    }
}

mod renamed_keys {
    use crate::config::*;

    #[test]
    fn the_tokenleader_settings_earlier_names_are_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("td.toml");
        let old = "[users]\nlegacy_token_ttl = 60\ncompat_distinct_login_failures = true\n";
        std::fs::write(&path, old).unwrap();
        let overrides = Overrides {
            config: Some(path),
            ..Default::default()
        };
        let s = Settings::load_with_env(overrides, Vec::new()).unwrap();
        assert_eq!(s.users.tokenleader_token_ttl, 60);
        assert!(s.users.tokenleader_distinct_login_failures);
    }
}

mod string_values {
    use crate::config::*;

    #[test]
    fn a_path_or_address_from_the_environment_is_taken_as_written() {
        let vars = [
            ("TOKENDEALER_DATA_DIR", "2024"),
            ("TOKENDEALER_KEYS_DIR", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let s = Settings::load_with_env(Overrides::default(), vars).unwrap();
        assert_eq!(s.data_dir, std::path::PathBuf::from("2024"));
        assert_eq!(s.keys_dir, std::path::PathBuf::from("true"));
    }
}
