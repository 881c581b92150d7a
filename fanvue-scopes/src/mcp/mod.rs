//! MCP tools (rmcp 3) guarded by Fanvue scopes, so that an AI agent acting
//! on a creator's Fanvue account steps up as the MCP authorization
//! specification says (revisions 2025-11-25 and 2026-07-28, both of which
//! rmcp 3 speaks).
//!
//! - Put `#[requires(..)]` on a `#[tool]` method, above `#[tool]`, and take
//!   [`Granted`] as a parameter: rmcp reads it from the HTTP request, where
//!   the app's authentication layer left it.
//! - Serve rmcp's streamable HTTP service behind [`guard`], with a
//!   [`ToolGuard`] built from the server's tool router. It reads each
//!   JSON-RPC message (a bounded body; batches and notifications too) and
//!   answers a `tools/call` the token's scopes don't cover with HTTP `403`
//!   and `WWW-Authenticate: Bearer error="insufficient_scope", scope=".."`
//!   naming that tool's scopes (and `resource_metadata`), before rmcp sees
//!   the request; a request without a grant gets `401` naming the scopes to
//!   start with. An MCP client then steps up, and retries.
//! - A `#[requires]` tool served without the guard refuses every call,
//!   loudly: its `Granted` parameter is read only from a request the guard
//!   admitted.
//!
//! - Put [`check_origin`] in front of both, with the browser origins
//!   that may call the endpoint ([`AllowedOrigins`]): a request from any
//!   other page gets `403` before its token is read, as the MCP transport
//!   specification says, against DNS rebinding.
//!
//! A tool's requirement is found by the tool's name, which `#[requires]`
//! reads from the `#[tool]` below it (`#[tool(name = "list-chats")]`, or
//! the fn's name, rmcp's default). [`ToolGuard::new`] refuses a router
//! where a name is ambiguous, or where `#[requires]` written below a
//! renaming `#[tool]` could not see the name. It needs the `registry`
//! feature, which `rmcp` turns on. A tool's doc comment is its
//! description for the agent, so `#[requires]` adds no section to it.
//!
//! ```
//! use fanvue_scopes::mcp::ToolGuard;
//! use fanvue_scopes::{requires, scopes, Granted};
//! use rmcp::handler::server::router::tool::ToolRouter;
//! use rmcp::model::CallToolResult;
//! use rmcp::{ErrorData, tool, tool_router};
//!
//! #[derive(Clone)]
//! struct Chats;
//!
//! #[tool_router]
//! impl Chats {
//!     /// Lists the creator's chats.
//!     #[requires(calls(GET "/chats"))]
//!     #[tool(name = "list-chats")]
//!     async fn list_chats(&self, granted: Granted) -> Result<CallToolResult, ErrorData> {
//!         Ok(CallToolResult::success(vec![]))
//!     }
//! }
//!
//! let mut router: ToolRouter<Chats> = Chats::tool_router();
//! let guard = ToolGuard::new(&router)?;
//! assert_eq!(guard.requirement("list-chats").map(|r| r.all()), Some(scopes![read:chat]));
//! assert_eq!(guard.least_privilege(), scopes![read:chat]);
//! // `tools/list` shows each tool's scopes and the endpoints it calls.
//! guard.describe(&mut router);
//! let meta = router.get("list-chats").and_then(|tool| tool.meta.clone()).expect("described");
//! assert_eq!(meta.0["io.fanvue/scopes"], "read:chat");
//! # Ok::<(), fanvue_scopes::mcp::UnknownRequirement>(())
//! ```

#[cfg(feature = "mcp-auth")]
pub mod auth;

use crate::error::granted_from;
use crate::step_up::{Lacking, Registration};
use crate::{Granted, Handler, InsufficientScope, Requirement, ScopeSet, least_privilege};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, ORIGIN, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use std::fmt;
use std::sync::Arc;

