//! The contract between the code the macros generate and this crate, in
//! one place; not part of the API.
//!
//! **Generated into this crate** (by the hidden generators, each called
//! once, naming this crate's items as `crate::`), and relied on by it:
//!
//! | item | written by | relied on by |
//! |---|---|---|
//! | `Scope`, `Resource`: `#[repr(u8)]` variants numbered from 0 in file order, `ALL`, `COUNT`, `as_str`, `description`, `resource`, `endpoints` | `__generate_catalog!` in `scope.rs` | the whole crate; `ScopeSet` bit `i` is `Scope::ALL[i]` |
//! | `Scope::bit(self) -> u64` and `ProtocolScope::bit`, `pub(crate)` | `__generate_catalog!`, `__generate_oauth!` | `set.rs` |
//! | `Scope::from_name(&str) -> Option<Scope>` and `ProtocolScope::from_name`, `pub(crate)` | the same | `scope.rs` (`FromStr`), `set.rs` (lenient parsing) |
//! | `ProtocolScope`, `oauth::{AUTHORIZE_URL, TOKEN_URL, API_BASE_URL}` | `__generate_oauth!` in `oauth.rs` | `oauth.rs`, `client.rs` (`API_BASE_URL` parses as a URL: the file's check) |
//! | `Endpoint` with `ALL`, `method`, `path`, `router_path`, `scopes`, `operation`, `summary`, `reference`; `API_VERSION` | `__generate_endpoints!` in `endpoint.rs` | `endpoint.rs`, `client.rs`, `testing.rs` |
//! | `ROUTE_NODES: [RouteNode; N]` (the root first) and `MAX_SEGMENTS`, `pub(crate)` | `__generate_endpoints!` | `Endpoint::find` |
//! | `Endpoint::segments(self) -> &'static [Option<&'static str>]` (a static segment, or `None` for a parameter), `pub(crate)` | `__generate_endpoints!` | `Endpoint::path_with`: template syntax is parsed in the macros only |
//!
//! **Called by generated code in users' crates** (through the one path the
//! macros resolve: `$crate` in the shims, `crate = ..` on the attribute):
//!
//! | item | emitted by |
//! |---|---|
//! | `Scope::<Variant>`, `Endpoint::<Variant>` | `scope!`, `endpoint!` |
//! | `ScopeSet::from_bits_truncate(u64)`, a `const fn` | every scope set: `scopes!`, `#[requires]` |
//! | `Requirement::new(ScopeSet, &'static [ScopeSet])`, a `const fn` | `#[requires]` |
//! | `HasScopes::granted_scopes(&T) -> ScopeSet`, `Requirement::check` | `#[requires]`'s guard |
//! | [`register_handler!`](crate::__register_handler)`(name, requirement, &[Endpoint, ..], __tool("name"), __guarded_when_called())` (the last two when they apply), `Handler::__new`, `__calling`, `__tool` and `__guarded_when_called` | `#[requires]`, for the `registry` feature |
//! | `<R as CarriesRefusal>::__refusal(InsufficientScope)`, the guard's refusal as the declared return type `R` (one without `impl Trait`) | `#[requires]` on a route handler |
//! | [`Scoped::new`] around the body's `async move` block, returned as `impl Future<Output = _> + RequiresScopes` | `#[requires]` on an `async fn` that takes `Granted`: a route handler |
//! | [`Companion<ALL, ANY1, ..>`](Companion)`::REQUIREMENT`, a `&'static Requirement` | `#[requires]`'s guard, and the type parameter of `Scoped` |
//! | the proc macros re-exported below | the `macro_rules!` shims in `lib.rs` |
//!
//! The tests at the end of this file name each item with the type the
//! generated code gives it, so a change on either side that breaks the
//! contract fails them (and the macros crate's unit tests pin what it
//! emits).

pub use fanvue_scopes_macros::{endpoint, scope, scopes};

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

#[cfg(feature = "registry")]
pub use inventory;

pub use crate::__register_handler as register_handler;

/// Registers a `#[requires]` fn, when the `registry` feature is on.
#[cfg(feature = "registry")]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_handler {
    ($name:expr, $requirement:expr, $calls:expr $(, $also:ident($($arg:expr)?))*) => {
        $crate::__private::inventory::submit!(
            $crate::Handler::__new($name, ::core::module_path!(), $requirement)
                .__calling($calls)
                $(.$also($($arg)?))*
        );
    };
}

#[cfg(not(feature = "registry"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __register_handler {
    ($name:expr, $requirement:expr, $calls:expr $(, $also:ident($($arg:expr)?))*) => {};
}

/// The type a `#[requires]` route handler's future carries its
/// requirement in: `Companion<ALL, ANY1, ..>`, the requirement's masks as
/// const parameters, read by one generic impl, where an impl per handler
/// would cost the compiler a tenth of a millisecond each. The body's guard
/// reads the same const.
pub struct Companion<
    const ALL: u64,
    const ANY1: u64 = 0,
    const ANY2: u64 = 0,
    const ANY3: u64 = 0,
    const ANY4: u64 = 0,
>;

/// What [`Scoped`] reads its requirement from: a [`Companion`].
pub trait CarriesRequirement {
    /// The requirement.
    const REQUIREMENT: &'static crate::Requirement;
}

