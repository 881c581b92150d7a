//! Fanvue grants that outlive a process and a machine: each user's access
//! and refresh tokens, the scopes they grant, when they expire and whose
//! they are, kept in SQLite (`grant-sqlite`) or PostgreSQL
//! (`grant-postgres`), sealed at rest, and refreshed once per rotation
//! however many processes share the database.
//!
//! Fanvue rotates refresh tokens and revokes the whole grant when one is
//! used twice (Ory Hydra takes a reuse as theft). So two requests that find
//! a token due together, in one process or on two machines, must not both
//! refresh: [`GrantStore::token`] takes the database's lock on the grant for
//! the whole exchange with Fanvue (SQLite's write lock, PostgreSQL's row
//! lock), and a request that waited reads the grant again and uses the new
//! token. The database releases the lock when its holder dies, so there is
//! no lease to run out in the middle of a request.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use fanvue_scopes::grant::{FanvueClient, Grant, GrantStore, Keys};
//!
//! let keys = Keys::parse(&std::env::var("APP_GRANT_KEYS")?)?;
//! let fanvue = FanvueClient::new("client-id", "client-secret", reqwest::Client::new());
//! let store = GrantStore::builder(keys, fanvue)
//!     .connect("sqlite://grants.sqlite3")
//!     .await?;
//! # let body: &[u8] = b"{}";
//! // After sign-in (or a step-up), from Fanvue's token response:
//! store.put("fanvue-user-id", &Grant::from_json(body)?).await?;
//! // Before each call to Fanvue: a token valid for a minute at least,
//! // refreshed when it is due, and the scopes for `Granted`.
//! let token = store.token("fanvue-user-id").await?;
//! # let _ = (token.secret(), token.granted());
//! // Sign-out: revoked at Fanvue, then deleted.
//! store.sign_out("fanvue-user-id").await?;
//! # Ok(()) }
//! ```
//!
//! What can go wrong is typed ([`GrantError`]): a grant Fanvue ended is
//! "sign in again"; Fanvue unreachable, slow, `5xx` or `429` is transient,
//! and the grant is kept as it was; the database unreachable is
//! transient too (answer `503` with `Retry-After`), and signs nobody out.
//!
//! One window can't be closed by any store: Fanvue rotated the token, and
//! its answer was lost (the process killed, the connection cut) before the
//! new tokens were committed. The next refresh presents the old refresh
//! token, Fanvue revokes the grant, and the user is asked to sign in again,
//! once. The store makes that window as short as the exchange itself.

#[cfg(not(any(feature = "grant-sqlite", feature = "grant-postgres")))]
compile_error!(
    "the grant store keeps grants in a database: enable `grant-sqlite` or `grant-postgres`, \
     not `grant` alone"
);

mod cache;
mod db;
mod fanvue;
mod seal;
#[cfg(feature = "mcp-auth")]
pub(crate) mod sql;

pub use fanvue::FanvueClient;
pub(crate) use fanvue::Refreshed;
pub use seal::{InvalidKeys, Keys};

use crate::{Granted, ScopeSet};
use db::{Db, MIGRATIONS, Migration, Row};
use fanvue::Revocation;
use oauth2::TokenResponse as _;
use seal::SealError;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long before it expires a token is refreshed, by default.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(60);
/// How long a request waits for another's refresh of the same grant, by
/// default; longer than a token request to Fanvue takes.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// How long the store waits for a database connection, by default: a
/// database that is down is [`GrantError::Store`] after this, and the app
/// answers `503` well within a request's deadline.
pub const DEFAULT_DATABASE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a fresh token is served from memory, by default: what another
/// instance changes on purpose (a sign-out, a step-up) is seen within it.
pub const DEFAULT_CACHE_TIME: Duration = Duration::from_secs(2);
/// The longest key a grant is stored under, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// One user's grant, as Fanvue's token response gave it: the tokens, the
/// scopes granted, when the access token expires (from `expires_in`, at
/// receipt), and the ID token's subject where there is one.
#[derive(Clone, PartialEq, Eq)]
pub struct Grant {
    access_token: String,
    refresh_token: Option<String>,
    scopes: ScopeSet,
    expires_at: u64,
    subject: Option<String>,
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the tokens.
        f.debug_struct("Grant")
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .field("subject", &self.subject)
            .field("refreshable", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// A token response the store can't keep, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidTokenResponse(String);

impl fmt::Display for InvalidTokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the token response can't be kept: {}", self.0)
    }
}

