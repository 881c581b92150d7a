//! A Fanvue MCP server in Rust: tools over Fanvue's API, each guarded by
//! the scopes of the endpoints it calls, so an MCP client that was granted
//! too little is refused with `403 insufficient_scope` and steps up.
//!
//! `cargo run -p fanvue-scopes --example mcp --features rmcp,testing,reqwest`
//! (or `PORT=8788 ..`), then point an MCP client at the URL it prints. A
//! stand-in Fanvue (API and authorization server) runs in the same process;
//! register the client it names (the stand-in has no dynamic client
//! registration) with the redirect URI your client uses, given as
//! `MCP_REDIRECT_URI` (default `http://127.0.0.1:6274/oauth/callback`, the
//! MCP Inspector's). Web pages may call it from its own origin and those
//! in `MCP_ALLOWED_ORIGINS` (comma-separated; default the Inspector's,
//! `http://localhost:6274,http://127.0.0.1:6274`); any other gets `403`.

#[path = "../server/serve.rs"]
mod serve;
#[path = "tools.rs"]
mod tools;

use fanvue_scopes::testing::{Client, StandIn};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").map_or(Ok(8788), |port| port.parse::<u16>())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let fanvue = StandIn::start().await?;
    let redirect = std::env::var("MCP_REDIRECT_URI")
        .unwrap_or_else(|_| "http://127.0.0.1:6274/oauth/callback".to_owned());
    let secret = format!(
        "{:x}",
        std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8)
    );
    fanvue.register_client(Client::new(
        "fanvue-mcp-example",
        &secret,
        &redirect,
        tools::REGISTRATION.allowed(),
    ));
    // Web pages allowed to call the server besides its own origin (the
    // MCP Inspector's, by default), comma-separated: any other is refused.
    let origins = std::env::var("MCP_ALLOWED_ORIGINS")
        .unwrap_or_else(|_| "http://localhost:6274,http://127.0.0.1:6274".to_owned());
    let origins: Vec<&str> = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    let app = tools::app(&base_url, fanvue.clone(), &origins)?;
    println!("MCP server: {base_url}/mcp");
    println!(
        "authorization server: {} (client id fanvue-mcp-example, secret {secret}, redirect URI {redirect})",
        fanvue.issuer()
    );
    // Served as the other examples are: deadlines for request heads and
    // bodies, capped connections, `TCP_NODELAY` (small SSE frames go out
    // at once). An SSE stream outlives its request's deadline, which ends
    // when the response starts.
    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve::serve(listener, app, serve::Limits::default(), shutdown).await;
    Ok(())
}
