//! A stand-in Fanvue for tests: the API and the authorization server, to
//! test an app's scope handling and its consent loop without Fanvue and
//! without a network.
//!
//! [`StandIn`] serves every endpoint of the catalog on `127.0.0.1`, with
//! axum. A request to a catalogued endpoint answers `200` with a small JSON
//! body when its bearer token's scopes cover the endpoint, and `403
//! insufficient_scope` (RFC 6750) when they don't; any other request is
//! `404`. It honours only tokens it issued: [`StandIn::token`] runs the
//! grant for a test that needs one with given scopes.
//!
//! It routes with axum's router, not [`Endpoint::find`], so a test against
//! it checks this crate's matching against an independent one.
//!
//! # The authorization server
//!
//! The same server answers at Fanvue's `/oauth2/auth`, `/oauth2/token` and
//! `/oauth2/revoke`, and describes itself at `/.well-known/openid-configuration`
//! (and RFC 8414's `/.well-known/oauth-authorization-server`): register a
//! client, then run the authorization code flow against it, with any OAuth
//! or OpenID Connect client. [`StandIn`] lists what it enforces, and every
//! way it differs from Fanvue's authorization server (Ory Hydra).
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
//! // A token for a user who granted `read:self`, from a grant the stand-in ran.
//! let token = fanvue.token(scopes![read:self]);
//! // Point the app's client at `fanvue.base_url()` with this token, then:
//! assert_eq!(fanvue.requests(), 0);
//! # let _ = token;
//! # Ok(())
//! # }
//! ```

mod auth;
mod oidc;
mod params;

pub use auth::{Client, Consent};

use crate::{Endpoint, ScopeSet};
use auth::AuthState;
use axum::Router;
use axum::extract::{Request, State};
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

/// What the API and the authorization server share: the issued tokens,
/// the clock, the request count.
#[derive(Clone)]
struct Shared(Arc<Inner>);

struct Inner {
    /// `http://127.0.0.1:PORT`: the `iss` of discovery, ID tokens and
    /// authorization responses.
    issuer: String,
    auth: Mutex<AuthState>,
    started: Instant,
    /// How far a test moved the clock.
    skipped: Mutex<Duration>,
    families: AtomicU64,
    requests: Arc<AtomicUsize>,
}

