//! The clients the server knows: those that registered themselves (RFC
//! 7591) and those configured in code; how a client authenticates at the
//! token endpoint; and the bounds on registering.

use super::{AuthorizationServer, hashed, now, oauth_error, random_token, unavailable};
use crate::grant::sql::Value;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// The largest request body any endpoint reads.
pub(super) const MAX_BODY_BYTES: usize = 16 * 1024;
/// The most redirect URIs one client registers.
pub(super) const MAX_REDIRECT_URIS: usize = 8;
/// The longest redirect URI, and client name.
const MAX_URI_LEN: usize = 512;
pub(super) const MAX_NAME_LEN: usize = 100;

/// A client configured in code, as one registered by hand would be.
#[derive(Clone, Debug)]
pub struct ConfiguredClient {
    id: String,
    secret_hash: Option<Vec<u8>>,
    name: String,
    redirect_uris: Vec<String>,
}

impl ConfiguredClient {
    /// A public client (PKCE, no secret), named `name`, redirected to
    /// `redirect_uris` (compared exactly; a loopback IP's on any port).
    pub fn public(id: &str, name: &str, redirect_uris: &[&str]) -> Self {
        ConfiguredClient {
            id: id.to_owned(),
            secret_hash: None,
            name: name.to_owned(),
            redirect_uris: redirect_uris.iter().map(|uri| (*uri).to_owned()).collect(),
        }
    }

    /// The same client, confidential: it authenticates with `secret`.
    pub fn with_secret(mut self, secret: &str) -> Self {
        self.secret_hash = Some(hashed(secret));
        self
    }
}

/// How a client came to be known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// Registered itself: its name is its own word, unverified.
    Registered,
    /// Configured by the server's operator.
    Configured,
    /// Described by the metadata document its `client_id` names: its name
    /// is its own word, its redirect URIs those of the site it names.
    Document,
}

/// Why no client is known by an id.
#[derive(Debug)]
pub(super) enum UnknownClient {
    /// No client is registered or configured with the id.
    NotFound,
    /// The id names a metadata document that was refused.
    Document(super::documents::DocumentError),
    /// The store could not be read.
    Store,
}

/// A client, as the authorize and token endpoints need it.
#[derive(Clone, Debug)]
pub(super) struct Client {
    pub(super) id: String,
    pub(super) secret_hash: Option<Vec<u8>>,
    pub(super) name: String,
    pub(super) redirect_uris: Vec<String>,
    pub(super) origin: Origin,
}

impl Client {
    /// Whether `requested` is one of the client's redirect URIs.
    pub(super) fn redirects_to(&self, requested: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| crate::oauth::redirect_matches(registered, requested))
    }
}

impl AuthorizationServer {
    /// The client `id`, configured or registered.
    pub(super) async fn client(&self, id: &str) -> Result<Client, UnknownClient> {
        if let Some(client) = self.0.configured.iter().find(|client| client.id == id) {
            return Ok(Client {
                id: client.id.clone(),
                secret_hash: client.secret_hash.clone(),
                name: client.name.clone(),
                redirect_uris: client.redirect_uris.clone(),
                origin: Origin::Configured,
            });
        }
        if let Some(documents) = self
            .0
            .documents
            .as_ref()
            .filter(|_| super::documents::is_document_id(id))
        {
            return documents.client(id).await.map_err(UnknownClient::Document);
        }
        let row = self
            .0
            .store
            .db()
            .fetch_optional(
                "SELECT client_id, secret_hash, client_name, redirect_uris FROM fanvue_mcp_clients \
                 WHERE client_id = ?",
                &[Value::Text(id)],
            )
            .await
            .map_err(|_| UnknownClient::Store)?
            .ok_or(UnknownClient::NotFound)?;
        let read = || -> Result<Client, sqlx::Error> {
            let redirect_uris: Vec<String> =
                serde_json::from_str(&row.text("redirect_uris")?).unwrap_or_default();
            Ok(Client {
                id: row.text("client_id")?,
                secret_hash: row.maybe_bytes("secret_hash")?,
                name: row.text("client_name")?,
                redirect_uris,
                origin: Origin::Registered,
            })
        };
        read().map_err(|_| UnknownClient::Store)
    }

