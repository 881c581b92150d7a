//! "Sign in with Fanvue": a small web app a person can click through.
//!
//! `cargo run -p fanvue-scopes --example app --features axum,reqwest,oauth2,testing`
//!
//! Without configuration it serves a stand-in Fanvue (API and authorization
//! server) in the same process, so it needs no network and no account; set
//! `FANVUE_CLIENT_ID`, `FANVUE_CLIENT_SECRET` and `FANVUE_REDIRECT_URI` to
//! use the real Fanvue. Sessions live in SQLite (`APP_SESSIONS`, default
//! `target/app-sessions.sqlite3`). It prints the URL to open.

mod pages;
#[path = "../server/serve.rs"]
mod serve;
mod session;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fanvue_scopes::axum::Routes;
use fanvue_scopes::client::{CallCheck, ScopeCheck};
use fanvue_scopes::step_up::Registration;
use fanvue_scopes::testing::{Client, StandIn};
use fanvue_scopes::{
    Granted, Guarded, InsufficientScope, Requirement, ScopeSet, least_privilege, oauth, requires,
    scopes,
};
use reqwest_middleware::ClientWithMiddleware;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The scopes the app is registered for in the Fanvue developer area.
const REGISTRATION: Registration =
    Registration::new(scopes![read:self, read:chat, write:chat, read:insights]);

/// Where the app finds Fanvue, and who it is to Fanvue.
pub struct Fanvue {
    pub authorize_url: String,
    pub token_url: String,
    pub api: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

pub struct App {
    pub fanvue: Fanvue,
    pub sessions: session::Store,
    /// Calls the API; each call carries its user's `Granted` scopes.
    pub api: ClientWithMiddleware,
    /// Token requests: no middleware, no redirects.
    pub http: reqwest::Client,
}

type Shared = Arc<App>;

/// The signed-in user's session, put in the request by [`session_layer`].
#[derive(Clone)]
pub struct Session {
    pub id: Option<String>,
    pub data: session::Data,
}

impl Session {
    fn access_token(&self) -> Option<&str> {
        self.data.get("access_token").map(String::as_str)
    }
    pub fn granted(&self) -> ScopeSet {
        self.data.get("scope").map_or(ScopeSet::EMPTY, |scope| {
            ScopeSet::parse_lenient(scope).known()
        })
    }
}

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("app: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("app: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT is not a port number: {port:?}"))?,
        Err(_) => 3000,
    };
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
    let address = listener.local_addr()?;
    let (app, _stand_in) = configure(address).await?;
    let routes = routes();
    routes.check_registration(&REGISTRATION)?;
    println!("Sign in with Fanvue: open http://{address}/");
    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve::serve(
        listener,
        router(app, routes),
        serve::Limits::default(),
        shutdown,
    )
    .await;
    Ok(())
}

/// The real Fanvue from the environment, or a stand-in in this process.
pub async fn configure(
    address: SocketAddr,
) -> Result<(Shared, Option<StandIn>), Box<dyn std::error::Error>> {
    let real = (
        std::env::var("FANVUE_CLIENT_ID"),
        std::env::var("FANVUE_CLIENT_SECRET"),
        std::env::var("FANVUE_REDIRECT_URI"),
    );
    let (fanvue, stand_in) = match real {
        (Ok(client_id), Ok(client_secret), Ok(redirect_uri)) => (
            Fanvue {
                authorize_url: oauth::AUTHORIZE_URL.to_owned(),
                token_url: oauth::TOKEN_URL.to_owned(),
                api: oauth::API_BASE_URL.to_owned(),
                client_id,
                client_secret,
                redirect_uri,
            },
            None,
        ),
        _ => {
            let stand_in = StandIn::start().await?;
            let redirect_uri = format!("http://{address}/callback");
            let secret = session::new_id();
            stand_in.register_client(Client::new(
                "fanvue-app-example",
                &secret,
                &redirect_uri,
                REGISTRATION.allowed(),
            ));
            (
                Fanvue {
                    authorize_url: stand_in.authorize_url(),
                    token_url: stand_in.token_url(),
                    api: stand_in.base_url(),
                    client_id: "fanvue-app-example".to_owned(),
                    client_secret: secret,
                    redirect_uri,
                },
                Some(stand_in),
            )
        }
    };
    let path = std::env::var_os("APP_SESSIONS").map_or_else(
        || PathBuf::from("target/app-sessions.sqlite3"),
        PathBuf::from,
    );
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let sessions = session::Store::open(&path, fanvue.redirect_uri.starts_with("https://"))?;
    let check = ScopeCheck::with(CallCheck::new(ScopeSet::EMPTY).with_base_url(&fanvue.api)?);
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let api = reqwest_middleware::ClientBuilder::new(
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .redirect(check.redirect_policy())
            .build()?,
    )
    .with(check)
    .build();
    Ok((
        Arc::new(App {
            fanvue,
            sessions,
            api,
            http,
        }),
        stand_in,
    ))
}

