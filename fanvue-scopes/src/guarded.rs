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

/// Renamed [`least_privilege_for_routes`]: one name for the least-privilege idea.
#[deprecated(since = "0.1.0", note = "renamed `least_privilege_for_routes`")]
pub fn required_by_guarded_routes() -> ScopeSet {
    least_privilege_for_routes()
}
