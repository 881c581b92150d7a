//! Fanvue OAuth 2.0 scopes as checked Rust.
//!
//! A Fanvue access token carries *scopes* such as `read:chat`; every API
//! request checks them, and a missing one is `403 Forbidden`. This crate
//! turns the scope list of `scopes.toml` into Rust that the compiler checks:
//!
//! - [`Scope`]: one variant per scope, and [`Resource`], the scope table's rows;
//! - [`ScopeSet`]: a `Copy`, const bit set of scopes, read from and written
//!   to OAuth's space-delimited form;
//! - [`#[requires(..)]`](requires): a guard on a handler fn. A scope name not
//!   in `scopes.toml` is a compile error with a suggestion; a caller whose
//!   token falls short is refused before the body runs;
//! - [`scope!`] and [`scopes!`]: the same checked names as values;
//! - [`Endpoint`]: Fanvue's API operations and the scopes each requires,
//!   named with the checked [`endpoint!`], found from a request with
//!   [`Endpoint::find`], and required by a handler that calls them with
//!   `#[requires(calls(GET "/chats"))]`;
//! - [`client`]: refuse an outgoing call the token can't make before it is
//!   sent, with a `reqwest-middleware` middleware or any other client.
//!
//! # Quick start
//!
//! ```
//! use fanvue_scopes::{requires, scope, scopes, Granted, InsufficientScope, ScopeSet};
//!
//! #[requires(read:chat)]
//! fn list_chats(granted: Granted) -> Result<&'static str, InsufficientScope> {
//!     Ok("the chats")
//! }
//!
//! // What the app's authentication layer read from a validated token:
//! let granted = ScopeSet::parse_lenient("read:self read:chat").known();
//! assert_eq!(list_chats(Granted(granted)), Ok("the chats"));
//!
//! let refused = list_chats(Granted(scopes![read:self])).unwrap_err();
//! assert_eq!(refused.missing(), scopes![read:chat]);
//! assert_eq!(refused.to_string(), "insufficient scope: requires `read:chat`; missing `read:chat`");
//! # let _ = scope!(read:self);
//! ```
//!
//! A typo does not compile:
//!
//! ```compile_fail
//! # use fanvue_scopes::{requires, Granted, InsufficientScope};
//! #[requires(read:chats)] // error: unknown scope `read:chats`; did you mean `read:chat`?
//! fn list_chats(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
//! ```
//!
//! # Request the right scopes
//!
//! The [`oauth`] module has Fanvue's endpoints and protocol scopes, and
//! builds the `scope` of an authorize request from what the handlers
//! require: [`oauth::authorize_scope_for_routes`] is the least-privilege
//! string for every route the app guards, and [`least_privilege`] takes
//! any list of requirements, such as `Requirement::of(&handler)`s. With the
//! `registry` feature, `oauth::authorize_scope_for_handlers` covers every
//! `#[requires]` fn in the program.
//!
//! # When a user granted too little
//!
//! The [`step_up`] module turns any refusal into the consent that fixes
//! it, within what the app's Fanvue registration allows, and checks the
//! app's routes against that registration.
//!
//! # Calling the Fanvue API
//!
//! Say which endpoints a fn calls, and it requires their scopes; the app's
//! authorize request then asks for them, and the fn's docs list them:
//!
//! ```
//! use fanvue_scopes::{endpoint, requires, scopes, Granted, InsufficientScope};
//!
//! #[requires(calls(GET "/chats/{userUuid}/messages", POST "/chats/{userUuid}/message"))]
//! fn reply_to_fan(granted: Granted) -> Result<(), InsufficientScope> {
//!     Ok(())
//! }
//!
//! let refused = reply_to_fan(Granted(scopes![read:chat])).unwrap_err();
//! assert_eq!(refused.missing(), scopes![write:chat]);
//! assert_eq!(endpoint!(GET "/users/me").scopes(), scopes![read:self]);
//! ```
//!
//! The [`client`] module checks each outgoing request against the token's
//! scopes before it is sent, and `testing` (behind a
//! feature) serves a stand-in Fanvue API to test an app against.
//!
//! # Web frameworks
//!
//! The [`axum`][axum-module] and [`actix`] modules (behind features) make
//! [`Granted`] an extractor, turn the refusals into RFC 6750 responses, and
//! guard whole routes; each has a complete example.
//!
//! # Feature flags
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `serde` | yes | `Serialize`/`Deserialize` for [`Scope`] (its string) and [`ScopeSet`] (the space-delimited list) |
//! | `registry` | no | [`handlers()`] and [`least_privilege_for_handlers()`]: every `#[requires]` fn in the program, for listings and the least-privilege scope string; it costs the compiler about 0.25 ms per fn, so it is off by default |
//! | `axum` | no | axum 0.8 ([`axum`][axum-module]): [`Granted`] as an extractor, responses for the errors, the [`axum::RequireScopesLayer`] route guard |
//! | `actix-web` | no | actix-web 4 ([`actix`]): [`Granted`] as an extractor, `ResponseError` for the errors, the [`actix::RequireScopes`] guard middleware |
//! | `oauth2` | no | oauth2 5: [`oauth::authorize_scope_list`] and [`oauth::token_response_scopes`], conversions to and from `oauth2::Scope` |
//! | `utoipa` | no | utoipa ([`openapi`]): the [`openapi::FanvueSecurity`] scheme and each handler's scopes in an OpenAPI document (implies `registry`) |
//! | `client` | no | [`client::CallCheck`]: an outgoing call's method and URL, read as the URL standard (and reqwest) reads it with the `url` crate, checked against the token's scopes |
//! | `http` | no | http 1: [`client::CallCheck::request`] checks an outgoing `http::Request` (implies `client`) |
//! | `reqwest` | no | reqwest 0.13: [`client::ScopeCheck`], a `reqwest-middleware` middleware that refuses calls before the network, with a redirect policy that checks every hop (implies `http`) |
//! | `rmcp` | no | rmcp 3 ([`mcp`]): `#[requires]` on MCP tools, [`Granted`] as a tool parameter, and [`mcp::guard`], which answers a `tools/call` the token can't make with `403 insufficient_scope` before the tool runs (implies `registry` and `axum`) |
//! | `grant-sqlite` | no | [`grant::GrantStore`] in SQLite (sqlx): each user's Fanvue tokens sealed at rest (XChaCha20-Poly1305), refreshed once per rotation across every process that shares the file, with typed failures |
//! | `grant-postgres` | no | the same in PostgreSQL, for several machines |
//! | `mcp-auth` | no | [`mcp::auth`]: the MCP server as the authorization server its clients register with (dynamic registration, its own consent and tokens, stored as hashes), Fanvue behind it and the users' Fanvue grants in the grant store; with `grant-sqlite` or `grant-postgres` (implies `rmcp`) |
//! | `testing` | no | [`testing::StandIn`], a stand-in Fanvue on 127.0.0.1 (axum and tokio): the API, and the authorization server with consent, PKCE and rotating refresh tokens, for an app's tests |
//!
//! On docs.rs every item behind a feature carries a badge that names it.
//!
//! # The scopes
//!
//! Each scope with the endpoints that require it (unfold a row to see them):
//!
// Items behind a feature that is off are linked to the feature table, so
// their names still read as code and say where to look, in every feature set.
#![cfg_attr(not(feature = "client"), doc = "[`client`]: crate#feature-flags")]
#![cfg_attr(feature = "axum", doc = "[axum-module]: mod@crate::axum")]
#![cfg_attr(not(feature = "axum"), doc = "[axum-module]: crate#feature-flags")]
#![cfg_attr(not(feature = "actix-web"), doc = "[`actix`]: crate#feature-flags")]
#![cfg_attr(not(feature = "registry"), doc = "[`handlers()`]: crate#feature-flags")]
#![cfg_attr(
    not(feature = "registry"),
    doc = "[`least_privilege_for_handlers()`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "axum"),
    doc = "[`axum::RequireScopesLayer`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "actix-web"),
    doc = "[`actix::RequireScopes`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "oauth2"),
    doc = "[`oauth::authorize_scope_list`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "oauth2"),
    doc = "[`oauth::token_response_scopes`]: crate#feature-flags"
)]
#![cfg_attr(not(feature = "utoipa"), doc = "[`openapi`]: crate#feature-flags")]
#![cfg_attr(
    not(feature = "utoipa"),
    doc = "[`openapi::FanvueSecurity`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "client"),
    doc = "[`client::CallCheck`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "http"),
    doc = "[`client::CallCheck::request`]: crate#feature-flags"
)]
#![cfg_attr(
    not(feature = "reqwest"),
    doc = "[`client::ScopeCheck`]: crate#feature-flags"
)]
#![cfg_attr(not(feature = "rmcp"), doc = "[`mcp`]: crate#feature-flags")]
#![cfg_attr(
    not(feature = "grant"),
    doc = "[`grant::GrantStore`]: crate#feature-flags"
)]
#![cfg_attr(not(feature = "mcp-auth"), doc = "[`mcp::auth`]: crate#feature-flags")]
#![cfg_attr(not(feature = "rmcp"), doc = "[`mcp::guard`]: crate#feature-flags")]
#![cfg_attr(
    not(feature = "testing"),
    doc = "[`testing::StandIn`]: crate#feature-flags"
)]
#![doc = fanvue_scopes_macros::__scope_table!()]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

