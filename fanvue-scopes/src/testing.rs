//! A stand-in Fanvue API for tests: test an app's scope handling without
//! Fanvue and without a network.
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

use crate::{Endpoint, ScopeSet};
use axum::Router;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What every stand-in token starts with; the rest is its scopes' bits.
const TOKEN_PREFIX: &str = "stand-in.";

/// A running stand-in Fanvue API; it stops when dropped.
#[derive(Debug)]
pub struct StandIn {
    address: SocketAddr,
    requests: Arc<AtomicUsize>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl StandIn {
    /// Serves the stand-in on a free port of `127.0.0.1`, on the current
    /// tokio runtime.
    pub async fn start() -> std::io::Result<StandIn> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = StandIn::router(Arc::clone(&requests));
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
            requests,
            shutdown: Some(shutdown),
        })
    }

    /// The router alone, to serve it yourself; `requests` counts every
    /// request it receives.
    pub fn router(requests: Arc<AtomicUsize>) -> Router {
        // Each endpoint's route once, sorted so that a path's methods
        // are neighbours, whatever the order of `scopes.toml`.
        let mut routes: Vec<(String, Endpoint)> = Endpoint::ALL
            .into_iter()
            .map(|endpoint| (endpoint.router_path().to_owned(), endpoint))
            .collect();
        routes.sort();
        let mut router = Router::new();
        for same_path in routes.chunk_by(|(a, _), (b, _)| a == b) {
            let mut methods = MethodRouter::new();
            for &(_, endpoint) in same_path {
                let Some(filter) = method_filter(endpoint.method()) else {
                    continue;
                };
                methods = methods.merge(on(filter, move |headers: HeaderMap| async move {
                    answer(endpoint, &headers)
                }));
            }
            let methods = methods.fallback(|| async { StatusCode::NOT_FOUND });
            if let Some((route, _)) = same_path.first() {
                router = router.route(route, methods);
            }
        }
        router
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(axum::middleware::map_request(move |request: Request| {
                requests.fetch_add(1, Ordering::SeqCst);
                async move { request }
            }))
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
        self.requests.load(Ordering::SeqCst)
    }

    /// A bearer token that the stand-in reads as granting `scopes`.
    pub fn token(scopes: ScopeSet) -> String {
        format!("{TOKEN_PREFIX}{:x}", scopes.bits())
    }

    /// The scopes a stand-in token grants; `None` for any other string.
    pub fn scopes_of(token: &str) -> Option<ScopeSet> {
        let bits = token.strip_prefix(TOKEN_PREFIX)?;
        ScopeSet::from_bits(u64::from_str_radix(bits, 16).ok()?)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// 200 with JSON when the token covers `endpoint`, 403 when it does not,
/// 401 without a stand-in token.
fn answer(endpoint: Endpoint, headers: &HeaderMap) -> Response {
    let token = match crate::axum::bearer_token(headers) {
        Ok(token) => token,
        Err(error) => return error.into_response(),
    };
    let Some(granted) = StandIn::scopes_of(token) else {
        return crate::bearer::BearerError::InvalidToken.into_response();
    };
    match endpoint.requirement().check(granted) {
        // An operationId is letters and digits: nothing to escape.
        Ok(()) => (
            [(CONTENT_TYPE, "application/json")],
            format!(
                r#"{{"operation":"{}","stand_in":true}}"#,
                endpoint.operation()
            ),
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
