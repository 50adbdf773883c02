//! Persistence: sea-orm over SQLite (embedded default, WAL, full sync) or PostgreSQL.
//!
//! Queries are plain SQL written once with `?` placeholders ([`Db::stmt`] turns them into
//! `$n` for PostgreSQL), so the two backends run the same statements. Writes that must be
//! durable before the client hears 201 go through the group-commit [`writer`].

pub mod lifecycle;
pub mod migrations;
pub mod store;
pub mod writer;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
    Value,
};
use std::time::Duration;

/// The database handle.
#[derive(Clone, Debug)]
pub struct Db {
    /// The pool.
    pub conn: DatabaseConnection,
    /// Which backend.
    pub backend: DbBackend,
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
        Ok(Db { conn, backend })
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
}