/// How large a JSON-RPC request body may be, by default: 1 MiB. A tool call's
/// arguments are small; a larger body is refused unread.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The browser origins allowed to call an MCP endpoint, for
/// [`check_origin`]: a request without an `Origin` header (a client that is
/// not a web page) passes; one whose `Origin` is not listed is refused.
///
/// ```
/// use fanvue_scopes::mcp::AllowedOrigins;
///
/// let allowed = AllowedOrigins::new(["http://localhost:6274", "https://app.example"])?;
/// assert!(allowed.allows(None));
/// assert!(allowed.allows(Some("https://app.example")));
/// assert!(allowed.allows(Some("https://app.example:443")));
/// assert!(!allowed.allows(Some("http://evil.example")));
/// assert!(!allowed.allows(Some("null")));
/// # Ok::<(), fanvue_scopes::mcp::InvalidOrigin>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct AllowedOrigins(Arc<[url::Origin]>);

/// An allowed origin that is not one: no scheme and host, as
/// `https://app.example` has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidOrigin(pub String);

impl fmt::Display for InvalidOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an origin: write a scheme and host, and a port if it is not the \
             scheme's own, such as `https://app.example` or `http://localhost:6274`",
            crate::error::Shown(&self.0)
        )
    }
}

impl std::error::Error for InvalidOrigin {}

impl AllowedOrigins {
    /// No browser origin: only clients that send no `Origin` header.
    pub fn none() -> Self {
        AllowedOrigins::default()
    }

    /// These origins (`https://app.example`, `http://localhost:6274`),
    /// compared as RFC 6454 does: scheme, host and port, a scheme's default
    /// port written or not.
    pub fn new<I>(origins: I) -> Result<Self, InvalidOrigin>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        origins
            .into_iter()
            .map(|origin| {
                let origin = origin.as_ref();
                url::Url::parse(origin)
                    .ok()
                    .map(|url| url.origin())
                    .filter(url::Origin::is_tuple)
                    .ok_or_else(|| InvalidOrigin(origin.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|origins| AllowedOrigins(origins.into()))
    }

    /// Whether a request with this `Origin` header (`None`: without one)
    /// may call the endpoint. `null` and anything that is not an origin are
    /// refused.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        url::Url::parse(origin)
            .ok()
            .map(|url| url.origin())
            .is_some_and(|origin| origin.is_tuple() && self.0.contains(&origin))
    }
}

/// Refuses a request from a browser origin that `allowed` does not list,
/// with `403`, before anything else reads it: the MCP transport
/// specification's defence against DNS rebinding. As axum middleware, the
/// outermost in front of the endpoint:
/// `from_fn_with_state(allowed_origins, mcp::check_origin)`.
pub async fn check_origin(
    State(allowed): State<AllowedOrigins>,
    request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(ORIGIN).map(|value| value.to_str());
    let allowed = match origin {
        None => true,
        Some(Ok(origin)) => allowed.allows(Some(origin)),
        Some(Err(_)) => false,
    };
    if allowed {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            [(CONTENT_TYPE, "application/json")],
            r#"{"error":"forbidden_origin","error_description":"requests from this Origin are not allowed"}"#,
        )
            .into_response()
    }
}

/// Put on a request by [`guard`] once it admitted it: the mark the tools'
/// `Granted` parameter looks for. Private, so nothing else can put it there.
#[derive(Clone, Copy, Debug)]
struct ToolAdmitted;

