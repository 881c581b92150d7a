//! axum 0.8: [`Routes`] to route `#[requires]` handlers behind their own
//! guards, [`Granted`] as an extractor, the refusals as responses, and
//! [`bearer_token`] to read the `Authorization` header.
//!
//! The app's authentication middleware validates the bearer token and
//! inserts the granted [`ScopeSet`] (or a [`Granted`]) into the request
//! extensions; everything here reads it from there.
//!
//! Route each `#[requires]` handler with [`Guarded::new`](crate::Guarded::new) in
//! [`Routes`]: its guard runs before any extractor, so a caller without the
//! scopes gets `403` before the path is parsed or a byte of the body is
//! read (and before `100 Continue`). The `#[requires]` guard in the body
//! stays as the fail-closed backstop.
//!
//! ```
//! use axum::{extract::Request, middleware::Next, response::{IntoResponse, Response}};
//! use axum::{Json, Router};
//! use fanvue_scopes::axum::{bearer_token, Routes};
//! use fanvue_scopes::bearer::BearerError;
//! use fanvue_scopes::{Guarded, requires, Granted, InsufficientScope, ScopeSet};
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
//! let routes = Routes::new().post("/chats/{id}/messages", Guarded::new(send_message));
//! let app: Router = routes
//!     .into_router()
//!     .layer(axum::middleware::from_fn(authenticate));
//! ```
//!
//! [`RequireScopesLayer`] is the low-level guard, for a route whose handler
//! has no `#[requires]` (a closure, a static file service): it takes a
//! compile-time checked [`scopes!`](crate::scopes) or a [`Requirement`].
//! Its routes are counted in the authorize scope but have no identity in
//! the listing, and it admits no `Granted` extractor.

use crate::bearer::BearerError;
use crate::error::{Refusal, admit, granted_from};
use crate::guarded::{GuardedRoute, record_route, refuse_duplicate};
use crate::handler::Admitted;
use crate::{
    ApiRefusal, Granted, Guarded, Handler, InsufficientScope, Requirement, ResourceMetadata,
    ScopeSet, Unauthenticated, Unguarded, least_privilege, oauth,
};
use axum::handler::Handler as AxumHandler;
use axum::routing::{MethodFilter, MethodRouter};
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
    granted_from(extensions.get::<Granted>(), extensions.get::<ScopeSet>())
}

impl<S: Send + Sync> FromRequestParts<S> for Granted {
    type Rejection = Response;

    /// The grant, on a request the handler's own guard admitted. Anywhere
    /// else it fails closed, with [`Unguarded`] (500), and says so on
    /// stderr: see [`Routes`].
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.extensions.get::<Admitted>().is_none() {
            let unguarded = Unguarded::reported(parts.method.as_str(), parts.uri.path());
            return Err(unguarded.into_response());
        }
        granted_in(&parts.extensions)
            .map(Granted)
            .ok_or_else(|| Unauthenticated.into_response())
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

impl IntoResponse for Unguarded {
    /// 500: the app served a `#[requires]` handler without its guard.
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.json_body()));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Unauthenticated(refusal) => refusal.into_response(),
            Refusal::InsufficientScope(refusal) => refusal.into_response(),
        }
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
/// requirement, for `Router::route_layer` or `MethodRouter::route_layer`:
/// the low-level guard, for routes whose handler has no `#[requires]`.
/// Route `#[requires]` handlers with [`Routes`] instead.
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
    /// [`least_privilege_for_routes`](crate::least_privilege_for_routes).
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        let requirement = requirement.into();
        crate::guarded::record_layer(requirement);
        RequireScopesLayer { requirement }
    }
}

impl<S> tower_layer::Layer<S> for RequireScopesLayer {
    type Service = RequireScopesService<S>;

    fn layer(&self, inner: S) -> RequireScopesService<S> {
        RequireScopesService {
            inner,
            requirement: self.requirement,
        }
    }
}

/// The service [`RequireScopesLayer`] wraps a route in.
#[derive(Clone, Debug)]
pub struct RequireScopesService<S> {
    inner: S,
    requirement: Requirement,
}

