//! The listener: one connection of its own on LISTEN, applying every announced change to the
//! cache; reconnects with back-off after a loss, and reloads everything once back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{CHANNEL, PgStore};

/// Notifications waiting to be applied; past this the listener reloads everything instead.
const QUEUE: usize = 4096;
/// How often the listener checks its connection is alive.
const PING_EVERY: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

pub(super) fn start(store: PgStore, config: tokio_postgres::Config, tls: MakeRustlsConnect) {
    tokio::spawn(async move {
        let stop = store.inner.stop.clone();
        let mut backoff = Duration::from_millis(100);
        loop {
            let session = listen(&store, &config, &tls);
            tokio::select! {
                () = stop.cancelled() => return,
                ended = session => {
                    store.cache().set_connected(false);
                    if let Err(e) = ended {
                        tracing::warn!(error = format!("{e:#}"), "lost the database listener; reconnecting");
                    }
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    });
}

/// One listening session: returns when its connection is lost.
async fn listen(
    store: &PgStore,
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
) -> anyhow::Result<()> {
    let (client, mut connection) = config.connect(tls.clone()).await?;
    let (tx, mut rx) = mpsc::channel::<(String, String)>(QUEUE);
    let overflow = Arc::new(AtomicBool::new(false));
    let overflowed = overflow.clone();
    let mut forward = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    let (kind, id) = n.payload().split_once('\t').unwrap_or((n.payload(), ""));
                    if tx.try_send((kind.to_owned(), id.to_owned())).is_err() {
                        overflowed.store(true, Ordering::Relaxed);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(anyhow::Error::new(e)),
                None => return Ok(()),
            }
        }
    });
    let session = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        let turn = store.cache().turn.lock().await;
        store.cache().reload(&client).await?;
        drop(turn);
        store.inner.key_changes.send_modify(|n| *n += 1);
        store.cache().set_connected(true);
        tracing::debug!("listening for database changes");
        let mut ping = tokio::time::interval(PING_EVERY);
        loop {
            tokio::select! {
                msg = rx.recv() => {
                    let Some((kind, id)) = msg else { return anyhow::Ok(()) };
                    let _turn = store.cache().turn.lock().await;
                    if overflow.swap(false, Ordering::Relaxed) {
                        store.cache().reload(&client).await?;
                        store.inner.key_changes.send_modify(|n| *n += 1);
                        continue;
                    }
                    store.cache().apply(&client, &kind, &id).await?;
                    if kind == "keys" {
                        store.inner.key_changes.send_modify(|n| *n += 1);
                    }
                }
                _ = ping.tick() => {
                    tokio::time::timeout(PING_EVERY, client.simple_query("SELECT 1"))
                        .await
                        .map_err(|_| anyhow::anyhow!("the database did not answer a ping"))??;
                }
            }
        }
    };
    let result = tokio::select! {
        r = session => r,
        r = &mut forward => r.map_err(anyhow::Error::new).and_then(|r| r),
    };
    forward.abort();
    result
}