/// Each tool of an rmcp server with the requirement its `#[requires]`
/// wrote, for [`guard`]: the HTTP-level check of every `tools/call`.
#[derive(Clone, Debug)]
pub struct ToolGuard {
    tools: Arc<[(Box<str>, Option<&'static Handler>)]>,
    resource_metadata: Option<Arc<str>>,
    max_body_bytes: usize,
}

/// A tool whose requirement is not known for sure, so no [`ToolGuard`]
/// is made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnknownRequirement {
    /// Two `#[requires]` fns could be the tool.
    Ambiguous {
        /// The tool's name.
        tool: Box<str>,
        /// The modules of the fns it could be.
        modules: Vec<&'static str>,
    },
    /// A `#[requires]` method beside the server is none of its tools by
    /// name, while no `#[requires]` fn there serves some tool: `#[requires]`
    /// written below `#[tool]` can't read a `#[tool(name = ..)]`.
    NameOutOfSight {
        /// The method's name.
        function: &'static str,
        /// Its module.
        module: &'static str,
        /// The tools no `#[requires]` fn of that module serves.
        tools: Vec<Box<str>>,
    },
}

impl fmt::Display for UnknownRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownRequirement::Ambiguous { tool, modules } => write!(
                f,
                "the tool `{tool}` could be any of the `#[requires]` fns of that name, in {}: \
                 rename one, so that each tool's requirement is known for sure",
                modules.join(", ")
            ),
            UnknownRequirement::NameOutOfSight {
                function,
                module,
                tools,
            } => write!(
                f,
                "`{module}::{function}` has `#[requires]` but is no tool of this router by its \
                 name, and no `#[requires]` fn in `{module}` serves the tool{} {}: write \
                 `#[requires]` above `#[tool]`, where it reads the name `#[tool(name = ..)]` gives",
                if tools.len() == 1 { "" } else { "s" },
                tools
                    .iter()
                    .map(|tool| format!("`{tool}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        }
    }
}

impl std::error::Error for UnknownRequirement {}

impl ToolGuard {
    /// Every tool of `router`, each with its fn's `#[requires]`, found by
    /// the tool's name (the one `#[tool]` gives, read by a `#[requires]`
    /// written above it; or the fn's) among the fns of the module of the
    /// router's type, or, for an `impl` written in another module, among
    /// the tool methods elsewhere (never a route handler of the same
    /// name). A tool without `#[requires]` needs no scope. An
    /// error when a name has more than one `#[requires]` fn there, or
    /// when a renamed tool's name was out of `#[requires]`'s sight.
    pub fn new<S: Send + Sync + 'static>(
        router: &ToolRouter<S>,
    ) -> Result<Self, UnknownRequirement> {
        // The type's path, `app::tools::Chats` (or `app::main::Chats` for a
        // type inside a fn): its tools' fns are in the longest module path
        // it starts with.
        let server = std::any::type_name::<S>();
        let within = |handler: &'static Handler| {
            server
                .strip_prefix(handler.module_path())
                .is_some_and(|rest| rest.starts_with("::"))
        };
        let serves = |handler: &'static Handler, tool: &str| {
            handler.tool().unwrap_or(handler.name()) == tool
        };
        // Elsewhere (an `impl` in another module than its type), only a
        // fn shaped like a tool: a route handler of the same name is not one.
        let tool_shaped =
            |handler: &'static Handler| handler.tool().is_some() || handler.guarded_when_called();
        let mut tools: Vec<(Box<str>, Option<&'static Handler>)> = Vec::new();
        for tool in router.list_all() {
            let named: Vec<&'static Handler> = crate::handlers()
                .filter(|handler| serves(handler, &tool.name))
                .collect();
            let deepest = named
                .iter()
                .filter(|handler| within(handler))
                .map(|handler| handler.module_path().len())
                .max();
            let here: Vec<&'static Handler> = named
                .iter()
                .copied()
                .filter(|handler| within(handler) && Some(handler.module_path().len()) == deepest)
                .collect();
            let elsewhere: Vec<&'static Handler> = named
                .iter()
                .copied()
                .filter(|handler| !within(handler) && tool_shaped(handler))
                .collect();
            let handler = match (here.as_slice(), elsewhere.as_slice()) {
                ([one], _) | ([], [one]) => Some(*one),
                ([], []) => None,
                (_, _) => {
                    let found = if here.is_empty() { &elsewhere } else { &here };
                    return Err(UnknownRequirement::Ambiguous {
                        tool: tool.name.as_ref().into(),
                        modules: found.iter().map(|handler| handler.module_path()).collect(),
                    });
                }
            };
            tools.push((tool.name.as_ref().into(), handler));
        }
        // `#[requires]` below `#[tool]` sees no `#[tool]`: its fn is found by
        // its own name, which a `#[tool(name = ..)]` makes the wrong one.
        // Such a method beside the server that serves none of its tools,
        // while a tool has no requirement there, is very likely that tool.
        let hidden = crate::handlers().find(|handler| {
            handler.tool().is_none()
                && handler.guarded_when_called()
                && within(handler)
                && !tools.iter().any(|(name, _)| serves(handler, name))
        });
        if let Some(hidden) = hidden {
            let unserved: Vec<Box<str>> = tools
                .iter()
                .filter(|(_, handler)| {
                    handler.is_none_or(|handler| handler.module_path() != hidden.module_path())
                })
                .map(|(name, _)| name.clone())
                .collect();
            if !unserved.is_empty() {
                return Err(UnknownRequirement::NameOutOfSight {
                    function: hidden.name(),
                    module: hidden.module_path(),
                    tools: unserved,
                });
            }
        }
        tools.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(ToolGuard {
            tools: tools.into(),
            resource_metadata: None,
            max_body_bytes: MAX_BODY_BYTES,
        })
    }

