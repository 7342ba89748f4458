//! The layers over the defaults — the TOML file, the environment, the flags — as figment
//! providers that can say where a value came from, and the settings read from them.
//!
//! Every key of the TOML file has an environment variable: `TOKENDEALER_<KEY>` for a top-level
//! key, `TOKENDEALER_USERS_<KEY>` for one of the `[users]` table, `TOKENDEALER_KEYS_<KEY>` for
//! one of the `[keys]` table (upper case). A value is taken as written when its setting takes
//! text (`127.0.0.1:5001`, `./data`, a directory named `2024`), else read as TOML when it is
//! TOML (`8`, `true`, `["admin","ops"]`).

use std::path::Path;

use anyhow::Context;
use figment::error::Kind;
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::{Overrides, Settings, TlsFiles, TlsSettings};

const PREFIX: &str = "TOKENDEALER_";

/// One source of settings: its values, and how to name where one of them came from.
pub(super) struct Layer {
    data: Dict,
    metadata: Metadata,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.data.clone()))
    }
}

impl Layer {
    /// The TOML file at `path`; a key that is no setting is refused, naming it.
    pub(super) fn file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("parsing config file {}", path.display()))?;
        let name = format!("config file {}", path.display());
        let data = dict(&table).with_context(|| format!("reading {name}"))?;
        let names = Names::of_settings()?;
        if let Some(unknown) = data.keys().find(|k| !names.keys.contains(k)) {
            anyhow::bail!(
                "{unknown} ({name}): unknown setting; the settings are {}",
                names.keys.join(", ")
            );
        }
        let metadata =
            Metadata::named(name.clone()).interpolater(move |_: &Profile, _: &[&str]| name.clone());
        Ok(Self { data, metadata })
    }

    /// The `TOKENDEALER_*` variables among `vars` that name a setting; others are left alone
    /// (`TOKENDEALER_URL` is the admin commands').
    pub(super) fn environment(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let names = Names::of_settings()?;
        let mut data = Dict::new();
        for (name, raw) in vars {
            if let Some(path) = name.strip_prefix(PREFIX).and_then(|k| names.path_of(k)) {
                let value = reading(&path, raw);
                path.put(&mut data, value);
            }
        }
        let metadata = Metadata::named("environment").interpolater(|_: &Profile, keys: &[&str]| {
            format!("{PREFIX}{}", keys.join("_").to_ascii_uppercase())
        });
        Ok(Self { data, metadata })
    }

    /// The flags given (a flag not given says nothing).
    pub(super) fn flags(overrides: &Overrides) -> anyhow::Result<Self> {
        let mut data = dict(overrides).context("reading the command-line flags")?;
        data.retain(|_, value| !matches!(value, Value::Empty(..)));
        let metadata = Metadata::named("flags").interpolater(|_: &Profile, keys: &[&str]| {
            let key = keys.join("_");
            format!(
                "--{} or {PREFIX}{}",
                key.replace('_', "-"),
                key.to_ascii_uppercase()
            )
        });
        Ok(Self { data, metadata })
    }
}

/// The settings the layers give, before the defaults that depend on other settings: each part
/// of the struct read from the same top-level keys, and the TLS files whether or not both were
/// given (`load.rs` pairs them).
pub(super) fn read(layers: &Figment) -> anyhow::Result<(Settings, TlsFiles)> {
    let tls: TlsSettings = part(layers)?;
    let settings = Settings {
        console: part(layers)?,
        tls,
        ..part(layers)?
    };
    Ok((settings, part(layers)?))
}

/// The part of the settings `T` reads from the layers.
fn part<T: serde::de::DeserializeOwned>(layers: &Figment) -> anyhow::Result<T> {
    layers.extract().map_err(explain)
}

