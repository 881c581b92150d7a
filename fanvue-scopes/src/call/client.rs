//! Calling the Fanvue API: refuse a call the token's scopes don't cover
//! before it is sent, and read Fanvue's `403` as the same refusal.
//!
//! [`CallCheck`] finds the [`Endpoint`] an outgoing request is for and
//! checks the token's granted scopes against it. It needs no HTTP library:
//! give it a method and a URL. With the `http` feature it also reads an
//! `http::Request`, and with the `reqwest` feature [`ScopeCheck`] does it
//! for every request a `reqwest-middleware` client sends.
//!
//! A request is checked only when it goes to the API's base URL
//! ([`API_BASE_URL`](crate::oauth::API_BASE_URL) unless you set another)
//! and is for a catalogued endpoint. Anything else passes unchecked: an
//! endpoint newer than this crate's catalog, or another host. The catalog
//! is of [`API_VERSION`](crate::API_VERSION).
//!
//! ```
//! use fanvue_scopes::client::CallCheck;
//! use fanvue_scopes::{scopes, Endpoint};
//!
//! let check = CallCheck::new(scopes![read:self, read:chat]);
//! assert_eq!(
//!     check.url("GET", "https://api.fanvue.com/chats?size=20"),
//!     Ok(Some(Endpoint::ListChats))
//! );
//! let refused = check
//!     .url("POST", "https://api.fanvue.com/chats/0b7c1a9e/message")
//!     .unwrap_err();
//! assert_eq!(refused.endpoint(), Endpoint::SendMessage);
//! assert_eq!(refused.missing(), scopes![write:chat]);
//!
//! // Not a catalogued endpoint, or not the Fanvue API: not checked.
//! assert_eq!(check.url("GET", "https://api.fanvue.com/brand-new"), Ok(None));
//! assert_eq!(check.url("GET", "https://example.com/chats"), Ok(None));
//! ```
//!
#![cfg_attr(not(feature = "reqwest"), doc = "[`ScopeCheck`]: crate#feature-flags")]

use crate::{CallRefused, Endpoint, ScopeSet};
use std::fmt;
use url::{Host, Url};

/// The header Fanvue reads the API version from; send it with
/// [`API_VERSION`](crate::API_VERSION).
pub const API_VERSION_HEADER: &str = "X-Fanvue-API-Version";

/// Checks outgoing calls to the Fanvue API against one token's scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCheck {
    granted: ScopeSet,
    base_url: Url,
}

impl CallCheck {
    /// Checks calls to [`API_BASE_URL`](crate::oauth::API_BASE_URL)
    /// against `granted`, the scopes of the token the calls carry (from
    /// the token response: see `oauth::token_response_scopes`).
    pub fn new(granted: ScopeSet) -> Self {
        CallCheck {
            granted,
            base_url: fanvue_api(),
        }
    }

