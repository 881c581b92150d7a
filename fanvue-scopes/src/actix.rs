//! actix-web 4: [`Granted`] as an extractor, the refusals as
//! `ResponseError`s, [`RequireScopes`] middleware to guard a resource or
//! scope, and [`bearer_token`] to read the `Authorization` header.
//!
//! The app's authentication middleware validates the bearer token and
//! inserts the granted [`ScopeSet`] (or a [`Granted`]) into the request
//! extensions; everything here reads it from there.
//!
//! Wrap each handler's `web::resource` in its own requirement, through
//! [`requirement_of!`](crate::requirement_of): the middleware runs before
//! any extractor, so a caller without the scopes gets `403` before the path
//! is parsed or a byte of the body is read. (actix-http answers
//! `Expect: 100-continue` itself, before the app sees the request.)
//!
//! A complete program: the authentication middleware validates the bearer
//! token and inserts a [`Granted`], and each handler's resource is wrapped
//! in that handler's requirement.
//!
//! ```no_run
//! use actix_web::body::MessageBody;
//! use actix_web::dev::{ServiceRequest, ServiceResponse};
//! use actix_web::middleware::{from_fn, Next};
//! use actix_web::{web, App, HttpMessage, HttpResponse, HttpServer};
//! use fanvue_scopes::actix::{bearer_token, RequireScopes};
//! use fanvue_scopes::bearer::BearerError;
//! use fanvue_scopes::{oauth, requirement_of, requires, scopes, Granted, InsufficientScope, ScopeSet};
//!
//! #[requires(read:chat)]
//! async fn list_chats(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
//!     Ok(HttpResponse::Ok().json(["chat with a fan"]))
//! }
//!
//! #[requires(write:chat)]
//! async fn send_message(granted: Granted, text: String) -> Result<HttpResponse, InsufficientScope> {
//!     Ok(HttpResponse::Created().body(text))
//! }
//!
//! /// Stands in for real token validation: ask Fanvue, or check the token
//! /// stored at sign-in, instead of matching a fixed string.
//! async fn authenticate(
//!     request: ServiceRequest,
//!     next: Next<impl MessageBody>,
//! ) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
//!     let granted = match bearer_token(request.request()) {
//!         Ok("demo") => ScopeSet::parse_lenient("read:self read:chat").known(),
//!         Ok(_) => return Err(BearerError::InvalidToken.into()),
//!         Err(refused) => return Err(refused.into()),
//!     };
//!     request.extensions_mut().insert(Granted(granted));
//!     next.call(request).await
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     let server = HttpServer::new(|| {
//!         App::new()
//!             .service(
//!                 web::resource("/chats")
//!                     .wrap(RequireScopes::new(requirement_of!(list_chats)))
//!                     .route(web::get().to(list_chats)),
//!             )
//!             .service(
//!                 web::resource("/chats/{id}/messages")
//!                     .wrap(RequireScopes::new(requirement_of!(send_message)))
//!                     .route(web::post().to(send_message)),
//!             )
//!             .service(
//!                 web::scope("/insights")
//!                     .wrap(RequireScopes::new(scopes![read:insights]))
//!                     .route("", web::get().to(|| async { "insights" })),
//!             )
//!             .wrap(from_fn(authenticate))
//!     })
//!     .bind(("127.0.0.1", 3000))?;
//!     actix_web::rt::System::new().block_on(server.run())
//! }
//! ```

use crate::bearer::BearerError;
use crate::{Granted, InsufficientScope, Requirement, ScopeSet, Unauthenticated};
use actix_web::dev::{Extensions, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The granted scopes the authentication layer left in the extensions.
fn granted_in(extensions: &Extensions) -> Option<ScopeSet> {
    extensions
        .get::<Granted>()
        .map(|granted| granted.0)
        .or_else(|| extensions.get::<ScopeSet>().copied())
}

impl FromRequest for Granted {
    type Error = Unauthenticated;
    type Future = Ready<Result<Granted, Unauthenticated>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            granted_in(&request.extensions())
                .map(Granted)
                .ok_or(Unauthenticated),
        )
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
    /// [`required_by_guarded_routes`](crate::required_by_guarded_routes).
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        let requirement = requirement.into();
        crate::guarded::record(requirement);
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
        let granted = granted_in(&request.extensions());
        let refusal = match granted {
            None => actix_web::Error::from(Unauthenticated),
            Some(granted) => match self.requirement.check(granted) {
                Ok(()) => return Box::pin(self.service.call(request)),
                Err(insufficient) => actix_web::Error::from(insufficient),
            },
        };
        Box::pin(ready(Err(refusal)))
    }
}
