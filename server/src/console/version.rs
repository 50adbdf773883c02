//! A policy version's page: what it is, its shadow run (live progress, the report, the chart
//! of payout changes, the changed claims), the steps its status allows, and its re-decision.

use super::i18n::{self, Lang};
use super::layout::{self, actor, change, error_box, money, short};
use super::policies::window;
use super::{Done, Session};
use crate::AppState;
use crate::api::views::{JobView, PolicyVersionView};
use crate::domain::{JobKind, JobStatus, PolicyStatus, PolicyStep};
use crate::error::Error;
use crate::jobs::{JobReport, ShadowReport};
use crate::notice::code;
use crate::policies::{self, in_force_today};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, PreEscaped, html};

/// `GET /console/policies/{id}`.
pub(crate) async fn version_page(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    q: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = Done::take(q);
    render_version(&state, &s, &id, done.as_deref(), None).await
}

async fn job_of(state: &AppState, id: &str, kind: JobKind) -> Result<Option<JobView>, Error> {
    Ok(state
        .db
        .latest_job(id, kind)
        .await?
        .as_ref()
        .map(JobView::from))
}

pub(crate) async fn render_version(
    state: &AppState,
    s: &Session,
    id: &str,
    done: Option<&str>,
    error: Option<&Error>,
) -> Response {
    let l = s.lang;
    let loaded = async {
        let row = policies::readable(state, &s.who, id).await?;
        let shadow = job_of(state, id, JobKind::Shadow).await?;
        let redecide = job_of(state, id, JobKind::Redecide).await?;
        Ok::<_, Error>((
            PolicyVersionView::of(&row, &in_force_today(state)),
            shadow,
            redecide,
        ))
    }
    .await;
    let (v, job, redecide) = match loaded {
        Ok(x) => x,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let running = [&job, &redecide]
        .iter()
        .any(|j| j.as_ref().is_some_and(|j| j.status == JobStatus::Running));
    let status = error.map(Error::status).unwrap_or(StatusCode::OK);
    let st = v.status.as_str();
    let me = s.who.person();
    let title = format!("{} {}", l.t(i18n::VERSION_TITLE), v.version);
    let body = html! {
        h1 { (l.t(i18n::VERSION_TITLE)) " " (v.region) " " (v.version) " "
            span.badge.status #version-status data-status=(st) { (i18n::policy_status(l, st)) }
            @if v.in_force_today { " " span.badge.ok #in-force { (l.t(i18n::IN_FORCE)) } } }
        @if let Some(a) = done {
            div.done #done role="status" { (l.t(i18n::DONE)) ": " (i18n::action(l, a)) " · "
                (l.t(i18n::CURRENT_STATUS)) ": " (i18n::policy_status(l, st)) }
        }
        @if let Some(e) = error { (error_box(l, e)) }
        @if let Some(at) = &v.signing_key_revoked_at {
            div.refused #key-revoked role="alert" {
                (l.t(i18n::KEY_REVOKED)) " " (at) ". "
                @if v.in_force_today { (l.t(i18n::KEY_REVOKED_IN_FORCE)) } @else { (l.t(i18n::KEY_REVOKED_BLOCKED)) }
            }
        }
        section {
            dl.kv {
                dt { (l.t(i18n::NAME)) } dd { (l.pick(&v.manifest.name.zh, &v.manifest.name.en)) }
                dt { (l.t(i18n::COL_POLICY_ID)) } dd { (v.policy_id) }
                dt { (l.t(i18n::COL_WINDOW)) } dd { (window(l, &v)) }
                dt { (l.t(i18n::FULL_DIGEST)) } dd { code #digest { (v.sha256) } }
                dt { (l.t(i18n::COL_SOURCE)) } dd { (i18n::source(l, v.source.as_str())) }
                dt { (l.t(i18n::COL_UPLOADED_BY)) } dd { @if let Some(u) = &v.uploaded_by { (actor(l, u, me)) } " " small { (v.created_at) } }
                dt { (l.t(i18n::SIGNED_BY)) } dd { code { (v.signed_by.as_deref().unwrap_or("—")) } }
                dt { (l.t(i18n::COL_APPROVED_BY)) } dd { @if let Some(a) = &v.approved_by { (actor(l, a, me)) " " small { (v.approved_at.as_deref().unwrap_or_default()) } } @else { "—" } }
                dt { (l.t(i18n::COL_ACTIVATED)) } dd { (v.activated_at.as_deref().unwrap_or("—"))
                    @if let Some(at) = &v.activate_at { " · " (l.t(i18n::SCHEDULED_AT)) ": " (at) } }
                @if let Some(val) = &v.validation {
                    dt { (l.t(i18n::VALIDATION)) } dd { (l.t(i18n::CASES_PASSED)) ": " (val.passed) " / " (val.cases)
                        " · " (l.t(i18n::FILE_DIGEST)) ": " code { (short(&val.file_sha256)) } }
                }
            }
            p { a href="/console/policies" { "← " (l.t(i18n::POLICIES_TITLE)) } }
        }
        (shadow_section(l, s, &v, job.as_ref()))
        (steps(l, s, &v))
        @if let Some(j) = &redecide { (redecide_section(l, j)) }
    };
    layout::respond(status, layout::page(&s.ctx(), &title, running, body))
}

pub(crate) fn progress(l: Lang, j: &JobView) -> Markup {
    let pct = if j.total > 0 {
        (j.done * 100 / j.total).clamp(0, 100)
    } else {
        100
    };
    html! {
        p { (l.t(i18n::PROGRESS)) ": " strong.job-progress { (j.done) " / " (j.total) } " (" (pct) "%)"
            @if let Some(eta) = j.eta_seconds { " · " (l.t(i18n::ETA)) ": " (eta) " " (l.t(i18n::SECONDS)) } }
        div.progress role="progressbar" aria-valuenow=(pct) aria-valuemin="0" aria-valuemax="100" {
            div style={ "width:" (pct) "%" } {}
        }
    }
}

fn shadow_section(l: Lang, s: &Session, v: &PolicyVersionView, job: Option<&JobView>) -> Markup {
    // A shadow run is for a candidate: a version not yet in force.
    let candidate = matches!(
        v.status,
        PolicyStatus::Uploaded | PolicyStatus::Approved | PolicyStatus::Scheduled
    );
    let can_start = candidate && v.status.allowed(PolicyStep::Shadow).is_some();
    let running = job.is_some_and(|j| j.status == JobStatus::Running);
    html! {
        section #shadow {
            h2 { (l.t(i18n::SHADOW)) }
            p.muted { (l.t(i18n::SHADOW_HELP)) }
            @match job {
                None => p { (l.t(i18n::SHADOW_NONE)) },
                Some(j) => {
                    @let js = j.status.as_str();
                    p { (l.t(i18n::STATUS)) ": " span.badge.status #shadow-status data-status=(js) { (i18n::job_status(l, js)) }
                        " · " small { (j.created_at) } }
                    (progress(l, j))
                    @if let Some(e) = &j.error { p.error { (l.t(i18n::JOB_ERROR)) ": " (e) } }
                    @if let Some(JobReport::Shadow(r)) = &j.report { (report(l, r)) }
                }
            }
            @if can_start && !running {
                form.action #shadow-form method="post" action={ "/console/policies/" (v.id) "/shadow" } {
                    h3 { (l.t(i18n::SHADOW_START)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    label { (l.t(i18n::SHADOW_FROM)) " " input type="date" name="from"; }
                    label { (l.t(i18n::SHADOW_TO)) " " input type="date" name="to"; }
                    button #shadow-submit type="submit" { (l.t(i18n::SHADOW_START)) }
                }
            }
        }
    }
}

fn report(l: Lang, r: &ShadowReport) -> Markup {
    let fen = |v: Option<i64>| v.map(change).unwrap_or_else(|| "—".into());
    html! {
        div #report {
            h3 { (l.t(i18n::REPORT)) }
            dl.kv {
                dt { (l.t(i18n::R_TOTAL)) } dd #r-total { (r.total) }
                dt { (l.t(i18n::R_COMPARED)) } dd #r-compared { (r.compared) }
                dt { (l.t(i18n::R_UNCHANGED)) } dd #r-unchanged { (r.unchanged) }
                dt { (l.t(i18n::R_CHANGED)) } dd #r-changed { (r.changed) }
                dt { (l.t(i18n::R_FAILED)) } dd #r-failed { (r.failed) }
                dt { (l.t(i18n::R_SPEED)) } dd { (r.claims_per_second) }
            }
            h3 { (l.t(i18n::OUTCOME_CHANGES)) }
            @if r.outcome_changes.is_empty() { p.muted { (l.t(i18n::NO_OUTCOME_CHANGES)) } } @else {
                table #outcome-changes {
                    thead { tr { th { (l.t(i18n::COL_FROM)) } th { (l.t(i18n::COL_TO)) } th.num { (l.t(i18n::COL_COUNT)) } } }
                    tbody { @for c in &r.outcome_changes { tr {
                        td { (i18n::outcome(l, &c.from)) } td { (i18n::outcome(l, &c.to)) } td.num { (c.count) } } } }
                }
            }
            h3 { (l.t(i18n::AMOUNT_CHANGES)) }
            table #amount-changes {
                thead { tr { th { (l.t(i18n::COL_ITEM)) } th { (l.t(i18n::COL_PERIOD)) } th.num { (l.t(i18n::R_CHANGED)) }
                    th.num { (l.t(i18n::COL_SUM_BEFORE)) } th.num { (l.t(i18n::COL_SUM_AFTER)) } th.num { (l.t(i18n::COL_SUM_CHANGE)) }
                    th.num { (l.t(i18n::COL_MIN_MAX)) } } }
                tbody { @for b in &r.benefits {
                    @let item = code(&b.item);
                    tr data-item=(item) {
                        td { (i18n::item(l, &item)) }
                        td { (i18n::period(l, &code(&b.period))) }
                        td.num { (b.claims_changed) }
                        td.num { (money(l, u64::try_from(b.sum_before_fen).ok())) }
                        td.num { (money(l, u64::try_from(b.sum_after_fen).ok())) }
                        td.num { (fen(Some(b.sum_change_fen))) }
                        td.num { (fen(b.min_change_fen)) " / " (fen(b.max_change_fen)) } } } }
            }
            h3 { (l.t(i18n::TRUE_UPS)) }
            @if r.true_ups.is_empty() { p.muted #true-ups { (l.t(i18n::NO_TRUE_UPS)) } } @else {
                table #true-ups {
                    thead { tr { th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_COUNT)) } th.num { (l.t(i18n::COL_SUM_CHANGE)) } } }
                    tbody { @for t in &r.true_ups {
                        @let item = code(&t.item);
                        tr data-item=(item) { td { (i18n::item(l, &item)) } td.num { (t.entries) } td.num { (fen(Some(t.total_fen))) } } } }
                }
            }
            h3 { (l.t(i18n::CHART)) }
            div #chart { (PreEscaped(crate::jobs::chart::chart_svg(r))) }
            h3 { (l.t(i18n::CHANGED_CLAIMS)) " (" (r.changed_claims.len()) ")" }
            @if r.changed_claims.is_empty() { p.muted { (l.t(i18n::NONE_YET)) } } @else {
                table #changed-claims {
                    thead { tr { th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::COL_FROM)) } th { (l.t(i18n::COL_TO)) } th.num { (l.t(i18n::COL_PAYOUT_CHANGE)) } } }
                    tbody { @for c in &r.changed_claims {
                        tr data-claim=(c.claim_id) {
                            td { a href={ "/console/claims/" (c.claim_id) } { code { (c.claim_id) } } }
                            td { (i18n::outcome(l, &c.from)) }
                            td { (i18n::outcome(l, &c.to)) }
                            td.num { (fen(Some(c.change_fen))) } } } }
                }
            }
            @if !r.failures.is_empty() {
                h3 { (l.t(i18n::FAILURES)) " (" (r.failures.len()) ")" }
                table #failures {
                    thead { tr { th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::COL_CODE)) } } }
                    tbody { @for c in &r.failures { tr { td { code { (c.claim_id) } } td { code { (c.code) } } } } }
                }
            }
        }
    }
}

