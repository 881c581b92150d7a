//! Checks the raw `scopes.toml` and builds the [`Catalog`]: one function per
//! kind of entry, each collecting its problems, so one build reports all of
//! them.

use crate::model::catalog::{self, Catalog, Endpoint, Oauth, ProtocolScope, Resource, Scope};
use crate::model::scope_file::{
    AtLeastOne, FileError, RawEndpoint, RawFile, RawOauth, RawResource, RawScope,
};
use crate::model::template::Template;
use std::collections::HashMap;
use toml::Spanned;

/// How many scopes a `ScopeSet` (a `u64` bit mask) can hold.
pub const MAX_SCOPES: usize = 64;

/// The catalog, or the first problem and the others, in file order.
pub fn validate(raw: &RawFile) -> Result<Catalog, AtLeastOne<FileError>> {
    let mut checker = Checker::default();
    let oauth = match &raw.oauth {
        Some(oauth) => checker.oauth(oauth.get_ref()),
        None => {
            checker.errors.push(FileError::new(
                0,
                "no `[oauth]` table: add one with `authorize_url`, `token_url` and `api_base_url`",
            ));
            Oauth::default()
        }
    };
    if raw.resource.is_empty() {
        checker.errors.push(FileError::new(
            0,
            "no resources: add a `[[resource]]` table with its `[[resource.scope]]` entries",
        ));
    }
    let api_version = match &raw.api {
        Some(api) => checker.api_version(&api.version),
        None => {
            checker.errors.push(FileError::new(
                0,
                "no `[api]` table: add one with the Fanvue API `version` the endpoints are of",
            ));
            String::new()
        }
    };
    let mut catalog = Catalog {
        oauth,
        resources: Vec::new(),
        scopes: Vec::new(),
        api_version,
        endpoints: Vec::new(),
    };
    for raw_resource in &raw.resource {
        checker.resource(raw_resource, &mut catalog);
    }
    for raw_endpoint in &raw.endpoint {
        checker.endpoint(raw_endpoint, &mut catalog);
    }
    let mut errors = checker.errors;
    errors.sort_by_key(|error| error.offset);
    match AtLeastOne::of(errors) {
        None => Ok(catalog),
        Some(errors) => Err(errors),
    }
}

/// The problems found so far, and every name seen, to point duplicates at
/// their first definition.
#[derive(Default)]
struct Checker {
    errors: Vec<FileError>,
    resource_names: FirstSeen,
    resource_variants: FirstSeen,
    /// Protocol and resource scopes share one namespace of names; their
    /// variants live in two enums.
    scope_names: FirstSeen,
    scope_variants: FirstSeen,
    protocol_variants: FirstSeen,
    operations: FirstSeen,
    endpoint_variants: FirstSeen,
    /// `GET /chats/{userUuid}`, and `GET /chats/{}`: a template's shape,
    /// which two templates of one method must not share.
    endpoints_seen: FirstSeen,
    template_shapes: FirstSeen,
}

/// The Rust names an entry gets: the one written, and its enum variant.
struct Names {
    name: String,
    variant: String,
}

impl Checker {
    fn oauth(&mut self, raw: &RawOauth) -> Oauth {
        let mut oauth = Oauth {
            authorize_url: self.https_url(&raw.authorize_url),
            token_url: self.https_url(&raw.token_url),
            api_base_url: self.https_url(&raw.api_base_url),
            protocol_scopes: Vec::new(),
        };
        for raw_scope in &raw.protocol_scope {
            let index = oauth.protocol_scopes.len();
            let (names, description) = self.scope(raw_scope.get_ref(), Enum::ProtocolScope, index);
            oauth.protocol_scopes.push(ProtocolScope {
                name: names.name,
                variant: names.variant,
                description,
            });
        }
        oauth
    }

