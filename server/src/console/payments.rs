//! The payments officers' pages: the runs of their regions with a chart of each region's
//! monthly outlay, the form that starts a month's run, and a run's page (its totals by item as
//! a chart and a table, its lines' origin, the release form for the second officer). Every
//! step calls the payments service, so the region scope and the four eyes are its own.

use super::i18n::{self, Lang, T};
use super::layout::{self, error_box};
use super::{Done, Fields, Session, see_other};
use crate::AppState;
use crate::auth::Role;
use crate::chart::{Bar, bar_chart};
use crate::domain::{Month, RunStatus};
use crate::error::{Code, Error, FieldProblem};
use crate::payments::{self, RunRequest, RunView, yuan};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};

const RUNS: T = T("支付批次", "Payment runs");
const RUNS_HELP: T = T(
    "本人负责地区的月度支付批次：由一名支付经办人员生成，另一名放行（四眼原则）；放行后批次冻结，可导出银行文件。",
    "Your regions' monthly payment runs: one payments officer starts a run, another releases it (four eyes); a released run is frozen and exported to the bank.",
);
const START: T = T("生成月度支付批次", "Start a month's run");
const REGION: T = T("地区", "Region");
const MONTH: T = T("月份", "Month");
const STATUS: T = T("状态", "Status");
const LINES: T = T("笔数", "Lines");
const TOTAL: T = T("合计（元）", "Total (yuan)");
const STARTED_BY: T = T("生成人", "Started by");
const RELEASED_BY: T = T("放行人", "Released by");
const RELEASE: T = T("放行（冻结并支付）", "Release (freeze and pay)");
const OUTLAY: T = T("月度支出", "Monthly outlay");
const BY_ITEM: T = T("按待遇项目合计", "Totals by item");
const PAYER: T = T("支付方", "Payer");
const ITEM: T = T("待遇项目", "Item");
const KIND: T = T("类别", "Kind");
const BANK_FILE: T = T("银行文件", "Bank file");
const NO_RUNS: T = T("尚无支付批次。", "No runs yet.");

fn status_name(l: Lang, s: RunStatus) -> &'static str {
    let t = match s {
        RunStatus::Building => T("生成中", "Building"),
        RunStatus::Built => T("待放行", "Built, awaiting release"),
        RunStatus::Released => T("已放行", "Released"),
    };
    l.t(t)
}

/// A run's totals by item as a bar chart (yuan).
pub(crate) fn run_chart(run: &RunView) -> String {
    let mut by_item: Vec<(String, i64)> = Vec::new();
    for t in &run.totals {
        let name = crate::domain::serde_name(&t.item);
        match by_item.iter_mut().find(|(n, _)| *n == name) {
            Some((_, sum)) => *sum += t.amount_fen,
            None => by_item.push((name, t.amount_fen)),
        }
    }
    let bars: Vec<Bar> = by_item
        .iter()
        .map(|(item, fen)| Bar {
            label: format!(
                "{} {}",
                crate::notice::item_name(item, false),
                crate::notice::item_name(item, true)
            ),
            value: *fen,
            shown: yuan(*fen),
            colour: "#2471a3",
        })
        .collect();
    bar_chart(
        "run totals by item",
        "支付批次按待遇项目合计 · A run's totals by item",
        &format!(
            "{} {} · {} lines · {} yuan",
            run.region,
            run.month,
            run.lines,
            yuan(run.total_fen)
        ),
        "元 · yuan",
        &bars,
    )
}

/// A region's monthly outlay as a bar chart (yuan).
pub(crate) fn outlay_chart(region: &str, months: &[payments::Outlay]) -> String {
    let bars: Vec<Bar> = months
        .iter()
        .map(|m| Bar {
            label: m.month.to_string(),
            value: m.amount_fen,
            shown: yuan(m.amount_fen),
            colour: "#2e7d32",
        })
        .collect();
    bar_chart(
        "monthly outlay",
        "月度支出 · Monthly outlay",
        region,
        "月份 · month",
        &bars,
    )
}

/// `GET /console/payments`.
pub(crate) async fn payments_page(
    State(state): State<AppState>,
    s: Session,
    q: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = Done::take(q);
    render_runs(&state, &s, done.as_deref(), None).await
}

