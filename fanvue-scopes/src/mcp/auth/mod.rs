//! The MCP server as the OAuth authorization server its clients register
//! with, and a Fanvue client behind it: the MCP client never sees a Fanvue
//! token, and Fanvue never sees the MCP client's.
//!
//! Fanvue registers apps by hand, in its developer area; MCP clients (Claude,
//! Cursor, VS Code, the MCP Inspector, mcp-remote) register themselves with
//! the authorization server their MCP server names (RFC 9728). So the server
//! is that authorization server:
//!
//! - **Metadata**: RFC 8414 at `/.well-known/oauth-authorization-server`, and
//!   RFC 9728 for the MCP resource, with `scopes_supported` the tools' least
//!   privilege ([`AuthorizationServer::protected_resource_metadata`]).
//! - **Registration**: a Client ID Metadata Document, fetched safely
//!   ([`ClientDocuments`]); dynamic (RFC 7591, `/oauth/register`), public clients
//!   (PKCE, `none`) and confidential ones, redirect URIs https or loopback,
//!   bounded in size, count and rate, unused ones expiring; and clients
//!   configured in code.
//! - **Authorize** (`/oauth/authorize`): PKCE S256, `state`, and `resource`
//!   (RFC 8707) equal to the MCP URL; its own consent page naming the client
//!   (its name, its redirect host, "unverified" when it registered itself)
//!   and each scope with its description, remembered per client in the
//!   browser that gave it; then Fanvue's authorize, asking for the least
//!   privilege the tools need, with its own `state` and PKCE.
//! - **Fanvue's callback** (`/oauth/fanvue/callback`): the code exchanged,
//!   the Fanvue grant kept in the [grant store](crate::grant), and a code of
//!   the server's own for the MCP client.
//! - **Tokens** (`/oauth/token`, `/oauth/revoke`): the server's own, bound
//!   to the MCP resource, their scopes exactly Fanvue's, expiring with the
//!   Fanvue access token; refresh tokens rotate, a reuse revokes the family,
//!   and a reuse by the same client within a short grace window (two tabs,
//!   two processes of one client refreshing at once) gets a working pair of
//!   its own. Every token, code and client secret is stored only as a
//!   SHA-256 hash. Revoking one revokes its family and the grant at Fanvue.
//! - **Requests to the MCP endpoint** ([`authenticate`]):
//!   a token of this server's for this resource, its scopes as
//!   [`Granted`](crate::Granted), and the user's Fanvue token, fresh from the
//!   grant store, as [`FanvueAccess`] for the tools. A grant Fanvue ended is
//!   `401 invalid_token` naming the metadata, so the client signs in again;
//!   Fanvue unreachable is `503`, and nothing is revoked.
//!
//! Scopes accumulate for a client in a browser: a client that authorizes
//! again with only a challenge's scopes asks Fanvue for those and what the
//! user already allowed it there, so it doesn't bounce between consents;
//! what it asks for beyond what the tools use is never asked of Fanvue.

mod clients;
mod documents;
mod flow;
mod tokens;

pub use clients::ConfiguredClient;
pub use documents::ClientDocuments;
pub use tokens::{FanvueAccess, authenticate};

use crate::grant::GrantStore;
use crate::mcp::ToolGuard;
use crate::{ScopeSet, oauth};
use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The scope a client asks for to get a refresh token too (OpenID Connect
/// §11, as Fanvue's Hydra reads it): without it, a client that wants more
/// scopes authorizes again rather than refresh into the same ones.
const OFFLINE: &str = "offline_access";

/// How long an authorization may take, from the MCP client's authorize
/// request to Fanvue's callback.
const REQUEST_LIFETIME: Duration = Duration::from_secs(600);
/// How long a code of the server's lives.
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long after a refresh token was spent its client may present it
/// again and get a pair of its own, by default: two refreshes of one token
/// at once (two tabs, two processes of one client).
pub const DEFAULT_REFRESH_GRACE: Duration = Duration::from_secs(30);
/// How long a registration that was never used to get a token is kept.
const UNUSED_REGISTRATION: Duration = Duration::from_secs(24 * 3600);

/// The authorization server: see [the module](self). Cheap to clone.
#[derive(Clone)]
pub struct AuthorizationServer(Arc<Inner>);

struct Inner {
    /// `https://mcp.example`: the origin the MCP endpoint is served at.
    issuer: String,
    /// The MCP endpoint's URL, the resource its tokens are bound to.
    resource: String,
    /// Where Fanvue sends the user back: `{issuer}/oauth/fanvue/callback`,
    /// registered for the app in the Fanvue developer area.
    callback: String,
    fanvue_authorize_url: String,
    store: Arc<GrantStore>,
    /// The tools' least privilege: asked for when a client names no scope.
    least_privilege: ScopeSet,
    /// Every scope some tool uses: nothing else is asked of Fanvue.
    usable: ScopeSet,
    configured: Vec<ConfiguredClient>,
    documents: Option<Arc<ClientDocuments>>,
    registrations: clients::RateLimit,
    access: tokens::AccessCache,
    refresh_grace: Duration,
}

impl fmt::Debug for AuthorizationServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationServer")
            .field("issuer", &self.0.issuer)
            .field("resource", &self.0.resource)
            .finish_non_exhaustive()
    }
}

