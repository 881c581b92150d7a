//! The example app: Fanvue-like handlers guarded by `#[requires]`, each
//! route guarded before its request is read, behind a tiny demo
//! bearer-token table.

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use fanvue_scopes::axum::{RequireScopesLayer, Routes, bearer_token};
use fanvue_scopes::bearer::BearerError;
use fanvue_scopes::{Granted, Guarded, InsufficientScope, ScopeSet, requires, scopes};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Demo bearer tokens and the scopes each was granted. A real app validates
/// tokens issued by Fanvue instead.
pub const DEMO_TOKENS: [(&str, &str); 3] = [
    (
        "demo-full",
        "openid read:self read:chat write:chat read:insights",
    ),
    ("demo-reader", "read:self read:chat"),
    ("demo-nothing", ""),
];

/// `/insights` has a plain handler, guarded by the low-level route layer.
pub const INSIGHTS: ScopeSet = scopes![read:insights];

/// The largest request body a handler reads; a message is small.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What the handlers change: a test can see whether a body ran.
#[derive(Default)]
pub struct AppState {
    pub messages_sent: AtomicUsize,
}

/// The `#[requires]` handlers' routes: each handler named once, each route
/// guarded with its own handler's requirement before its request is read.
pub fn routes() -> Routes<Arc<AppState>> {
    Routes::new()
        .get("/me", Guarded::new(me))
        .get("/chats", Guarded::new(list_chats))
        .post("/chats/{id}/messages", Guarded::new(send_message))
}

pub fn router(state: Arc<AppState>) -> Router {
    routes()
        .into_router()
        .route(
            "/insights",
            get(insights).route_layer(RequireScopesLayer::new(INSIGHTS)),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(authenticate))
        .with_state(state)
}

/// Reads the bearer token and puts the scopes of a known demo token into the
/// request extensions. No credentials: 401; malformed or duplicated ones:
/// 400; a token it does not know: 401 `invalid_token` (RFC 6750 §3.1).
async fn authenticate(mut request: Request, next: Next) -> Response {
    let token = match bearer_token(request.headers()) {
        Ok(token) => token,
        Err(refused) => return refused.into_response(),
    };
    let Some((_, scopes)) = DEMO_TOKENS.iter().find(|(known, _)| *known == token) else {
        return BearerError::InvalidToken.into_response();
    };
    let granted = ScopeSet::parse_lenient(scopes).known();
    request.extensions_mut().insert(Granted(granted));
    next.run(request).await
}

#[requires(read:self)]
async fn me(granted: Granted) -> Result<Json<Value>, InsufficientScope> {
    Ok(Json(json!({ "id": 1, "handle": "demo-creator" })))
}

#[requires(read:chat)]
async fn list_chats(granted: Granted) -> Result<Json<Value>, InsufficientScope> {
    Ok(Json(json!([{ "id": 7, "with": "a-fan", "unread": 2 }])))
}

#[requires(write:chat)]
async fn send_message(
    granted: Granted,
    State(state): State<Arc<AppState>>,
    Path(id): Path<u64>,
    text: String,
) -> Result<(StatusCode, Json<Value>), InsufficientScope> {
    let sent = state.messages_sent.fetch_add(1, Ordering::Relaxed) + 1;
    let message = json!({ "chat": id, "text": text, "sent": sent });
    Ok((StatusCode::CREATED, Json(message)))
}

async fn insights() -> Json<Value> {
    Json(json!({ "earnings": 1234, "subscribers": 56 }))
}
