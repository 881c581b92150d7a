//! Statements written once for both databases, for what else keeps its
//! state beside the grants (the MCP authorization server): `?` placeholders,
//! numbered `$1, $2, ..` for PostgreSQL; values bound by kind; rows read by
//! column name; and a write transaction that takes its lock up front.

use super::GrantError;
use super::db::Db;
use std::time::Duration;

/// A value bound to a statement.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Int(i64),
    MaybeText(Option<&'a str>),
    MaybeBytes(Option<&'a [u8]>),
}

/// A row, read by column name.
pub(crate) enum Record {
    #[cfg(feature = "grant-sqlite")]
    Sqlite(sqlx::sqlite::SqliteRow),
    #[cfg(feature = "grant-postgres")]
    Postgres(sqlx::postgres::PgRow),
}

macro_rules! get {
    ($record:expr, $column:expr, $ty:ty) => {{
        use sqlx::Row as _;
        match $record {
            #[cfg(feature = "grant-sqlite")]
            Record::Sqlite(row) => row.try_get::<$ty, _>($column),
            #[cfg(feature = "grant-postgres")]
            Record::Postgres(row) => row.try_get::<$ty, _>($column),
        }
    }};
}

impl Record {
    pub(crate) fn text(&self, column: &str) -> Result<String, sqlx::Error> {
        get!(self, column, String)
    }

    pub(crate) fn maybe_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
        get!(self, column, Option<String>)
    }

    pub(crate) fn bytes(&self, column: &str) -> Result<Vec<u8>, sqlx::Error> {
        get!(self, column, Vec<u8>)
    }

    pub(crate) fn maybe_bytes(&self, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        get!(self, column, Option<Vec<u8>>)
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64, sqlx::Error> {
        get!(self, column, i64)
    }

    pub(crate) fn maybe_int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
        get!(self, column, Option<i64>)
    }
}

/// `sql` with PostgreSQL's numbered placeholders for `?`.
#[cfg(feature = "grant-postgres")]
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// `$query` with `$values` bound in order.
macro_rules! bound {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match *value {
                Value::Text(text) => query.bind(text),
                Value::Bytes(bytes) => query.bind(bytes),
                Value::Int(int) => query.bind(int),
                Value::MaybeText(text) => query.bind(text),
                Value::MaybeBytes(bytes) => query.bind(bytes),
            };
        }
        query
    }};
}

impl Db {
    /// Runs `sql` with `values`, outside a transaction: the rows it changed.
    pub(crate) async fn execute(
        &self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<u64, sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => Ok(bound!(sqlx::query(sql), values)
                .execute(pool)
                .await?
                .rows_affected()),
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                let sql = numbered(sql);
                Ok(bound!(sqlx::query(&sql), values)
                    .execute(pool)
                    .await?
                    .rows_affected())
            }
        }
    }

    /// The one row `sql` reads, if any.
    pub(crate) async fn fetch_optional(
        &self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<Option<Record>, sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => Ok(bound!(sqlx::query(sql), values)
                .fetch_optional(pool)
                .await?
                .map(Record::Sqlite)),
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                let sql = numbered(sql);
                Ok(bound!(sqlx::query(&sql), values)
                    .fetch_optional(pool)
                    .await?
                    .map(Record::Postgres))
            }
        }
    }

    /// A write transaction, its lock taken up front: SQLite's write lock
    /// (`BEGIN IMMEDIATE`), or a PostgreSQL transaction whose row locks
    /// ([`Tx::fetch_for_update`]) wait at most `wait`.
    pub(crate) async fn begin_write(&self, wait: Duration) -> Result<Tx, GrantError> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Db::Sqlite(pool) => {
                let _ = wait; // the connection's busy timeout
                let tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(super::db::lock_error)?;
                Ok(Tx::Sqlite(tx))
            }
            #[cfg(feature = "grant-postgres")]
            Db::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(super::db::lock_error)?;
                // A number of ours, not input: no parameter is taken by SET.
                sqlx::query(&format!(
                    "SET LOCAL lock_timeout = '{}ms'",
                    wait.as_millis().max(1)
                ))
                .execute(&mut *tx)
                .await
                .map_err(GrantError::Store)?;
                Ok(Tx::Postgres(tx))
            }
        }
    }
}

/// A write transaction: changes land together at [`commit`](Tx::commit),
/// or not at all if it is dropped or its holder dies.
pub(crate) enum Tx {
    #[cfg(feature = "grant-sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "grant-postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<u64, sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Tx::Sqlite(tx) => Ok(bound!(sqlx::query(sql), values)
                .execute(&mut **tx)
                .await?
                .rows_affected()),
            #[cfg(feature = "grant-postgres")]
            Tx::Postgres(tx) => {
                let sql = numbered(sql);
                Ok(bound!(sqlx::query(&sql), values)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected())
            }
        }
    }

    /// The one row `sql` reads, locked until the transaction ends (SQLite's
    /// whole-database write lock is held already).
    pub(crate) async fn fetch_for_update(
        &mut self,
        sql: &str,
        values: &[Value<'_>],
    ) -> Result<Option<Record>, GrantError> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Tx::Sqlite(tx) => Ok(bound!(sqlx::query(sql), values)
                .fetch_optional(&mut **tx)
                .await
                .map_err(super::db::lock_error)?
                .map(Record::Sqlite)),
            #[cfg(feature = "grant-postgres")]
            Tx::Postgres(tx) => {
                let sql = format!("{} FOR UPDATE", numbered(sql));
                Ok(bound!(sqlx::query(&sql), values)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(super::db::lock_error)?
                    .map(Record::Postgres))
            }
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "grant-sqlite")]
            Tx::Sqlite(tx) => tx.commit().await,
            #[cfg(feature = "grant-postgres")]
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

#[cfg(all(test, feature = "grant-postgres"))]
mod tests {
    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            super::numbered("UPDATE t SET a = ?, b = ? WHERE c = ?"),
            "UPDATE t SET a = $1, b = $2 WHERE c = $3"
        );
    }
}
