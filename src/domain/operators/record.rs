//! An operator as stored (what the operator store keeps) and as shown (never the hash).

use serde::{Deserialize, Serialize};

/// An operator as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operator {
    pub name: String,
    /// The argon2id PHC string; never shown.
    pub password_phc: String,
    pub created_at: u64,
}

/// An operator as the admin API and the console show it: never the hash.
#[derive(Debug, Clone, Serialize)]
pub struct OperatorView {
    pub name: String,
    pub created_at: u64,
}

impl From<&Operator> for OperatorView {
    fn from(o: &Operator) -> Self {
        Self {
            name: o.name.clone(),
            created_at: o.created_at,
        }
    }
}
