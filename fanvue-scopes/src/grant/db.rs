//! The two databases behind one store: the schema and its migrations, a
//! row read, an upsert, and the lock a refresh holds for the whole exchange
//! with Fanvue, which the database releases if its holder dies.
//!
//! - SQLite: one file, WAL, a busy timeout as the bound on a wait, and
//!   `BEGIN IMMEDIATE`: the write lock taken up front, a file lock the OS
//!   drops with the process that held it.
//! - PostgreSQL: `SELECT .. FOR UPDATE` on the grant's row, under
//!   `SET LOCAL lock_timeout`; a connection that dies ends its transaction.

use super::GrantError;
use std::time::Duration;

/// One grant as stored: its tokens sealed under `key_id`.
pub(super) struct Row {
    pub(super) key_id: String,
    pub(super) access_token: Vec<u8>,
    pub(super) refresh_token: Option<Vec<u8>>,
    pub(super) scopes: String,
    pub(super) expires_at: i64,
    pub(super) subject: Option<String>,
}

/// The schema's versions, in order: each runs once, in a transaction, and
/// a store written by an earlier version is brought forward, never wiped.
pub(super) struct Migration {
    pub(super) version: i64,
    #[cfg_attr(not(feature = "grant-sqlite"), allow(dead_code))]
    pub(super) sqlite: &'static [&'static str],
    #[cfg_attr(not(feature = "grant-postgres"), allow(dead_code))]
    pub(super) postgres: &'static [&'static str],
}

pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: &["CREATE TABLE fanvue_grants (
        grant_key TEXT PRIMARY KEY NOT NULL,
        key_id TEXT NOT NULL,
        access_token BLOB NOT NULL,
        refresh_token BLOB,
        scopes TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        subject TEXT,
        updated_at INTEGER NOT NULL
    )"],
        postgres: &["CREATE TABLE fanvue_grants (
        grant_key TEXT PRIMARY KEY NOT NULL,
        key_id TEXT NOT NULL,
        access_token BYTEA NOT NULL,
        refresh_token BYTEA,
        scopes TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        subject TEXT,
        updated_at BIGINT NOT NULL
    )"],
    },
    // The MCP authorization server's state (`mcp::auth`): the clients that
    // registered, the authorizations on their way through Fanvue, codes,
    // and its tokens, each secret stored only as a SHA-256 hash.
    Migration {
        version: 2,
        sqlite: &[
            "CREATE TABLE fanvue_mcp_clients (
                client_id TEXT PRIMARY KEY NOT NULL,
                secret_hash BLOB,
                client_name TEXT NOT NULL,
                redirect_uris TEXT NOT NULL,
                registered_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                used_at INTEGER
            )",
            "CREATE TABLE fanvue_mcp_requests (
                id_hash BLOB PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT NOT NULL,
                client_state TEXT,
                scopes TEXT NOT NULL,
                browser_hash BLOB NOT NULL,
                verifier BLOB NOT NULL,
                key_id TEXT NOT NULL,
                nonce TEXT NOT NULL,
                approved INTEGER NOT NULL,
                expires_at INTEGER NOT NULL
            )",
            "CREATE TABLE fanvue_mcp_codes (
                code_hash BLOB PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT NOT NULL,
                grant_key TEXT NOT NULL,
                scopes TEXT NOT NULL,
                family TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                used INTEGER NOT NULL
            )",
            "CREATE TABLE fanvue_mcp_tokens (
                token_hash BLOB PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                family TEXT NOT NULL,
                client_id TEXT NOT NULL,
                grant_key TEXT NOT NULL,
                scopes TEXT NOT NULL,
                expires_at INTEGER NOT NULL,
                spent_at INTEGER,
                revoked INTEGER NOT NULL
            )",
            "CREATE INDEX fanvue_mcp_tokens_family ON fanvue_mcp_tokens (family)",
            "CREATE TABLE fanvue_mcp_consents (
                browser_hash BLOB NOT NULL,
                client_id TEXT NOT NULL,
                scopes TEXT NOT NULL,
                PRIMARY KEY (browser_hash, client_id)
            )",
        ],
        postgres: &[
            "CREATE TABLE fanvue_mcp_clients (
                client_id TEXT PRIMARY KEY NOT NULL,
                secret_hash BYTEA,
                client_name TEXT NOT NULL,
                redirect_uris TEXT NOT NULL,
                registered_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                used_at BIGINT
            )",
            "CREATE TABLE fanvue_mcp_requests (
                id_hash BYTEA PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT NOT NULL,
                client_state TEXT,
                scopes TEXT NOT NULL,
                browser_hash BYTEA NOT NULL,
                verifier BYTEA NOT NULL,
                key_id TEXT NOT NULL,
                nonce TEXT NOT NULL,
                approved BIGINT NOT NULL,
                expires_at BIGINT NOT NULL
            )",
            "CREATE TABLE fanvue_mcp_codes (
                code_hash BYTEA PRIMARY KEY NOT NULL,
                client_id TEXT NOT NULL,
                redirect_uri TEXT NOT NULL,
                code_challenge TEXT NOT NULL,
                grant_key TEXT NOT NULL,
                scopes TEXT NOT NULL,
                family TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                used BIGINT NOT NULL
            )",
            "CREATE TABLE fanvue_mcp_tokens (
                token_hash BYTEA PRIMARY KEY NOT NULL,
                kind TEXT NOT NULL,
                family TEXT NOT NULL,
                client_id TEXT NOT NULL,
                grant_key TEXT NOT NULL,
                scopes TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                spent_at BIGINT,
                revoked BIGINT NOT NULL
            )",
            "CREATE INDEX fanvue_mcp_tokens_family ON fanvue_mcp_tokens (family)",
            "CREATE TABLE fanvue_mcp_consents (
                browser_hash BYTEA NOT NULL,
                client_id TEXT NOT NULL,
                scopes TEXT NOT NULL,
                PRIMARY KEY (browser_hash, client_id)
            )",
        ],
    },
];

