//! The stand-in authorization server, at Fanvue's paths: `/oauth2/auth`
//! with a consent page, and `/oauth2/token`. What it enforces, and where it
//! is simpler than Fanvue, is listed on [`StandIn`](super::StandIn).

use super::Shared;
use crate::oauth::ProtocolScope;
use crate::{Scope, ScopeSet};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

/// How long a consent page waits for its answer, and how many may wait.
const PENDING_LIFETIME: Duration = Duration::from_secs(600);
const MAX_PENDING: usize = 1024;
/// How long a code lives, and an access token.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
pub(super) const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The protocol scope that asks for no refresh token.
const OPENID: &str = "openid";
/// The grant type of the embedded-app exchange (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// An app registered with the stand-in, as one is in the Fanvue developer
/// area: its credentials, its exact redirect URIs, and the scopes it may
/// request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// The client secret.
    pub secret: String,
    /// The redirect URIs, compared exactly.
    pub redirect_uris: Vec<String>,
    /// The resource scopes the app may request.
    pub scopes: ScopeSet,
}

impl Client {
    /// A client with one redirect URI.
    pub fn new(id: &str, secret: &str, redirect_uri: &str, scopes: ScopeSet) -> Self {
        Client {
            id: id.to_owned(),
            secret: secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            scopes,
        }
    }
}

/// What the user does at the consent step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Consent {
    /// Show the consent page, with a checkbox per requested scope.
    #[default]
    Page,
    /// Grant exactly these of the requested scopes, without a page.
    Grant(ScopeSet),
    /// Deny, without a page.
    Deny,
}

/// The server's memory of the flows in progress and the tokens it issued.
#[derive(Default)]
pub(super) struct AuthState {
    pub(super) clients: Vec<Client>,
    pub(super) consent: Consent,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Code>,
    pub(super) tokens: HashMap<String, Token>,
    refresh_tokens: HashMap<String, Refresh>,
    pub(super) assertions: HashMap<String, ScopeSet>,
}

/// An authorize request waiting on the consent page.
struct Pending {
    expires: Duration,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    challenge: String,
    requested: ScopeSet,
    offline: bool,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    granted: ScopeSet,
    offline: bool,
    expires: Duration,
}

/// An access token: its scopes, when it expires, and the refresh family it
/// belongs to, if any.
pub(super) struct Token {
    pub(super) scopes: ScopeSet,
    pub(super) expires: Duration,
    pub(super) family: Option<u64>,
    pub(super) revoked: bool,
}

struct Refresh {
    client_id: String,
    scopes: ScopeSet,
    family: u64,
    spent: bool,
}

type Params = HashMap<String, String>;

fn params(text: &[u8]) -> Params {
    url::form_urlencoded::parse(text).into_owned().collect()
}

/// `GET /oauth2/auth`.
pub(super) async fn authorize(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let query = params(query.unwrap_or_default().as_bytes());
    let get = |name: &str| query.get(name).map(String::as_str);
    let mut auth = shared.lock();
    // An unknown client or redirect URI is never redirected to.
    let Some(client) = get("client_id").and_then(|id| auth.clients.iter().find(|c| c.id == id))
    else {
        return error_page("unknown client: the client_id is not registered");
    };
    let Some(redirect_uri) =
        get("redirect_uri").filter(|uri| client.redirect_uris.iter().any(|known| known == uri))
    else {
        return error_page("the redirect_uri is not one registered for this client");
    };
    let redirect_uri = redirect_uri.to_owned();
    let state = get("state").map(str::to_owned);
    let refuse = |error: &str| redirect(&redirect_uri, &[("error", error)], state.as_deref());
    if get("response_type") != Some("code") {
        return refuse("unsupported_response_type");
    }
    let challenge = match (get("code_challenge"), get("code_challenge_method")) {
        (Some(challenge), Some("S256")) if !challenge.is_empty() => challenge.to_owned(),
        _ => return refuse("invalid_request"),
    };
    let mut requested = ScopeSet::EMPTY;
    let mut offline = false;
    for name in get("scope").unwrap_or_default().split_whitespace() {
        match (name.parse::<Scope>(), ProtocolScope::from_name(name)) {
            (Ok(scope), _) if client.scopes.contains(scope) => requested = requested.with(scope),
            (_, Some(protocol)) => offline |= protocol.as_str() != OPENID,
            _ => return refuse("invalid_scope"),
        }
    }
    let now = shared.now();
    let pending = Pending {
        expires: now + PENDING_LIFETIME,
        client_id: client.id.clone(),
        redirect_uri,
        state,
        challenge,
        requested,
        offline,
    };
    match auth.consent {
        Consent::Grant(scopes) => decide(&mut auth, pending, Some(scopes), now),
        Consent::Deny => decide(&mut auth, pending, None, now),
        Consent::Page => {
            // Unanswered pages expire, and only so many wait at once: a
            // stand-in served by an example app is reachable by anyone on
            // the machine.
            auth.pending.retain(|_, pending| pending.expires > now);
            if auth.pending.len() >= MAX_PENDING {
                return error_page("too many sign-ins are waiting; try again in a few minutes");
            }
            let id = shared.secret("request");
            let page = consent_page(&id, &pending);
            auth.pending.insert(id, pending);
            (
                [
                    (CONTENT_TYPE, "text/html; charset=utf-8"),
                    (CACHE_CONTROL, "no-store"),
                ],
                page,
            )
                .into_response()
        }
    }
}

