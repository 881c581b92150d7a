//! axum 0.8: [`Granted`] as an extractor, the refusals as responses,
//! [`RequireScopesLayer`] to guard routes, and [`bearer_token`] to read the
//! `Authorization` header.
//!
//! The app's authentication middleware validates the bearer token and
//! inserts the granted [`ScopeSet`] (or a [`Granted`]) into the request
//! extensions; everything here reads it from there.
//!
//! Guard each route with its handler's own requirement, through
//! [`requirement_of!`](crate::requirement_of): the layer runs before any
//! extractor, so a caller without the scopes gets `403` before the path is
//! parsed or a byte of the body is read (and before `100 Continue`). The
//! `#[requires]` guard in the body stays as the fail-closed backstop.
//!
//! ```
//! use axum::{extract::Request, middleware::Next, response::{IntoResponse, Response}};
//! use axum::{routing::post, Json, Router};
//! use fanvue_scopes::axum::{bearer_token, RequireScopesLayer};
//! use fanvue_scopes::bearer::BearerError;
//! use fanvue_scopes::{requirement_of, requires, Granted, InsufficientScope, ScopeSet};
//!
//! #[requires(write:chat)]
//! async fn send_message(granted: Granted, text: String) -> Result<Json<String>, InsufficientScope> {
//!     Ok(Json(text))
//! }
//!
//! /// Stands in for real token validation.
//! async fn authenticate(mut request: Request, next: Next) -> Response {
//!     let granted = match bearer_token(request.headers()) {
//!         Ok("demo") => ScopeSet::parse_lenient("read:self write:chat").known(),
//!         Ok(_) => return BearerError::InvalidToken.into_response(),
//!         Err(refused) => return refused.into_response(),
//!     };
//!     request.extensions_mut().insert(Granted(granted));
//!     next.run(request).await
//! }
//!
//! let app: Router = Router::new()
//!     .route(
//!         "/chats/{id}/messages",
//!         post(send_message).route_layer(RequireScopesLayer::new(requirement_of!(send_message))),
//!     )
//!     .layer(axum::middleware::from_fn(authenticate));
//! ```
//!
//! A route without a `#[requires]` handler takes the layer with a
//! compile-time checked [`scopes!`](crate::scopes) instead.

use crate::bearer::BearerError;
use crate::{Granted, InsufficientScope, Requirement, ScopeSet, Unauthenticated};
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{Extensions, HeaderMap, Request, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The granted scopes the authentication layer left in the extensions.
fn granted_in(extensions: &Extensions) -> Option<ScopeSet> {
    extensions
        .get::<Granted>()
        .map(|granted| granted.0)
        .or_else(|| extensions.get::<ScopeSet>().copied())
}

impl<S: Send + Sync> FromRequestParts<S> for Granted {
    type Rejection = Unauthenticated;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        granted_in(&parts.extensions)
            .map(Granted)
            .ok_or(Unauthenticated)
    }
}

fn json_response(status: StatusCode, challenge: HeaderValue, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(WWW_AUTHENTICATE, challenge);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl IntoResponse for InsufficientScope {
    /// 403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
    fn into_response(self) -> Response {
        // Scope-tokens are visible ASCII, so the value is always valid.
        let challenge = HeaderValue::from_str(&self.www_authenticate()).unwrap_or(
            HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
        );
        json_response(StatusCode::FORBIDDEN, challenge, self.json_body())
    }
}

impl IntoResponse for Unauthenticated {
    /// 401 with `WWW-Authenticate: Bearer`: the request had no credentials.
    fn into_response(self) -> Response {
        BearerError::Missing.into_response()
    }
}

/// The bearer token of a request: see [`bearer::bearer_token`](crate::bearer::bearer_token).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    crate::bearer::bearer_token(
        headers
            .get_all(http::header::AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes),
    )
}

impl IntoResponse for BearerError {
    /// 401 or 400 with its RFC 6750 challenge.
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        json_response(
            status,
            HeaderValue::from_static(self.www_authenticate()),
            self.json_body(),
        )
    }
}

/// A tower layer that refuses requests whose granted scopes fall short of a
/// requirement, for `Router::route_layer` or `MethodRouter::route_layer`.
///
/// Build the requirement with the compile-time checked [`scopes!`](crate::scopes)
/// (all of them) or a [`Requirement`] (with `any` groups).
#[derive(Clone, Copy, Debug)]
pub struct RequireScopesLayer {
    requirement: Requirement,
}

impl RequireScopesLayer {
    /// Guards with `requirement`: a [`ScopeSet`] means all of its scopes.
    ///
    /// The requirement is recorded for
    /// [`required_by_guarded_routes`](crate::required_by_guarded_routes).
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        let requirement = requirement.into();
        crate::guarded::record(requirement);
        RequireScopesLayer { requirement }
    }
}

impl<S> tower_layer::Layer<S> for RequireScopesLayer {
    type Service = RequireScopes<S>;

    fn layer(&self, inner: S) -> RequireScopes<S> {
        RequireScopes {
            inner,
            requirement: self.requirement,
        }
    }
}

/// The service [`RequireScopesLayer`] wraps a route in.
#[derive(Clone, Debug)]
pub struct RequireScopes<S> {
    inner: S,
    requirement: Requirement,
}

impl<S, B> tower_service::Service<Request<B>> for RequireScopes<S>
where
    S: tower_service::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let refusal = match granted_in(request.extensions()) {
            None => Unauthenticated.into_response(),
            Some(granted) => match self.requirement.check(granted) {
                Ok(()) => {
                    return ResponseFuture {
                        kind: Kind::Inner {
                            future: self.inner.call(request),
                        },
                    };
                }
                Err(insufficient) => insufficient.into_response(),
            },
        };
        ResponseFuture {
            kind: Kind::Refused {
                response: Some(refusal),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequireScopes`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProjection]
    enum Kind<F> {
        Refused { response: Option<Response> },
        Inner { #[pin] future: F },
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProjection::Inner { future } => future.poll(cx),
            // Polled again after completion: stay closed.
            KindProjection::Refused { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| Unauthenticated.into_response()))),
        }
    }
}