/// An MCP URL that can't be served as a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidResource(String);

impl fmt::Display for InvalidResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` can't be the MCP resource: write an https URL (http on a loopback address), \
             with a path and no query or fragment, such as `https://mcp.example/mcp`",
            crate::error::Shown(&self.0)
        )
    }
}

impl std::error::Error for InvalidResource {}

/// Sets up an [`AuthorizationServer`]: `AuthorizationServer::builder(..)`.
#[must_use]
pub struct AuthorizationServerBuilder {
    resource: String,
    store: Arc<GrantStore>,
    least_privilege: ScopeSet,
    usable: ScopeSet,
    fanvue_authorize_url: String,
    configured: Vec<ConfiguredClient>,
    documents: Option<Arc<ClientDocuments>>,
    registrations_per_minute: u32,
    refresh_grace: Duration,
}

impl fmt::Debug for AuthorizationServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationServerBuilder")
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl AuthorizationServer {
    /// The authorization server of the MCP endpoint at `mcp_url`
    /// (`https://mcp.example/mcp`), for the tools `tools` guards, keeping
    /// its state and the users' Fanvue grants in `store`.
    pub fn builder(
        mcp_url: &str,
        store: Arc<GrantStore>,
        tools: &ToolGuard,
    ) -> AuthorizationServerBuilder {
        let usable = tools
            .tools()
            .filter_map(|(_, requirement)| requirement)
            .fold(ScopeSet::EMPTY, |all, requirement| {
                requirement
                    .any()
                    .iter()
                    .fold(all | requirement.all(), |all, group| all | *group)
            });
        AuthorizationServerBuilder {
            resource: mcp_url.to_owned(),
            store,
            least_privilege: tools.least_privilege(),
            usable,
            fanvue_authorize_url: oauth::AUTHORIZE_URL.to_owned(),
            configured: Vec::new(),
            documents: None,
            registrations_per_minute: 20,
            refresh_grace: DEFAULT_REFRESH_GRACE,
        }
    }

    /// The issuer: the origin the MCP endpoint is served at.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// Where Fanvue sends the user back; register it for the app in the
    /// Fanvue developer area.
    pub fn fanvue_callback(&self) -> &str {
        &self.0.callback
    }

    /// The RFC 9728 metadata URL for the MCP resource (its path form), for
    /// the `resource_metadata` of every challenge.
    pub fn resource_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource{}",
            self.0.issuer,
            self.resource_path()
        )
    }

    fn resource_path(&self) -> &str {
        &self.0.resource[self.0.issuer.len()..]
    }

    /// RFC 9728 protected resource metadata naming this server, with the
    /// tools' least privilege as `scopes_supported`.
    pub fn protected_resource_metadata(&self) -> String {
        oauth::protected_resource_metadata_at(
            &self.0.resource,
            &self.0.issuer,
            self.0.least_privilege,
        )
    }

    /// RFC 8414 authorization server metadata.
    pub fn metadata(&self) -> String {
        let issuer = &self.0.issuer;
        // `offline_access` asks for a refresh token, as at Fanvue (Hydra).
        let scopes: Vec<&str> = std::iter::once(OFFLINE)
            .chain(self.0.least_privilege.iter().map(|s| s.as_str()))
            .collect();
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/oauth/authorize"),
            "token_endpoint": format!("{issuer}/oauth/token"),
            "registration_endpoint": format!("{issuer}/oauth/register"),
            "revocation_endpoint": format!("{issuer}/oauth/revoke"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "authorization_response_iss_parameter_supported": true,
            "scopes_supported": scopes,
            "client_id_metadata_document_supported": self.0.documents.is_some(),
        })
        .to_string()
    }

    /// The server's routes: the metadata (RFC 8414, and RFC 9728 for the
    /// MCP resource at its path form and the root form MCP clients try
    /// next), registration, authorize and consent, Fanvue's callback, the
    /// token and revocation endpoints. Merge it with the MCP endpoint
    /// behind [`authenticate`] and `mcp::guard`.
    pub fn router(&self) -> Router {
        use axum::routing::{get, post};
        let metadata = self.metadata();
        let resource = self.protected_resource_metadata();
        let json = |body: String| {
            get(move || {
                let body = body.clone();
                async move { ([(CONTENT_TYPE, "application/json")], body) }
            })
        };
        Router::new()
            .route("/.well-known/oauth-authorization-server", json(metadata))
            .route(
                &format!(
                    "/.well-known/oauth-protected-resource{}",
                    self.resource_path()
                ),
                json(resource.clone()),
            )
            .route("/.well-known/oauth-protected-resource", json(resource))
            .route("/oauth/register", post(clients::register))
            .route("/oauth/authorize", get(flow::authorize))
            .route("/oauth/consent", post(flow::consent))
            .route("/oauth/fanvue/callback", get(flow::fanvue_callback))
            .route("/oauth/token", post(tokens::token))
            .route("/oauth/revoke", post(tokens::revoke))
            .layer(axum::extract::DefaultBodyLimit::max(
                clients::MAX_BODY_BYTES,
            ))
            .with_state(self.clone())
    }
}

