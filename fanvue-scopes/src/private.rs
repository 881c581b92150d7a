//! What only the macros' expansions may call; not part of the API.

pub use fanvue_scopes_macros::{endpoint, guarded, requirement_of, scope, scopes};

/// What `#[requires]` implements for the struct named like a free `async
/// fn` handler: the handler's route companion, found by `guarded!` and
/// `requirement_of!` through the handler's path.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `#[requires]` handler",
    note = "`guarded!` and `requirement_of!` take an `async fn` with `#[requires(..)]` and a `Granted` parameter"
)]
pub trait RouteHandler {
    const HANDLER: &'static crate::Handler;
}

#[cfg(feature = "registry")]
pub use inventory;

pub use crate::__register_handler as register_handler;

/// Registers a `#[requires]` fn, when the `registry` feature is on.
#[cfg(feature = "registry")]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_handler {
    ($name:expr, $requirement:expr) => {
        $crate::__private::inventory::submit!($crate::Handler::__new(
            $name,
            ::core::module_path!(),
            $requirement
        ));
    };
}

#[cfg(not(feature = "registry"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_handler {
    ($name:expr, $requirement:expr) => {};
}

/// The route companion `#[requires]` writes next to a free `async fn`
/// handler: a struct of the fn's own name, in the type namespace, so any
/// `use` of the fn imports it too. Named for the fix, since rustc names it
/// when the fn stands in an `impl`, where a struct can't.
#[doc(hidden)]
#[macro_export]
macro_rules! __in_an_impl_write_requires_with_in_impl {
    ($vis:vis $handler:ident [$($krate:tt)*] $info:expr) => {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        $vis struct $handler {}

        impl $($krate)*::__private::RouteHandler for $handler {
            const HANDLER: &'static $($krate)*::Handler = $info;
        }
    };
}
pub use crate::__in_an_impl_write_requires_with_in_impl as in_an_impl_write_requires_with_in_impl;

/// The route companion `#[requires(.., in_impl)]` writes next to an
/// associated `async fn` handler: an associated const, which
/// `guarded!(Type::handler)` reaches through the type. Named for the fix,
/// since rustc names it when the fn stands in a trait impl, where the
/// trait would have to declare it.
#[doc(hidden)]
#[macro_export]
macro_rules! __a_trait_fn_cannot_be_a_guarded_handler_route_a_free_fn_that_calls_it {
    ($vis:vis $companion:ident [$($krate:tt)*] $info:expr) => {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        $vis const $companion: &'static $($krate)*::Handler = $info;
    };
}
pub use crate::__a_trait_fn_cannot_be_a_guarded_handler_route_a_free_fn_that_calls_it as a_trait_fn_cannot_be_a_guarded_handler_route_a_free_fn_that_calls_it;
