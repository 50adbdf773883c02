//! Adjusters' pages: the review queue, a claim explained the way a person reads it, the review
//! actions as forms, and the worker's printable notice.
//!
//! The queue is the API's queue (`api::review::queue`); a claim is read through the API's
//! scoped lookup (a claim outside the caller's regions is "not found", as through the API);
//! a review form becomes the API's review body and goes through `api::review::review`, so
//! the transitions, the four-eyes rule and the required reasons are the workflow's own.

use super::i18n::{self, Lang};
use super::layout::{self, actor, error_box, money, short};
use super::{Done, Fields, Session, see_other};
use crate::api::JsonBody;
use crate::api::claims::visible_claim;
use crate::auth::{Principal, Role};
use crate::claims::decision_json_value;
use crate::db::store::{AuditRow, ClaimRow};
use crate::error::{ApiError, FieldProblem};
use crate::workflow::{self, Workflow};
use crate::{AppState, now};
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use oip_engine::types::Date;
use serde::Deserialize;
use serde_json::{Value, json};

/// The queue's filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct QueueFilter {
    status: Option<String>,
    region: Option<String>,
    overdue: Option<String>,
}

/// Working days from `today` to `due`: positive ahead, negative when overdue.
fn working_days_between(today: Date, due: Date) -> i64 {
    let (from, to, sign) = if due >= today {
        (today, due, 1)
    } else {
        (due, today, -1)
    };
    let mut n = 0;
    let mut d = from;
    // Due dates are at most a few months away; the bound only guards against nonsense.
    for _ in 0..3660 {
        if d >= to {
            break;
        }
        d = d.add_days(1);
        if oip_sdk::calendar::is_working_day(d) {
            n += 1;
        }
    }
    sign * n
}

