//! A claim explained the way a person reads it: the situation or the refusal reason with its
//! citation, each benefit line with its formula and the figures it used (source, confidence),
//! provisional lines marked; the review state; the history; and the worker's notice.

use super::i18n::{self, Lang};
use super::layout::{self, actor, error_box, money, short};
use super::queue::working_days_between;
use super::{Done, Session};
use crate::AppState;
use crate::api::views::{AuditEntryView, ClaimView, ReviewView};
use crate::auth::Role;
use crate::claims::StoredClaim;
use crate::db::decisions::DecisionRow;
use crate::domain::{ClaimStatus, Workflow};
use crate::error::Error;
use crate::notice::code;
use crate::now;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use oip_engine::types::{Confidence, Decision, Outcome, Text};

/// What a claim page shows.
pub(crate) struct ClaimPage {
    pub(crate) stored: StoredClaim,
    pub(crate) view: ClaimView,
    pub(crate) decision: Option<Decision>,
    pub(crate) decisions: Vec<DecisionRow>,
    pub(crate) reviews: Vec<ReviewView>,
    /// The audit trail: the agency's people only (`None` for a platform).
    pub(crate) audit: Option<Vec<AuditEntryView>>,
}

impl ClaimPage {
    pub(crate) fn workflow(&self) -> &Workflow {
        &self.stored.claim.workflow
    }
}

