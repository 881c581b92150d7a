//! actix-web 4: [`Routes`] to route `#[requires]` handlers behind their own
//! guards, [`Granted`] as an extractor, the refusals as `ResponseError`s,
//! [`RequireScopes`] middleware for other routes, and [`bearer_token`] to
//! read the `Authorization` header.
//!
//! The app's authentication middleware validates the bearer token and
//! inserts the granted [`ScopeSet`] (or a [`Granted`]) into the request
//! extensions; everything here reads it from there.
//!
//! Route each `#[requires]` handler with [`Guarded::new`](crate::Guarded::new) in
//! [`Routes`]: its guard runs before any extractor, so a caller without the
//! scopes gets `403` before the path is parsed or a byte of the body is
//! read. (actix-http answers `Expect: 100-continue` itself, before the app
//! sees the request.)
//!
//! A complete program, `examples/actix.rs` (run it with
//! `cargo run -p fanvue-scopes --example actix --features actix-web`): the
//! authentication middleware validates the bearer token and inserts a
//! [`Granted`]; the routes are built once, before the server, so the
//! authorize scope is known before it runs, and a test checks that a token
//! holding exactly that scope passes every route.
//!
//! ```no_run
#![doc = include_str!("../../examples/actix.rs")]
//! ```
//!
//! [`RequireScopes`] is the low-level guard, for a scope or resource whose
//! handlers have no `#[requires]`. It has no identity in the listing, it
//! admits no `Granted` extractor, and it is built in each worker's `App`,
//! after `run()`: so [`Routes::authorize_scope`] can't count it. Its
//! requirement reaches [`oauth::authorize_scope_for_routes`]
//! once a worker has built it; ask for it in the authorize scope yourself,
//! or route the handler with `#[requires]` as above.

use crate::bearer::BearerError;
use crate::error::{Refusal, admit, granted_from};
use crate::guarded::{GuardedRoute, record_route, refuse_duplicate};
use crate::handler::Admitted;
use crate::{
    ApiRefusal, Granted, Guarded, InsufficientScope, Requirement, ResourceMetadata, ScopeSet,
    Unauthenticated, Unguarded, least_privilege, oauth,
};
use actix_web::dev::{Extensions, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::web::{self, ServiceConfig};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use actix_web::{Handler, Responder, Route};
use std::fmt;
use std::future::{Future, Ready, ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The granted scopes the authentication layer left in the extensions.
fn granted_in(extensions: &Extensions) -> Option<ScopeSet> {
    granted_from(extensions.get::<Granted>(), extensions.get::<ScopeSet>())
}

impl FromRequest for Granted {
    type Error = actix_web::Error;
    type Future = Ready<Result<Granted, actix_web::Error>>;

    /// The grant, on a request the handler's own guard admitted. Anywhere
    /// else it fails closed, with [`Unguarded`] (500), and says so on
    /// stderr: see [`Routes`].
    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        if extensions.get::<Admitted>().is_none() {
            let unguarded = Unguarded::reported(request.method().as_str(), request.path());
            return ready(Err(unguarded.into()));
        }
        ready(
            granted_in(&extensions)
                .map(Granted)
                .ok_or_else(|| Unauthenticated.into()),
        )
    }
}

impl ResponseError for Unguarded {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    /// 500: the app served a `#[requires]` handler without its guard.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(self.json_body())
    }
}

impl From<Refusal> for actix_web::Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unauthenticated(refusal) => refusal.into(),
            Refusal::InsufficientScope(refusal) => refusal.into(),
        }
    }
}

impl ResponseError for InsufficientScope {
    fn status_code(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    /// 403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::Forbidden()
            .insert_header((WWW_AUTHENTICATE, self.www_authenticate()))
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(self.json_body())
    }
}

impl ResponseError for Unauthenticated {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    /// 401 with `WWW-Authenticate: Bearer`: the request had no credentials.
    fn error_response(&self) -> HttpResponse {
        BearerError::Missing.error_response()
    }
}

/// The bearer token of a request: see [`bearer::bearer_token`](crate::bearer::bearer_token).
pub fn bearer_token(request: &HttpRequest) -> Result<&str, BearerError> {
    crate::bearer::bearer_token(
        request
            .headers()
            .get_all(actix_web::http::header::AUTHORIZATION)
            .map(|value| value.as_bytes()),
    )
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED)
    }

    /// 401 or 400 with its RFC 6750 challenge.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .insert_header((WWW_AUTHENTICATE, self.www_authenticate()))
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(self.json_body())
    }
}

/// Middleware that refuses requests whose granted scopes fall short of a
/// requirement; `.wrap()` it around a `web::scope` or `web::resource`.
///
/// Build the requirement with the compile-time checked [`scopes!`](crate::scopes)
/// (all of them) or a [`Requirement`] (with `any` groups).
#[derive(Clone, Copy, Debug)]
pub struct RequireScopes {
    requirement: Requirement,
}

