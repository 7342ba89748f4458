//! The console's client pages: a searchable, paged list (one range read per page, whatever the
//! number of clients), registration and secret rotation (the secret shown once, in the POST's
//! own answer), disabling, enabling and removal with a confirmation page.

use http::{Response, StatusCode};
use maud::{Markup, html};

use super::forms::Form;
use super::{Ctx, views};
use crate::domain::federation::parse_subjects;
use crate::domain::keys::SigningAlg;
use crate::domain::registration::TlsAuthRequest;
use crate::domain::{
    AdminError, Client, ClientId, ClientRequest, ClientSecret, GrantType, NewClient,
};
use crate::http::client_cert::certificate_der;
use crate::http::error::Rejection;
use crate::http::response::Body;

/// Clients on one page of the list.
const PAGE: usize = 50;

pub async fn route(
    ctx: &Ctx<'_>,
    seg: &[&str],
    form: Option<Form>,
    query: Option<&str>,
) -> Result<Response<Body>, Rejection> {
    match (seg, form) {
        ([], None) => list(ctx, &Form::query(query)),
        ([], Some(form)) => create(ctx, &form).await,
        (["new"], None) => Ok(page(ctx, "Register a client", new_form(ctx))),
        ([id], None) => show(ctx, &ClientId::parse(id)?),
        ([id, "rotate"], Some(form)) => rotate(ctx, &ClientId::parse(id)?, &form).await,
        ([id, action @ ("disable" | "enable")], Some(_)) => {
            let id = ClientId::parse(id)?;
            let outcome = ctx
                .state
                .registry
                .set_disabled(&id, *action == "disable")
                .await;
            ctx.audit(&format!("client.{action}"), id.as_str(), outcome.is_ok());
            outcome?;
            Ok(views::redirect_to(format!(
                "/console/clients/{}",
                views::escape(id.as_str())
            )))
        }
        ([id, "remove"], None) => confirm_removal(ctx, &ClientId::parse(id)?),
        ([id, "remove"], Some(_)) => {
            let id = ClientId::parse(id)?;
            let outcome = ctx.state.registry.remove(&id).await;
            ctx.audit("client.remove", id.as_str(), outcome.is_ok());
            outcome?;
            Ok(views::redirect("/console/clients"))
        }
        _ => Err(Rejection::NotFound),
    }
}

fn page(ctx: &Ctx<'_>, title: &str, body: Markup) -> Response<Body> {
    views::html_response(
        StatusCode::OK,
        views::layout(title, Some(&ctx.session), body),
    )
}

/// `?prefix=` (ids starting with it) and `?after=` (the last id of the previous page).
fn list(ctx: &Ctx<'_>, query: &Form) -> Result<Response<Body>, Rejection> {
    let prefix = query.get("prefix");
    let found = ctx.state.registry.page(prefix, query.get("after"), PAGE)?;
    let (clients, more) = (found.clients, found.more);
    let next = clients.last().filter(|_| more).and_then(|last| {
        serde_urlencoded::to_string([("prefix", prefix), ("after", last.id.as_str())]).ok()
    });
    let body = html! {
        p { a href="/console/clients/new" { "Register a client" } }
        form method="get" action="/console/clients" role="search" {
            label for="prefix" { "Client id starts with " }
            input id="prefix" name="prefix" type="search" value=(prefix);
            " "
            button type="submit" { "Search" }
        }
        table {
            caption { @if clients.is_empty() { "No clients match." } @else { "Clients, by id" } }
            thead { tr { th scope="col" { "Client id" } th scope="col" { "Audiences" } th scope="col" { "Scopes" } th scope="col" { "Algorithm" } th scope="col" { "State" } } }
            tbody {
                @for c in &clients {
                    tr {
                        td { a href={ "/console/clients/" (views::escape(c.id.as_str())) } { (c.id.as_str()) } }
                        td { (audiences(c)) }
                        td { (c.scopes) }
                        td { (c.alg.as_str()) }
                        td { @if c.disabled { "disabled" } @else { "enabled" } }
                    }
                }
            }
        }
        @if let Some(next) = next {
            p { a href={ "/console/clients?" (next) } rel="next" { "Next page" } }
        }
    };
    Ok(page(ctx, "Clients", body))
}

