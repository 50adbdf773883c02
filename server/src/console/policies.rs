//! Provincial IT's pages: the region's policy versions and the upload form, and the lifecycle
//! steps as forms (shadow run, approve, activate now or at a time, re-decide, roll back), each
//! calling the lifecycle service, so the region scope, the four eyes and the state machine are
//! the lifecycle's own. A version's page is [`super::version`].

use super::i18n::{self, Lang};
use super::layout::{self, actor, error_box, short};
use super::version::render_version;
use super::{Fields, Session, see_other};
use crate::AppState;
use crate::api::views::PolicyVersionView;
use crate::auth::Role;
use crate::error::{Code, Error};
use crate::jobs::{self, ShadowRequest};
use crate::policies::upload::UploadForm;
use crate::policies::{self, in_force_today, transitions};
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use oip_engine::types::Timestamp;
use serde::Deserialize;

/// `?region=` (admins choose a region).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RegionQuery {
    region: Option<String>,
}

/// `GET /console/policies`.
pub(crate) async fn policies_page(
    State(state): State<AppState>,
    s: Session,
    q: Result<Query<RegionQuery>, QueryRejection>,
) -> Response {
    let region = q.ok().and_then(|Query(q)| q.region);
    render_policies(&state, &s, region.as_deref(), None).await
}

/// The regions the page shows: a policy_admin's own; for an admin, the one chosen or all.
fn regions_for(state: &AppState, s: &Session, chosen: Option<&str>) -> Vec<String> {
    match s.who.role {
        Role::PolicyAdmin => s.who.regions.clone(),
        _ => {
            let mut all = state.decider.registry().regions();
            all.sort();
            match chosen {
                Some(c) if all.iter().any(|r| r == c) => vec![c.to_string()],
                _ => all,
            }
        }
    }
}

async fn render_policies(
    state: &AppState,
    s: &Session,
    chosen: Option<&str>,
    error: Option<(&str, &Error)>,
) -> Response {
    let l = s.lang;
    if let Err(e) = s.who.require(&[Role::PolicyAdmin, Role::Admin]) {
        return layout::error_page(&s.ctx(), &e);
    }
    let in_force = in_force_today(state);
    let mut sections = Vec::new();
    for region in regions_for(state, s, chosen) {
        match state.db.policies(Some(&region)).await {
            Ok(rows) => {
                let views: Vec<PolicyVersionView> = rows
                    .iter()
                    .map(|r| PolicyVersionView::of(r, &in_force))
                    .collect();
                sections.push((region, views));
            }
            Err(e) => return layout::error_page(&s.ctx(), &e.into()),
        }
    }
    let status = error.map(|(_, e)| e.status()).unwrap_or(StatusCode::OK);
    let body = html! {
        h1 { (l.t(i18n::POLICIES_TITLE)) }
        p.muted { (l.t(i18n::POLICIES_HELP)) }
        @if s.who.role == Role::Admin {
            p #region-choice { a href="/console/policies" { (l.t(i18n::ALL_REGIONS)) }
                @for r in state.decider.registry().regions() { " · " a href={ "/console/policies?region=" (r) } { (r) } } }
        }
        @for (region, items) in &sections {
            section.region #{ "region-" (region) } {
                h2 { (l.t(i18n::COL_REGION)) " " (region) }
                @if let Some((r, e)) = error { @if r == region { (error_box(l, e)) } }
                (versions_table(l, items, s.who.person()))
                @if s.who.role == Role::PolicyAdmin { (upload_form(l, s, region)) }
                form.action method="post" action={ "/console/regions/" (region) "/rollback" } {
                    h3 { (l.t(i18n::ROLLBACK)) }
                    p.muted { (l.t(i18n::ROLLBACK_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button.danger.rollback type="submit" { (l.t(i18n::ROLLBACK)) }
                }
            }
        }
    };
    layout::respond(
        status,
        layout::page(&s.ctx(), l.t(i18n::POLICIES_TITLE), false, body),
    )
}

/// A version's effective window.
pub(crate) fn window(l: Lang, v: &PolicyVersionView) -> String {
    format!(
        "{} – {}",
        v.effective_from,
        v.effective_to.as_deref().unwrap_or(l.t(i18n::OPEN_ENDED))
    )
}

fn versions_table(l: Lang, items: &[PolicyVersionView], me: &str) -> Markup {
    if items.is_empty() {
        return html! { p.muted { (l.t(i18n::NO_VERSIONS)) } };
    }
    html! {
        table.versions {
            thead { tr {
                th { (l.t(i18n::COL_VERSION)) } th { (l.t(i18n::STATUS)) } th { (l.t(i18n::COL_WINDOW)) }
                th { (l.t(i18n::DIGEST)) } th { (l.t(i18n::COL_SOURCE)) } th { (l.t(i18n::COL_UPLOADED_BY)) }
                th { (l.t(i18n::COL_APPROVED_BY)) } th { (l.t(i18n::COL_ACTIVATED)) }
            } }
            tbody {
                @for v in items {
                    tr data-version=(v.version) data-status=(v.status.as_str()) {
                        td { a href={ "/console/policies/" (v.id) } { (v.version) } br; small { (v.policy_id) } }
                        td { span.badge.status { (i18n::policy_status(l, v.status.as_str())) }
                            @if v.in_force_today { " " span.badge.ok { (l.t(i18n::IN_FORCE)) } } }
                        td { (window(l, v)) }
                        td { code title=(v.id) { (short(&v.id)) } }
                        td { (i18n::source(l, v.source.as_str())) }
                        td { @if let Some(u) = &v.uploaded_by { (actor(l, u, me)) } }
                        td { @if let Some(a) = &v.approved_by { (actor(l, a, me)) br; small { (v.approved_at.as_deref().unwrap_or_default()) } } }
                        td { small { (v.activated_at.as_deref().unwrap_or_default())
                            @if let Some(at) = &v.activate_at { (l.t(i18n::SCHEDULED_AT)) ": " (at) } } }
                    }
                }
            }
        }
    }
}

fn upload_form(l: Lang, s: &Session, region: &str) -> Markup {
    html! {
        form.action.upload method="post" enctype="multipart/form-data" action={ "/console/regions/" (region) "/policies" } {
            h3 { (l.t(i18n::UPLOAD)) }
            p.muted { (l.t(i18n::UPLOAD_HELP)) }
            input type="hidden" name="csrf" value=(s.csrf);
            p { label { (l.t(i18n::MODULE_FILE)) br; input type="file" name="module" accept=".wasm"; } }
            p { label { (l.t(i18n::SIGNATURE_FILE)) br; input type="file" name="signature_file" accept=".sig,.txt"; }
                label { (l.t(i18n::SIGNATURE_TEXT)) br; input type="text" name="signature" size="60" autocomplete="off"; } }
            p { label { (l.t(i18n::CASE_FILES)) br; input type="file" name="cases" accept=".json" multiple; } }
            button.upload-submit type="submit" { (l.t(i18n::UPLOAD)) }
        }
    }
}

/// `POST /console/regions/{region}/policies` (multipart).
pub(crate) async fn upload(
    State(state): State<AppState>,
    s: Session,
    Path(region): Path<String>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let form = match m {
        Ok(m) => UploadForm::read(m).await,
        Err(e) => Err(Error::new(Code::MalformedRequest).detail(e.body_text())),
    };
    let form = match form {
        Ok(f) => f,
        Err(e) => return render_policies(&state, &s, Some(&region), Some((&region, &e))).await,
    };
    if let Err(r) = s.check(form.csrf.as_deref()) {
        return r;
    }
    let result = match form.into_upload() {
        Ok(up) => policies::upload::upload(&state, &s.who, &region, up).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((_, row)) => see_other(&format!("/console/policies/{}?done=uploaded", row.sha256)),
        Err(e) => render_policies(&state, &s, Some(&region), Some((&region, &e))).await,
    }
}

/// `POST /console/regions/{region}/rollback`.
pub(crate) async fn rollback(
    State(state): State<AppState>,
    s: Session,
    Path(region): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    match transitions::rollback(&state, &s.who, &region).await {
        Ok((rolled, _)) => see_other(&format!(
            "/console/policies/{}?done=rolled_back",
            rolled.sha256
        )),
        Err(e) => render_policies(&state, &s, Some(&region), Some((&region, &e))).await,
    }
}

/// Runs a step; on success to the version page with `done`, else the page with the error.
async fn step_done(
    state: &AppState,
    s: &Session,
    id: &str,
    done: &str,
    r: Result<(), Error>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/console/policies/{id}?done={done}")),
        Err(e) => render_version(state, s, id, None, Some(&e)).await,
    }
}

