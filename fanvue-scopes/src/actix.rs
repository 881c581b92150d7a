//! actix-web 4: [`Granted`] as an extractor, the refusals as
//! `ResponseError`s, and [`RequireScopes`] middleware to guard a scope or
//! resource.
//!
//! The app's authentication middleware validates the bearer token and
//! inserts the granted [`ScopeSet`] (or a [`Granted`]) into the request
//! extensions; everything here reads it from there.
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use fanvue_scopes::actix::RequireScopes;
//! use fanvue_scopes::{requires, scopes, Granted, InsufficientScope};
//!
//! #[requires(read:chat)]
//! async fn list_chats(granted: Granted) -> Result<HttpResponse, InsufficientScope> {
//!     Ok(HttpResponse::Ok().body("chats"))
//! }
//!
//! let app = App::new()
//!     .route("/chats", web::get().to(list_chats))
//!     .service(
//!         web::scope("/insights")
//!             .wrap(RequireScopes::new(scopes![read:insights]))
//!             .route("", web::get().to(|| async { "insights" })),
//!     );
//! # let _ = app;
//! ```

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

    /// 401 with `WWW-Authenticate: Bearer`.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::Unauthorized()
            .insert_header((WWW_AUTHENTICATE, Unauthenticated::WWW_AUTHENTICATE))
            .insert_header((CONTENT_TYPE, "application/json"))
            .body(Unauthenticated::JSON_BODY)
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
    pub fn new(requirement: impl Into<Requirement>) -> Self {
        RequireScopes {
            requirement: requirement.into(),
        }
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