impl RequireScopes {
    /// Guards with `requirement`: a [`ScopeSet`] means all of its scopes.
    ///
    /// The requirement is recorded for
    /// [`least_privilege_for_routes`](crate::least_privilege_for_routes).
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        let requirement = requirement.into();
        crate::guarded::record_layer(requirement);
        RequireScopes { requirement }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireScopes
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequireScopesMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireScopesMiddleware {
            service,
            requirement: self.requirement,
        }))
    }
}

/// The service [`RequireScopes`] wraps a scope or resource in.
#[derive(Debug)]
pub struct RequireScopesMiddleware<S> {
    service: S,
    requirement: Requirement,
}

type BoxedResponse<B> = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, actix_web::Error>>>>;

impl<S, B> Service<ServiceRequest> for RequireScopesMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = BoxedResponse<B>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let admitted = admit(granted_in(&request.extensions()), &self.requirement);
        match admitted {
            Ok(()) => Box::pin(self.service.call(request)),
            Err(refusal) => Box::pin(ready(Err(refusal.into()))),
        }
    }
}

/// The routes of `#[requires]` handlers, each guarded by its own handler's
/// requirement: name a handler once, with [`Guarded::new`](crate::Guarded::new), and
/// its route is guarded from what `#[requires]` wrote on it.
///
/// Build it before the server, outside `HttpServer::new`'s factory (which
/// actix-web runs lazily, once per worker): its [`listing`](Self::listing)
/// and [`authorize_scope`](Self::authorize_scope) are then complete before
/// `run()`. Each worker's `App` takes a clone through
/// [`configure`](Self::configure).
///
/// ```
/// use actix_web::{App, HttpResponse};
/// use fanvue_scopes::actix::Routes;
/// use fanvue_scopes::{Guarded, requires, Granted, InsufficientScope};
///
/// #[requires(read:chat)]
/// async fn list_chats(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
///     Ok(HttpResponse::Ok().body("chats"))
/// }
///
/// #[requires(write:chat)]
/// async fn create_chat(granted: Granted, body: String) -> Result<HttpResponse, InsufficientScope> {
///     Ok(HttpResponse::Created().body(body))
/// }
///
/// let routes = Routes::new()
///     .get("/chats", Guarded::new(list_chats))
///     .post("/chats", Guarded::new(create_chat));
/// assert_eq!(routes.authorize_scope(), "openid offline_access offline read:chat write:chat");
/// let factory = move || App::new().configure(routes.configure());
/// # let _ = factory;
/// ```
///
/// Each method of a path gets its own guard: a `GET` needs only the `GET`
/// handler's scopes. The guard runs before any of the handler's
/// extractors, so a caller without the scopes is refused before the path
/// is parsed or a byte of the body is read.
///
/// # Served without its guard
///
/// [`Granted`] is extracted only from a request a handler's own guard
/// admitted. A `#[requires]` handler routed another way (`web::get().to(handler)`,
/// a route attribute such as `#[get("/chats")]`, or behind a
/// [`RequireScopes`] built for another handler) answers its first request
/// with `500` [`Unguarded`], which names the route, and says so on stderr (once per process);
/// it is never served with its scopes checked late.
#[derive(Clone, Default)]
pub struct Routes {
    routes: Vec<(GuardedRoute, Registration)>,
}

/// Adds one guarded route to a worker's `App`.
type Registration = Arc<dyn Fn(&mut ServiceConfig) + Send + Sync>;

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.routes.iter().map(|(route, _)| route))
            .finish()
    }
}