fn audiences(c: &Client) -> String {
    c.audiences
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn new_form(ctx: &Ctx<'_>) -> Markup {
    let policy = ctx.state.registry.policy();
    html! {
        form.stack method="post" action="/console/clients" {
            (views::csrf(&ctx.session))
            label for="client_id" { "Client id" }
            input id="client_id" name="client_id" type="text" required maxlength="128";
            label for="audiences" { "Audiences (one per line)" }
            textarea id="audiences" name="audiences" rows="3" required {}
            label for="scopes" { "Scopes (separated by spaces)" }
            input id="scopes" name="scopes" type="text";
            fieldset {
                legend { "Grants" }
                @for grant in GrantType::ALL {
                    input id={ "grant-" (grant.as_str()) } name="grants" type="checkbox" value=(grant.as_str())
                        checked[grant == GrantType::ClientCredentials];
                    label for={ "grant-" (grant.as_str()) } { " " (grant.as_str()) " " }
                }
            }
            label for="token_ttl" { "Token lifetime (seconds)" }
            input id="token_ttl" name="token_ttl" type="number" min="1"
                max=(policy.max_token_ttl) value=(policy.default_token_ttl);
            label for="alg" { "Signing algorithm" }
            select id="alg" name="alg" {
                @for alg in ctx.state.issuer.keys().policy().algorithms.iter() {
                    option value=(alg.as_str()) selected[alg == SigningAlg::default()] { (alg.as_str()) }
                }
            }
            label for="federated" { "Federated subjects (NAME=SUBJECT, one per line; none: a secret)" }
            textarea id="federated" name="federated" rows="2" {}
            div {
                input id="dpop_bound" name="dpop_bound" type="checkbox" value="on";
                label for="dpop_bound" { " Tokens only with a DPoP proof (DPoP-bound)" }
            }
            fieldset {
                legend { "Mutual TLS (RFC 8705), instead of a secret" }
                label for="tls_subject_dn" { "Certificate subject DN under the client CA (tls_client_auth), RFC 4514" }
                input id="tls_subject_dn" name="tls_subject_dn" type="text" maxlength="1024" placeholder="CN=svc,O=Example";
                label for="tls_certificate" { "Or the client's own certificate, PEM (self_signed_tls_client_auth)" }
                textarea id="tls_certificate" name="tls_certificate" rows="4" {}
            }
            button type="submit" { "Register" }
        }
    }
}

async fn create(ctx: &Ctx<'_>, form: &Form) -> Result<Response<Body>, Rejection> {
    let ttl =
        match form.get("token_ttl") {
            "" => None,
            raw => Some(raw.parse().map_err(|_| {
                AdminError::invalid("the token lifetime must be a number of seconds")
            })?),
        };
    let (audiences, scopes, grants) = (
        form.words("audiences"),
        form.words("scopes"),
        form.words("grants"),
    );
    let jwks: Option<serde_json::Value> = match form.get("jwks").trim() {
        "" => None,
        raw => Some(
            serde_json::from_str(raw)
                .map_err(|_| AdminError::invalid("the JWK Set is not JSON"))?,
        ),
    };
    let nonempty = |name| Some(form.get(name)).filter(|v| !v.trim().is_empty());
    let certificate = nonempty("tls_certificate")
        .map(certificate_der)
        .transpose()?;
    let request = ClientRequest {
        client_id: form.get("client_id"),
        audiences: &audiences,
        scopes: &scopes,
        grants: Some(&grants),
        token_ttl: ttl,
        alg: Some(form.get("alg")).filter(|a| !a.is_empty()),
        jwks: jwks.as_ref(),
        jwks_uri: Some(form.get("jwks_uri").trim()).filter(|u| !u.is_empty()),
        federated: &parse_subjects(form.get("federated").lines().filter(|l| !l.is_empty()))?,
        dpop_bound: form.has("dpop_bound"),
        tls: TlsAuthRequest {
            subject_dn: nonempty("tls_subject_dn"),
            certificate: certificate.as_deref(),
            ..TlsAuthRequest::default()
        },
    };
    let registry = &ctx.state.registry;
    let algorithms = ctx.state.issuer.keys().policy().algorithms;
    let new = NewClient::parse(&request, registry.policy(), algorithms)?;
    let outcome = match ctx
        .state
        .federation
        .check_binding(new.auth_method.federated_subjects())
    {
        Ok(()) => registry.register(new, ctx.now).await,
        Err(refused) => Err(refused),
    };
    ctx.audit("client.add", request.client_id, outcome.is_ok());
    match outcome? {
        (client, Some(secret)) => Ok(secret_page(ctx, "Client registered", &client, &secret)),
        // A client with a TLS method has no secret to show.
        (client, None) => Ok(views::redirect_to(format!(
            "/console/clients/{}",
            views::escape(client.id.as_str())
        ))),
    }
}

/// The secret, once: in this answer to the POST, never in a URL or a later page.
fn secret_page(
    ctx: &Ctx<'_>,
    title: &str,
    client: &Client,
    secret: &ClientSecret,
) -> Response<Body> {
    let body = html! {
        p.notice role="status" {
            "This is the only time the secret of " strong { (client.id.as_str()) } " is shown: copy it now."
        }
        label for="secret" { "Client secret" }
        input.secret id="secret" type="text" readonly autocomplete="off" value=(secret.expose());
        " "
        button type="button" data-copy="secret" hidden { "Copy" }
        p { a.done href={ "/console/clients/" (views::escape(client.id.as_str())) } { "Done: back to " (client.id.as_str()) } }
    };
    page(ctx, title, body)
}

fn show(ctx: &Ctx<'_>, id: &ClientId) -> Result<Response<Body>, Rejection> {
    let client = ctx.state.registry.get(id)?.ok_or(Rejection::NotFound)?;
    let base = format!("/console/clients/{}", views::escape(id.as_str()));
    let body = html! {
        dl {
            dt { "Audiences" } dd { (audiences(&client)) }
            dt { "Scopes" } dd { (client.scopes) }
            dt { "Grants" } dd { (client.grants.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" ")) }
            dt { "Token lifetime" } dd { (client.token_ttl) " s" }
            dt { "Signing algorithm" } dd { (client.alg.as_str()) }
            dt { "DPoP" } dd { @if client.dpop_bound { "required (DPoP-bound tokens only)" } @else { "optional" } }
            dt { "Registered" } dd { (views::when(client.created_at.as_secs())) }
            dt { "State" } dd { @if client.disabled { "disabled" } @else { "enabled" } }
            dt { "Authentication" } dd { (client.auth_method) }
            @for s in client.auth_method.federated_subjects() {
                dt { "Federated subject" } dd { (s.trust) "=" (s.subject) }
            }
            @if let Some((_, until)) = client.previous_secret {
                dt { "Previous secret works until" } dd { (views::when(until.as_secs())) }
            }
        }
        @if client.auth_method.uses_secret() {
            h2 { "Rotate the secret" }
            form.stack method="post" action={ (base) "/rotate" } {
                (views::csrf(&ctx.session))
                label for="grace_secs" { "Seconds the old secret keeps working" }
                input id="grace_secs" name="grace_secs" type="number" min="0" max=(ctx.state.registry.policy().max_token_ttl) value="0";
                button type="submit" { "Rotate secret" }
            }
        }
        h2 { "State" }
        @if client.disabled {
            (views::post_button(&ctx.session, &format!("{base}/enable"), "Enable"))
        } @else {
            (views::post_button(&ctx.session, &format!("{base}/disable"), "Disable"))
        }
        " "
        a href={ (base) "/remove" } { "Remove this client…" }
    };
    Ok(page(ctx, &format!("Client {}", id.as_str()), body))
}