impl<S, B> tower_service::Service<Request<B>> for RequireScopesService<S>
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
        let kind = match admit(granted_in(request.extensions()), &self.requirement) {
            Ok(()) => Kind::Inner {
                future: self.inner.call(request),
            },
            Err(refusal) => Kind::Refused {
                response: Some(refusal.into_response()),
            },
        };
        ResponseFuture { kind }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequireScopesService`].
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

/// The routes of `#[requires]` handlers, each guarded by its own handler's
/// requirement: name a handler once, with [`Guarded::new`](crate::Guarded::new), and
/// its route is guarded from what `#[requires]` wrote on it.
///
/// ```
/// use axum::Router;
/// use fanvue_scopes::axum::Routes;
/// use fanvue_scopes::{Guarded, requires, Granted, InsufficientScope};
///
/// #[requires(read:chat)]
/// async fn list_chats(granted: Granted) -> Result<&'static str, InsufficientScope> {
///     Ok("chats")
/// }
///
/// #[requires(write:chat)]
/// async fn create_chat(granted: Granted, body: String) -> Result<String, InsufficientScope> {
///     Ok(body)
/// }
///
/// let routes = Routes::new()
///     .get("/chats", Guarded::new(list_chats))
///     .post("/chats", Guarded::new(create_chat));
/// assert_eq!(routes.listing()[1].to_string(), "POST /chats (create_chat): `write:chat`");
/// assert_eq!(routes.authorize_scope(), "openid offline_access offline read:chat write:chat");
/// let app: Router = routes.into_router().route("/health", axum::routing::get(|| async { "ok" }));
/// ```
///
/// Each method of a path gets its own guard: a `GET` needs only the `GET`
/// handler's scopes. The guard runs before any of the handler's
/// extractors, so a caller without the scopes is refused before the path
/// is parsed or a byte of the body is read (and before `100 Continue`).
///
/// # Served without its guard
///
/// [`Granted`] is extracted only from a request a handler's own guard
/// admitted. A `#[requires]` handler routed another way (`get(handler)`,
/// or behind a [`RequireScopesLayer`] built for another handler) answers
/// its first request with `500` [`Unguarded`], which names the route, and
/// says so on stderr (once per process); it is never served with its scopes checked late. Its
/// scopes are missing from [`listing`](Self::listing) and the authorize
/// scope, so that first request is where the mistake shows; a test that
/// requests each route finds it.
#[derive(Debug)]
pub struct Routes<S = ()> {
    paths: Vec<(Box<str>, MethodRouter<S>)>,
    listing: Vec<GuardedRoute>,
}

impl<S> Default for Routes<S>
where
    S: Clone + Send + Sync + 'static,
{
    fn default() -> Self {
        Routes {
            paths: Vec::new(),
            listing: Vec::new(),
        }
    }
}

macro_rules! method_routes {
    ($($name:ident $method:literal $filter:ident,)*) => {$(
        #[doc = concat!("Routes `", $method, " path` to `handler`, behind its own guard.")]
        ///
        /// # Panics
        ///
        /// When this method and path already has a handler (parameter names
        /// aside: `/chats/{id}` is `/chats/{chat}`), with a message naming
        /// both handlers. `actix::Routes` does the same.
        pub fn $name<F, T, R>(self, path: &str, handler: Guarded<F, R>) -> Self
        where
            F: AxumHandler<T, S>,
            T: 'static,
            R: OnRefusal,
        {
            self.route($method, MethodFilter::$filter, path, handler)
        }
    )*};
}

