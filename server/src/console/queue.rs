//! The adjusters' queue page (the review service's queue, paged by the database) and the claim
//! search.

use super::i18n::{self, Lang};
use super::layout;
use super::{Session, pct};
use crate::AppState;
use crate::api::views::{ClaimView, QueueItemView};
use crate::db::claims::ClaimFilter;
use crate::domain::{ClaimStatus, Named, QueueKind};
use crate::error::{Code, Error};
use crate::now;
use crate::review::{self, QueueFilter};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use oip_engine::types::Date;
use serde::Deserialize;

/// Claims per page of the console's queue and search.
const PAGE: u64 = 50;

/// Working days from `today` to `due`: positive ahead, negative when overdue.
pub(crate) fn working_days_between(today: Date, due: Date) -> i64 {
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
        if oip_engine::types::calendar::is_working_day(d) {
            n += 1;
        }
    }
    sign * n
}

/// The queue's filters and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct QueueForm {
    status: Option<String>,
    region: Option<String>,
    overdue: Option<String>,
    cursor: Option<String>,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// `GET /console/queue`: a page of the review queue, filtered.
pub(crate) async fn queue(
    State(state): State<AppState>,
    s: Session,
    q: Result<Query<QueueForm>, QueryRejection>,
) -> Response {
    let f = q.map(|Query(f)| f).unwrap_or_default();
    let l = s.lang;
    let filter = QueueFilter {
        queue: filled(&f.status).and_then(QueueKind::parse),
        region: filled(&f.region).map(str::to_string),
        overdue: f.overdue.is_some(),
    };
    let page = match review::queue(&state, &s.who, &filter, filled(&f.cursor), PAGE).await {
        Ok(p) => p,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let (total, overdue) = match review::counts(&state, &s.who, &filter).await {
        Ok(c) => c,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let today = now().beijing_date();
    let items: Vec<QueueItemView> = page
        .items
        .iter()
        .map(|r| QueueItemView::of(r, page.today))
        .collect();
    let next = page.next_cursor.as_ref().map(|c| {
        let mut href = format!("/console/queue?cursor={}", pct(c));
        for (k, v) in [
            ("status", &f.status),
            ("region", &f.region),
            ("overdue", &f.overdue),
        ] {
            if let Some(v) = filled(v) {
                href.push_str(&format!("&{k}={}", pct(v)));
            }
        }
        href
    });
    let want_status = filled(&f.status);
    let want_region = filled(&f.region);
    let body = html! {
        h1 { (l.t(i18n::QUEUE_TITLE)) }
        p.muted { (l.t(i18n::QUEUE_HELP)) }
        form #filters method="get" action="/console/queue" .card {
            label { (l.t(i18n::COL_STATUS)) " "
                select name="status" {
                    option value="" { (l.t(i18n::ALL_OPTION)) }
                    @for q in QueueKind::ALL {
                        option value=(q.as_str()) selected[want_status == Some(q.as_str())] { (i18n::status(l, q.as_str())) }
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
            label { input type="checkbox" name="overdue" value="1" checked[filter.overdue]; " " (l.t(i18n::ONLY_OVERDUE)) }
            button type="submit" { (l.t(i18n::FILTER)) }
        }
        p {
            (l.t(i18n::CLAIMS_COUNT)) ": " strong #count { (total) }
            " · " (l.t(i18n::OVERDUE_COUNT)) ": " strong #overdue-count { (overdue) }
            " · " (l.t(i18n::TODAY)) ": " (today.to_string())
        }
        @if items.is_empty() {
            p.card { (l.t(i18n::QUEUE_EMPTY)) }
        } @else {
            (queue_table(l, &s, &items, today))
        }
        @if let Some(href) = &next {
            p { a #next-page href=(href) { (l.t(i18n::NEXT_PAGE)) " →" } }
        }
        (search_form(l, &s, &SearchForm::default()))
    };
    layout::respond(
        StatusCode::OK,
        layout::page(&s.ctx(), l.t(i18n::QUEUE_TITLE), false, body),
    )
}

fn queue_table(l: Lang, s: &Session, items: &[QueueItemView], today: Date) -> Markup {
    html! {
        table #queue {
            thead { tr {
                th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::COL_REGION)) } th { (l.t(i18n::COL_STATUS)) }
                th { (l.t(i18n::COL_OUTCOME)) } th { (l.t(i18n::COL_DUE)) } th { (l.t(i18n::COL_CREATED)) }
                th { (l.t(i18n::COL_NOTES)) }
            } }
            tbody {
                @for i in items {
                    tr data-claim=(i.id) {
                        td { a href={ "/console/claims/" (i.id) } { code { (i.id) } } }
                        td { (i.region) }
                        td { span.badge.status { (i18n::status(l, i.queue.as_str())) } }
                        td { (i18n::outcome(l, i.outcome.as_deref().unwrap_or_default())) }
                        td {
                            @if let Some(d) = i.due {
                                (d.to_string()) " "
                                @if i.overdue { span.badge.overdue { (l.t(i18n::OVERDUE)) } }
                                br;
                                small { (i18n::working_days(l, working_days_between(today, d))) }
                            }
                        }
                        td { small { (i.created_at) } }
                        td {
                            @if i.fast_track { span.badge { (l.t(i18n::FAST_TRACK)) } " " }
                            @if i.proposal_by.as_deref() == Some(s.who.person()) {
                                small { (l.t(i18n::PROPOSED_BY_YOU)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The search form's fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchForm {
    platform_claim_ref: Option<String>,
    status: Option<String>,
    region: Option<String>,
    platform: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

fn search_form(l: Lang, s: &Session, f: &SearchForm) -> Markup {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        form #search method="get" action="/console/claims" .card {
            h2 { (l.t(i18n::SEARCH_TITLE)) }
            label { (l.t(i18n::PLATFORM_REF)) " " input type="text" name="platform_claim_ref" value=(v(&f.platform_claim_ref)); }
            label { (l.t(i18n::COL_STATUS)) " "
                select name="status" {
                    option value="" { (l.t(i18n::ALL_OPTION)) }
                    @for st in ClaimStatus::ALL {
                        option value=(st.as_str()) selected[f.status.as_deref() == Some(st.as_str())] { (i18n::status(l, st.as_str())) }
                    }
                }
            }
            label { (l.t(i18n::COL_REGION)) " "
                select name="region" {
                    option value="" { (l.t(i18n::ALL_OPTION)) }
                    @for r in &s.who.regions {
                        option value=(r) selected[f.region.as_deref() == Some(r.as_str())] { (r) }
                    }
                }
            }
            label { (l.t(i18n::PLATFORM)) " " input type="text" name="platform" value=(v(&f.platform)); }
            label { (l.t(i18n::INCIDENT_FROM)) " " input type="date" name="from" value=(v(&f.from)); }
            label { (l.t(i18n::INCIDENT_TO)) " " input type="date" name="to" value=(v(&f.to)); }
            button #search-submit type="submit" { (l.t(i18n::SEARCH)) }
        }
    }
}

fn date_of(field: &str, v: &Option<String>) -> Result<Option<Date>, Error> {
    filled(v)
        .map(|d| {
            Date::parse(d)
                .map_err(|_| Error::field(Code::InvalidRequest, field, "a date, YYYY-MM-DD"))
        })
        .transpose()
}

/// `GET /console/claims`: claims of the adjuster's regions by platform reference, status,
/// region, platform and incident dates, newest first, a page at a time.
pub(crate) async fn search(
    State(state): State<AppState>,
    s: Session,
    q: Result<Query<SearchForm>, QueryRejection>,
) -> Response {
    let f = q.map(|Query(f)| f).unwrap_or_default();
    let l = s.lang;
    let filter = (|| {
        Ok::<_, Error>(ClaimFilter {
            status: filled(&f.status).and_then(ClaimStatus::parse),
            region: filled(&f.region).map(str::to_string),
            platform: filled(&f.platform).map(str::to_string),
            platform_claim_ref: filled(&f.platform_claim_ref).map(str::to_string),
            incident_from: date_of("from", &f.from)?.map(|d| d.start_beijing().0),
            incident_to: date_of("to", &f.to)?.map(|d| d.start_beijing().0 + 86_399),
        })
    })();
    let result = match filter {
        Ok(filter) => crate::claims::search(&state, &s.who, &filter, filled(&f.cursor), PAGE).await,
        Err(e) => Err(e),
    };
    let (rows, next) = match result {
        Ok(r) => r,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let claims: Vec<ClaimView> = rows.iter().map(ClaimView::from).collect();
    let next = next.map(|c| {
        let mut href = format!("/console/claims?cursor={}", pct(&c));
        for (k, v) in [
            ("platform_claim_ref", &f.platform_claim_ref),
            ("status", &f.status),
            ("region", &f.region),
            ("platform", &f.platform),
            ("from", &f.from),
            ("to", &f.to),
        ] {
            if let Some(v) = filled(v) {
                href.push_str(&format!("&{k}={}", pct(v)));
            }
        }
        href
    });
    let body = html! {
        h1 { (l.t(i18n::SEARCH_TITLE)) }
        (search_form(l, &s, &f))
        @if claims.is_empty() { p.card { (l.t(i18n::NO_CLAIMS_FOUND)) } } @else {
            table #results {
                thead { tr { th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::PLATFORM_REF)) } th { (l.t(i18n::COL_REGION)) }
                    th { (l.t(i18n::PLATFORM)) } th { (l.t(i18n::COL_STATUS)) } th { (l.t(i18n::COL_CREATED)) } } }
                tbody {
                    @for c in &claims {
                        tr data-claim=(c.id) {
                            td { a href={ "/console/claims/" (c.id) } { code { (c.id) } } }
                            td { code { (c.platform_claim_ref) } }
                            td { (c.region) }
                            td { (c.platform) }
                            td { span.badge.status { (i18n::status(l, c.status.as_str())) } }
                            td { small { (c.created_at) } }
                        }
                    }
                }
            }
        }
        @if let Some(href) = &next { p { a #next-page href=(href) { (l.t(i18n::NEXT_PAGE)) " →" } } }
    };
    layout::respond(
        StatusCode::OK,
        layout::page(&s.ctx(), l.t(i18n::SEARCH_TITLE), false, body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