impl std::error::Error for InvalidTokenResponse {}

/// How long an access token lives when a response leaves `expires_in`
/// out; Fanvue always sends it.
const LIFETIME_UNSTATED: u64 = 3600;

impl Grant {
    /// From a token response's JSON body (RFC 6749 §5.1): `access_token`,
    /// `refresh_token`, `expires_in`, `scope` (its known scopes; unknown
    /// and protocol scopes are left out) and the subject of `id_token`.
    ///
    /// The ID token is read, not verified: verify it with your OpenID
    /// Connect client before you trust who it names.
    pub fn from_json(body: &[u8]) -> Result<Grant, InvalidTokenResponse> {
        #[derive(serde::Deserialize)]
        struct Body {
            access_token: String,
            token_type: String,
            refresh_token: Option<String>,
            expires_in: Option<u64>,
            scope: Option<String>,
            id_token: Option<String>,
        }
        let body: Body = serde_json::from_slice(body)
            .map_err(|error| InvalidTokenResponse(format!("not a token response ({error})")))?;
        if !body.token_type.eq_ignore_ascii_case("bearer") {
            return Err(InvalidTokenResponse(format!(
                "the token type is `{}`, not `bearer`",
                crate::error::Shown(&body.token_type)
            )));
        }
        if body.access_token.is_empty() {
            return Err(InvalidTokenResponse("the access token is empty".to_owned()));
        }
        let subject = match body.id_token {
            Some(id_token) => Some(subject_of(&id_token)?),
            None => None,
        };
        Ok(Grant {
            expires_at: expires_at(unix_now(), body.expires_in),
            scopes: body.scope.map_or(ScopeSet::EMPTY, |scope| {
                ScopeSet::parse_lenient(&scope).known()
            }),
            access_token: body.access_token,
            refresh_token: body.refresh_token.filter(|token| !token.is_empty()),
            subject,
        })
    }

    /// From the `oauth2` crate's token response, received now. It carries
    /// no ID token: give its subject with [`with_subject`](Self::with_subject).
    pub fn from_oauth2<EF, TT>(response: &oauth2::StandardTokenResponse<EF, TT>) -> Grant
    where
        EF: oauth2::ExtraTokenFields,
        TT: oauth2::TokenType,
    {
        Grant::from_oauth2_at(response, unix_now())
    }

    pub(crate) fn from_oauth2_at<EF, TT>(
        response: &oauth2::StandardTokenResponse<EF, TT>,
        now: u64,
    ) -> Grant
    where
        EF: oauth2::ExtraTokenFields,
        TT: oauth2::TokenType,
    {
        Grant {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|token| token.secret().clone()),
            scopes: response.scopes().map_or(ScopeSet::EMPTY, |scopes| {
                crate::oauth::token_response_scopes(scopes)
            }),
            expires_at: expires_at(
                now,
                response.expires_in().map(|lifetime| lifetime.as_secs()),
            ),
            subject: None,
        }
    }

    /// The same grant, for the user `subject` names (an ID token's `sub`).
    pub fn with_subject(mut self, subject: &str) -> Grant {
        self.subject = Some(subject.to_owned());
        self
    }

    /// The scopes granted.
    pub fn scopes(&self) -> ScopeSet {
        self.scopes
    }

    /// When the access token expires.
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at)
    }

    /// The ID token's subject, where there was one.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }
}

/// `expires_in` seconds from `now`, without overflow.
fn expires_at(now: u64, expires_in: Option<u64>) -> u64 {
    now.saturating_add(expires_in.unwrap_or(LIFETIME_UNSTATED))
}

/// The `sub` of a JWT, read and not verified.
fn subject_of(id_token: &str) -> Result<String, InvalidTokenResponse> {
    use base64::Engine;
    #[derive(serde::Deserialize)]
    struct Claims {
        sub: String,
    }
    let invalid = || InvalidTokenResponse("the ID token is not a JWT with a `sub`".to_owned());
    let payload = id_token.split('.').nth(1).ok_or_else(invalid)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid())?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| invalid())?;
    Ok(claims.sub)
}