    /// Checks calls to another base URL instead, such as a stand-in API in
    /// tests (`http://127.0.0.1:4000`), or one with a path prefix.
    ///
    /// The URL is read as the URL standard (and reqwest) reads it; one that
    /// is not an absolute `http` or `https` URL with a host, or that has a
    /// query or fragment, is an error, never a check that silently matches
    /// nothing.
    ///
    /// ```
    /// use fanvue_scopes::client::CallCheck;
    /// use fanvue_scopes::scopes;
    ///
    /// let check = CallCheck::new(scopes![read:chat]).with_base_url("http://127.0.0.1:4000/")?;
    /// assert_eq!(check.base_url(), "http://127.0.0.1:4000/");
    /// assert!(CallCheck::new(scopes![]).with_base_url("127.0.0.1:4000").is_err());
    /// # Ok::<(), fanvue_scopes::client::InvalidBaseUrl>(())
    /// ```
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, InvalidBaseUrl> {
        let invalid = |reason| InvalidBaseUrl {
            given: base_url.into(),
            reason,
        };
        let parsed =
            Url::parse(base_url).map_err(|_| invalid("it does not parse as an absolute URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("its scheme is not `http` or `https`"));
        }
        if parsed.host().is_none() {
            return Err(invalid("it has no host"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("it has a query or a fragment"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("it has user info"));
        }
        self.base_url = parsed;
        Ok(self)
    }

    /// The scopes calls are checked against.
    pub const fn granted(&self) -> ScopeSet {
        self.granted
    }

    /// The base URL calls are checked under, as the URL parser wrote it.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str()
    }

    /// The endpoint a call to the absolute `url` is for, if it is a
    /// catalogued one under the base URL: `Ok(Some(endpoint))` when
    /// `granted` covers it, `Err` when it does not, `Ok(None)` when the
    /// call is not checked. A string the URL parser rejects is not checked:
    /// no client that parses URLs as the standard does can send it.
    pub fn url(&self, method: &str, url: &str) -> Result<Option<Endpoint>, CallRefused> {
        self.url_with(self.granted, method, url)
    }

    /// [`url`](Self::url), with the scopes of this one call's token.
    pub fn url_with(
        &self,
        granted: ScopeSet,
        method: &str,
        url: &str,
    ) -> Result<Option<Endpoint>, CallRefused> {
        checked(self.endpoint(method, url), granted)
    }

    /// [`url_with`](Self::url_with) for a URL already parsed, such as a
    /// `reqwest::Request`'s.
    pub fn parsed_url_with(
        &self,
        granted: ScopeSet,
        method: &str,
        url: &Url,
    ) -> Result<Option<Endpoint>, CallRefused> {
        checked(self.endpoint_of(method, url), granted)
    }

    /// The catalogued endpoint a call is for, whatever the scopes.
    pub fn endpoint(&self, method: &str, url: &str) -> Option<Endpoint> {
        self.endpoint_of(method, &Url::parse(url).ok()?)
    }

    /// The endpoint of a parsed URL, if it is under the base URL. The path
    /// is the parser's: dot segments resolved, `\` read as `/`, tabs and
    /// newlines dropped, as reqwest sends it.
    fn endpoint_of(&self, method: &str, url: &Url) -> Option<Endpoint> {
        if !same_origin(url, &self.base_url) {
            return None;
        }
        let base_path = self.base_url.path().trim_end_matches('/');
        let path = url.path().strip_prefix(base_path)?;
        match path {
            "" => Endpoint::find(method, "/"),
            // `/fanvue-v2/chats` under a base path `/fanvue`: not the API.
            _ if !path.starts_with('/') => None,
            _ => Endpoint::find(method, path),
        }
    }
}

/// The API's base URL from `scopes.toml`, which the build checked is an
/// absolute `https://` URL.
fn fanvue_api() -> Url {
    #[allow(clippy::expect_used)]
    Url::parse(crate::oauth::API_BASE_URL)
        .expect("scopes.toml's api_base_url is checked at build time")
}

/// Whether two URLs have the same origin: scheme, host and port, with the
/// scheme's default port made explicit or not (the parser does both), and
/// a domain's one trailing dot (`api.fanvue.com.`, the same name to DNS)
/// left out.
fn same_origin(url: &Url, base: &Url) -> bool {
    url.scheme() == base.scheme()
        && bare_host(url) == bare_host(base)
        && url.port_or_known_default() == base.port_or_known_default()
}

fn bare_host(url: &Url) -> Option<Host<&str>> {
    match url.host() {
        Some(Host::Domain(domain)) => {
            Some(Host::Domain(domain.strip_suffix('.').unwrap_or(domain)))
        }
        other => other,
    }
}

fn checked(endpoint: Option<Endpoint>, granted: ScopeSet) -> Result<Option<Endpoint>, CallRefused> {
    match endpoint {
        Some(endpoint) => endpoint.check(granted).map(|()| Some(endpoint)),
        None => Ok(None),
    }
}

/// A base URL that can't be one: [`CallCheck::with_base_url`] says why,
/// rather than check nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidBaseUrl {
    given: Box<str>,
    reason: &'static str,
}

impl fmt::Display for InvalidBaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the base URL {:?} can't be checked under: {}; give an absolute URL such as \
             `https://api.fanvue.com` or `http://127.0.0.1:4000`",
            self.given, self.reason
        )
    }
}

