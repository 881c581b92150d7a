//! The Fanvue MCP server's tools and its HTTP app: each tool guarded by the
//! scopes of the Fanvue endpoints it calls, rmcp's streamable HTTP service
//! behind `fanvue_scopes::mcp::guard`, and the RFC 9728 metadata MCP
//! clients discover the authorization server by. Shared by the example's
//! `main.rs` and the tests that drive it with MCP clients.

use axum::Router;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use fanvue_scopes::bearer::BearerError;
use fanvue_scopes::client::{API_VERSION_HEADER, CallCheck, ScopeCheck};
use fanvue_scopes::mcp::{self, ToolGuard};
use fanvue_scopes::step_up::Registration;
use fanvue_scopes::testing::StandIn;
use fanvue_scopes::{Endpoint, Granted, ScopeSet, requires, scopes};
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ServerCapabilities, ServerConfig};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;

/// The scopes the MCP server is registered for in the Fanvue developer area.
pub const REGISTRATION: Registration =
    Registration::new(scopes![read:self, read:chat, write:chat, read:insights]);

/// The bearer token of the request, kept for calls to Fanvue.
#[derive(Clone)]
struct Token(String);

#[derive(Clone)]
pub struct FanvueTools {
    api: reqwest_middleware::ClientWithMiddleware,
    base_url: Arc<str>,
    tool_router: ToolRouter<Self>,
}

#[derive(rmcp::serde::Deserialize, rmcp::schemars::JsonSchema)]
#[serde(crate = "rmcp::serde")]
#[schemars(crate = "rmcp::schemars")]
pub struct Message {
    /// The fan's user id.
    pub fan: String,
    /// What to say.
    pub text: String,
}

#[tool_router(vis = "pub")]
impl FanvueTools {
    /// Lists the creator's chats.
    #[requires(calls(GET "/chats"))]
    #[tool]
    async fn list_chats(
        &self,
        granted: Granted,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<CallToolResult, ErrorData> {
        self.call(granted, &parts, Endpoint::ListChats, &[], None)
            .await
    }

    /// Sends a message to a fan.
    #[requires(calls(POST "/chats/{userUuid}/message"))]
    #[tool]
    async fn send_message(
        &self,
        granted: Granted,
        Extension(parts): Extension<axum::http::request::Parts>,
        Parameters(message): Parameters<Message>,
    ) -> Result<CallToolResult, ErrorData> {
        let body = serde_json::json!({ "text": message.text });
        self.call(
            granted,
            &parts,
            Endpoint::SendMessage,
            &[&message.fan],
            Some(body),
        )
        .await
    }

    /// Reads the creator's earnings.
    #[requires(calls(GET "/insights/earnings"))]
    #[tool]
    async fn read_earnings(
        &self,
        granted: Granted,
        Extension(parts): Extension<axum::http::request::Parts>,
    ) -> Result<CallToolResult, ErrorData> {
        self.call(granted, &parts, Endpoint::GetEarnings, &[], None)
            .await
    }
}

impl FanvueTools {
    /// Calls `endpoint` of Fanvue, its path parameters `params` (an id
    /// that can't be one is refused), with the caller's token, checked
    /// against its scopes before it is sent.
    async fn call(
        &self,
        granted: Granted,
        parts: &axum::http::request::Parts,
        endpoint: Endpoint,
        params: &[&str],
        json: Option<serde_json::Value>,
    ) -> Result<CallToolResult, ErrorData> {
        let Some(Token(token)) = parts.extensions.get::<Token>() else {
            return Err(ErrorData::internal_error("no token on the request", None));
        };
        let path = endpoint
            .path_with(params)
            .ok_or_else(|| ErrorData::invalid_params("not an id Fanvue takes", None))?;
        let method = reqwest::Method::from_bytes(endpoint.method().as_bytes())
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        let mut request = self
            .api
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token)
            .header(API_VERSION_HEADER, fanvue_scopes::API_VERSION)
            .with_extension(granted);
        if let Some(json) = json {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(json.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if status.is_success() {
            Ok(CallToolResult::success(vec![ContentBlock::text(body)]))
        } else {
            Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "Fanvue answered {status}"
            ))]))
        }
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for FanvueTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }
}

