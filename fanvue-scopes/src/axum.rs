//! axum 0.8: [`Granted`] as an extractor, the refusals as responses, and
//! [`RequireScopesLayer`] to guard whole routes.
//!
//! The app's authentication middleware validates the bearer token and
//! inserts the granted [`ScopeSet`] (or a [`Granted`]) into the request
//! extensions; everything here reads it from there.
//!
//! ```
//! use axum::{extract::Request, middleware::Next, response::Response, routing::get, Json, Router};
//! use fanvue_scopes::axum::RequireScopesLayer;
//! use fanvue_scopes::{requires, scopes, Granted, InsufficientScope, ScopeSet};
//!
//! #[requires(read:chat)]
//! async fn list_chats(granted: Granted) -> Result<Json<Vec<String>>, InsufficientScope> {
//!     Ok(Json(vec!["hello".to_owned()]))
//! }
//!
//! async fn insights() -> &'static str {
//!     "insights"
//! }
//!
//! /// Stands in for real token validation.
//! async fn authenticate(mut request: Request, next: Next) -> Response {
//!     let token = request.headers().get("authorization").and_then(|v| v.to_str().ok());
//!     if token == Some("Bearer demo") {
//!         let granted = ScopeSet::parse_lenient("read:self read:chat").known();
//!         request.extensions_mut().insert(granted);
//!     }
//!     next.run(request).await
//! }
//!
//! let app: Router = Router::new()
//!     .route("/chats", get(list_chats))
//!     .route(
//!         "/insights",
//!         get(insights).route_layer(RequireScopesLayer::new(scopes![read:insights])),
//!     )
//!     .layer(axum::middleware::from_fn(authenticate));
//! ```

use crate::{Granted, InsufficientScope, Requirement, ScopeSet, Unauthenticated};
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{Extensions, Request, StatusCode};
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
    /// 401 with `WWW-Authenticate: Bearer`.
    fn into_response(self) -> Response {
        json_response(
            StatusCode::UNAUTHORIZED,
            HeaderValue::from_static(Unauthenticated::WWW_AUTHENTICATE),
            Unauthenticated::JSON_BODY.to_owned(),
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
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        RequireScopesLayer {
            requirement: requirement.into(),
        }
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