/// An access token valid for at least the store's margin, and what it
/// grants.
#[derive(Clone)]
pub struct Token {
    secret: String,
    scopes: ScopeSet,
    expires_at: u64,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("scopes", &self.scopes)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// The access token, for `Authorization: Bearer ..` on calls to Fanvue.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The scopes it grants.
    pub fn scopes(&self) -> ScopeSet {
        self.scopes
    }

    /// The grant for the route guards and the outgoing-call check.
    pub fn granted(&self) -> Granted {
        Granted(self.scopes)
    }

    /// When it expires.
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at)
    }
}

/// Why the store could not give a token, keep a grant or sign a user out.
#[derive(Debug)]
#[non_exhaustive]
pub enum GrantError {
    /// There is no grant under the key, or Fanvue ended it (`invalid_grant`
    /// at a refresh: revoked, expired, or a refresh token used twice). The
    /// user signs in again: a page redirects to sign-in, an API answers `401`.
    SignInAgain {
        /// What Fanvue said, or that there is no grant.
        reason: String,
    },
    /// Fanvue gave no answer about the grant: unreachable, too slow, a
    /// `5xx` or a `429`. The grant is kept as it was; try again later.
    FanvueUnavailable {
        /// What happened.
        reason: String,
    },
    /// Fanvue refused the app itself (`invalid_client`, say): its
    /// registration or credentials are wrong. The grant is kept.
    Refused {
        /// What Fanvue said.
        reason: String,
    },
    /// Another request's refresh of this grant held it past the store's
    /// wait ([`GrantStoreBuilder::wait`]). Nothing changed; try again.
    Busy,
    /// The database failed or could not be reached. Nothing changed; the
    /// app answers `503` with `Retry-After`, and signs nobody out.
    Store(sqlx::Error),
    /// A sealed token could not be opened: no key of this id is configured,
    /// or the key under this id is not the one that sealed it. Nothing was
    /// changed or overwritten.
    Sealed {
        /// The id of the key the row names.
        key_id: String,
        /// Whether a key of that id is configured at all.
        configured: bool,
    },
    /// The database holds a schema a newer version of this crate wrote:
    /// it is left as it is.
    NewerSchema {
        /// The schema version found.
        found: i64,
        /// The newest this version knows.
        known: i64,
    },
    /// The URL names a database this build has no backend for: enable
    /// `grant-sqlite` for `sqlite:` URLs, `grant-postgres` for `postgres:`.
    UnsupportedDatabase {
        /// The URL's scheme.
        url_scheme: String,
    },
    /// The key is empty or longer than [`MAX_KEY_LEN`] bytes.
    InvalidKey,
    /// The OS gave no random bytes to seal with.
    NoRandomness,
}

impl GrantError {
    /// Whether the same call may succeed later, with nothing lost: Fanvue
    /// or the database unavailable, or a refresh that took too long.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GrantError::FanvueUnavailable { .. } | GrantError::Busy | GrantError::Store(_)
        )
    }

    /// Whether the user must sign in again.
    pub fn is_sign_in_again(&self) -> bool {
        matches!(self, GrantError::SignInAgain { .. })
    }
}

impl fmt::Display for GrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantError::SignInAgain { reason } => {
                write!(f, "the Fanvue grant is over ({reason}): sign in again")
            }
            GrantError::FanvueUnavailable { reason } => write!(
                f,
                "Fanvue did not answer the refresh ({reason}); the grant is kept, try again"
            ),
            GrantError::Refused { reason } => write!(
                f,
                "Fanvue refused the app's request ({reason}); check its client id and secret"
            ),
            GrantError::Busy => f.write_str(
                "another request's refresh of this grant took longer than the store waits; try again",
            ),
            GrantError::Store(error) => write!(f, "the grant store is unavailable: {error}"),
            GrantError::Sealed {
                key_id,
                configured: false,
            } => write!(
                f,
                "a token is sealed under the key `{key_id}`, which is not configured: add it to the keys"
            ),
            GrantError::Sealed {
                key_id,
                configured: true,
            } => write!(
                f,
                "the key configured as `{key_id}` does not open a token sealed under that id: \
                 another key has its id, or the row was changed"
            ),
            GrantError::NewerSchema { found, known } => write!(
                f,
                "the grant store's schema is version {found}, written by a newer fanvue-scopes; \
                 this one knows up to {known}, and leaves it as it is"
            ),
            GrantError::UnsupportedDatabase { url_scheme } => write!(
                f,
                "no grant store backend for `{}:` URLs in this build: enable `grant-sqlite` \
                 for `sqlite:`, `grant-postgres` for `postgres:`",
                crate::error::Shown(url_scheme)
            ),
            GrantError::InvalidKey => write!(
                f,
                "a grant's key is 1 to {MAX_KEY_LEN} bytes, such as the Fanvue user id"
            ),
            GrantError::NoRandomness => f.write_str("the OS gave no random bytes to seal with"),
        }
    }
}

