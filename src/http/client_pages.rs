//! `GET /admin/clients`: the registered clients a page at a time, in id order, with an RFC 8288
//! `Link` to the next page. The cost of a page does not grow with the number of clients stored.

use http::{HeaderValue, Response, StatusCode, header};
use serde::Deserialize;

use super::AppState;
use super::admin::ClientView;
use super::error::{Body, Rejection};
use super::request::{MAX_PAGE, page_limit};
use super::response::json_no_store;
use crate::domain::{ClientPage, OAuthError};

/// `?limit=N` (1–1000, default 1000), `?after=ID` (the last id of the previous page),
/// `?prefix=P` (ids starting with P); each at most once.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<String>,
    after: Option<String>,
    prefix: Option<String>,
}

pub fn list(state: &AppState, query: Option<&str>) -> Result<Response<Body>, Rejection> {
    let query: PageQuery = match query {
        None => PageQuery::default(),
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| {
            OAuthError::invalid_request("the query takes limit, after and prefix, each once")
        })?,
    };
    let limit = page_limit(query.limit.as_deref(), MAX_PAGE)?;
    let prefix = query.prefix.as_deref().unwrap_or_default();
    let after = query.after.as_deref().unwrap_or_default();
    let ClientPage { clients, more } = state.registry.page(prefix, after, limit)?;
    let views: Vec<ClientView> = clients.iter().map(ClientView::from).collect();
    let mut response = json_no_store(StatusCode::OK, &views);
    let next = clients.last().filter(|_| more).and_then(|last| {
        let query = serde_urlencoded::to_string([
            ("limit", limit.to_string().as_str()),
            ("after", last.id.as_str()),
            ("prefix", prefix),
        ])
        .ok()?;
        HeaderValue::try_from(format!("</admin/clients?{query}>; rel=\"next\"")).ok()
    });
    if let Some(link) = next {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}
