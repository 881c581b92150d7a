//! Checks the raw `scopes.toml` and builds the [`Catalog`]. Every problem is
//! collected, so one build reports all of them.

use crate::catalog::{Catalog, Oauth, Resource, Scope};
use crate::scope_file::{FileError, RawFile, RawScope};
use std::collections::HashMap;
use toml::Spanned;

/// How many scopes a `ScopeSet` (a `u64` bit mask) can hold.
pub const MAX_SCOPES: usize = 64;

pub fn validate(raw: &RawFile) -> Result<Catalog, Vec<FileError>> {
    let mut errors = Vec::new();
    let mut catalog = Catalog {
        oauth: Oauth::default(),
        resources: Vec::new(),
        scopes: Vec::new(),
    };
    let mut resource_names = FirstSeen::default();
    let mut resource_variants = FirstSeen::default();
    // Protocol and resource scopes share one namespace of names; their
    // variants live in two enums.
    let mut scope_names = FirstSeen::default();
    let mut scope_variants = FirstSeen::default();
    let mut protocol_variants = FirstSeen::default();

    match &raw.oauth {
        Some(oauth) => {
            let oauth = oauth.get_ref();
            catalog.oauth = Oauth {
                authorize_url: https_url(&oauth.authorize_url, &mut errors),
                token_url: https_url(&oauth.token_url, &mut errors),
                api_base_url: https_url(&oauth.api_base_url, &mut errors),
                default_scopes: Vec::new(),
            };
            for raw_scope in &oauth.default_scope {
                if catalog.oauth.default_scopes.len() == MAX_SCOPES {
                    errors.push(at(
                        &raw_scope.get_ref().name,
                        format!("too many default scopes: at most {MAX_SCOPES}"),
                    ));
                }
                let scope = check_scope(
                    raw_scope.get_ref(),
                    &mut scope_names,
                    &mut protocol_variants,
                    &mut errors,
                );
                catalog.oauth.default_scopes.push(scope);
            }
        }
        None => errors.push(FileError::new(
            0,
            "no `[oauth]` table: add one with `authorize_url`, `token_url` and `api_base_url`",
        )),
    }

    if raw.resource.is_empty() {
        errors.push(FileError::new(
            0,
            "no resources: add a `[[resource]]` table with its `[[resource.scope]]` entries",
        ));
    }

    for raw_resource in &raw.resource {
        let start = raw_resource.span().start;
        let raw_resource = raw_resource.get_ref();
        let name = raw_resource.name.get_ref().trim();
        let new_name = if name.is_empty() {
            errors.push(at(
                &raw_resource.name,
                "a resource needs a non-empty `name`",
            ));
            false
        } else {
            resource_names.check(&raw_resource.name, name, "resource", &mut errors)
        };
        let variant = variant_name(
            &raw_resource.name,
            raw_resource.variant.as_ref(),
            &mut errors,
        );
        // A repeated name repeats its derived variant too: one error is enough.
        if let Some((variant, spanned)) = variant.as_ref().filter(|_| new_name) {
            resource_variants.check(spanned, variant, "resource variant", &mut errors);
        }
        if raw_resource.scope.is_empty() {
            errors.push(FileError::new(
                start,
                format!(
                    "resource `{name}` has no scopes: add a `[[resource.scope]]` entry below it"
                ),
            ));
        }

        let resource_index = catalog.resources.len();
        let mut resource = Resource {
            name: name.to_owned(),
            variant: variant.map(|(variant, _)| variant).unwrap_or_default(),
            scopes: Vec::new(),
        };
        for raw_scope in &raw_resource.scope {
            if catalog.scopes.len() == MAX_SCOPES {
                errors.push(at(
                    &raw_scope.get_ref().name,
                    format!("too many scopes: a ScopeSet holds at most {MAX_SCOPES}"),
                ));
            }
            let scope = check_scope(
                raw_scope.get_ref(),
                &mut scope_names,
                &mut scope_variants,
                &mut errors,
            );
            resource.scopes.push(catalog.scopes.len());
            catalog.scopes.push(Scope {
                resource: resource_index,
                ..scope
            });
        }
        catalog.resources.push(resource);
    }

    if errors.is_empty() {
        Ok(catalog)
    } else {
        errors.sort_by_key(|error| error.offset);
        Err(errors)
    }
}

