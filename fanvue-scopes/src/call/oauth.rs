//! Asking Fanvue for the right scopes: the OAuth 2.0 endpoints, the
//! protocol scopes every authorize request includes, and the `scope`
//! parameter built from what the app's handlers require.
//!
//! Fanvue uses the authorization code grant with PKCE (S256) for every flow.
//! Access tokens last about an hour; refresh tokens rotate, and each one
//! works once.
//!
//! ```
//! use fanvue_scopes::{oauth, scopes};
//!
//! // Least privilege: exactly what the app's handlers need.
//! let scope = oauth::authorize_scope(scopes![read:chat, read:self, write:chat]);
//! assert_eq!(scope, "openid offline_access offline read:self read:chat write:chat");
//! assert_eq!(oauth::AUTHORIZE_URL, "https://auth.fanvue.com/oauth2/auth");
//! ```
//!
//! [`authorize_scope_for_routes`] computes it from the routes the app
//! guards (with `Requirement::of`), once its router is built; with the
//! `registry` feature, `authorize_scope_for_handlers` computes it from
//! every `#[requires]` fn in the program. With the `oauth2`
//! feature, [`authorize_scope_list`] and [`token_response_scopes`] convert to and from
//! the `oauth2` crate's scopes; see the example there.
//!
//! # Why protocol scopes are not `Scope`s
//!
//! `openid`, `offline_access` and `offline` shape the OAuth exchange (an ID
//! token, refresh tokens); they grant no access to any resource, so no
//! handler requires them, and [`Scope`](crate::Scope) and
//! [`ScopeSet`] stay the resource table. The token parser still knows them:
//! [`ScopeSet::parse_lenient`] reports them through
//! [`LenientScopes::protocol`](crate::LenientScopes::protocol), not as unknown.

//!
#![cfg_attr(
    not(feature = "oauth2"),
    doc = "[`authorize_scope_list`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "oauth2"),
    doc = "[`token_response_scopes`]: crate#feature-flags"
)]

use crate::ScopeSet;

fanvue_scopes_macros::__generate_oauth! {
    /// A protocol scope from the `[oauth]` table of `scopes.toml`: part of
    /// every authorize request, carried by tokens, required by no handler.
    pub enum ProtocolScope;
}

/// The `scope` parameter of an authorize request: the protocol scopes
/// first, then `scopes` in `scopes.toml` order, each once.
pub fn authorize_scope(scopes: ScopeSet) -> String {
    let mut parameter = String::new();
    for name in ProtocolScope::ALL
        .iter()
        .map(|scope| scope.as_str())
        .chain(scopes.iter().map(|scope| scope.as_str()))
    {
        if !parameter.is_empty() {
            parameter.push(' ');
        }
        parameter.push_str(name);
    }
    parameter
}

/// The least-privilege `scope` parameter for every route the app guards:
/// [`authorize_scope`] of [`least_privilege_for_routes`](crate::least_privilege_for_routes).
/// Call it once the router is built.
pub fn authorize_scope_for_routes() -> String {
    authorize_scope(crate::least_privilege_for_routes())
}

/// The least-privilege `scope` parameter for every `#[requires]` fn in the
/// program: [`authorize_scope`] of [`least_privilege_for_handlers`](crate::least_privilege_for_handlers).
#[cfg(feature = "registry")]
pub fn authorize_scope_for_handlers() -> String {
    authorize_scope(crate::least_privilege_for_handlers())
}

/// The issuer of Fanvue's authorization server: the origin of
/// [`AUTHORIZE_URL`].
pub fn authorization_server() -> &'static str {
    let after_scheme = AUTHORIZE_URL.find("://").map_or(0, |index| index + 3);
    let end = AUTHORIZE_URL[after_scheme..]
        .find('/')
        .map_or(AUTHORIZE_URL.len(), |index| after_scheme + index);
    &AUTHORIZE_URL[..end]
}

/// The OAuth 2.0 Protected Resource Metadata (RFC 9728) of an app that
/// accepts Fanvue tokens as bearer credentials, as JSON for
/// `/.well-known/oauth-protected-resource`: the app's `resource` URL,
/// Fanvue's authorization server, every scope of `scopes.toml`, and the
/// `Authorization` header as the one way to send a token.
///
/// ```
/// let metadata = fanvue_scopes::oauth::protected_resource_metadata("https://app.example");
/// assert!(metadata.starts_with(r#"{"resource":"https://app.example","authorization_servers":["https://auth.fanvue.com"]"#));
/// assert!(metadata.contains(r#""read:chat""#));
/// assert!(metadata.ends_with(r#""bearer_methods_supported":["header"]}"#));
/// ```
pub fn protected_resource_metadata(resource: &str) -> String {
    protected_resource_metadata_at(resource, authorization_server(), crate::ScopeSet::ALL)
}

/// [`protected_resource_metadata`] naming another authorization server
/// (a stand-in's issuer, in tests) and only `scopes`: for an MCP server,
/// the least privilege of its tools, which clients start with.
///
/// ```
/// use fanvue_scopes::{oauth, scopes};
///
/// let metadata = oauth::protected_resource_metadata_at(
///     "http://127.0.0.1:8788/mcp",
///     "http://127.0.0.1:9000",
///     scopes![read:chat, read:insights],
/// );
/// assert_eq!(
///     metadata,
///     r#"{"resource":"http://127.0.0.1:8788/mcp","authorization_servers":["http://127.0.0.1:9000"],"scopes_supported":["read:chat","read:insights"],"bearer_methods_supported":["header"]}"#
/// );
/// ```
pub fn protected_resource_metadata_at(
    resource: &str,
    authorization_server: &str,
    scopes: crate::ScopeSet,
) -> String {
    use crate::response::push_json_string;
    let mut json = String::from("{\"resource\":");
    push_json_string(&mut json, resource);
    json.push_str(",\"authorization_servers\":[");
    push_json_string(&mut json, authorization_server);
    json.push_str("],\"scopes_supported\":[");
    for (index, scope) in scopes.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        push_json_string(&mut json, scope.as_str());
    }
    json.push_str("],\"bearer_methods_supported\":[\"header\"]}");
    json
}

