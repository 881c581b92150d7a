//! The routes the app guards, recorded as its routers are built: the route
//! listing, and the source of the least-privilege authorize scope.
//!
//! `axum::Routes` and `actix::Routes` record each route with its method,
//! path and handler as it is added, before any server runs; the low-level
//! layers (`axum::RequireScopesLayer`, `actix::RequireScopes`) record their
//! bare requirement, so the scope still covers them. Recording costs nothing
//! at compile time, where a registration per handler (the `registry`
//! feature) costs the compiler a static and a constructor for every
//! `#[requires]` fn.

use crate::{Handler, Requirement, ScopeSet, least_privilege};
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// One guarded route: the method and path it answers, and the handler
/// whose requirement guards it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GuardedRoute {
    method: &'static str,
    path: Box<str>,
    handler: Handler,
}

impl GuardedRoute {
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn new(method: &'static str, path: &str, handler: Handler) -> Self {
        GuardedRoute {
            method,
            path: path.into(),
            handler,
        }
    }

    /// The HTTP method, such as `"GET"`.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// The path as the router was given it, such as `"/chats/{id}"`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The handler, with its name, module and requirement.
    pub fn handler(&self) -> &Handler {
        &self.handler
    }

    /// What a caller needs to pass the route's guard.
    pub fn requirement(&self) -> &'static Requirement {
        self.handler.requirement()
    }
}

impl fmt::Display for GuardedRoute {
    /// `GET /chats (list_chats): `read:chat``.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}): {}",
            self.method,
            self.path,
            self.handler.name(),
            self.handler.requirement()
        )
    }
}

/// Panics when `route` has the method and path of one in `listing`: one
/// handler per method and path, in both frameworks. Paths compare with
/// their parameters' names left out, as routers match them:
/// `/chats/{id}` and `/chats/{chat}` are one route.
///
/// A route table is written by the app's programmer, not read from a
/// request, and axum panics on the same mistake: the message names both
/// handlers, at start-up, before a connection is accepted.
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) fn refuse_duplicate<'a>(
    listing: impl IntoIterator<Item = &'a GuardedRoute>,
    route: &GuardedRoute,
) {
    if let Some(first) = listing
        .into_iter()
        .find(|known| known.method == route.method && same_path(&known.path, &route.path))
    {
        panic!(
            "`{} {}` is routed twice, to `{}` and to `{}`: a method and path has one handler; \
             remove one route, or give it another path",
            route.method,
            route.path,
            first.handler.name(),
            route.handler.name(),
        );
    }
}

/// Whether two route paths match the same requests: equal, segment by
/// segment, with any `{..}` parameter equal to any other.
fn same_path(a: &str, b: &str) -> bool {
    let parameter = |segment: &str| segment.starts_with('{') && segment.ends_with('}');
    let (mut a, mut b) = (a.split('/'), b.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y || (parameter(x) && parameter(y)) => {}
            _ => return false,
        }
    }
}

/// Everything recorded in this process. A router built again, or once per
/// worker thread, adds nothing: each distinct entry is kept once.
struct Recorded {
    routes: Vec<GuardedRoute>,
    layers: Vec<Requirement>,
}

static RECORDED: Mutex<Recorded> = Mutex::new(Recorded {
    routes: Vec::new(),
    layers: Vec::new(),
});

fn recorded<T>(read: impl FnOnce(&mut Recorded) -> T) -> T {
    read(&mut RECORDED.lock().unwrap_or_else(PoisonError::into_inner))
}

#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) fn record_route(route: &GuardedRoute) {
    recorded(|recorded| {
        if !recorded.routes.contains(route) {
            recorded.routes.push(route.clone());
        }
    });
}

#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) fn record_layer(requirement: Requirement) {
    recorded(|recorded| {
        if !recorded.layers.contains(&requirement) {
            recorded.layers.push(requirement);
        }
    });
}

/// Every route added to an `axum::Routes` or `actix::Routes` so far in
/// this process, in the order added: method, path and handler.
///
/// Compare it with what the app's Fanvue registration allows, or print it
/// at start-up; tests can assert that every route they expect is there.
pub fn guarded_routes() -> Vec<GuardedRoute> {
    recorded(|recorded| recorded.routes.clone())
}

/// The least-privilege scope set for every route guarded so far, by
/// `Routes` and by the low-level layers: what the app should request in its
/// OAuth authorize URL, once its routers are built. See [`least_privilege`]
/// and [`oauth::authorize_scope_for_routes`](crate::oauth::authorize_scope_for_routes).
pub fn least_privilege_for_routes() -> ScopeSet {
    recorded(|recorded| {
        least_privilege(
            recorded
                .routes
                .iter()
                .map(|route| -> &Requirement { route.requirement() })
                .chain(&recorded.layers),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::same_path;

    #[test]
    fn paths_are_one_route_when_only_parameter_names_differ() {
        assert!(same_path("/chats/{id}", "/chats/{chat}"));
        assert!(same_path("/dup", "/dup"));
        assert!(!same_path("/chats/{id}", "/chats/unread"));
        assert!(!same_path("/chats", "/chats/"));
        assert!(!same_path("/chats/{id}", "/chats/{id}/messages"));
    }
}