/// figment's errors as one line each: the setting, where its value came from (the file, the
/// variable or the flag), and what is wrong with it.
fn explain(errors: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = errors
        .into_iter()
        .map(|e| {
            let what = match &e.kind {
                Kind::UnknownField(_, known) => {
                    format!("unknown setting; the settings are {}", known.join(", "))
                }
                other => other.to_string(),
            };
            match &e.metadata {
                Some(source) if !e.path.is_empty() => format!(
                    "{} ({}): {what}",
                    e.path.join("."),
                    source.interpolate(&Profile::Default, &e.path)
                ),
                _ => e.to_string(),
            }
        })
        .collect();
    anyhow::anyhow!("{}", lines.join("; "))
}

/// A variable's value for the setting at `path`: as written if the setting takes text, else as
/// TOML if it is TOML (else as written, for the error to show it).
fn reading(path: &KeyPath, raw: String) -> Value {
    let parsed = toml_value(&raw);
    let written = Value::from(raw);
    match parsed {
        Some(parsed) if !path.takes(&written) => parsed,
        _ => written,
    }
}

/// `raw` as a TOML value, if it is one.
fn toml_value(raw: &str) -> Option<Value> {
    let mut one: toml::Table = toml::from_str(&format!("v = {raw}")).ok()?;
    Value::serialize(one.remove("v")?).ok()
}

/// Anything serializable as a table (a TOML file, the flags) as figment's dictionary.
fn dict(value: &impl serde::Serialize) -> anyhow::Result<Dict> {
    Value::serialize(value)?
        .into_dict()
        .context("not a table of settings")
}

/// Where a setting is in the file: a top-level key, or a key of a table.
struct KeyPath {
    table: Option<String>,
    key: String,
}

impl KeyPath {
    /// Sets it in `data`, making its table if need be.
    fn put(&self, data: &mut Dict, value: Value) {
        let data = match &self.table {
            None => data,
            Some(table) => match data
                .entry(table.clone())
                .or_insert_with(|| Dict::new().into())
            {
                Value::Dict(_, table) => table,
                _ => return,
            },
        };
        data.insert(self.key.clone(), value);
    }

    /// Whether its setting takes `value`: its type, not its bounds (those are checked once
    /// every layer is in).
    fn takes(&self, value: &Value) -> bool {
        let mut data = Dict::new();
        self.put(&mut data, value.clone());
        let metadata = Metadata::named("a trial");
        read(&Figment::from(Layer { data, metadata })).is_ok()
    }
}

/// The keys of the file, as the settings serialize.
pub(super) struct Names {
    /// The top-level keys, tables included.
    pub(super) keys: Vec<String>,
    /// Each table's keys.
    pub(super) tables: Vec<(String, Vec<String>)>,
}

impl Names {
    pub(super) fn of_settings() -> anyhow::Result<Self> {
        // With the TLS files given, the one optional part not printed at all when absent.
        let tls = TlsSettings {
            files: Some(TlsFiles::default()),
            ..TlsSettings::default()
        };
        let every_key = Settings {
            tls,
            ..Settings::default()
        };
        let mut names = Self {
            keys: Vec::new(),
            tables: Vec::new(),
        };
        for (key, value) in dict(&every_key).context("listing the settings")? {
            if let Value::Dict(_, table) = value {
                names
                    .tables
                    .push((key.clone(), table.into_keys().collect()));
            }
            names.keys.push(key);
        }
        Ok(names)
    }

    /// The setting a variable names (without the prefix): a table's key first, so
    /// `USERS_MIN_PASSWORD_LENGTH` is `[users] min_password_length`; else a top-level key that
    /// is not a table, so `KEYS_DIR` is `keys_dir` (the `[keys]` table has no `dir`).
    fn path_of(&self, var: &str) -> Option<KeyPath> {
        let var = var.to_ascii_lowercase();
        for (table, keys) in &self.tables {
            let key = var
                .strip_prefix(table.as_str())
                .and_then(|k| k.strip_prefix('_'));
            if let Some(key) = key.filter(|k| keys.iter().any(|known| known == k)) {
                let (table, key) = (Some(table.clone()), key.to_owned());
                return Some(KeyPath { table, key });
            }
        }
        let top_level = self.keys.contains(&var) && !self.tables.iter().any(|(t, _)| *t == var);
        top_level.then_some(KeyPath {
            table: None,
            key: var,
        })
    }
}