/// A constant of ours for PostgreSQL's advisory lock around migrations:
/// instances starting together migrate one at a time.
#[cfg(feature = "grant-postgres")]
const MIGRATION_LOCK: i64 = 0x6661_6e76_7565_0001;

/// A grant's columns, read by every fetch: a literal, so each query below
/// is one `&'static str` rather than a string built per request.
macro_rules! select_grant {
    ($($rest:literal),*) => {
        concat!(
            "SELECT key_id, access_token, refresh_token, scopes, expires_at, subject \
             FROM fanvue_grants WHERE grant_key = ",
            $($rest),*
        )
    };
}

pub(crate) enum Db {
    #[cfg(feature = "grant-sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "grant-postgres")]
    Postgres(sqlx::PgPool),
}

/// A grant's row, locked until [`commit`](Locked::commit), or until the
/// transaction is dropped, or its holder dies.
pub(super) enum Locked {
    #[cfg(feature = "grant-sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "grant-postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Reads a [`Row`] from either database's optional row.
macro_rules! row_from {
    ($row:expr) => {{
        use sqlx::Row as _;
        $row.map(|row| -> Result<Row, sqlx::Error> {
            Ok(Row {
                key_id: row.try_get("key_id")?,
                access_token: row.try_get("access_token")?,
                refresh_token: row.try_get("refresh_token")?,
                scopes: row.try_get("scopes")?,
                expires_at: row.try_get("expires_at")?,
                subject: row.try_get("subject")?,
            })
        })
        .transpose()
    }};
}

/// The migrations after the version found, in `$tx` (a transaction that
/// holds the database's migration lock), with `$statements` the backend's
/// SQL and `$insert` its statement recording a version.
macro_rules! migrate_in {
    ($tx:ident, $migrations:expr, $statements:ident, $insert:expr) => {{
        let migrations: &[Migration] = $migrations;
        let known = migrations.last().map_or(0, |last| last.version);
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS fanvue_scopes_migrations \
             (version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *$tx)
        .await
        .map_err(GrantError::Store)?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM fanvue_scopes_migrations")
                .fetch_one(&mut *$tx)
                .await
                .map_err(GrantError::Store)?;
        let found = found.unwrap_or(0);
        if found > known {
            return Err(GrantError::NewerSchema { found, known });
        }
        for migration in migrations.iter().filter(|m| m.version > found) {
            for statement in migration.$statements {
                sqlx::query(statement)
                    .execute(&mut *$tx)
                    .await
                    .map_err(GrantError::Store)?;
            }
            sqlx::query($insert)
                .bind(migration.version)
                .bind(super::unix_now() as i64)
                .execute(&mut *$tx)
                .await
                .map_err(GrantError::Store)?;
        }
        $tx.commit().await.map_err(GrantError::Store)
    }};
}

/// Binds `key` and `row` to an upsert, in its columns' order. A macro,
/// not a generic fn: bounds over the query's lifetime would keep the
/// store's futures from being `Send`.
macro_rules! bind_row {
    ($query:expr, $key:expr, $row:expr) => {{
        let row: &Row = $row;
        $query
            .bind($key)
            .bind(row.key_id.as_str())
            .bind(row.access_token.as_slice())
            .bind(row.refresh_token.as_deref())
            .bind(row.scopes.as_str())
            .bind(row.expires_at)
            .bind(row.subject.as_deref())
            .bind(super::unix_now() as i64)
    }};
}

impl Db {
    /// Connects to `url` (`sqlite://path`, `postgres://..`), waiting at most
    /// `wait` for another's lock and `timeout` for a connection.
    // PostgreSQL bounds a lock's wait per transaction, not per connection.
    #[cfg_attr(not(feature = "grant-sqlite"), allow(unused_variables))]
    pub(super) async fn connect(
        url: &str,
        wait: Duration,
        timeout: Duration,
    ) -> Result<Db, GrantError> {
        #[cfg(feature = "grant-sqlite")]
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
            use std::str::FromStr;
            let options = SqliteConnectOptions::from_str(url)
                .map_err(GrantError::Store)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(wait);
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(timeout)
                .connect_with(options)
                .await
                .map_err(GrantError::Store)?;
            return Ok(Db::Sqlite(pool));
        }
        #[cfg(feature = "grant-postgres")]
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .acquire_timeout(timeout)
                .connect(url)
                .await
                .map_err(GrantError::Store)?;
            return Ok(Db::Postgres(pool));
        }
        Err(GrantError::UnsupportedDatabase {
            url_scheme: url.split(':').next().unwrap_or_default().to_owned(),
        })
    }

    /// Brings the schema to the newest version in `migrations`; refuses a
    /// store a newer version of this crate wrote.
    pub(super) async fn migrate(&self, migrations: &[Migration]) -> Result<(), GrantError> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => {
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(lock_error)?;
                migrate_in!(
                    tx,
                    migrations,
                    sqlite,
                    "INSERT INTO fanvue_scopes_migrations (version, applied_at) VALUES (?, ?)"
                )
            }
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(GrantError::Store)?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *tx)
                    .await
                    .map_err(GrantError::Store)?;
                migrate_in!(
                    tx,
                    migrations,
                    postgres,
                    "INSERT INTO fanvue_scopes_migrations (version, applied_at) VALUES ($1, $2)"
                )
            }
        }
    }

    /// The grant stored under `key`, unlocked: one round trip.
    pub(super) async fn fetch(&self, key: &str) -> Result<Option<Row>, sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => {
                let row = sqlx::query(select_grant!("?"))
                    .bind(key)
                    .fetch_optional(pool)
                    .await?;
                row_from!(row)
            }
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                let row = sqlx::query(select_grant!("$1"))
                    .bind(key)
                    .fetch_optional(pool)
                    .await?;
                row_from!(row)
            }
        }
    }

    /// Stores `row` under `key`, replacing what was there: a sign-in or a
    /// step-up. It waits for a refresh of the same grant to finish.
    pub(super) async fn upsert(&self, key: &str, row: &Row) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => {
                bind_row!(sqlx::query(UPSERT_SQLITE), key, row)
                    .execute(pool)
                    .await?;
            }
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                bind_row!(sqlx::query(UPSERT_POSTGRES), key, row)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// The grant under `key`, locked for a refresh or a sign-out; a wait
    /// past the store's bound is [`GrantError::Busy`].
    pub(super) async fn lock(
        &self,
        key: &str,
        wait: Duration,
    ) -> Result<(Locked, Option<Row>), GrantError> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => {
                let _ = wait; // the connection's busy timeout
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(lock_error)?;
                let row = sqlx::query(select_grant!("?"))
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(lock_error)?;
                let row = row_from!(row).map_err(GrantError::Store)?;
                Ok((Locked::Sqlite(tx), row))
            }
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(lock_error)?;
                // A number of ours, not input: no parameter is taken by SET.
                sqlx::query(&format!(
                    "SET LOCAL lock_timeout = '{}ms'",
                    wait.as_millis().max(1)
                ))
                .execute(&mut *tx)
                .await
                .map_err(GrantError::Store)?;
                let row = sqlx::query(select_grant!("$1 FOR UPDATE"))
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(lock_error)?;
                let row = row_from!(row).map_err(GrantError::Store)?;
                Ok((Locked::Postgres(tx), row))
            }
        }
    }

    /// The keys of the grants not sealed under `key_id`.
    pub(super) async fn sealed_otherwise(&self, key_id: &str) -> Result<Vec<String>, sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => {
                sqlx::query_scalar("SELECT grant_key FROM fanvue_grants WHERE key_id <> ?")
                    .bind(key_id)
                    .fetch_all(pool)
                    .await
            }
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT grant_key FROM fanvue_grants WHERE key_id <> $1")
                    .bind(key_id)
                    .fetch_all(pool)
                    .await
            }
        }
    }
}