/// `GET /console/queue`: the API's queue, filtered.
pub(crate) async fn queue(
    State(state): State<AppState>,
    s: Session,
    q: Result<Query<QueueFilter>, QueryRejection>,
) -> Response {
    let f = q.map(|Query(f)| f).unwrap_or_default();
    let l = s.lang;
    let v = match crate::api::review::queue(State(state.clone()), s.who.clone()).await {
        Ok(Json(v)) => v,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let want_status = f.status.as_deref().filter(|v| !v.is_empty());
    let want_region = f.region.as_deref().filter(|v| !v.is_empty());
    let only_overdue = f.overdue.is_some();
    let all: Vec<Value> = v["items"].as_array().cloned().unwrap_or_default();
    let items: Vec<&Value> = all
        .iter()
        .filter(|i| want_status.is_none_or(|st| i["queue"] == st))
        .filter(|i| want_region.is_none_or(|r| i["region"] == r))
        .filter(|i| !only_overdue || i["overdue"] == true)
        .collect();
    let today = now().beijing_date();
    let overdue = items.iter().filter(|i| i["overdue"] == true).count();
    let queues = [
        "pending_review",
        "awaiting_second_approval",
        "appealed",
        "quality_review",
    ];
    let body = html! {
        h1 { (l.t(i18n::QUEUE_TITLE)) }
        p.muted { (l.t(i18n::QUEUE_HELP)) }
        form #filters method="get" action="/console/queue" .card {
            label { (l.t(i18n::COL_STATUS)) " "
                select name="status" {
                    option value="" { (l.t(i18n::ALL_OPTION)) }
                    @for q in queues {
                        option value=(q) selected[want_status == Some(q)] { (i18n::status(l, q)) }
                    }
                }
            }
            label { (l.t(i18n::COL_REGION)) " "
                select name="region" {
                    option value="" { (l.t(i18n::ALL_OPTION)) }
                    @for r in &s.who.regions {
                        option value=(r) selected[want_region == Some(r.as_str())] { (r) }
                    }
                }
            }
            label { input type="checkbox" name="overdue" value="1" checked[only_overdue]; " " (l.t(i18n::ONLY_OVERDUE)) }
            button type="submit" { (l.t(i18n::FILTER)) }
        }
        p {
            (l.t(i18n::CLAIMS_COUNT)) ": " strong #count { (items.len()) }
            " · " (l.t(i18n::OVERDUE_COUNT)) ": " strong #overdue-count { (overdue) }
            " · " (l.t(i18n::TODAY)) ": " (today.to_string())
        }
        @if items.is_empty() {
            p.card { (l.t(i18n::QUEUE_EMPTY)) }
        } @else {
            table #queue {
                thead { tr {
                    th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::COL_REGION)) } th { (l.t(i18n::COL_STATUS)) }
                    th { (l.t(i18n::COL_OUTCOME)) } th { (l.t(i18n::COL_DUE)) } th { (l.t(i18n::COL_CREATED)) }
                    th { (l.t(i18n::COL_NOTES)) }
                } }
                tbody {
                    @for i in &items {
                        @let id = i["id"].as_str().unwrap_or_default();
                        @let due = i["due"].as_str().and_then(|d| Date::parse(d).ok());
                        tr data-claim=(id) {
                            td { a href={ "/console/claims/" (id) } { code { (id) } } }
                            td { (i["region"].as_str().unwrap_or_default()) }
                            td { span.badge.status { (i18n::status(l, i["queue"].as_str().unwrap_or_default())) } }
                            td { (i18n::outcome(l, i["outcome"].as_str().unwrap_or_default())) }
                            td {
                                @if let Some(d) = due {
                                    (d.to_string()) " "
                                    @if i["overdue"] == true {
                                        span.badge.overdue { (l.t(i18n::OVERDUE)) }
                                    }
                                    br;
                                    small { (i18n::working_days(l, working_days_between(today, d))) }
                                }
                            }
                            td { small { (i["created_at"].as_str().unwrap_or_default()) } }
                            td {
                                @if i["fast_track"] == true { span.badge { (l.t(i18n::FAST_TRACK)) } " " }
                                @if i["proposal_by"].as_str() == Some(s.who.token_id.as_str()) {
                                    small { (l.t(i18n::PROPOSED_BY_YOU)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(&s.ctx(), l.t(i18n::QUEUE_TITLE), false, body),
    )
}

/// What a claim page shows.
struct ClaimView {
    claim: ClaimRow,
    decision: Option<Value>,
    decisions: Vec<Value>,
    reviews: Vec<Value>,
    audit: Vec<AuditRow>,
    workflow: Workflow,
}

async fn load(state: &AppState, who: &Principal, id: &str) -> Result<ClaimView, ApiError> {
    let claim = visible_claim(state, who, id).await?;
    let decision = match &claim.decision_id {
        Some(d) => state.db.decision(d).await?.map(|d| decision_json_value(&d)),
        None => None,
    };
    let decisions = state
        .db
        .decisions_of(&claim.id)
        .await?
        .iter()
        .map(decision_json_value)
        .collect();
    let reviews = state.db.reviews_of(&claim.id).await?;
    let audit = state.db.audit(Some(&claim.id), 0, 500).await?;
    let workflow = Workflow::of(&claim);
    Ok(ClaimView {
        claim,
        decision,
        decisions,
        reviews,
        audit,
        workflow,
    })
}

/// `GET /console/claims/{id}`.
pub(crate) async fn claim_page(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    q: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = Done::take(q);
    render_claim(&state, &s, &id, done.as_deref(), None).await
}

async fn render_claim(
    state: &AppState,
    s: &Session,
    id: &str,
    done: Option<&str>,
    error: Option<&ApiError>,
) -> Response {
    let v = match load(state, &s.who, id).await {
        Ok(v) => v,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let l = s.lang;
    let status = error.map(|e| e.parts().0).unwrap_or(StatusCode::OK);
    let title = format!("{} {}", l.t(i18n::CLAIM_TITLE), v.claim.id);
    let body = html! {
        h1 { (l.t(i18n::CLAIM_TITLE)) " " code { (v.claim.id) } " "
            span.badge.status #claim-status data-status=(v.claim.status) { (i18n::status(l, &v.claim.status)) } }
        @if let Some(a) = done {
            div.done #done role="status" {
                (l.t(i18n::DONE)) ": " (i18n::action(l, a)) " · "
                (l.t(i18n::CURRENT_STATUS)) ": " (i18n::status(l, &v.claim.status))
            }
        }
        @if let Some(e) = error { (error_box(l, e)) }
        (summary(l, &v))
        (decision_section(l, &v))
        (reviewed_lines(l, &v, &s.who.token_id))
        (actions(l, s, &v))
        (history(l, &v, &s.who.token_id))
    };
    layout::respond(status, layout::page(&s.ctx(), &title, false, body))
}

fn summary(l: Lang, v: &ClaimView) -> Markup {
    let c = &v.claim;
    let narrative: Value = serde_json::from_str(&c.narrative).unwrap_or(Value::Null);
    let due = v
        .decision
        .as_ref()
        .and_then(|d| d["due"]["determination"].as_str());
    html! {
        section .cols {
            dl.kv {
                dt { (l.t(i18n::COL_REGION)) } dd { (c.region) }
                dt { (l.t(i18n::PLATFORM)) } dd { (c.platform) }
                dt { (l.t(i18n::PLATFORM_REF)) } dd { code { (c.platform_claim_ref) } }
                dt { (l.t(i18n::WORKER_ID)) } dd { code { (c.worker_masked) } }
                dt { (l.t(i18n::COL_CREATED)) } dd { (c.created_at) }
                @if let Some(d) = due {
                    dt { (l.t(i18n::DUE_DETERMINATION)) } dd #due { (d)
                        @if let Ok(date) = Date::parse(d) {
                            @let days = working_days_between(now().beijing_date(), date);
                            " "
                            @if days < 0 { span.badge.overdue { (l.t(i18n::OVERDUE)) } " " }
                            small { (i18n::working_days(l, days)) }
                        }
                    }
                }
            }
            div {
                @if let Some(text) = narrative["description"].as_str() {
                    strong { (l.t(i18n::NARRATIVE)) } p { (text) }
                    @if let Some(loc) = narrative["location"].as_str() { p.muted { (loc) } }
                }
                @if let Some(d) = &c.possible_duplicate_of {
                    p.error { (l.t(i18n::POSSIBLE_DUPLICATE)) ": "
                        a href={ "/console/claims/" (d) } { code { (d) } } }
                }
            }
        }
    }
}

fn text_of(l: Lang, v: &Value) -> String {
    l.pick(
        v["zh"].as_str().unwrap_or_default(),
        v["en"].as_str().unwrap_or_default(),
    )
    .to_string()
}

fn decision_section(l: Lang, v: &ClaimView) -> Markup {
    let Some(d) = &v.decision else {
        return html! { section #decision { h2 { (l.t(i18n::DECISION)) } p { (l.t(i18n::NO_DECISION)) } } };
    };
    let outcome = d["outcome"].as_str().unwrap_or_default();
    let basis = match outcome {
        "covered" => i18n::SITUATION,
        "not_covered" => i18n::REFUSAL,
        _ => i18n::INFO_NEEDED,
    };
    let lines: Vec<Value> = d["benefits"].as_array().cloned().unwrap_or_default();
    let lump: u64 = workflow::lump_sum_fen(&d["benefits"]);
    let missing: Vec<Value> = d["missing_documents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let provisional: Vec<Value> = d["provisional_parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    html! {
        section #decision {
            h2 { (l.t(i18n::DECISION)) }
            p { (l.t(i18n::OUTCOME)) ": " strong #outcome data-outcome=(outcome) { (i18n::outcome(l, outcome)) }
                @if d["fast_track"] == true { " " span.badge { (l.t(i18n::FAST_TRACK)) } } }
            h3 { (l.t(basis)) }
            ul #reasons {
                @for r in d["reasons"].as_array().into_iter().flatten() {
                    li {
                        (text_of(l, r)) " "
                        small { "(" code { (r["code"].as_str().unwrap_or_default()) } "; "
                            (l.t(i18n::CITATION)) ": " (r["citation"]["title"].as_str().unwrap_or_default())
                            @if let Some(src) = r["citation"]["source"].as_str().filter(|s| !s.is_empty()) { " — " (src) }
                            ")" }
                    }
                }
            }
            @if !lines.is_empty() {
                h3 { (l.t(i18n::BENEFITS)) }
                p.muted { (l.t(i18n::BENEFITS_HELP)) }
                table #benefits {
                    thead { tr {
                        th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_AMOUNT)) } th { (l.t(i18n::COL_PAYER)) }
                        th { (l.t(i18n::COL_FORMULA)) } th { (l.t(i18n::COL_FIGURES)) } th { (l.t(i18n::CITATION)) }
                    } }
                    tbody {
                        @for b in &lines {
                            @let item = b["item"].as_str().unwrap_or_default();
                            @let prov = b["provisional"] == true;
                            tr.prov[prov] data-item=(item) {
                                td { strong { (i18n::item(l, item)) } br; small { (i18n::period(l, b["period"].as_str().unwrap_or_default())) }
                                    @if prov { " " span.badge.prov { (l.t(i18n::PROVISIONAL)) } } }
                                td.num { (money(l, b["amount_fen"].as_u64())) }
                                td { (i18n::payer(l, b["payer"].as_str().unwrap_or_default())) }
                                td { (text_of(l, &b["formula"]))
                                    @if b["note"].is_object() { br; small { (text_of(l, &b["note"])) } } }
                                td { ul {
                                    @for p in b["parameters"].as_array().into_iter().flatten() {
                                        li {
                                            code { (p["name"].as_str().unwrap_or_default()) } " = "
                                            (p["value"].as_i64().map(|v| v.to_string()).unwrap_or_else(|| "—".into())) " "
                                            (p["unit"].as_str().unwrap_or_default())
                                            @if let Some(per) = p["period"].as_str() { " (" (per) ")" }
                                            br;
                                            small { (p["source"].as_str().unwrap_or_default()) " · "
                                                @let conf = p["confidence"].as_str().unwrap_or_default();
                                                @if conf == "confirmed" || conf == "derived" { (i18n::confidence(l, conf)) }
                                                @else { span.badge.prov { (i18n::confidence(l, conf)) } } }
                                        }
                                    }
                                } }
                                td { small { (b["citation"]["title"].as_str().unwrap_or_default()) } }
                            }
                        }
                    }
                    tfoot { tr { th { (l.t(i18n::LUMP_SUM_TOTAL)) } td.num { (money(l, Some(lump))) } td colspan="4" {} } }
                }
            }
            @if !provisional.is_empty() {
                p { (l.t(i18n::PROVISIONAL_FIGURES)) ": "
                    @for p in &provisional { code { (p.as_str().unwrap_or_default()) } " " } }
            }
            @if !missing.is_empty() {
                h3 { (l.t(i18n::MISSING_DOCS)) }
                ul #missing { @for m in &missing { li { (i18n::document(l, m.as_str().unwrap_or_default())) } } }
            }
            h3 { (l.t(i18n::DUE_DATES)) }
            dl.kv {
                dt { (l.t(i18n::DUE_DETERMINATION)) } dd { (d["due"]["determination"].as_str().unwrap_or("—")) }
                dt { (l.t(i18n::DUE_PAYMENT)) } dd { (d["due"]["payment"].as_str().unwrap_or("—")) }
            }
            h3 { (l.t(i18n::PROVENANCE)) }
            dl.kv {
                dt { (l.t(i18n::POLICY)) } dd { (d["policy"]["policy_id"].as_str().unwrap_or_default()) " " (d["policy"]["version"].as_str().unwrap_or_default()) }
                dt { (l.t(i18n::DIGEST)) } dd { code { (d["policy"]["sha256"].as_str().unwrap_or_default()) } }
                dt { (l.t(i18n::FACTS_DIGEST)) } dd { code { (d["policy"]["facts_sha256"].as_str().unwrap_or_default()) } }
                dt { (l.t(i18n::DECISION_ID)) } dd { code { (d["id"].as_str().unwrap_or_default()) } " · " (i18n::decision_kind(l, d["kind"].as_str().unwrap_or_default())) }
            }
        }
    }
}

/// The lines of a proposal waiting for a second adjuster, or as approved.
fn reviewed_lines(l: Lang, v: &ClaimView, me: &str) -> Markup {
    let w = &v.workflow;
    let (title, lines, by) = match (&w.proposal, &w.approved_benefits) {
        (Some(p), _) => (
            i18n::PROPOSAL_WAITING,
            p.benefits.clone(),
            Some(p.by.as_str()),
        ),
        (None, Some(b)) => (i18n::APPROVED_LINES, b.clone(), w.decided_by.as_deref()),
        (None, None) => return html! {},
    };
    let proposal = w.proposal.as_ref();
    html! {
        section #reviewed {
            h2 { (l.t(i18n::UNDER_REVIEW_LINES)) }
            h3 { (l.t(title)) }
            @if let Some(by) = by { p { (l.t(i18n::PROPOSED_BY)) ": " (actor(l, by, me))
                @if let Some(p) = proposal { @if let Some(rc) = &p.reason_code {
                    " · " (i18n::reason(l, rc)) @if let Some(n) = &p.note { ": " (n) } } } } }
            table #reviewed-lines {
                thead { tr { th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_RECOMMENDED)) } th.num { (l.t(i18n::COL_AMOUNT)) } th { (l.t(i18n::COL_CHANGE)) } } }
                tbody {
                    @for b in lines.as_array().into_iter().flatten() {
                        @let item = b["item"].as_str().unwrap_or_default();
                        @let changed = b.get("change").is_some();
                        tr.prov[changed] data-item=(item) {
                            td { (i18n::item(l, item))
                                @if b.get("removed").is_some() { " " span.badge { (l.t(i18n::REMOVED)) } }
                                @if b.get("added").is_some() { " " span.badge { (l.t(i18n::ADDED)) } } }
                            td.num { @if changed { (money(l, b["recommended_amount_fen"].as_u64())) } }
                            td.num { (money(l, b["amount_fen"].as_u64())) }
                            td { @if let Some(ch) = b.get("change") {
                                (i18n::reason(l, ch["reason_code"].as_str().unwrap_or_default())) ": "
                                (ch["note"].as_str().unwrap_or_default()) } }
                        }
                    }
                }
                tfoot { tr { th { (l.t(i18n::LUMP_SUM_TOTAL)) } td {} td.num { (money(l, Some(workflow::lump_sum_fen(&lines)))) } td {} } }
            }
        }
    }
}

