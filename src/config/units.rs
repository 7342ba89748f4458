//! How some settings are written in the file: durations as whole seconds, modes by name.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::keys::SignerMode;
use crate::server::IoModel;

/// A `Duration` as the whole seconds of a `*_secs` key (`#[serde(with = "secs")]`).
pub(super) mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, s: S) -> Result<S::Ok, S::Error> {
        // TOML integers are i64: a longer duration (only ever set in code) prints as the longest.
        s.serialize_i64(i64::try_from(duration.as_secs()).unwrap_or(i64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

/// `signer` and `io`: read with the type's own `FromStr` (whose message lists the names) and
/// printed as the name. Here rather than derived where the types live, so that neither the
/// domain nor the transport has to know how the settings file spells them.
macro_rules! by_name {
    ($($mode:ty),*) => {$(
        impl Serialize for $mode {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $mode {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                name.parse().map_err(|e: anyhow::Error| D::Error::custom(format!("{e:#}")))
            }
        }
    )*};
}

by_name!(SignerMode, IoModel);