impl AuthorizationServerBuilder {
    /// Fanvue's authorize URL; by default `oauth::AUTHORIZE_URL`. A
    /// stand-in's in tests (`StandIn::authorize_url`). The token and
    /// revocation endpoints are the grant store's `FanvueClient`'s.
    pub fn fanvue_authorize_url(mut self, url: &str) -> Self {
        self.fanvue_authorize_url = url.to_owned();
        self
    }

    /// A client configured here rather than registered.
    pub fn client(mut self, client: ConfiguredClient) -> Self {
        self.configured.push(client);
        self
    }

    /// Accept clients whose `client_id` is the https URL of their Client ID
    /// Metadata Document, fetched with `documents`. Without it, such a
    /// client is unknown, and must register.
    pub fn client_metadata_documents(mut self, documents: ClientDocuments) -> Self {
        self.documents = Some(Arc::new(documents));
        self
    }

    /// How many registrations one address may make a minute; by default 20.
    pub fn registrations_per_minute(mut self, count: u32) -> Self {
        self.registrations_per_minute = count;
        self
    }

    /// How long after a refresh token was spent its own client may spend
    /// it again and get a working pair of its own; by default
    /// [`DEFAULT_REFRESH_GRACE`]. Later, a reuse revokes the family.
    pub fn refresh_grace(mut self, grace: Duration) -> Self {
        self.refresh_grace = grace;
        self
    }

    /// The server, or why its MCP URL can't be a resource.
    pub fn build(self) -> Result<AuthorizationServer, InvalidResource> {
        let invalid = || InvalidResource(self.resource.clone());
        let url = url::Url::parse(&self.resource).map_err(|_| invalid())?;
        let secure = url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url));
        if !secure || url.query().is_some() || url.fragment().is_some() || url.path() == "/" {
            return Err(invalid());
        }
        let issuer = url.origin().ascii_serialization();
        let resource = format!("{issuer}{}", url.path().trim_end_matches('/'));
        Ok(AuthorizationServer(Arc::new(Inner {
            callback: format!("{issuer}/oauth/fanvue/callback"),
            issuer,
            resource,
            fanvue_authorize_url: self.fanvue_authorize_url,
            store: self.store,
            least_privilege: self.least_privilege,
            usable: self.usable,
            configured: self.configured,
            documents: self.documents,
            registrations: clients::RateLimit::new(self.registrations_per_minute),
            access: tokens::AccessCache::default(),
            refresh_grace: self.refresh_grace,
        })))
    }
}

/// Whether `url`'s host is this machine: a loopback IP, or `localhost`.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// 256 random bits from the OS, URL-safe; `None` when the OS gives none.
fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored of a secret: its SHA-256, so a database dump yields
/// nothing that works.
fn hashed(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The S256 code challenge of a PKCE verifier (RFC 7636 §4.2).
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `value` is a PKCE verifier or S256 challenge: 43 to 128
/// unreserved characters (RFC 7636 §4.1, §4.2).
fn valid_pkce(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
}

/// Seconds since the Unix epoch, now.
fn now() -> u64 {
    crate::grant::unix_now()
}

/// An OAuth error as JSON (RFC 6749 §5.2, RFC 7591 §3.2.2), never cached.
fn oauth_error(status: axum::http::StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({
        "error": error,
        "error_description": oauth::error_description(description),
    });
    (
        status,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// A transient failure of the store or of Fanvue: `503`, try again soon.
fn unavailable(what: &str) -> Response {
    let mut response = oauth_error(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        what,
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("5"),
    );
    response
}
