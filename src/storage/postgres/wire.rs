//! What crosses between the database and the domain: errors as the domain sees them, change
//! notices, record bytes as jsonb, and integer widths.

use crate::domain::StoreUnavailable;

use super::CHANNEL;

/// A database error as the domain sees it: connection trouble, timeouts and lock waits are
/// [`StoreUnavailable`] (503, retry); anything else is a plain error (500). A lost connection
/// (no SQLSTATE, or class 08) leaves a commit in flight unknown; an error the server reports
/// aborted the transaction.
pub(super) fn db(e: tokio_postgres::Error) -> anyhow::Error {
    let lost = e.code().is_none_or(|code| code.code().starts_with("08"));
    let transient = match e.code() {
        None => true,
        Some(code) => {
            let c = code.code();
            c.starts_with("08")
                || c.starts_with("57")
                || c.starts_with("53")
                || c.starts_with("40")
                || c == "55P03"
        }
    };
    if lost {
        StoreUnavailable::unconfirmed(format!("the database: {e}")).into()
    } else if transient {
        StoreUnavailable::new(format!("the database: {e}")).into()
    } else {
        anyhow::Error::new(e).context("a database statement failed")
    }
}

/// Announces a change inside the writing transaction (delivered on commit).
pub(super) async fn notify(
    tx: &deadpool_postgres::Transaction<'_>,
    kind: &str,
    id: &str,
) -> anyhow::Result<()> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &format!("{kind}\t{id}")],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// Record bytes (versioned JSON) as a jsonb value.
pub(super) fn json(bytes: &[u8]) -> anyhow::Result<serde_json::Value> {
    Ok(serde_json::from_slice(bytes)?)
}

/// A jsonb value back to record bytes.
pub(super) fn bytes(value: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    Ok(serde_json::to_vec(value)?)
}

pub(super) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
