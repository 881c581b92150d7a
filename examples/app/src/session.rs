//! Sessions through tower-sessions, in the app's database (SQLite, or
//! PostgreSQL to run several instances): a random id in an `HttpOnly`,
//! `SameSite=Lax` cookie (and `Secure` behind https), the data typed, in a
//! store that survives a restart. The id is cycled whenever a sign-in or a
//! step-up succeeds, so an id an attacker planted before is worth nothing
//! after. A sign-in in progress lives ten minutes, a signed-in session a
//! week without a visit; expired rows are deleted every minute.
//!
//! A session holds no token: only the key of the user's grant in the
//! grant store, which keeps the tokens sealed and refreshes them once for
//! every instance.

use axum::Router;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time;
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::sqlx::postgres::PgPoolOptions;
use tower_sessions_sqlx_store::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// How long a request waits for a database connection: a database that
/// is down is a `503` well within the request's deadline.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(5);

/// The session cookie's name.
pub const COOKIE: &str = "fanvue_app_session";
/// How long a signed-in session lives without a visit.
const SIGNED_IN: time::Duration = time::Duration::days(7);
/// How long a sign-in may take, from the first redirect to the callback.
const SIGNING_IN: time::Duration = time::Duration::minutes(10);

/// Who is signed in: the key of their grant in the grant store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignedIn {
    pub grant: String,
}

/// A sign-in on its way through Fanvue: what the callback checks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignIn {
    /// The authorize request's `state`: the callback must bring it back.
    pub state: String,
    pub pkce_verifier: String,
    /// A same-origin path to land on afterwards.
    pub return_to: String,
    /// For a step-up, the action that asked and the scopes it needs.
    pub step_up: Option<StepUpFor>,
}

/// The action a step-up is for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepUpFor {
    pub action: String,
    /// The scopes it still needs, in OAuth's form.
    pub needs: String,
}

const ACCOUNT: &str = "account";
const SIGN_IN: &str = "sign_in";
const CSRF: &str = "csrf";

/// The typed data of one session.
pub struct Data(pub Session);

impl Data {
    /// Who is signed in, if anyone; an error when the store can't be read.
    pub async fn signed_in(&self) -> Result<Option<SignedIn>, tower_sessions::session::Error> {
        self.0.get(ACCOUNT).await
    }

    /// Signs in (or keeps the grant's key, after a step-up) with a fresh
    /// session id, for a week.
    pub async fn sign_in(
        &self,
        signed_in: &SignedIn,
    ) -> Result<(), tower_sessions::session::Error> {
        self.0.cycle_id().await?;
        self.0.set_expiry(Some(Expiry::OnInactivity(SIGNED_IN)));
        self.0.insert(ACCOUNT, signed_in).await
    }

    pub async fn start_sign_in(
        &self,
        sign_in: &SignIn,
        signed_in: bool,
    ) -> Result<(), tower_sessions::session::Error> {
        if !signed_in {
            self.0.set_expiry(Some(Expiry::OnInactivity(SIGNING_IN)));
        }
        self.0.insert(SIGN_IN, sign_in).await
    }

    /// The sign-in in progress, taken: a callback is answered once.
    pub async fn take_sign_in(&self) -> Option<SignIn> {
        self.0.remove(SIGN_IN).await.ok().flatten()
    }

    /// The session's CSRF token, made on first use: forms that change
    /// state carry it back.
    pub async fn csrf_token(&self) -> Option<String> {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF).await {
            return Some(token);
        }
        let token = random_token()?;
        self.0.insert(CSRF, &token).await.ok()?;
        Some(token)
    }

    /// Whether `presented` is this session's CSRF token.
    pub async fn csrf_matches(&self, presented: &str) -> bool {
        match self.0.get::<String>(CSRF).await {
            Ok(Some(token)) => constant_time_eq(token.as_bytes(), presented.as_bytes()),
            _ => false,
        }
    }

    /// Ends the session: its row is deleted and the cookie cleared.
    pub async fn end(&self) {
        let _ = self.0.flush().await;
    }
}

/// 256 random bits from the OS, URL-safe.
pub fn random_token() -> Option<String> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// `router` with sessions in the database at `url` (`sqlite://..` or
/// `postgres://..`); `secure` marks the cookie `Secure`, for an app served
/// over https.
pub async fn apply(
    router: Router,
    url: &str,
    secure: bool,
) -> Result<Router, Box<dyn std::error::Error>> {
    if let Some(path) = crate::sqlite_path(url) {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .acquire_timeout(DATABASE_TIMEOUT)
            .connect_with(options)
            .await?;
        let store = SqliteStore::new(pool);
        store.migrate().await?;
        Ok(router.layer(layer(store, secure)))
    } else {
        let pool = PgPoolOptions::new()
            .acquire_timeout(DATABASE_TIMEOUT)
            .connect(url)
            .await?;
        let store = PostgresStore::new(pool);
        store.migrate().await?;
        Ok(router.layer(layer(store, secure)))
    }
}

/// The session layer over `store`, whose expired rows go every minute.
fn layer<S>(store: S, secure: bool) -> SessionManagerLayer<S>
where
    S: SessionStore + ExpiredDeletion + Clone,
{
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(Duration::from_secs(60)),
    );
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnInactivity(SIGNING_IN))
}
