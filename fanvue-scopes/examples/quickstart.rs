//! A complete axum app guarded by Fanvue scopes: the program the README shows.
//!
//! `cargo run -p fanvue-scopes --example quickstart --features axum` (or
//! `PORT=3001 ..` when 3000 is taken), then
//! `curl -H 'Authorization: Bearer demo' localhost:3000/chats`.

use axum::Json;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use fanvue_scopes::axum::{Routes, bearer_token};
use fanvue_scopes::bearer::BearerError;
use fanvue_scopes::{Granted, Guarded, InsufficientScope, ScopeSet, requires};

#[requires(read:chat)]
async fn list_chats(granted: Granted) -> Result<Json<Vec<&'static str>>, InsufficientScope> {
    Ok(Json(vec!["chat with a fan"]))
}

#[requires(write:chat)]
async fn send_message(granted: Granted, text: String) -> Result<String, InsufficientScope> {
    Ok(format!("sent: {text}"))
}

/// Validates the bearer token and puts what it grants into the request's
/// extensions, where `Granted` and the route guards read it. A real app
/// asks Fanvue (or checks the token it stored at sign-in) instead of
/// matching a fixed string.
async fn authenticate(mut request: Request, next: Next) -> Response {
    let granted = match bearer_token(request.headers()) {
        Ok("demo") => ScopeSet::parse_lenient("read:self read:chat").known(),
        Ok(_) => return BearerError::InvalidToken.into_response(),
        Err(refused) => return refused.into_response(),
    };
    request.extensions_mut().insert(Granted(granted));
    next.run(request).await
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // Each handler is named once; its route is guarded with its own scopes.
    let routes = Routes::new()
        .get("/chats", Guarded::new(list_chats))
        .post("/chats/{id}/messages", Guarded::new(send_message));
    // What to ask Fanvue for at sign-in: exactly what the routes need.
    println!("authorize scope: {}", routes.authorize_scope());
    let app = routes
        .into_router()
        .layer(middleware::from_fn(authenticate));
    let port = std::env::var("PORT").map_or(Ok(3000), |port| port.parse::<u16>());
    let port = port.map_err(|_| std::io::Error::other("PORT is not a port number"))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
