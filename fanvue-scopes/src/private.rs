//! What only the macros' expansions may call; not part of the API.

pub use fanvue_scopes_macros::{endpoint, guarded, requirement_of, scope, scopes};

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
        $vis const $companion: &'static $($krate)*::Requirement = $info;
    };
}
pub use crate::__a_trait_fn_cannot_be_a_guarded_handler_route_a_free_fn_that_calls_it as a_trait_fn_cannot_be_a_guarded_handler_route_a_free_fn_that_calls_it;

/// A free `async fn` handler's route companion: `#[requires]` writes
/// `type list_chats = Companion<ALL, ANY1, ..>;` beside `fn list_chats`,
/// carrying the requirement in the type's parameters. A type alias lives in
/// the type namespace, where the fn does not, so any `use` of the fn
/// imports it too; and the requirement is read by this one impl, where an
/// impl per handler would cost the compiler a tenth of a millisecond each.
pub struct Companion<
    const ALL: u64,
    const ANY1: u64 = 0,
    const ANY2: u64 = 0,
    const ANY3: u64 = 0,
    const ANY4: u64 = 0,
>;

/// Writes a free handler's [`Companion`] alias, in the handler's own name:
/// the alias lives in the type namespace, where the fn does not, so `use`
/// and paths find it as they find the fn. Named for the fix, since rustc
/// names it when the fn stands in an `impl`, where an alias can't.
#[doc(hidden)]
#[macro_export]
macro_rules! __in_an_impl_write_requires_with_in_impl {
    ($vis:vis $handler:ident = $companion:ty) => {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        $vis type $handler = $companion;
    };
}
pub use crate::__in_an_impl_write_requires_with_in_impl as in_an_impl_write_requires_with_in_impl;

/// How many `any(..)` groups a companion carries.
pub const MAX_ANY_GROUPS: usize = 4;

impl<const ALL: u64, const ANY1: u64, const ANY2: u64, const ANY3: u64, const ANY4: u64>
    Companion<ALL, ANY1, ANY2, ANY3, ANY4>
{
    const GROUPS: [crate::ScopeSet; MAX_ANY_GROUPS] = [
        crate::ScopeSet::from_bits_truncate(ANY1),
        crate::ScopeSet::from_bits_truncate(ANY2),
        crate::ScopeSet::from_bits_truncate(ANY3),
        crate::ScopeSet::from_bits_truncate(ANY4),
    ];
    /// The groups given: an empty group ends them (none is ever empty).
    const COUNT: usize = {
        let mut count = 0;
        while count < MAX_ANY_GROUPS && !Self::GROUPS[count].is_empty() {
            count += 1;
        }
        count
    };

    /// The handler's requirement.
    pub const REQUIREMENT: &'static crate::Requirement = &crate::Requirement::new(
        crate::ScopeSet::from_bits_truncate(ALL),
        Self::GROUPS.split_at(Self::COUNT).0,
    );
}
