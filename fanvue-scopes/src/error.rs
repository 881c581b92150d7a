//! The crate's errors: unknown scope names, malformed scope lists, the
//! refusals of a guard (no credentials, too few scopes) and of an outgoing
//! call (by the check, or by Fanvue), and a handler served unguarded.

use crate::{Endpoint, Granted, Requirement, Scope, ScopeSet};
use std::error::Error;
use std::fmt;

/// A scope name that is not in `scopes.toml`; it may suggest the closest one.
///
/// The name is kept whole; its [`Display`](fmt::Display) shows at most 64
/// characters of it, escaped, since it may come from an untrusted token.
#[derive(Clone, PartialEq, Eq)]
pub struct UnknownScope {
    name: Box<str>,
    suggestion: Option<Scope>,
}

/// Longer names are not worth suggesting for, nor printing whole.
const SHOWN_CHARS: usize = 64;

impl UnknownScope {
    pub(crate) fn new(name: &str) -> Self {
        UnknownScope {
            name: name.into(),
            suggestion: suggest(name),
        }
    }

    /// The name as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The known scope the name most likely meant: the same name in another
    /// case, or one a few edits away.
    pub fn suggestion(&self) -> Option<Scope> {
        self.suggestion
    }
}

fn suggest(name: &str) -> Option<Scope> {
    closest(name, Scope::ALL.map(|scope| (scope.as_str(), scope)))
}

/// The candidate whose name `unknown` most likely meant: the same name in
/// another case, else the nearest within a third of its length in edits (as
/// rustc does for identifiers, and as the macros do at compile time).
fn closest<T: Copy>(
    unknown: &str,
    candidates: impl IntoIterator<Item = (&'static str, T)> + Clone,
) -> Option<T> {
    if unknown.len() > SHOWN_CHARS {
        return None;
    }
    if let Some((_, found)) = candidates
        .clone()
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(unknown))
    {
        return Some(found);
    }
    let budget = (unknown.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|(name, found)| (strsim::levenshtein(name, unknown), found))
        .filter(|&(distance, _)| distance <= budget)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, found)| found)
}

/// Writes at most [`SHOWN_CHARS`] characters of untrusted text, escaped.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chars = self.0.chars();
        for c in chars.by_ref().take(SHOWN_CHARS) {
            write!(f, "{}", c.escape_debug())?;
        }
        if chars.next().is_some() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown scope `{}`", Shown(&self.name))?;
        match self.suggestion {
            Some(scope) if scope.as_str().eq_ignore_ascii_case(&self.name) => {
                write!(f, "; scopes are case-sensitive: did you mean `{scope}`?")
            }
            Some(scope) => write!(f, "; did you mean `{scope}`?"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for UnknownScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnknownScope")
            .field("name", &Shown(&self.name).to_string())
            .field("suggestion", &self.suggestion)
            .finish()
    }
}

impl Error for UnknownScope {}

/// Why a strict scope list (the [`FromStr`](std::str::FromStr) of
/// [`ScopeSet`]) did not parse.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ParseScopeSetError {
    /// A name is not a known scope.
    Unknown(UnknownScope),
    /// Two spaces in a row, or a space at either end: RFC 6749 separates
    /// names with exactly one space. [`ScopeSet::parse_lenient`] accepts it.
    EmptyName {
        /// Byte offset of the empty name.
        offset: usize,
    },
}

impl fmt::Display for ParseScopeSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseScopeSetError::Unknown(unknown) => unknown.fmt(f),
            ParseScopeSetError::EmptyName { offset } => write!(
                f,
                "empty scope name at byte {offset}: scopes are separated by exactly one space"
            ),
        }
    }
}

impl Error for ParseScopeSetError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ParseScopeSetError::Unknown(unknown) => Some(unknown),
            ParseScopeSetError::EmptyName { .. } => None,
        }
    }
}

impl From<UnknownScope> for ParseScopeSetError {
    fn from(unknown: UnknownScope) -> Self {
        ParseScopeSetError::Unknown(unknown)
    }
}

/// The caller's token lacks scopes a handler requires: HTTP 403 with
/// `WWW-Authenticate: Bearer error="insufficient_scope"` (RFC 6750 §3.1).
///
/// Returned by a `#[requires]` handler before its body runs, and by
/// [`Requirement::check`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InsufficientScope {
    required: Requirement,
    granted: ScopeSet,
}

impl InsufficientScope {
    pub(crate) const fn new(required: Requirement, granted: ScopeSet) -> Self {
        InsufficientScope { required, granted }
    }

    /// What the handler requires.
    pub const fn required(&self) -> &Requirement {
        &self.required
    }

    /// What the caller was granted.
    pub const fn granted(&self) -> ScopeSet {
        self.granted
    }