async fn load(state: &AppState, s: &Session, id: &str) -> Result<ClaimPage, Error> {
    let mut stored = crate::claims::read(state, &s.who, id).await?;
    let platform = s.who.role == Role::Platform;
    if platform {
        // What the API gives a platform (ClaimView::seen_by), for every part of the page.
        stored.claim.workflow = std::mem::take(&mut stored.claim.workflow).for_platform();
        stored.claim.possible_duplicate_of = None;
    }
    let decision = stored
        .decision
        .as_ref()
        .and_then(|d| serde_json::from_str::<Decision>(&d.body).ok());
    let decisions = state.db.decisions_of(&stored.claim.id).await?;
    let reviews = state.db.reviews_of(&stored.claim.id).await?;
    // The audit trail is for the agency's people; a platform reads its claim, not who in the
    // agency looked at it.
    let audit = if platform {
        None
    } else {
        Some(state.db.audit(Some(&stored.claim.id), 0, 500).await?)
    };
    Ok(ClaimPage {
        view: ClaimView::from(&stored).seen_by(&s.who),
        decision,
        decisions,
        reviews: reviews
            .iter()
            .map(|r| ReviewView::from(r).seen_by(&s.who))
            .collect(),
        audit: audit.map(|rows| rows.iter().map(AuditEntryView::from).collect()),
        stored,
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

pub(crate) async fn render_claim(
    state: &AppState,
    s: &Session,
    id: &str,
    done: Option<&str>,
    error: Option<&Error>,
) -> Response {
    let v = match load(state, s, id).await {
        Ok(v) => v,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let l = s.lang;
    let status = error.map(Error::status).unwrap_or(StatusCode::OK);
    let c = &v.view;
    let title = format!("{} {}", l.t(i18n::CLAIM_TITLE), c.id);
    // An approved claim's payments, for those who may read them.
    let schedule = match c.status {
        ClaimStatus::Approved | ClaimStatus::Closed => {
            crate::payments::schedule(state, &s.who, id).await.ok()
        }
        _ => None,
    };
    let body = html! {
        h1 { (l.t(i18n::CLAIM_TITLE)) " " code { (c.id) } " "
            span.badge.status #claim-status data-status=(c.status.as_str()) { (i18n::status(l, c.status.as_str())) } }
        @if let Some(a) = done {
            div.done #done role="status" {
                (l.t(i18n::DONE)) ": " (i18n::action(l, a)) " · "
                (l.t(i18n::CURRENT_STATUS)) ": " (i18n::status(l, c.status.as_str()))
            }
        }
        @if let Some(e) = error { (error_box(l, e)) }
        @if let Some(u) = c.review.as_ref().and_then(|w| w.undecided.as_ref()) {
            div.refused #undecided role="alert" {
                (l.t(i18n::UNDECIDED)) " "
                code { (u.error) } @if let Some(p) = &u.policy_code { " / " code { (p) } }
                @if let Some(m) = &u.message { ": " (pick(l, m)) }
                @if let Some(f) = &u.field { " (" code { (f) } ")" }
                " · " (l.t(i18n::ATTEMPTS)) ": " (u.attempts)
            }
        }
        (summary(l, &v))
        (decision_section(l, &v))
        (reviewed_lines(l, &v, s.who.person()))
        (super::review_form::actions(l, s, &v))
        @if let Some(sch) = &schedule { (super::payments::schedule_section(l, sch)) }
        (history(l, &v, s.who.person()))
    };
    layout::respond(status, layout::page(&s.ctx(), &title, false, body))
}

fn pick(l: Lang, t: &Text) -> &str {
    l.pick(&t.zh, &t.en)
}

fn summary(l: Lang, v: &ClaimPage) -> Markup {
    let c = &v.view;
    let due = v.decision.as_ref().and_then(|d| d.due.determination);
    html! {
        section .cols {
            dl.kv {
                dt { (l.t(i18n::COL_REGION)) } dd { (c.region) }
                dt { (l.t(i18n::PLATFORM)) } dd { (c.platform) }
                dt { (l.t(i18n::PLATFORM_REF)) } dd { code { (c.platform_claim_ref) } }
                dt { (l.t(i18n::WORKER_ID)) } dd { code { (c.worker.id_number) } }
                dt { (l.t(i18n::COL_CREATED)) } dd { (c.created_at) }
                @if let Some(d) = due {
                    dt { (l.t(i18n::DUE_DETERMINATION)) } dd #due { (d)
                        @let days = working_days_between(now().beijing_date(), d);
                        " "
                        @if days < 0 { span.badge.overdue { (l.t(i18n::OVERDUE)) } " " }
                        small { (i18n::working_days(l, days)) }
                    }
                }
            }
            div {
                @if let Some(text) = &c.narrative.description {
                    strong { (l.t(i18n::NARRATIVE)) } p { (text) }
                    @if let Some(loc) = &c.narrative.location { p.muted { (loc) } }
                }
                @if let Some(d) = &c.possible_duplicate_of {
                    p.error { (l.t(i18n::POSSIBLE_DUPLICATE)) ": "
                        a href={ "/console/claims/" (d) } { code { (d) } } }
                }
            }
        }
    }
}

fn decision_section(l: Lang, v: &ClaimPage) -> Markup {
    let (Some(d), Some(row)) = (&v.decision, &v.stored.decision) else {
        return html! { section #decision { h2 { (l.t(i18n::DECISION)) } p { (l.t(i18n::NO_DECISION)) } } };
    };
    let outcome = crate::claims::outcome_code(d.outcome);
    let basis = match d.outcome {
        Outcome::Covered => i18n::SITUATION,
        Outcome::NotCovered => i18n::REFUSAL,
        Outcome::NeedsInformation => i18n::INFO_NEEDED,
    };
    let lines: Vec<crate::domain::ReviewedLine> = d.benefits.iter().map(Into::into).collect();
    let lump = crate::domain::lump_sum_fen(&lines);
    let p = &row.provenance;
    html! {
        section #decision {
            h2 { (l.t(i18n::DECISION)) }
            p { (l.t(i18n::OUTCOME)) ": " strong #outcome data-outcome=(outcome) { (i18n::outcome(l, outcome)) }
                @if d.fast_track { " " span.badge { (l.t(i18n::FAST_TRACK)) } } }
            h3 { (l.t(basis)) }
            ul #reasons {
                @for r in &d.reasons {
                    li {
                        (pick(l, &r.text)) " "
                        small { "(" code { (r.code) } "; " (l.t(i18n::CITATION)) ": " (r.citation.title)
                            @if !r.citation.source.is_empty() { " — " (r.citation.source) } ")" }
                    }
                }
            }
            @if !d.benefits.is_empty() {
                h3 { (l.t(i18n::BENEFITS)) }
                p.muted { (l.t(i18n::BENEFITS_HELP)) }
                table #benefits {
                    thead { tr {
                        th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_AMOUNT)) } th { (l.t(i18n::COL_PAYER)) }
                        th { (l.t(i18n::COL_FORMULA)) } th { (l.t(i18n::COL_FIGURES)) } th { (l.t(i18n::CITATION)) }
                    } }
                    tbody {
                        @for b in &d.benefits {
                            @let item = code(&b.item);
                            tr.prov[b.provisional] data-item=(item) {
                                td { strong { (i18n::item(l, &item)) } br; small { (i18n::period(l, &code(&b.period))) }
                                    @if b.provisional { " " span.badge.prov { (l.t(i18n::PROVISIONAL)) } } }
                                td.num { (money(l, b.amount_fen)) }
                                td { (i18n::payer(l, &code(&b.payer))) }
                                td { (pick(l, &b.formula))
                                    @if let Some(n) = &b.note { br; small { (pick(l, n)) } } }
                                td { ul {
                                    @for p in &b.parameters {
                                        li {
                                            code { (p.name) } " = "
                                            (p.value.map(|v| v.to_string()).unwrap_or_else(|| "—".into())) " " (p.unit)
                                            @if let Some(per) = &p.period { " (" (per) ")" }
                                            br;
                                            small { (p.source) " · "
                                                @let conf = code(&p.confidence);
                                                @if matches!(p.confidence, Confidence::Confirmed | Confidence::Derived) { (i18n::confidence(l, &conf)) }
                                                @else { span.badge.prov { (i18n::confidence(l, &conf)) } } }
                                        }
                                    }
                                } }
                                td { small { (b.citation.title) } }
                            }
                        }
                    }
                    tfoot { tr { th { (l.t(i18n::LUMP_SUM_TOTAL)) } td.num { (money(l, lump)) } td colspan="4" {} } }
                }
            }
            @if !d.provisional_parameters.is_empty() {
                p { (l.t(i18n::PROVISIONAL_FIGURES)) ": " @for p in &d.provisional_parameters { code { (p) } " " } }
            }
            @if !d.missing_documents.is_empty() {
                h3 { (l.t(i18n::MISSING_DOCS)) }
                ul #missing { @for m in &d.missing_documents { li { (i18n::document(l, &code(m))) } } }
            }
            h3 { (l.t(i18n::DUE_DATES)) }
            dl.kv {
                dt { (l.t(i18n::DUE_DETERMINATION)) } dd { (d.due.determination.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) }
                dt { (l.t(i18n::DUE_PAYMENT)) } dd { (d.due.payment.map(|d| d.to_string()).unwrap_or_else(|| "—".into())) }
            }
            h3 { (l.t(i18n::PROVENANCE)) }
            dl.kv {
                dt { (l.t(i18n::POLICY)) } dd { (p.policy_id) " " (p.version) }
                dt { (l.t(i18n::DIGEST)) } dd { code { (p.sha256) } }
                dt { (l.t(i18n::FACTS_DIGEST)) } dd { code { (p.facts_sha256) } }
                dt { (l.t(i18n::DECISION_ID)) } dd { code { (row.id) } " · " (i18n::decision_kind(l, &row.kind)) }
            }
        }
    }
}

