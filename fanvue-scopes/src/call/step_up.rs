//! Step-up: from a refusal to the consent that fixes it, within what the
//! app's Fanvue registration allows.
//!
//! An app's scopes are ticked when it is registered in the Fanvue developer
//! area; a user sees what the app asks for and may untick any of it. When a
//! handler's guard, the outgoing check, or Fanvue itself refuses for want
//! of a scope, the fix is a new authorize request for what the token has
//! plus what is missing (the MCP authorization spec's step-up, Google's
//! incremental authorization): never beyond the registration, which would
//! only earn `invalid_scope`.
//!
//! ```
//! use fanvue_scopes::step_up::Registration;
//! use fanvue_scopes::{scopes, Requirement};
//!
//! // The scopes ticked for the app in the Fanvue developer area.
//! const REGISTRATION: Registration = Registration::new(scopes![read:self, read:chat, write:chat]);
//!
//! // The user unticked write:chat; sending a message is refused:
//! let refused = Requirement::from(scopes![write:chat])
//!     .check(scopes![read:self, read:chat])
//!     .unwrap_err();
//! let step_up = REGISTRATION.step_up(&refused)?;
//! assert_eq!(
//!     step_up.authorize_scope(),
//!     "openid offline_access offline read:self read:chat write:chat"
//! );
//!
//! // A shortfall the registration can't cover says what to tick.
//! let refused = Requirement::from(scopes![read:insights]).check(scopes![read:self]).unwrap_err();
//! let error = REGISTRATION.step_up(&refused).unwrap_err();
//! assert_eq!(error.unregistered(), scopes![read:insights]);
//! # Ok::<(), fanvue_scopes::step_up::NotRegistered>(())
//! ```

//!
//! A refusal from Fanvue reads the same way: its `403 insufficient_scope`
//! challenge becomes a [`CallRefused`] that names the scopes Fanvue asked
//! for.
//!
//! ```
//! use fanvue_scopes::step_up::Registration;
//! use fanvue_scopes::{endpoint, scopes, CallRefused};
//!
//! let registration = Registration::new(scopes![read:self, read:chat, write:chat]);
//! let refused = CallRefused::by_fanvue(endpoint!(POST "/chats"), scopes![read:chat], scopes![write:chat]);
//! assert_eq!(registration.step_up(&refused)?.scopes(), scopes![read:chat, write:chat]);
//! # Ok::<(), fanvue_scopes::step_up::NotRegistered>(())
//! ```
//!
//! With the `oauth2` feature, [`StepUp::authorize_request`] builds the
//! authorize URL (client id, redirect URI, `state` and PKCE S256); keep the
//! state and the verifier with the user's session for the callback.
//!
//! # The app's registration
//!
//! State what the registration allows once, as a const or from
//! configuration (`Registration::from_config(&env::var("FANVUE_SCOPES")?)`),
//! and check the routes against it at start-up and in a test: a route whose
//! handler needs an unticked scope fails there, named with its handler.
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use fanvue_scopes::axum::Routes;
//! use fanvue_scopes::step_up::Registration;
//! use fanvue_scopes::{Guarded, requires, scopes, Granted, InsufficientScope};
//!
//! #[requires(read:insights)]
//! async fn insights(granted: Granted) -> Result<&'static str, InsufficientScope> {
//!     Ok("insights")
//! }
//!
//! let routes = Routes::<()>::new().get("/insights", Guarded::new(insights));
//! let error = routes
//!     .check_registration(&Registration::new(scopes![read:self]))
//!     .unwrap_err();
//! assert!(error.to_string().contains("GET /insights (insights in"));
//! assert!(error.to_string().contains("needs `read:insights`"));
//! # }
//! ```
//!
//! # Pages and APIs
//!
//! An API route answers a shortfall with `403` and the RFC 6750 challenge;
//! `Guarded::new(handler).on_refusal(ResourceMetadata::new(url))` adds
//! `resource_metadata` (RFC 9728) for clients that step up by themselves,
//! and [`oauth::protected_resource_metadata`] is the document to serve at
//! that URL. A page a person opens answers with a redirect instead: one
//! line on its route, `Guarded::new(page).on_refusal(step_up_redirect)`, where
//! `step_up_redirect` takes the request and the refusal, computes the
//! [`StepUp`], keeps the state and verifier in the session, and redirects.
//! See `axum::OnRefusal` and `actix::OnRefusal`.
//!
//! # Testing the loop
//!
//! `testing::StandIn` (the `testing` feature) serves a stand-in Fanvue
//! authorization server with the stand-in API: register a client, script
//! the consent or show its page, and walk sign-in, refusal and step-up over
//! HTTP without a network.
//!
#![cfg_attr(
    not(feature = "oauth2"),
    doc = "[`StepUp::authorize_request`]: crate#feature-flags"
)]

