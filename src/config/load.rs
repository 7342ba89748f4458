//! The settings' sources read in order: the defaults, the TOML file, the environment
//! (`TOKENDEALER_<KEY>`), then the flags; each value given wins over the one before. Then the
//! defaults that depend on other settings, then the checks.

use figment::Figment;

use super::layers::{self, Layer};
use super::{Overrides, Settings};
use crate::domain::keys::SignerMode;
use crate::server::IoModel;

impl Settings {
    /// Resolves the settings: a flag beats the environment (`TOKENDEALER_<KEY>`), which beats
    /// the file, which beats the default.
    pub fn load(overrides: Overrides) -> anyhow::Result<Self> {
        Self::load_with_env(overrides, std::env::vars())
    }

    /// [`Settings::load`] with the environment given, for tests.
    pub fn load_with_env(
        overrides: Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut layers = Figment::new();
        if let Some(path) = &overrides.config {
            layers = layers.merge(Layer::file(path)?);
        }
        let layers = layers
            .merge(Layer::environment(env)?)
            .merge(Layer::flags(&overrides)?);
        let (mut settings, files) = layers::read(&layers)?;
        let given = |key: &str| layers.contains(key);
        settings.tls.files = match (given("tls_cert"), given("tls_key")) {
            (true, true) => Some(files),
            (false, false) => None,
            (true, false) => anyhow::bail!(
                "tls_cert is set but tls_key is not: TLS needs both (--tls-key, TOKENDEALER_TLS_KEY or tls_key)"
            ),
            (false, true) => anyhow::bail!(
                "tls_key is set but tls_cert is not: TLS needs both (--tls-cert, TOKENDEALER_TLS_CERT or tls_cert)"
            ),
        };
        // The defaults that depend on other settings, resolved here so that the printed
        // settings say what is in force.
        if !given("signer") {
            // On an I/O thread of its own a request signs where it was read; on the shared
            // runtime a signature would stall a worker: the pool takes it.
            settings.signer = match settings.io {
                IoModel::PerThread => SignerMode::Inline,
                IoModel::Shared => SignerMode::Pool,
            };
        }
        if !given("console_secure_cookies") {
            // Under native TLS the console's cookies are `Secure` unless told otherwise.
            settings.console.secure_cookies = settings.tls.files.is_some();
        }
        let prepublish = settings.keys.prepublish(settings.jwks_max_age);
        settings.keys.prepublish_secs = Some(prepublish);
        settings.check()?;
        Ok(settings)
    }
}
