//! Loading the catalog: `scopes.toml`, embedded in this crate, read and
//! validated once per compiler process; a broken file becomes compile
//! errors at the macro call.

use crate::model::catalog::Catalog;
use crate::model::scope_file::{self, AtLeastOne, FileErrors};
use crate::model::validate;
use proc_macro2::Span;
use std::sync::OnceLock;

/// The file the catalog is read from, as it is named in error messages.
pub const FILE_NAME: &str = "scopes.toml";

/// `scopes.toml`, embedded so that the macros also build from their own
/// package, and so that Cargo rebuilds them when the file changes.
const SOURCE: &[u8] = include_bytes!("../../scopes.toml");

/// The catalog of the embedded `scopes.toml`. Every macro call in a crate
/// shares one parse: the proc-macro library stays loaded for the whole
/// compilation, and this static with it.
pub fn get() -> Result<&'static Catalog, &'static FileErrors> {
    static CATALOG: OnceLock<Result<Catalog, FileErrors>> = OnceLock::new();
    CATALOG
        .get_or_init(|| from_source(FILE_NAME, SOURCE))
        .as_ref()
}

/// Reads and validates a scope file; every error names `file_name`, a
/// line and a column.
pub fn from_source(file_name: &str, source: &[u8]) -> Result<Catalog, FileErrors> {
    let raw = scope_file::parse(source)
        .map_err(|error| FileErrors::render(file_name, source, AtLeastOne::one(error)))?;
    validate::validate(&raw).map_err(|errors| FileErrors::render(file_name, source, errors))
}

/// The catalog, or every error of `scopes.toml` as compile errors at `span`.
pub fn catalog(span: Span) -> syn::Result<&'static Catalog> {
    get().map_err(|file_errors| {
        let error =
            |rendered: &String| syn::Error::new(span, format!("invalid {FILE_NAME}: {rendered}"));
        let mut errors = error(&file_errors.first);
        file_errors
            .rest
            .iter()
            .for_each(|rendered| errors.combine(error(rendered)));
        errors
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Suggestion;

    #[test]
    fn the_file_is_parsed_once_per_process() {
        let first = get().map(|catalog| catalog as *const Catalog);
        let second = get().map(|catalog| catalog as *const Catalog);
        assert!(first.is_ok());
        assert_eq!(first, second, "the second call reuses the first parse");
    }

    #[test]
    fn suggestions_prefer_the_same_name_in_another_case() {
        let catalog = get().expect("the embedded scopes.toml is valid");
        assert_eq!(
            catalog.suggest("READ:CHAT"),
            Suggestion::OtherCase("read:chat")
        );
        assert_eq!(
            catalog.suggest("write:chats"),
            Suggestion::Similar("write:chat")
        );
        assert_eq!(
            catalog.suggest("read:tracking-links"),
            Suggestion::Similar("read:tracking_links")
        );
        assert_eq!(catalog.suggest("openid"), Suggestion::None);
    }

    /// The suggestions the runtime's `UnknownScope` gives too, from the
    /// corpus both crates test (`tests/suggestions.tsv`).
    #[test]
    fn suggestions_agree_with_the_runtime_crate() {
        let catalog = get().expect("the embedded scopes.toml is valid");
        let corpus = include_str!("../../../tests/suggestions.tsv");
        for line in corpus.lines().filter(|line| !line.starts_with('#')) {
            let (typo, expected) = line.split_once('\t').expect("typo<TAB>suggestion");
            let suggested = match catalog.suggest(typo) {
                Suggestion::OtherCase(known) | Suggestion::Similar(known) => known,
                Suggestion::None => "",
            };
            assert_eq!(suggested, expected, "{typo:?}");
        }
    }
}
