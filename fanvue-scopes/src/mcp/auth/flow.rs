//! The authorization itself: the MCP client's authorize request, the
//! server's consent page, the redirect to Fanvue's authorize, and Fanvue's
//! callback, which keeps the Fanvue grant and gives the client a code of
//! the server's own.

use super::clients::{Client, Form, Origin, UnknownClient};
use super::{AuthorizationServer, hashed, now, random_token, s256, valid_pkce};
use crate::grant::Grant;
use crate::grant::sql::Value;
use crate::{Scope, ScopeSet};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

/// The cookie that binds an authorization, and what was consented, to the
/// browser that went through it.
const BROWSER_COOKIE: &str = "fanvue_mcp_browser";
/// What every authorize request asks Fanvue for besides the tools' scopes:
/// who the user is, and a refresh token.
const PROTOCOL_SCOPES: &str = "openid offline_access offline";

/// An authorization on its way, as the callback finds it.
struct Pending {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    client_state: Option<String>,
    scopes: ScopeSet,
    /// Whether the client asked for `offline_access`: a refresh token.
    offline: bool,
    browser_hash: Vec<u8>,
    verifier: String,
    nonce: String,
    approved: bool,
    expires_at: u64,
}

/// The browser's id, from its cookie, and whether it is new.
fn browser(headers: &HeaderMap) -> Option<(String, bool)> {
    let existing = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == BROWSER_COOKIE && value.len() == 43)
        .map(|(_, value)| value.to_owned());
    match existing {
        Some(id) => Some((id, false)),
        None => random_token().map(|id| (id, true)),
    }
}

impl AuthorizationServer {
    /// The `Set-Cookie` for a new browser id.
    fn browser_cookie(&self, id: &str) -> Option<HeaderValue> {
        let secure = if self.0.issuer.starts_with("https://") {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{BROWSER_COOKIE}={id}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}"
        ))
        .ok()
    }

    /// What the user allowed `client` in this browser before.
    async fn remembered(&self, browser_hash: &[u8], client: &str) -> ScopeSet {
        self.0
            .store
            .db()
            .fetch_optional(
                "SELECT scopes FROM fanvue_mcp_consents WHERE browser_hash = ? AND client_id = ?",
                &[Value::Bytes(browser_hash), Value::Text(client)],
            )
            .await
            .ok()
            .flatten()
            .and_then(|row| row.text("scopes").ok())
            .map_or(ScopeSet::EMPTY, |scopes| {
                ScopeSet::parse_lenient(&scopes).known()
            })
    }

    /// Fanvue's authorize URL for a pending authorization.
    fn fanvue_authorize(&self, id: &str, pending: &Pending) -> Option<String> {
        let mut url = url::Url::parse(&self.0.fanvue_authorize_url).ok()?;
        let scope = format!("{PROTOCOL_SCOPES} {}", pending.scopes);
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", self.0.store.fanvue().client_id())
            .append_pair("redirect_uri", &self.0.callback)
            .append_pair("scope", scope.trim())
            .append_pair("state", id)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &s256(&pending.verifier))
            .append_pair("code_challenge_method", "S256");
        Some(url.into())
    }

    /// The client's redirect URI with `pairs`, its `state` and `iss`
    /// (RFC 9207).
    fn back_to_client(
        &self,
        redirect_uri: &str,
        pairs: &[(&str, &str)],
        state: Option<&str>,
    ) -> Response {
        let Ok(mut url) = url::Url::parse(redirect_uri) else {
            return error_page("the redirect URI is not a URL");
        };
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.0.issuer);
        }
        redirect(url.as_str())
    }

    fn refuse(
        &self,
        redirect_uri: &str,
        state: Option<&str>,
        error: &str,
        description: &str,
    ) -> Response {
        let description = crate::oauth::error_description(description);
        self.back_to_client(
            redirect_uri,
            &[("error", error), ("error_description", &description)],
            state,
        )
    }
}