    fn resource(&mut self, raw: &Spanned<RawResource>, catalog: &mut Catalog) {
        let start = raw.span().start;
        let raw = raw.get_ref();
        let name = raw.name.get_ref().trim();
        if name.is_empty() {
            self.errors
                .push(at(&raw.name, "a resource needs a non-empty `name`"));
        }
        let valid = !name.is_empty();
        let names = self.names(&raw.name, name, valid, raw.variant.as_ref(), Enum::Resource);
        if raw.scope.is_empty() {
            self.errors.push(FileError::new(
                start,
                format!(
                    "resource `{name}` has no scopes: add a `[[resource.scope]]` entry below it"
                ),
            ));
        }
        let resource_index = catalog.resources.len();
        let mut resource = Resource {
            name: names.name,
            variant: names.variant,
            scopes: Vec::new(),
        };
        for raw_scope in &raw.scope {
            let index = catalog.scopes.len();
            let (names, description) = self.scope(raw_scope.get_ref(), Enum::Scope, index);
            resource.scopes.push(catalog.scopes.len());
            catalog.scopes.push(Scope {
                index,
                name: names.name,
                variant: names.variant,
                description,
                resource: resource_index,
            });
        }
        catalog.resources.push(resource);
    }

    /// `YYYY-MM-DD`, as Fanvue's `X-Fanvue-API-Version` header takes it.
    fn api_version(&mut self, version: &Spanned<String>) -> String {
        let text = version.get_ref();
        let date = text.len() == 10
            && text.char_indices().all(|(index, c)| match index {
                4 | 7 => c == '-',
                _ => c.is_ascii_digit(),
            });
        if !date {
            self.errors.push(at(
                version,
                format!("API version {text:?} is not a date such as \"2025-06-26\""),
            ));
        }
        text.clone()
    }

    fn endpoint(&mut self, raw: &RawEndpoint, catalog: &mut Catalog) {
        let method = raw.method.get_ref();
        let problem = catalog::method_error(method, &format!("{method:?}"));
        let known_method = problem.is_none();
        if let Some(problem) = problem {
            self.errors.push(at(&raw.method, problem));
        }
        let path = raw.path.get_ref();
        let template = Template::parse(path)
            .map_err(|problem| self.errors.push(at(&raw.path, problem)))
            .ok();
        if let (true, Some(template)) = (known_method, &template) {
            let endpoint = format!("{method} {path}");
            if self.endpoints_seen.record(
                &raw.path,
                &endpoint,
                Duplicate::Endpoint,
                &mut self.errors,
            ) {
                let shape = format!("{method} {}", template.shape());
                let mut clash = Vec::new();
                self.template_shapes
                    .record(&raw.path, &shape, Duplicate::Endpoint, &mut clash);
                self.errors.extend(clash.into_iter().map(|error| FileError {
                    message: format!(
                        "`{endpoint}` matches the same requests as another `{method}` template \
                         with parameters in the same places; one of the two can never be chosen"
                    ),
                    ..error
                }));
            }
        }
        let operation = raw.operation.get_ref();
        let valid = is_operation_id(operation);
        if !valid {
            self.errors.push(at(
                &raw.operation,
                format!("operation {operation:?} is not an operationId such as \"listChats\""),
            ));
        }
        let names = self.names(
            &raw.operation,
            operation,
            valid,
            raw.variant.as_ref(),
            Enum::Endpoint,
        );
        let scopes = self.endpoint_scopes(raw, catalog);
        let summary = raw.summary.get_ref().trim();
        if summary.is_empty() {
            self.errors.push(at(
                &raw.summary,
                format!("endpoint `{method} {path}` needs a non-empty `summary` of what it does"),
            ));
        }
        let reference = raw.reference.as_ref().map(|url| self.https_url(url));
        catalog.endpoints.push(Endpoint {
            operation: names.name,
            variant: names.variant,
            method: method.clone(),
            path: path.clone(),
            template: template.unwrap_or(Template {
                segments: Vec::new(),
            }),
            scopes,
            summary: summary.to_owned(),
            reference,
        });
    }

