//! The requirements of the routes the app guards, recorded as their guards
//! are built: the default source of the least-privilege scope string.
//!
//! A route guard (`axum::RequireScopesLayer`, `actix::RequireScopes`) is
//! built once per route when the app assembles its router, from the
//! handler's own requirement (`requirement_of!(handler)`). Recording it
//! there costs nothing at compile time, where a registration per handler
//! (the `registry` feature) costs the compiler a static and a constructor
//! for every `#[requires]` fn.

use crate::{Requirement, ScopeSet, least_privilege};
use std::sync::{Mutex, PoisonError};

/// Each distinct requirement once: a router built again, or once per
/// worker thread (actix-web), adds nothing.
static GUARDED: Mutex<Vec<Requirement>> = Mutex::new(Vec::new());

/// Records a route guard's requirement.
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) fn record(requirement: Requirement) {
    let mut guarded = GUARDED.lock().unwrap_or_else(PoisonError::into_inner);
    if !guarded.contains(&requirement) {
        guarded.push(requirement);
    }
}

/// The requirement of every route guard built so far in this process,
/// each distinct one once, in the order first built.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use fanvue_scopes::axum::RequireScopesLayer;
/// use fanvue_scopes::{guarded_routes, required_by_guarded_routes, scopes};
///
/// let _layer = RequireScopesLayer::new(scopes![read:chat, write:chat]);
/// assert!(guarded_routes().iter().any(|r| r.all() == scopes![read:chat, write:chat]));
/// assert!(required_by_guarded_routes().contains_all(scopes![read:chat, write:chat]));
/// # }
/// ```
pub fn guarded_routes() -> Vec<Requirement> {
    GUARDED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// The least-privilege scope set for every route guard built so far: what
/// the app should request in its OAuth authorize URL, once its router is
/// built. See [`least_privilege`] and [`oauth::authorize_scope_for_routes`](crate::oauth::authorize_scope_for_routes).
pub fn required_by_guarded_routes() -> ScopeSet {
    least_privilege(&guarded_routes())
}
