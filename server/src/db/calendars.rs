//! The `calendars` table: signed working-day calendar datasets (see [`crate::calendars`]).

use super::{Db, os, s};
use sea_orm::{DbErr, QueryResult, Statement};

/// A stored calendar dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarRow {
    /// Id (`cal_...`).
    pub id: String,
    /// The dataset's version (unique).
    pub version: String,
    /// The dataset as JSON, exactly as signed.
    pub body: String,
    /// The key that signed it.
    pub key_id: String,
    /// The signature, base64.
    pub signature: String,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: String,
    /// The second admin who approved it.
    pub approved_by: Option<String>,
    /// When (the last approved is in force).
    pub approved_at: Option<String>,
}

fn calendar_row(r: &QueryResult) -> Result<CalendarRow, DbErr> {
    Ok(CalendarRow {
        id: s(r, "id")?,
        version: s(r, "version")?,
        body: s(r, "body")?,
        key_id: s(r, "key_id")?,
        signature: s(r, "signature")?,
        uploaded_by: s(r, "uploaded_by")?,
        uploaded_at: s(r, "uploaded_at")?,
        approved_by: os(r, "approved_by")?,
        approved_at: os(r, "approved_at")?,
    })
}

const COLS: &str = "id, version, body, key_id, signature, uploaded_by, uploaded_at, approved_by, \
     approved_at";

/// The order that puts the dataset in force first: the last approved.
const IN_FORCE_FIRST: &str = "approved_at DESC, id DESC";

impl Db {
    /// Stores a dataset (returns its id when it inserted: its version is new).
    pub fn insert_calendar_stmt(&self, c: &CalendarRow) -> Statement {
        self.stmt(
            &format!(
                "INSERT INTO calendars ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL) \
                 ON CONFLICT DO NOTHING RETURNING id"
            ),
            vec![
                c.id.clone().into(),
                c.version.clone().into(),
                c.body.clone().into(),
                c.key_id.clone().into(),
                c.signature.clone().into(),
                c.uploaded_by.clone().into(),
                c.uploaded_at.clone().into(),
            ],
        )
    }

    /// Approves a dataset (returns its id when it did: not approved yet, and `by` is not its
    /// uploader).
    pub fn approve_calendar_stmt(&self, id: &str, by: &str, at: &str) -> Statement {
        self.stmt(
            "UPDATE calendars SET approved_by = ?, approved_at = ? \
             WHERE id = ? AND approved_by IS NULL AND uploaded_by <> ? RETURNING id",
            vec![by.into(), at.into(), id.into(), by.into()],
        )
    }

    /// One dataset.
    pub async fn calendar(&self, id: &str) -> Result<Option<CalendarRow>, DbErr> {
        self.one(
            &format!("SELECT {COLS} FROM calendars WHERE id = ?"),
            vec![id.into()],
            calendar_row,
        )
        .await
    }

    /// Every dataset, newest upload first.
    pub async fn calendars(&self) -> Result<Vec<CalendarRow>, DbErr> {
        self.all(
            &format!("SELECT {COLS} FROM calendars ORDER BY uploaded_at DESC, id DESC"),
            vec![],
            calendar_row,
        )
        .await
    }

    /// The id and version of the dataset in force, if any (read on every poll: no body).
    pub async fn calendar_in_force(&self) -> Result<Option<(String, String)>, DbErr> {
        self.one(
            &format!(
                "SELECT id, version FROM calendars WHERE approved_at IS NOT NULL \
                 ORDER BY {IN_FORCE_FIRST} LIMIT 1"
            ),
            vec![],
            |r| Ok((s(r, "id")?, s(r, "version")?)),
        )
        .await
    }
}
