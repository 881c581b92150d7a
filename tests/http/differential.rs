//! The outgoing check against a real router: every catalogued endpoint,
//! spelled the ways apps and attackers spell URLs, sent by reqwest to the
//! stand-in Fanvue API (axum's router) and read by `CallCheck`. Where the
//! stand-in routes a request to a scoped endpoint, the check must have
//! found that same endpoint; where it routes nothing, the check must not
//! refuse. Over real sockets on 127.0.0.1, bounded: a few thousand
//! requests.

use fanvue_scopes::client::CallCheck;
use fanvue_scopes::testing::StandIn;
use fanvue_scopes::{Endpoint, ScopeSet};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// One way to write a call: the method and the raw URL string.
struct Spelling {
    how: String,
    method: String,
    url: String,
}

/// The endpoint's path with its parameters filled: `fill(index)` for each.
fn path(endpoint: Endpoint, fill: &dyn Fn(usize) -> String) -> String {
    let mut param = 0;
    endpoint
        .path()
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                param += 1;
                fill(param - 1)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn spellings(endpoint: Endpoint, origin: &str, port: u16) -> Vec<Spelling> {
    let method = endpoint.method().to_owned();
    let id = |index: usize| format!("7d3f{index:04x}");
    let plain = path(endpoint, &id);
    let params = endpoint.path().matches('{').count();
    let mut out = Vec::new();
    let mut add = |how: &str, method: &str, url: String| {
        out.push(Spelling {
            how: how.to_owned(),
            method: method.to_owned(),
            url,
        });
    };
    add("plain", &method, format!("{origin}{plain}"));
    add(
        "query and fragment",
        &method,
        format!("{origin}{plain}?a=b#frag"),
    );
    add("trailing slash", &method, format!("{origin}{plain}/"));
    add("double slash", &method, format!("{origin}/{plain}"));
    add(
        "lowercase method",
        &method.to_lowercase(),
        format!("{origin}{plain}"),
    );
    if method == "GET" {
        add("HEAD", "HEAD", format!("{origin}{plain}"));
    }
    // Dot segments, raw and encoded, that a URL parser resolves.
    add("dot segment", &method, format!("{origin}/.{plain}"));
    add(
        "encoded dot segment",
        &method,
        format!("{origin}/%2e{plain}"),
    );
    add("dot-dot back", &method, format!("{origin}/x/..{plain}"));
    add(
        "encoded dot-dot back",
        &method,
        format!("{origin}/x/%2E%2e{plain}"),
    );
    // Case and encoding of the first static segment: routers compare raw.
    let first = plain.trim_start_matches('/');
    add(
        "uppercase",
        &method,
        format!("{origin}/{}", first.to_uppercase()),
    );
    if let Some(rest) = first.get(1..) {
        let encoded = format!("%{:02X}{rest}", first.as_bytes()[0]);
        add("encoded first byte", &method, format!("{origin}/{encoded}"));
    }
    // What the URL standard drops or rewrites.
    add("backslash", &method, format!("{origin}\\{first}"));
    add("tab", &method, format!("{origin}/\t{first}"));
    add("leading space", &method, format!(" {origin}{plain}"));
    add(
        "scheme-relative host",
        &method,
        format!("http:127.0.0.1:{port}{plain}"),
    );
    // (User info is left to the unit tests: reqwest turns it into a Basic
    // `Authorization` beside the bearer token, which the stand-in refuses.)
    add(
        "host trailing dot",
        &method,
        format!("http://127.0.0.1.:{port}{plain}"),
    );
    add(
        "hex host",
        &method,
        format!("http://0x7f.0.0.1:{port}{plain}"),
    );
    add(
        "zero-padded port",
        &method,
        format!("http://127.0.0.1:0{port}{plain}"),
    );
    // Each parameter empty, a dot segment, or holding a separator.
    for index in 0..params {
        for (how, value) in [
            ("empty parameter", ""),
            ("dot parameter", "."),
            ("dot-dot parameter", ".."),
            ("encoded dot-dot parameter", "%2e%2e"),
            ("encoded slash parameter", "a%2Fb"),
            ("static-word parameter", "unread"),
        ] {
            let filled = path(endpoint, &|at| {
                if at == index {
                    value.to_owned()
                } else {
                    id(at)
                }
            });
            add(how, &method, format!("{origin}{filled}"));
        }
    }
    out
}

/// The stand-in's answer, and the operation it named on a 200.
async fn send(
    client: &reqwest::Client,
    spelling: &Spelling,
    token: &str,
) -> Option<(StatusCode, String)> {
    let method = Method::from_bytes(spelling.method.as_bytes()).ok()?;
    // reqwest parses the string as the URL standard does; one it rejects
    // is never sent, so nothing can slip past the check with it.
    let response = client
        .request(method, spelling.url.as_str())
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    Some((status, body))
}

#[test]
fn the_check_finds_what_the_router_routes() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let stand_in = StandIn::start().await.expect("the stand-in starts");
        let origin = stand_in.base_url();
        let port = stand_in.address().port();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let nothing = CallCheck::new(ScopeSet::EMPTY)
            .with_base_url(&origin)
            .expect("the stand-in's base URL");
        let (token_nothing, token_all) = (
            stand_in.token(ScopeSet::EMPTY),
            stand_in.token(ScopeSet::ALL),
        );
        let mut failures = Vec::new();
        let mut sent = 0;
        for endpoint in Endpoint::ALL {
            for spelling in spellings(endpoint, &origin, port) {
                let checked = nothing.endpoint(&spelling.method, &spelling.url);
                let refused = nothing.url(&spelling.method, &spelling.url).is_err();
                let Some((status, _)) = send(&client, &spelling, &token_nothing).await else {
                    continue;
                };
                let Some((granted_status, body)) = send(&client, &spelling, &token_all).await
                else {
                    continue;
                };
                sent += 2;
                // With every scope, the stand-in names the operation it
                // routed to (a HEAD answer has no body: its status says).
                let routed = match granted_status {
                    StatusCode::OK if spelling.method == "HEAD" => checked,
                    StatusCode::OK => Endpoint::ALL
                        .into_iter()
                        .find(|candidate| body.contains(&format!("\"{}\"", candidate.operation()))),
                    _ => None,
                };
                let what = format!(
                    "{} {} ({}) for {endpoint}",
                    spelling.method, spelling.url, spelling.how
                );
                if status == StatusCode::FORBIDDEN && !refused {
                    failures.push(format!(
                        "let out unchecked: {what}: the stand-in routed it to {routed:?}"
                    ));
                } else if routed.is_some() && routed != checked {
                    failures.push(format!("read as {checked:?}, routed to {routed:?}: {what}"));
                } else if refused && status != StatusCode::FORBIDDEN {
                    failures.push(format!(
                        "refused, but the stand-in answered {status}: {what}"
                    ));
                }
            }
        }
        assert!(sent > 5_000, "only {sent} requests were sent");
        assert!(
            failures.is_empty(),
            "{} disagreements of {sent} requests:\n{}",
            failures.len(),
            failures.join("\n")
        );
    });
}