    /// An endpoint's scopes, as indices into the catalog's: at least one,
    /// each a known resource scope, none twice.
    fn endpoint_scopes(&mut self, raw: &RawEndpoint, catalog: &Catalog) -> Vec<usize> {
        let endpoint = format!("{} {}", raw.method.get_ref(), raw.path.get_ref());
        if raw.scopes.get_ref().is_empty() {
            self.errors.push(FileError::new(
                raw.scopes.span().start,
                format!(
                    "endpoint `{endpoint}` has no scopes: list every scope Fanvue requires for it"
                ),
            ));
        }
        let mut scopes = Vec::new();
        for name in raw.scopes.get_ref() {
            let text = name.get_ref();
            match catalog.scopes.iter().position(|scope| &scope.name == text) {
                Some(index) if scopes.contains(&index) => self.errors.push(at(
                    name,
                    format!("endpoint `{endpoint}` lists `{text}` twice"),
                )),
                Some(index) => scopes.push(index),
                None => {
                    let problem = if catalog.find_protocol_scope(text).is_some() {
                        format!("`{text}` is a protocol scope; endpoints require resource scopes")
                    } else {
                        catalog::unknown_scope(text, catalog.suggest(text))
                    };
                    self.errors
                        .push(at(name, format!("endpoint `{endpoint}`: {problem}")));
                }
            }
        }
        scopes
    }

    /// A scope entry of either kind, the `index`th of its enum: its names
    /// and its description.
    fn scope(&mut self, raw: &RawScope, kind: Enum, index: usize) -> (Names, String) {
        if index == MAX_SCOPES {
            self.errors.push(at(
                &raw.name,
                format!("too many scopes: a mask of scopes holds at most {MAX_SCOPES}"),
            ));
        }
        let name = raw.name.get_ref();
        let problem = scope_token_error(name);
        let valid = problem.is_none();
        self.errors
            .extend(problem.map(|problem| at(&raw.name, problem)));
        let description = raw.description.get_ref().trim();
        if description.is_empty() {
            self.errors.push(at(
                &raw.description,
                format!("scope `{name}` needs a non-empty `description` of what it grants"),
            ));
        }
        let names = self.names(&raw.name, name, valid, raw.variant.as_ref(), kind);
        (names, description.to_owned())
    }

    /// Checks that an entry's name and variant are each new in their
    /// namespace, and that a variant can be derived where none is given. An
    /// invalid name has been reported already, and is not compared.
    fn names(
        &mut self,
        spanned: &Spanned<String>,
        name: &str,
        valid: bool,
        explicit_variant: Option<&Spanned<String>>,
        kind: Enum,
    ) -> Names {
        let (names_seen, variants_seen) = match kind {
            Enum::Resource => (&mut self.resource_names, &mut self.resource_variants),
            Enum::Scope => (&mut self.scope_names, &mut self.scope_variants),
            Enum::ProtocolScope => (&mut self.scope_names, &mut self.protocol_variants),
            Enum::Endpoint => (&mut self.operations, &mut self.endpoint_variants),
        };
        let new_name =
            valid && names_seen.record(spanned, name, Duplicate::Name(kind), &mut self.errors);
        let variant = variant_name(spanned, explicit_variant, &mut self.errors);
        // A repeated name repeats its derived variant too: one error is enough.
        if let Some((variant, at)) = variant.as_ref().filter(|_| new_name) {
            variants_seen.record(at, variant, Duplicate::Variant(kind), &mut self.errors);
        }
        Names {
            name: name.to_owned(),
            variant: variant.map(|(variant, _)| variant).unwrap_or_default(),
        }
    }

    /// An endpoint: an absolute `https://` URL without white space or quotes.
    fn https_url(&mut self, url: &Spanned<String>) -> String {
        let text = url.get_ref();
        if !is_https_url(text) {
            self.errors.push(at(
                url,
                format!("{text:?} is not an absolute `https://` URL"),
            ));
        }
        text.clone()
    }
}

pub fn is_https_url(text: &str) -> bool {
    text.strip_prefix("https://").is_some_and(|rest| {
        !rest.is_empty()
            && !rest
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"')
    })
}

/// The generated enum an entry becomes a variant of.
#[derive(Clone, Copy)]
enum Enum {
    Resource,
    Scope,
    ProtocolScope,
    Endpoint,
}

