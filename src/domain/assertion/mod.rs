//! Client assertions (RFC 7523 §2.2, OpenID Connect Core §9 `private_key_jwt`): a client
//! authenticates with a JWT it signed with one of its registered keys.

pub mod settings;

pub use settings::AssertionSettings;
