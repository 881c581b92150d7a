//! Every fn shape `#[requires]` supports, under the strictest lints.
#![deny(warnings)]

use fanvue_scopes::{
    Requirement, requires, scopes, Granted, HasScopes, InsufficientScope, ScopeSet,
};
use std::fmt::Display;

/// A free fn, with docs that must survive.
#[requires(read:self)]
#[inline]
pub fn free(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(1)
}

#[requires(read:chat, write:chat)]
pub(crate) async fn asynchronous(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(2)
}

pub struct Service {
    granted: ScopeSet,
}

impl Service {
    #[requires(read:fan, from = self.granted)]
    pub fn by_ref(&self) -> Result<u8, InsufficientScope> {
        Ok(3)
    }

    #[requires(read:fan, from = self.granted)]
    pub fn by_value(self) -> Result<u8, InsufficientScope> {
        Ok(4)
    }

    #[requires(read:creator, any(read:fan, read:media), from = granted)]
    pub fn associated(granted: &ScopeSet) -> Result<u8, InsufficientScope> {
        Ok(5)
    }
}

#[requires(read:post, from = from_token)]
pub fn generic<T: Display, S: HasScopes>(from_token: S, value: T) -> Result<String, InsufficientScope>
where
    S: Clone,
{
    let _ = from_token.clone();
    Ok(value.to_string())
}

#[requires(read:insights)]
pub fn impl_trait(granted: Granted, items: impl IntoIterator<Item = u8>) -> Result<u32, InsufficientScope> {
    Ok(items.into_iter().map(u32::from).sum())
}

pub mod api {
    /// An app's own error and result alias.
    #[derive(Debug)]
    pub struct Forbidden;

    impl From<fanvue_scopes::InsufficientScope> for Forbidden {
        fn from(_: fanvue_scopes::InsufficientScope) -> Self {
            Forbidden
        }
    }

    pub type ApiResult<T> = Result<T, Forbidden>;
}

#[requires("read:tracking_links", "write:tracking_links",)]
pub fn string_literals(mut granted: fanvue_scopes::Granted) -> api::ApiResult<()> {
    granted.0 = ScopeSet::EMPTY;
    let _ = granted;
    Ok(())
}

/// A result alias: the type checker, not the macro, decides it is a `Result`.
pub type Answer = Result<u8, InsufficientScope>;

#[requires(read:self)]
pub fn aliased(granted: Granted) -> Answer {
    Ok(6)
}

#[requires(read:self)]
pub fn inner_attributes(granted: Granted) -> Result<u8, InsufficientScope> {
    #![allow(unused_variables)]
    let unused = 1;
    Ok(7)
}

// Names the guard uses for itself, used by the user: no clash, no shadowing.
#[allow(non_upper_case_globals, dead_code)]
const insufficient: u8 = 8;
#[allow(non_upper_case_globals, dead_code)]
const granted_scopes: u8 = 10;
#[allow(dead_code)]
static REQUIREMENT: u8 = 9;

#[requires(read:self, from = granted)]
pub fn hygienic(granted: &Granted) -> Result<u8, InsufficientScope> {
    let _ = REQUIREMENT;
    Ok(insufficient)
}

#[requires(read:self)]
pub fn destructured(Granted(held): Granted) -> Result<ScopeSet, InsufficientScope> {
    Ok(held)
}

/// A handler: its requirement can guard a route too, written once.
#[requires(write:chat, any(read:fan, read:creator))]
pub async fn handler(granted: Granted, text: String) -> Result<String, InsufficientScope> {
    Ok(text)
}

pub const HANDLER: Requirement = *Requirement::of(&handler);

/// `#[tracing::instrument]` above `#[requires]`: it instruments the async
/// fn, and the route handler keeps its requirement.
#[tracing::instrument(err, ret)]
#[requires(read:chat)]
pub async fn instrumented(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(9)
}

/// An async route handler returning `Result<impl Trait, E>`.
#[requires(read:chat)]
pub async fn opaque_ok(granted: Granted) -> Result<impl Display, InsufficientScope> {
    Ok(10)
}

fn main() {
    assert_eq!(Requirement::of(&instrumented).all(), scopes![read:chat]);
    assert_eq!(Requirement::of(&opaque_ok).all(), scopes![read:chat]);
    let granted = Granted(scopes![read:self, read:chat, write:chat, read:fan]);
    assert_eq!(aliased(granted), Ok(6));
    assert_eq!(inner_attributes(granted), Ok(7));
    assert_eq!(hygienic(&granted), Ok(8));
    assert_eq!(destructured(granted), Ok(granted.0));
    assert!(HANDLER.is_satisfied_by(scopes![write:chat, read:creator]));
    assert!(!HANDLER.is_satisfied_by(scopes![write:chat]));
    let _ = handler(granted, String::new());

    let granted = Granted(scopes![read:self, read:chat, write:chat, read:fan]);
    assert_eq!(free(granted), Ok(1));
    let _ = asynchronous(granted);
    let service = Service { granted: granted.0 };
    assert_eq!(service.by_ref(), Ok(3));
    assert_eq!(service.by_value(), Ok(4));
    assert!(Service::associated(&granted.0).is_err());
    assert!(impl_trait(granted, [1, 2]).is_err());
    assert_eq!(generic(granted, 7).ok(), None);
    assert_eq!(generic(scopes![read:post], 7).ok(), Some("7".to_owned()));
    assert!(string_literals(granted).is_err());
}

/// `from = <expr>` is the whole expression, not its first operand.
#[requires(read:chat, from = *token | *session)]
pub fn grant_from_an_expression(token: &ScopeSet, session: &ScopeSet) -> Result<u8, InsufficientScope> {
    Ok(1)
}
