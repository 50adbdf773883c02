//! The review queue: the claims of the adjuster's regions that wait for a person, by due date
//! (working days), a page at a time; filtered, ordered and paged by the database (one query
//! per page), so that no number of claims decided meanwhile can hide one.

use crate::AppState;
use crate::auth::{Principal, Role};
use crate::db::claims::QueueRow;
use crate::domain::QueueKind;
use crate::error::{Code, Error};
use crate::now;
use oip_engine::types::Date;

/// What the queue is filtered by.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// One queue only.
    pub queue: Option<QueueKind>,
    /// One of the caller's regions only.
    pub region: Option<String>,
    /// Only claims past their due date.
    pub overdue: bool,
}

/// A page of the queue.
#[derive(Clone, Debug)]
pub struct QueuePage {
    /// The claims, oldest due date first.
    pub items: Vec<QueueRow>,
    /// Where the next page starts, when there is one.
    pub next_cursor: Option<String>,
    /// Today, in Beijing.
    pub today: Date,
}

/// The cursor of the claim after which a page starts: `due_on/claim_id`.
pub fn cursor_of(row: &QueueRow) -> Option<String> {
    Some(format!("{}/{}", row.claim.due_on?, row.claim.id))
}

/// A cursor's parts: `YYYY-MM-DD/` and up to 64 printable characters. The page starts after
/// that position in (due date, id) order, whatever the position names.
fn parse_cursor(c: &str) -> Result<(String, String), Error> {
    let bad = || {
        Error::field(
            Code::InvalidRequest,
            "cursor",
            "a cursor as next_cursor gives it",
        )
    };
    let (due, id) = c.split_once('/').ok_or_else(bad)?;
    let shape = due.len() == 10
        && due.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let printable = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic());
    if !shape || !printable {
        return Err(bad());
    }
    Ok((due.to_string(), id.to_string()))
}

/// A page of the caller's queue (adjusters only).
pub async fn queue(
    state: &AppState,
    who: &Principal,
    filter: &QueueFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<QueuePage, Error> {
    who.require(&[Role::Adjuster])?;
    let after = cursor.map(parse_cursor).transpose()?;
    let regions: Vec<String> = match &filter.region {
        Some(r) if who.regions.contains(r) => vec![r.clone()],
        Some(_) => Vec::new(),
        None => who.regions.clone(),
    };
    let today = now().beijing_date();
    let due_before = filter.overdue.then_some(today);
    let mut items = state
        .db
        .queue_page(&regions, filter.queue, due_before, after, limit + 1)
        .await?;
    let next_cursor = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().and_then(cursor_of)
    } else {
        None
    };
    Ok(QueuePage {
        items,
        next_cursor,
        today,
    })
}

/// How many claims wait in the caller's queue, and how many of them are overdue.
pub async fn counts(
    state: &AppState,
    who: &Principal,
    filter: &QueueFilter,
) -> Result<(i64, i64), Error> {
    let regions: Vec<String> = match &filter.region {
        Some(r) if who.regions.contains(r) => vec![r.clone()],
        Some(_) => Vec::new(),
        None => who.regions.clone(),
    };
    let today = now().beijing_date();
    let all = state
        .db
        .queue_count(&regions, filter.queue, filter.overdue.then_some(today))
        .await?;
    let overdue = state
        .db
        .queue_count(&regions, filter.queue, Some(today))
        .await?;
    Ok((all, overdue))
}
