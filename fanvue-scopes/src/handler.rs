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
pub struct Guarded<F, R = ApiRefusal> {
    handler: F,
    info: Handler,
    on_refusal: R,
}

impl<F> Guarded<F> {
    #[doc(hidden)]
    pub fn __new(handler: F, requirement: &'static Requirement) -> Self {
        // The fn item's type name is its path, `app::routes::list_chats`:
        // it names the fn however the router's code reached it.
        let (module_path, name) = split_path(std::any::type_name::<F>());
        Guarded {
            handler,
            info: Handler::__new(name, module_path, requirement),
            on_refusal: ApiRefusal,
        }
    }
}

impl<F, R> Guarded<F, R> {
    /// The handler's name, module and requirement.
    pub const fn handler(&self) -> &Handler {
        &self.info
    }

    /// Answers a caller whose token falls short with `respond` instead of
    /// the API's `403`: a page a person opens redirects to the step-up
    /// consent ([`step_up`](crate::step_up)), or an API adds
    /// [`ResourceMetadata`]. With axum, `respond` is a
    /// `Fn(&Request, InsufficientScope) -> Response`; with actix-web, a
    /// `Fn(&HttpRequest, InsufficientScope) -> HttpResponse`.
    pub fn on_refusal<R2>(self, respond: R2) -> Guarded<F, R2> {
        Guarded {
            handler: self.handler,
            info: self.info,
            on_refusal: respond,
        }
    }

    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn into_parts(self) -> (F, Handler, R) {
        (self.handler, self.info, self.on_refusal)
    }
}

/// The refusal every API route gives by default: `403` with the RFC 6750
/// `insufficient_scope` challenge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApiRefusal;

/// The API's `403`, its challenge carrying `resource_metadata` (RFC 9728):
/// for apps that accept Fanvue tokens as bearer credentials, so a client
/// finds where to step up. Serve the metadata itself with
/// [`oauth::protected_resource_metadata`](crate::oauth::protected_resource_metadata).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceMetadata {
    url: std::sync::Arc<str>,
}

impl ResourceMetadata {
    /// The URL of the app's `/.well-known/oauth-protected-resource`.
    pub fn new(url: &str) -> Self {
        ResourceMetadata { url: url.into() }
    }

    /// That URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `a::b<c::d>::f` as `("a::b<c::d>", "f")`: split at the last `::` outside
/// generic arguments.
fn split_path(path: &'static str) -> (&'static str, &'static str) {
    let mut depth = 0usize;
    let mut split = None;
    for (index, byte) in path.bytes().enumerate() {
        match byte {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && path.as_bytes().get(index + 1) == Some(&b':') => {
                split = Some(index);
            }
            _ => {}
        }
    }
    match split {
        Some(index) => (&path[..index], &path[index + 2..]),
        None => ("", path),
    }
}

/// Put into a request's extensions by a handler's own route guard once it
/// admitted the request: the mark the `Granted` extractor looks for, so a
/// `#[requires]` handler served without its guard fails loudly. Private, so
/// nothing else can put it there.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) struct Admitted;

#[cfg(test)]
mod tests {
    use super::split_path;

    #[test]
    fn a_fn_path_splits_at_its_last_segment() {
        assert_eq!(split_path("app::routes::list"), ("app::routes", "list"));
        assert_eq!(
            split_path("app::Api<app::Db>::list"),
            ("app::Api<app::Db>", "list")
        );
        assert_eq!(
            split_path("app::generic<alloc::string::String>"),
            ("app", "generic<alloc::string::String>")
        );
        assert_eq!(split_path("list"), ("", "list"));
    }
}
