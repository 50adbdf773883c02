//! Provincial IT's pages: the region's policy versions, the upload form, a version with its
//! shadow run (live progress, the report, the chart of payout changes, the changed claims),
//! and the lifecycle steps: approve, activate now or at a time, re-decide, roll back.
//!
//! Reads go through the API's handlers; an upload builds the same [`lifecycle::Upload`] the
//! JSON route parses and calls [`lifecycle::upload`]; the steps call the API's handlers, so
//! the region scope, the four eyes and the state machine are the lifecycle's own.

use super::i18n::{self, Lang};
use super::layout::{self, actor, change, error_box, money, short};
use super::{Done, Fields, Session, see_other};
use crate::api::OptionalJsonBody;
use crate::api::policies as api;
use crate::auth::Role;
use crate::error::{ApiError, FieldProblem};
use crate::{AppState, lifecycle, shadow};
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::{Value, json};

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
    error: Option<(&str, &ApiError)>,
) -> Response {
    let l = s.lang;
    if let Err(e) = s.who.require(&[Role::PolicyAdmin, Role::Admin]) {
        return layout::error_page(&s.ctx(), &e);
    }
    let regions = regions_for(state, s, chosen);
    let mut sections = Vec::new();
    for region in &regions {
        match api::region_policies(State(state.clone()), s.who.clone(), Path(region.clone())).await
        {
            Ok(Json(v)) => sections.push((
                region.clone(),
                v["items"].as_array().cloned().unwrap_or_default(),
            )),
            Err(e) => return layout::error_page(&s.ctx(), &e),
        }
    }
    let status = error.map(|(_, e)| e.parts().0).unwrap_or(StatusCode::OK);
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
                (versions_table(l, items, &s.who.token_id))
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

fn window(l: Lang, v: &Value) -> String {
    format!(
        "{} – {}",
        v["effective_from"].as_str().unwrap_or_default(),
        v["effective_to"].as_str().unwrap_or(l.t(i18n::OPEN_ENDED))
    )
}

fn versions_table(l: Lang, items: &[Value], me: &str) -> Markup {
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
                    @let id = v["id"].as_str().unwrap_or_default();
                    @let st = v["status"].as_str().unwrap_or_default();
                    tr data-version=(v["version"].as_str().unwrap_or_default()) data-status=(st) {
                        td { a href={ "/console/policies/" (id) } { (v["version"].as_str().unwrap_or_default()) }
                            br; small { (v["policy_id"].as_str().unwrap_or_default()) } }
                        td { span.badge.status { (i18n::policy_status(l, st)) }
                            @if v["in_force_today"] == true { " " span.badge.ok { (l.t(i18n::IN_FORCE)) } } }
                        td { (window(l, v)) }
                        td { code title=(id) { (short(id)) } }
                        td { (i18n::source(l, v["source"].as_str().unwrap_or_default())) }
                        td { @if let Some(u) = v["uploaded_by"].as_str() { (actor(l, u, me)) } }
                        td { @if let Some(a) = v["approved_by"].as_str() { (actor(l, a, me)) br; small { (v["approved_at"].as_str().unwrap_or_default()) } } }
                        td { small { (v["activated_at"].as_str().unwrap_or_default())
                            @if let Some(at) = v["activate_at"].as_str() { (l.t(i18n::SCHEDULED_AT)) ": " (at) } } }
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

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::Malformed(e.body_text())
    }
}

/// The upload form's parts, before the CSRF check (the body has to be read first).
#[derive(Default)]
struct UploadForm {
    csrf: Option<String>,
    module: Option<Vec<u8>>,
    signature: Option<String>,
    cases: Vec<(String, Vec<u8>)>,
}

async fn read_upload(mut m: Multipart) -> Result<UploadForm, ApiError> {
    let mut form = UploadForm::default();
    while let Some(field) = m.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let file = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(multipart_error)?;
        // A file input left empty still sends a part, with no name and no bytes.
        if file.as_deref() == Some("") && bytes.is_empty() {
            continue;
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "csrf" => form.csrf = Some(text()),
            "module" => form.module = Some(bytes.to_vec()),
            "signature" | "signature_file" => {
                if !text().is_empty() {
                    form.signature = Some(text());
                }
            }
            "cases" => form.cases.push((file.unwrap_or_default(), bytes.to_vec())),
            _ => {}
        }
    }
    Ok(form)
}