    /// Names the app's RFC 9728 metadata in every challenge, where an MCP
    /// client finds the authorization server to step up at.
    pub fn with_resource_metadata(mut self, url: &str) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// The most a request body may be; more is `413`, unread.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The requirement of the tool named `tool`; `None` for a tool without
    /// `#[requires]`, or an unknown one.
    pub fn requirement(&self, tool: &str) -> Option<&'static Requirement> {
        self.handler(tool).map(Handler::requirement)
    }

    fn handler(&self, tool: &str) -> Option<&'static Handler> {
        self.tools
            .binary_search_by(|(name, _)| (**name).cmp(tool))
            .ok()
            .and_then(|index| self.tools[index].1)
    }

    /// Each tool's name and requirement, by name.
    pub fn tools(&self) -> impl Iterator<Item = (&str, Option<&'static Requirement>)> {
        self.tools
            .iter()
            .map(|(name, handler)| (&**name, handler.map(Handler::requirement)))
    }

    /// The least set of scopes that lets every tool pass: the protected
    /// resource metadata's `scopes_supported`, and the scopes a client
    /// without a token is told to start with.
    pub fn least_privilege(&self) -> ScopeSet {
        least_privilege(self.tools().filter_map(|(_, requirement)| requirement))
    }

    /// Whether every tool's requirement fits within the app's Fanvue
    /// registration: call it at start-up, so that a tool that needs an
    /// unticked scope fails the start, naming the tool and the scopes.
    pub fn check_registration(&self, registration: &Registration) -> Result<(), UnregisteredTools> {
        let tools: Vec<(Box<str>, &'static Requirement)> = self
            .tools()
            .filter_map(|(name, requirement)| Some((name.into(), requirement?)))
            .filter(|(_, requirement)| !requirement.is_satisfied_by(registration.allowed()))
            .collect();
        if tools.is_empty() {
            Ok(())
        } else {
            Err(UnregisteredTools {
                tools,
                allowed: registration.allowed(),
            })
        }
    }

    /// Shows each tool's scopes and the Fanvue endpoints it calls in its
    /// `_meta` in `tools/list`, under `io.fanvue/scopes` (the scopes, as
    /// OAuth writes them, `any(..)` groups as `read:fan|read:creator`) and
    /// `io.fanvue/endpoints` (`GET /chats`, ..), so an agent and its user
    /// see what a tool will ask for.
    pub fn describe<S>(&self, router: &mut ToolRouter<S>) {
        for (name, route) in router.map.iter_mut() {
            let Some(handler) = self.handler(name) else {
                continue;
            };
            let requirement = handler.requirement();
            let mut scopes: Vec<String> = requirement.all().iter().map(|s| s.to_string()).collect();
            scopes.extend(requirement.any().iter().map(|group| {
                group
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            }));
            let endpoints: Vec<serde_json::Value> = handler
                .calls()
                .iter()
                .map(|endpoint| format!("{} {}", endpoint.method(), endpoint.path()).into())
                .collect();
            let meta = route.attr.meta.get_or_insert_with(Default::default);
            meta.0
                .insert("io.fanvue/scopes".into(), scopes.join(" ").into());
            meta.0
                .insert("io.fanvue/endpoints".into(), endpoints.into());
        }
    }

    /// `401`: no grant on the request. The challenge names the scopes to
    /// start with and, when set, the metadata (MCP authorization, 2025-11-25).
    fn unauthenticated(&self) -> Response {
        let mut challenge = String::from("Bearer");
        let mut parameter = |name: &str, value: &str| {
            challenge.push_str(if challenge.len() > 6 { ", " } else { " " });
            challenge.push_str(name);
            challenge.push('=');
            crate::response::push_quoted(&mut challenge, value);
        };
        if let Some(metadata) = &self.resource_metadata {
            parameter("resource_metadata", metadata);
        }
        let scope = self.least_privilege().to_string();
        if !scope.is_empty() {
            parameter("scope", &scope);
        }
        let mut response = (
            StatusCode::UNAUTHORIZED,
            [(CONTENT_TYPE, "application/json")],
            crate::Unauthenticated::JSON_BODY,
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }

    /// `403` with the refused tools' scopes.
    fn refused(&self, refused: &InsufficientScope) -> Response {
        let challenge = match &self.resource_metadata {
            Some(metadata) => refused.www_authenticate_with_metadata(metadata),
            None => refused.www_authenticate(),
        };
        let mut response = (
            StatusCode::FORBIDDEN,
            [(CONTENT_TYPE, "application/json")],
            refused.json_body(),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }

    /// The refusal for the `tools/call`s in `body` that `granted` does not
    /// cover, if any: read as rmcp reads the body, one JSON-RPC message or
    /// a batch of them. A body that is not JSON is rmcp's to answer.
    fn check_calls(&self, body: &[u8], granted: ScopeSet) -> Option<InsufficientScope> {
        let messages = match serde_json::from_slice::<serde_json::Value>(body).ok()? {
            serde_json::Value::Array(batch) => batch,
            single => vec![single],
        };
        let mut needed = ScopeSet::EMPTY;
        for message in &messages {
            if message.get("method").and_then(serde_json::Value::as_str) != Some("tools/call") {
                continue;
            }
            let Some(name) = message
                .get("params")
                .and_then(|params| params.get("name"))
                .and_then(serde_json::Value::as_str)
            else {
                continue;
            };
            if let Some(Err(refused)) = self.requirement(name).map(|r| r.check(granted)) {
                needed |= refused.sufficient();
            }
        }
        Requirement::from(needed).check(granted).err()
    }
}

/// Tools whose requirements the app's Fanvue registration does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnregisteredTools {
    tools: Vec<(Box<str>, &'static Requirement)>,
    allowed: ScopeSet,
}

impl UnregisteredTools {
    /// The tools, by name, and what each requires.
    pub fn tools(&self) -> impl Iterator<Item = (&str, &'static Requirement)> {
        self.tools
            .iter()
            .map(|(name, requirement)| (&**name, *requirement))
    }
}

impl fmt::Display for UnregisteredTools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the app's Fanvue registration does not allow what these tools need; tick the scopes in the Fanvue developer area:")?;
        for (name, requirement) in &self.tools {
            let lacking = Lacking::new(requirement, self.allowed);
            write!(f, "\n  tool `{name}` needs {lacking}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnregisteredTools {}

/// The HTTP-level guard in front of rmcp's streamable HTTP service, as
/// axum middleware: `from_fn_with_state(tool_guard, mcp::guard)`.
///
/// A request whose extensions carry no grant gets `401`. A `POST` (the
/// JSON-RPC messages) is read up to the guard's limit (`413` past it,
/// chunked or not, unread if its `Content-Length` says so; `400` if it
/// ends early), and a
/// `tools/call` of a tool whose requirement the grant does not meet gets
/// `403` before rmcp sees it; in a batch, one refused call refuses the
/// batch, naming every refused tool's scopes. Anything else goes to rmcp as
/// it came, unknown tools and malformed JSON included, which rmcp answers.
pub async fn guard(State(guard): State<ToolGuard>, request: Request, next: Next) -> Response {
    let extensions = request.extensions();
    let Some(granted) = granted_from(extensions.get::<Granted>(), extensions.get::<ScopeSet>())
    else {
        return guard.unauthenticated();
    };
    if request.method() != Method::POST {
        return admitted(request, next).await;
    }
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > guard.max_body_bytes as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, guard.max_body_bytes).await {
        Ok(bytes) => bytes,
        // A body with no `Content-Length` (chunked) is stopped at the limit.
        Err(error) => {
            return if error.into_inner().is::<http_body_util::LengthLimitError>() {
                StatusCode::PAYLOAD_TOO_LARGE.into_response()
            } else {
                (StatusCode::BAD_REQUEST, "the request body ended early").into_response()
            };
        }
    };
    if let Some(refused) = guard.check_calls(&bytes, granted) {
        return guard.refused(&refused);
    }
    admitted(Request::from_parts(parts, Body::from(bytes)), next).await
}

async fn admitted(mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(ToolAdmitted);
    next.run(request).await
}

/// `Granted` as a tool parameter: the grant on the HTTP request that
/// [`guard`] admitted. Anywhere else, the call fails closed, and says so on
/// stderr once.
impl<S> FromContextPart<ToolCallContext<'_, S>> for Granted {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, rmcp::ErrorData> {
        let parts = context
            .request_context
            .extensions
            .get::<axum::http::request::Parts>();
        let admitted = parts.filter(|parts| parts.extensions.get::<ToolAdmitted>().is_some());
        let Some(parts) = admitted else {
            static REPORTED: std::sync::atomic::AtomicBool =
                std::sync::atomic::AtomicBool::new(false);
            let unguarded = format!(
                "the tool `{}` takes `Granted`, but its request did not pass \
                 `fanvue_scopes::mcp::guard`, which checks a tool's scopes before it runs: \
                 serve rmcp's service behind it",
                crate::error::Shown(&context.name)
            );
            // A tool's name is the caller's: said once, so no caller floods the log.
            if !REPORTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
                eprintln!("fanvue-scopes: {unguarded} (reported once; every such call fails)");
            }
            return Err(rmcp::ErrorData::internal_error(unguarded, None));
        };
        granted_from(
            parts.extensions.get::<Granted>(),
            parts.extensions.get::<ScopeSet>(),
        )
        .map(Granted)
        .ok_or_else(|| rmcp::ErrorData::invalid_request("no credentials", None))
    }
}

/// A tool's own refusal, from its body's guard: an rmcp error naming the
/// missing scopes. Behind [`guard`] it never happens, since the call is
/// refused with HTTP `403` first.
impl From<InsufficientScope> for rmcp::ErrorData {
    fn from(refused: InsufficientScope) -> Self {
        rmcp::ErrorData::invalid_request(
            refused.to_string(),
            Some(
                serde_json::json!({ "error": "insufficient_scope", "scope": refused.sufficient().to_string() }),
            ),
        )
    }
}
