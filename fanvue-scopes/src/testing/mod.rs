//! A stand-in Fanvue for tests: the API and the authorization server, to
//! test an app's scope handling and its consent loop without Fanvue and
//! without a network.
//!
//! [`StandIn`] serves every endpoint of the catalog on `127.0.0.1`, with
//! axum. A request to a catalogued endpoint answers `200` with a small JSON
//! body when its bearer token's scopes cover the endpoint, and `403
//! insufficient_scope` (RFC 6750) when they don't; any other request is
//! `404`. Its tokens carry their scopes: [`StandIn::token`] makes one.
//!
//! It routes with axum's router, not [`Endpoint::find`], so a test against
//! it checks this crate's matching against an independent one.
//!
//! # The authorization server
//!
//! The same server answers at Fanvue's `/oauth2/auth` and `/oauth2/token`:
//! register a client, then run the authorization code flow against it.
//! [`StandIn`] lists what it enforces.
//!
//! ```
//! # #[cfg(feature = "oauth2")] {
//! use fanvue_scopes::step_up::Registration;
//! use fanvue_scopes::testing::{Client, Consent, StandIn};
//! use fanvue_scopes::{scopes, Requirement};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fanvue = StandIn::start().await?;
//! let registered = scopes![read:self, read:chat];
//! fanvue.register_client(Client::new("my-app", "secret", "http://127.0.0.1:9/cb", registered));
//! // The user grants read:self only; no consent page in this test.
//! fanvue.set_consent(Consent::Grant(scopes![read:self]));
//!
//! let refused = Requirement::from(registered).check(scopes![]).unwrap_err();
//! let request = Registration::new(registered)
//!     .step_up(&refused)?
//!     .authorize_request_at(&fanvue.authorize_url(), "my-app", "http://127.0.0.1:9/cb")?;
//! let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
//! let callback = http.get(&request.url).send().await?;
//! let location = callback.headers()["location"].to_str()?;
//! assert!(location.starts_with("http://127.0.0.1:9/cb?code="));
//! assert!(location.ends_with(&format!("&state={}", request.state)));
//! # Ok(())
//! # }
//! # }
//! ```
//!
//! # The API alone
//!
//! ```
//! use fanvue_scopes::testing::StandIn;
//! use fanvue_scopes::scopes;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let fanvue = StandIn::start().await?;
//! let token = StandIn::token(scopes![read:self]);
//! // Point the app's client at `fanvue.base_url()` with this token, then:
//! assert_eq!(fanvue.requests(), 0);
//! # Ok(())
//! # }
//! ```

mod auth;

pub use auth::{Client, Consent};

use crate::{Endpoint, ScopeSet};
use auth::AuthState;
use axum::Router;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, get, on, post};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What every stand-in token starts with; the rest is its scopes' bits.
const TOKEN_PREFIX: &str = "stand-in.";

/// What the API and the authorization server share: the issued tokens,
/// the clock, the request count.
#[derive(Clone)]
struct Shared(Arc<Inner>);

struct Inner {
    auth: Mutex<AuthState>,
    started: Instant,
    /// How far a test moved the clock.
    skipped: Mutex<Duration>,
    families: AtomicU64,
    requests: Arc<AtomicUsize>,
}

impl Shared {
    fn new(requests: Arc<AtomicUsize>) -> Self {
        Shared(Arc::new(Inner {
            auth: Mutex::new(AuthState::default()),
            started: Instant::now(),
            skipped: Mutex::new(Duration::ZERO),
            families: AtomicU64::new(1),
            requests,
        }))
    }

    fn lock(&self) -> MutexGuard<'_, AuthState> {
        self.0.auth.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stand-in's time: since it started, plus what tests skipped.
    fn now(&self) -> Duration {
        self.0.started.elapsed()
            + *self
                .0
                .skipped
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
    }

    /// A new refresh-token family.
    fn family(&self) -> u64 {
        self.0.families.fetch_add(1, Ordering::Relaxed)
    }

    fn secret(&self, prefix: &str) -> String {
        format!("{prefix}-{}", random_hex())
    }
}

/// 128 random bits, hex: from the standard library's randomly keyed
/// hasher, which is enough for a stand-in's codes and tokens.
fn random_hex() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(32);
    for _ in 0..2 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        out += &format!("{:016x}", hasher.finish());
    }
    out
}

