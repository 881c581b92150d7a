//! `Scope` and `Resource`, generated from `scopes.toml`, and the traits that
//! make a scope read and write as its string.

use crate::error::UnknownScope;
use std::fmt;
use std::str::FromStr;

fanvue_scopes_macros::__generate_catalog! {
    /// One OAuth 2.0 scope of the Fanvue API: a permission an access token
    /// carries, such as `read:chat`.
    ///
    /// There is one variant per scope in `scopes.toml`, in its order. A scope
    /// reads and writes as its exact, case-sensitive string: with
    /// [`as_str`](Scope::as_str) and [`Display`](fmt::Display), with
    /// [`FromStr`] and [`TryFrom<&str>`], and with serde.
    ///
    /// ```
    /// use fanvue_scopes::{Resource, Scope};
    ///
    /// let scope: Scope = "read:chat".parse()?;
    /// assert_eq!(scope, Scope::ReadChat);
    /// assert_eq!(scope.to_string(), "read:chat");
    /// assert_eq!(scope.resource(), Resource::Chat);
    ///
    /// let typo = "read:chats".parse::<Scope>().unwrap_err();
    /// assert_eq!(typo.to_string(), "unknown scope `read:chats`; did you mean `read:chat`?");
    /// # Ok::<(), fanvue_scopes::UnknownScope>(())
    /// ```
    ///
    /// The enum is `#[non_exhaustive]`: Fanvue adds scopes, and a new one is
    /// a new variant, not a breaking change.
    ///
    /// # Scopes
    pub enum Scope;

    /// A group of scopes in Fanvue's scope table, such as Chat
    /// (`read:chat`, `write:chat`).
    ///
    /// ```
    /// use fanvue_scopes::{Resource, Scope};
    ///
    /// assert_eq!(Resource::TrackingLinks.name(), "Tracking Links");
    /// assert!(Resource::Chat.scopes().contains(Scope::WriteChat));
    /// ```
    pub enum Resource;
}

impl Scope {
    /// The number of known scopes.
    pub const COUNT: usize = Scope::ALL.len();
}

impl FromStr for Scope {
    type Err = UnknownScope;

    /// Parses an exact scope string; the error suggests the closest known one.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Scope::from_name(name).ok_or_else(|| UnknownScope::new(name))
    }
}

impl TryFrom<&str> for Scope {
    type Error = UnknownScope;

    fn try_from(name: &str) -> Result<Self, Self::Error> {
        name.parse()
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopeVisitor;
        impl serde::de::Visitor<'_> for ScopeVisitor {
            type Value = Scope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Fanvue OAuth scope string such as \"read:chat\"")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Scope, E> {
                name.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(ScopeVisitor)
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