/// Checks one scope entry: its name, description and variant.
fn check_scope(
    raw: &RawScope,
    names: &mut FirstSeen,
    variants: &mut FirstSeen,
    errors: &mut Vec<FileError>,
) -> Scope {
    let name = raw.name.get_ref();
    let new_name = match scope_token_error(name) {
        Some(problem) => {
            errors.push(at(&raw.name, problem));
            false
        }
        None => names.check(&raw.name, name, "scope", errors),
    };
    let description = raw.description.get_ref().trim();
    if description.is_empty() {
        errors.push(at(
            &raw.description,
            format!("scope `{name}` needs a non-empty `description` of what it grants"),
        ));
    }
    let variant = variant_name(&raw.name, raw.variant.as_ref(), errors);
    // A repeated name repeats its derived variant too: one error is enough.
    if let Some((variant, spanned)) = variant.as_ref().filter(|_| new_name) {
        variants.check(spanned, variant, "scope variant", errors);
    }
    Scope {
        name: name.clone(),
        variant: variant.map(|(variant, _)| variant).unwrap_or_default(),
        description: description.to_owned(),
        resource: 0,
    }
}

/// An endpoint: an absolute `https://` URL without white space or quotes.
fn https_url(url: &Spanned<String>, errors: &mut Vec<FileError>) -> String {
    let text = url.get_ref();
    let valid = text.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty()
            && !rest
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"')
    });
    if !valid {
        errors.push(at(
            url,
            format!("{text:?} is not an absolute `https://` URL"),
        ));
    }
    text.clone()
}

/// Remembers where each name was first defined, to point duplicates at it.
#[derive(Default)]
struct FirstSeen(HashMap<String, usize>);

impl FirstSeen {
    /// Records `name`; returns whether it is new, else reports the duplicate.
    fn check(
        &mut self,
        spanned: &Spanned<String>,
        name: &str,
        what: &str,
        errors: &mut Vec<FileError>,
    ) -> bool {
        let offset = spanned.span().start;
        if let Some(&first) = self.0.get(name) {
            errors.push(FileError {
                first_defined_at: Some(first),
                ..FileError::new(offset, duplicate_message(what, name))
            });
            false
        } else {
            self.0.insert(name.to_owned(), offset);
            true
        }
    }
}

fn duplicate_message(what: &str, name: &str) -> String {
    if what.ends_with("variant") {
        format!("duplicate {what} `{name}`: give one of the two its own `variant = \"...\"`")
    } else {
        format!("duplicate {what} `{name}`")
    }
}

fn at(spanned: &Spanned<String>, message: impl Into<String>) -> FileError {
    FileError::new(spanned.span().start, message)
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn scope_token_error(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a scope needs a non-empty `name`".to_owned());
    }
    let bad = name
        .chars()
        .find(|&c| !matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'))?;
    Some(format!(
        "scope name {name:?} is not an OAuth scope-token: {bad:?} is not allowed \
         (RFC 6749 §3.3 allows printable ASCII except space, `\"` and `\\`)"
    ))
}

/// The Rust variant for an entry: its explicit `variant`, or one derived
/// from its name. `None` (with an error pushed) when neither is usable.
fn variant_name<'a>(
    name: &'a Spanned<String>,
    explicit: Option<&'a Spanned<String>>,
    errors: &mut Vec<FileError>,
) -> Option<(String, &'a Spanned<String>)> {
    if let Some(explicit) = explicit {
        let variant = explicit.get_ref();
        if is_variant_ident(variant) {
            return Some((variant.clone(), explicit));
        }
        errors.push(at(
            explicit,
            format!("`variant = {variant:?}` is not an UpperCamelCase Rust identifier such as `ReadChat`"),
        ));
        return None;
    }
    let derived = upper_camel_case(name.get_ref());
    if is_variant_ident(&derived) {
        return Some((derived, name));
    }
    if !name.get_ref().trim().is_empty() {
        errors.push(at(
            name,
            format!(
                "no Rust variant name can be derived from {:?}: add `variant = \"...\"` (UpperCamelCase)",
                name.get_ref()
            ),
        ));
    }
    None
}

/// `read:tracking_links` -> `ReadTrackingLinks`, `Tracking Links` -> `TrackingLinks`.
pub fn upper_camel_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .flat_map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars)
        })
        .collect()
}

