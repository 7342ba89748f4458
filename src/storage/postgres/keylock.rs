//! The key-change lock: a session advisory lock, on a connection of its own, that every change
//! of the key set holds on every instance; taken, it re-reads the key records into the cache.

use deadpool_postgres::Object;

use super::cache::{load_keys, write};
use super::schema::KEY_CHANGE_LOCK;
use super::{PgStore, db};
use crate::domain::StoreUnavailable;
use crate::domain::ports::KeyChangeLock;

/// The connection whose session holds the lock.
struct Held(Option<Object>);

impl Drop for Held {
    /// Ends the session instead of unlocking and going back to the pool: the server releases a
    /// session's locks when it ends, whatever happened meanwhile, while a pooled session still
    /// holding the lock (an unlock cut short, a cancelled request) would stop every instance's
    /// key changes. The pool opens a new connection when it needs one; key changes are rare.
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(Object::take(conn));
        }
    }
}

impl PgStore {
    /// Takes the lock within the store's timeout (the server's `lock_timeout` bounds the wait
    /// too), then replaces the cached key records with the stored ones: the previous holder's
    /// writes are committed, but their notices may not have reached this instance yet.
    pub(super) async fn lock_key_changes(&self) -> anyhow::Result<KeyChangeLock> {
        let timeout = self.inner.timeout;
        let taking = async {
            // Wrapped before the lock is asked for: a wait cut short closes the session.
            let held = Held(Some(self.conn().await?));
            let conn = held
                .0
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("no connection"))?;
            conn.execute("SELECT pg_advisory_lock($1)", &[&KEY_CHANGE_LOCK])
                .await
                .map_err(db)?;
            let _turn = self.cache().turn.lock().await;
            *write(&self.cache().keys) = load_keys(conn).await?;
            anyhow::Ok(held)
        };
        match tokio::time::timeout(timeout, taking).await {
            Ok(held) => Ok(KeyChangeLock::held_by(held?)),
            Err(_) => Err(StoreUnavailable::new(format!(
                "another change of the keys held them for over {timeout:?}"
            ))
            .into()),
        }
    }
}