    /// The client a token or revocation request authenticates as: HTTP
    /// Basic (each part form-decoded, RFC 6749 §2.3.1), the form's
    /// `client_secret`, or a public client's `client_id` alone; one way
    /// only. A refusal is the response to send.
    pub(super) async fn authenticate_client(
        &self,
        headers: &HeaderMap,
        form: &Form,
    ) -> Result<Client, Response> {
        let invalid = || {
            let mut response = oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            );
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"mcp\""),
            );
            response
        };
        let basic = match headers.get(AUTHORIZATION) {
            Some(value) => Some(basic_credentials(value).ok_or_else(invalid)?),
            None => None,
        };
        let (id, secret) = match (basic, form.get("client_id"), form.get("client_secret")) {
            (Some(_), _, Some(_)) => {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the client authenticated in two ways; use one",
                ));
            }
            (Some((id, _)), Some(form_id), None) if id != form_id => {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "the client_id differs from the HTTP Basic one",
                ));
            }
            (Some((id, secret)), _, None) => (id, Some(secret)),
            (None, Some(id), secret) => (id.to_owned(), secret.map(str::to_owned)),
            (None, None, _) => return Err(invalid()),
        };
        let client = match self.client(&id).await {
            Ok(client) => client,
            Err(UnknownClient::NotFound | UnknownClient::Document(_)) => return Err(invalid()),
            Err(UnknownClient::Store) => {
                return Err(unavailable("the server's store is unavailable"));
            }
        };
        let authenticated = match (&client.secret_hash, secret) {
            (None, None) => true,
            (Some(expected), Some(secret)) => constant_time_eq(expected, &hashed(&secret)),
            _ => false,
        };
        if authenticated {
            Ok(client)
        } else {
            Err(invalid())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// HTTP Basic client credentials, each part form-decoded.
fn basic_credentials(value: &axum::http::HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let form_decode = |text: &str| -> Option<String> {
        url::form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((form_decode(id)?, form_decode(secret)?))
}

/// A form or query, each parameter at most once, and an empty one as
/// absent (RFC 6749 §3.1, §3.2).
pub(super) struct Form(HashMap<String, String>);

impl Form {
    /// The parameters of `text`, or the name of one given twice.
    pub(super) fn parse(text: &[u8]) -> Result<Form, String> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(text) {
            if value.is_empty() {
                continue;
            }
            if params
                .insert(name.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(name.into_owned());
            }
        }
        Ok(Form(params))
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Attempts per key (an address registering, a host fetched from) and
/// minute.
pub(super) struct RateLimit<K = IpAddr> {
    per_minute: u32,
    seen: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: std::hash::Hash + Eq> RateLimit<K> {
    pub(super) fn new(per_minute: u32) -> Self {
        RateLimit {
            per_minute,
            seen: Mutex::default(),
        }
    }

    /// Whether `key` may try now; counts it if so.
    pub(super) fn admit(&self, key: K) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let minute = std::time::Duration::from_secs(60);
        if seen.len() > 10_000 {
            seen.retain(|_, (since, _)| since.elapsed() < minute);
        }
        let (since, count) = seen.entry(key).or_insert((Instant::now(), 0));
        if since.elapsed() >= minute {
            *since = Instant::now();
            *count = 0;
        }
        if *count >= self.per_minute {
            return false;
        }
        *count += 1;
        true
    }
}

/// A registration request's fields this server reads (RFC 7591 §2).
#[derive(serde::Deserialize)]
struct Metadata {
    redirect_uris: Option<Vec<String>>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

fn invalid_metadata(description: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_client_metadata",
        description,
    )
}

fn invalid_redirect(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_redirect_uri", description)
}

/// Whether `uri` may be a redirect URI: https, or http to a loopback
/// address (RFC 8252 §7.3), absolute, without a fragment or credentials.
pub(super) fn allowed_redirect(uri: &str) -> Result<(), &'static str> {
    if uri.len() > MAX_URI_LEN {
        return Err("a redirect URI is too long");
    }
    let url = url::Url::parse(uri).map_err(|_| "a redirect URI is not an absolute URL")?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err("a redirect URI has a fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a redirect URI carries credentials");
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if super::is_loopback(&url) => Ok(()),
        "http" => Err("an http redirect URI must be on a loopback address; use https"),
        _ => Err("a redirect URI must be https, or http on a loopback address"),
    }
}

/// `POST /oauth/register`: dynamic client registration (RFC 7591).
pub(super) async fn register(
    State(server): State<AuthorizationServer>,
    request: Request,
) -> Response {
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if !server.0.registrations.admit(address) {
        let mut response = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "too many registrations from this address; try again in a minute",
        );
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("60"),
        );
        return response;
    }
    let json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return invalid_metadata("the registration must be application/json");
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await else {
        return oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_client_metadata",
            "the registration is larger than this server reads",
        );
    };
    register_body(&server, &body).await
}