/// The steps the version's status allows (the lifecycle's state machine decides).
fn steps(l: Lang, s: &Session, v: &PolicyVersionView) -> Markup {
    let id = &v.id;
    let key_live = v.signing_key_revoked_at.is_none();
    let can = |step: PolicyStep| {
        v.status.allowed(step).is_some()
            && (key_live
                || !matches!(
                    step,
                    PolicyStep::Approve | PolicyStep::Activate | PolicyStep::Schedule
                ))
    };
    html! {
        section #steps {
            h2 { (l.t(i18n::ACTIONS)) }
            @if can(PolicyStep::Approve) && s.who.role == crate::auth::Role::PolicyAdmin {
                form.action #approve-version method="post" action={ "/console/policies/" (id) "/approve" } {
                    h3 { (l.t(i18n::APPROVE_VERSION)) }
                    p.muted { (l.t(i18n::APPROVE_VERSION_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button #approve-version-submit type="submit" { (l.t(i18n::APPROVE_VERSION)) }
                }
            }
            @if can(PolicyStep::Activate) {
                form.action #activate method="post" action={ "/console/policies/" (id) "/activate" } {
                    h3 { (l.t(i18n::ACTIVATE_NOW)) " / " (l.t(i18n::ACTIVATE_AT)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    p { button #activate-now type="submit" name="when" value="now" { (l.t(i18n::ACTIVATE_NOW)) } }
                    p { input type="datetime-local" name="at"; " "
                        button #activate-at type="submit" name="when" value="at" { (l.t(i18n::ACTIVATE_AT)) }
                        br; small { (l.t(i18n::ACTIVATE_AT_HELP)) } }
                }
            }
            @if can(PolicyStep::Redecide) {
                form.action #redecide method="post" action={ "/console/policies/" (id) "/redecide" } {
                    h3 { (l.t(i18n::REDECIDE)) }
                    p.muted { (l.t(i18n::REDECIDE_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button #redecide-submit type="submit" { (l.t(i18n::REDECIDE)) }
                }
            }
            @if can(PolicyStep::Rollback) {
                form.action method="post" action={ "/console/regions/" (v.region) "/rollback" } {
                    h3 { (l.t(i18n::ROLLBACK)) }
                    p.muted { (l.t(i18n::ROLLBACK_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button.danger #rollback-submit type="submit" { (l.t(i18n::ROLLBACK)) }
                }
            }
        }
    }
}

fn redecide_section(l: Lang, j: &JobView) -> Markup {
    let js = j.status.as_str();
    html! {
        section #redecide-job {
            h2 { (l.t(i18n::REDECIDE_JOB)) }
            p { (l.t(i18n::STATUS)) ": " span.badge.status { (i18n::job_status(l, js)) } }
            (progress(l, j))
            @if let Some(JobReport::Redecide(r)) = &j.report {
                dl.kv {
                    dt { (l.t(i18n::R_REDECIDED)) } dd { (r.redecided) }
                    dt { (l.t(i18n::R_UNCHANGED)) } dd { (r.unchanged) }
                    dt { (l.t(i18n::R_SKIPPED)) } dd { (r.skipped) }
                    dt { (l.t(i18n::R_FAILED)) } dd { (r.failed) }
                }
            }
            @if let Some(e) = &j.error { p.error { (l.t(i18n::JOB_ERROR)) ": " (e) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobKind;

    #[test]
    fn a_running_job_shows_its_progress() {
        let j = JobView {
            id: "job_1".into(),
            kind: JobKind::Shadow,
            policy: "ab".into(),
            region: "CN-SC".into(),
            status: JobStatus::Running,
            total: 10,
            done: 4,
            failed: 0,
            progress: 0.4,
            eta_seconds: Some(3),
            elapsed_ms: 10,
            requested_by: "tok".into(),
            created_at: String::new(),
            error: None,
            report: None,
        };
        let en = progress(Lang::En, &j).into_string();
        assert!(
            en.contains("4 / 10") && en.contains("(40%)") && en.contains("3 s"),
            "{en}"
        );
        assert!(en.contains("width:40%"));
        let zh = progress(Lang::Zh, &j).into_string();
        assert!(zh.contains("进度") && zh.contains("预计剩余"), "{zh}");
    }
}
