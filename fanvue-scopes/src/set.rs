//! `ScopeSet`: a set of scopes in one `u64`, with const set algebra and the
//! RFC 6749 space-delimited text form.

use crate::Scope;
use crate::error::{ParseScopeSetError, UnknownScope};
use crate::oauth::ProtocolScope;
use std::fmt;
use std::iter::FusedIterator;
use std::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Sub, SubAssign};
use std::str::FromStr;

/// A set of [`Scope`]s: one bit per scope, `Copy`, and const throughout.
///
/// It is what a token grants, or what a handler requires, and a check is a
/// single mask test. Iteration and [`Display`](fmt::Display) follow
/// `scopes.toml` order; the text form is OAuth's space-delimited list
/// (RFC 6749 §3.3).
///
/// ```
/// use fanvue_scopes::{Scope, ScopeSet};
///
/// const CHAT: ScopeSet = ScopeSet::from_scopes(&[Scope::ReadChat, Scope::WriteChat]);
/// let granted: ScopeSet = "read:self read:chat".parse()?;
///
/// assert!(granted.contains(Scope::ReadChat));
/// assert!(!granted.contains_all(CHAT));
/// assert_eq!(CHAT.difference(granted).to_string(), "write:chat");
/// assert_eq!(granted | CHAT, "read:self read:chat write:chat".parse()?);
/// # Ok::<(), fanvue_scopes::ParseScopeSetError>(())
/// ```
///
/// Tokens are parsed with [`ScopeSet::parse_lenient`], which sets aside the
/// scopes this crate does not know instead of failing; [`FromStr`] is strict.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ScopeSet {
    bits: u64,
}

impl ScopeSet {
    /// No scopes.
    pub const EMPTY: ScopeSet = ScopeSet { bits: 0 };

    /// Every known scope.
    pub const ALL: ScopeSet = ScopeSet {
        bits: u64::MAX >> (64 - Scope::COUNT),
    };

    /// The set of one scope.
    pub const fn from_scope(scope: Scope) -> ScopeSet {
        ScopeSet { bits: scope.bit() }
    }

    /// The set of these scopes; repeats are harmless.
    pub const fn from_scopes(scopes: &[Scope]) -> ScopeSet {
        let mut bits = 0;
        let mut index = 0;
        while index < scopes.len() {
            bits |= scopes[index].bit();
            index += 1;
        }
        ScopeSet { bits }
    }

    /// The raw bits: bit `i` is `Scope::ALL[i]`.
    pub const fn bits(self) -> u64 {
        self.bits
    }

    /// The set with these bits, or `None` if a bit names no scope.
    pub const fn from_bits(bits: u64) -> Option<ScopeSet> {
        if bits & !ScopeSet::ALL.bits == 0 {
            Some(ScopeSet { bits })
        } else {
            None
        }
    }

    /// The set with these bits, dropping any that name no scope.
    pub const fn from_bits_truncate(bits: u64) -> ScopeSet {
        ScopeSet {
            bits: bits & ScopeSet::ALL.bits,
        }
    }

    /// Whether the set has no scopes.
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// How many scopes are in the set.
    pub const fn len(self) -> usize {
        self.bits.count_ones() as usize
    }

    /// Whether `scope` is in the set.
    pub const fn contains(self, scope: Scope) -> bool {
        self.bits & scope.bit() != 0
    }

    /// Whether every scope of `other` is in this set (`other ⊆ self`).
    pub const fn contains_all(self, other: ScopeSet) -> bool {
        self.bits & other.bits == other.bits
    }

    /// Whether the two sets share at least one scope.
    pub const fn intersects(self, other: ScopeSet) -> bool {
        self.bits & other.bits != 0
    }

    /// The scopes in either set.
    pub const fn union(self, other: ScopeSet) -> ScopeSet {
        ScopeSet {
            bits: self.bits | other.bits,
        }
    }

    /// The scopes in both sets.
    pub const fn intersection(self, other: ScopeSet) -> ScopeSet {
        ScopeSet {
            bits: self.bits & other.bits,
        }
    }