impl std::error::Error for GrantError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            GrantError::Store(error) => Some(error),
            _ => None,
        }
    }
}

impl From<SealError> for GrantError {
    fn from(error: SealError) -> Self {
        match error {
            SealError::UnknownKey { key_id } => GrantError::Sealed {
                key_id,
                configured: false,
            },
            SealError::Open { key_id } => GrantError::Sealed {
                key_id,
                configured: true,
            },
            SealError::NoRandomness => GrantError::NoRandomness,
        }
    }
}

/// Sets up a [`GrantStore`]: `GrantStore::builder(keys, fanvue)`, then
/// [`connect`](Self::connect).
#[derive(Debug)]
#[must_use]
pub struct GrantStoreBuilder {
    keys: Keys,
    fanvue: FanvueClient,
    margin: Duration,
    wait: Duration,
    database_timeout: Duration,
    cache_time: Duration,
}

impl GrantStoreBuilder {
    /// How long before it expires a token is refreshed; by default
    /// [`DEFAULT_MARGIN`].
    pub fn margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// How long a request waits for another's refresh of the same grant
    /// before [`GrantError::Busy`]; by default [`DEFAULT_WAIT`]. Keep it
    /// longer than the HTTP client's timeout for Fanvue.
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How long a fresh token is served from this process's memory, with
    /// no database read; by default [`DEFAULT_CACHE_TIME`], zero for none.
    /// A token is served from memory only while it stays fresh for the
    /// margin and this time together, so no instance refreshes it (which
    /// revokes it at Fanvue) meanwhile; a sign-out or a step-up on another
    /// instance is seen here within this time.
    pub fn cache_time(mut self, time: Duration) -> Self {
        self.cache_time = time;
        self
    }

    /// How long to wait for a database connection before
    /// [`GrantError::Store`]; by default [`DEFAULT_DATABASE_TIMEOUT`].
    pub fn database_timeout(mut self, timeout: Duration) -> Self {
        self.database_timeout = timeout;
        self
    }

    /// Connects to the database at `url` and brings its schema up to date:
    /// `sqlite://path/grants.sqlite3` (made if missing) with `grant-sqlite`,
    /// `postgres://user@host/db` with `grant-postgres`.
    pub async fn connect(self, url: &str) -> Result<GrantStore, GrantError> {
        self.connect_migrating(url, MIGRATIONS).await
    }

    async fn connect_migrating(
        self,
        url: &str,
        migrations: &[Migration],
    ) -> Result<GrantStore, GrantError> {
        let db = Db::connect(url, self.wait, self.database_timeout).await?;
        db.migrate(migrations).await?;
        Ok(GrantStore {
            db,
            keys: self.keys,
            fanvue: self.fanvue,
            margin: self.margin,
            wait: self.wait,
            refreshing: std::sync::Mutex::default(),
            cache: cache::Cache::new(self.cache_time),
        })
    }
}

/// The grant store: see [the module](self).
pub struct GrantStore {
    db: Db,
    keys: Keys,
    fanvue: FanvueClient,
    margin: Duration,
    wait: Duration,
    /// The grants this process is refreshing: its requests for one grant
    /// wait here, holding no database connection, and one of them takes
    /// the database's lock.
    refreshing: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    cache: cache::Cache,
}

impl fmt::Debug for GrantStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantStore")
            .field("keys", &self.keys)
            .field("fanvue", &self.fanvue)
            .field("margin", &self.margin)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// What a sealed value is bound to: its row and its field.
fn context(key: &str, field: &str) -> Vec<u8> {
    format!("fanvue-scopes grant\0{field}\0{key}").into_bytes()
}

