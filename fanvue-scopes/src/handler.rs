//! A `#[requires]` handler as data: its name, module and requirement
//! ([`Handler`]), and the handler fn paired with them for a router to
//! guard ([`Guarded`]).
//!
//! This is how a route is guarded from its handler named once: the future
//! a `#[requires]` handler returns carries its requirement in its type
//! ([`RequiresScopes`]), and [`Guarded::new`] reads it from the fn it is
//! given ([`GuardedHandler`]). No second name is looked up, so a route
//! can't be guarded with another fn's scopes, whatever `use`, glob or
//! shadowing brought the name into scope; and the route listing and the
//! authorize scope come from the same place.

use crate::Requirement;

/// The future of a `#[requires]` route handler: it carries the handler's
/// requirement in its type, where [`Guarded::new`] and
/// [`Requirement::of`] read it.
///
/// `#[requires]` makes an `async fn` that takes [`Granted`](crate::Granted)
/// return `impl Future<Output = ..> + RequiresScopes`; nothing else
/// implements it.
#[diagnostic::on_unimplemented(
    message = "this fn's future carries no scope requirement: it has no `#[requires]`",
    label = "no `#[requires]` on this fn",
    note = "a trait method with `#[requires]` keeps its requirement in every impl: write the \
            same `#[requires(..)]` on the method that overrides it, or leave the trait's default"
)]
pub trait RequiresScopes: private::Sealed {
    /// The handler's requirement.
    const REQUIREMENT: &'static Requirement;
}

/// A return type that can carry a guard's refusal: `Result<T, E>` where
/// `E: From<InsufficientScope>`. A `#[requires]` route handler returns one,
/// and its guard returns `Err(InsufficientScope)` through it before the
/// body runs; the compiler's error for any other type says so.
#[diagnostic::on_unimplemented(
    message = "`#[requires]` returns `Err(InsufficientScope)` when a scope is missing, so the fn \
               must return `Result<T, E>` where `E: From<InsufficientScope>`, not `{Self}`",
    label = "not a `Result<T, E>` that can carry the refusal"
)]
pub trait CarriesRefusal: private::Sealed {
    #[doc(hidden)]
    fn __refusal(refused: crate::InsufficientScope) -> Self;
}

impl<T, E: From<crate::InsufficientScope>> CarriesRefusal for Result<T, E> {
    #[inline]
    fn __refusal(refused: crate::InsufficientScope) -> Self {
        Err(E::from(refused))
    }
}

mod private {
    pub trait Sealed {}
    impl<C, F> Sealed for crate::__private::Scoped<C, F> {}
    impl<T, E> Sealed for Result<T, E> {}
}

/// A fn that can be a guarded route: an `async fn` that `#[requires]`
/// guards, that takes [`Granted`](crate::Granted) and no `self`, and whose
/// future therefore carries its requirement ([`RequiresScopes`]). `Args` is the
/// tuple of its parameter types, as axum's `Handler` has it.
///
/// Implemented for every such fn; the compiler's error for any other fn
/// says what a route handler is.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[requires]` route handler",
    label = "not an `async fn` guarded by `#[requires]` that takes `Granted`",
    note = "a route handler is an `async fn` with `#[requires(..)]` that takes `granted: Granted` \
            and no `self`: its future carries the requirement the route guard reads",
    note = "a sync fn, or one that reads its grant with `from = ..`, is guarded in its body only, \
            after the request is read: route an `async fn` that takes `Granted` and calls it",
    note = "the requirement is read from the fn given, never from its name: a fn without \
            `#[requires]` named like one with it (a local fn shadowing a glob import) is not one",
    note = "above `#[requires]`, an actix-web route attribute such as `#[get(..)]` turns the fn into \
            a service: remove it, and route the fn with `actix::Routes`"
)]
pub trait GuardedHandler<Args>: Sized {
    /// The handler's requirement.
    const REQUIREMENT: &'static Requirement;
}

macro_rules! guarded_handler {
    ($($arg:ident),*) => {
        impl<F, Fut, $($arg,)*> GuardedHandler<($($arg,)*)> for F
        where
            F: FnOnce($($arg),*) -> Fut,
            Fut: RequiresScopes,
        {
            const REQUIREMENT: &'static Requirement = Fut::REQUIREMENT;
        }
    };
}

// As many parameters as axum's and actix-web's handlers take.
guarded_handler!();
guarded_handler!(A1);
guarded_handler!(A1, A2);
guarded_handler!(A1, A2, A3);
guarded_handler!(A1, A2, A3, A4);
guarded_handler!(A1, A2, A3, A4, A5);
guarded_handler!(A1, A2, A3, A4, A5, A6);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13);
guarded_handler!(A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14);
guarded_handler!(
    A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15
);
guarded_handler!(
    A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16
);

