//! `oip backup` and `oip restore`: the SQLite database copied consistently while the server
//! runs (`VACUUM INTO` reads one snapshot, writers go on), checked, and put back into a new
//! data directory. PostgreSQL has its own tools (`pg_dump`, `pg_restore`); the commands say so.
//!
//! What is not in the database stays out of the backup by design: the master key that wraps
//! the data keys, the audit checkpoint key and the append-only checkpoint file. An operator
//! keeps them apart from the database copies.

use crate::config::Config;
use crate::db::Db;
use anyhow::{Context, bail, ensure};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::path::Path;

/// What a backup holds, as the commands report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Claims.
    pub claims: i64,
    /// Audit entries.
    pub audit_entries: i64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} claims, {} audit entries, integrity ok",
            self.claims, self.audit_entries
        )
    }
}

fn postgres_only(c: &Config) -> anyhow::Result<()> {
    if c.database_url.is_some() {
        bail!(
            "the database is PostgreSQL: back it up with `pg_dump --format=custom --file=oip.dump \
             \"$DATABASE_URL\"` and restore with `pg_restore --dbname=\"$DATABASE_URL\" oip.dump`"
        );
    }
    Ok(())
}

/// Copies the SQLite database of `c` into `out` (which must not exist), then checks the copy.
pub async fn backup(c: &Config, out: &Path) -> anyhow::Result<Summary> {
    postgres_only(c)?;
    ensure!(
        !out.exists(),
        "{} exists: a backup never overwrites",
        out.display()
    );
    let source = c.data_dir.join("oip.db");
    ensure!(source.exists(), "no database at {}", source.display());
    let db = Db::connect(&format!("sqlite://{}?mode=ro", source.display())).await?;
    let target = out
        .to_str()
        .context("the backup path must be UTF-8")?
        .to_string();
    db.conn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [target.into()],
        ))
        .await
        .with_context(|| format!("cannot write {}", out.display()))?;
    check(out).await
}

/// Puts the backup `from` in place as the database of `c`'s data directory (which must have
/// none), after checking it, and migrates it to this version.
pub async fn restore(c: &Config, from: &Path) -> anyhow::Result<Summary> {
    postgres_only(c)?;
    let summary = check(from).await?;
    std::fs::create_dir_all(&c.data_dir)?;
    let target = c.data_dir.join("oip.db");
    ensure!(
        !target.exists(),
        "{} exists: restore into a data directory without a database",
        target.display()
    );
    std::fs::copy(from, &target).with_context(|| format!("cannot write {}", target.display()))?;
    crate::migrate(c).await?;
    Ok(summary)
}

/// Opens a backup read-only, runs SQLite's integrity check and counts what it holds.
async fn check(file: &Path) -> anyhow::Result<Summary> {
    // A plain read-only connection: the server's own (`Db::connect`) sets WAL mode, a write.
    let conn = sea_orm::Database::connect(format!("sqlite://{}?mode=ro", file.display()))
        .await
        .with_context(|| format!("{} is not a SQLite database", file.display()))?;

    let one = |sql: &str| Statement::from_string(DbBackend::Sqlite, sql.to_string());
    let ok: String = conn
        .query_one_raw(one("PRAGMA integrity_check"))
        .await?
        .context("no answer to the integrity check")?
        .try_get_by_index(0)?;
    ensure!(
        ok == "ok",
        "{} fails SQLite's integrity check: {ok}",
        file.display()
    );
    let count = |table: &'static str| {
        let conn = &conn;
        async move {
            let row = conn
                .query_one_raw(one(&format!("SELECT COUNT(*) AS n FROM {table}")))
                .await?
                .context("no count")?;
            anyhow::Ok(row.try_get::<i64>("", "n")?)
        }
    };
    Ok(Summary {
        claims: count("claims")
            .await
            .with_context(|| format!("{} is not an oip database", file.display()))?,
        audit_entries: count("audit").await?,
    })
}