// The files sit in folders by role, and the modules where users find
// them: the core (what a scope, a set, a requirement, a handler and an
// error are) at the top; `serve/`, guarding routes; `call/`, asking Fanvue
// for scopes and calling it; `grant/`, the grant store; `testing/`, the
// stand-in Fanvue.
mod error;
mod handler;
#[cfg(feature = "registry")]
mod registry;
mod requirement;
mod scope;
mod set;

#[cfg(feature = "actix-web")]
#[path = "serve/actix.rs"]
pub mod actix;
#[cfg(feature = "axum")]
#[path = "serve/axum.rs"]
pub mod axum;
#[path = "serve/bearer.rs"]
pub mod bearer;
#[path = "serve/guarded.rs"]
mod guarded;
#[path = "serve/response.rs"]
mod response;

#[cfg(feature = "client")]
#[path = "call/client.rs"]
pub mod client;
#[path = "call/endpoint.rs"]
mod endpoint;
#[path = "call/oauth.rs"]
pub mod oauth;
#[path = "call/step_up.rs"]
pub mod step_up;

#[cfg(feature = "grant")]
pub mod grant;
#[cfg(feature = "rmcp")]
pub mod mcp;
#[cfg(feature = "utoipa")]
pub mod openapi;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use endpoint::{API_VERSION, Endpoint};
pub use error::{
    CallRefused, InsufficientScope, ParseScopeSetError, RefusedBy, Unauthenticated, Unguarded,
    UnknownScope,
};
pub use guarded::{GuardedRoute, guarded_routes, least_privilege_for_routes};
pub use handler::{
    ApiRefusal, CarriesRefusal, Guarded, GuardedHandler, Handler, RequiresScopes, ResourceMetadata,
};
#[cfg(feature = "registry")]
pub use registry::{handlers, least_privilege_for_handlers};
pub use requirement::{Granted, HasScopes, Requirement, least_privilege};
pub use response::WWW_AUTHENTICATE;
pub use scope::{Resource, Scope};
pub use set::{Iter, LenientScopes, ScopeSet};

