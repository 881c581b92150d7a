//! "Sign in with Fanvue": a small web app a person can click through, and
//! one written to be copied.
//!
//! `cargo run -p fanvue-app-example`
//!
//! Without configuration it serves a stand-in Fanvue (API and authorization
//! server) in the same process, so it needs no network and no account; set
//! `FANVUE_CLIENT_ID`, `FANVUE_CLIENT_SECRET` and `FANVUE_REDIRECT_URI` to
//! use the real Fanvue (and `FANVUE_STAND_IN` to use a stand-in another
//! process serves, as the tests of several instances do). It listens on
//! 127.0.0.1:3000 (`PORT` picks another), keeps its sessions and its users'
//! Fanvue grants in one database (`APP_DATABASE_URL`: a SQLite file by
//! default, `target/app.sqlite3`; `postgres://..` to run several
//! instances), the tokens sealed with `APP_GRANT_KEYS`, and prints the URL
//! to open.

mod pages;
mod return_to;
mod serve;
mod session;

use axum::Router;
use axum::extract::{Form, Query, Request, State};
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use fanvue_scopes::axum::Routes;
use fanvue_scopes::client::{CallCheck, ScopeCheck, call_refused};
use fanvue_scopes::grant::{FanvueClient, Grant, GrantError, GrantStore, Keys};
use fanvue_scopes::step_up::Registration;
use fanvue_scopes::testing::{Client, StandIn};
use fanvue_scopes::{
    Endpoint, Granted, Guarded, InsufficientScope, Requirement, ScopeSet, least_privilege, oauth,
    requires, scopes,
};
use reqwest_middleware::ClientWithMiddleware;
use serde::Deserialize;
use session::{Data, SignIn, SignedIn, StepUpFor};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tower_sessions::Session;

/// The scopes the app is registered for in the Fanvue developer area.
const REGISTRATION: Registration =
    Registration::new(scopes![read:self, read:chat, write:chat, read:insights]);

/// Where the app keeps its sessions and its users' grants, by default.
const DATABASE_URL: &str = "sqlite://target/app.sqlite3";

/// Where the app finds Fanvue, and who it is to Fanvue.
pub struct Fanvue {
    pub authorize_url: String,
    pub token_url: String,
    pub revocation_url: String,
    pub api: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

pub struct App {
    pub fanvue: Fanvue,
    /// The app's own origin, which `return_to` must stay on.
    pub origin: url::Url,
    /// Calls the API; each call carries its user's `Granted` scopes.
    pub api: ClientWithMiddleware,
    /// Token requests at sign-in: no middleware, no redirects.
    pub http: reqwest::Client,
    /// Each signed-in user's Fanvue grant: tokens sealed, refreshed once
    /// however many requests and instances find them due together.
    pub grants: GrantStore,
}

/// A signed-in request's account: the key of its grant, and a token valid
/// for a minute at least, fresh from the grant store.
#[derive(Clone)]
pub struct Account {
    pub grant: String,
    pub token: fanvue_scopes::grant::Token,
}

impl Account {
    /// The resource scopes the token grants.
    pub fn granted(&self) -> ScopeSet {
        self.token.scopes()
    }
}

type Shared = Arc<App>;

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
    let database = std::env::var("APP_DATABASE_URL").unwrap_or_else(|_| DATABASE_URL.to_owned());
    let (app, _stand_in) = configure(address, &database).await?;
    let routes = routes();
    routes.check_registration(&REGISTRATION)?;
    let secure = app.fanvue.redirect_uri.starts_with("https://");
    let router = session::apply(router(app, routes), &database, secure).await?;
    println!("Sign in with Fanvue: open http://{address}/");
    let shutdown = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve::serve(listener, router, serve::Limits::default(), shutdown).await;
    Ok(())
}

/// The file of a `sqlite:` URL (`sqlite://target/app.sqlite3`); `None`
/// for another database.
pub fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(Path::new(rest.split('?').next().unwrap_or(rest)))
}