impl GrantStore {
    /// A store for the app `fanvue` is, its tokens sealed with `keys`.
    pub fn builder(keys: Keys, fanvue: FanvueClient) -> GrantStoreBuilder {
        GrantStoreBuilder {
            keys,
            fanvue,
            margin: DEFAULT_MARGIN,
            wait: DEFAULT_WAIT,
            database_timeout: DEFAULT_DATABASE_TIMEOUT,
            cache_time: DEFAULT_CACHE_TIME,
        }
    }

    /// Keeps `grant` under `key` (the Fanvue user id, a session id: the
    /// app's choice), replacing what was there: after sign-in, or a
    /// step-up, whose scopes replace the old ones.
    pub async fn put(&self, key: &str, grant: &Grant) -> Result<(), GrantError> {
        check_key(key)?;
        let row = self.seal(key, grant)?;
        self.cache.forget(key);
        self.db.upsert(key, &row).await.map_err(GrantError::Store)
    }

    /// A token for `key` valid for at least the margin, with its scopes:
    /// at most one database read when it is fresh, none while it is in
    /// this process's cache ([`GrantStoreBuilder::cache_time`]). When it is
    /// due, it is refreshed under the grant's lock; a request that waited
    /// for another's refresh uses the tokens that one stored.
    pub async fn token(&self, key: &str) -> Result<Token, GrantError> {
        check_key(key)?;
        let now = unix_now();
        if let Some(token) = self.cache.get(key, now, self.margin) {
            return Ok(token);
        }
        let row = self.db.fetch(key).await.map_err(GrantError::Store)?;
        let Some(row) = row else {
            return Err(no_grant());
        };
        let token = if self.fresh(&row, now) {
            self.open_token(key, &row)
        } else {
            self.refresh(key).await
        };
        match &token {
            Ok(token) => self.cache.keep(key, token, unix_now(), self.margin),
            Err(_) => self.cache.forget(key),
        }
        token
    }

    /// Signs `key`'s user out: the grant is revoked at Fanvue (its refresh
    /// token, which ends the whole grant there; RFC 7009), then deleted.
    /// If Fanvue can't be reached, the grant is kept and the error says so:
    /// try again.
    pub async fn sign_out(&self, key: &str) -> Result<(), GrantError> {
        check_key(key)?;
        self.cache.forget(key);
        let (mut locked, row) = self.db.lock(key, self.wait).await?;
        let Some(row) = row else {
            return Ok(());
        };
        let revoked = match &row.refresh_token {
            Some(sealed) => {
                let token = self
                    .keys
                    .open(&row.key_id, sealed, &context(key, "refresh_token"))?;
                self.fanvue.revoke(&token, "refresh_token").await
            }
            None => {
                let token = self.keys.open(
                    &row.key_id,
                    &row.access_token,
                    &context(key, "access_token"),
                )?;
                self.fanvue.revoke(&token, "access_token").await
            }
        };
        match revoked {
            Ok(()) => {}
            Err(Revocation::Transient(reason)) => {
                return Err(GrantError::FanvueUnavailable { reason });
            }
            Err(Revocation::Refused(reason)) => return Err(GrantError::Refused { reason }),
        }
        locked.delete(key).await.map_err(GrantError::Store)?;
        locked.commit().await.map_err(GrantError::Store)
    }

    /// Seals every grant sealed under an older key with the current one,
    /// so the old key can be retired: how many it moved.
    pub async fn reseal(&self) -> Result<usize, GrantError> {
        let keys = self
            .db
            .sealed_otherwise(self.keys.current_id())
            .await
            .map_err(GrantError::Store)?;
        let mut moved = 0;
        for key in keys {
            let (mut locked, row) = self.db.lock(&key, self.wait).await?;
            let Some(row) = row else { continue };
            let grant = self.open(&key, &row)?;
            locked
                .update(&key, &self.seal(&key, &grant)?)
                .await
                .map_err(GrantError::Store)?;
            locked.commit().await.map_err(GrantError::Store)?;
            moved += 1;
        }
        Ok(moved)
    }

    /// The database, for what keeps its state beside the grants.
    #[cfg(feature = "mcp-auth")]
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// The keys that seal at rest.
    #[cfg(feature = "mcp-auth")]
    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The app as Fanvue's client.
    #[cfg(feature = "mcp-auth")]
    pub(crate) fn fanvue(&self) -> &FanvueClient {
        &self.fanvue
    }