impl std::error::Error for InvalidBaseUrl {}

#[cfg(feature = "http")]
impl CallCheck {
    /// [`url`](Self::url) for an `http::Request`. A request whose URI has
    /// no scheme and host is taken to be for the API, its path relative to
    /// the API's root.
    ///
    /// Its path is read twice: as written, as a client that sends the URI
    /// as it stands does, and as the URL parser resolves it, as reqwest
    /// and many servers do; a call either reading can't make is refused.
    ///
    /// ```
    /// use fanvue_scopes::client::CallCheck;
    /// use fanvue_scopes::{scopes, Endpoint};
    ///
    /// let request = http::Request::post("https://api.fanvue.com/chats").body(()).unwrap();
    /// let refused = CallCheck::new(scopes![read:chat]).request(&request).unwrap_err();
    /// assert_eq!(refused.endpoint(), Endpoint::CreateChat);
    /// ```
    pub fn request<B>(&self, request: &http::Request<B>) -> Result<Option<Endpoint>, CallRefused> {
        let method = request.method().as_str();
        let uri = request.uri();
        let path = uri.path_and_query().map_or("/", |path| path.as_str());
        let (literal, parsed) = match (uri.scheme_str(), uri.authority()) {
            (Some(_), Some(_)) => {
                let parsed = Url::parse(&uri.to_string()).ok();
                let literal = parsed
                    .as_ref()
                    .filter(|url| same_origin(url, &self.base_url))
                    .and_then(|_| {
                        let base_path = self.base_url.path().trim_end_matches('/');
                        let path = path.strip_prefix(base_path)?;
                        Endpoint::find(method, path)
                    });
                (
                    literal,
                    parsed.and_then(|url| self.endpoint_of(method, &url)),
                )
            }
            _ => {
                // Relative to the API's root, as the parser reads a path.
                let root = Url::parse("http://relative.invalid/").ok();
                let parsed = root
                    .and_then(|root| root.join(path).ok())
                    .and_then(|url| Endpoint::find(method, url.path()));
                (Endpoint::find(method, path), parsed)
            }
        };
        checked(literal, self.granted)?;
        checked(parsed.or(literal), self.granted)
    }
}

#[cfg(feature = "reqwest")]
pub use self::reqwest_middleware_impl::{ScopeCheck, call_refused};

#[cfg(feature = "reqwest")]
mod reqwest_middleware_impl {
    use super::CallCheck;
    use crate::{CallRefused, Endpoint, Granted, ScopeSet};
    use http::Extensions;
    use reqwest::header::WWW_AUTHENTICATE;
    use reqwest::redirect::{Attempt, Policy};
    use reqwest::{Method, Request, Response, StatusCode};
    use reqwest_middleware::{Middleware, Next};
    use std::cell::Cell;
    use std::future::Future;