/// The MCP app at `base_url` (where it is served), its tokens issued and
/// introspected by `fanvue` (the stand-in, in the same process): `/mcp`
/// behind the scope guard, called from no web page but its own origin and
/// `origins`, and the protected resource metadata.
pub fn app(
    base_url: &str,
    fanvue: StandIn,
    origins: &[&str],
) -> Result<Router, Box<dyn std::error::Error>> {
    build(base_url, fanvue, true, origins)
}

/// The same app without the scope guard: the mistake the tests show fails
/// closed (every `#[requires]` tool refuses its calls).
#[allow(dead_code)]
pub fn unguarded_app(
    base_url: &str,
    fanvue: StandIn,
) -> Result<Router, Box<dyn std::error::Error>> {
    build(base_url, fanvue, false, &[])
}

fn build(
    base_url: &str,
    fanvue: StandIn,
    guarded: bool,
    origins: &[&str],
) -> Result<Router, Box<dyn std::error::Error>> {
    let origins =
        mcp::AllowedOrigins::new(std::iter::once(base_url).chain(origins.iter().copied()))?;
    let check =
        ScopeCheck::with(CallCheck::new(ScopeSet::EMPTY).with_base_url(&fanvue.base_url())?);
    let api = reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .redirect(check.redirect_policy())
            .build()?,
    )
    .with(check)
    .build();
    let mut tool_router = FanvueTools::tool_router();
    let metadata_url = format!("{base_url}/.well-known/oauth-protected-resource/mcp");
    let guard = ToolGuard::new(&tool_router)?.with_resource_metadata(&metadata_url);
    // A tool that needs an unticked scope fails the start, by name.
    guard.check_registration(&REGISTRATION)?;
    guard.describe(&mut tool_router);
    let tools = FanvueTools {
        api,
        base_url: fanvue.base_url().into(),
        tool_router,
    };
    let service = StreamableHttpService::new(
        move || Ok(tools.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let metadata = fanvue_scopes::oauth::protected_resource_metadata_at(
        &format!("{base_url}/mcp"),
        &fanvue.issuer(),
        guard.least_privilege(),
    );
    let authenticate = {
        let fanvue = fanvue.clone();
        move |mut request: Request, next: Next| {
            let fanvue = fanvue.clone();
            let metadata_url = metadata_url.clone();
            async move {
                let token = match fanvue_scopes::axum::bearer_token(request.headers()) {
                    Ok(token) => token.to_owned(),
                    // No token: the guard's 401 names where to start.
                    Err(BearerError::Missing) => return next.run(request).await,
                    Err(refused) => return refused.into_response(),
                };
                match fanvue.introspect(&token) {
                    Some(granted) => {
                        request.extensions_mut().insert(Granted(granted));
                        request.extensions_mut().insert(Token(token));
                        next.run(request).await
                    }
                    None => invalid_token(&metadata_url),
                }
            }
        }
    };
    // Route layers: a path that is no route is a plain 404, never a challenge.
    let mut mcp = Router::new().nest_service("/mcp", service);
    if guarded {
        mcp = mcp.route_layer(middleware::from_fn_with_state(guard, mcp::guard));
    }
    let mcp = mcp
        .route_layer(middleware::from_fn(authenticate))
        .route_layer(middleware::from_fn_with_state(origins, mcp::check_origin));
    let metadata = get(move || {
        let metadata = metadata.clone();
        async move { ([(CONTENT_TYPE, "application/json")], metadata) }
    });
    // RFC 9728 §3.1 puts the metadata of `{base_url}/mcp` at the path
    // form; MCP clients that find no `resource_metadata` in the challenge
    // try the root form after it, and `/mcp` is this origin's only resource.
    Ok(Router::new()
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            metadata.clone(),
        )
        .route("/.well-known/oauth-protected-resource", metadata)
        .merge(mcp))
}

/// `401 invalid_token`, naming the metadata: the client signs in again.
fn invalid_token(metadata_url: &str) -> Response {
    let challenge = format!("Bearer error=\"invalid_token\", resource_metadata=\"{metadata_url}\"");
    let mut response = BearerError::InvalidToken.into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(axum::http::header::WWW_AUTHENTICATE, value);
    }
    response
}