/// A running stand-in Fanvue: the API and the authorization server, on
/// one address. It stops when dropped.
///
/// # The authorization server
///
/// At Fanvue's paths, `/oauth2/auth` and `/oauth2/token`. It enforces:
///
/// - registered clients ([`register_client`](Self::register_client)): an
///   unknown client or a redirect URI not registered exactly gets an error
///   page, never a redirect;
/// - `response_type=code` and PKCE S256 (`plain` is refused), `state`
///   echoed, `invalid_scope` for a scope beyond the client's registration;
/// - a consent page listing each requested scope with its description and
///   a checkbox (the protocol scopes fixed), `access_denied` on "Deny"; or
///   a scripted decision ([`set_consent`](Self::set_consent));
/// - codes that work once, for five minutes, for the same client and
///   redirect URI, with the PKCE verifier;
/// - client authentication by HTTP Basic or the form (`invalid_client`,
///   `401`), RFC 6749 §5.2 errors;
/// - refresh tokens (when `offline_access` was asked) that rotate: each
///   works once, and reusing a spent one revokes its whole family, access
///   tokens included;
/// - the embedded-app exchange, the jwt-bearer grant (RFC 7523), for an
///   assertion the stand-in minted ([`assertion`](Self::assertion)): an
///   access token and no refresh token;
/// - access tokens that expire after an hour on a clock tests can move
///   ([`advance_clock`](Self::advance_clock)); the API answers an expired
///   or revoked token with `401 invalid_token`, and honours exactly the
///   granted scopes.
///
/// Simpler than Fanvue: no sign-in (there is one user), no ID token (a
/// real one would need a signed JWT and a JWKS; the stand-in issues none,
/// though `openid` is accepted), opaque assertions rather than signed
/// JWTs, a refresh keeps the scopes of its code, and its randomness is the
/// standard library's hasher keys, fine for tests and not for production.
#[derive(Clone)]
pub struct StandIn {
    address: SocketAddr,
    shared: Shared,
    shutdown: Arc<Mutex<Option<oneshot::Sender<()>>>>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl StandIn {
    /// Serves the stand-in on a free port of `127.0.0.1`, on the current
    /// tokio runtime.
    pub async fn start() -> std::io::Result<StandIn> {
        StandIn::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Serves the stand-in on `address` (a loopback one, for tests).
    pub async fn start_on(address: SocketAddr) -> std::io::Result<StandIn> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Shared::new(Arc::new(AtomicUsize::new(0)));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = app(shared.clone());
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            // A failed accept loop ends the stand-in; the test's requests
            // then fail to connect, which says more than a panic here.
            let _ = serve.await;
        });
        Ok(StandIn {
            address,
            shared,
            shutdown: Arc::new(Mutex::new(Some(shutdown))),
        })
    }

    /// The router alone, to serve it yourself; `requests` counts every
    /// request it receives.
    pub fn router(requests: Arc<AtomicUsize>) -> Router {
        app(Shared::new(requests))
    }

    /// Registers an app, as the Fanvue developer area does.
    pub fn register_client(&self, client: Client) {
        self.shared.lock().clients.push(client);
    }

    /// What the user does at the consent step from now on.
    pub fn set_consent(&self, consent: Consent) {
        self.shared.lock().consent = consent;
    }

    /// Moves the stand-in's clock forward: codes and tokens expire by it.
    pub fn advance_clock(&self, by: Duration) {
        *self
            .shared
            .0
            .skipped
            .lock()
            .unwrap_or_else(PoisonError::into_inner) += by;
    }

    /// An assertion, as Fanvue gives an embedded app, for a user who
    /// granted `scopes`: exchange it at the token endpoint with the
    /// jwt-bearer grant. It works once.
    pub fn assertion(&self, scopes: ScopeSet) -> String {
        let assertion = self.shared.secret("assertion");
        self.shared
            .lock()
            .assertions
            .insert(assertion.clone(), scopes);
        assertion
    }

    /// The authorize endpoint, `http://127.0.0.1:PORT/oauth2/auth`.
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth2/auth", self.base_url())
    }

    /// The token endpoint, `http://127.0.0.1:PORT/oauth2/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.base_url())
    }

    /// The base URL to point a client at, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many requests have reached it.
    pub fn requests(&self) -> usize {
        self.shared.0.requests.load(Ordering::SeqCst)
    }

    /// A bearer token that the stand-in reads as granting `scopes`,
    /// without a flow: for tests of the API alone.
    pub fn token(scopes: ScopeSet) -> String {
        format!("{TOKEN_PREFIX}{:x}", scopes.bits())
    }

    /// The scopes a [`token`](Self::token) grants; `None` for any other string.
    pub fn scopes_of(token: &str) -> Option<ScopeSet> {
        let bits = token.strip_prefix(TOKEN_PREFIX)?;
        ScopeSet::from_bits(u64::from_str_radix(bits, 16).ok()?)
    }

    /// Stops serving; dropping the last clone does too.
    pub fn stop(&self) {
        if let Some(shutdown) = self
            .shutdown
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            let _ = shutdown.send(());
        }
    }
}

