//! The one path generated code reaches `fanvue-scopes` through, so that it
//! works when a user renames the dependency.
//!
//! The function-like macros are called through `macro_rules!` shims in
//! `fanvue-scopes` that pass `$crate` first, which always resolves. An
//! attribute can't be shimmed, so `#[requires]` takes `crate = path`, as
//! serde's `#[serde(crate = "..")]` does, and defaults to `::fanvue_scopes`.
//! When the user's `Cargo.toml` renames the dependency and `crate = ..` is
//! missing, that default can't resolve: [`renamed_dependency`] reads the
//! manifest so the error can name the fix.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::Token;
use syn::parse::{Parse, ParseStream};

#[derive(Clone)]
pub struct CratePath(TokenStream);

impl Default for CratePath {
    fn default() -> Self {
        CratePath(quote!(::fanvue_scopes))
    }
}

impl CratePath {
    /// `crate = path` in an attribute, after the `crate` keyword.
    /// Takes `crate = fvs` and, as serde writes it, `crate = "fvs"`.
    pub fn parse_assignment(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![=]>()?;
        let path: syn::Path =
            if input.peek(syn::LitStr) {
                let literal: syn::LitStr = input.parse()?;
                literal.parse_with(syn::Path::parse_mod_style).map_err(|_| {
                syn::Error::new(
                    literal.span(),
                    format!(
                        "`crate = {:?}` is not a path; write the name your Cargo.toml gives \
                         fanvue-scopes, such as `crate = fvs` or `crate = \"fvs\"`",
                        literal.value()
                    ),
                )
            })?
            } else {
                input.call(syn::Path::parse_mod_style).map_err(|error| {
                    syn::Error::new(
                        error.span(),
                        "expected the path fanvue-scopes is known by, such as `crate = fvs` or \
                     `crate = \"fvs\"`",
                    )
                })?
            };
        Ok(CratePath(path.into_token_stream()))
    }
}

impl Parse for CratePath {
    /// `$crate;`, as a shim passes it: every token up to the `;`.
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut path = TokenStream::new();
        while !input.peek(Token![;]) {
            if input.is_empty() {
                return Err(
                    input.error("call this macro through `fanvue_scopes`, which re-exports it")
                );
            }
            path.extend([input.parse::<proc_macro2::TokenTree>()?]);
        }
        input.parse::<Token![;]>()?;
        Ok(CratePath(path))
    }
}

impl ToTokens for CratePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}

/// The name the crate being compiled gives `fanvue-scopes` in its
/// `Cargo.toml`, when it renames it and has no dependency under the plain
/// name: `Some("fvs")` for `fvs = { package = "fanvue-scopes", .. }`, or for
/// `fvs.workspace = true` with the package named in the workspace's table.
/// Read once per compiler process and manifest; `None` whenever the
/// manifest can't be read: the hint is a courtesy, not a check.
pub fn renamed_dependency() -> Option<String> {
    use std::collections::HashMap;
    use std::path::PathBuf;
    use std::sync::{Mutex, PoisonError};
    static SEEN: Mutex<Option<HashMap<PathBuf, Option<String>>>> = Mutex::new(None);

    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let mut seen = SEEN.lock().unwrap_or_else(PoisonError::into_inner);
    let seen = seen.get_or_insert_with(HashMap::new);
    if let Some(renamed) = seen.get(&dir) {
        return renamed.clone();
    }
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok();
    let renamed = manifest.and_then(|manifest| {
        let workspace = dir.ancestors().skip(1).find_map(|parent| {
            let text = std::fs::read_to_string(parent.join("Cargo.toml")).ok()?;
            text.parse::<toml::Table>()
                .ok()
                .filter(|table| table.contains_key("workspace"))
        });
        renamed_in(&manifest, workspace.as_ref())
    });
    seen.insert(dir, renamed.clone());
    renamed
}

/// [`renamed_dependency`] for a manifest's text and its workspace's root
/// manifest.
fn renamed_in(manifest: &str, workspace: Option<&toml::Table>) -> Option<String> {
    const PACKAGE: &str = "fanvue-scopes";
    let manifest: toml::Table = manifest.parse().ok()?;
    let inherited = |name: &str| -> Option<String> {
        let entry = workspace?
            .get("workspace")?
            .get("dependencies")?
            .get(name)?;
        Some(entry.get("package")?.as_str()?.to_owned())
    };
    let targets = manifest
        .get("target")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flat_map(|targets| targets.values().filter_map(toml::Value::as_table));
    let tables: Vec<&toml::Table> = std::iter::once(&manifest)
        .chain(targets)
        .flat_map(|table| {
            ["dependencies", "dev-dependencies", "build-dependencies"]
                .into_iter()
                .filter_map(|key| table.get(key).and_then(toml::Value::as_table))
        })
        .collect();
    let mut renamed = None;
    for (name, entry) in tables.iter().flat_map(|table| table.iter()) {
        let package = match entry.get("package").and_then(toml::Value::as_str) {
            Some(package) => Some(package.to_owned()),
            None if entry.get("workspace").and_then(toml::Value::as_bool) == Some(true) => {
                inherited(name)
            }
            None => None,
        };
        match package.as_deref() {
            // Under its own name: the default path resolves.
            None | Some(PACKAGE) if name == PACKAGE || name == "fanvue_scopes" => return None,
            Some(PACKAGE) => renamed = Some(name.replace('-', "_")),
            _ => {}
        }
    }
    renamed
}

#[cfg(test)]
mod tests {
    use super::renamed_in;

    #[test]
    fn a_renamed_dependency_is_found_directly_and_through_the_workspace() {
        let direct = "[dependencies]\nfvs = { package = \"fanvue-scopes\", version = \"0.1\" }\n";
        assert_eq!(renamed_in(direct, None).as_deref(), Some("fvs"));
        let inherited = "[dependencies]\nfvs.workspace = true\n";
        let workspace: toml::Table =
            "[workspace.dependencies]\nfvs = { package = \"fanvue-scopes\", path = \"x\" }\n"
                .parse()
                .expect("a table");
        assert_eq!(
            renamed_in(inherited, Some(&workspace)).as_deref(),
            Some("fvs")
        );
        let targeted =
            "[target.'cfg(unix)'.dependencies]\nmy-scopes = { package = \"fanvue-scopes\" }\n";
        assert_eq!(renamed_in(targeted, None).as_deref(), Some("my_scopes"));
        // Under its own name too, or only: nothing to say.
        let both = format!("{direct}fanvue-scopes = \"0.1\"\n");
        assert_eq!(renamed_in(&both, None), None);
        assert_eq!(
            renamed_in("[dependencies]\nfanvue-scopes = \"0.1\"\n", None),
            None
        );
        assert_eq!(renamed_in("not toml [", None), None);
    }
}