async fn rotate(ctx: &Ctx<'_>, id: &ClientId, form: &Form) -> Result<Response<Body>, Rejection> {
    let grace = match form.get("grace_secs") {
        "" => 0,
        raw => raw
            .parse()
            .map_err(|_| AdminError::invalid("the grace period must be a number of seconds"))?,
    };
    let grace = ctx.state.registry.policy().grace(grace)?;
    let outcome = ctx.state.registry.rotate_secret(id, grace, ctx.now).await;
    ctx.audit("client.rotate_secret", id.as_str(), outcome.is_ok());
    let (client, secret) = outcome?;
    Ok(secret_page(ctx, "Secret rotated", &client, &secret))
}

fn confirm_removal(ctx: &Ctx<'_>, id: &ClientId) -> Result<Response<Body>, Rejection> {
    ctx.state.registry.get(id)?.ok_or(Rejection::NotFound)?;
    let base = format!("/console/clients/{}", views::escape(id.as_str()));
    let body = html! {
        p { "Removing " strong { (id.as_str()) } ": it cannot authenticate again, and this cannot be undone." }
        form.inline method="post" action={ (base) "/remove" } {
            (views::csrf(&ctx.session))
            button.danger type="submit" { "Remove " (id.as_str()) }
        }
        " "
        a href=(base) { "Cancel" }
    };
    Ok(page(ctx, "Remove a client?", body))
}
