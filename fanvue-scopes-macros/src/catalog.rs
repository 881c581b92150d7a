//! The validated scope catalog, loaded once per compiler process, and the
//! look-ups the macros make in it.

use crate::scope_file::{self, FileErrors};
use crate::validate;
use std::sync::OnceLock;

/// The file the catalog is read from, as it is named in error messages.
pub const FILE_NAME: &str = "scopes.toml";

/// `scopes.toml`, embedded so that the macros also build from their own
/// package, and so that Cargo rebuilds them when the file changes.
const SOURCE: &[u8] = include_bytes!("../scopes.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub oauth: Oauth,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
}

/// The authorization server, and the protocol scopes every request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Oauth {
    pub authorize_url: String,
    pub token_url: String,
    pub api_base_url: String,
    /// `resource` is unused for these.
    pub default_scopes: Vec<Scope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub variant: String,
    /// Indices into [`Catalog::scopes`], in file order.
    pub scopes: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    pub variant: String,
    pub description: String,
    /// Index into [`Catalog::resources`].
    pub resource: usize,
}

/// What the catalog offers for a name it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion<'a> {
    /// The same name in another case: scopes are case-sensitive.
    OtherCase(&'a Scope),
    /// A known name a few edits away.
    Similar(&'a Scope),
    None,
}

/// The catalog of the embedded `scopes.toml`. Every macro call in a crate
/// shares one parse: the proc-macro library stays loaded for the whole
/// compilation, and this static with it.
pub fn get() -> Result<&'static Catalog, &'static FileErrors> {
    static CATALOG: OnceLock<Result<Catalog, FileErrors>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Catalog::from_source(FILE_NAME, SOURCE))
        .as_ref()
}

impl Catalog {
    /// Reads and validates a scope file; every error names `file_name`, a
    /// line and a column.
    pub fn from_source(file_name: &str, source: &[u8]) -> Result<Catalog, FileErrors> {
        let errors = match scope_file::parse(source) {
            Ok(raw) => match validate::validate(&raw) {
                Ok(catalog) => return Ok(catalog),
                Err(errors) => errors,
            },
            Err(error) => vec![error],
        };
        Err(FileErrors::render(file_name, source, &errors))
    }

    pub fn find(&self, name: &str) -> Option<&Scope> {
        self.scopes.iter().find(|scope| scope.name == name)
    }

    pub fn find_default(&self, name: &str) -> Option<&Scope> {
        self.oauth
            .default_scopes
            .iter()
            .find(|scope| scope.name == name)
    }

    pub fn suggest(&self, unknown: &str) -> Suggestion<'_> {
        if let Some(scope) = self
            .scopes
            .iter()
            .find(|scope| scope.name.eq_ignore_ascii_case(unknown))
        {
            return Suggestion::OtherCase(scope);
        }
        // As rustc does for identifiers: a third of the length, at least one edit.
        let budget = (unknown.chars().count() / 3).max(1);
        self.scopes
            .iter()
            .map(|scope| (strsim::levenshtein(&scope.name, unknown), scope))
            .filter(|(distance, _)| *distance <= budget)
            .min_by_key(|(distance, _)| *distance)
            .map_or(Suggestion::None, |(_, scope)| Suggestion::Similar(scope))
    }

    pub fn resource_of(&self, scope: &Scope) -> &Resource {
        &self.resources[scope.resource]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_parsed_once_per_process() {
        let first = get().map(|catalog| catalog as *const Catalog);
        let second = get().map(|catalog| catalog as *const Catalog);
        assert!(first.is_ok());
        assert_eq!(first, second, "the second call reuses the first parse");
    }

    #[test]
    fn suggestions_prefer_the_same_name_in_another_case() {
        let catalog = get();
        assert!(catalog.is_ok(), "the embedded scopes.toml is valid");
        let Ok(catalog) = catalog else { return };
        let name = |suggestion: Suggestion<'_>| match suggestion {
            Suggestion::OtherCase(scope) => format!("case {}", scope.name),
            Suggestion::Similar(scope) => format!("similar {}", scope.name),
            Suggestion::None => "none".to_owned(),
        };
        assert_eq!(name(catalog.suggest("READ:CHAT")), "case read:chat");
        assert_eq!(name(catalog.suggest("write:chats")), "similar write:chat");
        assert_eq!(
            name(catalog.suggest("read:tracking-links")),
            "similar read:tracking_links"
        );
        assert_eq!(name(catalog.suggest("openid")), "none");
    }
}
