//! A complete axum app guarded by Fanvue scopes: the program the README shows.
//!
//! `cargo run -p fanvue-scopes --example quickstart --features axum`, then
//! `curl -H 'Authorization: Bearer demo' localhost:3000/chats`.

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fanvue_scopes::axum::{RequireScopesLayer, bearer_token};
use fanvue_scopes::bearer::BearerError;
use fanvue_scopes::{Granted, InsufficientScope, ScopeSet, oauth, requirement_of, requires};

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
    let app = Router::new()
        .route(
            "/chats",
            get(list_chats).route_layer(RequireScopesLayer::new(requirement_of!(list_chats))),
        )
        .route(
            "/chats/{id}/messages",
            post(send_message).route_layer(RequireScopesLayer::new(requirement_of!(send_message))),
        )
        .layer(middleware::from_fn(authenticate));
    // What to ask Fanvue for at sign-in: exactly what the routes need.
    println!("authorize scope: {}", oauth::authorize_scope_for_routes());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await
}