impl<const ALL: u64, const ANY1: u64, const ANY2: u64, const ANY3: u64, const ANY4: u64>
    CarriesRequirement for Companion<ALL, ANY1, ANY2, ANY3, ANY4>
{
    const REQUIREMENT: &'static crate::Requirement = Self::REQUIREMENT;
}

pin_project_lite::pin_project! {
    /// The future a `#[requires]` route handler returns: its body's future,
    /// with the [`Companion`] that carries its requirement in its type.
    pub struct Scoped<C, F> {
        #[pin]
        future: F,
        companion: PhantomData<fn() -> C>,
    }
}

impl<C, F> Scoped<C, F> {
    /// Wraps the handler body's future.
    #[inline]
    pub const fn new(future: F) -> Self {
        Scoped {
            future,
            companion: PhantomData,
        }
    }
}

impl<C, F: Future> Future for Scoped<C, F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(context)
    }
}

impl<C: CarriesRequirement, F: Future> crate::RequiresScopes for Scoped<C, F> {
    const REQUIREMENT: &'static crate::Requirement = C::REQUIREMENT;
}

/// Names the lifetimes a handler's future borrows for, so that its
/// `impl Future` return type captures them in every edition (2024 captures
/// them anyway).
pub trait Captures<T: ?Sized> {}

impl<T: ?Sized, U: ?Sized> Captures<U> for T {}

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

/// One node of the route tree that `__generate_endpoints!` writes: a path's
/// segments lead from the root to the node of its template.
pub(crate) struct RouteNode {
    /// Static segments and the node each leads to.
    pub(crate) statics: &'static [(&'static str, usize)],
    /// The node a parameter segment leads to, if any.
    pub(crate) param: Option<usize>,
    /// The endpoints of the template that ends here, one per method.
    pub(crate) endpoints: &'static [crate::Endpoint],
}

#[cfg(test)]
mod contract {
    //! Each item of the contract, named with the type generated code
    //! gives it.

    use crate::oauth::ProtocolScope;
    use crate::{Endpoint, Guarded, HasScopes, Requirement, Resource, Scope, ScopeSet};

    #[test]
    fn generated_into_this_crate() {
        let _: [Scope; Scope::COUNT] = Scope::ALL;
        let _: fn(Scope) -> u64 = Scope::bit;
        let _: fn(&str) -> Option<Scope> = Scope::from_name;
        let _: fn(ProtocolScope) -> u64 = ProtocolScope::bit;
        let _: fn(&str) -> Option<ProtocolScope> = ProtocolScope::from_name;
        let _: fn(Scope) -> Resource = Scope::resource;
        let _: fn(Scope) -> &'static [Endpoint] = Scope::endpoints;
        let _: fn(Endpoint) -> &'static str = Endpoint::router_path;
        let _: fn(Endpoint) -> &'static [Option<&'static str>] = Endpoint::segments;
        assert_eq!(
            Endpoint::ListMessages.segments(),
            [Some("chats"), None, Some("messages")]
        );
        let _: &[super::RouteNode] = &crate::endpoint::ROUTE_NODES;
        let _: usize = crate::endpoint::MAX_SEGMENTS;
        // Discriminants are bits: variant `i` is bit `i`.
        for (index, scope) in Scope::ALL.into_iter().enumerate() {
            assert_eq!(scope as u8 as usize, index);
            assert_eq!(scope.bit(), 1 << index);
        }
        // The root leads somewhere, and every child index is a node.
        let nodes = &crate::endpoint::ROUTE_NODES;
        for node in nodes {
            for &(_, child) in node.statics {
                assert!(child < nodes.len());
            }
            assert!(node.param.is_none_or(|child| child < nodes.len()));
        }
    }

    #[test]
    fn called_by_generated_code() {
        const ALL: ScopeSet = ScopeSet::from_bits_truncate(0b11);
        const REQUIREMENT: Requirement =
            Requirement::new(ALL, &[ScopeSet::from_bits_truncate(0b100)]);
        let _: fn(&ScopeSet) -> ScopeSet = <ScopeSet as HasScopes>::granted_scopes;
        let _: &'static Requirement = super::Companion::<0b11, 0b100>::REQUIREMENT;
        assert_eq!(*super::Companion::<0b11, 0b100>::REQUIREMENT, REQUIREMENT);
        assert_eq!(
            super::Companion::<0b11>::REQUIREMENT.any(),
            &[] as &[ScopeSet]
        );
        // A handler's future: `Scoped` around its body, returned as
        // `impl Future + RequiresScopes`.
        fn handler(
            granted: crate::Granted,
        ) -> impl Future<Output = Result<u8, crate::InsufficientScope>> + crate::RequiresScopes
        {
            super::Scoped::<super::Companion<0b11, 0b100>, _>::new(async move {
                let _ = granted;
                Ok(1)
            })
        }
        let guarded = Guarded::new(handler);
        assert_eq!(*guarded.handler().requirement(), REQUIREMENT);
        assert_eq!(*Requirement::of(&handler), REQUIREMENT);
        let registered = crate::Handler::__new("name", "module", &REQUIREMENT)
            .__calling(&[Endpoint::ListChats])
            .__tool("list-chats")
            .__guarded_when_called();
        assert_eq!(registered.tool(), Some("list-chats"));
        assert_eq!(registered.calls(), [Endpoint::ListChats]);
    }
}
