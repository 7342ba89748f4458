//! The console's signing-key page: every key with its state and times, rotation (one algorithm
//! or all) and retirement, through the same key manager as `/admin/keys`.

use http::{Method, Response, StatusCode};
use maud::html;

use super::forms::Form;
use super::{Ctx, views};
use crate::domain::keys::SigningAlg;
use crate::domain::{AdminError, OAuthError};
use crate::http::error::{Body, Rejection};

pub async fn route(
    ctx: &Ctx<'_>,
    seg: &[&str],
    form: Option<Form>,
) -> Result<Response<Body>, Rejection> {
    let keys = ctx.state.issuer.keys();
    match (seg, form) {
        ([], None) => list(ctx),
        (["rotate"], Some(form)) => {
            let algs = match form.get("alg") {
                "" | "all" => keys.policy().algorithms.iter().collect(),
                raw => vec![
                    SigningAlg::parse(raw)
                        .ok_or_else(|| OAuthError::invalid_request("unknown algorithm"))?,
                ],
            };
            // The admin API's rule: a new key is published first and signs when due, unless
            // the operator asks for now (or retires the previous key, which implies now).
            let outcome = if form.has("now") || form.has("retire_previous") {
                keys.rotate_algs(&algs, ctx.now, form.has("retire_previous"))
                    .await
            } else {
                keys.schedule_rotation(&algs, ctx.now).await
            };
            ctx.audit(
                &Method::POST,
                &["keys", "rotate"],
                form.get("alg"),
                outcome.is_ok(),
            );
            outcome?;
            Ok(views::redirect("/console/keys"))
        }
        ([kid, "retire"], Some(_)) => {
            let outcome = keys.retire(kid, ctx.now).await;
            ctx.audit(
                &Method::POST,
                &["keys", kid, "retire"],
                kid,
                outcome.is_ok(),
            );
            outcome?.ok_or_else(|| AdminError::NotFound(format!("no key {kid} in the key set")))?;
            Ok(views::redirect("/console/keys"))
        }
        _ => Err(Rejection::NotFound),
    }
}

fn list(ctx: &Ctx<'_>) -> Result<Response<Body>, Rejection> {
    let keys = ctx.state.issuer.keys().list()?;
    // The state's fields as the admin API shows them (`state`, and its times).
    let rows: Vec<(
        String,
        String,
        u64,
        serde_json::Map<String, serde_json::Value>,
    )> = keys
        .iter()
        .map(|k| {
            let mut state = match serde_json::to_value(k) {
                Ok(serde_json::Value::Object(map)) => map,
                _ => serde_json::Map::new(),
            };
            for shown in ["kid", "alg", "created_at"] {
                state.remove(shown);
            }
            (k.kid.clone(), k.alg.clone(), k.created_at, state)
        })
        .collect();
    let body = html! {
        table {
            caption { "Signing keys" }
            thead { tr { th scope="col" { "Key id" } th scope="col" { "Algorithm" } th scope="col" { "Created" } th scope="col" { "State" } th scope="col" { "Action" } } }
            tbody {
                @for (kid, alg, created, state) in &rows {
                    tr {
                        td { code { (kid) } }
                        td { (alg) }
                        td { (views::when(*created)) }
                        td {
                            strong { (state.get("state").and_then(|s| s.as_str()).unwrap_or("")) }
                            @for (name, value) in state.iter().filter(|(name, _)| *name != "state") {
                                br; (name) ": " (describe(name, value))
                            }
                        }
                        td {
                            @if state.get("state").and_then(|s| s.as_str()) != Some("retired") {
                                form.inline method="post" action={ "/console/keys/" (views::escape(kid)) "/retire" } {
                                    (views::csrf(&ctx.session))
                                    button type="submit" aria-label={ "Retire key " (kid) } { "Retire" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Rotate" }
        form.stack method="post" action="/console/keys/rotate" {
            (views::csrf(&ctx.session))
            label for="alg" { "Algorithm" }
            select id="alg" name="alg" {
                option value="all" { "every algorithm" }
                @for alg in ctx.state.issuer.keys().policy().algorithms.iter() {
                    option value=(alg.as_str()) { (alg.as_str()) }
                }
            }
            p { "A new key is published in the key set first and signs once verifiers' caches know it (" (ctx.state.issuer.keys().policy().prepublish) " s)." }
            div {
                input id="now" name="now" type="checkbox" value="1";
                label for="now" { " Sign with the new key now (an emergency: verifiers with a cached key set refuse its tokens until they refetch)" }
            }
            div {
                input id="retire_previous" name="retire_previous" type="checkbox" value="1";
                label for="retire_previous" { " Retire the replaced keys at once (tokens they signed stop verifying)" }
            }
            button type="submit" { "Rotate" }
        }
    };
    Ok(views::html_response(
        StatusCode::OK,
        views::layout("Keys", Some(&ctx.session), body),
    ))
}

/// A state field: times (`..._at`, `until`) as dates, the rest as given.
fn describe(name: &str, value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Number(n)
            if name.ends_with("_at") || matches!(name, "at" | "since" | "until") =>
        {
            n.as_u64().map_or_else(|| n.to_string(), views::when)
        }
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
