//! CORS on the JWKS and the metadata document, and on nothing else.

use reqwest::{Method, RequestBuilder, Response};

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_public_documents_answer_cross_origin_requests_and_preflights() {
    let app = spawn_app().await;
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    ] {
        for method in [Method::GET, Method::HEAD] {
            let r = app.http.request(method.clone(), app.url(path));
            let r = r
                .header("origin", "https://spa.example")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{method} {path}");
            assert_eq!(
                r.headers()["access-control-allow-origin"],
                "*",
                "{method} {path}"
            );
        }
        let preflight = |headers: Option<&'static str>| {
            let r = app.http.request(Method::OPTIONS, app.url(path));
            let r = r
                .header("origin", "https://spa.example")
                .header("access-control-request-method", "GET");
            match headers {
                Some(h) => r.header("access-control-request-headers", h),
                None => r,
            }
            .send()
        };
        let r = preflight(Some("x-requested-with, if-none-match"))
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{path}");
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], "*");
        assert_eq!(h["access-control-allow-methods"], "GET, HEAD, OPTIONS");
        assert_eq!(
            h["access-control-allow-headers"],
            "x-requested-with, if-none-match"
        );
        assert!(
            h["access-control-max-age"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap()
                > 0
        );
        assert!(h.get("access-control-allow-credentials").is_none());
        let r = preflight(None).await.unwrap();
        assert_eq!(r.status(), 204);
        assert!(!r.headers()["access-control-allow-headers"].is_empty());
        let post = app.http.post(app.url(path)).send().await.unwrap();
        assert_eq!(post.status(), 405);
        assert_eq!(post.headers()["allow"], "GET, HEAD, OPTIONS");
    }
}

#[tokio::test]
async fn no_other_route_answers_cors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let origin = |r: RequestBuilder| r.header("origin", "https://spa.example");
    let requests = [
        origin(app.http.get(app.url("/healthz"))),
        origin(app.http.get(app.url("/admin/clients")).bearer_auth(&admin)),
        origin(app.http.get(app.url("/catalog")).bearer_auth(&admin)),
        origin(app.http.get(app.url("/keys/active"))),
        origin(
            app.http
                .post(app.url("/oauth/token"))
                .basic_auth(&app.admin_id, Some(&app.admin_secret)),
        )
        .form(&[("grant_type", "client_credentials")]),
    ];
    for request in requests {
        let r = request.send().await.unwrap();
        assert!(r.status().is_success(), "{} {}", r.url(), r.status());
        assert!(no_cors(&r), "{}", r.url());
    }
    for (path, allow) in [
        ("/oauth/token", "POST"),
        ("/oauth/introspect", "POST"),
        ("/oauth/revoke", "POST"),
        ("/healthz", "GET, HEAD"),
    ] {
        let r = origin(app.http.request(Method::OPTIONS, app.url(path)))
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{path}");
        assert_eq!(r.headers()["allow"], allow, "{path}");
        assert!(no_cors(&r), "{path}");
    }
}

fn no_cors(r: &Response) -> bool {
    !r.headers()
        .keys()
        .any(|k| k.as_str().starts_with("access-control-"))
}
