//! The example app: Fanvue-like handlers guarded by `#[requires]` and by a
//! route layer, behind a tiny demo bearer-token table.

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use fanvue_scopes::axum::RequireScopesLayer;
use fanvue_scopes::{Granted, InsufficientScope, Requirement, ScopeSet, requires, scopes};
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

/// `/insights` is guarded by a route layer rather than the attribute.
pub const INSIGHTS: ScopeSet = scopes![read:insights];

/// Every route: method, path, and the name of its handler fn.
pub const ROUTES: [(&str, &str, &str); 4] = [
    ("GET", "/me", "me"),
    ("GET", "/chats", "list_chats"),
    ("POST", "/chats/{id}/messages", "send_message"),
    ("GET", "/insights", "insights"),
];

/// What the handlers change: a test can see whether a body ran.
#[derive(Default)]
pub struct AppState {
    pub messages_sent: AtomicUsize,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/chats", get(list_chats))
        .route("/chats/{id}/messages", post(send_message))
        .route(
            "/insights",
            get(insights).route_layer(RequireScopesLayer::new(INSIGHTS)),
        )
        .layer(axum::middleware::from_fn(authenticate))
        .with_state(state)
}

/// What each route requires: the attribute's requirement from the
/// registry, or the route layer's.
pub fn requirement_of(handler: &str) -> Option<Requirement> {
    if handler == "insights" {
        return Some(Requirement::from(INSIGHTS));
    }
    fanvue_scopes::handlers()
        .find(|registered| {
            registered.name() == handler && registered.module_path() == module_path!()
        })
        .map(|registered| *registered.requirement())
}

/// Puts the scopes of a known demo token into the request extensions; a
/// request without one gets none, and the guards answer 401.
async fn authenticate(mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let granted = DEMO_TOKENS
        .iter()
        .find(|(known, _)| Some(*known) == token)
        .map(|(_, scopes)| ScopeSet::parse_lenient(scopes).known());
    if let Some(granted) = granted {
        request.extensions_mut().insert(granted);
    }
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
