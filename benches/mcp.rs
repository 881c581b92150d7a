//! The MCP scope guard's cost per `tools/call`: a whole round trip on
//! loopback to the example's server (`fanvue-scopes/examples/mcp`, the tool
//! itself calling the stand-in Fanvue API), against the guard's own work on
//! the same request in process (reading the body, parsing the JSON-RPC,
//! checking the tool's requirement) with nothing behind it. A `#[requires]`
//! tool refuses every call without the guard, so the server can't be
//! served unguarded: the guard's share of a round trip is
//! `guard_alone / round_trip`.

#[path = "../fanvue-scopes/tests/support/mcp_sign_in.rs"]
mod mcp_sign_in;
#[path = "../fanvue-scopes/examples/mcp/tools.rs"]
mod tools;

use fanvue_scopes::scopes;
use fanvue_scopes::testing::StandIn;
use std::sync::LazyLock;

fn main() {
    divan::main();
}

/// One server: its `/mcp` URL, a token for it, and an initialized session.
struct Server {
    url: String,
    token: String,
    session: String,
    /// The server's authorization server, on the same store, for the
    /// authentication's own work alone.
    auth: fanvue_scopes::mcp::auth::AuthorizationServer,
}

use fanvue_scopes_benches::RUNTIME;

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(reqwest::Client::new);

fn start() -> Server {
    RUNTIME.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        let fanvue = StandIn::start().await.expect("the stand-in");
        let base = format!("http://{address}");
        let database = std::env::temp_dir().join(format!("fanvue-mcp-bench-{}.sqlite3", std::process::id()));
        let _ = std::fs::remove_file(&database);
        let upstream =
            tools::Upstream::stand_in(&fanvue, &base, &format!("sqlite://{}", database.display()))
                .await
                .expect("the upstream");
        let app = tools::app(&base, &upstream, &[]).expect("the app");
        let guard = fanvue_scopes::mcp::ToolGuard::new(&tools::FanvueTools::tool_router())
            .expect("a guard");
        let auth = fanvue_scopes::mcp::auth::AuthorizationServer::builder(
            &format!("{base}/mcp"),
            std::sync::Arc::clone(&upstream.store),
            &guard,
        )
        .build()
        .expect("the authorization server");
        // Small SSE frames go out at once, not after a delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        // A token of the server's own, got as an MCP client gets one.
        let token = mcp_sign_in::token(&base, &fanvue, scopes![read:chat]).await;
        // Kept alive with the server, for the whole run.
        std::mem::forget(fanvue);
        let url = format!("{base}/mcp");
        let initialized = post(&url, &token, None, r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#).await;
        let session = initialized
            .headers()
            .get("mcp-session-id")
            .and_then(|value| value.to_str().ok())
            .expect("a session")
            .to_owned();
        let _ = initialized.bytes().await;
        let _ = post(&url, &token, Some(&session), r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).await;
        Server {
            url,
            token,
            session,
            auth,
        }
    })
}

async fn post(
    url: &str,
    token: &str,
    session: Option<&str>,
    body: &'static str,
) -> reqwest::Response {
    let mut request = CLIENT
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body);
    if let Some(session) = session {
        request = request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-11-25");
    }
    request.send().await.expect("an answer")
}

const CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_chats","arguments":{}}}"#;

fn round_trip_to(server: &Server) -> usize {
    RUNTIME.block_on(async {
        let response = post(&server.url, &server.token, Some(&server.session), CALL).await;
        let body = response.bytes().await.expect("a body");
        assert!(body.windows(9).any(|w| w == b"listChats"), "the tool ran");
        body.len()
    })
}

static SERVER: LazyLock<Server> = LazyLock::new(start);

/// The guard with nothing behind it: a 200 for every admitted request.
static GUARD_ALONE: LazyLock<axum::Router> = LazyLock::new(|| {
    let router = tools::FanvueTools::tool_router();
    let guard = fanvue_scopes::mcp::ToolGuard::new(&router).expect("a guard");
    axum::Router::new()
        .route("/mcp", axum::routing::post(|| async { "admitted" }))
        .layer(axum::middleware::from_fn_with_state(
            guard,
            fanvue_scopes::mcp::guard,
        ))
});

/// The authentication with nothing behind it: the server's token looked
/// up, the user's Fanvue token fetched from the grant store, both as the
/// caches hold them across calls.
static AUTHENTICATE_ALONE: LazyLock<axum::Router> = LazyLock::new(|| {
    axum::Router::new()
        .route("/mcp", axum::routing::post(|| async { "admitted" }))
        .layer(axum::middleware::from_fn_with_state(
            SERVER.auth.clone(),
            fanvue_scopes::mcp::auth::authenticate,
        ))
});

#[divan::bench(sample_count = 300, sample_size = 4)]
fn round_trip() -> usize {
    round_trip_to(&SERVER)
}

#[divan::bench(sample_count = 300, sample_size = 400)]
fn authenticate_alone() -> u16 {
    use tower_service::Service;
    let request = axum::http::Request::post("/mcp")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", SERVER.token))
        .body(axum::body::Body::from(CALL))
        .expect("a request");
    let mut router = AUTHENTICATE_ALONE.clone();
    let response = RUNTIME.block_on(router.call(request)).expect("infallible");
    assert_eq!(response.status(), 200);
    response.status().as_u16()
}

#[divan::bench(sample_count = 300, sample_size = 400)]
fn guard_alone() -> u16 {
    use tower_service::Service;
    let mut request = axum::http::Request::post("/mcp")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(CALL))
        .expect("a request");
    request
        .extensions_mut()
        .insert(fanvue_scopes::Granted(scopes![read:chat]));
    let mut router = GUARD_ALONE.clone();
    let response = RUNTIME.block_on(router.call(request)).expect("infallible");
    response.status().as_u16()
}
