//! The console's client pages: a searchable, paged list (one range read per page, whatever the
//! number of clients), a client's page, secret rotation (the secret shown once, in the POST's
//! own answer), disabling, enabling and removal with a confirmation page. Registration:
//! `register`; how a client authenticates and the replacement of its keys: `auth`.

mod auth;
mod register;

use http::{Method, Response, StatusCode};
use maud::{Markup, html};

use super::forms::Form;
use super::{Ctx, views};
use crate::domain::{AdminError, Client, ClientId, ClientSecret};
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
        ([], Some(form)) => register::create(ctx, &form).await,
        (["new"], None) => Ok(page(ctx, "Register a client", register::form(ctx))),
        ([id], None) => show(ctx, &ClientId::parse(id)?),
        ([id, "rotate"], Some(form)) => rotate(ctx, &ClientId::parse(id)?, &form).await,
        ([id, "jwks"], Some(form)) => auth::set_jwks(ctx, &ClientId::parse(id)?, &form).await,
        ([id, action @ ("disable" | "enable")], Some(_)) => {
            let id = ClientId::parse(id)?;
            let outcome = ctx
                .state
                .registry
                .set_disabled(&id, *action == "disable")
                .await;
            let target = id.as_str();
            ctx.audit(
                &Method::POST,
                &["clients", target, action],
                target,
                outcome.is_ok(),
            );
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
            let target = id.as_str();
            ctx.audit(
                &Method::DELETE,
                &["clients", target],
                target,
                outcome.is_ok(),
            );
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
            (auth::describe(&client))
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
        (auth::replace_form(ctx, &client, &base))
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
    let target = id.as_str();
    ctx.audit(
        &Method::POST,
        &["clients", target, "rotate-secret"],
        target,
        outcome.is_ok(),
    );
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
