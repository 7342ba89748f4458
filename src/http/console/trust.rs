//! The console's trusted issuers (workload identity federation): the list, a form to trust
//! one (keys inline, from a `jwks_uri`, or discovered), and removal with a confirmation page.

use http::{Method, Response, StatusCode};
use maud::{Markup, html};

use super::forms::Form;
use super::{Ctx, views};
use crate::domain::federation::{IssuerKeys, NewTrustedIssuer, TrustName, TrustRequest};
use crate::http::error::Rejection;
use crate::http::response::Body;

pub async fn route(
    ctx: &Ctx<'_>,
    seg: &[&str],
    form: Option<Form>,
) -> Result<Response<Body>, Rejection> {
    match (seg, form) {
        ([], None) => list(ctx),
        ([], Some(form)) => add(ctx, &form).await,
        ([name, "remove"], None) => {
            let name = TrustName::parse(name)?;
            ctx.state
                .federation
                .get(&name)?
                .ok_or(Rejection::NotFound)?;
            Ok(page(ctx, "Stop trusting an issuer?", confirm(ctx, &name)))
        }
        ([name, "remove"], Some(_)) => {
            let name = TrustName::parse(name)?;
            let outcome = ctx.state.federation.remove(&name).await;
            ctx.audit(
                &Method::DELETE,
                &["trust", name.as_str()],
                name.as_str(),
                outcome.is_ok(),
            );
            outcome?;
            Ok(views::redirect("/console/trust"))
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

fn keys(keys: &IssuerKeys) -> String {
    match keys {
        IssuerKeys::Inline { jwks } => {
            let n = jwks["keys"].as_array().map_or(0, Vec::len);
            format!("{n} key(s) given")
        }
        IssuerKeys::JwksUri { jwks_uri } => jwks_uri.clone(),
        IssuerKeys::Discovered => "discovered (OpenID configuration)".to_owned(),
    }
}

fn list(ctx: &Ctx<'_>) -> Result<Response<Body>, Rejection> {
    let trusted = ctx.state.federation.list()?;
    let body = html! {
        p { "Tokens of these issuers authenticate the clients bound to their subjects (a client's federated subjects)." }
        table {
            caption { @if trusted.is_empty() { "No issuer is trusted." } @else { "Trusted issuers, by name" } }
            thead { tr { th scope="col" { "Name" } th scope="col" { "Issuer" } th scope="col" { "Keys" } th scope="col" { "Audience" } th scope="col" { "" } } }
            tbody {
                @for t in &trusted {
                    tr {
                        td { (t.name) }
                        td { (t.issuer) }
                        td { (keys(&t.keys)) }
                        td { (t.audience) }
                        td { a href={ "/console/trust/" (views::escape(&t.name)) "/remove" } { "Remove…" } }
                    }
                }
            }
        }
        h2 { "Trust an issuer" }
        form.stack method="post" action="/console/trust" {
            (views::csrf(&ctx.session))
            label for="name" { "Name" }
            input id="name" name="name" type="text" required maxlength="64";
            label for="issuer" { "Issuer URL (exactly as its tokens' iss)" }
            input id="issuer" name="issuer" type="url" required;
            label for="jwks_uri" { "JWKS URL (empty: discovered, or the set below)" }
            input id="jwks_uri" name="jwks_uri" type="url";
            label for="jwks" { "JWK Set (public keys, JSON)" }
            textarea id="jwks" name="jwks" rows="3" {}
            label for="audience" { "Audience its tokens carry (empty: " (ctx.state.issuer.issuer()) ")" }
            input id="audience" name="audience" type="text";
            button type="submit" { "Trust" }
        }
    };
    Ok(page(ctx, "Trusted issuers", body))
}

async fn add(ctx: &Ctx<'_>, form: &Form) -> Result<Response<Body>, Rejection> {
    let given = |name| Some(form.get(name)).filter(|v| !v.is_empty());
    let request = TrustRequest {
        name: form.get("name"),
        issuer: form.get("issuer"),
        jwks: given("jwks"),
        jwks_uri: given("jwks_uri"),
        audience: given("audience"),
    };
    let outcome = match NewTrustedIssuer::parse(&request, ctx.state.issuer.issuer()) {
        Ok(new) => ctx.state.federation.add(new, ctx.now).await,
        Err(refused) => Err(refused),
    };
    ctx.audit(&Method::POST, &["trust"], request.name, outcome.is_ok());
    outcome?;
    Ok(views::redirect("/console/trust"))
}

fn confirm(ctx: &Ctx<'_>, name: &TrustName) -> Markup {
    let action = format!("/console/trust/{}/remove", views::escape(name.as_str()));
    html! {
        p { "Its tokens stop authenticating clients at once. A client still bound to one of its subjects must be removed first." }
        form.inline method="post" action=(action) {
            (views::csrf(&ctx.session))
            button.danger type="submit" { "Stop trusting " (name) }
        }
        " "
        a href="/console/trust" { "Cancel" }
    }
}
