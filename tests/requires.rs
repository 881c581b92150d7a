#![deny(warnings, clippy::all)]
//! `#[requires]` at run time: the guard passes exactly the callers it should,
//! runs before the body, and its requirement is readable as data.

use fanvue_scopes::{
    Granted, HasScopes, InsufficientScope, Scope, ScopeSet, least_privilege, requires, scope,
    scopes,
};
use std::cell::Cell;

thread_local! {
    static BODY_RAN: Cell<u32> = const { Cell::new(0) };
}

fn body_ran() -> u32 {
    BODY_RAN.with(Cell::get)
}

fn run_body() {
    BODY_RAN.with(|ran| ran.set(ran.get() + 1));
}

#[requires(read:chat, write:chat)]
fn send_message(granted: Granted) -> Result<&'static str, InsufficientScope> {
    run_body();
    Ok("sent")
}

#[test]
fn exactly_the_needed_scopes_pass() {
    let before = body_ran();
    assert_eq!(
        send_message(Granted(scopes![read:chat, write:chat])),
        Ok("sent")
    );
    assert_eq!(body_ran(), before + 1);
}

#[test]
fn a_missing_scope_is_named_and_the_body_never_runs() {
    let before = body_ran();
    let error = send_message(Granted(scopes![read:chat, read:self])).unwrap_err();
    assert_eq!(body_ran(), before, "the body ran");
    assert_eq!(error.missing(), scopes![write:chat]);
    assert_eq!(error.granted(), scopes![read:chat, read:self]);
    assert_eq!(error.required().all(), scopes![read:chat, write:chat]);
    assert_eq!(
        error.to_string(),
        "insufficient scope: requires `read:chat write:chat`; missing `write:chat`"
    );
    let empty = send_message(Granted(ScopeSet::EMPTY)).unwrap_err();
    assert_eq!(empty.missing(), scopes![read:chat, write:chat]);
}

#[requires(read:chat, any(read:fan, read:creator), from = granted)]
fn list_fans(granted: &ScopeSet) -> Result<(), InsufficientScope> {
    run_body();
    Ok(())
}

#[test]
fn any_accepts_each_alternative_alone() {
    assert_eq!(list_fans(&scopes![read:chat, read:fan]), Ok(()));
    assert_eq!(list_fans(&scopes![read:chat, read:creator]), Ok(()));
    assert_eq!(
        list_fans(&scopes![read:chat, read:fan, read:creator]),
        Ok(())
    );
    let none = list_fans(&scopes![read:chat]).unwrap_err();
    assert_eq!(none.missing(), scopes![read:fan, read:creator]);
    assert_eq!(none.sufficient(), scopes![read:chat, read:fan]);
    assert_eq!(
        none.to_string(),
        "insufficient scope: requires `read:chat` and one of (`read:fan`, `read:creator`); \
         missing `read:fan read:creator`"
    );
    assert!(
        list_fans(&scopes![read:fan]).is_err(),
        "the all-of part still holds"
    );
}

#[test]
fn unknown_extra_scopes_do_not_hide_known_ones() {
    let token = ScopeSet::parse_lenient("read:chat write:chat read:future openid");
    assert_eq!(send_message(Granted(token.known())), Ok("sent"));
    let wrong_case = ScopeSet::parse_lenient("read:chat Write:Chat");
    assert!(
        send_message(Granted(wrong_case.known())).is_err(),
        "scopes are case-sensitive"
    );
}

/// An app's own error type, as handlers usually return.
#[derive(Debug, PartialEq)]
enum ApiError {
    Forbidden(ScopeSet),
}

impl From<InsufficientScope> for ApiError {
    fn from(error: InsufficientScope) -> Self {
        ApiError::Forbidden(error.missing())
    }
}

struct Claims {
    scopes: ScopeSet,
}

impl HasScopes for Claims {
    fn granted_scopes(&self) -> ScopeSet {
        self.scopes
    }
}

struct Api {
    claims: Claims,
}

impl Api {
    #[requires(read:self, from = self.claims)]
    fn me(&self) -> Result<&'static str, ApiError> {
        Ok("me")
    }

    #[requires(read:insights, from = self.claims)]
    fn into_insights(self) -> Result<u32, ApiError> {
        Ok(42)
    }
}