/// `GET /oauth/authorize`.
pub(super) async fn authorize(
    State(server): State<AuthorizationServer>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let form = match Form::parse(query.unwrap_or_default().as_bytes()) {
        Ok(form) => form,
        Err(repeated) => {
            return error_page(&format!(
                "the parameter `{}` is given more than once",
                crate::oauth::error_description(&repeated)
            ));
        }
    };
    // An unknown client or redirect URI is never redirected to.
    let client = match form.get("client_id") {
        Some(id) => match server.client(id).await {
            Ok(client) => client,
            Err(UnknownClient::NotFound) => {
                return error_page("unknown client: the client_id is not registered here");
            }
            Err(UnknownClient::Document(refused)) => return error_page(&refused.to_string()),
            Err(UnknownClient::Store) => return unavailable_page(),
        },
        None => return error_page("the client_id is missing"),
    };
    let Some(redirect_uri) = form
        .get("redirect_uri")
        .filter(|uri| client.redirects_to(uri))
    else {
        return error_page("the redirect_uri is not one registered for this client");
    };
    let state = form.get("state");
    let refuse =
        |error: &str, description: &str| server.refuse(redirect_uri, state, error, description);
    if form.get("response_type") != Some("code") {
        return refuse(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let Some(challenge) = form
        .get("code_challenge")
        .filter(|challenge| valid_pkce(challenge))
    else {
        return refuse(
            "invalid_request",
            "PKCE is required: a code_challenge is missing or malformed",
        );
    };
    if form.get("code_challenge_method") != Some("S256") {
        return refuse("invalid_request", "the code_challenge_method must be S256");
    }
    if state.is_none() {
        return refuse("invalid_request", "the state is missing");
    }
    if form.get("resource") != Some(server.0.resource.as_str()) {
        return refuse(
            "invalid_target",
            "the resource (RFC 8707) must be this server's MCP URL",
        );
    }
    let names = ScopeSet::parse_lenient(form.get("scope").unwrap_or_default());
    let offline = names
        .protocol()
        .any(|scope| scope.as_str() == super::OFFLINE);
    let requested = names.known() & server.0.usable;
    let asked = if requested.is_empty() {
        server.0.least_privilege
    } else {
        requested
    };
    let Some((browser_id, new_browser)) = browser(&headers) else {
        return unavailable_page();
    };
    let browser_hash = hashed(&browser_id);
    let remembered = server.remembered(&browser_hash, &client.id).await & server.0.usable;
    let (Some(id), Some(verifier), Some(nonce)) = (random_token(), random_token(), random_token())
    else {
        return unavailable_page();
    };
    let pending = Pending {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        code_challenge: challenge.to_owned(),
        client_state: state.map(str::to_owned),
        scopes: asked | remembered,
        offline,
        browser_hash,
        verifier,
        nonce,
        approved: remembered.contains_all(asked),
        expires_at: now() + super::REQUEST_LIFETIME.as_secs(),
    };
    if store_pending(&server, &id, &pending).await.is_err() {
        return unavailable_page();
    }
    let mut response = if pending.approved {
        match server.fanvue_authorize(&id, &pending) {
            Some(url) => redirect(&url),
            None => return error_page("Fanvue's authorize URL is not a URL"),
        }
    } else {
        page_response(
            StatusCode::OK,
            consent_page(&id, &client, asked, remembered),
        )
    };
    if new_browser {
        if let Some(cookie) = server.browser_cookie(&browser_id) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    response
}

async fn store_pending(
    server: &AuthorizationServer,
    id: &str,
    pending: &Pending,
) -> Result<(), ()> {
    let keys = server.0.store.keys();
    let sealed = keys
        .seal(&pending.verifier, &request_context(id))
        .map_err(|_| ())?;
    let db = server.0.store.db();
    db.execute(
        "DELETE FROM fanvue_mcp_requests WHERE expires_at < ?",
        &[Value::Int(now() as i64)],
    )
    .await
    .map_err(|_| ())?;
    db.execute(
        "INSERT INTO fanvue_mcp_requests (id_hash, client_id, redirect_uri, code_challenge, \
         client_state, scopes, browser_hash, verifier, key_id, nonce, approved, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Bytes(&hashed(id)),
            Value::Text(&pending.client_id),
            Value::Text(&pending.redirect_uri),
            Value::Text(&pending.code_challenge),
            Value::MaybeText(pending.client_state.as_deref()),
            Value::Text(&stored_scopes(pending.scopes, pending.offline)),
            Value::Bytes(&pending.browser_hash),
            Value::Bytes(&sealed),
            Value::Text(keys.current_id()),
            Value::Text(&pending.nonce),
            Value::Int(i64::from(pending.approved)),
            Value::Int(pending.expires_at as i64),
        ],
    )
    .await
    .map(|_| ())
    .map_err(|_| ())
}

/// Scopes as stored: `offline_access` first when it was asked for.
fn stored_scopes(scopes: ScopeSet, offline: bool) -> String {
    if offline {
        format!("{} {scopes}", super::OFFLINE).trim().to_owned()
    } else {
        scopes.to_string()
    }
}

/// What the upstream PKCE verifier of request `id` is sealed to.
fn request_context(id: &str) -> Vec<u8> {
    format!("fanvue-scopes mcp request\0{id}").into_bytes()
}

/// The pending authorization `id`, if it is this browser's and alive.
async fn pending(
    server: &AuthorizationServer,
    id: &str,
    headers: &HeaderMap,
) -> Result<Option<Pending>, ()> {
    let row = server
        .0
        .store
        .db()
        .fetch_optional(
            "SELECT client_id, redirect_uri, code_challenge, client_state, scopes, browser_hash, \
             verifier, key_id, nonce, approved, expires_at FROM fanvue_mcp_requests \
             WHERE id_hash = ?",
            &[Value::Bytes(&hashed(id))],
        )
        .await
        .map_err(|_| ())?;
    let Some(row) = row else { return Ok(None) };
    let read = || -> Result<Pending, sqlx::Error> {
        let sealed = row.bytes("verifier")?;
        let key_id = row.text("key_id")?;
        Ok(Pending {
            client_id: row.text("client_id")?,
            redirect_uri: row.text("redirect_uri")?,
            code_challenge: row.text("code_challenge")?,
            client_state: row.maybe_text("client_state")?,
            scopes: ScopeSet::parse_lenient(&row.text("scopes")?).known(),
            offline: false,
            browser_hash: row.bytes("browser_hash")?,
            verifier: server
                .0
                .store
                .keys()
                .open(&key_id, &sealed, &request_context(id))
                .unwrap_or_default(),
            nonce: row.text("nonce")?,
            approved: row.int("approved")? != 0,
            expires_at: u64::try_from(row.int("expires_at")?).unwrap_or(0),
        })
    };
    let mut pending = read().map_err(|_| ())?;
    let stored = row.text("scopes").unwrap_or_default();
    pending.offline = ScopeSet::parse_lenient(&stored)
        .protocol()
        .any(|scope| scope.as_str() == super::OFFLINE);
    let this_browser = browser(headers)
        .filter(|(_, new)| !new)
        .is_some_and(|(browser, _)| hashed(&browser) == pending.browser_hash);
    Ok(
        (this_browser && pending.expires_at > now() && !pending.verifier.is_empty())
            .then_some(pending),
    )
}

/// `POST /oauth/consent`: the consent page's answer.
pub(super) async fn consent(
    State(server): State<AuthorizationServer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(form) = Form::parse(&body) else {
        return error_page("the consent form was sent twice over");
    };
    let Some(id) = form.get("request") else {
        return error_page("this consent request is unknown");
    };
    let pending = match pending(&server, id, &headers).await {
        Ok(Some(pending)) => pending,
        Ok(None) => {
            return error_page(
                "this consent request is unknown, expired, or was started in another browser",
            );
        }
        Err(()) => return unavailable_page(),
    };
    let db = server.0.store.db();
    if form.get("decision") != Some("allow") {
        let _ = db
            .execute(
                "DELETE FROM fanvue_mcp_requests WHERE id_hash = ?",
                &[Value::Bytes(&hashed(id))],
            )
            .await;
        return server.refuse(
            &pending.redirect_uri,
            pending.client_state.as_deref(),
            "access_denied",
            "the user denied the request",
        );
    }
    if db
        .execute(
            "UPDATE fanvue_mcp_requests SET approved = 1 WHERE id_hash = ?",
            &[Value::Bytes(&hashed(id))],
        )
        .await
        .is_err()
    {
        return unavailable_page();
    }
    match server.fanvue_authorize(id, &pending) {
        Some(url) => redirect(&url),
        None => error_page("Fanvue's authorize URL is not a URL"),
    }
}

/// `GET /oauth/fanvue/callback`: Fanvue's answer. The code is exchanged,
/// the grant kept, and the MCP client given a code of the server's own.
pub(super) async fn fanvue_callback(
    State(server): State<AuthorizationServer>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(form) = Form::parse(query.unwrap_or_default().as_bytes()) else {
        return error_page("Fanvue's answer repeats a parameter");
    };
    let Some(id) = form.get("state") else {
        return error_page("Fanvue's answer has no state");
    };
    let pending = match pending(&server, id, &headers).await {
        Ok(Some(pending)) if pending.approved => pending,
        Ok(_) => {
            return error_page(
                "this sign-in is unknown, expired, or was started in another browser",
            );
        }
        Err(()) => return unavailable_page(),
    };
    let db = server.0.store.db();
    // Once: a second callback with the same state finds nothing to take.
    match db
        .execute(
            "DELETE FROM fanvue_mcp_requests WHERE id_hash = ?",
            &[Value::Bytes(&hashed(id))],
        )
        .await
    {
        Ok(1) => {}
        Ok(_) => return error_page("this sign-in was already answered"),
        Err(_) => return unavailable_page(),
    }
    let state = pending.client_state.as_deref();
    let back = |error: &str, description: &str| {
        server.refuse(&pending.redirect_uri, state, error, description)
    };
    if let Some(error) = form.get("error") {
        return if error == "access_denied" {
            back("access_denied", "the user denied the request at Fanvue")
        } else {
            back("server_error", "Fanvue refused the sign-in")
        };
    }
    let Some(code) = form.get("code") else {
        return back("server_error", "Fanvue sent no code");
    };
    let grant: Grant = match server
        .0
        .store
        .fanvue()
        .exchange_code(code, &pending.verifier, &server.0.callback, now())
        .await
    {
        crate::grant::Refreshed::Renewed(grant) => grant,
        crate::grant::Refreshed::Transient(_) => {
            return back(
                "temporarily_unavailable",
                "Fanvue could not be reached; try again",
            );
        }
        _ => return back("server_error", "Fanvue did not issue a token"),
    };
    let scopes = grant.scopes() & server.0.usable;
    let (Some(grant_key), Some(code), Some(family)) =
        (random_token(), random_token(), random_token())
    else {
        return back("server_error", "no randomness from the OS");
    };
    let grant_key = format!("mcp-{grant_key}");
    match server.0.store.put(&grant_key, &grant).await {
        Ok(()) => {}
        Err(error) if error.is_transient() => {
            return back(
                "temporarily_unavailable",
                "the server's store is unavailable",
            );
        }
        Err(_) => return back("server_error", "the grant was not kept"),
    }
    let stored = async {
        db.execute(
            "INSERT INTO fanvue_mcp_consents (browser_hash, client_id, scopes) VALUES (?, ?, ?) \
             ON CONFLICT (browser_hash, client_id) DO UPDATE SET scopes = excluded.scopes",
            &[
                Value::Bytes(&pending.browser_hash),
                Value::Text(&pending.client_id),
                Value::Text(&scopes.to_string()),
            ],
        )
        .await?;
        db.execute(
            "DELETE FROM fanvue_mcp_codes WHERE expires_at < ?",
            &[Value::Int(now() as i64)],
        )
        .await?;
        db.execute(
            "INSERT INTO fanvue_mcp_codes (code_hash, client_id, redirect_uri, code_challenge, \
             grant_key, scopes, family, expires_at, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            &[
                Value::Bytes(&hashed(&code)),
                Value::Text(&pending.client_id),
                Value::Text(&pending.redirect_uri),
                Value::Text(&pending.code_challenge),
                Value::Text(&grant_key),
                Value::Text(&stored_scopes(scopes, pending.offline)),
                Value::Text(&family),
                Value::Int((now() + super::CODE_LIFETIME.as_secs()) as i64),
            ],
        )
        .await
    };
    if stored.await.is_err() {
        return back(
            "temporarily_unavailable",
            "the server's store is unavailable",
        );
    }
    server.back_to_client(&pending.redirect_uri, &[("code", &code)], state)
}

fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (
            StatusCode::FOUND,
            [
                (LOCATION, location),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response(),
        Err(_) => error_page("the redirect is not a URL"),
    }
}

/// A page of the server's own: never cached, never framed. No CSP
/// `form-action`: the consent form's answer redirects to Fanvue or to the
/// client, which browsers would hold to it (a browser test shows it).
fn page_response(status: StatusCode, page: String) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (X_FRAME_OPTIONS, "DENY"),
            (
                CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        page,
    )
        .into_response()
}

