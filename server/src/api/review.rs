//! Adjusters' routes: review actions, the queue, appeals, the audit trail, platform events,
//! the decision notice, and (audited) reads of a worker's personal data.

use super::error::ErrorBody;
use super::extract::{Body, Query, RequestBody};
use super::views::{
    AuditEntryView, EventPage, EventView, List, QueueView, ReviewView, ReviewedView, WorkerView,
};
use crate::AppState;
use crate::auth::{Principal, Role};
use crate::db::writer::AuditDraft;
use crate::domain::QueueKind;
use crate::error::{Code, Error};
use crate::review::{self, AppealRequest, QueueFilter, ReviewRequest};
use crate::validate::Worker;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

impl RequestBody for ReviewRequest {}
impl RequestBody for AppealRequest {}

/// Review a claim (adjuster of its region): approve, override, deny, request information, close.
/// Above the region's threshold an approval waits for a second adjuster.
#[utoipa::path(post, operation_id = "review_claim", path = "/v1/claims/{id}/review", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    request_body = ReviewRequest,
    responses((status = 200, description = "Done: the claim's status and review state now.", body = ReviewedView),
              (status = 403, description = "Not an adjuster.", body = ErrorBody),
              (status = 404, description = "Not found, or not of the adjuster's regions.", body = ErrorBody),
              (status = 409, description = "`invalid_transition` (not in this status), `different_adjuster_required` (four eyes), `conflict`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: a reason, a note or a line is missing or wrong.", body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<ReviewRequest>,
) -> Result<Json<ReviewedView>, Error> {
    who.require(&[Role::Adjuster])?;
    Ok(Json(ReviewedView::from(
        &review::review(&state, &who, &id, &req).await?,
    )))
}

/// Appeal an approval or a denial (platform, on the worker's behalf); another adjuster reviews it.
#[utoipa::path(post, operation_id = "appeal_claim", path = "/v1/claims/{id}/appeal", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    request_body = AppealRequest,
    responses((status = 200, description = "Appealed.", body = ReviewedView),
              (status = 403, description = "Not a platform token.", body = ErrorBody),
              (status = 404, description = "Not found, or not the platform's.", body = ErrorBody),
              (status = 409, description = "`invalid_transition`: not approved or denied; `conflict`.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: no grounds.", body = ErrorBody)))]
pub async fn appeal(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Body(req): Body<AppealRequest>,
) -> Result<Json<ReviewedView>, Error> {
    who.require(&[Role::Platform])?;
    Ok(Json(
        ReviewedView::from(&review::appeal(&state, &who, &id, &req).await?).seen_by(&who),
    ))
}

/// A claim's review history, oldest first.
#[utoipa::path(get, operation_id = "list_reviews", path = "/v1/claims/{id}/reviews", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    responses((status = 200, description = "The reviews.", body = List<ReviewView>),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody)))]
pub async fn reviews(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<List<ReviewView>>, Error> {
    let claim = crate::claims::visible(&state, &who, &id).await?;
    let rows = state.db.reviews_of(&claim.id).await?;
    Ok(Json(List {
        items: rows
            .iter()
            .map(|r| ReviewView::from(r).seen_by(&who))
            .collect(),
    }))
}

/// The queue's filters and page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// One queue only.
    queue: Option<QueueKind>,
    /// One of the adjuster's regions only.
    #[param(value_type = Option<crate::domain::RegionCode>)]
    region: Option<String>,
    /// Only claims past their due date.
    overdue: Option<bool>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}/[!-~]{1,64}$")]
    cursor: Option<String>,
    /// Claims per page (default 100).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

/// The adjuster's queue: its regions' claims waiting for a person, oldest due date first, a
/// page at a time.
#[utoipa::path(get, operation_id = "review_queue", path = "/v1/review/queue", tag = "review", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, description = "A page of the queue.", body = QueueView),
              (status = 403, description = "Not an adjuster.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: a parameter is not readable.", body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<QueueQuery>,
) -> Result<Json<QueueView>, Error> {
    who.require(&[Role::Adjuster])?;
    let limit = super::params::limit(q.limit, 100, 500)?;
    let filter = QueueFilter {
        queue: q.queue,
        region: super::params::region("region", q.region)?,
        overdue: q.overdue.unwrap_or(false),
    };
    let page = review::queue(&state, &who, &filter, q.cursor.as_deref(), limit).await?;
    Ok(Json(QueueView::from(&page)))
}

/// The audit trail's page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only the entries of this claim.
    #[param(min_length = 1, max_length = 64)]
    claim: Option<String>,
    /// Entries after this sequence number.
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Entries per page (default 500).
    #[param(minimum = 1, maximum = 5000)]
    limit: Option<u64>,
}

