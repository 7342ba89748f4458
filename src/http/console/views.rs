//! The console's shared HTML: the page layout with its navigation, message pages, redirects and
//! the two static files. Pages read top to bottom without the stylesheet; every control has a
//! `<label>`.

use std::borrow::Cow;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use maud::{DOCTYPE, Markup, html};

use super::super::error::Body;
use super::Session;

pub const CSS: &str = include_str!("static/console.css");
pub const JS: &str = include_str!("static/copy.js");

/// The navigation: path and label.
const NAV: &[(&str, &str)] = &[
    ("/console/clients", "Clients"),
    ("/console/keys", "Keys"),
    ("/console/trust", "Trusted issuers"),
    ("/console/directory/users", "Users"),
    ("/console/directory/roles", "Roles"),
    ("/console/directory/wfcs", "WFCs"),
    ("/console/directory/orgs", "Orgs"),
    ("/console/directory/ous", "Org units"),
    ("/console/directory/depts", "Departments"),
    ("/console/directory/services", "Service catalog"),
    ("/console/audit", "Audit"),
];

/// A whole page: `session` adds the navigation and the logout button.
pub fn layout(title: &str, session: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · tokendealer console" }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/copy.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    p.brand { "tokendealer console" }
                    @if let Some(session) = session {
                        nav aria-label="Console" {
                            ul {
                                @for (href, label) in NAV {
                                    li { a href=(href) { (label) } }
                                }
                            }
                        }
                        form.logout method="post" action="/console/logout" {
                            (csrf(session))
                            span { "Signed in as " strong { (session.operator) } " " }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden field every state-changing form carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A POST button in a form of its own, with the CSRF token.
pub fn post_button(session: &Session, action: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(session))
            button type="submit" { (label) }
        }
    }
}

pub fn html_response(status: StatusCode, markup: Markup) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(markup.into_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// A page with one message and a way back.
pub fn message(status: StatusCode, title: &str, text: &str) -> Response<Body> {
    let body = html! {
        p role="alert" { (text) }
        p { a href="/console/clients" { "Back to the console" } " · " a href="/console/login" { "Log in" } }
    };
    html_response(status, layout(title, None, body))
}

/// A refused or failed action, with the navigation when there is a session.
pub fn problem(status: StatusCode, text: &str, session: Option<&Session>) -> Response<Body> {
    let title = match status {
        StatusCode::BAD_REQUEST => "Not accepted",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::CONFLICT => "Conflict",
        s if s.is_server_error() => "The server could not do this",
        _ => "Refused",
    };
    let body = html! {
        p.error role="alert" { (text) }
        p { a href="/console/clients" { "Back to the console" } }
    };
    html_response(status, layout(title, session, body))
}

/// A POST without a valid CSRF token.
pub fn forbidden() -> Response<Body> {
    message(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form has expired or did not come from the console. Reload the page and try again.",
    )
}

/// 303 See Other: after a POST, the browser GETs `location` (which never holds a secret).
pub fn redirect(location: &'static str) -> Response<Body> {
    redirect_to(location.to_owned())
}

pub fn redirect_to(location: String) -> Response<Body> {
    let mut r = Response::new(Body::default());
    *r.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, value);
    }
    r
}

pub fn asset(text: &'static str, content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// `text` with every character that would not show as itself written as a `\u{…}` escape:
/// controls, bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069), zero-width and other
/// format characters, spaces other than U+0020 (Rust's `char::escape_debug` decides which),
/// and `\` doubled so an escape cannot be faked. For text anyone may have chosen (a name
/// presented at a failed login, an imported email): escaped HTML still reads reversed under a
/// right-to-left override.
pub fn visible(text: &str) -> Cow<'_, str> {
    let hidden =
        |c: char| c == '\\' || (!matches!(c, ' ' | '\'' | '"') && c.escape_debug().len() > 1);
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\\' => shown.push_str("\\\\"),
            c if hidden(c) => shown.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// A path segment, percent-encoded for a link.
pub fn escape(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A Unix time as `YYYY-MM-DD hh:mm:ss UTC`.
pub fn when(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn controls_bidi_and_invisible_characters_show_as_escapes() {
        use super::visible;
        assert_eq!(visible("alice"), "alice");
        assert_eq!(visible("José O'Brien \"q\""), "José O'Brien \"q\"");
        assert_eq!(visible("admin\u{202e}nimda"), "admin\\u{202e}nimda");
        assert_eq!(
            visible("a\u{2066}b\u{200b}c\u{feff}d\u{a0}e\u{7}f\ng"),
            "a\\u{2066}b\\u{200b}c\\u{feff}d\\u{a0}e\\u{7}f\\u{a}g"
        );
        assert_eq!(
            visible("x\\u{202e}"),
            "x\\\\u{202e}",
            "a typed escape is not a real one"
        );
        assert_eq!(visible("\\\u{202e}"), "\\\\\\u{202e}");
    }

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(super::when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::when(1_798_761_599), "2026-12-31 23:59:59 UTC");
    }
}