    /// The scopes in this set and not in `other`.
    pub const fn difference(self, other: ScopeSet) -> ScopeSet {
        ScopeSet {
            bits: self.bits & !other.bits,
        }
    }

    /// The known scopes not in this set.
    pub const fn complement(self) -> ScopeSet {
        ScopeSet::ALL.difference(self)
    }

    /// This set with `scope` added.
    pub const fn with(self, scope: Scope) -> ScopeSet {
        ScopeSet {
            bits: self.bits | scope.bit(),
        }
    }

    /// This set with `scope` removed.
    pub const fn without(self, scope: Scope) -> ScopeSet {
        ScopeSet {
            bits: self.bits & !scope.bit(),
        }
    }

    /// Adds `scope`; returns whether it was new.
    pub fn insert(&mut self, scope: Scope) -> bool {
        let new = !self.contains(scope);
        *self = self.with(scope);
        new
    }

    /// Removes `scope`; returns whether it was there.
    pub fn remove(&mut self, scope: Scope) -> bool {
        let present = self.contains(scope);
        *self = self.without(scope);
        present
    }

    /// The first scope in `scopes.toml` order, if any.
    pub const fn first(self) -> Option<Scope> {
        if self.bits == 0 {
            None
        } else {
            Some(Scope::ALL[self.bits.trailing_zeros() as usize])
        }
    }

    /// The scopes in `scopes.toml` order.
    pub const fn iter(self) -> Iter {
        Iter { rest: self }
    }

    /// Reads the scope list of a token or token response, keeping the
    /// scopes this crate does not know aside instead of failing: Fanvue may
    /// grant scopes newer than this crate.
    ///
    /// Any run of ASCII white space separates names. Nothing is allocated;
    /// the unknown names are re-read from `scopes` when asked for.
    ///
    /// ```
    /// use fanvue_scopes::{Scope, ScopeSet};
    ///
    /// let token = ScopeSet::parse_lenient("read:self  read:chat read:future");
    /// assert_eq!(token.known(), ScopeSet::from_scopes(&[Scope::ReadSelf, Scope::ReadChat]));
    /// assert_eq!(token.unknown().collect::<Vec<_>>(), ["read:future"]);
    /// ```
    pub fn parse_lenient(scopes: &str) -> LenientScopes<'_> {
        let mut known = ScopeSet::EMPTY;
        let mut protocol = 0;
        let mut has_unknown = false;
        for name in names(scopes) {
            if let Some(scope) = Scope::from_name(name) {
                known = known.with(scope);
            } else if let Some(scope) = ProtocolScope::from_name(name) {
                protocol |= scope.bit();
            } else {
                has_unknown = true;
            }
        }
        LenientScopes {
            known,
            protocol,
            has_unknown,
            source: scopes,
        }
    }
}

/// The names of a scope list: the runs between ASCII white space.
///
/// The same as `str::split_ascii_whitespace`, but a plain byte loop, which
/// is several times faster on short lists: this runs on every request.
fn names(scopes: &str) -> impl Iterator<Item = &str> + Clone {
    let mut rest = scopes;
    std::iter::from_fn(move || {
        let start = rest.bytes().position(|byte| !byte.is_ascii_whitespace())?;
        let name = &rest[start..];
        let end = name
            .bytes()
            .position(|byte| byte.is_ascii_whitespace())
            .unwrap_or(name.len());
        rest = &name[end..];
        Some(&name[..end])
    })
}

/// What [`ScopeSet::parse_lenient`] read: the known scopes, and the names it
/// set aside, borrowed from the input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LenientScopes<'a> {
    known: ScopeSet,
    /// Bit `i` is `ProtocolScope::ALL[i]`.
    protocol: u64,
    has_unknown: bool,
    source: &'a str,
}

impl<'a> LenientScopes<'a> {
    /// The scopes this crate knows.
    pub const fn known(&self) -> ScopeSet {
        self.known
    }

    /// The protocol scopes (`openid`, `offline_access`, …) among the names,
    /// in `scopes.toml` order.
    pub fn protocol(&self) -> impl Iterator<Item = ProtocolScope> + Clone + use<> {
        let protocol = self.protocol;
        ProtocolScope::ALL
            .into_iter()
            .filter(move |scope| protocol & scope.bit() != 0)
    }