/// `POST /oauth2/consent`: the consent page's form.
pub(super) async fn consent(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut granted = ScopeSet::EMPTY;
    let (mut request, mut allow) = (None, false);
    for (name, value) in url::form_urlencoded::parse(&body) {
        match &*name {
            "request" => request = Some(value.into_owned()),
            "decision" => allow = value == "allow",
            "scope" => {
                if let Ok(scope) = value.parse::<Scope>() {
                    granted = granted.with(scope);
                }
            }
            _ => {}
        }
    }
    let mut auth = shared.lock();
    let now = shared.now();
    let Some(pending) = request
        .and_then(|id| auth.pending.remove(&id))
        .filter(|pending| pending.expires > now)
    else {
        return error_page("this consent request is unknown or already answered");
    };
    decide(&mut auth, pending, allow.then_some(granted), now)
}

/// Redirects with a code for what was granted (within what was asked), or
/// with `access_denied`.
fn decide(
    auth: &mut AuthState,
    pending: Pending,
    granted: Option<ScopeSet>,
    now: Duration,
) -> Response {
    let state = pending.state.as_deref();
    let Some(granted) = granted else {
        return redirect(&pending.redirect_uri, &[("error", "access_denied")], state);
    };
    auth.codes.retain(|_, code| code.expires > now);
    let code = format!("code-{}", super::random_hex());
    let location = redirect(&pending.redirect_uri, &[("code", &code)], state);
    auth.codes.insert(
        code,
        Code {
            client_id: pending.client_id,
            redirect_uri: pending.redirect_uri,
            challenge: pending.challenge,
            granted: granted.intersection(pending.requested),
            offline: pending.offline,
            expires: now + CODE_LIFETIME,
        },
    );
    location
}

/// `POST /oauth2/token`.
pub(super) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = params(&body);
    let get = |name: &str| form.get(name).map(String::as_str);
    let mut auth = shared.lock();
    let now = shared.now();
    // Client authentication: HTTP Basic, or the form's id and secret.
    let (id, secret) = match basic_credentials(&headers) {
        Some(credentials) => credentials,
        None => match (get("client_id"), get("client_secret")) {
            (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
            _ => {
                return token_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "client authentication failed",
                );
            }
        },
    };
    if !auth
        .clients
        .iter()
        .any(|client| client.id == id && client.secret == secret)
    {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    match get("grant_type") {
        Some("authorization_code") => {
            // Single use: taken out whatever follows.
            let Some(code) = get("code").and_then(|code| auth.codes.remove(code)) else {
                return invalid_grant("the code is unknown, used or expired");
            };
            if code.client_id != id || code.expires <= now {
                return invalid_grant("the code is unknown, used or expired");
            }
            if get("redirect_uri") != Some(code.redirect_uri.as_str()) {
                return invalid_grant("the redirect_uri differs from the authorize request's");
            }
            let verified = get("code_verifier").is_some_and(|verifier| {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == code.challenge
            });
            if !verified {
                return invalid_grant("the PKCE code_verifier does not match the challenge");
            }
            let family = code.offline.then(|| shared.family());
            issue(&mut auth, &id, code.granted, family, now)
        }
        Some("refresh_token") => {
            let Some(presented) = get("refresh_token") else {
                return invalid_grant("no refresh_token");
            };
            let Some(refresh) = auth.refresh_tokens.get_mut(presented) else {
                return invalid_grant("the refresh token is unknown");
            };
            if refresh.client_id != id {
                return invalid_grant("the refresh token is another client's");
            }
            let family = refresh.family;
            if refresh.spent {
                // Reuse of a spent token: the whole family is revoked.
                for token in auth
                    .tokens
                    .values_mut()
                    .filter(|token| token.family == Some(family))
                {
                    token.revoked = true;
                }
                auth.refresh_tokens
                    .retain(|_, refresh| refresh.family != family);
                return invalid_grant("the refresh token was already used; its family is revoked");
            }
            refresh.spent = true;
            let scopes = refresh.scopes;
            issue(&mut auth, &id, scopes, Some(family), now)
        }
        Some(JWT_BEARER) => {
            let Some(scopes) =
                get("assertion").and_then(|assertion| auth.assertions.remove(assertion))
            else {
                return invalid_grant("the assertion is unknown or used");
            };
            issue(&mut auth, &id, scopes, None, now)
        }
        Some(_) => token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "the grant_type is not supported",
        ),
        None => token_error(StatusCode::BAD_REQUEST, "invalid_request", "no grant_type"),
    }
}