use crate::{
    CallRefused, GuardedRoute, InsufficientScope, ParseScopeSetError, Requirement, ScopeSet, oauth,
};
use std::fmt;

/// A refusal that names what the token has and what it lacks: a guard's
/// [`InsufficientScope`], or a [`CallRefused`] (before the call, or from
/// Fanvue's `403 insufficient_scope` challenge).
pub trait Shortfall {
    /// The scopes the token carries.
    fn granted(&self) -> ScopeSet;
    /// The scopes that, added to those, would pass.
    fn lacking(&self) -> ScopeSet;
}

impl Shortfall for InsufficientScope {
    fn granted(&self) -> ScopeSet {
        InsufficientScope::granted(self)
    }

    fn lacking(&self) -> ScopeSet {
        self.sufficient()
            .difference(InsufficientScope::granted(self))
    }
}

impl Shortfall for CallRefused {
    fn granted(&self) -> ScopeSet {
        CallRefused::granted(self)
    }

    fn lacking(&self) -> ScopeSet {
        self.missing()
    }
}

/// The scopes the app's Fanvue registration allows it to request: the
/// ones ticked for it in the Fanvue developer area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Registration {
    allowed: ScopeSet,
}

impl Registration {
    /// The registration allows `allowed`; as a const, from `scopes![..]`.
    pub const fn new(allowed: ScopeSet) -> Self {
        Registration { allowed }
    }

    /// From configuration, such as an environment variable: scope names
    /// separated by spaces, each one this crate knows.
    pub fn from_config(scopes: &str) -> Result<Self, ParseScopeSetError> {
        scopes.parse().map(Registration::new)
    }

    /// The scopes the registration allows.
    pub const fn allowed(&self) -> ScopeSet {
        self.allowed
    }

    /// The authorize request that fixes `shortfall`: the token's scopes plus
    /// those it lacks, in `scopes.toml` order; or the scopes the
    /// registration would have to allow first.
    pub fn step_up(&self, shortfall: &impl Shortfall) -> Result<StepUp, NotRegistered> {
        let lacking = shortfall.lacking();
        self.allows(lacking)?;
        // What the token has beyond the registration (granted before it
        // changed) is not asked for again.
        let scopes = shortfall
            .granted()
            .intersection(self.allowed)
            .union(lacking);
        Ok(StepUp { scopes })
    }

    /// The first authorize request, for `scopes`: what a "Sign in with
    /// Fanvue" link asks for; or the scopes the registration would have to
    /// allow first.
    pub fn sign_in(&self, scopes: ScopeSet) -> Result<StepUp, NotRegistered> {
        self.allows(scopes)?;
        Ok(StepUp { scopes })
    }

    /// `Err` naming the scopes of `scopes` the registration does not allow.
    fn allows(&self, scopes: ScopeSet) -> Result<(), NotRegistered> {
        let unregistered = scopes.difference(self.allowed);
        if unregistered.is_empty() {
            Ok(())
        } else {
            Err(NotRegistered { unregistered })
        }
    }

    /// Whether every route's requirement fits within the registration; or
    /// each route, with its handler, and the scopes the registration lacks
    /// for it.
    pub fn check_routes<'a>(
        &self,
        routes: impl IntoIterator<Item = &'a GuardedRoute>,
    ) -> Result<(), UnregisteredRoutes> {
        let routes: Vec<GuardedRoute> = routes
            .into_iter()
            .filter(|route| !route.requirement().is_satisfied_by(self.allowed))
            .cloned()
            .collect();
        if routes.is_empty() {
            Ok(())
        } else {
            Err(UnregisteredRoutes {
                routes,
                allowed: self.allowed,
            })
        }
    }
}

/// What to ask Fanvue for to fix a shortfall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepUp {
    scopes: ScopeSet,
}

impl StepUp {
    /// The resource scopes to request: the token's and the missing ones.
    pub const fn scopes(&self) -> ScopeSet {
        self.scopes
    }

    /// The authorize request's `scope`: the protocol scopes, then
    /// [`scopes`](Self::scopes).
    pub fn authorize_scope(&self) -> String {
        oauth::authorize_scope(self.scopes)
    }