    /// The required scopes the caller lacks: each one of the requirement's
    /// "all of" list that was not granted, and every alternative of an
    /// `any(..)` group of which none was granted.
    pub fn missing(&self) -> ScopeSet {
        self.required
            .any()
            .iter()
            .filter(|group| !group.intersects(self.granted))
            .fold(
                self.required.all().difference(self.granted),
                |missing, group| missing.union(*group),
            )
    }

    /// A smallest set of scopes that satisfies the requirement, preferring
    /// those already granted: what the `scope` attribute of the
    /// `WWW-Authenticate` challenge tells the client to ask for.
    pub fn sufficient(&self) -> ScopeSet {
        self.required.least_privilege_given(self.granted)
    }
}

impl fmt::Display for InsufficientScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "insufficient scope: requires {}; missing `{}`",
            self.required,
            self.missing()
        )
    }
}

impl Error for InsufficientScope {}

/// The request carries no granted scopes at all: no bearer token, or none
/// that the app's authentication layer accepted. HTTP 401 with
/// `WWW-Authenticate: Bearer` (RFC 6750 §3.1: no error code when the request
/// had no authentication).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Unauthenticated;

impl fmt::Display for Unauthenticated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no granted scopes on the request: a valid bearer token is required")
    }
}

impl Error for Unauthenticated {}

/// A call to a Fanvue endpoint that the token's scopes do not cover:
/// refused before it was sent, or refused by Fanvue with `403`.
///
/// Like [`InsufficientScope`], it names what was required and what is
/// missing; it also names the endpoint.
///
/// ```
/// use fanvue_scopes::{endpoint, scopes};
///
/// let refused = endpoint!(POST "/chats/{userUuid}/message")
///     .check(scopes![read:chat])
///     .unwrap_err();
/// assert_eq!(refused.missing(), scopes![write:chat]);
/// assert_eq!(
///     refused.to_string(),
///     "insufficient scope for `POST /chats/{userUuid}/message`: requires `write:chat`; missing `write:chat`"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRefused {
    endpoint: Endpoint,
    granted: ScopeSet,
    refused_by: RefusedBy,
}

/// Who refused a call, and whether it was sent: the check before it was
/// sent, the check of a redirect reqwest had already followed, or Fanvue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusedBy {
    /// The check before the call, or before a redirect hop was followed:
    /// the token's known scopes don't cover the endpoint. Nothing was sent
    /// to it.
    BeforeSending,
    /// The check of the final URL of a redirect that reqwest followed
    /// below the middleware, on a client built without
    /// [`ScopeCheck::redirect_policy`]:
    /// the request was sent, and reached this endpoint; its response is
    /// dropped. Build the client with the policy to refuse such a hop
    /// before it is followed.
    ///
    #[cfg_attr(
        feature = "reqwest",
        doc = "[`ScopeCheck::redirect_policy`]: crate::client::ScopeCheck::redirect_policy"
    )]
    #[cfg_attr(
        not(feature = "reqwest"),
        doc = "[`ScopeCheck::redirect_policy`]: crate#feature-flags"
    )]
    AfterRedirect,
    /// Fanvue answered `403` with a `Bearer error="insufficient_scope"`
    /// challenge, whose `scope` it needs (the endpoint's scopes if it named
    /// none it knows).
    Fanvue {
        /// The scopes Fanvue's challenge says the call needs.
        scope: ScopeSet,
    },
}

impl CallRefused {
    /// Refused before the call: `granted` does not cover `endpoint`.
    pub(crate) const fn new(endpoint: Endpoint, granted: ScopeSet) -> Self {
        CallRefused {
            endpoint,
            granted,
            refused_by: RefusedBy::BeforeSending,
        }
    }

    /// The same refusal, made of a redirect already followed to `endpoint`.
    #[cfg_attr(not(feature = "reqwest"), allow(dead_code))]
    pub(crate) const fn after_redirect(self) -> Self {
        CallRefused {
            refused_by: RefusedBy::AfterRedirect,
            ..self
        }
    }

    /// Fanvue answered `403 insufficient_scope` to a call the token's
    /// scopes, as the client knew them, seemed to cover; `scope` is what
    /// its challenge named.
    pub const fn by_fanvue(endpoint: Endpoint, granted: ScopeSet, scope: ScopeSet) -> Self {
        let scope = if scope.is_empty() {
            endpoint.scopes()
        } else {
            scope
        };
        CallRefused {
            endpoint,
            granted,
            refused_by: RefusedBy::Fanvue { scope },
        }
    }

    /// The endpoint called.
    pub const fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// The scopes the token was known to carry.
    pub const fn granted(&self) -> ScopeSet {
        self.granted
    }

    /// Who refused the call.
    pub const fn refused_by(&self) -> RefusedBy {
        self.refused_by
    }