impl<S> Routes<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    method_routes! {
        get "GET" GET,
        post "POST" POST,
        put "PUT" PUT,
        patch "PATCH" PATCH,
        delete "DELETE" DELETE,
    }

    fn route<F, T, R>(
        mut self,
        method: &'static str,
        filter: MethodFilter,
        path: &str,
        handler: Guarded<F, R>,
    ) -> Self
    where
        F: AxumHandler<T, S>,
        T: 'static,
        R: OnRefusal,
    {
        let (handler, info, on_refusal) = handler.into_parts();
        let guard = Guard {
            handler,
            info,
            on_refusal,
        };
        let route = GuardedRoute::new(method, path, info);
        refuse_duplicate(&self.listing, &route);
        record_route(&route);
        self.listing.push(route);
        match self.paths.iter_mut().find(|(known, _)| **known == *path) {
            Some((_, methods)) => *methods = std::mem::take(methods).on(filter, guard),
            None => self
                .paths
                .push((path.into(), axum::routing::on(filter, guard))),
        }
        self
    }

    /// Every route added, in order: method, path and handler.
    pub fn listing(&self) -> &[GuardedRoute] {
        &self.listing
    }

    /// Whether every route's requirement fits within the app's Fanvue
    /// registration: call it at start-up, and in a test, so that a route
    /// that needs an unticked scope fails there, naming the route, its
    /// handler and the scopes to tick.
    pub fn check_registration(
        &self,
        registration: &crate::step_up::Registration,
    ) -> Result<(), crate::step_up::UnregisteredRoutes> {
        registration.check_routes(self.listing.iter())
    }

    /// The `scope` of an authorize request that lets every route here pass:
    /// the protocol scopes, then the least privilege of the handlers'
    /// requirements. Complete as soon as the routes are added, before the
    /// server accepts a connection.
    pub fn authorize_scope(&self) -> String {
        oauth::authorize_scope(least_privilege(
            self.listing.iter().map(GuardedRoute::requirement),
        ))
    }

    /// The axum router, to merge, nest or serve; add routes that need no
    /// scopes to it as usual.
    ///
    /// # Panics
    ///
    /// When axum rejects a path, as [`Router::route`](axum::Router::route) does.
    pub fn into_router(self) -> axum::Router<S> {
        self.paths
            .into_iter()
            .fold(axum::Router::new(), |router, (path, methods)| {
                router.route(&path, methods)
            })
    }
}

/// A handler behind its own route guard.
#[derive(Clone, Copy)]
struct Guard<F, R> {
    handler: F,
    info: Handler,
    on_refusal: R,
}

/// How a route answers a caller whose token falls short: [`ApiRefusal`]
/// (`403`, the default), [`ResourceMetadata`] (`403` naming the app's
/// metadata), or a fn of the request and the refusal, such as a redirect
/// to the step-up consent for a page. Set with
/// [`Guarded::on_refusal`](crate::Guarded::on_refusal).
pub trait OnRefusal: Clone + Send + Sync + 'static {
    /// The response to `refusal` of `request`.
    fn respond(&self, request: &axum::extract::Request, refusal: InsufficientScope) -> Response;
}

impl OnRefusal for ApiRefusal {
    fn respond(&self, _: &axum::extract::Request, refusal: InsufficientScope) -> Response {
        refusal.into_response()
    }
}

impl OnRefusal for ResourceMetadata {
    fn respond(&self, _: &axum::extract::Request, refusal: InsufficientScope) -> Response {
        let challenge = refusal.www_authenticate_with_metadata(self.url());
        let challenge = HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static(
            "Bearer error=\"insufficient_scope\"",
        ));
        json_response(StatusCode::FORBIDDEN, challenge, refusal.json_body())
    }
}

impl<C> OnRefusal for C
where
    C: Fn(&axum::extract::Request, InsufficientScope) -> Response + Clone + Send + Sync + 'static,
{
    fn respond(&self, request: &axum::extract::Request, refusal: InsufficientScope) -> Response {
        self(request, refusal)
    }
}

impl<F, T, S, R> AxumHandler<T, S> for Guard<F, R>
where
    F: AxumHandler<T, S>,
    S: Send + 'static,
    R: OnRefusal,
{
    type Future = GuardFuture<F::Future>;

    fn call(self, mut request: axum::extract::Request, state: S) -> Self::Future {
        match admit(granted_in(request.extensions()), self.info.requirement()) {
            Ok(()) => {
                request.extensions_mut().insert(Admitted);
                GuardFuture::Admitted {
                    future: self.handler.call(request, state),
                }
            }
            Err(Refusal::InsufficientScope(refusal)) => GuardFuture::Refused {
                response: Some(self.on_refusal.respond(&request, refusal)),
            },
            Err(refusal) => GuardFuture::Refused {
                response: Some(refusal.into_response()),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response of a guarded handler: its own, or the guard's refusal.
    #[project = GuardProjection]
    enum GuardFuture<F> {
        Refused { response: Option<Response> },
        Admitted { #[pin] future: F },
    }
}

impl<F: Future<Output = Response>> Future for GuardFuture<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project() {
            GuardProjection::Admitted { future } => future.poll(cx),
            // Polled again after completion: stay closed.
            GuardProjection::Refused { response } => Poll::Ready(
                response
                    .take()
                    .unwrap_or_else(|| Unauthenticated.into_response()),
            ),
        }
    }
}