/// The actions, each guarded by the scopes of the endpoints it calls; a
/// shortfall leads to step-up consent for just the missing scopes.
pub fn routes() -> Routes<Shared> {
    Routes::new()
        .get(
            "/actions/chats",
            Guarded::new(read_chats).on_refusal(step_up),
        )
        .post(
            "/actions/message",
            Guarded::new(send_message).on_refusal(step_up),
        )
        .get(
            "/actions/insights",
            Guarded::new(read_insights).on_refusal(step_up),
        )
}

pub fn router(app: Shared, routes: Routes<Shared>) -> Router {
    routes
        .into_router()
        .route("/", get(home))
        .route("/sign-in", get(sign_in))
        .route("/callback", get(callback))
        .route("/dashboard", get(dashboard))
        .route("/sign-out", post(sign_out))
        .layer(middleware::from_fn_with_state(app.clone(), session_layer))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .with_state(app)
}

/// The actions, as the dashboard lists them.
pub struct Action {
    pub title: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub needs: fanvue_scopes::Requirement,
}

pub const ACTIONS: [Action; 3] = [
    Action {
        title: "Read your chats",
        method: "GET",
        path: "/actions/chats",
        needs: *Requirement::of(&read_chats),
    },
    Action {
        title: "Send a message",
        method: "POST",
        path: "/actions/message",
        needs: *Requirement::of(&send_message),
    },
    Action {
        title: "Read your insights",
        method: "GET",
        path: "/actions/insights",
        needs: *Requirement::of(&read_insights),
    },
];

