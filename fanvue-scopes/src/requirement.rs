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

    /// The scopes to hold so that this requirement passes, given that
    /// `preferred` is held already (a token's grant, or what an app's
    /// registration allows): every scope of [`all`](Self::all); from each
    /// `any` group met by `preferred`, its first scope there; and for the
    /// groups `preferred` leaves unmet, a smallest set that meets them all,
    /// as [`least_privilege`] chooses it.
    pub fn least_privilege_given(&self, preferred: ScopeSet) -> ScopeSet {
        let mut scopes = self.all;
        let mut unmet = Vec::new();
        for &group in self.any {
            if group.intersects(scopes) {
                continue;
            }
            match group.intersection(preferred).first() {
                Some(held) => scopes = scopes.with(held),
                None => unmet.push(group),
            }
        }
        scopes.union(smallest_cover(scopes, unmet))
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
/// Every "all of" scope is taken, and then as few scopes as will meet
/// every `any(..)` group those leave unmet: of the smallest such sets, the
/// first in `scopes.toml` order (the one holding the earliest scope where
/// two differ). The answer does not depend on the order of the
/// requirements.
///
/// ```
/// use fanvue_scopes::{least_privilege, scopes, Requirement};
///
/// static FANS: Requirement = Requirement::new(scopes![], &[scopes![read:fan, read:creator]]);
/// static MEDIA: Requirement = Requirement::new(scopes![], &[scopes![read:creator, read:media]]);
/// // `read:creator` alone lets both pass.
/// assert_eq!(least_privilege([&FANS, &MEDIA]), scopes![read:creator]);
/// assert_eq!(least_privilege([&MEDIA, &FANS]), scopes![read:creator]);
/// ```
///
/// With 15 scopes an exact search is cheap: it looks only at the scopes of
/// the groups left unmet, smallest sets first.
pub fn least_privilege<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> ScopeSet {
    let requirements: Vec<&Requirement> = requirements.into_iter().collect();
    let required = requirements
        .iter()
        .fold(ScopeSet::EMPTY, |scopes, requirement| {
            scopes.union(requirement.all)
        });
    let groups = requirements
        .iter()
        .flat_map(|requirement| requirement.any.iter().copied());
    required.union(smallest_cover(required, groups))
}

/// Of the smallest sets that meet every group `held` leaves unmet, the
/// first in `scopes.toml` order. An empty group can't be met and is left
/// out.
fn smallest_cover(held: ScopeSet, groups: impl IntoIterator<Item = ScopeSet>) -> ScopeSet {
    let mut unmet: Vec<ScopeSet> = Vec::new();
    for group in groups {
        if group.is_empty() || group.intersects(held) || unmet.contains(&group) {
            continue;
        }
        unmet.push(group);
    }
    // A group that holds another is met whenever that one is.
    let implied: Vec<bool> = unmet
        .iter()
        .enumerate()
        .map(|(index, group)| {
            unmet.iter().enumerate().any(|(other, smaller)| {
                other != index && group.contains_all(*smaller) && *group != *smaller
            })
        })
        .collect();
    let unmet: Vec<ScopeSet> = unmet
        .into_iter()
        .zip(implied)
        .filter_map(|(group, implied)| (!implied).then_some(group))
        .collect();
    let candidates: Vec<crate::Scope> = unmet
        .iter()
        .fold(ScopeSet::EMPTY, |scopes, group| scopes.union(*group))
        .iter()
        .collect();
    // Sets of each size in turn, each size's in lexicographic order of
    // their scopes' positions: the first that meets every group is the
    // answer.
    for size in 0..=candidates.len() {
        let mut pick: Vec<usize> = (0..size).collect();
        loop {
            let set = pick
                .iter()
                .fold(ScopeSet::EMPTY, |set, &index| set.with(candidates[index]));
            if unmet.iter().all(|group| group.intersects(set)) {
                return set;
            }
            // The next combination: raise the last position that can rise.
            let Some(position) = (0..size)
                .rev()
                .find(|&position| pick[position] < candidates.len() - size + position)
            else {
                break;
            };
            pick[position] += 1;
            for next in position + 1..size {
                pick[next] = pick[next - 1] + 1;
            }
        }
    }
    // Every candidate together meets every group, so the search above ends
    // at the last size at the latest.
    candidates.into_iter().fold(ScopeSet::EMPTY, ScopeSet::with)
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
