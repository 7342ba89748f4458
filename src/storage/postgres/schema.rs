//! The schema: versioned migrations embedded in the binary, applied at start under the startup
//! advisory lock so instances starting together apply each one once.
//!
//! Domain records are stored as the same versioned JSON the sled engine writes (jsonb, keyed by
//! id): a record gaining a field needs no migration.

use super::db;

/// `pg_advisory_lock` key of the startup (ASCII "tokdeal1").
pub(super) const STARTUP_LOCK: i64 = 0x746f_6b64_6561_6c31;
/// `pg_advisory_lock` key every change of the key set holds (ASCII "tokdkeys").
pub(super) const KEY_CHANGE_LOCK: i64 = 0x746f_6b64_6b65_7973;

/// Each migration once, in order; never edit one that shipped, add the next.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r"
CREATE TABLE td_clients (id text PRIMARY KEY, record jsonb NOT NULL);
CREATE TABLE td_directory (
    kind text NOT NULL,
    name text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE SEQUENCE td_directory_ids START 1;
CREATE TABLE td_key_records (kid text PRIMARY KEY, record jsonb NOT NULL);
CREATE TABLE td_key_material (
    kid text PRIMARY KEY,
    nonce bytea NOT NULL,
    sealed bytea NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE td_revoked (jti text PRIMARY KEY, exp bigint NOT NULL, record jsonb NOT NULL);
CREATE INDEX td_revoked_exp ON td_revoked (exp);
CREATE TABLE td_lockout (key text PRIMARY KEY, since bigint NOT NULL, failures integer NOT NULL);
CREATE INDEX td_lockout_since ON td_lockout (since);
CREATE TABLE td_leases (name text PRIMARY KEY, holder text NOT NULL, until bigint NOT NULL);
CREATE TABLE td_bootstrap (done boolean PRIMARY KEY, at bigint NOT NULL);
",
    ),
    (
        2,
        r"
CREATE TABLE td_operators (name text PRIMARY KEY, record jsonb NOT NULL);
",
    ),
    (
        3,
        r"
CREATE INDEX td_revoked_client ON td_revoked ((record->>'client_id'));
",
    ),
    (
        4,
        r"
CREATE TABLE td_single_use (
    namespace text NOT NULL,
    id text NOT NULL,
    expires bigint NOT NULL,
    PRIMARY KEY (namespace, id)
);
CREATE INDEX td_single_use_expires ON td_single_use (expires);
",
    ),
    (
        6,
        r"
CREATE TABLE td_trusted_issuers (name text PRIMARY KEY, issuer text NOT NULL UNIQUE, record jsonb NOT NULL);
CREATE TABLE td_federated_subjects (
    trust text NOT NULL REFERENCES td_trusted_issuers (name),
    subject text NOT NULL,
    client_id text NOT NULL REFERENCES td_clients (id) ON DELETE CASCADE,
    PRIMARY KEY (trust, subject)
);
CREATE INDEX td_federated_subjects_client ON td_federated_subjects (client_id);
",
    ),
    (
        7,
        r"
ALTER TABLE td_single_use ADD COLUMN owner text NOT NULL DEFAULT '';
CREATE INDEX td_single_use_owner ON td_single_use (owner, expires);
",
    ),
];

/// Applies every migration newer than the database. The caller holds the startup lock.
pub(super) async fn migrate(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS td_schema_migrations (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(db)?;
    let applied: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM td_schema_migrations",
            &[],
        )
        .await
        .map_err(db)?
        .try_get(0)?;
    let newest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    anyhow::ensure!(
        applied <= newest,
        "the database schema is version {applied}, newer than this tokendealer knows ({newest}): upgrade tokendealer"
    );
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        client
            .batch_execute(&format!(
                "BEGIN; {sql}; INSERT INTO td_schema_migrations (version) VALUES ({version}); COMMIT;"
            ))
            .await
            .map_err(db)?;
        tracing::info!(version, "applied a database migration");
    }
    Ok(())
}