/// The keys that seal the tokens at rest: `APP_GRANT_KEYS` (`id:base64`
/// pairs, the current first). Without it, on a SQLite file with the
/// stand-in, a key of this machine's, made once in a file beside the
/// database that only its owner reads: enough to try the app, not to run
/// it with real users.
fn grant_keys(database: &str, real_fanvue: bool) -> Result<Keys, Box<dyn std::error::Error>> {
    if let Ok(keys) = std::env::var("APP_GRANT_KEYS") {
        return Ok(Keys::parse(&keys)?);
    }
    let Some(path) = sqlite_path(database).filter(|_| !real_fanvue) else {
        return Err(
            "set APP_GRANT_KEYS (`id:key`, the key 32 random bytes in base64), \
                    which seals the users' Fanvue tokens at rest"
                .into(),
        );
    };
    let file = path.with_extension("grant-key");
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(Keys::in_file(&file)?)
}

/// The real Fanvue from the environment (or a stand-in another process
/// serves, at `FANVUE_STAND_IN`), or a stand-in in this process; the
/// grants in the database at `database`.
pub async fn configure(
    address: SocketAddr,
    database: &str,
) -> Result<(Shared, Option<StandIn>), Box<dyn std::error::Error>> {
    let real = (
        std::env::var("FANVUE_CLIENT_ID"),
        std::env::var("FANVUE_CLIENT_SECRET"),
        std::env::var("FANVUE_REDIRECT_URI"),
    );
    let (fanvue, stand_in) = match real {
        (Ok(client_id), Ok(client_secret), Ok(redirect_uri))
            if std::env::var("FANVUE_STAND_IN").is_ok() =>
        {
            let base = std::env::var("FANVUE_STAND_IN")?;
            let base = base.trim_end_matches('/');
            (
                Fanvue {
                    authorize_url: format!("{base}/oauth2/auth"),
                    token_url: format!("{base}/oauth2/token"),
                    revocation_url: format!("{base}/oauth2/revoke"),
                    api: base.to_owned(),
                    client_id,
                    client_secret,
                    redirect_uri,
                },
                None,
            )
        }
        (Ok(client_id), Ok(client_secret), Ok(redirect_uri)) => {
            // Fanvue's authorization server is Ory Hydra: revocation sits
            // beside the token endpoint.
            let revocation_url = url::Url::parse(oauth::TOKEN_URL)?
                .join("revoke")?
                .to_string();
            (
                Fanvue {
                    authorize_url: oauth::AUTHORIZE_URL.to_owned(),
                    token_url: oauth::TOKEN_URL.to_owned(),
                    revocation_url,
                    api: oauth::API_BASE_URL.to_owned(),
                    client_id,
                    client_secret,
                    redirect_uri,
                },
                None,
            )
        }
        _ => {
            let stand_in = StandIn::start().await?;
            let redirect_uri = format!("http://{address}/callback");
            let secret = session::random_token().ok_or("no randomness from the OS")?;
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
                    revocation_url: stand_in.revocation_url(),
                    api: stand_in.base_url(),
                    client_id: "fanvue-app-example".to_owned(),
                    client_secret: secret,
                    redirect_uri,
                },
                Some(stand_in),
            )
        }
    };
    let origin = url::Url::parse(&fanvue.redirect_uri)?.join("/")?;
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
    let real_fanvue = std::env::var("FANVUE_CLIENT_ID").is_ok();
    let keys = grant_keys(database, real_fanvue && stand_in.is_none())?;
    if let Some(path) = sqlite_path(database) {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
    }
    // The token requests' client, as Fanvue's refreshes and revocations
    // are made by the grant store: its timeout shorter than the store's
    // wait for another's refresh (30 s).
    let client = FanvueClient::new(&fanvue.client_id, &fanvue.client_secret, http.clone())
        .with_endpoints(&fanvue.token_url, &fanvue.revocation_url)?;
    let grants = GrantStore::builder(keys, client).connect(database).await?;
    Ok((
        Arc::new(App {
            fanvue,
            origin,
            api,
            http,
            grants,
        }),
        stand_in,
    ))
}