impl Requirement {
    /// The requirement `#[requires(..)]` put on a route handler, read from
    /// the handler itself, in `const`: for [`least_privilege`](crate::least_privilege)
    /// over a list of handlers, or a low-level guard.
    ///
    /// ```
    /// use fanvue_scopes::{requires, scopes, Granted, InsufficientScope, Requirement};
    ///
    /// #[requires(write:chat)]
    /// async fn send_message(granted: Granted, text: String) -> Result<String, InsufficientScope> {
    ///     Ok(text)
    /// }
    ///
    /// const SEND_MESSAGE: &Requirement = Requirement::of(&send_message);
    /// assert_eq!(SEND_MESSAGE.all(), scopes![write:chat]);
    /// ```
    ///
    /// It takes what [`Guarded::new`] takes: an `async fn` that takes
    /// [`Granted`](crate::Granted) ([`GuardedHandler`]). A sync fn, or one
    /// whose `#[requires]` says `from = ..`, is not one, and does not
    /// compile here.
    pub const fn of<F: GuardedHandler<Args>, Args>(_handler: &F) -> &'static Requirement {
        F::REQUIREMENT
    }
}

/// A fn annotated with `#[requires(..)]`: its name, its module and what it
/// requires.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Handler {
    name: &'static str,
    module_path: &'static str,
    requirement: &'static Requirement,
    calls: &'static [crate::Endpoint],
    tool: Option<&'static str>,
    guarded_when_called: bool,
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
            calls: &[],
            tool: None,
            guarded_when_called: false,
        }
    }

    #[doc(hidden)]
    pub const fn __calling(self, calls: &'static [crate::Endpoint]) -> Handler {
        Handler { calls, ..self }
    }

    #[doc(hidden)]
    pub const fn __tool(self, name: &'static str) -> Handler {
        Handler {
            tool: Some(name),
            ..self
        }
    }

    /// A method whose boxed future is made after its guard ran
    /// (`#[async_trait]`, or below rmcp's `#[tool]`).
    #[doc(hidden)]
    pub const fn __guarded_when_called(self) -> Handler {
        Handler {
            guarded_when_called: true,
            ..self
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

    /// The MCP tool the fn is, by the name rmcp gives it: read from
    /// rmcp's `#[tool]` written below `#[requires]` (`name = ".."`, or the
    /// fn's name). `None` for a fn that is no tool, or whose `#[tool]` is
    /// written above, out of `#[requires]`'s sight.
    pub const fn tool(&self) -> Option<&'static str> {
        self.tool
    }

    #[cfg(feature = "rmcp")]
    pub(crate) const fn guarded_when_called(&self) -> bool {
        self.guarded_when_called
    }

    /// The Fanvue endpoints its `#[requires(calls(..))]` names, as listed
    /// by the `registry` feature; empty for a [`Guarded`] handler, whose
    /// requirement is read from its type.
    pub const fn calls(&self) -> &'static [crate::Endpoint] {
        self.calls
    }
}

/// A `#[requires]` handler fn with its [`Handler`], made by
/// [`Guarded::new`], for a router that guards each route with its own
/// handler's requirement: `axum::Routes` and `actix::Routes` (behind
/// features).
#[derive(Clone, Copy, Debug)]
pub struct Guarded<F, R = ApiRefusal> {
    handler: F,
    info: Handler,
    on_refusal: R,
}

impl<F> Guarded<F> {
    /// The handler, to be routed behind a guard of its own requirement,
    /// which it carries in its type.
    ///
    /// Takes the handler however the code reaches it: by its name where
    /// it is defined, a name brought in by `use` (or `use .. as`), a module
    /// path (`routes::send_message`), or an associated fn (`Chats::list`,
    /// `Chats::<Db>::list`, `Self::list`, a trait impl's fn).
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use fanvue_scopes::axum::Routes;
    /// use fanvue_scopes::{requires, Granted, Guarded, InsufficientScope};
    ///
    /// mod handlers {
    ///     use fanvue_scopes::{requires, Granted, InsufficientScope};
    ///
    ///     #[requires(read:chat)]
    ///     pub async fn list(granted: Granted) -> Result<&'static str, InsufficientScope> {
    ///         Ok("chats")
    ///     }
    /// }
    ///
    /// pub struct Chats;
    /// impl Chats {
    ///     #[requires(write:chat)]
    ///     pub async fn create(granted: Granted) -> Result<&'static str, InsufficientScope> {
    ///         Ok("created")
    ///     }
    /// }
    ///
    /// use handlers::list as list_chats;
    /// let routes = Routes::<()>::new()
    ///     .get("/chats", Guarded::new(list_chats))
    ///     .post("/chats", Guarded::new(Chats::create));
    /// assert_eq!(routes.listing()[0].handler().name(), "list");
    /// # }
    /// ```
    ///
    /// Any other fn does not compile, with an error that says what a route
    /// handler is ([`GuardedHandler`]).
    pub fn new<Args>(handler: F) -> Self
    where
        F: GuardedHandler<Args>,
    {
        // The fn item's type name is its path, `app::routes::list_chats`:
        // it names the fn however the router's code reached it.
        let (module_path, name) = split_path(std::any::type_name::<F>());
        Guarded {
            handler,
            info: Handler::__new(name, module_path, F::REQUIREMENT),
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
