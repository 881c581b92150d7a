//! A token of the MCP example's own authorization server, got the way an
//! MCP client gets one: dynamic registration, authorize with PKCE and the
//! MCP URL as `resource`, the server's consent page allowed, the stand-in
//! Fanvue's consent scripted, the callback, and the code exchanged.
#![allow(dead_code)] // Each test file uses some of it.

use fanvue_scopes::ScopeSet;
use fanvue_scopes::testing::{Consent, StandIn};

/// A PKCE pair (RFC 7636 appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const CALLBACK: &str = "http://127.0.0.1:9/mcp-client-callback";

/// A client that shows redirects rather than follows them.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("a client")
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_else(|| panic!("no redirect: {}", response.status()))
        .to_owned()
}

fn query(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Registers a client with `metadata`: the server's answer.
pub async fn register_with(base: &str, metadata: serde_json::Value) -> serde_json::Value {
    http()
        .post(format!("{base}/oauth/register"))
        .header("content-type", "application/json")
        .body(metadata.to_string())
        .send()
        .await
        .expect("registered")
        .json()
        .await
        .expect("JSON")
}

/// Registers a public client: its id.
pub async fn register(base: &str) -> String {
    let answer = register_with(
        base,
        serde_json::json!({
            "client_name": "a test client",
            "redirect_uris": [CALLBACK],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }),
    )
    .await;
    answer["client_id"]
        .as_str()
        .expect("a client id")
        .to_owned()
}

/// A browser going through the server's consent page and the stand-in
/// Fanvue's (scripted), keeping the server's cookie between sign-ins.
#[derive(Default)]
pub struct Browser {
    cookie: Option<String>,
}

impl Browser {
    /// From an authorize URL of the server's to the MCP client's callback,
    /// the user allowing `scopes` at Fanvue: the callback URL.
    pub async fn authorize(&mut self, url: &str, fanvue: &StandIn, scopes: ScopeSet) -> String {
        let http = http();
        let mut request = http.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await.expect("an answer");
        if let Some(cookie) = answer
            .headers()
            .get("set-cookie")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
        {
            self.cookie = Some(cookie.to_owned());
        }
        let cookie = self.cookie.clone().expect("the browser's cookie");
        let to_fanvue = if answer.status() == reqwest::StatusCode::OK {
            // The server's consent page: allowed.
            let html = answer.text().await.expect("the consent page");
            let request = html
                .split("name=\"request\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("the consent form: {html}"))
                .to_owned();
            let base = url::Url::parse(url)
                .expect("a URL")
                .join("/oauth/consent")
                .expect("a URL");
            let allowed = http
                .post(base)
                .header("cookie", &cookie)
                .form(&[("request", request.as_str()), ("decision", "allow")])
                .send()
                .await
                .expect("allowed");
            location(&allowed)
        } else {
            // Allowed before, in this browser: straight on to Fanvue.
            location(&answer)
        };
        fanvue.set_consent(Consent::Grant(scopes));
        let at_fanvue = http.get(to_fanvue).send().await.expect("Fanvue's consent");
        let callback = http
            .get(location(&at_fanvue))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("the callback");
        location(&callback)
    }
}

/// The server's token response for a user who allows `scopes` at Fanvue,
/// through the client `client_id`.
pub async fn sign_in(
    base: &str,
    fanvue: &StandIn,
    client_id: &str,
    scopes: ScopeSet,
) -> serde_json::Value {
    sign_in_asking(base, fanvue, client_id, &scopes.to_string(), scopes).await
}

/// The same, the client asking for `scope` (`offline_access` for a refresh
/// token), the user allowing `allowed` at Fanvue.
pub async fn sign_in_asking(
    base: &str,
    fanvue: &StandIn,
    client_id: &str,
    scope: &str,
    allowed: ScopeSet,
) -> serde_json::Value {
    let code = code(base, fanvue, client_id, scope, allowed).await;
    exchange(base, client_id, &code).await.1
}

/// The code the server gives the client after both consents.
pub async fn code(
    base: &str,
    fanvue: &StandIn,
    client_id: &str,
    scope: &str,
    allowed: ScopeSet,
) -> String {
    let resource = format!("{base}/mcp");
    let mut authorize = url::Url::parse(&format!("{base}/oauth/authorize")).expect("a URL");
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", scope)
        .append_pair("state", "client-state-123")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", &resource);
    let back = Browser::default()
        .authorize(authorize.as_str(), fanvue, allowed)
        .await;
    assert!(back.starts_with(CALLBACK), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("client-state-123"));
    query(&back, "code").unwrap_or_else(|| panic!("a code: {back}"))
}

/// The token endpoint's answer to `code`, for a public client.
pub async fn exchange(
    base: &str,
    client_id: &str,
    code: &str,
) -> (reqwest::StatusCode, serde_json::Value) {
    let resource = format!("{base}/mcp");
    let response = http()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
            ("resource", resource.as_str()),
        ])
        .send()
        .await
        .expect("the token endpoint");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// An access token of the server's for a user who allowed `scopes`.
pub async fn token(base: &str, fanvue: &StandIn, scopes: ScopeSet) -> String {
    let client = register(base).await;
    let answer = sign_in(base, fanvue, &client, scopes).await;
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {answer}"))
        .to_owned()
}
