//! The Fanvue MCP server's tools and its HTTP app: each tool guarded by the
//! scopes of the Fanvue endpoints it calls, rmcp's streamable HTTP service
//! behind `fanvue_scopes::mcp::guard`, and the server as the authorization
//! server its clients register with (`fanvue_scopes::mcp::auth`), Fanvue
//! behind it: a tool calls Fanvue with the user's Fanvue token, never with
//! the MCP client's. Shared by the example's `main.rs` and the tests that
//! drive it with MCP clients.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::middleware;
use fanvue_scopes::client::{API_VERSION_HEADER, CallCheck, ScopeCheck};
use fanvue_scopes::grant::{FanvueClient, GrantStore, Keys};
use fanvue_scopes::mcp::auth::{
    AuthorizationServer, AuthorizationServerBuilder, ClientDocuments, FanvueAccess,
};
use fanvue_scopes::mcp::{self, ToolGuard};
use fanvue_scopes::step_up::Registration;
use fanvue_scopes::testing::{Client, StandIn};
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
        // The user's Fanvue token, which the authorization server put on
        // the request; never the MCP client's.
        let Some(fanvue) = parts.extensions.get::<FanvueAccess>() else {
            return Err(ErrorData::internal_error(
                "no Fanvue access on the request",
                None,
            ));
        };
        let path = endpoint
            .path_with(params)
            .ok_or_else(|| ErrorData::invalid_params("not an id Fanvue takes", None))?;
        let method = reqwest::Method::from_bytes(endpoint.method().as_bytes())
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        let mut request = self
            .api
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(fanvue.bearer())
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

/// Where the MCP server finds Fanvue, and keeps its state.
pub struct Upstream {
    /// The grant store: the server's registrations, codes and tokens, and
    /// each user's Fanvue grant.
    pub store: Arc<GrantStore>,
    /// Fanvue's authorize URL.
    pub authorize_url: String,
    /// Fanvue's API.
    pub api_base_url: String,
}

impl Upstream {
    /// A stand-in Fanvue as upstream: the server registered there as an app
    /// is in the Fanvue developer area, its callback at `base_url`, its
    /// state in the database at `database`, sealed with a key of this
    /// process's.
    pub async fn stand_in(
        fanvue: &StandIn,
        base_url: &str,
        database: &str,
    ) -> Result<Upstream, Box<dyn std::error::Error>> {
        let secret = format!("{:x}", u128::from_le_bytes(random_key()[..16].try_into()?));
        let keys = Keys::new("example", random_key())?;
        Upstream::stand_in_with(fanvue, base_url, database, keys, &secret).await
    }

    /// The same with the grant store's `keys` and the app's `secret` at
    /// the stand-in given: a second server on the same database and
    /// stand-in (a restart, another instance) reads what the first stored.
    pub async fn stand_in_with(
        fanvue: &StandIn,
        base_url: &str,
        database: &str,
        keys: Keys,
        secret: &str,
    ) -> Result<Upstream, Box<dyn std::error::Error>> {
        fanvue.register_client(Client::new(
            "fanvue-mcp-example",
            secret,
            &format!("{base_url}/oauth/fanvue/callback"),
            REGISTRATION.allowed(),
        ));
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let client = FanvueClient::new("fanvue-mcp-example", secret, http)
            .with_endpoints(&fanvue.token_url(), &fanvue.revocation_url())?;
        let store = GrantStore::builder(keys, client).connect(database).await?;
        Ok(Upstream {
            store: Arc::new(store),
            authorize_url: fanvue.authorize_url(),
            api_base_url: fanvue.base_url(),
        })
    }
}

/// 32 random bytes from the standard library's randomly keyed hashers: a
/// key for the stand-in's grants, which live as long as the process. With
/// the real Fanvue, the keys come from the configuration.
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    for (index, chunk) in key.chunks_mut(8).enumerate() {
        let random = std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            index,
        );
        chunk.copy_from_slice(&random.to_le_bytes());
    }
    key
}

/// The MCP app at `base_url` (where it is served): `/mcp` behind the
/// server's own tokens and the scope guard, called from no web page but
/// its own origin and `origins`, and the authorization server's routes.
pub fn app(
    base_url: &str,
    upstream: &Upstream,
    origins: &[&str],
) -> Result<Router, Box<dyn std::error::Error>> {
    build(base_url, upstream, true, origins, |auth| auth)
}

/// The same app, its authorization server set up further by `tune`.
#[allow(dead_code)]
pub fn app_with(
    base_url: &str,
    upstream: &Upstream,
    tune: impl FnOnce(AuthorizationServerBuilder) -> AuthorizationServerBuilder,
) -> Result<Router, Box<dyn std::error::Error>> {
    build(base_url, upstream, true, &[], tune)
}

/// The same app without the scope guard: the mistake the tests show fails
/// closed (every `#[requires]` tool refuses its calls).
#[allow(dead_code)]
pub fn unguarded_app(
    base_url: &str,
    upstream: &Upstream,
) -> Result<Router, Box<dyn std::error::Error>> {
    build(base_url, upstream, false, &[], |auth| auth)
}

fn build(
    base_url: &str,
    upstream: &Upstream,
    guarded: bool,
    origins: &[&str],
    tune: impl FnOnce(AuthorizationServerBuilder) -> AuthorizationServerBuilder,
) -> Result<Router, Box<dyn std::error::Error>> {
    let origins =
        mcp::AllowedOrigins::new(std::iter::once(base_url).chain(origins.iter().copied()))?;
    let check =
        ScopeCheck::with(CallCheck::new(ScopeSet::EMPTY).with_base_url(&upstream.api_base_url)?);
    let api = reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .redirect(check.redirect_policy())
            .build()?,
    )
    .with(check)
    .build();
    let mut tool_router = FanvueTools::tool_router();
    let tool_guard = ToolGuard::new(&tool_router)?;
    // A tool that needs an unticked scope fails the start, by name.
    tool_guard.check_registration(&REGISTRATION)?;
    let auth = tune(
        AuthorizationServer::builder(
            &format!("{base_url}/mcp"),
            Arc::clone(&upstream.store),
            &tool_guard,
        )
        .fanvue_authorize_url(&upstream.authorize_url)
        // Clients may name themselves by the https URL of their metadata
        // document (the MCP specification's preference), fetched from
        // public addresses only.
        .client_metadata_documents(ClientDocuments::new(reqwest::Client::builder())?),
    )
    .build()?;
    let guard = tool_guard.with_resource_metadata(&auth.resource_metadata_url());
    guard.describe(&mut tool_router);
    let tools = FanvueTools {
        api,
        base_url: upstream.api_base_url.as_str().into(),
        tool_router,
    };
    let service = StreamableHttpService::new(
        move || Ok(tools.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    // Route layers: a path that is no route is a plain 404, never a challenge.
    let mut mcp = Router::new().nest_service("/mcp", service);
    if guarded {
        mcp = mcp.route_layer(middleware::from_fn_with_state(guard, mcp::guard));
    }
    let mcp = mcp
        .route_layer(middleware::from_fn_with_state(
            auth.clone(),
            mcp::auth::authenticate,
        ))
        .route_layer(middleware::from_fn_with_state(origins, mcp::check_origin));
    Ok(auth.router().merge(mcp))
}