/// What two entries share, for the wording of the error.
#[derive(Clone, Copy)]
enum Duplicate {
    Name(Enum),
    Variant(Enum),
    /// An endpoint's method and path.
    Endpoint,
}

impl Duplicate {
    fn message(self, name: &str) -> String {
        match self {
            Duplicate::Name(Enum::Resource) => format!("duplicate resource `{name}`"),
            Duplicate::Name(Enum::Scope | Enum::ProtocolScope) => {
                format!("duplicate scope `{name}`")
            }
            Duplicate::Name(Enum::Endpoint) => format!("duplicate operation `{name}`"),
            Duplicate::Endpoint => format!("duplicate endpoint `{name}`"),
            Duplicate::Variant(kind) => {
                let what = match kind {
                    Enum::Resource => "resource",
                    Enum::Scope => "scope",
                    Enum::ProtocolScope => "protocol scope",
                    Enum::Endpoint => "endpoint",
                };
                format!(
                    "duplicate {what} variant `{name}`: give one of the two its own `variant = \"...\"`"
                )
            }
        }
    }
}

/// Remembers where each name was first defined, to point duplicates at it.
#[derive(Default)]
struct FirstSeen(HashMap<String, usize>);

impl FirstSeen {
    /// Records `name`; returns whether it is new, else reports the duplicate.
    fn record(
        &mut self,
        spanned: &Spanned<String>,
        name: &str,
        duplicate: Duplicate,
        errors: &mut Vec<FileError>,
    ) -> bool {
        let offset = spanned.span().start;
        if let Some(&first) = self.0.get(name) {
            errors.push(FileError {
                first_defined_at: Some(first),
                ..FileError::new(offset, duplicate.message(name))
            });
            false
        } else {
            self.0.insert(name.to_owned(), offset);
            true
        }
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
/// from its name, with where it was written. `None` (with an error pushed)
/// when neither is usable.
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

/// An OpenAPI `operationId` that a variant can be derived from: letters
/// and digits, starting with a letter.
fn is_operation_id(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_variant_ident(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "Self"
}

#[cfg(test)]
mod tests {
    use crate::model::catalog::Catalog;
    use crate::model::scope_file::{self, AtLeastOne, FileErrors};

    /// What loading does, without the embedded file: parse, validate, and
    /// render every error as `file:line:column`.
    fn from_source(file_name: &str, source: &[u8]) -> Result<Catalog, FileErrors> {
        let raw = scope_file::parse(source)
            .map_err(|error| FileErrors::render(file_name, source, AtLeastOne::one(error)))?;
        super::validate(&raw).map_err(|errors| FileErrors::render(file_name, source, errors))
    }

    /// The rendered errors for `source`, or the scope names if it is valid.
    fn check(source: &str) -> Vec<String> {
        let source = format!("{source}{OAUTH}");
        match from_source("scopes.toml", source.as_bytes()) {
            Ok(catalog) => catalog.scopes.into_iter().map(|scope| scope.name).collect(),
            Err(errors) => errors.iter().cloned().collect(),
        }
    }

    /// A valid `[oauth]` table, appended to the cases that are not about it.
    const OAUTH: &str = "\n[oauth]\nauthorize_url = \"https://a.example/auth\"\ntoken_url = \"https://a.example/token\"\napi_base_url = \"https://api.example\"\n\n[[oauth.protocol_scope]]\nname = \"openid\"\ndescription = \"Identity.\"\n\n[api]\nversion = \"2025-06-26\"\n";

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
        let rendered = |source: String| match from_source("scopes.toml", source.as_bytes()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().cloned().collect(),
        };
        assert_eq!(
            rendered(CHAT.to_owned()),
            [
                "scopes.toml:1:1: no `[oauth]` table: add one with `authorize_url`, `token_url` and `api_base_url`",
                "scopes.toml:1:1: no `[api]` table: add one with the Fanvue API `version` the endpoints are of",
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
            let source = std::fs::read(file).expect("a readable scope file");
            let rendered = match from_source("scopes.toml", &source) {
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
                std::fs::write(&snapshot, &rendered)
                    .unwrap_or_else(|error| panic!("{}: {error}", snapshot.display()));
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
