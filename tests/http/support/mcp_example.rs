//! The MCP example (`fanvue-scopes/examples/mcp`, included by the test as
//! `tools`) served for a test: on 127.0.0.1, over a database of the test's,
//! its grants sealed under one key of the test's, so a second server on
//! the same database (a restart, another instance) reads what the first
//! stored.

use crate::tools;
use fanvue_scopes::grant::Keys;
use fanvue_scopes::mcp::auth::AuthorizationServerBuilder;
use fanvue_scopes::testing::StandIn;

/// Serves the example on `port` (0: a free one) over the database at
/// `database_url`, with `fanvue` behind it and its authorization server
/// set up further by `tune`: its base URL and its task.
pub async fn serve(
    fanvue: &StandIn,
    database_url: &str,
    port: u16,
    tune: impl FnOnce(AuthorizationServerBuilder) -> AuthorizationServerBuilder,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let keys = Keys::new("test", [3; 32]).expect("a key");
    let upstream =
        tools::Upstream::stand_in_with(fanvue, &base, database_url, keys, "mcp-tests-secret")
            .await
            .expect("the upstream");
    let app = tools::app_with(&base, &upstream, tune).expect("the app");
    // The registration limit counts per address.
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, task)
}