/// The lines of a proposal waiting for a second adjuster, or as approved.
fn reviewed_lines(l: Lang, v: &ClaimPage, me: &str) -> Markup {
    let w = v.workflow();
    let (title, lines, by) = match (&w.proposal, &w.approved_benefits) {
        (Some(p), _) => (i18n::PROPOSAL_WAITING, &p.benefits, Some(p.by.as_str())),
        (None, Some(b)) => (i18n::APPROVED_LINES, b, w.decided_by.as_deref()),
        (None, None) => return html! {},
    };
    html! {
        section #reviewed {
            h2 { (l.t(i18n::UNDER_REVIEW_LINES)) }
            h3 { (l.t(title)) }
            @if let Some(by) = by { p { (l.t(i18n::PROPOSED_BY)) ": " (actor(l, by, me))
                @if let Some(p) = &w.proposal { @if let Some(rc) = p.reason_code {
                    " · " (i18n::reason(l, rc.as_str())) @if let Some(n) = &p.note { ": " (n) } } } } }
            table #reviewed-lines {
                thead { tr { th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_RECOMMENDED)) } th.num { (l.t(i18n::COL_AMOUNT)) } th { (l.t(i18n::COL_CHANGE)) } } }
                tbody {
                    @for b in lines {
                        @let item = code(&b.item);
                        tr.prov[b.change.is_some()] data-item=(item) {
                            td { (i18n::item(l, &item))
                                @if b.removed { " " span.badge { (l.t(i18n::REMOVED)) } }
                                @if b.added { " " span.badge { (l.t(i18n::ADDED)) } } }
                            td.num { @if b.change.is_some() { (money(l, b.recommended_amount_fen)) } }
                            td.num { (money(l, b.amount_fen)) }
                            td { @if let Some(ch) = &b.change { (i18n::reason(l, ch.reason_code.as_str())) ": " (ch.note) } }
                        }
                    }
                }
                tfoot { tr { th { (l.t(i18n::LUMP_SUM_TOTAL)) } td {} td.num { (money(l, crate::domain::lump_sum_fen(lines))) } td {} } }
            }
        }
    }
}