/// Guards a fn with the scopes its caller must have been granted.
///
/// ```
/// # use fanvue_scopes::{requires, Granted, InsufficientScope};
/// #[requires(read:chat)]                                // this scope
/// # fn a(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// #[requires(read:chat, write:chat)]                    // all of these
/// # fn b(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// #[requires(any(read:fan, read:creator))]              // at least one of these
/// # fn c(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// #[requires(read:chat, any(read:fan, read:creator))]   // both kinds
/// # fn d(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// #[requires("read:tracking_links")]                    // names may be string literals
/// # fn e(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// #[requires(calls(GET "/chats", POST "/chats"))]       // every scope these endpoints need
/// # fn f(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// #[requires(read:self, calls(GET "/chats"))]           // scopes and endpoints together
/// # fn g(granted: Granted) -> Result<(), InsufficientScope> { Ok(()) }
/// ```
///
/// `calls(..)` takes endpoints as [`endpoint!`] does, checked the same way,
/// and requires the union of their scopes, as if they were named on their
/// own; the "Required scopes" section names the endpoint behind each.
///
/// # At compile time
///
/// Every name is checked against `scopes.toml`. An unknown name, a name in
/// the wrong case (scopes are case-sensitive), a repeated name, an empty
/// list and malformed syntax are errors on the tokens at fault, all reported
/// in one build:
///
/// ```text
/// error: unknown scope `read:chats`; did you mean `read:chat`?
///  --> src/routes.rs:3:12
///   |
/// 3 | #[requires(read:chats)]
///   |            ^^^^^^^^^^
/// ```
///
/// # At run time
///
/// The guard runs before any of the body and fails closed. It reads the
/// caller's granted scopes from the one parameter typed [`Granted`] (or
/// `&Granted`), the type whose only meaning is "what a validated token
/// granted"; or, with `from = expr`, from any expression whose type
/// implements [`HasScopes`] (a field of `self`, a claims struct).
///
/// A [`ScopeSet`] parameter is never taken implicitly: it may be request
/// data, such as the scopes to grant someone else, and guarding with it
/// would let the request guard itself. Without `from = ..` it is a compile
/// error that says so. The parameter is found by its type's name, so a
/// `Granted` renamed with `use .. as G` needs `from = ..` too. No `Granted`
/// parameter, or two, is a compile error that says what to add.
///
/// When the scopes fall short, the fn returns
/// `Err(From::from(InsufficientScope { .. }))`, so it must return
/// `Result<T, E>` (or an alias of one) with `E: From<InsufficientScope>`;
/// with the `axum` or `actix-web` feature, `InsufficientScope` is itself a
/// 403 response. The type checker decides, and reports a mismatch on the
/// return type.
///
/// ```
/// use fanvue_scopes::{requires, scopes, HasScopes, InsufficientScope, ScopeSet};
///
/// struct Claims { scope: ScopeSet }
/// impl HasScopes for Claims {
///     fn granted_scopes(&self) -> ScopeSet { self.scope }
/// }
///
/// #[derive(Debug, PartialEq)]
/// enum ApiError { Forbidden(ScopeSet) }
/// impl From<InsufficientScope> for ApiError {
///     fn from(error: InsufficientScope) -> Self { ApiError::Forbidden(error.missing()) }
/// }
///
/// struct Session { claims: Claims }
/// impl Session {
///     #[requires(read:chat, write:chat, from = self.claims)]
///     fn send(&self, text: &str) -> Result<usize, ApiError> {
///         Ok(text.len())
///     }
/// }
///
/// let session = Session { claims: Claims { scope: scopes![read:chat] } };
/// assert_eq!(session.send("hi"), Err(ApiError::Forbidden(scopes![write:chat])));
/// ```
///
/// It works on sync and async fns, methods, generic fns and fns with
/// `impl Trait` arguments, and keeps the fn's attributes, docs, visibility,
/// signature and the body's inner attributes. A "Required scopes" section,
/// with each scope's description, is appended to the fn's docs. It can't
/// guard a `const fn` (the guard is run-time code), and it is written once
/// per fn: a second `#[requires]` is an error that asks for one attribute
/// with the whole requirement, since two would read as "either".
///
/// # Guarding the route
///
/// In a web framework, the guard in the body runs after the framework has
/// run the other extractors, which may read the request body. So route a
/// handler with [`Guarded::new(handler)`](Guarded::new) in
/// [`axum::Routes`] or [`actix::Routes`]: its route is guarded with its
/// own requirement, per method, and a caller without the scopes is refused
/// before anything is read. The scopes stay written once, on the fn, and
/// the routes' listing and authorize scope come from the same place.
///
/// A route handler is an `async fn` that takes `Granted` and no `self`.
/// For it, `#[requires]` writes the fn as one that returns
/// `impl Future<Output = ..> + RequiresScopes`: the future carries the
/// requirement in its type ([`RequiresScopes`]), and [`Guarded::new`] and
/// [`Requirement::of`] read it from the fn they are given, never from a
/// second name. A fn without `#[requires]` can't be passed off as one, by
/// shadowing, a glob import or a type of the same name. Free fns,
/// associated fns of generic and plain `impl`s, a trait impl's fn and a
/// trait's default fn are all route handlers, and are called and awaited
/// as before.
///
/// A route handler is safe and nameable, and its guard can't be configured
/// away: `#[requires]` refuses an `async unsafe fn`, an `impl Trait`
/// parameter (declare a type parameter), and a `#[cfg]` on the `Granted`
/// parameter, each with an error that says what to write. Attributes that
/// read the `async fn`, such as `#[tracing::instrument]`, go above
/// `#[requires]`; below it they would see the fn it writes, and it says so.
/// A trait method's `#[requires]` is kept by every override: an override
/// without it does not compile. The guard returns its refusal through the
/// return type, which must be `Result<T, E>` with `E: From<InsufficientScope>`
/// ([`CarriesRefusal`]).
///
/// A sync fn, a method that takes `self`, and a fn whose `#[requires]`
/// says `from = ..` are guarded in their body only: `Guarded::new` refuses
/// them with an error that says so ([`GuardedHandler`]). Route an `async
/// fn` that takes `Granted` and calls them.
///
/// A handler served without its guard fails loudly: the [`Granted`]
/// extractor answers `500` [`Unguarded`] on a request no handler's guard
/// admitted, so a forgotten or mismatched guard shows on the route's first
/// request instead of checking the scopes after the body is read. That
/// covers every route handler. A `from = ..` fn reads no `Granted`, so
/// served on a plain route it checks its scopes in its body, after the
/// extractors ran: route it through a handler that takes `Granted`.
///
/// Below `#[async_trait]` (or rmcp's `#[tool]`), an `async fn` returns a
/// boxed future: `#[requires]` guards it when it is called, before the
/// future is made, and a refusal is that future's output. (async_trait
/// moves each parameter into the future, so a body that never reads the
/// grant gets rustc's unused-variable warning there: call it `_granted`.)
/// On an MCP tool,
/// write `#[requires]` above rmcp's `#[tool]`, where it reads the tool's
/// name (the `mcp` module, with the `rmcp` feature). An actix-web route attribute
/// (`#[get("/chats")]`) below `#[requires]` is a compile error: actix-web
/// would route the fn itself, beyond the guard's reach. Above it,
/// `#[requires]` can't see it, and the route's first request fails with
/// `Unguarded`. Route the fn with `actix::Routes` instead.
///
/// # A renamed dependency
///
/// The generated code names this crate `::fanvue_scopes`. If your
/// `Cargo.toml` renames it (`fvs = { package = "fanvue-scopes", .. }`), say
/// so: `#[fvs::requires(read:chat, crate = fvs)]`. [`scope!`] and
/// [`scopes!`] need nothing: they find the crate themselves.
///
/// # The requirement as data
///
/// [`Requirement::of(&handler)`](Requirement::of) is a route handler's
/// [`Requirement`]; [`least_privilege`] over several is the set of scopes
/// the app must request in its OAuth authorize URL, and
/// [`least_privilege_for_routes`] is that set for every route the app has
/// guarded; [`guarded_routes`] lists those routes with their methods,
/// paths and handlers. With the `registry` feature, every `#[requires]` fn
/// (sync ones too) is also listed by `handlers()`, with its name, module
/// and requirement, and `least_privilege_for_handlers()` is the set for all
/// of them.
///
#[cfg_attr(not(feature = "axum"), doc = "[`axum::Routes`]: crate#feature-flags")]
#[cfg_attr(
    not(feature = "actix-web"),
    doc = "[`actix::Routes`]: crate#feature-flags"
)]
#[doc(inline)]
pub use fanvue_scopes_macros::requires;

