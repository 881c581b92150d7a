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

use crate::{CallRefused, Endpoint, ScopeSet};

/// The header Fanvue reads the API version from; send it with
/// [`API_VERSION`](crate::API_VERSION).
pub const API_VERSION_HEADER: &str = "X-Fanvue-API-Version";

/// Checks outgoing calls to the Fanvue API against one token's scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCheck {
    granted: ScopeSet,
    base_url: String,
}

impl CallCheck {
    /// Checks calls to [`API_BASE_URL`](crate::oauth::API_BASE_URL)
    /// against `granted`, the scopes of the token the calls carry (from
    /// the token response: see `oauth::granted_scopes`).
    pub fn new(granted: ScopeSet) -> Self {
        CallCheck {
            granted,
            base_url: crate::oauth::API_BASE_URL.to_owned(),
        }
    }

    /// Checks calls to another base URL instead, such as a stand-in API in
    /// tests (`http://127.0.0.1:4000`), or one with a path prefix. Scheme
    /// and host compare in any case, and a default port (`:443`, `:80`)
    /// is the same as none, as URLs do.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        while self.base_url.ends_with('/') {
            self.base_url.pop();
        }
        self
    }

    /// The scopes calls are checked against.
    pub const fn granted(&self) -> ScopeSet {
        self.granted
    }

    /// The base URL calls are checked under.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The endpoint a call to the absolute `url` is for, if it is a
    /// catalogued one under the base URL: `Ok(Some(endpoint))` when
    /// `granted` covers it, `Err` when it does not, `Ok(None)` when the
    /// call is not checked.
    pub fn url(&self, method: &str, url: &str) -> Result<Option<Endpoint>, CallRefused> {
        self.check(self.granted, method, url)
    }

    /// [`url`](Self::url), with the scopes of this one call's token.
    pub fn check(
        &self,
        granted: ScopeSet,
        method: &str,
        url: &str,
    ) -> Result<Option<Endpoint>, CallRefused> {
        checked(self.endpoint(method, url), granted)
    }

    /// The catalogued endpoint a call is for, whatever the scopes.
    pub fn endpoint(&self, method: &str, url: &str) -> Option<Endpoint> {
        let (scheme, authority, rest) = split_url(url)?;
        self.endpoint_at(method, scheme, authority, rest)
    }

    /// The endpoint for a URL already split into scheme, authority, and
    /// path with the query: under the base URL, or `None`.
    fn endpoint_at(
        &self,
        method: &str,
        scheme: &str,
        authority: &str,
        rest: &str,
    ) -> Option<Endpoint> {
        let (base_scheme, base_authority, base_path) = split_url(&self.base_url)?;
        if !scheme.eq_ignore_ascii_case(base_scheme)
            || !same_host(scheme, authority, base_authority)
        {
            return None;
        }
        let path = rest.strip_prefix(base_path)?;
        if !(path.is_empty() || path.starts_with(['/', '?', '#'])) {
            // `/fanvue-v2/chats` under a base path `/fanvue`: not the API.
            return None;
        }
        Endpoint::find(method, path)
    }
}

fn checked(endpoint: Option<Endpoint>, granted: ScopeSet) -> Result<Option<Endpoint>, CallRefused> {
    match endpoint {
        Some(endpoint) => endpoint.check(granted).map(|()| Some(endpoint)),
        None => Ok(None),
    }
}

/// `https://api.fanvue.com/chats?x` as `("https", "api.fanvue.com", "/chats?x")`;
/// `None` for anything but an absolute URL.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at_checked(end)?;
    Some((scheme, authority, rest))
}

/// Whether two authorities name the same host and port: in any case,
/// without user info, and with the scheme's default port made explicit
/// or not. Allocates nothing: it runs on every outgoing request.
fn same_host(scheme: &str, authority: &str, base: &str) -> bool {
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else if scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else {
        ""
    };
    bare_host(authority, default_port).eq_ignore_ascii_case(bare_host(base, default_port))
}

/// The authority without user info and without the default port.
fn bare_host<'a>(authority: &'a str, default_port: &str) -> &'a str {
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match host.strip_suffix(default_port) {
        Some(bare) if !default_port.is_empty() => bare,
        _ => host,
    }
}

#[cfg(feature = "http")]
impl CallCheck {
    /// [`url`](Self::url) for an `http::Request`. A request whose URI has
    /// no scheme and host is taken to be for the API, its path relative to
    /// the API's root.
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
        let endpoint = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => {
                self.endpoint_at(method, scheme, authority.as_str(), path)
            }
            _ => Endpoint::find(method, path),
        };
        checked(endpoint, self.granted)
    }
}

#[cfg(feature = "reqwest")]
pub use self::reqwest_middleware_impl::{ScopeCheck, call_refused};

#[cfg(feature = "reqwest")]
mod reqwest_middleware_impl {
    use super::CallCheck;
    use crate::{CallRefused, Granted, ScopeSet};
    use http::Extensions;
    use reqwest::{Request, Response, StatusCode};
    use reqwest_middleware::{Middleware, Next};

    /// A `reqwest-middleware` middleware that refuses, before any network
    /// I/O, a call to a catalogued Fanvue endpoint that the token's scopes
    /// don't cover, and turns Fanvue's `403` to a catalogued endpoint into
    /// the same error.
    ///
    /// The error is `reqwest_middleware::Error::Middleware` holding a
    /// [`CallRefused`]; [`call_refused`] finds it. A call to an endpoint
    /// not in the catalog, or to another host, passes unchecked, and its
    /// `403` stays a response.
    ///
    /// The scopes are the ones given to [`new`](ScopeCheck::new), or, for
    /// one request, a [`Granted`] extension on it (an app that calls for
    /// several users): `client.get(url).with_extension(Granted(scopes))`.
    ///
    /// ```no_run
    /// use fanvue_scopes::client::{call_refused, ScopeCheck, API_VERSION_HEADER};
    /// use fanvue_scopes::{scopes, API_VERSION};
    /// use std::time::Duration;
    ///
    /// # async fn run(access_token: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// let http = reqwest::Client::builder()
    ///     .connect_timeout(Duration::from_secs(5))
    ///     .timeout(Duration::from_secs(30))
    ///     .build()?;
    /// let client = reqwest_middleware::ClientBuilder::new(http)
    ///     .with(ScopeCheck::new(scopes![read:self, read:chat]))
    ///     .build();
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
            let endpoint = self
                .check
                .check(granted, request.method().as_str(), request.url().as_str())
                .map_err(reqwest_middleware::Error::middleware)?;
            let response = next.run(request, extensions).await?;
            match endpoint {
                Some(endpoint) if response.status() == StatusCode::FORBIDDEN => {
                    Err(reqwest_middleware::Error::middleware(
                        CallRefused::by_fanvue(endpoint, granted),
                    ))
                }
                _ => Ok(response),
            }
        }
    }

    /// The [`CallRefused`] in an error of a client with [`ScopeCheck`],
    /// if that is why the call failed.
    pub fn call_refused(error: &reqwest_middleware::Error) -> Option<&CallRefused> {
        match error {
            reqwest_middleware::Error::Middleware(error) => error.downcast_ref(),
            reqwest_middleware::Error::Reqwest(_) => None,
        }
    }
}
