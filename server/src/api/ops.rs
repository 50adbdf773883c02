//! Operations routes (health, readiness, metrics), the OpenAPI document, and its browsable page.

use super::error::ErrorBody;
use super::views::{HealthView, ReadyView};
use crate::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::{Content, RefOr};

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "oip",
        description = "Occupational injury protection claims engine (职业伤害保障): platforms submit claims, \
            each decided by the policy module of the region where the injury happened; adjusters review; \
            provincial IT deploys policies. Every error answers `{ \"error\": { \"code\", \"message\", \
            \"message_zh\", \"fields\" } }` with a stable code.",
        license(name = "Apache-2.0")
    ),
    paths(
        super::claims::create,
        super::claims::get_one,
        super::claims::list,
        super::claims::decisions,
        super::claims::supplement,
        super::claims::appraisal,
        super::claims::bill,
        super::claims::replay,
        super::claims::evaluate,
        super::review::review,
        super::review::appeal,
        super::review::reviews,
        super::review::queue,
        super::review::audit,
        super::review::audit_checkpoints,
        super::review::events,
        super::review::notice,
        super::review::worker,
        super::platforms::set_webhook,
        super::policies::regions,
        super::policies::region_policies,
        super::policies::upload,
        super::policies::get_one,
        super::policies::start_shadow,
        super::policies::get_shadow,
        super::policies::shadow_chart,
        super::policies::approve,
        super::policies::activate,
        super::policies::rollback,
        super::policies::redecide,
        super::policies::job,
        super::policies::add_key,
        super::policies::approve_key,
        super::policies::keys,
        super::policies::revoke_key,
        super::payments::start,
        super::payments::list,
        super::payments::get_one,
        super::payments::lines,
        super::payments::release,
        super::payments::returns,
        super::payments::bank_csv,
        super::payments::bank_json,
        super::payments::outlay,
        super::payments::schedule,
        super::calendars::upload,
        super::calendars::approve,
        super::calendars::list,
        super::tokens::create,
        super::tokens::list,
        super::users::create,
        super::users::list,
        super::users::get,
        super::users::disable,
        super::users::tokens,
        super::users::set_password,
        super::users::enroll_totp,
        super::tokens::revoke,
        healthz,
        readyz,
        metrics,
    ),
    components(schemas(ErrorBody, crate::error::Code, super::review::NoticeLang)),
    modifiers(&Common),
    tags(
        (name = "claims", description = "Intake, reads, supplements, decisions, replay."),
        (name = "review", description = "Adjusters' review, appeals, the queue, events, the audit trail."),
        (name = "policies", description = "Regions, policy versions and their lifecycle, signing keys."),
        (name = "payments", description = "The payment ledger, a claim's schedule, monthly payment runs and their bank files."),
        (name = "tokens", description = "Users (the named people who act) and API tokens."),
        (name = "operations", description = "Health, readiness, metrics."),
    )
)]
pub struct ApiDoc;

/// What every route shares: the bearer scheme, and the error answers any route can give
/// (401 without a valid token; 400 and 413 for a body; 500 and 503 anywhere).
struct Common;

fn error_response(description: &str) -> RefOr<ApiResponse> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody"))),
        )
        .into()
}

impl utoipa::Modify for Common {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token an admin issued (`POST /v1/tokens`)."))
                    .build(),
            ),
        );
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = op.request_body.is_some();
                let has_query = op
                    .parameters
                    .iter()
                    .flatten()
                    .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query);
                let r = &mut op.responses.responses;
                let mut add = |status: &str, description: &str| {
                    r.entry(status.to_string())
                        .or_insert_with(|| error_response(description));
                };
                if secured {
                    add(
                        "401",
                        "`unauthenticated`: no token, or an unknown or revoked one.",
                    );
                    add(
                        "429",
                        "`rate_limited`: this token's request rate, or too many failed authentications from this address; retry after the `Retry-After` seconds.",
                    );
                }
                if has_body {
                    add("400", "`malformed_request`: the body is not JSON.");
                    add("413", "`payload_too_large`.");
                }
                if has_query {
                    add(
                        "422",
                        "`invalid_request`: a query parameter is not readable.",
                    );
                }
                add("500", "`internal`.");
                add(
                    "503",
                    "`database_unavailable`, `busy` or `timeout`; retry after the `Retry-After` seconds.",
                );
            }
        }
    }
}

/// Liveness.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive.", body = HealthView)))]
pub async fn healthz() -> Json<HealthView> {
    Json(HealthView {
        status: "ok".into(),
    })
}

/// Readiness: the database answers and policies are loaded.
#[utoipa::path(get, operation_id = "readyz", path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready.", body = ReadyView),
              (status = 503, description = "Not ready.", body = ReadyView)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let database = state.db.ping().await;
    let regions = state.decider.registry().regions().len();
    let ready = database && regions > 0;
    let body = Json(ReadyView {
        ready,
        database,
        regions,
        dev_unsigned_policies: state.config.dev_unsigned_policies,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

/// Prometheus metrics.
#[utoipa::path(get, operation_id = "metrics", path = "/metrics", tag = "operations",
    responses((status = 200, description = "The OpenMetrics text exposition (every family with HELP and TYPE).", content_type = "application/openmetrics-text", body = String)))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// The operations routes, the OpenAPI document at `/openapi.json`, and its browsable page at
/// `/docs` (Swagger UI, served from the binary; the online validator is off, so the page loads
/// nothing from elsewhere).
pub(super) fn router() -> Router<AppState> {
    let docs = utoipa_swagger_ui::SwaggerUi::new("/docs")
        .url("/openapi.json", ApiDoc::openapi())
        .config(utoipa_swagger_ui::Config::default().validator_url("none"));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(docs)
}