/// One [`Scope`], checked at compile time like the names of [`requires`].
///
/// ```
/// use fanvue_scopes::{scope, Scope};
///
/// const ME: Scope = scope!(read:self);
/// assert_eq!(ME, Scope::ReadSelf);
/// ```
#[macro_export]
macro_rules! scope {
    ($($name:tt)*) => {
        $crate::__private::scope!($crate; $($name)*)
    };
}

/// A [`ScopeSet`] usable in `const`, checked at compile time like the names
/// of [`requires`]. `scopes![]` is the empty set.
///
/// ```
/// use fanvue_scopes::{scopes, Scope, ScopeSet};
///
/// const CHAT: ScopeSet = scopes![read:chat, write:chat];
/// assert!(CHAT.contains(Scope::WriteChat));
/// ```
#[macro_export]
macro_rules! scopes {
    ($($names:tt)*) => {
        $crate::__private::scopes!($crate; $($names)*)
    };
}

/// One [`Endpoint`] of the Fanvue API by its method and path template,
/// checked at compile time and usable in `const`.
///
/// ```
/// use fanvue_scopes::{endpoint, scopes, Endpoint};
///
/// const SEND: Endpoint = endpoint!(POST "/chats/{userUuid}/message");
/// assert_eq!(SEND, Endpoint::SendMessage);
/// assert_eq!(SEND.scopes(), scopes![write:chat]);
/// ```
///
/// A path that is no endpoint's template is an error that names the
/// nearest one; a template without that method lists the methods it has;
/// a concrete path names its template:
///
/// ```text
/// error: unknown endpoint `GET /chat`; did you mean `GET /chats`?
/// error: `/chats/unread` has no `POST` endpoint; it has `GET`
/// error: `/chats/123/messages` is not a template: it is a concrete path; write `GET /chats/{userUuid}/messages`
/// ```
#[macro_export]
macro_rules! endpoint {
    ($($endpoint:tt)*) => {
        $crate::__private::endpoint!($crate; $($endpoint)*)
    };
}