async fn render_runs(
    state: &AppState,
    s: &Session,
    done: Option<&str>,
    error: Option<&Error>,
) -> Response {
    let l = s.lang;
    let loaded = async {
        let runs = payments::list(state, &s.who).await?;
        let mut regions: Vec<String> = match s.who.role {
            Role::PaymentsOfficer => s.who.regions.clone(),
            _ => runs.iter().map(|r| r.region.clone()).collect(),
        };
        regions.sort();
        regions.dedup();
        let mut outlays = Vec::new();
        for r in regions {
            let o = payments::outlay(state, &s.who, &r).await?;
            outlays.push((r, o));
        }
        Ok::<_, Error>((runs, outlays))
    }
    .await;
    let (runs, outlays) = match loaded {
        Ok(v) => v,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let this_month = Month::current();
    let body = html! {
        h1 { (l.t(RUNS)) }
        p.muted { (l.t(RUNS_HELP)) }
        @if let Some(d) = done { div.done #done { (l.t(i18n::DONE)) ": " (d) } }
        @if let Some(e) = error { (error_box(l, e)) }
        @if s.who.role == Role::PaymentsOfficer {
            form.action #start-run method="post" action="/console/payments/runs" {
                h3 { (l.t(START)) }
                input type="hidden" name="csrf" value=(s.csrf);
                label { (l.t(REGION)) " "
                    select name="region" {
                        @for r in &s.who.regions { option value=(r) { (r) } }
                    }
                }
                label { (l.t(MONTH)) " " input type="text" name="month" value=(this_month.to_string()) pattern="[0-9]{4}-[0-9]{2}"; }
                button type="submit" { (l.t(START)) }
            }
        }
        @if runs.is_empty() { p.muted { (l.t(NO_RUNS)) } } @else {
            table #runs {
                thead { tr { th { (l.t(REGION)) } th { (l.t(MONTH)) } th { (l.t(STATUS)) } th { (l.t(LINES)) } th { (l.t(TOTAL)) } th { (l.t(STARTED_BY)) } th { (l.t(RELEASED_BY)) } } }
                tbody {
                    @for r in &runs {
                        tr.run data-status=(r.status.as_str()) {
                            td { (r.region) }
                            td { a href={ "/console/payments/runs/" (r.id) } { (r.month.to_string()) } }
                            td { (status_name(l, r.status)) }
                            td { (r.lines) }
                            td { (yuan(r.total_fen)) }
                            td { code { (r.built_by) } }
                            td { @if let Some(b) = &r.released_by { code { (b) } } }
                        }
                    }
                }
            }
        }
        @for (region, months) in &outlays {
            h2 { (l.t(OUTLAY)) " · " (region) }
            div #chart .outlay data-region=(region) { (PreEscaped(outlay_chart(region, months))) }
        }
    };
    layout::respond(
        axum::http::StatusCode::OK,
        layout::page(
            &s.ctx(),
            l.t(RUNS),
            runs.iter().any(|r| r.status == RunStatus::Building),
            body,
        ),
    )
}

/// `POST /console/payments/runs` (`region`, `month`).
pub(crate) async fn start(State(state): State<AppState>, s: Session, f: Fields) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let month = f.text("month").and_then(|m| Month::parse(&m));
    let r = match month {
        None => Err(Error::invalid_request(vec![FieldProblem::new(
            "month",
            "a month YYYY-MM",
        )])),
        Some(month) => {
            let req = RunRequest {
                region: f.text("region").unwrap_or_default(),
                month,
            };
            payments::start(&state, &s.who, &req).await
        }
    };
    match r {
        Ok((run, _)) => see_other(&format!("/console/payments/runs/{}", run.id)),
        Err(e) => render_runs(&state, &s, None, Some(&e)).await,
    }
}

/// `GET /console/payments/runs/{id}`.
pub(crate) async fn run_page(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    q: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = Done::take(q);
    render_run(&state, &s, &id, done.as_deref(), None).await
}