#[cfg(feature = "grant-sqlite")]
const UPSERT_SQLITE: &str = "INSERT INTO fanvue_grants \
    (grant_key, key_id, access_token, refresh_token, scopes, expires_at, subject, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
    ON CONFLICT (grant_key) DO UPDATE SET key_id = excluded.key_id, \
    access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
    scopes = excluded.scopes, expires_at = excluded.expires_at, subject = excluded.subject, \
    updated_at = excluded.updated_at";

#[cfg(feature = "grant-postgres")]
const UPSERT_POSTGRES: &str = "INSERT INTO fanvue_grants \
    (grant_key, key_id, access_token, refresh_token, scopes, expires_at, subject, updated_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
    ON CONFLICT (grant_key) DO UPDATE SET key_id = excluded.key_id, \
    access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
    scopes = excluded.scopes, expires_at = excluded.expires_at, subject = excluded.subject, \
    updated_at = excluded.updated_at";

impl Locked {
    /// Replaces the locked grant with `row`.
    pub(super) async fn update(&mut self, key: &str, row: &Row) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Locked::Sqlite(tx) => {
                bind_row!(sqlx::query(UPSERT_SQLITE), key, row)
                    .execute(&mut **tx)
                    .await?;
            }
            #[cfg(feature = "grant-postgres")]
            Locked::Postgres(tx) => {
                bind_row!(sqlx::query(UPSERT_POSTGRES), key, row)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Deletes the locked grant.
    pub(super) async fn delete(&mut self, key: &str) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Locked::Sqlite(tx) => {
                sqlx::query("DELETE FROM fanvue_grants WHERE grant_key = ?")
                    .bind(key)
                    .execute(&mut **tx)
                    .await?;
            }
            #[cfg(feature = "grant-postgres")]
            Locked::Postgres(tx) => {
                sqlx::query("DELETE FROM fanvue_grants WHERE grant_key = $1")
                    .bind(key)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Makes the changes durable and releases the lock.
    pub(super) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Locked::Sqlite(tx) => tx.commit().await,
            #[cfg(feature = "grant-postgres")]
            Locked::Postgres(tx) => tx.commit().await,
        }
    }
}

/// A database error met while taking the lock: a wait past the bound
/// (SQLite's `SQLITE_BUSY`, PostgreSQL's `lock_not_available`, no free
/// connection in time) is [`GrantError::Busy`]; anything else is the store's.
pub(super) fn lock_error(error: sqlx::Error) -> GrantError {
    let busy = match &error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(database) => database.code().is_some_and(|code| {
            // SQLite's extended codes keep the primary code in the low byte.
            code == "55P03" || code.parse::<i32>().is_ok_and(|code| code & 0xff == 5)
        }),
        _ => false,
    };
    if busy {
        GrantError::Busy
    } else {
        GrantError::Store(error)
    }
}