impl Shared {
    fn new(issuer: String, requests: Arc<AtomicUsize>) -> Self {
        Shared(Arc::new(Inner {
            issuer,
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

    /// A new grant: the tokens of one code or assertion, through its
    /// refreshes, revoked together.
    fn grant_id(&self) -> u64 {
        self.0.families.fetch_add(1, Ordering::Relaxed)
    }

    /// How far tests moved the clock.
    fn skipped(&self) -> Duration {
        *self
            .0
            .skipped
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn issuer(&self) -> String {
        self.0.issuer.clone()
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
/// At the paths of Fanvue's (Ory Hydra): `/oauth2/auth`, `/oauth2/token`,
/// `/oauth2/revoke`, `/.well-known/openid-configuration` (and
/// `/.well-known/oauth-authorization-server`) and `/.well-known/jwks.json`.
/// It refuses what Hydra and the RFCs it follows refuse:
///
/// - every request: a parameter given twice is `invalid_request` (RFC 6749
///   §3.1, §3.2), and one sent without a value counts as absent;
/// - registered clients ([`register_client`](Self::register_client)): an
///   unknown client or a redirect URI not registered exactly gets an error
///   page, never a redirect; so does a repeated `client_id` or
///   `redirect_uri`. A loopback IP redirect (`http://127.0.0.1/..`,
///   `http://[::1]/..`) may take any port (RFC 8252 §7.3), as Hydra
///   allows; `localhost` is compared exactly, port and all, as Hydra does;
/// - `response_type=code` only (`invalid_request` without one), PKCE S256
///   with a well-formed challenge (`plain` is refused), a `state` of at
///   least 8 characters (`invalid_state`, as Hydra says) echoed byte for
///   byte, a `nonce` of at least 8 if given, `invalid_scope` for a scope
///   beyond the client's registration; `iss` in every authorization
///   response (RFC 9207);
/// - a consent page listing each requested scope with its description and
///   a checkbox, marking on a step-up which scopes are new; never framed
///   (`X-Frame-Options`, CSP `frame-ancestors`) or cached; `access_denied`
///   on "Deny"; or a scripted decision ([`set_consent`](Self::set_consent));
/// - a token endpoint that reads only `application/x-www-form-urlencoded`
///   bodies, and client authentication by HTTP Basic (id and secret
///   form-decoded, RFC 6749 §2.3.1) or the form, never both
///   (`invalid_client`, `401`; RFC 6749 §5.2 errors);
/// - codes that work once, for five minutes, for the same client and
///   redirect URI, with a well-formed PKCE verifier; a code used twice
///   revokes the tokens its first use issued;
/// - refresh tokens (when `offline_access` or `offline` was asked) that
///   rotate: each works once, and reusing a spent one revokes its grant;
///   a refresh's `scope` may narrow the grant and never widen it
///   (`invalid_scope`);
/// - an ID token when `openid` was asked: RS256, its key at `jwks_uri`,
///   with `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`, `at_hash`,
///   `jti` and the `nonce` echoed; the token response's `scope` is exactly
///   the protocol scopes asked, then the resource scopes granted;
/// - revocation (RFC 7009) of an access or refresh token and its grant,
///   `200` for an unknown token, `unauthorized_client` for another
///   client's;
/// - the embedded-app exchange, the jwt-bearer grant (RFC 7523), for an
///   assertion the stand-in minted ([`assertion`](Self::assertion)): an
///   access token and no refresh token;
/// - access tokens that expire after an hour on a clock tests can move
///   ([`advance_clock`](Self::advance_clock)); the API answers a token it
///   did not issue, an expired or a revoked one with `401 invalid_token`,
///   and honours exactly the granted scopes;
/// - every `error_description` within RFC 6749 §5.2's characters
///   (printable ASCII but `"` and `\`), what it quotes of a request
///   included.
///
/// # Where it differs from Fanvue's Hydra
///
/// - One user, always signed in: no login page, `prompt` and `max_age`
///   are ignored, and `sub` is fixed.
/// - Consent is remembered per client for marking new scopes, never to
///   skip the page: what the user allows now (a scope unticked at the
///   latest consent is new again at the next).
/// - No userinfo endpoint, no dynamic client registration, no
///   introspection endpoint; discovery lists none of them.
/// - The ID token's signing key is fixed and public (in this crate's
///   source): a token it signs proves nothing outside a test.
/// - Assertions are opaque strings the stand-in minted, not signed JWTs.
/// - Codes and tokens are random from the standard library's hasher keys:
///   fine for tests, not for production.
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
        let shared = Shared::new(format!("http://{address}"), Arc::new(AtomicUsize::new(0)));
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

    /// The router alone, to serve it yourself at `issuer` (its base URL,
    /// such as `http://127.0.0.1:8080`); `requests` counts every request
    /// it receives.
    pub fn router(issuer: &str, requests: Arc<AtomicUsize>) -> Router {
        app(Shared::new(
            issuer.trim_end_matches('/').to_owned(),
            requests,
        ))
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

    /// The revocation endpoint, `http://127.0.0.1:PORT/oauth2/revoke`.
    pub fn revocation_url(&self) -> String {
        format!("{}/oauth2/revoke", self.base_url())
    }

    /// The issuer, as discovery and ID tokens name it: the base URL.
    pub fn issuer(&self) -> String {
        self.base_url()
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

    /// The scopes an access token grants now, if the stand-in issued it and
    /// it neither expired nor was revoked: what an app's resource server
    /// learns from token introspection (RFC 7662, at Hydra's admin API),
    /// in process.
    pub fn introspect(&self, token: &str) -> Option<ScopeSet> {
        scopes_of_bearer(&self.shared, token)
    }

    /// How many access tokens it issued that still work: not expired, not
    /// revoked. A test of an app's sign-out sees it fall.
    pub fn live_tokens(&self) -> usize {
        let now = self.shared.now();
        self.shared
            .lock()
            .tokens
            .values()
            .filter(|token| !token.revoked && token.expires > now)
            .count()
    }

    /// Makes every answer of the token endpoint wait `delay` first: a
    /// refresh then takes that long, so a test can have many requests
    /// arrive while one is in flight.
    pub fn set_token_delay(&self, delay: Duration) {
        self.shared.lock().token_endpoint.delay = delay;
    }

    /// Makes every answer of the token endpoint wait `delay` after its work
    /// is done: a client that gives up or dies then has lost an answer
    /// whose tokens were rotated, the one window no client can close.
    pub fn set_token_answer_delay(&self, delay: Duration) {
        self.shared.lock().token_endpoint.answer_delay = delay;
    }

    /// Makes the next token request answer `status` (a `503`, a `429`)
    /// and change nothing, as an overloaded server would; once per call.
    pub fn fail_next_token_request(&self, status: StatusCode) {
        self.shared.lock().token_endpoint.failures.push_back(status);
    }

    /// Issues access tokens that live `lifetime` from now on (an hour
    /// otherwise), as `expires_in` says.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().token_endpoint.lifetime = Some(lifetime);
    }

    /// Revokes every grant of the app `client_id`, as a user who removes
    /// the app in their Fanvue account settings does: its access tokens
    /// stop working, and its refresh tokens are `invalid_grant`.
    pub fn revoke_client_grants(&self, client_id: &str) {
        auth::revoke_client_grants(&mut self.shared.lock(), client_id);
    }

    /// How many refresh tokens were exchanged for new tokens.
    pub fn refreshes(&self) -> usize {
        self.shared.lock().token_endpoint.refreshes
    }

    /// How many spent refresh tokens were presented again: each revoked
    /// its grant, as Hydra does.
    pub fn refresh_reuses(&self) -> usize {
        self.shared.lock().token_endpoint.reuses
    }

    /// How many requests have reached it.
    pub fn requests(&self) -> usize {
        self.shared.0.requests.load(Ordering::SeqCst)
    }

    /// An access token for a user who granted `scopes`, for tests of the
    /// API alone: issued to a client of the stand-in's own, in a grant of
    /// its own, so it is one the stand-in issued, expiring and revocable
    /// like any other.
    pub fn token(&self, scopes: ScopeSet) -> String {
        auth::issue_for_test(&self.shared, scopes)
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
    let discovery = |State(shared): State<Shared>| async move {
        (
            [(CONTENT_TYPE, "application/json")],
            oidc::discovery(&shared.issuer()),
        )
    };
    let auth = Router::new()
        .route("/oauth2/auth", get(auth::authorize))
        .route("/oauth2/consent", post(auth::consent))
        .route("/oauth2/token", post(auth::token))
        .route("/oauth2/revoke", post(auth::revoke))
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .route(
            "/.well-known/jwks.json",
            get(|| async { ([(CONTENT_TYPE, "application/json")], oidc::key_set()) }),
        )
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

/// The scopes a bearer token grants now: one the stand-in issued, unless
/// it expired or was revoked.
fn scopes_of_bearer(shared: &Shared, token: &str) -> Option<ScopeSet> {
    let auth = shared.lock();
    auth.tokens
        .get(token)
        .filter(|issued| !issued.revoked && issued.expires > shared.now())
        .map(|issued| issued.scopes)
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
