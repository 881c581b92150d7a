//! A Fanvue MCP server in Rust: tools over Fanvue's API, each guarded by
//! the scopes of the endpoints it calls, so an MCP client that was granted
//! too little is refused with `403 insufficient_scope` and steps up. The
//! server is the authorization server its MCP clients register with
//! (`fanvue_scopes::mcp::auth`), and a Fanvue client behind it: a client
//! connects with nothing but the URL it prints.
//!
//! `cargo run -p fanvue-scopes --example mcp --features mcp-auth,grant-sqlite,testing,reqwest`
//! (or `PORT=8788 ..`). By default a stand-in Fanvue (API and authorization
//! server) runs in the same process, with no network. With
//! `FANVUE_CLIENT_ID`, `FANVUE_CLIENT_SECRET` and `MCP_PUBLIC_URL` (the
//! server's public https URL, whose `/oauth/fanvue/callback` is registered
//! for the app in the Fanvue developer area) it uses the real Fanvue, its
//! state in `MCP_DATABASE_URL` (default `sqlite://target/mcp.sqlite3`),
//! tokens sealed with `MCP_GRANT_KEYS` (`id:key`, the key 32 random bytes
//! in base64; for SQLite, by default a key made once in a file beside the
//! database, `target/mcp.grant-key`). Web pages may call it from its own origin and those in
//! `MCP_ALLOWED_ORIGINS` (comma-separated; default the MCP Inspector's,
//! `http://localhost:6274,http://127.0.0.1:6274`); any other gets `403`.

#[path = "../server/serve.rs"]
mod serve;
#[path = "tools.rs"]
mod tools;

use fanvue_scopes::grant::{FanvueClient, GrantStore, Keys};
use fanvue_scopes::testing::StandIn;
use std::sync::Arc;

/// The keys that seal the users' Fanvue tokens at rest: `MCP_GRANT_KEYS`
/// (`id:key` pairs, the current first, each key 32 random bytes in
/// base64); without it, for a SQLite database, a key made once in a file
/// beside it that only its owner reads (keep it out of the database's
/// backups). Several machines on PostgreSQL share `MCP_GRANT_KEYS`.
fn grant_keys(database: &str) -> Result<Keys, Box<dyn std::error::Error>> {
    if let Ok(keys) = std::env::var("MCP_GRANT_KEYS") {
        return Ok(Keys::parse(&keys)?);
    }
    let Some(path) = database
        .strip_prefix("sqlite://")
        .or_else(|| database.strip_prefix("sqlite:"))
        .and_then(|rest| rest.split('?').next())
    else {
        return Err(
            "set MCP_GRANT_KEYS (`id:key`, the key 32 random bytes in base64), which \
                    seals the users' Fanvue tokens at rest"
                .into(),
        );
    };
    let file = std::path::Path::new(path).with_extension("grant-key");
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let keys = Keys::in_file(&file)?;
    println!("Fanvue tokens sealed with the key in {}", file.display());
    Ok(keys)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").map_or(Ok(8788), |port| port.parse::<u16>())?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let local = format!("http://{}", listener.local_addr()?);
    let real = (
        std::env::var("FANVUE_CLIENT_ID"),
        std::env::var("FANVUE_CLIENT_SECRET"),
        std::env::var("MCP_PUBLIC_URL"),
    );
    let (base_url, upstream, _stand_in) = match real {
        (Ok(client_id), Ok(secret), Ok(public)) => {
            let public = public.trim_end_matches('/').to_owned();
            let database = std::env::var("MCP_DATABASE_URL")
                .unwrap_or_else(|_| "sqlite://target/mcp.sqlite3".to_owned());
            let keys = grant_keys(&database)?;
            let http = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let store = GrantStore::builder(keys, FanvueClient::new(&client_id, &secret, http))
                .connect(&database)
                .await?;
            let upstream = tools::Upstream {
                store: Arc::new(store),
                authorize_url: fanvue_scopes::oauth::AUTHORIZE_URL.to_owned(),
                api_base_url: fanvue_scopes::oauth::API_BASE_URL.to_owned(),
            };
            (public, upstream, None)
        }
        _ => {
            let fanvue = StandIn::start().await?;
            std::fs::create_dir_all("target")?;
            let database = format!("sqlite://target/mcp-example-{}.sqlite3", std::process::id());
            let upstream = tools::Upstream::stand_in(&fanvue, &local, &database).await?;
            (local, upstream, Some(fanvue))
        }
    };
    // Web pages allowed to call the server besides its own origin (the
    // MCP Inspector's, by default), comma-separated: any other is refused.
    let origins = std::env::var("MCP_ALLOWED_ORIGINS")
        .unwrap_or_else(|_| "http://localhost:6274,http://127.0.0.1:6274".to_owned());
    let origins: Vec<&str> = origins
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .collect();
    let app = tools::app(&base_url, &upstream, &origins)?;
    println!("MCP server: {base_url}/mcp");
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