    /// A `reqwest-middleware` middleware that refuses, before any network
    /// I/O, a call to a catalogued Fanvue endpoint that the token's scopes
    /// don't cover, and turns Fanvue's `403 insufficient_scope` into the
    /// same error.
    ///
    /// The error is `reqwest_middleware::Error::Middleware` holding a
    /// [`CallRefused`]; [`call_refused`] finds it. A call to an endpoint
    /// not in the catalog, or to another host, passes unchecked. A `403`
    /// whose challenge is not `insufficient_scope` (or has none) stays a
    /// response: it is not a scope problem.
    ///
    /// The scopes are the ones given to [`new`](ScopeCheck::new), or, for
    /// one request, a [`Granted`] extension on it (an app that calls for
    /// several users): `client.get(url).with_extension(Granted(scopes))`.
    ///
    /// # Redirects
    ///
    /// reqwest follows redirects below any middleware, so build the client
    /// with [`redirect_policy`](ScopeCheck::redirect_policy): it checks
    /// every hop before it is followed, with the method reqwest will use
    /// for it, and refuses one the token can't make. A client built without
    /// it still has the final URL of a followed redirect checked, but only
    /// once the call was made: that is an error too, never a pass.
    ///
    /// ```no_run
    /// use fanvue_scopes::client::{call_refused, ScopeCheck, API_VERSION_HEADER};
    /// use fanvue_scopes::{scopes, API_VERSION};
    /// use std::time::Duration;
    ///
    /// # async fn run(access_token: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let check = ScopeCheck::new(scopes![read:self, read:chat]);
    /// let http = reqwest::Client::builder()
    ///     .connect_timeout(Duration::from_secs(5))
    ///     .timeout(Duration::from_secs(30))
    ///     .redirect(check.redirect_policy())
    ///     .build()?;
    /// let client = reqwest_middleware::ClientBuilder::new(http).with(check).build();
    /// let sent = client
    ///     .post("https://api.fanvue.com/chats/0b7c1a9e/message")
    ///     .bearer_auth(access_token)
    ///     .header(API_VERSION_HEADER, API_VERSION)
    ///     .send()
    ///     .await;
    /// let refused = sent.as_ref().err().and_then(call_refused).expect("refused");
    /// assert_eq!(refused.missing(), scopes![write:chat]);
    /// # Ok(())
    /// # }
    /// ```
    #[derive(Debug, Clone)]
    pub struct ScopeCheck {
        check: CallCheck,
    }

    /// How many redirects the policy follows, as reqwest's default does.
    const MAX_REDIRECTS: usize = 10;

    std::thread_local! {
        /// The method of the request the middleware is sending, while its
        /// future is polled: a redirect policy is told the status and the
        /// URL of a hop, not the method, and runs inside that poll.
        static SENDING: Cell<Option<&'static str>> = const { Cell::new(None) };
    }