    /// How long a request waits for another's lock.
    #[cfg(feature = "mcp-auth")]
    pub(crate) fn wait(&self) -> Duration {
        self.wait
    }

    fn fresh(&self, row: &Row, now: u64) -> bool {
        u64::try_from(row.expires_at)
            .is_ok_and(|expires_at| expires_at >= now.saturating_add(self.margin.as_secs()))
    }

    /// The refresh: one request of this process at a time per grant, then
    /// under the database's lock, held for the whole exchange with Fanvue.
    async fn refresh(&self, key: &str) -> Result<Token, GrantError> {
        let turn = {
            // Nothing panics while this is held; a poisoned map is whole.
            let mut refreshing = self
                .refreshing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            refreshing.retain(|_, turn| Arc::strong_count(turn) > 1);
            Arc::clone(refreshing.entry(key.to_owned()).or_default())
        };
        let _turn = tokio::time::timeout(self.wait, turn.lock())
            .await
            .map_err(|_| GrantError::Busy)?;
        // Another request of this process refreshed it while this one
        // waited: its tokens, with no lock taken.
        if let Some(row) = self.db.fetch(key).await.map_err(GrantError::Store)? {
            if self.fresh(&row, unix_now()) {
                return self.open_token(key, &row);
            }
        }
        self.refresh_locked(key).await
    }

    /// The refresh under the database's lock on the grant.
    async fn refresh_locked(&self, key: &str) -> Result<Token, GrantError> {
        let (mut locked, row) = self.db.lock(key, self.wait).await?;
        let Some(row) = row else {
            return Err(no_grant());
        };
        // Another request refreshed it while this one waited: its tokens.
        if self.fresh(&row, unix_now()) {
            let token = self.open_token(key, &row);
            locked.commit().await.map_err(GrantError::Store)?;
            return token;
        }
        let grant = self.open(key, &row)?;
        let Some(refresh_token) = grant.refresh_token.as_deref() else {
            return Err(GrantError::SignInAgain {
                reason: "the access token expired, and the grant has no refresh token".to_owned(),
            });
        };
        match self
            .fanvue
            .refresh(refresh_token, grant.scopes, unix_now())
            .await
        {
            Refreshed::Renewed(mut renewed) => {
                renewed.subject = grant.subject;
                locked
                    .update(key, &self.seal(key, &renewed)?)
                    .await
                    .map_err(GrantError::Store)?;
                locked.commit().await.map_err(GrantError::Store)?;
                Ok(Token {
                    secret: renewed.access_token,
                    scopes: renewed.scopes,
                    expires_at: renewed.expires_at,
                })
            }
            Refreshed::Dead(reason) => {
                // Over at Fanvue: gone here too, so no one tries it again.
                locked.delete(key).await.map_err(GrantError::Store)?;
                locked.commit().await.map_err(GrantError::Store)?;
                Err(GrantError::SignInAgain { reason })
            }
            // The lock goes with the transaction, the grant unchanged.
            Refreshed::Refused(reason) => Err(GrantError::Refused { reason }),
            Refreshed::Transient(reason) => Err(GrantError::FanvueUnavailable { reason }),
        }
    }

    fn seal(&self, key: &str, grant: &Grant) -> Result<Row, GrantError> {
        Ok(Row {
            key_id: self.keys.current_id().to_owned(),
            access_token: self
                .keys
                .seal(&grant.access_token, &context(key, "access_token"))?,
            refresh_token: match &grant.refresh_token {
                Some(token) => Some(self.keys.seal(token, &context(key, "refresh_token"))?),
                None => None,
            },
            scopes: grant.scopes.to_string(),
            expires_at: i64::try_from(grant.expires_at).unwrap_or(i64::MAX),
            subject: grant.subject.clone(),
        })
    }

    fn open(&self, key: &str, row: &Row) -> Result<Grant, GrantError> {
        Ok(Grant {
            access_token: self.keys.open(
                &row.key_id,
                &row.access_token,
                &context(key, "access_token"),
            )?,
            refresh_token: match &row.refresh_token {
                Some(sealed) => Some(self.keys.open(
                    &row.key_id,
                    sealed,
                    &context(key, "refresh_token"),
                )?),
                None => None,
            },
            scopes: ScopeSet::parse_lenient(&row.scopes).known(),
            expires_at: u64::try_from(row.expires_at).unwrap_or(0),
            subject: row.subject.clone(),
        })
    }

