//! A `#[requires]` handler as data: its name, module and requirement
//! ([`Handler`]), and the handler fn paired with them for a router to
//! guard ([`Guarded`], made by [`guarded!`](crate::guarded)).
//!
//! This is how a route is guarded from its handler named once: the router
//! reads the requirement from what the attribute generated next to the
//! handler, so a route can't be guarded with another handler's scopes, and
//! the route listing and the authorize scope come from the same place.

use crate::Requirement;

/// A fn annotated with `#[requires(..)]`: its name, its module and what it
/// requires.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Handler {
    name: &'static str,
    module_path: &'static str,
    requirement: &'static Requirement,
}

impl Handler {
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        module_path: &'static str,
        requirement: &'static Requirement,
    ) -> Handler {
        Handler {
            name,
            module_path,
            requirement,
        }
    }

    /// The fn's name, e.g. `"list_chats"`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The module the fn is defined in, e.g. `"my_app::routes"`.
    pub const fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// What the fn requires.
    pub const fn requirement(&self) -> &'static Requirement {
        self.requirement
    }
}

/// A `#[requires]` handler fn with its [`Handler`], made by
/// [`guarded!(handler)`](crate::guarded), for a router that guards each
/// route with its own handler's requirement: `axum::Routes` and
/// `actix::Routes` (behind features).
#[derive(Clone, Copy, Debug)]
pub struct Guarded<F> {
    handler: F,
    info: &'static Handler,
}

impl<F> Guarded<F> {
    #[doc(hidden)]
    pub const fn __new(handler: F, info: &'static Handler) -> Self {
        Guarded { handler, info }
    }

    /// The handler's name, module and requirement.
    pub const fn handler(&self) -> &'static Handler {
        self.info
    }

    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn into_parts(self) -> (F, &'static Handler) {
        (self.handler, self.info)
    }
}

/// Put into a request's extensions by a handler's own route guard once it
/// admitted the request: the mark the `Granted` extractor looks for, so a
/// `#[requires]` handler served without its guard fails loudly. Private, so
/// nothing else can put it there.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) struct Admitted;