    /// A ready authorize request at Fanvue: see [`authorize_request_at`](Self::authorize_request_at).
    #[cfg(feature = "oauth2")]
    pub fn authorize_request(
        &self,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<AuthorizeRequest, oauth2::url::ParseError> {
        self.authorize_request_at(oauth::AUTHORIZE_URL, client_id, redirect_uri)
    }

    /// A ready authorize request at `authorize_url` (Fanvue's, or a stand-in's),
    /// through the `oauth2` crate: the URL with the client id, redirect URI,
    /// scope, a fresh `state` and a PKCE S256 challenge. Keep the `state` and
    /// the verifier with the user's session, and check them at the callback.
    #[cfg(feature = "oauth2")]
    pub fn authorize_request_at(
        &self,
        authorize_url: &str,
        client_id: &str,
        redirect_uri: &str,
    ) -> Result<AuthorizeRequest, oauth2::url::ParseError> {
        use oauth2::{AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl};
        let client = oauth2::basic::BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_auth_uri(AuthUrl::new(authorize_url.to_owned())?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned())?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(oauth::authorize_scope_list(self.scopes))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizeRequest {
            url: url.into(),
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }
}

/// An authorize request to send the user to, and what to keep until the
/// callback.
#[cfg(feature = "oauth2")]
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    /// Where to send the user.
    pub url: String,
    /// The `state` the callback must carry back (CSRF).
    pub state: String,
    /// The PKCE verifier the token request must send.
    pub pkce_verifier: String,
}

/// A shortfall that the app's registration does not allow it to fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotRegistered {
    unregistered: ScopeSet,
}

impl NotRegistered {
    /// The scopes to tick for the app in the Fanvue developer area.
    pub const fn unregistered(&self) -> ScopeSet {
        self.unregistered
    }
}

impl fmt::Display for NotRegistered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the app's Fanvue registration does not allow `{}`: tick it for the app in the \
             Fanvue developer area, then ask the user again",
            self.unregistered
        )
    }
}

impl std::error::Error for NotRegistered {}

/// Routes whose handlers need scopes the app's registration does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnregisteredRoutes {
    routes: Vec<GuardedRoute>,
    allowed: ScopeSet,
}

impl UnregisteredRoutes {
    /// The routes whose requirement the registration can't meet.
    pub fn routes(&self) -> &[GuardedRoute] {
        &self.routes
    }

    /// What the registration lacks for `route`: each required scope it
    /// does not allow, and each `any(..)` group it allows none of, whole
    /// (ticking any one scope of such a group would do).
    pub fn lacking(&self, route: &GuardedRoute) -> (ScopeSet, Vec<ScopeSet>) {
        let Lacking { missing, groups } = Lacking::new(route.requirement(), self.allowed);
        (missing, groups)
    }
}

/// What a registration allowing `allowed` lacks for a requirement: each
/// required scope it does not allow, and each `any(..)` group it allows
/// none of, whole. Shown as the end of "needs ..", for routes and MCP
/// tools alike.
pub(crate) struct Lacking {
    missing: ScopeSet,
    groups: Vec<ScopeSet>,
}

impl Lacking {
    pub(crate) fn new(requirement: &Requirement, allowed: ScopeSet) -> Self {
        let groups = requirement
            .any()
            .iter()
            .copied()
            .filter(|group| !group.intersects(allowed))
            .collect();
        Lacking {
            missing: requirement.all().difference(allowed),
            groups,
        }
    }
}

impl fmt::Display for Lacking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut needs = Vec::new();
        if !self.missing.is_empty() {
            needs.push(format!("`{}`", self.missing));
        }
        for group in &self.groups {
            let names: Vec<String> = group.iter().map(|scope| format!("`{scope}`")).collect();
            needs.push(format!("one of {}", names.join(", ")));
        }
        f.write_str(&needs.join(" and "))
    }
}

impl fmt::Display for UnregisteredRoutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the app's Fanvue registration does not allow what these routes need; tick the scopes in the Fanvue developer area:")?;
        for route in &self.routes {
            write!(
                f,
                "\n  {} {} ({} in {}) needs {}",
                route.method(),
                route.path(),
                route.handler().name(),
                route.handler().module_path(),
                Lacking::new(route.requirement(), self.allowed)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for UnregisteredRoutes {}

#[cfg(test)]
mod registration_tests {
    use super::Registration;
    use crate::guarded::GuardedRoute;
    use crate::{Handler, Requirement, scopes};

    static FANS: Requirement =
        Requirement::new(scopes![read:self], &[scopes![read:fan, read:creator]]);

    #[test]
    fn an_unmet_any_group_is_named_whole() {
        let route = GuardedRoute::new("GET", "/fans", Handler::__new("fans", "app", &FANS));
        let error = Registration::new(scopes![read:chat])
            .check_routes([&route])
            .expect_err("neither read:fan nor read:creator is registered");
        let message = error.to_string();
        assert!(
            message.contains(
                "GET /fans (fans in app) needs `read:self` and one of `read:fan`, `read:creator`"
            ),
            "{message}"
        );
        assert_eq!(
            error.lacking(&route),
            (scopes![read:self], vec![scopes![read:fan, read:creator]])
        );
        // One scope of the group is enough.
        assert!(
            Registration::new(scopes![read:self, read:creator])
                .check_routes([&route])
                .is_ok()
        );
    }
}