/// The API and the authorization server on one router.
fn app(shared: Shared) -> Router {
    // Each endpoint's route once, sorted so that a path's methods are
    // neighbours, whatever the order of `scopes.toml`.
    let mut routes: Vec<(&'static str, Endpoint)> = Endpoint::ALL
        .into_iter()
        .map(|endpoint| (endpoint.router_path(), endpoint))
        .collect();
    routes.sort();
    let mut router = Router::new();
    for same_path in routes.chunk_by(|(a, _), (b, _)| a == b) {
        let mut methods = MethodRouter::new();
        for &(_, endpoint) in same_path {
            let Some(filter) = method_filter(endpoint.method()) else {
                continue;
            };
            let shared = shared.clone();
            methods = methods.merge(on(filter, move |headers: HeaderMap| async move {
                answer(&shared, endpoint, &headers)
            }));
        }
        let methods = methods.fallback(|| async { StatusCode::NOT_FOUND });
        if let Some((route, _)) = same_path.first() {
            router = router.route(route, methods);
        }
    }
    let auth = Router::new()
        .route("/oauth2/auth", get(auth::authorize))
        .route("/oauth2/consent", post(auth::consent))
        .route("/oauth2/token", post(auth::token))
        .with_state(shared.clone());
    let requests = Arc::clone(&shared.0.requests);
    router
        .merge(auth)
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(axum::middleware::map_request(move |request: Request| {
            requests.fetch_add(1, Ordering::SeqCst);
            async move { request }
        }))
}

impl Drop for StandIn {
    fn drop(&mut self) {
        // The last clone stops the server.
        if Arc::strong_count(&self.shutdown) == 1 {
            self.stop();
        }
    }
}

/// The scopes a bearer token grants now: an issued one's unless it expired
/// or was revoked, or a [`StandIn::token`]'s.
fn scopes_of_bearer(shared: &Shared, token: &str) -> Option<ScopeSet> {
    let auth = shared.lock();
    match auth.tokens.get(token) {
        Some(issued) if !issued.revoked && issued.expires > shared.now() => Some(issued.scopes),
        Some(_) => None,
        None => StandIn::scopes_of(token),
    }
}

/// 200 with JSON when the token covers `endpoint`, 403 when it does not,
/// 401 without a stand-in token.
fn answer(shared: &Shared, endpoint: Endpoint, headers: &HeaderMap) -> Response {
    let token = match crate::axum::bearer_token(headers) {
        Ok(token) => token,
        Err(error) => return error.into_response(),
    };
    let Some(granted) = scopes_of_bearer(shared, token) else {
        return crate::bearer::BearerError::InvalidToken.into_response();
    };
    match endpoint.requirement().check(granted) {
        // An operationId is letters and digits: nothing to escape.
        Ok(()) => (
            [(CONTENT_TYPE, "application/json")],
            // The one user the stand-in has, by name where the API says
            // who the user is.
            if endpoint == Endpoint::GetCurrentUser {
                r#"{"operation":"getCurrentUser","stand_in":true,"handle":"stand-in-creator"}"#
                    .to_owned()
            } else {
                format!(
                    r#"{{"operation":"{}","stand_in":true}}"#,
                    endpoint.operation()
                )
            },
        )
            .into_response(),
        Err(insufficient) => insufficient.into_response(),
    }
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "GET" => MethodFilter::GET,
        "HEAD" => MethodFilter::HEAD,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        "OPTIONS" => MethodFilter::OPTIONS,
        _ => return None,
    })
}