fn history(l: Lang, v: &ClaimPage, me: &str) -> Markup {
    let w = v.workflow();
    html! {
        @if let Some(a) = &w.appeal {
            section #appeal {
                h2 { (l.t(i18n::APPEAL)) }
                dl.kv {
                    dt { (l.t(i18n::APPEAL_FILED)) } dd { (a.filed_at) }
                    dt { (l.t(i18n::APPEAL_GROUNDS)) } dd { (a.grounds) }
                    dt { (l.t(i18n::COL_STATUS)) } dd { (i18n::status(l, a.from_status.as_str())) }
                }
            }
        }
        @if let Some(o) = &w.appeal_outcome {
            section #appeal-outcome {
                h3 { (l.t(i18n::APPEAL_OUTCOME)) }
                p { (i18n::status(l, o.outcome.as_str())) " · " (l.t(i18n::APPEAL_GROUNDS)) ": " (o.grounds) }
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
                            td { small { (d.created_at) } }
                            td { (i18n::decision_kind(l, &d.kind)) }
                            td { (i18n::outcome(l, &d.outcome)) }
                            td { (d.provenance.version) " " code { (short(&d.provenance.sha256)) } }
                            td { code { (d.id) } }
                            td { code { (d.replaces.as_deref().unwrap_or_default()) } }
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
                            tr data-action=(r.action) {
                                td { small { (r.created_at) } }
                                td { (actor(l, &r.actor, me)) }
                                td { (i18n::action(l, &r.action)) }
                                td { @if let Some(rc) = r.reason_code { (i18n::reason(l, rc.as_str())) } }
                                td { (r.note.as_deref().unwrap_or_default())
                                    @for d in r.documents.iter().flatten() { br; small { (i18n::document(l, &code(d))) } } }
                                td { (i18n::status(l, r.status_before.as_str())) " → " (i18n::status(l, r.status_after.as_str())) }
                            }
                        }
                    }
                }
            }
            @if let Some(audit) = &v.audit {
            h3 { (l.t(i18n::AUDIT)) }
            table #audit {
                thead { tr { th.num { (l.t(i18n::COL_SEQ)) } th { (l.t(i18n::COL_TIME)) } th { (l.t(i18n::COL_ACTOR)) }
                    th { (l.t(i18n::COL_ACTION)) } th { (l.t(i18n::COL_HASH)) } } }
                tbody {
                    @for a in audit {
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
}

/// `GET /console/claims/{id}/notice`: the worker's notice in the console's language.
pub(crate) async fn notice(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> Response {
    match crate::claims::read(&state, &s.who, &id).await {
        Ok(c) => crate::notice::page(&c, s.lang.en()),
        Err(e) => layout::error_page(&s.ctx(), &e),
    }
}