    fn open_token(&self, key: &str, row: &Row) -> Result<Token, GrantError> {
        Ok(Token {
            secret: self.keys.open(
                &row.key_id,
                &row.access_token,
                &context(key, "access_token"),
            )?,
            scopes: ScopeSet::parse_lenient(&row.scopes).known(),
            expires_at: u64::try_from(row.expires_at).unwrap_or(0),
        })
    }
}

fn no_grant() -> GrantError {
    GrantError::SignInAgain {
        reason: "no grant is stored for this user".to_owned(),
    }
}

fn check_key(key: &str) -> Result<(), GrantError> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(GrantError::InvalidKey);
    }
    Ok(())
}

/// The store's futures are `Send`, so a multi-threaded server can await
/// them in a handler: checked when this crate compiles.
#[allow(dead_code)]
fn store_futures_are_send(store: &'static GrantStore, grant: &'static Grant) {
    fn send<T: Send>(_: T) {}
    send(store.put("key", grant));
    send(store.token("key"));
    send(store.sign_out("key"));
    send(store.reseal());
}

#[cfg(all(test, feature = "grant-sqlite"))]
mod tests {
    use super::*;

    fn builder() -> GrantStoreBuilder {
        let keys = Keys::new("k1", [7; 32]).expect("a key");
        GrantStore::builder(
            keys,
            FanvueClient::new("id", "secret", reqwest::Client::new()),
        )
    }

    fn grant() -> Grant {
        Grant::from_json(
            br#"{"access_token":"at-1","token_type":"bearer","refresh_token":"rt-1","expires_in":3600,"scope":"read:chat"}"#,
        )
        .expect("a grant")
    }

    /// A store an earlier version wrote is brought forward with its grants,
    /// never wiped; one a newer version wrote is left as it is.
    #[test]
    fn migrations_keep_what_an_earlier_version_stored() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir =
            std::env::temp_dir().join(format!("fanvue-grant-migrations-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        let url = format!("sqlite://{}", dir.join("grants.sqlite3").display());
        runtime.block_on(async {
            // The version before this one's last migration.
            let earlier = builder()
                .connect_migrating(&url, &MIGRATIONS[..MIGRATIONS.len() - 1])
                .await
                .expect("the store as an earlier version left it");
            earlier.put("user", &grant()).await.expect("kept");
            drop(earlier);
            // This version: the grant is still there.
            let now = builder().connect(&url).await.expect("migrated");
            assert_eq!(now.token("user").await.expect("kept").secret(), "at-1");
            drop(now);
            // A next version adds a column: the grant is still there.
            let known = MIGRATIONS.len() as i64;
            let next_version = [Migration {
                version: known + 1,
                sqlite: &["ALTER TABLE fanvue_grants ADD COLUMN note TEXT"],
                postgres: &["ALTER TABLE fanvue_grants ADD COLUMN note TEXT"],
            }];
            let next: Vec<&Migration> = MIGRATIONS.iter().chain(&next_version).collect();
            let next: Vec<Migration> = next
                .into_iter()
                .map(|m| Migration {
                    version: m.version,
                    sqlite: m.sqlite,
                    postgres: m.postgres,
                })
                .collect();
            let later = builder()
                .connect_migrating(&url, &next)
                .await
                .expect("migrated");
            let token = later.token("user").await.expect("the grant survived");
            assert_eq!(token.secret(), "at-1");
            assert_eq!(token.scopes(), crate::scopes![read:chat]);
            drop(later);
            // Opened again by this version, which knows one version less.
            let refused = builder().connect(&url).await.expect_err("a newer schema");
            assert!(
                matches!(refused, GrantError::NewerSchema { found, known: k } if found == known + 1 && k == known),
                "{refused}"
            );
            // Opening twice changes nothing.
            let again = builder()
                .connect_migrating(&url, &next)
                .await
                .expect("again");
            assert_eq!(
                again.token("user").await.expect("still there").secret(),
                "at-1"
            );
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
}