#[test]
fn methods_read_scopes_through_from() {
    let api = Api {
        claims: Claims {
            scopes: scopes![read:self],
        },
    };
    assert_eq!(api.me(), Ok("me"));
    assert_eq!(
        api.into_insights(),
        Err(ApiError::Forbidden(scopes![read:insights]))
    );
}

#[requires("read:media")]
async fn media(Granted(scopes): Granted) -> Result<usize, ApiError> {
    Ok(scopes.len())
}

#[test]
fn async_fns_and_destructured_parameters_are_guarded() {
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut allowed = std::pin::pin!(media(Granted(scopes![read:media, read:self])));
    assert_eq!(
        allowed.as_mut().poll(&mut context),
        std::task::Poll::Ready(Ok(2))
    );
    let mut refused = std::pin::pin!(media(Granted(scopes![read:self])));
    assert_eq!(
        refused.as_mut().poll(&mut context),
        std::task::Poll::Ready(Err(ApiError::Forbidden(scopes![read:media])))
    );
}

use std::future::Future;

#[requires(read:post)]
fn generic<T: Default, S: HasScopes>(
    _granted: Granted,
    _extra: S,
    items: impl IntoIterator<Item = T>,
) -> Result<usize, ApiError> {
    Ok(items.into_iter().count())
}

#[test]
fn generic_fns_and_impl_trait_arguments_are_guarded() {
    assert_eq!(
        generic::<u8, _>(Granted(scopes![read:post]), ScopeSet::EMPTY, vec![1, 2]),
        Ok(2)
    );
    assert!(generic::<u8, _>(Granted(ScopeSet::EMPTY), ScopeSet::EMPTY, vec![1]).is_err());
}

#[test]
fn scope_and_scopes_are_checked_values() {
    const CHAT: ScopeSet = scopes![read:chat, write:chat];
    assert_eq!(scope!(read:self), Scope::ReadSelf);
    assert_eq!(scope!(read:tracking_links), Scope::ReadTrackingLinks);
    assert_eq!(
        CHAT,
        ScopeSet::from_scopes(&[Scope::ReadChat, Scope::WriteChat])
    );
    assert_eq!(scopes![], ScopeSet::EMPTY);
    assert_eq!(
        scopes!["write:agency",],
        ScopeSet::from_scope(Scope::WriteAgency)
    );
}

#[test]
fn the_least_privilege_union_over_handlers() {
    let requirements: Vec<_> = fanvue_scopes::handlers()
        .filter(|handler| handler.module_path() == module_path!())
        .map(|handler| (handler.name(), handler.requirement()))
        .collect();
    let mut names: Vec<&str> = requirements.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "generic",
            "into_insights",
            "list_fans",
            "me",
            "media",
            "relay",
            "send_message"
        ]
    );
    let union = least_privilege(requirements.iter().map(|(_, requirement)| *requirement));
    assert_eq!(
        union.to_string(),
        "read:self read:chat write:chat read:creator read:media read:post read:insights"
    );
    // An any(..) group already met by another handler's scopes adds nothing.
    let fans_only = least_privilege(
        requirements
            .iter()
            .filter(|(name, _)| *name == "list_fans")
            .map(|(_, r)| *r),
    );
    assert_eq!(fans_only, scopes![read:chat, read:fan]);
}

#[requires(
    read:self,
    calls(GET "/creators/{creatorUserUuid}/chats", POST "/chats/{userUuid}/message"),
    any(read:fan, read:media)
)]
fn relay(granted: Granted) -> Result<(), InsufficientScope> {
    run_body();
    Ok(())
}

#[test]
fn calls_require_the_union_of_the_endpoints_scopes() {
    let all = scopes![read:self, read:creator, read:chat, write:chat];
    let before = body_ran();
    assert_eq!(relay(Granted(all.with(Scope::ReadMedia))), Ok(()));
    assert_eq!(body_ran(), before + 1);
    for scope in all {
        let refused = relay(Granted(all.without(scope).with(Scope::ReadFan))).unwrap_err();
        assert_eq!(refused.missing(), ScopeSet::from_scope(scope));
    }
    let refused = relay(Granted(all)).unwrap_err();
    assert_eq!(refused.missing(), scopes![read:fan, read:media]);
    assert_eq!(body_ran(), before + 1, "a refused call never runs the body");

    let handler = fanvue_scopes::handlers()
        .find(|handler| handler.name() == "relay" && handler.module_path() == module_path!());
    assert_eq!(
        handler.map(|handler| handler.requirement().all()),
        Some(all)
    );
}