async fn render_run(
    state: &AppState,
    s: &Session,
    id: &str,
    done: Option<&str>,
    error: Option<&Error>,
) -> Response {
    let l = s.lang;
    let run = match payments::get(state, &s.who, id).await {
        Ok(r) => r,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let lines = payments::lines(state, &s.who, id, None, 50).await;
    let title = format!("{} {} · {}", run.region, run.month, l.t(RUNS));
    let body = html! {
        h1 { (run.region) " " (run.month.to_string()) }
        @if let Some(d) = done { div.done #done { (l.t(i18n::DONE)) ": " (d) } }
        @if let Some(e) = error { (error_box(l, e)) }
        dl.kv {
            dt { (l.t(STATUS)) } dd #run-status data-status=(run.status.as_str()) { (status_name(l, run.status)) }
            dt { (l.t(LINES)) } dd #run-lines { (run.lines) }
            dt { (l.t(TOTAL)) } dd #run-total { (yuan(run.total_fen)) }
            dt { (l.t(STARTED_BY)) } dd { code { (run.built_by) } }
            @if let Some(b) = &run.released_by { dt { (l.t(RELEASED_BY)) } dd { code { (b) } } }
        }
        @if run.status == RunStatus::Built && s.who.role == Role::PaymentsOfficer {
            form.action #release method="post" action={ "/console/payments/runs/" (run.id) "/release" } {
                input type="hidden" name="csrf" value=(s.csrf);
                button type="submit" { (l.t(RELEASE)) }
            }
        }
        @if run.status == RunStatus::Released {
            p { (l.t(BANK_FILE)) ": "
                a href={ "/v1/payments/runs/" (run.id) "/bank-file.csv" } { "CSV" } " · "
                a href={ "/v1/payments/runs/" (run.id) "/bank-file.json" } { "JSON" } }
        }
        h2 { (l.t(BY_ITEM)) }
        div #chart .run-totals { (PreEscaped(run_chart(&run))) }
        table #totals {
            thead { tr { th { (l.t(PAYER)) } th { (l.t(ITEM)) } th { (l.t(KIND)) } th { (l.t(LINES)) } th { (l.t(TOTAL)) } } }
            tbody {
                @for t in &run.totals {
                    tr {
                        td { (crate::domain::serde_name(&t.payer)) }
                        td { (i18n::item(l, &crate::domain::serde_name(&t.item))) }
                        td { (t.kind.as_str()) }
                        td { (t.lines) }
                        td { (yuan(t.amount_fen)) }
                    }
                }
            }
        }
        @if let Ok(page) = &lines {
            table #lines {
                thead { tr { th { "#" } th { (l.t(MONTH)) } th { (l.t(ITEM)) } th { (l.t(TOTAL)) } th { "decision · policy · rule" } } }
                tbody {
                    @for x in &page.items {
                        tr {
                            td { a href={ "/console/claims/" (x.claim_id) } { code { (x.id) } } }
                            td { (x.month.to_string()) }
                            td { (i18n::item(l, &crate::domain::serde_name(&x.item))) " · " (x.kind.as_str()) }
                            td { (yuan(x.amount_fen)) }
                            td { small { (x.decision_id.clone().unwrap_or_default()) " · " (x.policy_version.clone().unwrap_or_default()) " · " (x.rule.title) } }
                        }
                    }
                }
            }
        }
    };
    layout::respond(
        axum::http::StatusCode::OK,
        layout::page(&s.ctx(), &title, run.status == RunStatus::Building, body),
    )
}

/// `POST /console/payments/runs/{id}/release`.
pub(crate) async fn release(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    match payments::release(&state, &s.who, &id).await {
        Ok(_) => see_other(&format!("/console/payments/runs/{id}?done=released")),
        Err(e) if e.code == Code::NotFound => layout::error_page(&s.ctx(), &e),
        Err(e) => render_run(&state, &s, &id, None, Some(&e)).await,
    }
}

const SCHEDULE: T = T("支付计划", "Payment schedule");
const FROM: T = T("起始月", "From");
const THROUGH: T = T("已支付至", "Entered through");
const RULE: T = T("依据", "Rule");
const UPCOMING: T = T("未来十二个月", "The next twelve months");

/// A claim's schedule on its page: the entitlements with their rule, the entries, what comes.
pub(crate) fn schedule_section(l: Lang, s: &payments::Schedule) -> Markup {
    html! {
        section #schedule {
            h2 { (l.t(SCHEDULE)) }
            table #entitlements {
                thead { tr { th { (l.t(ITEM)) } th { (l.t(TOTAL)) } th { (l.t(FROM)) } th { (l.t(THROUGH)) } th { (l.t(RULE)) } } }
                tbody {
                    @for e in &s.entitlements {
                        tr.superseded[e.superseded_at.is_some()] data-item=(crate::domain::serde_name(&e.item)) {
                            td { (i18n::item(l, &crate::domain::serde_name(&e.item))) " · " (crate::domain::serde_name(&e.period)) }
                            td { (yuan(e.amount_fen)) }
                            td { (e.first_month.to_string()) @if let Some(m) = e.last_month { " – " (m.to_string()) } }
                            td { @if let Some(m) = e.entered_through { (m.to_string()) } }
                            td { small { (e.rule.title) } }
                        }
                    }
                }
            }
            table #entries {
                thead { tr { th { (l.t(MONTH)) } th { (l.t(ITEM)) } th { (l.t(KIND)) } th { (l.t(TOTAL)) } th { (l.t(STATUS)) } } }
                tbody {
                    @for e in &s.entries {
                        tr.entry data-state=(e.state.as_str()) {
                            td { (e.month.to_string()) }
                            td { (i18n::item(l, &crate::domain::serde_name(&e.item))) }
                            td { (e.kind.as_str()) }
                            td { (yuan(e.amount_fen)) }
                            td { (e.state.as_str()) @if let Some(r) = &e.run_id { " · " a href={ "/console/payments/runs/" (r) } { code { (r) } } } }
                        }
                    }
                }
            }
            h3 { (l.t(UPCOMING)) }
            p #upcoming { @for u in &s.upcoming { (u.month.to_string()) " " (yuan(u.amount_fen)) "; " } }
        }
    }
}
