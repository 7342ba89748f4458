//! Each setting declared once: what follows from its field — its documentation is checked to
//! exist, and a wrong value is reported with the setting and where the value came from.

use super::env;
use crate::config::*;

/// The README's configuration section, and docs/users.md (where the `[users]` row points).
fn documentation() -> (String, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("## Configuration").unwrap();
    let end = start + readme[start..].find("### HTTPS").unwrap();
    let users = std::fs::read_to_string(root.join("docs/users.md")).unwrap();
    (readme[start..end].to_owned(), users)
}

#[test]
fn every_key_of_the_file_has_its_row_in_the_readme_or_the_users_guide() {
    let (table, users) = documentation();
    let names = layers::Names::of_settings().unwrap();
    for key in &names.keys {
        let row = [format!("`{key}`"), format!("`[{key}]` table")];
        let keys_table = format!("`[{key}] ");
        assert!(
            row.iter().any(|r| table.contains(r)) || table.contains(&keys_table),
            "README's configuration table has no row for {key}"
        );
    }
    for (table_name, keys) in &names.tables {
        let doc = if table_name == "users" {
            &users
        } else {
            &table
        };
        for key in keys {
            assert!(
                doc.contains(key.as_str()),
                "[{table_name}] {key} is documented"
            );
        }
    }
}

#[test]
fn a_wrong_value_names_the_setting_and_where_the_value_came_from() {
    let err = Settings::load_with_env(
        Overrides::default(),
        env(&[("TOKENDEALER_USERS_MAX_TRACKED", "many")]),
    )
    .unwrap_err();
    let said = format!("{err:#}");
    assert!(
        said.starts_with("users.max_tracked (TOKENDEALER_USERS_MAX_TRACKED): invalid type"),
        "{said}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("td.toml");
    std::fs::write(&path, "console_session_max_secs = \"long\"\n").unwrap();
    let from_file = Overrides {
        config: Some(path.clone()),
        ..Default::default()
    };
    let said = format!(
        "{:#}",
        Settings::load_with_env(from_file, Vec::new()).unwrap_err()
    );
    let place = format!("console_session_max_secs (config file {})", path.display());
    assert!(said.starts_with(&place), "{said}");
    // The variable beats the file, so its wrong value is the one reported.
    let both = Overrides {
        config: Some(path),
        ..Default::default()
    };
    let vars = env(&[("TOKENDEALER_CONSOLE_SESSION_MAX_SECS", "-1")]);
    let said = format!("{:#}", Settings::load_with_env(both, vars).unwrap_err());
    assert!(
        said.contains("(TOKENDEALER_CONSOLE_SESSION_MAX_SECS): invalid value"),
        "{said}"
    );
}

#[test]
fn a_misspelt_key_in_the_file_is_refused_with_the_file_named_and_one_in_a_table_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("td.toml");
    for (text, key) in [
        ("idle_timeout = 5\n", "idle_timeout"),
        ("[keys]\nrotation_period = 60\n", "keys.rotation_period"),
    ] {
        std::fs::write(&path, text).unwrap();
        let overrides = Overrides {
            config: Some(path.clone()),
            ..Default::default()
        };
        let said = format!(
            "{:#}",
            Settings::load_with_env(overrides, Vec::new()).unwrap_err()
        );
        let place = format!("{key} (config file {}): unknown setting", path.display());
        assert!(said.starts_with(&place), "{said}");
    }
}
