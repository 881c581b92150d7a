//! What a handler requires, where the granted scopes come from, and the
//! check between the two.

use crate::ScopeSet;
use crate::error::InsufficientScope;
use std::fmt;

/// The scopes a handler requires: all of one set, and at least one of each
/// `any(..)` group.
///
/// `#[requires(read:chat, any(read:fan, read:creator))]` builds one in
/// `const`; build your own the same way:
///
/// ```
/// use fanvue_scopes::{scopes, Requirement, ScopeSet};
///
/// static LIST_FANS: Requirement = Requirement::new(
///     scopes![read:chat],
///     &[scopes![read:fan, read:creator]],
/// );
/// let granted: ScopeSet = "read:chat read:creator".parse()?;
/// assert!(LIST_FANS.is_satisfied_by(granted));
/// assert!(LIST_FANS.check(scopes![read:chat]).is_err());
/// # Ok::<(), fanvue_scopes::ParseScopeSetError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Requirement {
    all: ScopeSet,
    any: &'static [ScopeSet],
}

impl Requirement {
    /// Requires every scope of `all` and at least one of each set in `any`.
    pub const fn new(all: ScopeSet, any: &'static [ScopeSet]) -> Requirement {
        Requirement { all, any }
    }

    /// The scopes that are each required.
    pub const fn all(&self) -> ScopeSet {
        self.all
    }

    /// The groups of which at least one scope is required.
    pub const fn any(&self) -> &'static [ScopeSet] {
        self.any
    }

    /// Every scope the requirement names.
    pub const fn scopes(&self) -> ScopeSet {
        let mut scopes = self.all;
        let mut index = 0;
        while index < self.any.len() {
            scopes = scopes.union(self.any[index]);
            index += 1;
        }
        scopes
    }

    /// Whether a caller with `granted` may pass.
    #[inline]
    pub const fn is_satisfied_by(&self, granted: ScopeSet) -> bool {
        if !granted.contains_all(self.all) {
            return false;
        }
        let mut index = 0;
        while index < self.any.len() {
            if !granted.intersects(self.any[index]) {
                return false;
            }
            index += 1;
        }
        true
    }

    /// `Ok` if a caller with `granted` may pass, else the error to refuse it with.
    #[inline]
    pub fn check(&self, granted: ScopeSet) -> Result<(), InsufficientScope> {
        if self.is_satisfied_by(granted) {
            Ok(())
        } else {
            Err(InsufficientScope::new(*self, granted))
        }
    }

    /// A smallest set that satisfies this requirement: all of [`all`](Self::all),
    /// and from each `any` group a scope already in `preferred` or else its
    /// first in `scopes.toml` order.
    pub const fn least_privilege_given(&self, preferred: ScopeSet) -> ScopeSet {
        let mut scopes = self.all;
        let mut index = 0;
        while index < self.any.len() {
            let group = self.any[index];
            let choice = if group.intersects(scopes) {
                ScopeSet::EMPTY
            } else if group.intersects(preferred) {
                group.intersection(preferred)
            } else {
                group
            };
            if let Some(first) = choice.first() {
                scopes = scopes.with(first);
            }
            index += 1;
        }
        scopes
    }
}

impl From<ScopeSet> for Requirement {
    /// Requires every scope of the set.
    fn from(all: ScopeSet) -> Self {
        Requirement::new(all, &[])
    }
}

impl fmt::Display for Requirement {
    /// `read:chat and one of (read:fan, read:creator)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = 0;
        if !self.all.is_empty() {
            write!(f, "`{}`", self.all)?;
            parts += 1;
        }
        for group in self.any {
            if parts > 0 {
                f.write_str(" and ")?;
            }
            f.write_str("one of (")?;
            for (index, scope) in group.iter().enumerate() {
                if index > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "`{scope}`")?;
            }
            f.write_str(")")?;
            parts += 1;
        }
        Ok(())
    }
}

/// The least-privilege scope set for several requirements: what an app must
/// request in its OAuth authorize URL so that every one of them can pass.
///
/// Every "all of" scope is taken; an `any(..)` group already met by those is
/// left alone, otherwise its first scope in `scopes.toml` order is added.
pub fn least_privilege<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> ScopeSet {
    let requirements: Vec<&Requirement> = requirements.into_iter().collect();
    let required = requirements
        .iter()
        .fold(ScopeSet::EMPTY, |scopes, requirement| {
            scopes.union(requirement.all)
        });
    requirements.iter().fold(required, |scopes, requirement| {
        scopes.union(requirement.least_privilege_given(scopes))
    })
}

/// Anything that carries the scopes a caller was granted: a validated
/// token's claims, a session, a request context.
///
/// `#[requires(.., from = expr)]` reads the granted scopes from `expr`
/// through this trait.
pub trait HasScopes {
    /// The scopes the caller was granted.
    fn granted_scopes(&self) -> ScopeSet;
}

impl HasScopes for ScopeSet {
    fn granted_scopes(&self) -> ScopeSet {
        *self
    }
}

impl<T: HasScopes + ?Sized> HasScopes for &T {
    fn granted_scopes(&self) -> ScopeSet {
        (**self).granted_scopes()
    }
}

impl<T: HasScopes + ?Sized> HasScopes for &mut T {
    fn granted_scopes(&self) -> ScopeSet {
        (**self).granted_scopes()
    }
}

/// The scopes granted to the caller of a request, as a handler parameter.
///
/// The app's authentication layer validates the bearer token and puts the
/// token's [`ScopeSet`] into the request extensions; with the `axum` or
/// `actix-web` feature, `Granted` is an extractor that takes it from there
/// and refuses the request with 401 [`Unauthenticated`](crate::Unauthenticated)
/// when there is none.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Granted(pub ScopeSet);

impl HasScopes for Granted {
    fn granted_scopes(&self) -> ScopeSet {
        self.0
    }
}

impl std::ops::Deref for Granted {
    type Target = ScopeSet;
    fn deref(&self) -> &ScopeSet {
        &self.0
    }
}

impl From<ScopeSet> for Granted {
    fn from(scopes: ScopeSet) -> Self {
        Granted(scopes)
    }
}