async fn register_body(server: &AuthorizationServer, body: &Bytes) -> Response {
    let Ok(metadata) = serde_json::from_slice::<Metadata>(body) else {
        return invalid_metadata("the registration is not client metadata (RFC 7591)");
    };
    let redirect_uris = metadata.redirect_uris.unwrap_or_default();
    if redirect_uris.is_empty() {
        return invalid_redirect("at least one redirect URI is required");
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return invalid_redirect("too many redirect URIs");
    }
    for uri in &redirect_uris {
        if let Err(problem) = allowed_redirect(uri) {
            return invalid_redirect(problem);
        }
    }
    let method = metadata
        .token_endpoint_auth_method
        .unwrap_or_else(|| "client_secret_basic".to_owned());
    if !["none", "client_secret_basic", "client_secret_post"].contains(&method.as_str()) {
        return invalid_metadata(
            "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post",
        );
    }
    let grant_types = metadata
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    if grant_types
        .iter()
        .any(|grant| grant != "authorization_code" && grant != "refresh_token")
    {
        return invalid_metadata(
            "only the authorization_code and refresh_token grants are supported",
        );
    }
    let response_types = metadata
        .response_types
        .unwrap_or_else(|| vec!["code".to_owned()]);
    if response_types.iter().any(|kind| kind != "code") {
        return invalid_metadata("only the code response type is supported");
    }
    let name = metadata
        .client_name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "an MCP client".to_owned());
    if name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return invalid_metadata("the client_name is too long or holds control characters");
    }
    let (Some(id), Some(secret)) = (random_token(), random_token()) else {
        return unavailable("no randomness from the OS");
    };
    let id = format!("mcp-{id}");
    let secret = (method != "none").then_some(secret);
    let now = now();
    let db = server.0.store.db();
    // Registrations never used to get a token go after a day; used ones stay.
    let stale = now.saturating_sub(super::UNUSED_REGISTRATION.as_secs()) as i64;
    let stored = async {
        db.execute(
            "DELETE FROM fanvue_mcp_clients WHERE used_at IS NULL AND created_at < ? \
             AND registered_by = 'dcr'",
            &[Value::Int(stale)],
        )
        .await?;
        let secret_hash = secret.as_deref().map(hashed);
        db.execute(
            "INSERT INTO fanvue_mcp_clients \
             (client_id, secret_hash, client_name, redirect_uris, registered_by, created_at, used_at) \
             VALUES (?, ?, ?, ?, 'dcr', ?, NULL)",
            &[
                Value::Text(&id),
                Value::MaybeBytes(secret_hash.as_deref()),
                Value::Text(&name),
                Value::Text(&serde_json::to_string(&redirect_uris).unwrap_or_default()),
                Value::Int(now as i64),
            ],
        )
        .await
    };
    if stored.await.is_err() {
        return unavailable("the server's store is unavailable");
    }
    let mut answer = serde_json::json!({
        "client_id": id,
        "client_id_issued_at": now,
        "client_name": name,
        "redirect_uris": redirect_uris,
        "token_endpoint_auth_method": method,
        "grant_types": grant_types,
        "response_types": response_types,
    });
    if let Some(secret) = secret {
        answer["client_secret"] = secret.into();
        answer["client_secret_expires_at"] = 0.into();
    }
    (
        StatusCode::CREATED,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        answer.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_without_fragments() {
        for allowed in [
            "https://client.example/callback",
            "http://127.0.0.1:6274/oauth/callback",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
        ] {
            assert_eq!(allowed_redirect(allowed), Ok(()), "{allowed}");
        }
        for refused in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "http://client.example/cb",
            "https://client.example/cb#frag",
            "https://user:pass@client.example/cb",
            "/relative",
            "file:///etc/passwd",
            "http://127.0.0.1.evil.example/cb",
        ] {
            assert!(allowed_redirect(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_form_refuses_a_repeated_parameter_and_drops_empty_ones() {
        let form = Form::parse(b"a=1&b=&c=3").expect("a form");
        assert_eq!(
            (form.get("a"), form.get("b"), form.get("c")),
            (Some("1"), None, Some("3"))
        );
        assert_eq!(Form::parse(b"a=1&a=2").err().as_deref(), Some("a"));
    }

    #[test]
    fn registrations_are_limited_per_address_and_minute() {
        let limit = RateLimit::new(2);
        let one = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
        let two = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        assert!(limit.admit(one) && limit.admit(one));
        assert!(!limit.admit(one));
        assert!(limit.admit(two));
    }
}
