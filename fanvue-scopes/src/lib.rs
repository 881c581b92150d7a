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
//! - [`scope!`] and [`scopes!`]: the same checked names as values.
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
//! # Feature flags
//!
//! | feature | default | what it enables |
//! |---|---|---|
//! | `serde` | yes | `Serialize`/`Deserialize` for [`Scope`] (its string) and [`ScopeSet`] (the space-delimited list) |
//! | `registry` | yes | [`handlers()`] and [`required_by_all_handlers()`]: every `#[requires]` fn in the program, for listings and the least-privilege scope string |
//! | `axum` | no | axum 0.8: [`Granted`] as an extractor, responses for the errors, a `route_layer` guard |
//! | `actix-web` | no | actix-web 4: [`Granted`] as an extractor, `ResponseError` for the errors, a guard middleware |
//!
//! # The scopes
//!
#![doc = fanvue_scopes_macros::__scope_table!()]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
#[cfg(feature = "registry")]
mod registry;
mod requirement;
mod scope;
mod set;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{InsufficientScope, ParseScopeSetError, Unauthenticated, UnknownScope};
#[cfg(feature = "registry")]
pub use registry::{Handler, handlers, required_by_all_handlers};
pub use requirement::{Granted, HasScopes, Requirement, least_privilege};
pub use scope::{Resource, Scope};
pub use set::{Iter, LenientScopes, ScopeSet};

pub use fanvue_scopes_macros::{requires, scope, scopes};