/// A token response: an access token, a rotated refresh token when the
/// flow is offline, and `scope`, what was granted.
fn issue(
    auth: &mut AuthState,
    client_id: &str,
    scopes: ScopeSet,
    family: Option<u64>,
    now: Duration,
) -> Response {
    let access = format!("at-{}", super::random_hex());
    auth.tokens.insert(
        access.clone(),
        Token {
            scopes,
            expires: now + TOKEN_LIFETIME,
            family,
            revoked: false,
        },
    );
    // What the user granted: the protocol scopes of the flow, then the
    // resource scopes. Without a refresh token, no offline ones.
    let granted = match family {
        Some(_) => crate::oauth::authorize_scope(scopes),
        None => std::iter::once(OPENID)
            .chain(scopes.iter().map(Scope::as_str))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut body = format!(
        r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":{},"scope":"{granted}""#,
        TOKEN_LIFETIME.as_secs()
    );
    if let Some(family) = family {
        let refresh = format!("rt-{}", super::random_hex());
        let _ = write!(body, r#","refresh_token":"{refresh}""#);
        auth.refresh_tokens.insert(
            refresh,
            Refresh {
                client_id: client_id.to_owned(),
                scopes,
                family,
                spent: false,
            },
        );
    }
    body.push('}');
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// RFC 6749 §5.2.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        format!(r#"{{"error":"{error}","error_description":"{description}"}}"#),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Basic realm=\"stand-in\""),
        );
    }
    response
}

fn invalid_grant(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `302` to the client's redirect URI with `pairs` and the echoed `state`.
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        query.append_pair(name, value);
    }
    if let Some(state) = state {
        query.append_pair("state", state);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", query.finish());
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}

fn error_page(problem: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<!doctype html><title>Stand-in Fanvue: error</title><h1>This sign-in can't continue</h1><p>{}</p>", escape(problem)),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The consent page: each requested resource scope with its description
/// from `scopes.toml` and a checkbox; the protocol scopes fixed.
fn consent_page(id: &str, pending: &Pending) -> String {
    let mut page = String::from(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width\">",
        "<title>Stand-in Fanvue: allow access?</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}",
        "label{display:block;margin:.6rem 0}small{color:#555;display:block;margin-left:1.6rem}",
        "button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}</style></head><body>",
        "<h1>Allow access to your Fanvue account?</h1>",
    ));
    let _ = write!(
        page,
        "<p><strong>{}</strong> asks for:</p><form method=\"post\" action=\"/oauth2/consent\">\
         <input type=\"hidden\" name=\"request\" value=\"{}\">",
        escape(&pending.client_id),
        escape(id)
    );
    for scope in pending.requested {
        let _ = write!(
            page,
            "<label><input type=\"checkbox\" name=\"scope\" value=\"{name}\" id=\"scope-{name}\" checked> \
             <code>{name}</code><small>{}</small></label>",
            escape(scope.description()),
            name = scope.as_str()
        );
    }
    page.push_str("<p>Always included: sign-in (<code>openid</code>)");
    if pending.offline {
        page.push_str(" and staying signed in (<code>offline_access</code>, <code>offline</code>)");
    }
    page.push_str(".</p><button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></body></html>");
    page
}