/// A page's answer to a shortfall: consent again for what is missing.
fn step_up(request: &Request, refused: InsufficientScope) -> Response {
    match REGISTRATION.step_up(&refused) {
        Ok(step_up) => {
            // A page reached by GET is where the user comes back to.
            let back = if request.method() == axum::http::Method::GET {
                request.uri().path()
            } else {
                "/dashboard"
            };
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("scope", &step_up.authorize_scope())
                .append_pair("return_to", back)
                .finish();
            Redirect::to(&format!("/sign-in?{query}")).into_response()
        }
        Err(error) => (
            StatusCode::FORBIDDEN,
            Html(pages::message("Not available", &error.to_string())),
        )
            .into_response(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Loads the session, refreshes its token before it expires, and puts the
/// grant and the session into the request for the handlers and guards.
async fn session_layer(State(app): State<Shared>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(session::id_in)
        .map(str::to_owned);
    let mut data = id
        .as_deref()
        .and_then(|id| app.sessions.load(id))
        .unwrap_or_default();
    let id = id.filter(|_| !data.is_empty());
    if let Some(expires) = data.get("expires_at").and_then(|at| at.parse::<u64>().ok()) {
        if expires <= unix_now() + 60 {
            // Refresh tokens rotate: the new one replaces the old, which
            // works no more. A failed refresh signs the user out.
            match refresh(&app, &data).await {
                Some(fresh) => {
                    data.extend(fresh);
                    if let Some(id) = &id {
                        let _ = app.sessions.save(Some(id), &data);
                    }
                }
                None => {
                    data.clear();
                    if let Some(id) = &id {
                        app.sessions.delete(id);
                    }
                }
            }
        }
    }
    let session = Session { id, data };
    if session.access_token().is_some() {
        request.extensions_mut().insert(Granted(session.granted()));
    } else if request.uri().path().starts_with("/actions/") {
        // A person, not an API client: to the home page to sign in, rather
        // than the guards' bare 401.
        return Redirect::to("/").into_response();
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// A token response's fields, as the session keeps them.
fn token_fields(body: &serde_json::Value) -> Option<session::Data> {
    let mut fields = session::Data::new();
    fields.insert("access_token".into(), body["access_token"].as_str()?.into());
    fields.insert(
        "scope".into(),
        body["scope"].as_str().unwrap_or_default().into(),
    );
    let lifetime = body["expires_in"].as_u64().unwrap_or(3600);
    fields.insert("expires_at".into(), (unix_now() + lifetime).to_string());
    if let Some(refresh) = body["refresh_token"].as_str() {
        fields.insert("refresh_token".into(), refresh.into());
    }
    Some(fields)
}

async fn token_request(app: &App, form: &[(&str, &str)]) -> Option<session::Data> {
    let response = app
        .http
        .post(&app.fanvue.token_url)
        .basic_auth(&app.fanvue.client_id, Some(&app.fanvue.client_secret))
        .form(form)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    token_fields(&response.json().await.ok()?)
}

async fn refresh(app: &App, data: &session::Data) -> Option<session::Data> {
    let refresh_token = data.get("refresh_token")?;
    token_request(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// Sets the session cookie on a response.
fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

async fn home(axum::Extension(session): axum::Extension<Session>) -> Response {
    if session.access_token().is_some() {
        return Redirect::to("/dashboard").into_response();
    }
    Html(pages::home()).into_response()
}

/// Starts the authorize request: a fresh `state` and PKCE verifier, kept in
/// the session until the callback.
async fn sign_in(
    State(app): State<Shared>,
    axum::Extension(mut session): axum::Extension<Session>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // The scopes to ask for: the step-up's, within the registration, or the
    // least privilege of every action.
    let wanted = query
        .get("scope")
        .map(|scope| {
            ScopeSet::parse_lenient(scope)
                .known()
                .intersection(REGISTRATION.allowed())
        })
        .unwrap_or_else(|| {
            least_privilege(ACTIONS.iter().map(|action| &action.needs)).union(scopes![read:self])
        });
    let step_up = match REGISTRATION.sign_in(wanted) {
        Ok(step_up) => step_up,
        Err(error) => {
            return (
                StatusCode::FORBIDDEN,
                Html(pages::message("Not available", &error.to_string())),
            )
                .into_response();
        }
    };
    let request = match step_up.authorize_request_at(
        &app.fanvue.authorize_url,
        &app.fanvue.client_id,
        &app.fanvue.redirect_uri,
    ) {
        Ok(request) => request,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    // Only a path of this app: never an open redirect.
    let back = query
        .get("return_to")
        .filter(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .map_or("/dashboard", String::as_str);
    session.data.insert("return_to".into(), back.to_owned());
    session.data.insert("oauth_state".into(), request.state);
    session
        .data
        .insert("pkce_verifier".into(), request.pkce_verifier);
    match app.sessions.save(session.id.as_deref(), &session.data) {
        Ok(id) => with_cookie(
            Redirect::to(&request.url).into_response(),
            &app.sessions.cookie(&id, &session.data),
        ),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The redirect back from Fanvue: `state` must be the session's (CSRF), and
/// the code is exchanged with the session's PKCE verifier.
async fn callback(
    State(app): State<Shared>,
    axum::Extension(mut session): axum::Extension<Session>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let expected = session.data.remove("oauth_state");
    let verifier = session.data.remove("pkce_verifier");
    let (Some(id), Some(expected), Some(verifier)) = (session.id.clone(), expected, verifier)
    else {
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::message(
                "Sign-in expired",
                "Start again from the home page.",
            )),
        )
            .into_response();
    };
    if query.get("state") != Some(&expected) {
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::message(
                "Sign-in refused",
                "The sign-in did not come from this browser.",
            )),
        )
            .into_response();
    }
    if let Some(error) = query.get("error") {
        let _ = app.sessions.save(Some(&id), &session.data);
        let text = if error == "access_denied" {
            "You chose not to connect your Fanvue account."
        } else {
            "Fanvue refused the sign-in."
        };
        return Html(pages::message("Not signed in", text)).into_response();
    }
    let Some(code) = query.get("code") else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", app.fanvue.redirect_uri.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let Some(tokens) = token_request(&app, &form).await else {
        return (
            StatusCode::BAD_GATEWAY,
            Html(pages::message(
                "Sign-in failed",
                "Fanvue did not issue a token.",
            )),
        )
            .into_response();
    };
    session.data.extend(tokens);
    let back = session
        .data
        .remove("return_to")
        .unwrap_or_else(|| "/dashboard".to_owned());
    match app.sessions.save(Some(&id), &session.data) {
        // Signed in now: the cookie lasts as long as the session.
        Ok(_) => with_cookie(
            Redirect::to(&back).into_response(),
            &app.sessions.cookie(&id, &session.data),
        ),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn dashboard(
    State(app): State<Shared>,
    axum::Extension(session): axum::Extension<Session>,
) -> Response {
    let Some(token) = session.access_token() else {
        return Redirect::to("/").into_response();
    };
    let granted = session.granted();
    let who = match call(&app, granted, token, reqwest::Method::GET, "/users/me").await {
        Ok(body) => serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|me| me["handle"].as_str().map(|handle| format!("@{handle}")))
            .unwrap_or_else(|| "the Fanvue account you connected".to_owned()),
        Err(_) => "a Fanvue account whose profile needs read:self".to_owned(),
    };
    Html(pages::dashboard(&who, granted)).into_response()
}

async fn sign_out(
    State(app): State<Shared>,
    axum::Extension(session): axum::Extension<Session>,
) -> Response {
    if let Some(id) = &session.id {
        app.sessions.delete(id);
    }
    with_cookie(
        Redirect::to("/").into_response(),
        &app.sessions.expired_cookie(),
    )
}

/// A call to the API with the session's token, checked against its scopes
/// before it is sent.
async fn call(
    app: &App,
    granted: ScopeSet,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> Result<String, String> {
    let response = app
        .api
        .request(method, format!("{}{path}", app.fanvue.api))
        .bearer_auth(token)
        .header(
            fanvue_scopes::client::API_VERSION_HEADER,
            fanvue_scopes::API_VERSION,
        )
        .with_extension(Granted(granted))
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|error| error.to_string())?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("Fanvue answered {status}"))
    }
}

async fn action_page(
    app: &App,
    session: &Session,
    granted: Granted,
    title: &str,
    method: reqwest::Method,
    path: &str,
) -> Response {
    let token = session.access_token().unwrap_or_default();
    let result = call(app, granted.0, token, method, path).await;
    Html(pages::action(title, &result)).into_response()
}

#[requires(calls(GET "/chats"))]
async fn read_chats(
    granted: Granted,
    State(app): State<Shared>,
    axum::Extension(session): axum::Extension<Session>,
) -> Result<Response, InsufficientScope> {
    Ok(action_page(
        &app,
        &session,
        granted,
        "Your chats",
        reqwest::Method::GET,
        "/chats",
    )
    .await)
}

#[requires(calls(POST "/chats/{userUuid}/message"))]
async fn send_message(
    granted: Granted,
    State(app): State<Shared>,
    axum::Extension(session): axum::Extension<Session>,
) -> Result<Response, InsufficientScope> {
    let path = fanvue_scopes::Endpoint::SendMessage
        .path_with(&["0b7c1a9e-demo-fan"])
        .unwrap_or_default();
    Ok(action_page(
        &app,
        &session,
        granted,
        "Message sent",
        reqwest::Method::POST,
        &path,
    )
    .await)
}

#[requires(calls(GET "/insights/earnings"))]
async fn read_insights(
    granted: Granted,
    State(app): State<Shared>,
    axum::Extension(session): axum::Extension<Session>,
) -> Result<Response, InsufficientScope> {
    Ok(action_page(
        &app,
        &session,
        granted,
        "Your insights",
        reqwest::Method::GET,
        "/insights/earnings",
    )
    .await)
}
