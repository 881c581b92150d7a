//! Server-side sessions in SQLite: a random 256-bit id in an `HttpOnly`,
//! `SameSite=Lax` cookie (and `Secure` behind https), the data in a file
//! that survives a restart. A sign-in in progress lives ten minutes, a
//! signed-in session a week; expired ones are deleted as they are met and
//! whenever a new session starts, so anonymous visits can't pile up.

use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The session cookie's name.
pub const COOKIE: &str = "fanvue_app_session";
/// How long a signed-in session lives without a visit.
const SIGNED_IN: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a sign-in may take, from the first redirect to the callback.
const SIGNING_IN: Duration = Duration::from_secs(10 * 60);

/// How long a session with `data` lives.
fn lifetime(data: &Data) -> Duration {
    if data.contains_key("access_token") {
        SIGNED_IN
    } else {
        SIGNING_IN
    }
}

/// A session's data: a few named strings (state, PKCE verifier, tokens).
pub type Data = BTreeMap<String, String>;

#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Connection>>,
    secure: bool,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64)
}

impl Store {
    /// Opens (or creates) the store at `path`; `secure` marks cookies
    /// `Secure`, for an app served over https.
    pub fn open(path: &Path, secure: bool) -> rusqlite::Result<Self> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS sessions (
                 id TEXT PRIMARY KEY, data TEXT NOT NULL, expires INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);",
        )?;
        Ok(Store {
            db: Arc::new(Mutex::new(db)),
            secure,
        })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The data of a live session.
    pub fn load(&self, id: &str) -> Option<Data> {
        let db = self.db();
        let row: Option<(String, i64)> = db
            .query_row(
                "SELECT data, expires FROM sessions WHERE id = ?1",
                params![id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .ok()
            .flatten();
        let (data, expires) = row?;
        if expires < now() {
            let _ = db.execute("DELETE FROM sessions WHERE id = ?1", params![id]);
            return None;
        }
        Some(decode(&data))
    }

    /// Saves `data` under `id`, a new session's when `id` is `None`; the id.
    pub fn save(&self, id: Option<&str>, data: &Data) -> rusqlite::Result<String> {
        let db = self.db();
        let id = match id {
            Some(id) => id.to_owned(),
            None => {
                db.execute("DELETE FROM sessions WHERE expires < ?1", params![now()])?;
                new_id()
            }
        };
        db.execute(
            "INSERT INTO sessions (id, data, expires) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
            params![id, encode(data), now() + lifetime(data).as_secs() as i64],
        )?;
        Ok(id)
    }

    pub fn delete(&self, id: &str) {
        let _ = self
            .db()
            .execute("DELETE FROM sessions WHERE id = ?1", params![id]);
    }

    /// The `Set-Cookie` value for a session with `data`: it lasts as long
    /// as the session does.
    pub fn cookie(&self, id: &str, data: &Data) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            lifetime(data).as_secs()
        )
    }

    /// The `Set-Cookie` value that ends a session in the browser.
    pub fn expired_cookie(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    }
}

/// 256 random bits from the operating system, hex.
pub fn new_id() -> String {
    let mut bytes = [0u8; 32];
    // Without an OS random source there can be no safe session id: the
    // process stops rather than hand out a guessable one.
    if getrandom::fill(&mut bytes).is_err() {
        std::process::abort();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The session id in a `Cookie` header.
pub fn id_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| value.len() == 64 && value.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

fn encode(data: &Data) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(data)
        .finish()
}

fn decode(text: &str) -> Data {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}
