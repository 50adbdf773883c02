//! Persistence: sea-orm over SQLite (embedded default, WAL, full sync) or PostgreSQL.
//!
//! Queries are plain SQL written once with `?` placeholders ([`Db::stmt`] turns them into
//! `$n` for PostgreSQL), so the two backends run the same statements. One file per table
//! (`claims`, `decisions`, `reviews`, `audit`, `events`, `webhooks`, `policies`, `keys`,
//! `jobs`, `tokens`, `data_keys`); each returns typed rows, statuses as the domain's enums. Writes that must
//! be durable before the client hears 201 go through the group-commit [`writer`].

pub mod audit;
pub mod bills;
pub mod calendars;
pub mod claims;
pub mod data_keys;
pub mod decisions;
pub mod events;
pub mod jobs;
pub mod keys;
pub mod migrations;
pub mod payments;
pub mod policies;
pub mod reviews;
pub mod runs;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod writer;

use crate::domain::Named;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, QueryResult,
    Statement, Value,
};
use std::time::Duration;

/// The database handle.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    pub conn: DatabaseConnection,
    /// Which backend.
    pub backend: DbBackend,
    /// The algorithms of what it stores (the audit chain's hash).
    pub profile: crate::crypto::Profile,
}

impl Db {
    /// Connects (SQLite: WAL journal, synchronous=FULL, a busy timeout, foreign keys).
    pub async fn connect(url: &str) -> Result<Db, DbErr> {
        Db::connect_with(url, 16).await
    }

    /// Connects with a pool of at most `max_connections`.
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Db, DbErr> {
        let mut opts = ConnectOptions::new(url.to_string());
        opts.sqlx_logging(false)
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5));
        opts.map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
        let conn = Database::connect(opts).await?;
        let backend = conn.get_database_backend();
        Ok(Db {
            conn,
            backend,
            profile: crate::crypto::Profile::Standard,
        })
    }

    /// The same pool, its audit chain hashed under `profile`.
    pub fn under(mut self, profile: crate::crypto::Profile) -> Db {
        self.profile = profile;
        self
    }

    /// The pool's connections: open, and of those idle.
    pub fn pool_size(&self) -> (u32, usize) {
        match self.backend {
            DbBackend::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
            DbBackend::Sqlite => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
            _ => (0, 0),
        }
    }

    /// A statement for this backend from SQL with `?` placeholders.
    pub fn stmt(&self, sql: &str, values: Vec<Value>) -> Statement {
        Statement::from_sql_and_values(self.backend, self.sql(sql), values)
    }

    /// SQL with `?` placeholders rewritten for this backend.
    pub fn sql(&self, sql: &str) -> String {
        match self.backend {
            DbBackend::Postgres => {
                let mut out = String::with_capacity(sql.len() + 16);
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
            _ => sql.to_string(),
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        self.conn.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    pub(crate) async fn one<T>(
        &self,
        sql: &str,
        values: Vec<Value>,
        f: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Option<T>, DbErr> {
        self.conn
            .query_one_raw(self.stmt(sql, values))
            .await?
            .as_ref()
            .map(f)
            .transpose()
    }

    pub(crate) async fn all<T>(
        &self,
        sql: &str,
        values: Vec<Value>,
        f: fn(&QueryResult) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, DbErr> {
        self.conn
            .query_all_raw(self.stmt(sql, values))
            .await?
            .iter()
            .map(f)
            .collect()
    }

    /// Runs one statement now (outside the group-commit writer).
    pub async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
        Ok(self
            .conn
            .execute_raw(self.stmt(sql, values))
            .await?
            .rows_affected())
    }
}

/// Appends ` AND column IN (?, ...)` and its values.
pub(crate) fn push_in<T: AsRef<str>>(
    sql: &mut String,
    values: &mut Vec<Value>,
    column: &str,
    items: &[T],
) {
    sql.push_str(&format!(
        " AND {column} IN ({})",
        vec!["?"; items.len()].join(", ")
    ));
    values.extend(items.iter().map(|i| Value::from(i.as_ref().to_string())));
}

pub(crate) fn s(r: &QueryResult, c: &str) -> Result<String, DbErr> {
    r.try_get("", c)
}

pub(crate) fn os(r: &QueryResult, c: &str) -> Result<Option<String>, DbErr> {
    r.try_get("", c)
}

/// An integer column, whether the backend stored it as INTEGER (i32 on PostgreSQL) or BIGINT.
pub(crate) fn i(r: &QueryResult, c: &str) -> Result<i64, DbErr> {
    r.try_get::<i64>("", c)
        .or_else(|_| r.try_get::<i32>("", c).map(i64::from))
}

/// A stored enum, by its stable name; an unknown name is a corrupt row.
pub(crate) fn named<T: Named>(r: &QueryResult, c: &str) -> Result<T, DbErr> {
    let v = s(r, c)?;
    T::parse(&v).ok_or_else(|| DbErr::Custom(format!("column {c}: unknown value {v:?}")))
}

/// A stored enum that may be NULL.
pub(crate) fn onamed<T: Named>(r: &QueryResult, c: &str) -> Result<Option<T>, DbErr> {
    match os(r, c)? {
        None => Ok(None),
        Some(v) => T::parse(&v)
            .map(Some)
            .ok_or_else(|| DbErr::Custom(format!("column {c}: unknown value {v:?}"))),
    }
}

/// A stored JSON column, typed; an unreadable one is a corrupt row.
pub(crate) fn json<T: serde::de::DeserializeOwned>(r: &QueryResult, c: &str) -> Result<T, DbErr> {
    let v = s(r, c)?;
    serde_json::from_str(&v).map_err(|e| DbErr::Custom(format!("column {c}: {e}")))
}

/// A stored JSON column that may be NULL.
pub(crate) fn ojson<T: serde::de::DeserializeOwned>(
    r: &QueryResult,
    c: &str,
) -> Result<Option<T>, DbErr> {
    match os(r, c)? {
        None => Ok(None),
        Some(v) => serde_json::from_str(&v)
            .map(Some)
            .map_err(|e| DbErr::Custom(format!("column {c}: {e}"))),
    }
}

/// A value as the JSON text a column stores.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain data structs (no maps with non-string keys) cannot fail.
    serde_json::to_string(v).unwrap_or_default()
}