fn is_variant_ident(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "Self"
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;

    /// The rendered errors for `source`, or the scope names if it is valid.
    fn check(source: &str) -> Vec<String> {
        let source = format!("{source}{OAUTH}");
        match Catalog::from_source("scopes.toml", source.as_bytes()) {
            Ok(catalog) => catalog.scopes.into_iter().map(|scope| scope.name).collect(),
            Err(errors) => errors.rendered,
        }
    }

    /// A valid `[oauth]` table, appended to the cases that are not about it.
    const OAUTH: &str = "\n[oauth]\nauthorize_url = \"https://a.example/auth\"\ntoken_url = \"https://a.example/token\"\napi_base_url = \"https://api.example\"\n\n[[oauth.default_scope]]\nname = \"openid\"\ndescription = \"Identity.\"\n";

    const CHAT: &str = "[[resource]]\nname = \"Chat\"\n\n[[resource.scope]]\nname = \"read:chat\"\ndescription = \"Read chats.\"\n";

    #[test]
    fn a_valid_file_yields_its_scopes_in_order() {
        let source =
            format!("{CHAT}\n[[resource.scope]]\nname = \"write:chat\"\ndescription = \"Send.\"\n");
        assert_eq!(check(&source), ["read:chat", "write:chat"]);
    }

    #[test]
    fn unknown_keys_are_rejected_where_they_stand() {
        let source = CHAT.replace("description =", "descripton = \"x\"\ndescription =");
        let errors = check(&source);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("scopes.toml:6:1: unknown field `descripton`"),
            "{errors:?}"
        );
    }

    #[test]
    fn duplicate_scopes_point_at_both_places() {
        let source =
            format!("{CHAT}\n[[resource.scope]]\nname = \"read:chat\"\ndescription = \"Again.\"\n");
        assert_eq!(
            check(&source)[0],
            "scopes.toml:9:8: duplicate scope `read:chat` (first defined at scopes.toml:5:8)"
        );
    }

    #[test]
    fn duplicate_variants_are_rejected() {
        let source = format!(
            "{CHAT}\n[[resource.scope]]\nname = \"read-chat\"\ndescription = \"Same variant.\"\n"
        );
        assert_eq!(
            check(&source),
            [
                "scopes.toml:9:8: duplicate scope variant `ReadChat`: give one of the two its own `variant = \"...\"` (first defined at scopes.toml:5:8)"
            ]
        );
    }

    #[test]
    fn invalid_variants_are_rejected() {
        let source = CHAT.replace("description", "variant = \"read_chat\"\ndescription");
        assert_eq!(
            check(&source),
            [
                "scopes.toml:6:11: `variant = \"read_chat\"` is not an UpperCamelCase Rust identifier such as `ReadChat`"
            ]
        );
        let source = CHAT.replace("read:chat", "1:chat");
        assert_eq!(
            check(&source),
            [
                "scopes.toml:5:8: no Rust variant name can be derived from \"1:chat\": add `variant = \"...\"` (UpperCamelCase)"
            ]
        );
    }

    #[test]
    fn empty_descriptions_are_rejected() {
        let source = CHAT.replace("\"Read chats.\"", "\"  \"");
        assert_eq!(
            check(&source),
            [
                "scopes.toml:6:15: scope `read:chat` needs a non-empty `description` of what it grants"
            ]
        );
    }

    #[test]
    fn names_must_be_scope_tokens() {
        for (name, shown) in [
            ("read chat", "' '"),
            ("read\\\"chat", "'\"'"),
            ("read\\\\chat", "'\\\\'"),
            ("réad", "'é'"),
        ] {
            let source = CHAT.replace("read:chat", name);
            let errors = check(&source);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].starts_with("scopes.toml:5:8: scope name"),
                "{errors:?}"
            );
            assert!(
                errors[0].contains(&format!(": {shown} is not allowed (RFC 6749 §3.3")),
                "{errors:?}"
            );
        }
        assert_eq!(
            check(&CHAT.replace("\"read:chat\"", "\"\"")),
            ["scopes.toml:5:8: a scope needs a non-empty `name`"]
        );
    }

    #[test]
    fn a_resource_needs_scopes() {
        let source = format!("{CHAT}\n[[resource]]\nname = \"Fan\"\n");
        assert_eq!(
            check(&source),
            [
                "scopes.toml:8:1: resource `Fan` has no scopes: add a `[[resource.scope]]` entry below it"
            ]
        );
    }

    #[test]
    fn missing_fields_and_wrong_types_are_rejected() {
        let missing = CHAT.replace("description = \"Read chats.\"\n", "");
        let errors = check(&missing);
        assert!(
            errors[0].starts_with("scopes.toml:4:1: missing field `description`"),
            "{errors:?}"
        );
        let wrong_type = CHAT.replace("\"Read chats.\"", "42");
        let errors = check(&wrong_type);
        assert!(
            errors[0]
                .starts_with("scopes.toml:6:15: invalid type: integer `42`, expected a string"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_oauth_table_is_required_and_checked() {
        let rendered = |source: String| match Catalog::from_source("scopes.toml", source.as_bytes())
        {
            Ok(_) => Vec::new(),
            Err(errors) => errors.rendered,
        };
        assert_eq!(
            rendered(CHAT.to_owned()),
            [
                "scopes.toml:1:1: no `[oauth]` table: add one with `authorize_url`, `token_url` and `api_base_url`"
            ]
        );
        let insecure = OAUTH.replace("https://a.example/token", "http://a.example/token");
        assert_eq!(
            rendered(format!("{CHAT}{insecure}")),
            ["scopes.toml:10:13: \"http://a.example/token\" is not an absolute `https://` URL"]
        );
        let clash = OAUTH.replace("name = \"openid\"", "name = \"read:chat\"");
        assert_eq!(
            rendered(format!("{CHAT}{clash}")),
            ["scopes.toml:5:8: duplicate scope `read:chat` (first defined at scopes.toml:14:8)"]
        );
    }

    #[test]
    fn an_empty_file_says_what_to_add() {
        assert_eq!(
            check(""),
            [
                "scopes.toml:1:1: no resources: add a `[[resource]]` table with its `[[resource.scope]]` entries"
            ]
        );
    }

    #[test]
    fn bad_toml_is_located() {
        let errors = check("[[resource]\nname = 1");
        assert!(errors[0].starts_with("scopes.toml:1:"), "{errors:?}");
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let source = CHAT
            .replace("\"Read chats.\"", "\"\"")
            .replace("read:chat", "read chat");
        assert_eq!(check(&source).len(), 2);
    }

    #[test]
    fn upper_camel_case_joins_words() {
        assert_eq!(
            super::upper_camel_case("read:tracking_links"),
            "ReadTrackingLinks"
        );
        assert_eq!(super::upper_camel_case("Tracking Links"), "TrackingLinks");
    }

    /// Every file of the workspace's corpus of broken scope files fails
    /// with the messages in its `.expected` snapshot (`BLESS=1` rewrites
    /// them). The corpus is not in this crate's package, so a build from the
    /// package skips it.
    #[test]
    fn the_corpus_of_broken_files_fails_as_snapshotted() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scope-files");
        let Ok(entries) = std::fs::read_dir(&corpus) else {
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        files.sort();
        assert!(files.len() >= 15, "only {} broken files", files.len());
        let bless = std::env::var_os("BLESS").is_some();
        let mut mismatches = Vec::new();
        for file in &files {
            let source = std::fs::read(file).unwrap_or_default();
            let rendered = match Catalog::from_source("scopes.toml", &source) {
                Ok(_) => "(no error)\n".to_owned(),
                Err(errors) => errors.to_string() + "\n",
            };
            for line in rendered.lines() {
                let location: Vec<&str> = line.splitn(4, ':').collect();
                assert!(
                    location.len() == 4
                        && location[0] == "scopes.toml"
                        && location[1].parse::<usize>().is_ok()
                        && location[2].parse::<usize>().is_ok(),
                    "{}: not file:line:column: {line}",
                    file.display()
                );
            }
            let snapshot = file.with_extension("expected");
            if bless {
                let _ = std::fs::write(&snapshot, &rendered);
            } else if std::fs::read_to_string(&snapshot).ok().as_deref() != Some(rendered.as_str())
            {
                mismatches.push(format!("{}:\n{rendered}", file.display()));
            }
        }
        assert!(
            mismatches.is_empty(),
            "differs from its .expected:\n{}",
            mismatches.join("\n")
        );
    }
}
