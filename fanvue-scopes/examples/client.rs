//! An app that calls the Fanvue API with reqwest, and asks for exactly the
//! scopes its calls need.
//!
//! ```text
//! cargo run -p fanvue-scopes --example client --features reqwest
//! ```
//!
//! Each fn that calls Fanvue says which endpoints it calls, with
//! `#[requires(calls(..))]`. From those the app builds its authorize
//! request's `scope`, and with the token's scopes its client refuses, before
//! any network I/O, a call the token can't make. It runs against the
//! stand-in Fanvue API, served in this process on 127.0.0.1: no network.

use fanvue_scopes::client::{API_VERSION_HEADER, CallCheck, ScopeCheck, call_refused};
use fanvue_scopes::testing::StandIn;
use fanvue_scopes::{
    API_VERSION, Granted, InsufficientScope, Requirement, ScopeSet, least_privilege, oauth,
    requires,
};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest_middleware::ClientWithMiddleware;
use std::time::Duration;

/// The app's Fanvue client: one user's token, and the scopes it carries.
struct Fanvue {
    http: ClientWithMiddleware,
    base_url: String,
    token: String,
}

#[derive(Debug)]
enum AppError {
    /// The user did not grant what this action needs: ask them again.
    Insufficient(InsufficientScope),
    Fanvue(reqwest_middleware::Error),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Insufficient(error) => error.fmt(f),
            AppError::Fanvue(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for AppError {}

impl From<InsufficientScope> for AppError {
    fn from(error: InsufficientScope) -> Self {
        AppError::Insufficient(error)
    }
}

impl From<reqwest_middleware::Error> for AppError {
    fn from(error: reqwest_middleware::Error) -> Self {
        AppError::Fanvue(error)
    }
}

/// Shows who is signed in.
#[requires(calls(GET "/users/me"))]
async fn whoami(granted: Granted, fanvue: &Fanvue) -> Result<String, AppError> {
    let response = fanvue
        .http
        .get(format!("{}/users/me", fanvue.base_url))
        .bearer_auth(&fanvue.token)
        .send()
        .await?;
    Ok(format!(
        "{} {}",
        response.status(),
        response.text().await.unwrap_or_default()
    ))
}

/// Answers a fan: reads the conversation, then replies.
#[requires(calls(GET "/chats/{userUuid}/messages", POST "/chats/{userUuid}/message"))]
async fn reply_to_fan(granted: Granted, fanvue: &Fanvue, fan: &str) -> Result<(), AppError> {
    let messages = format!("{}/chats/{fan}/messages", fanvue.base_url);
    fanvue
        .http
        .get(messages)
        .bearer_auth(&fanvue.token)
        .send()
        .await?;
    let reply = format!("{}/chats/{fan}/message", fanvue.base_url);
    fanvue
        .http
        .post(reply)
        .bearer_auth(&fanvue.token)
        .send()
        .await?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The authorize request asks for what the app's calls need, and no more.
    let needed = least_privilege([Requirement::of(&whoami), Requirement::of(&reply_to_fan)]);
    let scope = oauth::authorize_scope(needed);
    let scope = scope.replace(' ', "%20");
    println!(
        "authorize: {}?response_type=code&scope={scope}",
        oauth::AUTHORIZE_URL
    );

    // 2. The user consents, but unticks `write:chat`; the token response says so.
    let token_response_scope = "openid offline_access offline read:self read:chat";
    let granted = ScopeSet::parse_lenient(token_response_scope).known();
    println!("granted:   {granted}");

    // 3. The client, pointed at a stand-in Fanvue API in this process.
    let stand_in = StandIn::start().await?;
    let mut headers = HeaderMap::new();
    headers.insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    let check = ScopeCheck::with(CallCheck::new(granted).with_base_url(&stand_in.base_url())?);
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        // Every redirect hop is checked too, before it is followed.
        .redirect(check.redirect_policy())
        .build()?;
    let fanvue = Fanvue {
        http: reqwest_middleware::ClientBuilder::new(http)
            .with(check)
            .build(),
        base_url: stand_in.base_url(),
        token: stand_in.token(granted),
    };

    // 4. A call the token covers goes out.
    println!("whoami:    {}", whoami(Granted(granted), &fanvue).await?);

    // 5. One it doesn't is refused before the network, by the fn's guard...
    match reply_to_fan(Granted(granted), &fanvue, "0b7c1a9e").await {
        Err(AppError::Insufficient(refused)) => println!("reply:     refused: {refused}"),
        other => println!("reply:     unexpected: {other:?}"),
    }
    // ...and by the client, for a call made without a guarded fn.
    let sent = fanvue
        .http
        .post(format!("{}/chats/0b7c1a9e/message", fanvue.base_url))
        .bearer_auth(&fanvue.token)
        .send()
        .await;
    match sent.as_ref().err().and_then(call_refused) {
        Some(refused) => println!("send:      refused: {refused}"),
        None => println!("send:      unexpected: {sent:?}"),
    }

    println!("the stand-in saw {} request(s)", stand_in.requests());
    Ok(())
}