/// `POST /console/policies/{id}/shadow` (`from`, `to` optional incident dates).
pub(crate) async fn shadow(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let req = ShadowRequest {
        from: f.text("from"),
        to: f.text("to"),
    };
    let r = async {
        let row = policies::managed(&state, &s.who, &id).await?;
        jobs::start_shadow(&state, &s.who, &row, &req)
            .await
            .map(|_| ())
    }
    .await;
    step_done(&state, &s, &id, "shadow", r).await
}

/// `POST /console/policies/{id}/approve`.
pub(crate) async fn approve(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let r = transitions::approve(&state, &s.who, &id).await.map(|_| ());
    step_done(&state, &s, &id, "approved", r).await
}

/// A `datetime-local` value (Beijing time) as RFC 3339; anything else is read as typed.
fn beijing_instant(at: &str) -> String {
    let simple = at.len() == 16 && at.as_bytes().get(10) == Some(&b'T');
    if simple {
        format!("{at}:00+08:00")
    } else {
        at.to_string()
    }
}

/// `POST /console/policies/{id}/activate` (`when` = `now` | `at`, with `at`).
pub(crate) async fn activate(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let at = if f.get("when") == Some("at") {
        match f
            .text("at")
            .map(|a| Timestamp::parse_rfc3339(&beijing_instant(&a)))
        {
            Some(Ok(t)) => Some(t),
            Some(Err(_)) => {
                let e = Error::field(
                    Code::InvalidRequest,
                    "at",
                    "an instant, e.g. 2027-01-01T00:00",
                );
                return render_version(&state, &s, &id, None, Some(&e)).await;
            }
            None => {
                let e = Error::field(Code::InvalidRequest, "at", "required: when to activate");
                return render_version(&state, &s, &id, None, Some(&e)).await;
            }
        }
    } else {
        None
    };
    let r = transitions::activate(&state, &s.who, &id, at)
        .await
        .map(|_| ());
    step_done(&state, &s, &id, "activated", r).await
}

/// `POST /console/policies/{id}/redecide`.
pub(crate) async fn redecide(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let r = async {
        let row = policies::managed(&state, &s.who, &id).await?;
        jobs::start_redecide(&state, &s.who, &row).await.map(|_| ())
    }
    .await;
    step_done(&state, &s, &id, "redecide", r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_beijing_time() {
        assert_eq!(
            beijing_instant("2027-01-01T00:00"),
            "2027-01-01T00:00:00+08:00"
        );
        assert_eq!(
            beijing_instant("2027-01-01T00:00:00Z"),
            "2027-01-01T00:00:00Z"
        );
    }
}