/// The hash-chained audit trail (auditor, admin), optionally of one claim, in chain order.
#[utoipa::path(get, operation_id = "audit_trail", path = "/v1/audit", tag = "review", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "The entries.", body = List<AuditEntryView>),
              (status = 403, description = "Not an auditor or admin.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: a parameter is not readable.", body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<List<AuditEntryView>>, Error> {
    who.require(&[Role::Auditor, Role::Admin])?;
    let limit = super::params::limit(q.limit, 500, 5000)?;
    if q.after.is_some_and(|a| a < 0) {
        return Err(Error::field(Code::InvalidRequest, "after", "0 or more"));
    }
    let claim = super::params::text("claim", q.claim, 64)?;
    let rows = state
        .db
        .audit(claim.as_deref(), q.after.unwrap_or(0), limit)
        .await?;
    Ok(Json(List {
        items: rows.iter().map(AuditEntryView::from).collect(),
    }))
}

/// The signed checkpoints of the audit chain (auditor, admin), oldest first: each the chain's
/// head (sequence, hash, time) signed with a key kept outside the database, as written to the
/// server's append-only checkpoint file. Check them with `oip audit verify --checkpoints`.
#[utoipa::path(get, operation_id = "audit_checkpoints", path = "/v1/audit/checkpoints", tag = "review", security(("bearer" = [])),
    responses((status = 200, description = "The checkpoints.", body = List<crate::audit::checkpoints::Checkpoint>),
              (status = 403, description = "Not an auditor or admin.", body = ErrorBody)))]
pub async fn audit_checkpoints(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<List<crate::audit::checkpoints::Checkpoint>>, Error> {
    who.require(&[Role::Auditor, Role::Admin])?;
    let items = crate::audit::checkpoints::read(&state.config.checkpoint_file())
        .map_err(Error::internal)?;
    Ok(Json(List { items }))
}

/// The events' page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events after this sequence number (the `next_cursor` of the page before).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// Events per page (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// A platform's events after a cursor: status changes, supplement notices, decisions.
#[utoipa::path(get, operation_id = "list_events", path = "/v1/events", tag = "review", security(("bearer" = [])), params(EventsQuery),
    responses((status = 200, description = "The events, in order.", body = EventPage),
              (status = 403, description = "Not a platform token.", body = ErrorBody),
              (status = 422, description = "`invalid_request`: a parameter is not readable.", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventPage>, Error> {
    who.require(&[Role::Platform])?;
    let platform = who.own_platform()?;
    let limit = super::params::limit(q.limit, 100, 1000)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(Error::field(Code::InvalidRequest, "after", "0 or more"));
    }
    let rows = state.db.events(platform, after, limit).await?;
    let next_cursor = rows.last().map_or(after, |e| e.seq);
    Ok(Json(EventPage {
        items: rows.iter().map(EventView::from).collect(),
        next_cursor,
    }))
}

/// A notice's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub enum NoticeLang {
    /// Simplified Chinese (the default).
    #[serde(rename = "zh-CN")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// The notice's language.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    /// `en` for English, `zh-CN` (the default) for Chinese.
    lang: Option<NoticeLang>,
}

/// The printable decision notice (zh-CN; `?lang=en` for English).
#[utoipa::path(get, operation_id = "claim_notice", path = "/v1/claims/{id}/notice", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id."), NoticeQuery),
    responses((status = 200, description = "The notice, as HTML.", content_type = "text/html", body = String),
              (status = 422, description = "`invalid_request`: `lang` is not `en` or `zh-CN`.", body = ErrorBody),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody)))]
pub async fn notice(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Error> {
    let claim = crate::claims::read(&state, &who, &id).await?;
    let en = q.lang == Some(NoticeLang::En);
    Ok(crate::notice::page(&claim, en))
}

/// The worker's personal data, decrypted (adjuster of the region, auditor, admin). Every read
/// is written to the audit trail before the answer leaves.
#[utoipa::path(get, operation_id = "claim_worker", path = "/v1/claims/{id}/worker", tag = "review", security(("bearer" = [])),
    params(("id" = String, Path, description = "The claim's id.")),
    responses((status = 200, description = "The worker's personal data.", body = WorkerView),
              (status = 403, description = "Not an adjuster, auditor or admin.", body = ErrorBody),
              (status = 404, description = "Not found, or not visible.", body = ErrorBody),
              (status = 410, description = "`personal_data_erased`: settled and past the retention period.", body = ErrorBody)))]
pub async fn worker(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<WorkerView>, Error> {
    who.require(&[Role::Adjuster, Role::Auditor, Role::Admin])?;
    let claim = crate::claims::visible(&state, &who, &id).await?;
    let sealed = state
        .db
        .worker_sealed(&claim.id)
        .await?
        .ok_or(Code::NotFound)?;
    if sealed.is_empty() {
        return Err(Code::PersonalDataErased.into());
    }
    let plain = state
        .open_sealed(&sealed, &crate::data_keys::claim_context(&claim.id))
        .await?;
    let worker: Worker =
        serde_json::from_slice(&plain).map_err(|e| Error::internal(e.to_string()))?;
    let audit = vec![AuditDraft {
        actor: who.person().to_string(),
        action: "claim.personal_data_read".into(),
        claim_id: Some(claim.id.clone()),
        before: None,
        after: Some(r#"{"fields":["id_number","name","birth_date","phone"]}"#.into()),
    }];
    state
        .writer
        .submit_logged(None, vec![], audit, vec![])
        .await?;
    Ok(Json(WorkerView {
        claim_id: claim.id,
        worker,
    }))
}