    /// The method as a `&'static str`, for the ones the catalog has.
    fn known_method(method: &Method) -> Option<&'static str> {
        ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
            .into_iter()
            .find(|known| *known == method.as_str())
    }

    impl ScopeCheck {
        /// Checks calls to the Fanvue API against `granted`.
        pub fn new(granted: ScopeSet) -> Self {
            ScopeCheck {
                check: CallCheck::new(granted),
            }
        }

        /// Checks with a [`CallCheck`] of your own, such as one with
        /// another base URL.
        pub fn with(check: CallCheck) -> Self {
            ScopeCheck { check }
        }

        /// A reqwest redirect policy that checks each hop against this
        /// check's scopes before following it, and follows at most ten.
        ///
        /// The hop's method is the one reqwest will send: `GET` after a
        /// `301`, `302` or `303` (a `HEAD` stays `HEAD`), the request's own
        /// after a `307` or `308`. A policy is not told the request's
        /// method: [`ScopeCheck`] tells it while it sends; without it, every
        /// endpoint at the new path must be callable.
        pub fn redirect_policy(&self) -> Policy {
            let check = self.check.clone();
            Policy::custom(move |attempt: Attempt<'_>| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error("too many redirects");
                }
                match redirect_refused(&check, attempt.status(), attempt.url()) {
                    Some(refused) => attempt.error(refused),
                    None => attempt.follow(),
                }
            })
        }
    }

    /// The refusal of a redirect hop the token can't make, if it is one.
    fn redirect_refused(
        check: &CallCheck,
        status: StatusCode,
        url: &url::Url,
    ) -> Option<CallRefused> {
        let granted = check.granted();
        let sending = SENDING.with(Cell::get);
        let keeps_method = matches!(
            status,
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
        );
        let methods: &[&str] = match (keeps_method, sending) {
            (_, Some("HEAD")) => &["HEAD"],
            (false, _) => &["GET"],
            (true, Some(method)) => &[method][..],
            (true, None) => &["GET", "POST", "PUT", "PATCH", "DELETE"],
        };
        methods
            .iter()
            .find_map(|method| check.parsed_url_with(granted, method, url).err())
    }

    #[async_trait::async_trait]
    impl Middleware for ScopeCheck {
        async fn handle(
            &self,
            request: Request,
            extensions: &mut Extensions,
            next: Next<'_>,
        ) -> reqwest_middleware::Result<Response> {
            let granted = extensions
                .get::<Granted>()
                .map_or(self.check.granted(), |granted| granted.0);
            let method = request.method().clone();
            let url = request.url().clone();
            let endpoint = self
                .check
                .parsed_url_with(granted, method.as_str(), &url)
                .map_err(reqwest_middleware::Error::middleware)?;
            let sending = known_method(&method);
            let mut response = std::pin::pin!(next.run(request, extensions));
            let response = std::future::poll_fn(|cx| {
                let before = SENDING.with(|current| current.replace(sending));
                let polled = response.as_mut().poll(cx);
                SENDING.with(|current| current.set(before));
                polled
            })
            .await?;
            if response.url() != &url {
                // A redirect was followed below the middleware: the call
                // went on to another URL, which must pass too.
                after_redirect(&self.check, granted, &method, response.url()).map_err(
                    |refused| reqwest_middleware::Error::middleware(refused.after_redirect()),
                )?;
            }
            match endpoint {
                Some(endpoint) if response.status() == StatusCode::FORBIDDEN => {
                    match insufficient_scope(&response) {
                        Some(scope) => Err(reqwest_middleware::Error::middleware(
                            CallRefused::by_fanvue(endpoint, granted, scope),
                        )),
                        None => Ok(response),
                    }
                }
                _ => Ok(response),
            }
        }
    }

    /// The final URL of a followed redirect, checked with the methods
    /// reqwest may have sent it with: the original one, and `GET`.
    fn after_redirect(
        check: &CallCheck,
        granted: ScopeSet,
        method: &Method,
        url: &url::Url,
    ) -> Result<Option<Endpoint>, CallRefused> {
        check.parsed_url_with(granted, "GET", url)?;
        check.parsed_url_with(granted, method.as_str(), url)
    }

    /// The `scope` of a `Bearer error="insufficient_scope"` challenge in a
    /// response's `WWW-Authenticate`, read with an RFC 7235 parser: the
    /// scopes it names that this crate knows. `None` without one.
    fn insufficient_scope(response: &Response) -> Option<ScopeSet> {
        response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(http_auth::parser::ChallengeParser::new)
            .filter_map(Result::ok)
            .filter(|challenge| challenge.scheme.eq_ignore_ascii_case("Bearer"))
            .find_map(|challenge| {
                let param = |name: &str| {
                    challenge
                        .params
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(name))
                        .map(|(_, value)| value.to_unescaped())
                };
                (param("error")? == "insufficient_scope").then(|| {
                    param("scope")
                        .map(|scope| ScopeSet::parse_lenient(&scope).known())
                        .unwrap_or(ScopeSet::EMPTY)
                })
            })
    }

    /// The [`CallRefused`] in an error of a client with [`ScopeCheck`],
    /// if that is why the call failed, whether the middleware or its
    /// redirect policy refused it.
    pub fn call_refused(error: &reqwest_middleware::Error) -> Option<&CallRefused> {
        match error {
            reqwest_middleware::Error::Middleware(error) => error.downcast_ref(),
            reqwest_middleware::Error::Reqwest(error) => {
                let mut source = std::error::Error::source(error);
                while let Some(cause) = source {
                    if let Some(refused) = cause.downcast_ref::<CallRefused>() {
                        return Some(refused);
                    }
                    source = cause.source();
                }
                None
            }
        }
    }
}