/// The actions, each guarded by the scopes of the endpoints it calls; a
/// shortfall leads to a page that says what the action needs.
pub fn routes() -> Routes<Shared> {
    Routes::new()
        .get(
            READ_CHATS.path,
            Guarded::new(read_chats).on_refusal(explain_step_up),
        )
        .post(
            SEND_MESSAGE.path,
            Guarded::new(send_message).on_refusal(explain_step_up),
        )
        .get(
            READ_INSIGHTS.path,
            Guarded::new(read_insights).on_refusal(explain_step_up),
        )
}

pub fn router(app: Shared, routes: Routes<Shared>) -> Router {
    routes
        .into_router()
        .route("/", get(home))
        .route("/sign-in", get(sign_in))
        .route("/step-up", get(step_up_page))
        .route("/callback", get(callback))
        .route("/dashboard", get(dashboard))
        .route("/api/me", get(api_me))
        .route("/sign-out", post(sign_out))
        .layer(middleware::from_fn_with_state(app.clone(), account_layer))
        // Every page here is someone's: none is kept by a browser's or a
        // proxy's cache, so Back after sign-out shows nothing private.
        .layer(middleware::map_response(|mut response: Response| async {
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .with_state(app)
}

/// The actions, as the dashboard lists them.
pub struct Action {
    /// Its id in `/step-up?action=..` and in element ids.
    pub id: &'static str,
    pub title: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub needs: &'static Requirement,
}

const READ_CHATS: Action = Action {
    id: "chats",
    title: "Read your chats",
    method: "GET",
    path: "/actions/chats",
    needs: Requirement::of(&read_chats),
};

const SEND_MESSAGE: Action = Action {
    id: "message",
    title: "Send a message",
    method: "POST",
    path: "/actions/message",
    needs: Requirement::of(&send_message),
};

const READ_INSIGHTS: Action = Action {
    id: "insights",
    title: "Read your insights",
    method: "GET",
    path: "/actions/insights",
    needs: Requirement::of(&read_insights),
};

pub const ACTIONS: [Action; 3] = [READ_CHATS, SEND_MESSAGE, READ_INSIGHTS];

fn action_by_path(path: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|action| action.path == path)
}

fn action_by_id(id: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|action| action.id == id)
}

/// `303 See Other` to a path of this app. Never panics: a value that is no
/// header value goes to the dashboard instead.
fn see_other(path: &str) -> Response {
    let location = HeaderValue::from_str(path)
        .unwrap_or_else(|_| HeaderValue::from_static(return_to::DEFAULT));
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

/// A page's answer to a shortfall: say what the action needs and why,
/// before sending anyone to Fanvue.
fn explain_step_up(request: &Request, _refused: InsufficientScope) -> Response {
    match action_by_path(request.uri().path()) {
        Some(action) => see_other(&format!("/step-up?action={}", action.id)),
        None => see_other(return_to::DEFAULT),
    }
}

/// Loads the account with a token valid for a minute at least, which the
/// grant store refreshes when it is due (once, however many requests and
/// instances find it so), and puts the grant into the request for the
/// guards.
async fn account_layer(
    State(app): State<Shared>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let data = Data(session);
    let signed_in = match data.signed_in().await {
        Ok(signed_in) => signed_in,
        // The database is down: nobody is signed out for it.
        Err(_) => return unavailable(),
    };
    let account = match signed_in {
        Some(SignedIn { grant }) => match app.grants.token(&grant).await {
            Ok(token) => Some(Account { grant, token }),
            // Fanvue ended the grant: the session ends, with "sign in again".
            // An API call gets `401`, for its page to send the user to sign in.
            Err(error) if error.is_sign_in_again() => {
                data.end().await;
                if request.uri().path().starts_with("/api/") {
                    return api_error(StatusCode::UNAUTHORIZED, "sign_in_again");
                }
                return see_other("/?ended=1");
            }
            // Fanvue or the database unavailable, or a refresh elsewhere
            // that took too long: nothing is lost, try again soon.
            Err(error) if error.is_transient() => return unavailable(),
            Err(error) => {
                eprintln!("app: the grant store: {error}");
                return page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::message(
                        "Something is wrong here",
                        "This app can't read its users' Fanvue grants; its operator has been told.",
                    ),
                );
            }
        },
        None => None,
    };
    match &account {
        Some(account) => {
            request.extensions_mut().insert(Granted(account.granted()));
            request.extensions_mut().insert(account.clone());
        }
        // A person, not an API client: to the home page to sign in, rather
        // than the guards' bare 401.
        None if request.uri().path().starts_with("/actions/") => return see_other("/"),
        None => {}
    }
    next.run(request).await
}

/// How soon to try again when Fanvue or the database is unavailable.
const RETRY_AFTER_SECONDS: &str = "5";

/// `503` with `Retry-After`: Fanvue or the database can't be reached just
/// now; the user stays signed in.
fn unavailable() -> Response {
    let mut response = page(
        StatusCode::SERVICE_UNAVAILABLE,
        pages::message(
            "Try again in a moment",
            "Fanvue, or this app's database, is not answering just now. You are still signed in.",
        ),
    );
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECONDS),
    );
    response
}