fn error_page(problem: &str) -> Response {
    page_response(
        StatusCode::BAD_REQUEST,
        format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Sign-in can't continue</title>\
             <h1>This sign-in can't continue</h1><p>{}</p></html>",
            escape(problem)
        ),
    )
}

fn unavailable_page() -> Response {
    let mut response = page_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Try again</title>\
         <h1>Try again in a moment</h1><p>This server can't reach its store just now.</p></html>"
            .to_owned(),
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static("5"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The consent page: which client asks (its name, where it sends the
/// answer, whether it registered itself), and each scope it would get
/// with its description; what this browser allowed it before is marked.
fn consent_page(id: &str, client: &Client, asked: ScopeSet, remembered: ScopeSet) -> String {
    let host = client
        .redirect_uris
        .first()
        .and_then(|uri| url::Url::parse(uri).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let unverified = match client.origin {
        Origin::Registered => {
            " <span class=\"unverified\">unverified: it named itself when it registered</span>"
        }
        Origin::Document => &format!(
            " <span class=\"unverified\">unverified: named by <code>{}</code>, where its client_id points</span>",
            escape(
                url::Url::parse(&client.id)
                    .ok()
                    .as_ref()
                    .and_then(url::Url::host_str)
                    .unwrap_or_default()
            )
        ),
        Origin::Configured => "",
    };
    let mut page = String::from(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width\">",
        "<title>Allow an MCP client to use your Fanvue account?</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}",
        "li{margin:.5rem 0}small{color:#555;display:block}.unverified{background:#fde2e1;border-radius:.3rem;padding:.1rem .4rem;font-size:.8rem}",
        ".held{color:#555;font-size:.8rem}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}</style></head><body>",
    ));
    let _ = write!(
        page,
        "<h1>Allow <strong>{}</strong> to use your Fanvue account?</h1>\
         <p id=\"client\">{}{unverified}</p><p>It will send the answer to <code id=\"host\">{}</code>. \
         Fanvue asks you next, and you may untick there what you don't want it to have. It asks for:</p><ul>",
        escape(&client.name),
        escape(&client.name),
        escape(&host)
    );
    for scope in asked | remembered {
        let held = if remembered.contains(scope) {
            " <span class=\"held\">allowed before</span>"
        } else {
            ""
        };
        let _ = write!(
            page,
            "<li><code>{}</code>{held}<small>{}</small></li>",
            scope.as_str(),
            escape(Scope::description(scope))
        );
    }
    let _ = write!(
        page,
        "</ul><form method=\"post\" action=\"/oauth/consent\"><input type=\"hidden\" name=\"request\" value=\"{}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Continue to Fanvue</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></body></html>",
        escape(id)
    );
    page
}
