//! `tokendealer import tokenleader --sqlite PATH [--dry-run]`: carries a tokenleader 1.8
//! database over through the admin API — organizations, org units, departments, roles, wfcs,
//! users with their Werkzeug password hashes, and the service catalog — and prints one JSON
//! summary. It never changes an entry tokendealer already has, so a second run changes nothing.

mod kind;
mod plan;
mod source;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::admin::AdminClient;
use plan::{Action, Existing, Kind};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a tokenleader 1.8 database: users keep their passwords (their Werkzeug hashes are
    /// replaced with argon2id at their first login).
    Tokenleader {
        /// tokenleader's SQLite file (its `SQLALCHEMY_DATABASE_URI`, `sqlite:////tmp/auth.db` by
        /// default). Opened read-only.
        #[arg(long)]
        sqlite: PathBuf,
        /// Read both sides and print what would be created, writing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// One kind's outcome. In a dry run `would_create` replaces `created`.
#[derive(Debug, Default, Serialize)]
struct KindSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    would_create: Option<Vec<String>>,
    already_present: Vec<String>,
    /// Already present with other values: left as tokendealer has them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    different: Vec<Different>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
struct Different {
    name: String,
    fields: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
struct Skipped {
    name: String,
    reason: String,
}

/// The printed summary: what was read, what happened, then each kind in creation order.
#[derive(Debug, Serialize)]
struct Summary {
    source: String,
    dry_run: bool,
    message: String,
    orgs: KindSummary,
    ous: KindSummary,
    depts: KindSummary,
    roles: KindSummary,
    wfcs: KindSummary,
    users: KindSummary,
    services: KindSummary,
}

impl AdminClient {
    pub async fn import(&self, cmd: &ImportCommand) -> anyhow::Result<()> {
        let ImportCommand::Tokenleader { sqlite, dry_run } = cmd;
        let db = {
            let path = sqlite.clone();
            tokio::task::spawn_blocking(move || source::read(&path)).await??
        };
        let existing = self.existing().await?;
        let plan = plan::plan(&db, &existing);
        let mut kinds = BTreeMap::new();
        let (mut created, mut skipped) = (0, 0);
        for (kind, actions) in plan {
            let summary = self.apply(kind, actions, *dry_run).await?;
            created += summary.created.as_ref().map_or(0, Vec::len);
            created += summary.would_create.as_ref().map_or(0, Vec::len);
            skipped += summary.skipped.len();
            kinds.insert(kind, summary);
        }
        let skipped = match skipped {
            0 => String::new(),
            n => format!("; {n} skipped (see \"skipped\")"),
        };
        let message = match (*dry_run, created) {
            (true, n) => format!("dry run, nothing written: {n} entries would be created{skipped}"),
            (false, 0) => {
                format!("nothing changed: everything importable was already present{skipped}")
            }
            (false, n) => format!("created {n} entries{skipped}"),
        };
        let mut kind = |k: Kind| kinds.remove(&k).unwrap_or_default();
        let summary = Summary {
            source: sqlite.display().to_string(),
            dry_run: *dry_run,
            message,
            orgs: kind(Kind::Org),
            ous: kind(Kind::Ou),
            depts: kind(Kind::Dept),
            roles: kind(Kind::Role),
            wfcs: kind(Kind::Wfc),
            users: kind(Kind::User),
            services: kind(Kind::Service),
        };
        crate::cli::admin::say(serde_json::to_string_pretty(&summary)?)
    }

    /// Every entry tokendealer has, by kind and name.
    async fn existing(&self) -> anyhow::Result<Existing> {
        let mut existing = Existing::new();
        for kind in Kind::ALL {
            let listed = self
                .call(Method::GET, &format!("/admin/{}", kind.resource()), None)
                .await?;
            let Value::Array(entries) = listed else {
                bail!("listing {} did not answer a JSON array", kind.resource());
            };
            let by_name = entries
                .into_iter()
                .filter_map(|e| Some((e.get(kind.name_key())?.as_str()?.to_owned(), e)))
                .collect();
            existing.insert(kind, by_name);
        }
        Ok(existing)
    }

    /// Creates what the plan says to, one request each. A refusal (4xx) skips that entry with
    /// the server's reason; a name taken meanwhile counts as present; anything else stops the
    /// import, and running it again finishes it.
    async fn apply(
        &self,
        kind: Kind,
        actions: Vec<Action>,
        dry_run: bool,
    ) -> anyhow::Result<KindSummary> {
        let mut summary = KindSummary::default();
        let mut created = Vec::new();
        for action in actions {
            match action {
                Action::Present { name, differs } => {
                    if !differs.is_empty() {
                        summary.different.push(Different {
                            name: name.clone(),
                            fields: differs,
                        });
                    }
                    summary.already_present.push(name);
                }
                Action::Skip { name, reason } => summary.skipped.push(Skipped { name, reason }),
                Action::Create { name, .. } if dry_run => created.push(name),
                Action::Create { name, body } => {
                    let (status, answer) = self
                        .call_status(Method::POST, &kind.create_path(), Some(body))
                        .await?;
                    let description = answer
                        .get("error_description")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if status.is_success() {
                        created.push(name);
                    } else if status == 409 && description.ends_with("already exists") {
                        summary.already_present.push(name);
                    } else if status.is_client_error() {
                        let reason = format!("tokendealer refused it: {description}");
                        summary.skipped.push(Skipped { name, reason });
                    } else {
                        bail!(
                            "creating {} {name}: HTTP {}: {description} (run the import again \
                             to finish it)",
                            kind.resource(),
                            status.as_u16()
                        );
                    }
                }
            }
        }
        if dry_run {
            summary.would_create = Some(created);
        } else {
            summary.created = Some(created);
        }
        Ok(summary)
    }
}