    /// The scopes the call needs: the endpoint's, or those Fanvue's
    /// challenge named.
    pub const fn required(&self) -> ScopeSet {
        match self.refused_by {
            RefusedBy::BeforeSending | RefusedBy::AfterRedirect => self.endpoint.scopes(),
            RefusedBy::Fanvue { scope } => scope,
        }
    }

    /// The required scopes the token lacks. When Fanvue refused a call the
    /// token seemed to cover, the token's real scopes are not what the
    /// client was told, and this is all of the required scopes.
    pub const fn missing(&self) -> ScopeSet {
        let required = self.required();
        let missing = required.difference(self.granted);
        if missing.is_empty() {
            required
        } else {
            missing
        }
    }

    /// Whether Fanvue refused it (`403`), rather than the check before
    /// sending.
    pub const fn is_from_fanvue(&self) -> bool {
        matches!(self.refused_by, RefusedBy::Fanvue { .. })
    }

    /// The same refusal as a handler's [`InsufficientScope`], for an app
    /// that answers its own caller with `403 insufficient_scope`.
    pub fn into_insufficient_scope(self) -> InsufficientScope {
        InsufficientScope::new(
            Requirement::new(self.required(), &[]),
            self.granted.difference(self.missing()),
        )
    }
}

impl fmt::Display for CallRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (endpoint, required) = (self.endpoint, self.required());
        match self.refused_by {
            RefusedBy::Fanvue { .. } => write!(
                f,
                "Fanvue refused `{endpoint}` with 403 insufficient_scope: it requires `{required}`, \
                 and the token lacks some of them"
            ),
            RefusedBy::BeforeSending => write!(
                f,
                "insufficient scope for `{endpoint}`: requires `{required}`; missing `{}`",
                self.missing()
            ),
            RefusedBy::AfterRedirect => write!(
                f,
                "insufficient scope for `{endpoint}`, reached by a redirect that was followed \
                 before it could be checked: requires `{required}`; missing `{}`; the response \
                 is dropped (build the client with `ScopeCheck::redirect_policy` to refuse the \
                 redirect before it is followed)",
                self.missing()
            ),
        }
    }
}

impl Error for CallRefused {}

/// A `#[requires]` handler was served without its own route guard: the
/// `Granted` extractor ran on a request that no handler's guard admitted.
/// HTTP 500, since the app, not the caller, is at fault.
///
/// The `Granted` extractor fails closed this way so that a handler routed
/// without [`Guarded::new`](crate::Guarded::new) (or routed by a framework attribute
/// the guard could not reach) is a failure on its first request, not a
/// handler whose scopes are checked only after its other extractors have
/// read the request, and left out of the app's authorize scope.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Unguarded {
    route: Box<str>,
}

impl Unguarded {
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn new(method: &str, path: &str) -> Self {
        Unguarded {
            route: format!("{method} {path}").into(),
        }
    }

    /// The refusal of a request to an unguarded route: said on stderr the
    /// first time in this process (a request path is the caller's, so every
    /// one would let a caller flood the log), answered `500` every time.
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    pub(crate) fn reported(method: &str, path: &str) -> Self {
        static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        let unguarded = Unguarded::new(method, path);
        if !REPORTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("fanvue-scopes: {unguarded} (reported once; every such request gets 500)");
        }
        unguarded
    }

    /// The request's method and path, such as `GET /chats`.
    pub fn route(&self) -> &str {
        &self.route
    }
}

impl fmt::Display for Unguarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` was served by a handler that takes `Granted` without that handler's own \
             route guard: route a `#[requires]` handler with `Guarded::new(handler)` in \
             `Routes`, and read the grant on a route that needs no scopes from the request \
             extensions instead",
            Shown(&self.route)
        )
    }
}

impl Error for Unguarded {}

/// Why a route guard turned a request away.
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) enum Refusal {
    Unauthenticated(Unauthenticated),
    InsufficientScope(InsufficientScope),
}

/// The grant an authentication layer left on a request: a [`Granted`], or
/// a bare [`ScopeSet`]. Each framework looks both up in its own extensions.
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) fn granted_from(
    granted: Option<&Granted>,
    scopes: Option<&ScopeSet>,
) -> Option<ScopeSet> {
    granted.map(|granted| granted.0).or(scopes.copied())
}

/// The one admission decision of every route guard: the grant the
/// authentication layer left on the request, if any, against the route's
/// requirement.
#[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
pub(crate) fn admit(granted: Option<ScopeSet>, requirement: &Requirement) -> Result<(), Refusal> {
    match granted {
        None => Err(Refusal::Unauthenticated(Unauthenticated)),
        Some(granted) => requirement
            .check(granted)
            .map_err(Refusal::InsufficientScope),
    }
}