    /// Whether any name was neither a known scope nor a protocol scope.
    pub const fn has_unknown(&self) -> bool {
        self.has_unknown
    }

    /// The names that are neither known scopes nor protocol scopes, in input
    /// order, repeats included.
    pub fn unknown(&self) -> impl Iterator<Item = &'a str> + Clone + 'a {
        let has_unknown = self.has_unknown;
        names(self.source).filter(move |name| {
            has_unknown
                && Scope::from_name(name).is_none()
                && ProtocolScope::from_name(name).is_none()
        })
    }
}

/// The scopes of a [`ScopeSet`], in `scopes.toml` order.
#[derive(Clone, Debug)]
pub struct Iter {
    rest: ScopeSet,
}

impl Iterator for Iter {
    type Item = Scope;

    fn next(&mut self) -> Option<Scope> {
        let scope = self.rest.first()?;
        self.rest = self.rest.without(scope);
        Some(scope)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.rest.len(), Some(self.rest.len()))
    }
}

impl ExactSizeIterator for Iter {}
impl FusedIterator for Iter {}

impl IntoIterator for ScopeSet {
    type Item = Scope;
    type IntoIter = Iter;

    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(scopes: I) -> Self {
        let mut set = ScopeSet::EMPTY;
        set.extend(scopes);
        set
    }
}

impl Extend<Scope> for ScopeSet {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, scopes: I) {
        for scope in scopes {
            self.insert(scope);
        }
    }
}

impl From<Scope> for ScopeSet {
    fn from(scope: Scope) -> Self {
        ScopeSet::from_scope(scope)
    }
}

impl<const N: usize> From<[Scope; N]> for ScopeSet {
    fn from(scopes: [Scope; N]) -> Self {
        ScopeSet::from_scopes(&scopes)
    }
}

impl BitOr for ScopeSet {
    type Output = ScopeSet;
    fn bitor(self, other: ScopeSet) -> ScopeSet {
        self.union(other)
    }
}

impl BitOrAssign for ScopeSet {
    fn bitor_assign(&mut self, other: ScopeSet) {
        *self = self.union(other);
    }
}

impl BitAnd for ScopeSet {
    type Output = ScopeSet;
    fn bitand(self, other: ScopeSet) -> ScopeSet {
        self.intersection(other)
    }
}

impl BitAndAssign for ScopeSet {
    fn bitand_assign(&mut self, other: ScopeSet) {
        *self = self.intersection(other);
    }
}

impl Sub for ScopeSet {
    type Output = ScopeSet;
    fn sub(self, other: ScopeSet) -> ScopeSet {
        self.difference(other)
    }
}

impl SubAssign for ScopeSet {
    fn sub_assign(&mut self, other: ScopeSet) {
        *self = self.difference(other);
    }
}

impl fmt::Display for ScopeSet {
    /// The RFC 6749 §3.3 form: scope strings separated by single spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, scope) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromStr for ScopeSet {
    type Err = ParseScopeSetError;

    /// Parses the RFC 6749 §3.3 form strictly: names separated by single
    /// spaces, every one known. The empty string is the empty set.
    fn from_str(scopes: &str) -> Result<Self, Self::Err> {
        if scopes.is_empty() {
            return Ok(ScopeSet::EMPTY);
        }
        let mut set = ScopeSet::EMPTY;
        let mut offset = 0;
        for name in scopes.split(' ') {
            if name.is_empty() {
                return Err(ParseScopeSetError::EmptyName { offset });
            }
            match Scope::from_name(name) {
                Some(scope) => set = set.with(scope),
                None => return Err(ParseScopeSetError::Unknown(UnknownScope::new(name))),
            }
            offset += name.len() + 1;
        }
        Ok(set)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopeSetVisitor;
        impl serde::de::Visitor<'_> for ScopeSetVisitor {
            type Value = ScopeSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a space-delimited list of Fanvue OAuth scopes")
            }
            fn visit_str<E: serde::de::Error>(self, scopes: &str) -> Result<ScopeSet, E> {
                scopes.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(ScopeSetVisitor)
    }
}
