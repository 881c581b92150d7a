//! The validated model of `scopes.toml` (what `validate` builds and every
//! expander reads), and the look-ups the macros make in it.

use crate::model::template::Template;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub oauth: Oauth,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    /// The Fanvue API version the endpoints are those of.
    pub api_version: String,
    pub endpoints: Vec<Endpoint>,
}

/// The authorization server, and the protocol scopes every authorize
/// request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Oauth {
    pub authorize_url: String,
    pub token_url: String,
    pub api_base_url: String,
    pub protocol_scopes: Vec<ProtocolScope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub variant: String,
    /// Indices into [`Catalog::scopes`], in file order.
    pub scopes: Vec<usize>,
}

/// A resource scope: what handlers require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Its place in [`Catalog::scopes`], and its bit in a mask.
    pub index: usize,
    pub name: String,
    pub variant: String,
    pub description: String,
    /// Index into [`Catalog::resources`].
    pub resource: usize,
}

/// A scope of the OAuth exchange itself (`openid`): it belongs to no resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolScope {
    pub name: String,
    pub variant: String,
    pub description: String,
}

/// One operation of the Fanvue API, and the scopes it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub operation: String,
    pub variant: String,
    pub method: String,
    /// The template as written, `/chats/{userUuid}/messages`.
    pub path: String,
    pub template: Template,
    /// Indices into [`Catalog::scopes`], as written: all are required.
    pub scopes: Vec<usize>,
    pub summary: String,
    pub reference: Option<String>,
}

impl Endpoint {
    /// `GET /chats`, as `Endpoint` displays and `endpoint!` reads.
    pub fn method_and_path(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The HTTP methods an endpoint may have (RFC 9110 and RFC 5789).
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Why `method` is no method an endpoint may have, with what to write
/// instead; `None` for one of [`METHODS`]. `shown` is the method as the
/// message shows it, quoted as its source writes it.
pub fn method_error(method: &str, shown: &str) -> Option<String> {
    if METHODS.contains(&method) {
        return None;
    }
    let hint = match METHODS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(method))
    {
        Some(known) => format!("methods are uppercase: write `{known}`"),
        None => format!("use one of {}", METHODS.join(", ")),
    };
    Some(format!("unknown HTTP method {shown}; {hint}"))
}

/// The one wording of an unknown scope name, with its suggestion:
/// "unknown scope `read:chats`; did you mean `read:chat`?".
pub fn unknown_scope(name: &str, suggestion: Suggestion<'_>) -> String {
    match suggestion {
        Suggestion::OtherCase(known) => format!(
            "unknown scope `{name}`: OAuth scopes are case-sensitive; did you mean `{known}`?"
        ),
        Suggestion::Similar(known) => format!("unknown scope `{name}`; did you mean `{known}`?"),
        Suggestion::None => format!("unknown scope `{name}`"),
    }
}

/// What the catalog offers for a name it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion<'a> {
    /// The same name in another case: scopes are case-sensitive.
    OtherCase(&'a str),
    /// A known name a few edits away.
    Similar(&'a str),
    None,
}

impl Catalog {
    pub fn find(&self, name: &str) -> Option<&Scope> {
        self.scopes.iter().find(|scope| scope.name == name)
    }

    pub fn find_protocol_scope(&self, name: &str) -> Option<&ProtocolScope> {
        self.oauth
            .protocol_scopes
            .iter()
            .find(|scope| scope.name == name)
    }

    pub fn suggest(&self, unknown: &str) -> Suggestion<'_> {
        suggest(unknown, self.scopes.iter().map(|scope| scope.name.as_str()))
    }

    pub fn resource_of(&self, scope: &Scope) -> &Resource {
        &self.resources[scope.resource]
    }

    /// The endpoint with exactly this method and template.
    pub fn endpoint(&self, method: &str, path: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|endpoint| endpoint.method == method && endpoint.path == path)
    }

    /// Every endpoint with this exact template, one per method.
    pub fn endpoints_at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Endpoint> {
        self.endpoints
            .iter()
            .filter(move |endpoint| endpoint.path == path)
    }

    /// The template that the concrete `path` is an instance of, as
    /// `Endpoint::find` chooses it at run time: static segments first.
    pub fn template_of(&self, path: &str) -> Option<&str> {
        self.endpoints
            .iter()
            .filter_map(|endpoint| Some((endpoint.template.matches(path)?, &endpoint.path)))
            .min_by_key(|(priority, _)| *priority)
            .map(|(_, template)| template.as_str())
    }

    /// The endpoints that require the scope at `index` into [`Catalog::scopes`].
    pub fn endpoints_requiring(&self, index: usize) -> impl Iterator<Item = &Endpoint> {
        self.endpoints
            .iter()
            .filter(move |endpoint| endpoint.scopes.contains(&index))
    }
}

/// The mask of the scopes at these indices into [`Catalog::scopes`]: the
/// bits of a `ScopeSet`, whose `Scope` discriminants are those indices.
pub fn mask(indices: impl IntoIterator<Item = usize>) -> u64 {
    indices.into_iter().fold(0, |bits, index| {
        bits | 1u64.checked_shl(index as u32).unwrap_or(0)
    })
}

/// The name among `known` that `unknown` most likely meant: the same name
/// in another case, else the nearest within a third of its length in edits
/// (as rustc does for identifiers).
pub fn suggest<'a>(unknown: &str, known: impl Iterator<Item = &'a str> + Clone) -> Suggestion<'a> {
    if let Some(name) = known
        .clone()
        .find(|name| name.eq_ignore_ascii_case(unknown))
    {
        return Suggestion::OtherCase(name);
    }
    let budget = (unknown.chars().count() / 3).max(1);
    known
        .map(|name| (strsim::levenshtein(name, unknown), name))
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map_or(Suggestion::None, |(_, name)| Suggestion::Similar(name))
}