/// The same upload the JSON route builds: cases named by their file names, as `oip policy
/// push` names them.
fn to_upload(form: UploadForm) -> Result<lifecycle::Upload, ApiError> {
    let mut problems = Vec::new();
    let module = form.module.unwrap_or_default();
    if module.is_empty() {
        problems.push(FieldProblem::new("module", "required (the .wasm file)"));
    }
    let signature = match form.signature {
        None => None,
        Some(s) => match base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
            Ok(sig) => Some(sig),
            Err(_) => {
                problems.push(FieldProblem::new("signature", "not base64"));
                None
            }
        },
    };
    let mut cases = Vec::new();
    for (i, (file, bytes)) in form.cases.iter().enumerate() {
        let name = std::path::Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .unwrap_or("case")
            .to_string();
        match serde_json::from_slice::<Value>(bytes) {
            Ok(mut v) if v.is_object() => {
                v["name"] = json!(name);
                cases.push((name, v));
            }
            _ => problems.push(FieldProblem::new(
                format!("cases[{i}]"),
                format!("{file}: not a JSON case file"),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidRequest(problems));
    }
    Ok(lifecycle::Upload {
        module,
        signature,
        cases,
    })
}

/// `POST /console/regions/{region}/policies` (multipart).
pub(crate) async fn upload(
    State(state): State<AppState>,
    s: Session,
    Path(region): Path<String>,
    m: Result<Multipart, MultipartRejection>,
) -> Response {
    let form = match m {
        Ok(m) => read_upload(m).await,
        Err(e) => Err(ApiError::Malformed(e.body_text())),
    };
    let form = match form {
        Ok(f) => f,
        Err(e) => return render_policies(&state, &s, Some(&region), Some((&region, &e))).await,
    };
    if let Err(r) = s.check(form.csrf.as_deref()) {
        return r;
    }
    let result = match to_upload(form) {
        Ok(up) => lifecycle::upload(&state, &s.who, &region, up).await,
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
    match api::rollback(State(state.clone()), s.who.clone(), Path(region.clone())).await {
        Ok(Json(v)) => {
            let id = v["rolled_back"]["id"].as_str().unwrap_or_default();
            see_other(&format!("/console/policies/{id}?done=rolled_back"))
        }
        Err(e) => render_policies(&state, &s, Some(&region), Some((&region, &e))).await,
    }
}

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

async fn render_version(
    state: &AppState,
    s: &Session,
    id: &str,
    done: Option<&str>,
    error: Option<&ApiError>,
) -> Response {
    let l = s.lang;
    let v = match api::get_one(State(state.clone()), s.who.clone(), Path(id.to_string())).await {
        Ok(Json(v)) => v,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    let job = match api::get_shadow(State(state.clone()), s.who.clone(), Path(id.to_string())).await
    {
        Ok(Json(j)) => Some(j),
        Err(ApiError::NotFound) => None,
        Err(e) => return layout::error_page(&s.ctx(), &e),
    };
    // The version's summary leaves the jobs' reports out; the re-decision's is read whole.
    let redecide = match v["redecide"]["id"].as_str() {
        Some(j) => match api::job(State(state.clone()), s.who.clone(), Path(j.to_string())).await {
            Ok(Json(j)) => Some(j),
            Err(e) => return layout::error_page(&s.ctx(), &e),
        },
        None => None,
    };
    let running = job.as_ref().is_some_and(|j| j["status"] == "running")
        || redecide.as_ref().is_some_and(|j| j["status"] == "running");
    let status = error.map(|e| e.parts().0).unwrap_or(StatusCode::OK);
    let st = v["status"].as_str().unwrap_or_default();
    let me = s.who.token_id.as_str();
    let title = format!(
        "{} {}",
        l.t(i18n::VERSION_TITLE),
        v["version"].as_str().unwrap_or_default()
    );
    let body = html! {
        h1 { (l.t(i18n::VERSION_TITLE)) " " (v["region"].as_str().unwrap_or_default()) " "
            (v["version"].as_str().unwrap_or_default()) " "
            span.badge.status #version-status data-status=(st) { (i18n::policy_status(l, st)) }
            @if v["in_force_today"] == true { " " span.badge.ok #in-force { (l.t(i18n::IN_FORCE)) } } }
        @if let Some(a) = done {
            div.done #done role="status" { (l.t(i18n::DONE)) ": " (i18n::action(l, a)) " · "
                (l.t(i18n::CURRENT_STATUS)) ": " (i18n::policy_status(l, st)) }
        }
        @if let Some(e) = error { (error_box(l, e)) }
        section {
            dl.kv {
                dt { (l.t(i18n::NAME)) } dd { (l.pick(v["manifest"]["name"]["zh"].as_str().unwrap_or_default(), v["manifest"]["name"]["en"].as_str().unwrap_or_default())) }
                dt { (l.t(i18n::COL_POLICY_ID)) } dd { (v["policy_id"].as_str().unwrap_or_default()) }
                dt { (l.t(i18n::COL_WINDOW)) } dd { (window(l, &v)) }
                dt { (l.t(i18n::FULL_DIGEST)) } dd { code #digest { (v["sha256"].as_str().unwrap_or_default()) } }
                dt { (l.t(i18n::COL_SOURCE)) } dd { (i18n::source(l, v["source"].as_str().unwrap_or_default())) }
                dt { (l.t(i18n::COL_UPLOADED_BY)) } dd { @if let Some(u) = v["uploaded_by"].as_str() { (actor(l, u, me)) } " " small { (v["created_at"].as_str().unwrap_or_default()) } }
                dt { (l.t(i18n::SIGNED_BY)) } dd { code { (v["signed_by"].as_str().unwrap_or("—")) } }
                dt { (l.t(i18n::COL_APPROVED_BY)) } dd { @if let Some(a) = v["approved_by"].as_str() { (actor(l, a, me)) " " small { (v["approved_at"].as_str().unwrap_or_default()) } } @else { "—" } }
                dt { (l.t(i18n::COL_ACTIVATED)) } dd { (v["activated_at"].as_str().unwrap_or("—"))
                    @if let Some(at) = v["activate_at"].as_str() { " · " (l.t(i18n::SCHEDULED_AT)) ": " (at) } }
                @if v["validation"].is_object() {
                    dt { (l.t(i18n::VALIDATION)) } dd { (l.t(i18n::CASES_PASSED)) ": " (v["validation"]["passed"]) " / " (v["validation"]["cases"])
                        " · " (l.t(i18n::FILE_DIGEST)) ": " code { (short(v["validation"]["file_sha256"].as_str().unwrap_or_default())) } }
                }
            }
            p { a href="/console/policies" { "← " (l.t(i18n::POLICIES_TITLE)) } }
        }
        (shadow_section(l, s, id, st, job.as_ref()))
        (steps(l, s, &v))
        @if let Some(j) = &redecide { (redecide_section(l, j)) }
    };
    layout::respond(status, layout::page(&s.ctx(), &title, running, body))
}

fn progress(l: Lang, j: &Value) -> Markup {
    let total = j["total"].as_i64().unwrap_or(0);
    let done = j["done"].as_i64().unwrap_or(0);
    let pct = if total > 0 {
        (done * 100 / total).clamp(0, 100)
    } else {
        100
    };
    html! {
        p { (l.t(i18n::PROGRESS)) ": " strong.job-progress { (done) " / " (total) } " (" (pct) "%)"
            @if let Some(eta) = j["eta_seconds"].as_i64() { " · " (l.t(i18n::ETA)) ": " (eta) " " (l.t(i18n::SECONDS)) } }
        div.progress role="progressbar" aria-valuenow=(pct) aria-valuemin="0" aria-valuemax="100" {
            div style={ "width:" (pct) "%" } {}
        }
    }
}

fn shadow_section(l: Lang, s: &Session, id: &str, st: &str, job: Option<&Value>) -> Markup {
    let can_start = matches!(st, "uploaded" | "approved" | "scheduled");
    let running = job.is_some_and(|j| j["status"] == "running");
    html! {
        section #shadow {
            h2 { (l.t(i18n::SHADOW)) }
            p.muted { (l.t(i18n::SHADOW_HELP)) }
            @match job {
                None => p { (l.t(i18n::SHADOW_NONE)) },
                Some(j) => {
                    @let js = j["status"].as_str().unwrap_or_default();
                    p { (l.t(i18n::STATUS)) ": " span.badge.status #shadow-status data-status=(js) { (i18n::job_status(l, js)) }
                        " · " small { (j["created_at"].as_str().unwrap_or_default()) } }
                    (progress(l, j))
                    @if let Some(e) = j["error"].as_str() { p.error { (l.t(i18n::JOB_ERROR)) ": " (e) } }
                    @if j["report"].is_object() { (report(l, &j["report"])) }
                }
            }
            @if can_start && !running {
                form.action #shadow-form method="post" action={ "/console/policies/" (id) "/shadow" } {
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

fn report(l: Lang, r: &Value) -> Markup {
    let n = |k: &str| r[k].as_i64().unwrap_or(0);
    let outcome_changes: Vec<Value> = r["outcome_changes"].as_array().cloned().unwrap_or_default();
    let benefits: Vec<Value> = r["benefits"].as_array().cloned().unwrap_or_default();
    let changed: Vec<Value> = r["changed_claims"].as_array().cloned().unwrap_or_default();
    let failures: Vec<Value> = r["failures"].as_array().cloned().unwrap_or_default();
    let fen = |v: &Value| v.as_i64().map(change).unwrap_or_else(|| "—".into());
    html! {
        div #report {
            h3 { (l.t(i18n::REPORT)) }
            dl.kv {
                dt { (l.t(i18n::R_TOTAL)) } dd #r-total { (n("total")) }
                dt { (l.t(i18n::R_COMPARED)) } dd #r-compared { (n("compared")) }
                dt { (l.t(i18n::R_UNCHANGED)) } dd #r-unchanged { (n("unchanged")) }
                dt { (l.t(i18n::R_CHANGED)) } dd #r-changed { (n("changed")) }
                dt { (l.t(i18n::R_FAILED)) } dd #r-failed { (n("failed")) }
                dt { (l.t(i18n::R_SPEED)) } dd { (n("claims_per_second")) }
            }
            h3 { (l.t(i18n::OUTCOME_CHANGES)) }
            @if outcome_changes.is_empty() { p.muted { (l.t(i18n::NO_OUTCOME_CHANGES)) } } @else {
                table #outcome-changes {
                    thead { tr { th { (l.t(i18n::COL_FROM)) } th { (l.t(i18n::COL_TO)) } th.num { (l.t(i18n::COL_COUNT)) } } }
                    tbody { @for c in &outcome_changes { tr {
                        td { (i18n::outcome(l, c["from"].as_str().unwrap_or_default())) }
                        td { (i18n::outcome(l, c["to"].as_str().unwrap_or_default())) }
                        td.num { (c["count"]) } } } }
                }
            }
            h3 { (l.t(i18n::AMOUNT_CHANGES)) }
            table #amount-changes {
                thead { tr { th { (l.t(i18n::COL_ITEM)) } th { (l.t(i18n::COL_PERIOD)) } th.num { (l.t(i18n::R_CHANGED)) }
                    th.num { (l.t(i18n::COL_SUM_BEFORE)) } th.num { (l.t(i18n::COL_SUM_AFTER)) } th.num { (l.t(i18n::COL_SUM_CHANGE)) }
                    th.num { (l.t(i18n::COL_MIN_MAX)) } } }
                tbody { @for b in &benefits { tr data-item=(b["item"].as_str().unwrap_or_default()) {
                    td { (i18n::item(l, b["item"].as_str().unwrap_or_default())) }
                    td { (i18n::period(l, b["period"].as_str().unwrap_or_default())) }
                    td.num { (b["claims_changed"]) }
                    td.num { (money(l, b["sum_before_fen"].as_u64())) }
                    td.num { (money(l, b["sum_after_fen"].as_u64())) }
                    td.num { (fen(&b["sum_change_fen"])) }
                    td.num { (fen(&b["min_change_fen"])) " / " (fen(&b["max_change_fen"])) } } } }
            }
            h3 { (l.t(i18n::CHART)) }
            div #chart { (PreEscaped(shadow::chart_svg(r))) }
            h3 { (l.t(i18n::CHANGED_CLAIMS)) " (" (changed.len()) ")" }
            @if changed.is_empty() { p.muted { (l.t(i18n::NONE_YET)) } } @else {
                table #changed-claims {
                    thead { tr { th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::COL_FROM)) } th { (l.t(i18n::COL_TO)) } th.num { (l.t(i18n::COL_PAYOUT_CHANGE)) } } }
                    tbody { @for c in &changed {
                        @let cid = c["claim_id"].as_str().unwrap_or_default();
                        tr data-claim=(cid) {
                            td { a href={ "/console/claims/" (cid) } { code { (cid) } } }
                            td { (i18n::outcome(l, c["from"].as_str().unwrap_or_default())) }
                            td { (i18n::outcome(l, c["to"].as_str().unwrap_or_default())) }
                            td.num { (fen(&c["change_fen"])) } } } }
                }
            }
            @if !failures.is_empty() {
                h3 { (l.t(i18n::FAILURES)) " (" (failures.len()) ")" }
                table #failures {
                    thead { tr { th { (l.t(i18n::COL_CLAIM)) } th { (l.t(i18n::COL_CODE)) } } }
                    tbody { @for c in &failures { tr { td { code { (c["claim_id"].as_str().unwrap_or_default()) } } td { code { (c["code"].as_str().unwrap_or_default()) } } } } }
                }
            }
        }
    }
}