/// Whether `requested` is the registered redirect URI `registered`: the
/// same string, or, for a loopback IP literal over `http`, the same but
/// for the port (RFC 8252 §7.3: a native app listens on whatever port
/// the system gives it). As Hydra (fosite) reads it: `localhost` is a
/// name, not a loopback IP, and is compared exactly (RFC 8252 §8.3).
#[cfg(any(feature = "testing", feature = "mcp-auth"))]
pub(crate) fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(registered), Ok(requested)) = (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    let loopback_ip = match requested.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    loopback_ip
        && requested.scheme() == "http"
        && registered.scheme() == "http"
        && registered.host() == requested.host()
        && registered.path() == requested.path()
        && registered.query() == requested.query()
        && registered.fragment().is_none()
        && requested.fragment().is_none()
        && requested.username().is_empty()
        && requested.password().is_none()
}

/// The most characters of an `error_description`: a hostile parameter
/// name in it is cut short.
#[cfg(any(feature = "testing", feature = "mcp-auth"))]
const MAX_DESCRIPTION_CHARS: usize = 200;

/// `text` as an `error_description` may be (RFC 6749 §4.1.2.1, §5.2):
/// printable ASCII but `"` and `\`. Every description the stand-in and
/// the MCP authorization server send passes here, since some quote what
/// the client sent: each character outside that set is shown as `?`, and a
/// long one is cut short.
#[cfg(any(feature = "testing", feature = "mcp-auth"))]
pub(crate) fn error_description(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(MAX_DESCRIPTION_CHARS)
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '?',
        })
        .collect();
    if text.chars().nth(MAX_DESCRIPTION_CHARS).is_some() {
        shown.push_str("...");
    }
    shown
}

#[cfg(feature = "oauth2")]
pub use self::oauth2_interop::{authorize_scope_list, token_response_scopes};

/// Conversions to and from the `oauth2` crate.
#[cfg(feature = "oauth2")]
mod oauth2_interop {
    use super::ProtocolScope;
    use crate::{Scope, ScopeSet, UnknownScope};

    impl From<Scope> for oauth2::Scope {
        fn from(scope: Scope) -> Self {
            oauth2::Scope::new(scope.as_str().to_owned())
        }
    }

    impl From<ProtocolScope> for oauth2::Scope {
        fn from(scope: ProtocolScope) -> Self {
            oauth2::Scope::new(scope.as_str().to_owned())
        }
    }

    impl From<ScopeSet> for Vec<oauth2::Scope> {
        /// The set's scopes, in `scopes.toml` order.
        fn from(scopes: ScopeSet) -> Self {
            scopes.iter().map(oauth2::Scope::from).collect()
        }
    }

    impl TryFrom<&oauth2::Scope> for Scope {
        type Error = UnknownScope;

        fn try_from(scope: &oauth2::Scope) -> Result<Self, Self::Error> {
            scope.as_str().parse()
        }
    }

    /// [`authorize_scope`](super::authorize_scope) as a list, for `oauth2`'s `add_scopes`: the
    /// protocol scopes, then `scopes`, in the order of [`authorize_scope`](super::authorize_scope).
    ///
    /// ```
    /// use fanvue_scopes::{oauth, scopes};
    /// use oauth2::basic::BasicClient;
    /// use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, TokenUrl};
    ///
    /// let client = BasicClient::new(ClientId::new("my-app".to_owned()))
    ///     .set_auth_uri(AuthUrl::new(oauth::AUTHORIZE_URL.to_owned())?)
    ///     .set_token_uri(TokenUrl::new(oauth::TOKEN_URL.to_owned())?)
    ///     .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:8080/callback".to_owned())?);
    /// let (pkce_challenge, _pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    /// let (url, _csrf) = client
    ///     .authorize_url(CsrfToken::new_random)
    ///     .add_scopes(oauth::authorize_scope_list(scopes![read:self, read:chat]))
    ///     .set_pkce_challenge(pkce_challenge)
    ///     .url();
    /// assert!(url.as_str().starts_with("https://auth.fanvue.com/oauth2/auth?"));
    /// # Ok::<(), oauth2::url::ParseError>(())
    /// ```
    pub fn authorize_scope_list(scopes: ScopeSet) -> Vec<oauth2::Scope> {
        ProtocolScope::ALL
            .into_iter()
            .map(oauth2::Scope::from)
            .chain(scopes.iter().map(oauth2::Scope::from))
            .collect()
    }

    /// The resource scopes a token response granted (its `scopes()`),
    /// leniently: protocol scopes and names this crate does not know are left
    /// out. A response without `scope` granted what was requested (RFC 6749
    /// §5.1): use the requested set then.
    pub fn token_response_scopes<'a>(
        scopes: impl IntoIterator<Item = &'a oauth2::Scope>,
    ) -> ScopeSet {
        scopes
            .into_iter()
            .filter_map(|scope| Scope::try_from(scope).ok())
            .collect()
    }
}