/// Exchanges a code at Fanvue's token endpoint: the grant it issued.
async fn exchange_code(app: &App, form: &[(&str, &str)]) -> Option<Grant> {
    let response = app
        .http
        .post(&app.fanvue.token_url)
        // Form-encoded, as RFC 6749 §2.3.1 says and Fanvue decodes them.
        .basic_auth(
            form_encode(&app.fanvue.client_id),
            Some(form_encode(&app.fanvue.client_secret)),
        )
        .form(form)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    Grant::from_json(&response.bytes().await.ok()?).ok()
}

fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Deserialize)]
struct HomeQuery {
    ended: Option<String>,
}

async fn home(
    account: Option<axum::Extension<Account>>,
    Query(query): Query<HomeQuery>,
) -> Response {
    if account.is_some() {
        return see_other("/dashboard");
    }
    page(StatusCode::OK, pages::home(query.ended.is_some()))
}

#[derive(Deserialize)]
struct SignInQuery {
    /// The action a step-up is for.
    action: Option<String>,
    return_to: Option<String>,
}

/// Starts the authorize request: a fresh `state` and PKCE verifier, kept in
/// the session until the callback. For a step-up, it asks for what the
/// token has plus what the action needs.
async fn sign_in(
    State(app): State<Shared>,
    session: Session,
    account: Option<axum::Extension<Account>>,
    Query(query): Query<SignInQuery>,
) -> Response {
    let granted = account
        .as_ref()
        .map_or(ScopeSet::EMPTY, |account| account.granted());
    let action = query.action.as_deref().and_then(action_by_id);
    let (wanted, step_up, back) = match action {
        Some(action) => match action.needs.check(granted) {
            Ok(()) => return see_other(action_landing(action)),
            Err(refused) => match REGISTRATION.step_up(&refused) {
                Ok(step_up) => (
                    step_up.scopes(),
                    Some(StepUpFor {
                        action: action.id.to_owned(),
                        needs: refused.missing().to_string(),
                    }),
                    action_landing(action).to_owned(),
                ),
                Err(error) => {
                    return page(
                        StatusCode::FORBIDDEN,
                        pages::message("Not available", &error.to_string()),
                    );
                }
            },
        },
        None => {
            let everything = least_privilege(ACTIONS.iter().map(|action| action.needs));
            let back = query
                .return_to
                .as_deref()
                .and_then(|path| return_to::same_origin_path(&app.origin, path))
                .unwrap_or_else(|| return_to::DEFAULT.to_owned());
            (everything.union(scopes![read:self]), None, back)
        }
    };
    let request = match REGISTRATION.sign_in(wanted).map(|step_up| {
        step_up.authorize_request_at(
            &app.fanvue.authorize_url,
            &app.fanvue.client_id,
            &app.fanvue.redirect_uri,
        )
    }) {
        Ok(Ok(request)) => request,
        Ok(Err(_)) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Err(error) => {
            return page(
                StatusCode::FORBIDDEN,
                pages::message("Not available", &error.to_string()),
            );
        }
    };
    let sign_in = SignIn {
        state: request.state,
        pkce_verifier: request.pkce_verifier,
        return_to: back,
        step_up,
    };
    match Data(session)
        .start_sign_in(&sign_in, account.is_some())
        .await
    {
        Ok(()) => see_other(&request.url),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Where an action lands after a step-up: a page reached by GET is where
/// the user comes back to; a POST's is the dashboard.
fn action_landing(action: &Action) -> &'static str {
    if action.method == "GET" {
        action.path
    } else {
        return_to::DEFAULT
    }
}

#[derive(Deserialize)]
struct StepUpQuery {
    action: String,
}

/// What `action` needs that `granted` lacks.
fn missing(action: &Action, granted: ScopeSet) -> ScopeSet {
    action
        .needs
        .check(granted)
        .err()
        .map(|refused| refused.missing())
        .unwrap_or_default()
}

/// What an action needs and why, before the user is sent to Fanvue.
async fn step_up_page(
    account: Option<axum::Extension<Account>>,
    Query(query): Query<StepUpQuery>,
) -> Response {
    let (Some(account), Some(action)) = (account, action_by_id(&query.action)) else {
        return see_other("/");
    };
    match action.needs.check(account.granted()) {
        Ok(()) => see_other(action_landing(action)),
        Err(refused) => page(StatusCode::OK, pages::step_up(action, refused.missing())),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// The redirect back from Fanvue: `state` must be the session's (CSRF), and
/// the code is exchanged with the session's PKCE verifier.
async fn callback(
    State(app): State<Shared>,
    session: Session,
    account: Option<axum::Extension<Account>>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let data = Data(session);
    let Some(sign_in) = data.take_sign_in().await else {
        return page(
            StatusCode::BAD_REQUEST,
            pages::message("Sign-in expired", "Start again from the home page."),
        );
    };
    if query.state.as_deref() != Some(sign_in.state.as_str()) {
        return page(
            StatusCode::BAD_REQUEST,
            pages::message(
                "Sign-in refused",
                "The sign-in did not come from this browser.",
            ),
        );
    }
    let step_up_action = sign_in
        .step_up
        .as_ref()
        .and_then(|step_up| action_by_id(&step_up.action));
    if let Some(error) = query.error {
        return match (account.is_some(), step_up_action, error.as_str()) {
            // Deny at a step-up: signed in as before, without that action.
            (true, Some(action), _) => {
                let held = account.as_ref().map(|account| account.granted());
                let missing = missing(action, held.unwrap_or_default());
                page(StatusCode::OK, pages::declined(action, missing, false))
            }
            (_, _, "access_denied") => page(
                StatusCode::OK,
                pages::message(
                    "Not signed in",
                    "You chose not to connect your Fanvue account.",
                ),
            ),
            _ => page(
                StatusCode::BAD_GATEWAY,
                pages::message("Not signed in", "Fanvue refused the sign-in."),
            ),
        };
    }
    let Some(code) = query.code else {
        return page(
            StatusCode::BAD_REQUEST,
            pages::message("Sign-in refused", "Fanvue sent no code."),
        );
    };
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", app.fanvue.redirect_uri.as_str()),
        ("code_verifier", sign_in.pkce_verifier.as_str()),
    ];
    let Some(grant) = exchange_code(&app, &form).await else {
        return page(
            StatusCode::BAD_GATEWAY,
            pages::message("Sign-in failed", "Fanvue did not issue a token."),
        );
    };
    // A step-up's grant replaces the old one under its key; a sign-in's
    // gets a key of its own.
    let key = match (&account, session::random_token()) {
        (Some(axum::Extension(account)), _) => account.grant.clone(),
        (None, Some(key)) => key,
        (None, None) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    match app.grants.put(&key, &grant).await {
        Ok(()) => {}
        Err(error) if error.is_transient() => return unavailable(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    // A new session id for the signed-in session: one planted before
    // sign-in is worth nothing now.
    if data.sign_in(&SignedIn { grant: key }).await.is_err() {
        return unavailable();
    }
    // A step-up the user declined again: say so, and carry on without the
    // action, rather than send them round the loop.
    if let Some(action) = step_up_action {
        if !action.needs.is_satisfied_by(grant.scopes()) {
            let missing = missing(action, grant.scopes());
            return page(StatusCode::OK, pages::declined(action, missing, true));
        }
    }
    see_other(&sign_in.return_to)
}

async fn dashboard(
    State(app): State<Shared>,
    session: Session,
    account: Option<axum::Extension<Account>>,
) -> Response {
    let Some(axum::Extension(account)) = account else {
        return see_other("/");
    };
    let data = Data(session);
    let who = match call(&app, &account, Endpoint::GetCurrentUser, &[]).await {
        Called::Ok(me) => me["handle"]
            .as_str()
            .map(|handle| format!("@{handle}"))
            .unwrap_or_else(|| "your Fanvue account".to_owned()),
        Called::Ended => {
            data.end().await;
            return see_other("/?ended=1");
        }
        Called::Refused | Called::Failed(_) => "your Fanvue account".to_owned(),
    };
    let Some(csrf) = data.csrf_token().await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    page(
        StatusCode::OK,
        pages::dashboard(&who, account.granted(), &csrf),
    )
}

/// `GET /api/me`: the signed-in user's Fanvue handle and the scopes they
/// granted, as JSON, for a page's script. Signed out, or the grant ended at
/// Fanvue: `401` with `error` saying which, never a redirect to a page.
async fn api_me(
    State(app): State<Shared>,
    session: Session,
    account: Option<axum::Extension<Account>>,
) -> Response {
    let Some(axum::Extension(account)) = account else {
        return api_error(StatusCode::UNAUTHORIZED, "sign_in");
    };
    match call(&app, &account, Endpoint::GetCurrentUser, &[]).await {
        Called::Ok(me) => json(
            StatusCode::OK,
            &serde_json::json!({
                "handle": me["handle"],
                "scopes": account.granted().to_string(),
            }),
        ),
        Called::Ended => {
            Data(session).end().await;
            api_error(StatusCode::UNAUTHORIZED, "sign_in_again")
        }
        Called::Refused => api_error(StatusCode::FORBIDDEN, "insufficient_scope"),
        Called::Failed(_) => api_error(StatusCode::BAD_GATEWAY, "fanvue_failed"),
    }
}

/// An API error: `status`, and `{"error": error}`.
fn api_error(status: StatusCode, error: &str) -> Response {
    json(status, &serde_json::json!({ "error": error }))
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: String,
}

/// Signs out: only with the session's CSRF token, so no other site can;
/// the token is revoked at Fanvue, then the session ends.
async fn sign_out(
    State(app): State<Shared>,
    session: Session,
    account: Option<axum::Extension<Account>>,
    form: Result<Form<SignOutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let data = Data(session);
    let presented = form.map(|Form(form)| form.csrf).unwrap_or_default();
    if !data.csrf_matches(&presented).await {
        return page(
            StatusCode::FORBIDDEN,
            pages::message(
                "Not signed out",
                "That sign-out did not come from this app's page. Use the button on your dashboard.",
            ),
        );
    }
    if let Some(axum::Extension(account)) = account {
        // Revoked at Fanvue (the refresh token ends the whole grant), then
        // deleted. If Fanvue can't be reached, the user stays signed in and
        // is told to try again: a sign-out that left the grant alive at
        // Fanvue would not be one.
        match app.grants.sign_out(&account.grant).await {
            Ok(()) | Err(GrantError::SignInAgain { .. }) => {}
            Err(error) if error.is_transient() => return unavailable(),
            Err(error) => {
                eprintln!("app: sign-out: {error}");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    }
    data.end().await;
    see_other("/")
}

/// A call's outcome, as a page tells it.
enum Called {
    Ok(serde_json::Value),
    /// Fanvue no longer honours the token: the session is over.
    Ended,
    /// Refused for scope, by the check before sending or by Fanvue.
    Refused,
    Failed(String),
}

/// A call to `endpoint` of the API, its path parameters `params`, with the
/// session's token, checked against its scopes before it is sent.
async fn call(app: &App, account: &Account, endpoint: Endpoint, params: &[&str]) -> Called {
    let (Some(path), Ok(method)) = (
        endpoint.path_with(params),
        reqwest::Method::from_bytes(endpoint.method().as_bytes()),
    ) else {
        return Called::Failed(format!("no call to {} with {params:?}", endpoint.path()));
    };
    let sent = app
        .api
        .request(method, format!("{}{path}", app.fanvue.api))
        .bearer_auth(account.token.secret())
        .header(
            fanvue_scopes::client::API_VERSION_HEADER,
            fanvue_scopes::API_VERSION,
        )
        .with_extension(Granted(account.granted()))
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return match call_refused(&error) {
                Some(_) => Called::Refused,
                None => Called::Failed("Fanvue could not be reached".to_owned()),
            };
        }
    };
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Called::Ended;
    }
    if !status.is_success() {
        return Called::Failed(format!("Fanvue answered {status}"));
    }
    match response.json().await {
        Ok(body) => Called::Ok(body),
        Err(_) => Called::Failed("Fanvue's answer was not JSON".to_owned()),
    }
}

async fn action_page(
    app: &App,
    session: Session,
    account: &Account,
    action: &Action,
    endpoint: Endpoint,
    params: &[&str],
) -> Response {
    match call(app, account, endpoint, params).await {
        Called::Ok(body) => page(StatusCode::OK, pages::result(action, &body)),
        Called::Ended => {
            Data(session).end().await;
            see_other("/?ended=1")
        }
        // Fanvue wants more than the app thought: the same explanation.
        Called::Refused => see_other(&format!("/step-up?action={}", action.id)),
        Called::Failed(problem) => page(
            StatusCode::BAD_GATEWAY,
            pages::message(action.title, &problem),
        ),
    }
}

#[requires(calls(GET "/chats"))]
async fn read_chats(
    granted: Granted,
    State(app): State<Shared>,
    session: Session,
    axum::Extension(account): axum::Extension<Account>,
) -> Result<Response, InsufficientScope> {
    Ok(action_page(
        &app,
        session,
        &account,
        &READ_CHATS,
        Endpoint::ListChats,
        &[],
    )
    .await)
}

#[requires(calls(POST "/chats/{userUuid}/message"))]
async fn send_message(
    granted: Granted,
    State(app): State<Shared>,
    session: Session,
    axum::Extension(account): axum::Extension<Account>,
) -> Result<Response, InsufficientScope> {
    Ok(action_page(
        &app,
        session,
        &account,
        &SEND_MESSAGE,
        Endpoint::SendMessage,
        &["0b7c1a9e-demo-fan"],
    )
    .await)
}

#[requires(calls(GET "/insights/earnings"))]
async fn read_insights(
    granted: Granted,
    State(app): State<Shared>,
    session: Session,
    axum::Extension(account): axum::Extension<Account>,
) -> Result<Response, InsufficientScope> {
    Ok(action_page(
        &app,
        session,
        &account,
        &READ_INSIGHTS,
        Endpoint::GetEarnings,
        &[],
    )
    .await)
}

#[cfg(test)]
mod tests {
    //! The app in this process, beside the stand-in it configured, so a
    //! test can see what Fanvue saw.

    use super::*;
    use fanvue_scopes::testing::Consent;

    /// The app on a free port, with a fresh database; a browser-like
    /// client (cookies, redirects) signed in through the scripted consent,
    /// its token living `lifetime`; and the dashboard it landed on.
    async fn signed_in(lifetime: Duration) -> (String, StandIn, reqwest::Client, String) {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("a port");
        let address = listener.local_addr().expect("an address");
        let file = std::env::temp_dir().join(format!(
            "fanvue-app-unit-{}-{}.sqlite3",
            std::process::id(),
            address.port()
        ));
        let _ = std::fs::remove_file(&file);
        let database = format!("sqlite://{}", file.display());
        let (app, stand_in) = configure(address, &database).await.expect("configured");
        let stand_in = stand_in.expect("no FANVUE_* here: the stand-in");
        stand_in.set_consent(Consent::Grant(scopes![read:self, read:chat]));
        stand_in.set_token_lifetime(lifetime);
        let router = session::apply(router(app, routes()), &database, false)
            .await
            .expect("sessions");
        tokio::spawn(async move { axum::serve(listener, router).await });
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("a client");
        let base = format!("http://{address}");
        let dashboard = browser
            .get(format!("{base}/sign-in"))
            .send()
            .await
            .expect("signed in")
            .text()
            .await
            .expect("the dashboard");
        assert!(dashboard.contains("Sign out"), "{dashboard}");
        (base, stand_in, browser, dashboard)
    }

    #[test]
    fn sign_out_revokes_the_token_at_fanvue() {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let (base, stand_in, browser, dashboard) = signed_in(Duration::from_secs(3600)).await;
            assert_eq!(stand_in.live_tokens(), 1);
            let csrf = dashboard
                .split("name=\"csrf\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("the form's token")
                .to_owned();
            let home = browser
                .post(format!("{base}/sign-out"))
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .expect("signed out");
            assert!(home.url().path() == "/", "{}", home.url());
            assert_eq!(stand_in.live_tokens(), 0, "revoked at Fanvue");
        });
    }

    /// The API answers JSON: the user's handle while the grant lives; once
    /// Fanvue ended it (the user removed the app there), `401
    /// sign_in_again` at the next refresh, then `401 sign_in`: the session
    /// is over, never a redirect to a page.
    #[test]
    fn an_api_call_is_answered_401_once_fanvue_ended_the_grant() {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let (base, stand_in, browser, _) = signed_in(Duration::from_secs(61)).await;
            let me = |browser: reqwest::Client| {
                let url = format!("{base}/api/me");
                async move {
                    let response = browser.get(url).send().await.expect("an answer");
                    let status = response.status();
                    let body: serde_json::Value = response.json().await.expect("JSON");
                    (status, body)
                }
            };
            let (status, body) = me(browser.clone()).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(body["handle"].is_string(), "{body}");
            assert_eq!(body["scopes"], "read:self read:chat");
            stand_in.revoke_client_grants("fanvue-app-example");
            // Two whole seconds on, the token is due, and the refresh fails.
            tokio::time::sleep(Duration::from_millis(2100)).await;
            let (status, body) = me(browser.clone()).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("sign_in_again"))
            );
            let (status, body) = me(browser).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (StatusCode::UNAUTHORIZED, Some("sign_in"))
            );
        });
    }

    #[test]
    fn the_readme_says_when_tokens_are_refreshed() {
        let readme = include_str!("../../../README.md");
        assert_eq!(
            fanvue_scopes::grant::DEFAULT_MARGIN,
            Duration::from_secs(60)
        );
        assert!(readme.contains("tokens refreshed a minute before they expire"));
    }

    /// Two tabs, a prefetch: requests of one session that find the token
    /// due at once. Each refreshing with the same refresh token would be
    /// reuse, which Fanvue answers by revoking the grant.
    #[test]
    fn concurrent_requests_share_one_refresh_and_stay_signed_in() {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            // The sign-in's token is due (it lives less than the store's
            // minute of margin); the refreshed one lives an hour.
            let (base, stand_in, browser, _) = signed_in(Duration::from_secs(50)).await;
            stand_in.set_token_lifetime(Duration::from_secs(3600));
            let before = stand_in.refreshes();
            let burst: Vec<_> = (0..16)
                .map(|_| tokio::spawn(browser.get(format!("{base}/dashboard")).send()))
                .collect();
            for request in burst {
                let response = request.await.expect("joined").expect("answered");
                let url = response.url().clone();
                let page = response.text().await.expect("a page");
                assert_eq!(url.path(), "/dashboard", "still signed in: {page}");
                assert!(page.contains("Sign out"), "{page}");
            }
            assert_eq!(stand_in.refreshes(), before + 1, "one refresh");
            assert_eq!(stand_in.refresh_reuses(), 0);
            assert_eq!(
                stand_in.live_tokens(),
                1,
                "the grant lives, with one access token"
            );
            let again = browser
                .get(format!("{base}/dashboard"))
                .send()
                .await
                .expect("answered");
            assert_eq!(again.url().path(), "/dashboard");
        });
    }
}
