//! `tokendealer config` from the real binary: each setting from the layer that wins (flag >
//! environment > file > default), printed from the one settings struct, and a wrong value
//! reported with the setting and where the value came from.

use std::path::Path;
use std::process::Output;

use tokio::process::Command;

/// `tokendealer config --config FILE ARGS` with exactly the variables `vars`.
async fn config(file: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .arg("config")
        .arg("--config")
        .arg(file)
        .args(args)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn config_prints_each_setting_from_the_layer_that_wins() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("td.toml");
    let text = "idle_timeout_secs = 5\nmax_connections = 50\ndata_dir = \"/from/file\"\n\
                console_max_sessions = 3\n[users]\nmin_password_length = 12\n";
    std::fs::write(&file, text).unwrap();
    let vars = [
        ("TOKENDEALER_IDLE_TIMEOUT_SECS", "9"),
        ("TOKENDEALER_MAX_CONNECTIONS", "60"),
        // A directory named like a number stays a path.
        ("TOKENDEALER_DATA_DIR", "2024"),
        ("TOKENDEALER_USERS_USER_LIST_ROLES", "[\"ops\"]"),
    ];
    let out = config(&file, &["--max-connections", "7"], &vars).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let printed: toml::Table = toml::from_str(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let users = printed["users"].as_table().unwrap();
    assert_eq!(
        printed["idle_timeout_secs"].as_integer(),
        Some(9),
        "environment over file"
    );
    assert_eq!(
        printed["max_connections"].as_integer(),
        Some(7),
        "flag over both"
    );
    assert_eq!(printed["data_dir"].as_str(), Some("2024"));
    assert_eq!(
        printed["console_max_sessions"].as_integer(),
        Some(3),
        "file over default"
    );
    assert_eq!(printed["keys_dir"].as_str(), Some("./keys"), "the default");
    assert_eq!(users["min_password_length"].as_integer(), Some(12));
    assert_eq!(users["user_list_roles"].as_array().unwrap().len(), 1);
    assert_eq!(users["max_tracked"].as_integer(), Some(100_000));
}

#[tokio::test]
async fn a_wrong_value_stops_config_with_the_setting_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("td.toml");
    std::fs::write(&file, "body_budget_mb = \"lots\"\n").unwrap();
    let out = config(&file, &[], &[]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let place = format!("body_budget_mb (config file {})", file.display());
    assert!(stderr.contains(&place), "{stderr}");

    std::fs::write(&file, "").unwrap();
    let vars = [("TOKENDEALER_USERS_MAX_TRACKED", "many")];
    let out = config(&file, &[], &vars).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("users.max_tracked (TOKENDEALER_USERS_MAX_TRACKED): invalid type"),
        "{stderr}"
    );
}
