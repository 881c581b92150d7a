//! An axum server whose handlers are guarded by Fanvue scopes.
//!
//! `cargo run -p fanvue-scopes --example server --features axum [-- --port 8080]`
//! (or `PORT=8080`). It prints its routes, the least-privilege scope string
//! it would request from Fanvue, and curl commands to try; Ctrl-C stops it.

mod app;
mod serve;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

const DEFAULT_PORT: u16 = 8080;

fn main() -> ExitCode {
    let served = port().map_err(Into::into).and_then(|port| {
        tokio::runtime::Runtime::new()
            .map_err(Into::into)
            .and_then(|runtime| runtime.block_on(serve(port)))
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let address = listener.local_addr()?;
    print_banner(address);
    let shutdown = async {
        // If the signal handler can't be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve::serve(
        listener,
        app::router(Default::default()),
        serve::Limits::default(),
        shutdown,
    )
    .await;
    println!("shut down cleanly");
    Ok(())
}

/// `--port N`, else `$PORT`, else 8080; `0` picks a free port.
fn port() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let given = match (args.next().as_deref(), args.next()) {
        (Some("--port"), Some(port)) => Some(port),
        (None, _) => std::env::var("PORT").ok(),
        _ => return Err("usage: server [--port PORT]".to_owned()),
    };
    given.map_or(Ok(DEFAULT_PORT), |port| {
        port.parse()
            .map_err(|_| format!("not a port number: {port:?}"))
    })
}

fn print_banner(address: SocketAddr) {
    println!("fanvue-scopes example server on http://{address}\n");
    println!("routes and the scopes they require:");
    let routes = app::routes();
    for route in routes.listing() {
        println!("  {route}");
    }
    println!("  GET /insights (a route layer): {}", app::INSIGHTS);
    println!(
        "\nleast-privilege scope to request from Fanvue ({}):\n  scope=\"{}\"",
        fanvue_scopes::oauth::AUTHORIZE_URL,
        fanvue_scopes::oauth::authorize_scope(
            fanvue_scopes::least_privilege(
                routes.listing().iter().map(|route| route.requirement())
            )
            .union(app::INSIGHTS)
        )
    );
    println!("\ndemo tokens:");
    for (token, scopes) in app::DEMO_TOKENS {
        println!("  {token:<13} {scopes:?}");
    }
    println!("\ntry:");
    println!("  curl -i -H 'Authorization: Bearer demo-reader' http://{address}/chats      # 200");
    println!("  curl -i http://{address}/chats                                             # 401");
    println!("  curl -i -H 'Authorization: Bearer demo-reader' http://{address}/insights   # 403");
    println!(
        "  curl -i -X POST -d hello -H 'Authorization: Bearer demo-full' http://{address}/chats/7/messages   # 201"
    );
    println!("\nCtrl-C stops the server.");
}