fn steps(l: Lang, s: &Session, v: &Value) -> Markup {
    let id = v["id"].as_str().unwrap_or_default();
    let st = v["status"].as_str().unwrap_or_default();
    html! {
        section #steps {
            h2 { (l.t(i18n::ACTIONS)) }
            @if st == "uploaded" {
                form.action #approve-version method="post" action={ "/console/policies/" (id) "/approve" } {
                    h3 { (l.t(i18n::APPROVE_VERSION)) }
                    p.muted { (l.t(i18n::APPROVE_VERSION_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button #approve-version-submit type="submit" { (l.t(i18n::APPROVE_VERSION)) }
                }
            }
            @if st == "approved" || st == "scheduled" {
                form.action #activate method="post" action={ "/console/policies/" (id) "/activate" } {
                    h3 { (l.t(i18n::ACTIVATE_NOW)) " / " (l.t(i18n::ACTIVATE_AT)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    p { button #activate-now type="submit" name="when" value="now" { (l.t(i18n::ACTIVATE_NOW)) } }
                    p { input type="datetime-local" name="at"; " "
                        button #activate-at type="submit" name="when" value="at" { (l.t(i18n::ACTIVATE_AT)) }
                        br; small { (l.t(i18n::ACTIVATE_AT_HELP)) } }
                }
            }
            @if st == "active" {
                form.action #redecide method="post" action={ "/console/policies/" (id) "/redecide" } {
                    h3 { (l.t(i18n::REDECIDE)) }
                    p.muted { (l.t(i18n::REDECIDE_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button #redecide-submit type="submit" { (l.t(i18n::REDECIDE)) }
                }
                form.action method="post" action={ "/console/regions/" (v["region"].as_str().unwrap_or_default()) "/rollback" } {
                    h3 { (l.t(i18n::ROLLBACK)) }
                    p.muted { (l.t(i18n::ROLLBACK_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    button.danger #rollback-submit type="submit" { (l.t(i18n::ROLLBACK)) }
                }
            }
        }
    }
}

fn redecide_section(l: Lang, j: &Value) -> Markup {
    let js = j["status"].as_str().unwrap_or_default();
    html! {
        section #redecide-job {
            h2 { (l.t(i18n::REDECIDE_JOB)) }
            p { (l.t(i18n::STATUS)) ": " span.badge.status { (i18n::job_status(l, js)) } }
            (progress(l, j))
            @if let Some(r) = j["report"].as_object() {
                dl.kv {
                    dt { (l.t(i18n::R_REDECIDED)) } dd { (r.get("redecided").cloned().unwrap_or_default()) }
                    dt { (l.t(i18n::R_UNCHANGED)) } dd { (r.get("unchanged").cloned().unwrap_or_default()) }
                    dt { (l.t(i18n::R_SKIPPED)) } dd { (r.get("skipped").cloned().unwrap_or_default()) }
                    dt { (l.t(i18n::R_FAILED)) } dd { (r.get("failed").cloned().unwrap_or_default()) }
                }
            }
            @if let Some(e) = j["error"].as_str() { p.error { (l.t(i18n::JOB_ERROR)) ": " (e) } }
        }
    }
}

/// Runs a step; on success to the version page with `done`, else the page with the error.
async fn step_done(
    state: &AppState,
    s: &Session,
    id: &str,
    done: &str,
    r: Result<(), ApiError>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/console/policies/{id}?done={done}")),
        Err(e) => render_version(state, s, id, None, Some(&e)).await,
    }
}

fn date_field(f: &Fields, name: &str) -> Value {
    f.text(name).map(Value::String).unwrap_or(Value::Null)
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
    let mut body = json!({});
    for k in ["from", "to"] {
        if let Value::String(d) = date_field(&f, k) {
            body[k] = json!(d);
        }
    }
    let r = api::start_shadow(
        State(state.clone()),
        s.who.clone(),
        Path(id.clone()),
        OptionalJsonBody(body),
    )
    .await
    .map(|_| ());
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
    let r = api::approve(State(state.clone()), s.who.clone(), Path(id.clone()))
        .await
        .map(|_| ());
    step_done(&state, &s, &id, "approved", r).await
}

/// A `datetime-local` value (Beijing time) as RFC 3339; anything else is passed on as typed,
/// for the API to accept or refuse.
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
    let body = if f.get("when") == Some("at") {
        match f.text("at") {
            Some(at) => json!({ "at": beijing_instant(&at) }),
            None => {
                let e = ApiError::InvalidRequest(vec![FieldProblem::new(
                    "at",
                    "required: when to activate",
                )]);
                return render_version(&state, &s, &id, None, Some(&e)).await;
            }
        }
    } else {
        json!({})
    };
    let r = api::activate(
        State(state.clone()),
        s.who.clone(),
        Path(id.clone()),
        OptionalJsonBody(body),
    )
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
    let r = api::redecide(State(state.clone()), s.who.clone(), Path(id.clone()))
        .await
        .map(|_| ());
    step_done(&state, &s, &id, "redecide", r).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_form_becomes_the_same_upload() {
        let sig = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let form = UploadForm {
            csrf: None,
            module: Some(vec![0, 97, 115, 109]),
            signature: Some(sig),
            cases: vec![(
                "covered_grade9_inpatient.json".into(),
                br#"{"facts": {}, "expected": {}}"#.to_vec(),
            )],
        };
        let up = to_upload(form).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(up.module, vec![0, 97, 115, 109]);
        assert_eq!(up.signature, Some(vec![7u8; 64]));
        assert_eq!(up.cases[0].0, "covered_grade9_inpatient");
        assert_eq!(up.cases[0].1["name"], "covered_grade9_inpatient");
        let bad = UploadForm {
            signature: Some("%%%".into()),
            cases: vec![("x.json".into(), b"[1]".to_vec())],
            ..UploadForm::default()
        };
        match to_upload(bad) {
            Err(ApiError::InvalidRequest(p)) => {
                let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
                assert_eq!(paths, ["module", "signature", "cases[0]"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_running_job_shows_its_progress() {
        let j = json!({"status": "running", "total": 10, "done": 4, "eta_seconds": 3});
        let en = progress(Lang::En, &j).into_string();
        assert!(
            en.contains("4 / 10") && en.contains("(40%)") && en.contains("3 s"),
            "{en}"
        );
        assert!(en.contains("width:40%"));
        let zh = progress(Lang::Zh, &j).into_string();
        assert!(zh.contains("进度") && zh.contains("预计剩余"), "{zh}");
    }

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