macro_rules! method_routes {
    ($($name:ident $method:literal $guard:ident,)*) => {$(
        #[doc = concat!("Routes `", $method, " path` to `handler`, behind its own guard.")]
        ///
        /// # Panics
        ///
        /// When this method and path already has a handler (parameter names
        /// aside: `/chats/{id}` is `/chats/{chat}`), with a message naming
        /// both handlers, as `axum::Routes` does. actix-web itself would
        /// serve the first and never the second.
        pub fn $name<F, Args, R>(self, path: &str, handler: Guarded<F, R>) -> Self
        where
            F: Handler<Args> + Send + Sync,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
            R: OnRefusal,
        {
            self.route($method, || web::$guard(), path, handler)
        }
    )*};
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    method_routes! {
        get "GET" get,
        post "POST" post,
        put "PUT" put,
        patch "PATCH" patch,
        delete "DELETE" delete,
    }

    fn route<F, Args, R>(
        mut self,
        method: &'static str,
        on: fn() -> Route,
        path: &str,
        handler: Guarded<F, R>,
    ) -> Self
    where
        F: Handler<Args> + Send + Sync,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
        R: OnRefusal,
    {
        let (handler, info, on_refusal) = handler.into_parts();
        let guard = Guard {
            handler,
            info,
            on_refusal,
            args: PhantomData,
        };
        let route = GuardedRoute::new(method, path, info);
        refuse_duplicate(self.listing(), &route);
        record_route(&route);
        let resource_path: Box<str> = path.into();
        let registration: Registration = Arc::new(move |config: &mut ServiceConfig| {
            config.route(&resource_path, on().to(guard.clone()));
        });
        self.routes.push((route, registration));
        self
    }

    /// Every route added, in order: method, path and handler.
    pub fn listing(&self) -> impl ExactSizeIterator<Item = &GuardedRoute> {
        self.routes.iter().map(|(route, _)| route)
    }

    /// Whether every route's requirement fits within the app's Fanvue
    /// registration: call it at start-up, and in a test, so that a route
    /// that needs an unticked scope fails there, naming the route, its
    /// handler and the scopes to tick.
    pub fn check_registration(
        &self,
        registration: &crate::step_up::Registration,
    ) -> Result<(), crate::step_up::UnregisteredRoutes> {
        registration.check_routes(self.listing())
    }

    /// The `scope` of an authorize request that lets every route here pass:
    /// the protocol scopes, then the least privilege of the handlers'
    /// requirements. Complete as soon as the routes are added, before the
    /// server runs.
    pub fn authorize_scope(&self) -> String {
        oauth::authorize_scope(least_privilege(
            self.listing().map(GuardedRoute::requirement),
        ))
    }

    /// For [`App::configure`](actix_web::App::configure): adds every route
    /// to a worker's app.
    pub fn configure(&self) -> impl Fn(&mut ServiceConfig) + use<> {
        let registrations: Vec<Registration> =
            self.routes.iter().map(|(_, add)| Arc::clone(add)).collect();
        move |config| registrations.iter().for_each(|add| add(config))
    }
}

/// A handler behind its own route guard: an actix-web handler that takes
/// the request whole, admits it, and only then runs the handler's
/// extractors.
struct Guard<F, Args, R> {
    handler: F,
    info: crate::Handler,
    on_refusal: R,
    args: PhantomData<fn() -> Args>,
}

impl<F: Clone, Args, R: Clone> Clone for Guard<F, Args, R> {
    fn clone(&self) -> Self {
        Guard {
            handler: self.handler.clone(),
            info: self.info,
            on_refusal: self.on_refusal.clone(),
            args: PhantomData,
        }
    }
}

/// How a route answers a caller whose token falls short: [`ApiRefusal`]
/// (`403`, the default), [`ResourceMetadata`] (`403` naming the app's
/// metadata), or a fn of the request and the refusal, such as a redirect
/// to the step-up consent for a page. Set with
/// [`Guarded::on_refusal`](crate::Guarded::on_refusal).
pub trait OnRefusal: Clone + Send + Sync + 'static {
    /// The response to `refusal` of `request`.
    fn respond(&self, request: &HttpRequest, refusal: InsufficientScope) -> HttpResponse;
}

impl OnRefusal for ApiRefusal {
    fn respond(&self, _: &HttpRequest, refusal: InsufficientScope) -> HttpResponse {
        refusal.error_response()
    }
}

impl OnRefusal for ResourceMetadata {
    fn respond(&self, _: &HttpRequest, refusal: InsufficientScope) -> HttpResponse {
        HttpResponse::Forbidden()
            .insert_header((
                WWW_AUTHENTICATE,
                refusal.www_authenticate_with_metadata(self.url()),
            ))
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(refusal.json_body())
    }
}

impl<C> OnRefusal for C
where
    C: Fn(&HttpRequest, InsufficientScope) -> HttpResponse + Clone + Send + Sync + 'static,
{
    fn respond(&self, request: &HttpRequest, refusal: InsufficientScope) -> HttpResponse {
        self(request, refusal)
    }
}

impl<F, Args, R> Handler<(HttpRequest, web::Payload)> for Guard<F, Args, R>
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
    R: OnRefusal,
{
    type Output = HttpResponse;
    type Future = Pin<Box<dyn Future<Output = HttpResponse>>>;

    fn call(&self, (request, payload): (HttpRequest, web::Payload)) -> Self::Future {
        let granted = granted_in(&request.extensions());
        let admitted = admit(granted, self.info.requirement());
        let handler = self.handler.clone();
        let refused = match admitted {
            Ok(()) => None,
            Err(Refusal::InsufficientScope(refusal)) => {
                Some(self.on_refusal.respond(&request, refusal))
            }
            Err(refusal) => Some(actix_web::Error::from(refusal).error_response()),
        };
        Box::pin(async move {
            if let Some(refused) = refused {
                return refused;
            }
            request.extensions_mut().insert(Admitted);
            let mut payload = payload.into_inner();
            match Args::from_request(&request, &mut payload).await {
                Ok(args) => handler
                    .call(args)
                    .await
                    .respond_to(&request)
                    .map_into_boxed_body(),
                Err(error) => Into::<actix_web::Error>::into(error).error_response(),
            }
        })
    }
}