fn reason_select(l: Lang, name: &str, blank: &str) -> Markup {
    html! {
        select name=(name) {
            option value="" { (blank) }
            @for c in workflow::REASON_CODES { option value=(c) { (i18n::reason(l, c)) } }
        }
    }
}

/// The review forms the claim's status allows (the workflow decides; these only offer).
fn actions(l: Lang, s: &Session, v: &ClaimView) -> Markup {
    let st = v.claim.status.as_str();
    let notice = html! {
        p.noprint { a #notice-link href={ "/console/claims/" (v.claim.id) "/notice" } target="_blank" { (l.t(i18n::NOTICE)) } }
    };
    if s.who.role != Role::Adjuster {
        return html! { section #actions { h2 { (l.t(i18n::ACTIONS)) } p.muted { (l.t(i18n::ACTIONS_ADJUSTERS_ONLY)) } (notice) } };
    }
    let w = &v.workflow;
    let can_approve = matches!(
        st,
        "pending_review" | "appealed" | "awaiting_second_approval"
    ) || (st == "approved" && w.quality_review);
    let can_override = matches!(st, "pending_review" | "appealed");
    let can_deny = matches!(
        st,
        "pending_review" | "appealed" | "awaiting_second_approval"
    );
    let can_request = st == "pending_review";
    let can_close = st == "approved";
    let action_url = format!("/console/claims/{}/review", v.claim.id);
    let mut items: Vec<(String, Option<u64>)> = Vec::new();
    for b in v
        .decision
        .as_ref()
        .and_then(|d| d["benefits"].as_array())
        .into_iter()
        .flatten()
    {
        let item = b["item"].as_str().unwrap_or_default().to_string();
        if !items.iter().any(|(i, _)| *i == item) {
            items.push((item, b["amount_fen"].as_u64()));
        }
    }
    let addable: Vec<String> = oip_engine::types::BenefitItem::ALL
        .iter()
        .filter_map(|b| serde_json::to_value(b).ok()?.as_str().map(str::to_string))
        .filter(|c| !items.iter().any(|(i, _)| i == c))
        .collect();
    let mine = w.proposal.as_ref().is_some_and(|p| p.by == s.who.token_id);
    let any = can_approve || can_override || can_deny || can_request || can_close;
    html! {
        section #actions {
            h2 { (l.t(i18n::ACTIONS)) }
            (notice)
            @if !any { p.muted { (l.t(i18n::ACTIONS_NONE)) } }
            @if can_approve {
                form.action #approve method="post" action=(action_url) {
                    h3 { (l.t(i18n::APPROVE)) }
                    p.muted { (l.t(i18n::APPROVE_HELP)) " " (l.t(i18n::FOUR_EYES_HINT)) }
                    @if mine { p { span.badge.prov { (l.t(i18n::PROPOSED_BY_YOU)) } } }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="approve";
                    button #approve-submit type="submit" { (l.t(i18n::APPROVE)) }
                }
            }
            @if can_override {
                form.action #override method="post" action=(action_url) {
                    h3 { (l.t(i18n::OVERRIDE)) }
                    p.muted { (l.t(i18n::OVERRIDE_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="override";
                    table {
                        thead { tr { th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_RECOMMENDED)) } th { (l.t(i18n::NEW_AMOUNT)) }
                            th { (l.t(i18n::REMOVE_LINE)) } th { (l.t(i18n::LINE_REASON)) } th { (l.t(i18n::LINE_NOTE)) } } }
                        tbody {
                            @for (item, amount) in &items {
                                tr {
                                    td { (i18n::item(l, item)) }
                                    td.num { (money(l, *amount)) }
                                    td { input type="text" inputmode="decimal" size="12" name={ "amount." (item) } placeholder="0.00"; }
                                    td { input type="checkbox" name={ "remove." (item) } value="1"; }
                                    td { (reason_select(l, &format!("reason.{item}"), l.t(i18n::SAME_AS_BELOW))) }
                                    td { input type="text" name={ "note." (item) }; }
                                }
                            }
                            @if !addable.is_empty() {
                                tr {
                                    td { (l.t(i18n::ADD_LINE)) ": " select name="add.item" { option value="" { "—" }
                                        @for c in &addable { option value=(c) { (i18n::item(l, c)) } } } }
                                    td {}
                                    td { input type="text" inputmode="decimal" size="12" name="add.amount" placeholder="0.00"; }
                                    td {}
                                    td { (reason_select(l, "add.reason", l.t(i18n::SAME_AS_BELOW))) }
                                    td { input type="text" name="add.note"; }
                                }
                            }
                        }
                    }
                    p { label { (l.t(i18n::REASON)) " " (reason_select(l, "reason_code", l.t(i18n::CHOOSE))) } }
                    p { label for="override-note" { (l.t(i18n::NOTE)) } textarea #override-note name="note" {} }
                    button #override-submit type="submit" { (l.t(i18n::OVERRIDE)) }
                }
            }
            @if can_deny {
                form.action #deny method="post" action=(action_url) {
                    h3 { (l.t(i18n::DENY)) }
                    p.muted { (l.t(i18n::DENY_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="deny";
                    p { label { (l.t(i18n::REASON)) " " (reason_select(l, "reason_code", l.t(i18n::CHOOSE))) } }
                    p { label for="deny-note" { (l.t(i18n::NOTE)) } textarea #deny-note name="note" {} }
                    button.danger #deny-submit type="submit" { (l.t(i18n::DENY)) }
                }
            }
            @if can_request {
                form.action #request-information method="post" action=(action_url) {
                    h3 { (l.t(i18n::REQUEST_INFO)) }
                    p.muted { (l.t(i18n::REQUEST_INFO_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="request_information";
                    p { (l.t(i18n::DOCUMENTS)) ": " br;
                        @for d in oip_engine::types::Document::ALL {
                            @let code = crate::validate::document_code(*d);
                            label { input type="checkbox" name="documents" value=(code); " " (i18n::document(l, code)) }
                        }
                    }
                    p { label for="request-note" { (l.t(i18n::NOTE)) } textarea #request-note name="note" {} }
                    button #request-submit type="submit" { (l.t(i18n::REQUEST_INFO)) }
                }
            }
            @if can_close {
                form.action #close method="post" action=(action_url) {
                    h3 { (l.t(i18n::CLOSE)) }
                    p.muted { (l.t(i18n::CLOSE_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="close";
                    button #close-submit type="submit" { (l.t(i18n::CLOSE)) }
                }
            }
        }
    }
}

fn history(l: Lang, v: &ClaimView, me: &str) -> Markup {
    let w = &v.workflow;
    html! {
        @if let Some(a) = &w.appeal {
            section #appeal {
                h2 { (l.t(i18n::APPEAL)) }
                dl.kv {
                    dt { (l.t(i18n::APPEAL_FILED)) } dd { (a.filed_at) }
                    dt { (l.t(i18n::APPEAL_GROUNDS)) } dd { (a.grounds) }
                    dt { (l.t(i18n::COL_STATUS)) } dd { (i18n::status(l, &a.from_status)) }
                }
            }
        }
        @if let Some(o) = &w.appeal_outcome {
            section #appeal-outcome {
                h3 { (l.t(i18n::APPEAL_OUTCOME)) }
                p { (i18n::status(l, o["outcome"].as_str().unwrap_or_default())) " · "
                    (l.t(i18n::APPEAL_GROUNDS)) ": " (o["grounds"].as_str().unwrap_or_default()) }
            }
        }
        section #history {
            h2 { (l.t(i18n::HISTORY)) }
            h3 { (l.t(i18n::DECISIONS)) }
            table #decisions {
                thead { tr { th { (l.t(i18n::COL_TIME)) } th { (l.t(i18n::COL_KIND)) } th { (l.t(i18n::OUTCOME)) }
                    th { (l.t(i18n::POLICY)) } th { (l.t(i18n::DECISION_ID)) } th { (l.t(i18n::COL_REPLACES)) } } }
                tbody {
                    @for d in &v.decisions {
                        tr {
                            td { small { (d["created_at"].as_str().unwrap_or_default()) } }
                            td { (i18n::decision_kind(l, d["kind"].as_str().unwrap_or_default())) }
                            td { (i18n::outcome(l, d["outcome"].as_str().unwrap_or_default())) }
                            td { (d["policy"]["version"].as_str().unwrap_or_default()) " " code { (short(d["policy"]["sha256"].as_str().unwrap_or_default())) } }
                            td { code { (d["id"].as_str().unwrap_or_default()) } }
                            td { code { (d["replaces"].as_str().unwrap_or_default()) } }
                        }
                    }
                }
            }
            h3 { (l.t(i18n::REVIEWS)) }
            @if v.reviews.is_empty() { p.muted { (l.t(i18n::NONE_YET)) } } @else {
                table #reviews {
                    thead { tr { th { (l.t(i18n::COL_TIME)) } th { (l.t(i18n::COL_ACTOR)) } th { (l.t(i18n::COL_ACTION)) }
                        th { (l.t(i18n::REASON)) } th { (l.t(i18n::NOTE)) } th { (l.t(i18n::COL_STATUS_CHANGE)) } } }
                    tbody {
                        @for r in &v.reviews {
                            tr data-action=(r["action"].as_str().unwrap_or_default()) {
                                td { small { (r["created_at"].as_str().unwrap_or_default()) } }
                                td { (actor(l, r["actor"].as_str().unwrap_or_default(), me)) }
                                td { (i18n::action(l, r["action"].as_str().unwrap_or_default())) }
                                td { @if let Some(rc) = r["reason_code"].as_str() { (i18n::reason(l, rc)) } }
                                td { (r["note"].as_str().unwrap_or_default())
                                    @for d in r["documents"].as_array().into_iter().flatten() {
                                        br; small { (i18n::document(l, d.as_str().unwrap_or_default())) } } }
                                td { (i18n::status(l, r["status_before"].as_str().unwrap_or_default())) " → "
                                    (i18n::status(l, r["status_after"].as_str().unwrap_or_default())) }
                            }
                        }
                    }
                }
            }
            h3 { (l.t(i18n::AUDIT)) }
            table #audit {
                thead { tr { th.num { (l.t(i18n::COL_SEQ)) } th { (l.t(i18n::COL_TIME)) } th { (l.t(i18n::COL_ACTOR)) }
                    th { (l.t(i18n::COL_ACTION)) } th { (l.t(i18n::COL_HASH)) } } }
                tbody {
                    @for a in &v.audit {
                        tr {
                            td.num { (a.seq) }
                            td { small { (a.at) } }
                            td { (actor(l, &a.actor, me)) }
                            td { (i18n::audit_action(l, &a.action)) " " small { code { (a.action) } } }
                            td { code { (short(&a.hash)) } }
                        }
                    }
                }
            }
        }
    }
}

/// An amount typed in yuan (`270`, `270.5`, `1,270.50`, `¥270`) in fen; no floats.
fn parse_yuan(s: &str) -> Option<u64> {
    let t: String = s
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    if whole.is_empty() || whole.len() > 12 || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let w: u64 = whole.parse().ok()?;
    let f: u64 = format!("{frac:0<2}").parse().ok()?;
    w.checked_mul(100)?.checked_add(f)
}

/// The API's review body from a review form.
fn review_body(f: &Fields) -> Result<Value, ApiError> {
    let action = f.text("action").unwrap_or_default();
    let reason = f.text("reason_code");
    let note = f.text("note");
    let body = match action.as_str() {
        "override" => {
            let mut problems = Vec::new();
            let mut items: Vec<String> = Vec::new();
            for (k, v) in f.iter() {
                let item = k
                    .strip_prefix("amount.")
                    .filter(|_| !v.trim().is_empty())
                    .or_else(|| k.strip_prefix("remove."));
                if let Some(i) = item {
                    if !items.iter().any(|x| x == i) {
                        items.push(i.to_string());
                    }
                }
            }
            // A changed line: its amount, and its own reason and note or else the override's.
            let line = |item: &str,
                        amount: Option<String>,
                        removed: bool,
                        names: [String; 3],
                        problems: &mut Vec<FieldProblem>| {
                let [amount_field, reason_field, note_field] = names;
                let amount_fen = match (removed, amount.as_deref().map(parse_yuan)) {
                    (true, _) => Value::Null,
                    (false, Some(Some(fen))) => json!(fen),
                    (false, _) => {
                        problems.push(FieldProblem::new(
                            amount_field,
                            "an amount in yuan, e.g. 270 or 270.50",
                        ));
                        Value::Null
                    }
                };
                json!({
                    "item": item,
                    "amount_fen": amount_fen,
                    "reason_code": f.text(&reason_field).or(reason.clone()).unwrap_or_default(),
                    "note": f.text(&note_field).or(note.clone()).unwrap_or_default(),
                })
            };
            let mut changes: Vec<Value> = items
                .iter()
                .map(|item| {
                    let removed = f.get(&format!("remove.{item}")).is_some();
                    let amount = f.text(&format!("amount.{item}"));
                    let names = [
                        format!("amount.{item}"),
                        format!("reason.{item}"),
                        format!("note.{item}"),
                    ];
                    line(item, amount, removed, names, &mut problems)
                })
                .collect();
            if let Some(item) = f.text("add.item") {
                let names = ["add.amount".into(), "add.reason".into(), "add.note".into()];
                changes.push(line(
                    &item,
                    f.text("add.amount"),
                    false,
                    names,
                    &mut problems,
                ));
            }
            if !problems.is_empty() {
                return Err(ApiError::InvalidRequest(problems));
            }
            json!({ "action": "override", "reason_code": reason, "note": note, "benefits": changes })
        }
        "deny" => json!({ "action": "deny", "reason_code": reason, "note": note }),
        "request_information" => {
            json!({ "action": "request_information", "documents": f.all("documents"), "note": note })
        }
        other => json!({ "action": other }),
    };
    Ok(body)
}

/// `POST /console/claims/{id}/review`: the form as the API's review.
pub(crate) async fn review(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let action = f.text("action").unwrap_or_default();
    let result = match review_body(&f) {
        Ok(body) => crate::api::review::review(
            State(state.clone()),
            s.who.clone(),
            Path(id.clone()),
            JsonBody(body),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => see_other(&format!(
            "/console/claims/{id}?done={}",
            super::pct(&action)
        )),
        Err(e) => render_claim(&state, &s, &id, None, Some(&e)).await,
    }
}

/// `GET /console/claims/{id}/notice`: the worker's notice in the console's language.
pub(crate) async fn notice(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let claim = visible_claim(&state, &s.who, &id).await?;
        let d = match &claim.decision_id {
            Some(d) => state.db.decision(d).await?,
            None => None,
        };
        Ok::<_, ApiError>(crate::notice::render(&claim, d.as_ref(), s.lang.en()))
    }
    .await;
    match result {
        Ok(html) => Html(html).into_response(),
        Err(e) => layout::error_page(&s.ctx(), &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts_parse_exactly() {
        assert_eq!(parse_yuan("270"), Some(27_000));
        assert_eq!(parse_yuan("270.5"), Some(27_050));
        assert_eq!(parse_yuan("¥1,270.05"), Some(127_005));
        assert_eq!(parse_yuan(" 0.01 "), Some(1));
        for bad in ["", "-1", "1.234", "abc", "1e3", ".5", "12345678901234"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let d = |s: &str| Date::parse(s).unwrap_or_else(|_| panic!("{s}"));
        // Friday 2025-09-19 to Monday 2025-09-22: one working day.
        assert_eq!(working_days_between(d("2025-09-19"), d("2025-09-22")), 1);
        assert_eq!(working_days_between(d("2025-09-22"), d("2025-09-19")), -1);
        // Sunday 2025-09-28 is a make-up working day.
        assert_eq!(working_days_between(d("2025-09-26"), d("2025-09-29")), 2);
        // National Day week 2025: 1-8 October are off; 9 October is the next working day.
        assert_eq!(working_days_between(d("2025-09-30"), d("2025-10-09")), 1);
        assert_eq!(working_days_between(d("2025-09-30"), d("2025-09-30")), 0);
    }

    fn fields(v: &[(&str, &str)]) -> Fields {
        Fields(
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn an_override_form_becomes_the_api_body() {
        let f = fields(&[
            ("action", "override"),
            ("amount.medical", ""),
            ("amount.hospital_meal_subsidy", "270"),
            ("reason.hospital_meal_subsidy", ""),
            ("remove.living_care", "1"),
            ("reason.living_care", "excluded"),
            ("note.living_care", "not assessed"),
            ("reason_code", "document_evidence"),
            ("note", "hospital rate on the receipts"),
            ("add.item", ""),
        ]);
        let b = review_body(&f).unwrap_or_default();
        assert_eq!(b["action"], "override");
        assert_eq!(b["reason_code"], "document_evidence");
        let lines = b["benefits"].as_array().cloned().unwrap_or_default();
        assert_eq!(lines.len(), 2, "{b}");
        assert_eq!(
            lines[0],
            json!({"item": "hospital_meal_subsidy", "amount_fen": 27000, "reason_code": "document_evidence", "note": "hospital rate on the receipts"})
        );
        assert_eq!(
            lines[1],
            json!({"item": "living_care", "amount_fen": null, "reason_code": "excluded", "note": "not assessed"})
        );
        let b = review_body(&fields(&[
            ("action", "override"),
            ("add.item", "living_care"),
            ("add.amount", "1,000"),
            ("add.reason", "medical_evidence"),
            ("note", "care assessed"),
        ]))
        .unwrap_or_default();
        assert_eq!(
            b["benefits"],
            json!([{"item": "living_care", "amount_fen": 100000, "reason_code": "medical_evidence", "note": "care assessed"}])
        );
        // Reasons stay required: the API refuses what the form leaves out.
        let b = review_body(&fields(&[("action", "deny")])).unwrap_or_default();
        assert_eq!(
            b,
            json!({"action": "deny", "reason_code": null, "note": null})
        );
        let e = review_body(&fields(&[
            ("action", "override"),
            ("amount.medical", "lots"),
        ]));
        assert!(matches!(e, Err(ApiError::InvalidRequest(p)) if p[0].path == "amount.medical"));
    }
}
