//! What the first start on an empty store creates: the admin client and the console operator
//! `admin`, their credentials in a file only the owner can read.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;

use super::{ADMIN_CREDENTIALS_FILE, BOOTSTRAP_ADMIN_ID};
use crate::domain::keys::SigningAlg;
use crate::domain::operators::{BOOTSTRAP_OPERATOR, Operators, random_password};
use crate::domain::users::{Name, NewPassword, Users};
use crate::domain::{
    ADMIN_AUDIENCE, ADMIN_SCOPE, ClientId, ClientRegistry, GrantType, NewClient, ScopeSet, UnixTime,
};
use crate::http;

/// Creates the admin client and writes its credentials, mode 0600, to the data dir.
pub(super) async fn bootstrap_admin(
    registry: &ClientRegistry,
    data_dir: &Path,
    issuer: &str,
    now: UnixTime,
) -> anyhow::Result<()> {
    let new = NewClient {
        id: ClientId::parse(BOOTSTRAP_ADMIN_ID)?,
        audiences: vec![crate::domain::Audience::parse(ADMIN_AUDIENCE)?],
        scopes: ScopeSet::parse(ADMIN_SCOPE)?,
        grants: vec![GrantType::ClientCredentials],
        token_ttl: 3600,
        alg: SigningAlg::default(),
        auth_method: Default::default(),
        dpop_bound: false,
    };
    let (client, secret) = registry.register(new, now).await?;
    let path = data_dir.join(ADMIN_CREDENTIALS_FILE);
    let doc = serde_json::json!({
        "client_id": client.id.as_str(),
        "client_secret": secret.expose(),
        "audience": ADMIN_AUDIENCE,
        "scope": ADMIN_SCOPE,
        "token_endpoint": http::endpoint_url(issuer, "/oauth/token"),
    });
    write_private(&path, &serde_json::to_vec_pretty(&doc)?)?;
    tracing::info!(path = %path.display(), client_id = BOOTSTRAP_ADMIN_ID, "created the bootstrap admin client; its credentials are in this file");
    Ok(())
}

/// Creates the console operator `admin` with a random password and adds its credentials to the
/// credentials file (created 0600 if absent), beside the admin client's.
pub(super) async fn bootstrap_operator(
    operators: &Operators,
    users: &Users,
    data_dir: &Path,
    issuer: &str,
    now: UnixTime,
) -> anyhow::Result<()> {
    let password = random_password();
    let name = Name::parse(BOOTSTRAP_OPERATOR)?;
    operators
        .add(&name, &NewPassword::parse(&password, 0)?, users, now)
        .await
        .map_err(|e| anyhow::anyhow!("creating the bootstrap console operator: {e}"))?;
    let path = data_dir.join(ADMIN_CREDENTIALS_FILE);
    let mut doc = match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::json!({}),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if let Some(fields) = doc.as_object_mut() {
        fields.insert("console_user".into(), BOOTSTRAP_OPERATOR.into());
        fields.insert("console_password".into(), password.into());
        fields.insert(
            "console_url".into(),
            http::endpoint_url(issuer, "/console").into(),
        );
    }
    write_private(&path, &serde_json::to_vec_pretty(&doc)?)?;
    tracing::info!(path = %path.display(), operator = BOOTSTRAP_OPERATOR, "created the bootstrap console operator; its password is in this file");
    Ok(())
}

/// Points the credentials file's URLs at `issuer` when the data dir has one that names another
/// (the dealer moved to TLS, or to another address): the admin commands and the operator read
/// them. Nothing else in the file changes; a data dir without the file is left alone.
pub(super) fn refresh_credentials_urls(data_dir: &Path, issuer: &str) -> anyhow::Result<()> {
    let path = data_dir.join(ADMIN_CREDENTIALS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut doc: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?;
    let Some(fields) = doc.as_object_mut() else {
        return Ok(());
    };
    let mut changed = false;
    for (field, endpoint) in [
        ("token_endpoint", "/oauth/token"),
        ("console_url", "/console"),
    ] {
        let url = http::endpoint_url(issuer, endpoint);
        if let Some(old) = fields.get_mut(field).filter(|old| **old != *url) {
            *old = url.into();
            changed = true;
        }
    }
    if changed {
        write_private(&path, &serde_json::to_vec_pretty(&doc)?)?;
        tracing::info!(path = %path.display(), %issuer, "the credentials file's URLs now name this issuer");
    }
    Ok(())
}

/// Creates `dir` if needed and makes it readable by its owner only: it holds credentials.
pub(super) fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating data dir {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting data dir {}", dir.display()))
}

/// Writes `bytes` to `path` (mode 0600) through a temporary file renamed over it: a crash
/// mid-write leaves the old credentials whole, never half a file.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
