//! The HTTP API: the router, the extractors (caller, body), operations routes, OpenAPI.

pub mod claims;
pub mod platforms;
pub mod policies;
pub mod review;
pub mod tokens;

use crate::AppState;
use crate::auth::{Principal, bearer};
use crate::db::writer::{Row, Table};
use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::borrow::Cow;
use utoipa::OpenApi;

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = bearer(header).ok_or(ApiError::Unauthenticated)?;
        state
            .principal(token)
            .await?
            .ok_or(ApiError::Unauthenticated)
    }
}

/// A JSON body, with our error format for every way it can be wrong (too large, not JSON).
pub struct JsonBody(pub Value);

/// A JSON body that may be empty (then `{}`), for actions whose parameters are optional.
pub struct OptionalJsonBody(pub Value);

/// The body's bytes, and JSON parsed from them (`empty` when there are none but whitespace).
async fn json_body(
    req: Request,
    state: &AppState,
    empty: Option<Value>,
) -> Result<Value, ApiError> {
    let bytes = Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::Malformed(e.body_text())
        }
    })?;
    if let Some(v) = empty.filter(|_| bytes.iter().all(u8::is_ascii_whitespace)) {
        return Ok(v);
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Malformed(format!("not JSON: {e}")))
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        json_body(req, state, None).await.map(JsonBody)
    }
}

impl FromRequest<AppState> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        json_body(req, state, Some(json!({})))
            .await
            .map(OptionalJsonBody)
    }
}

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "oip", description = "Occupational injury protection claims engine (职业伤害保障)"),
    paths(
        claims::create,
        claims::get_one,
        claims::list,
        claims::decisions,
        claims::supplement,
        claims::replay,
        claims::evaluate,
        review::review,
        review::appeal,
        review::reviews,
        review::queue,
        review::audit,
        review::events,
        review::notice,
        review::worker,
        platforms::set_webhook,
        policies::regions,
        policies::region_policies,
        policies::upload,
        policies::get_one,
        policies::start_shadow,
        policies::get_shadow,
        policies::shadow_chart,
        policies::approve,
        policies::activate,
        policies::rollback,
        policies::redecide,
        policies::job,
        policies::add_key,
        policies::keys,
        policies::revoke_key,
        tokens::create,
        tokens::revoke,
        healthz,
        readyz,
        metrics,
    ),
    components(schemas(crate::error::FieldProblem, crate::auth::Role, tokens::NewToken)),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and policies are loaded.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "ready"), (status = 503, description = "not ready")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.db.ping().await;
    let regions = state.decider.registry().regions();
    let ready = db && !regions.is_empty();
    let body = Json(json!({ "ready": ready, "database": db, "regions": regions.len() }));
    if ready {
        (StatusCode::OK, body).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(state.writer.stats()),
    )
        .into_response()
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The load benchmark's baseline: authenticate, insert one row durably through the same
/// group-commit writer (merged with its neighbours' rows, as claims are), answer 201. Only served when `Config::baseline_route` is set.
async fn baseline(State(state): State<AppState>, _who: Principal) -> Result<StatusCode, ApiError> {
    static BASELINE: Table = Table {
        head: Cow::Borrowed("INSERT INTO baseline (id, created_at) VALUES "),
        row: Cow::Borrowed("(?, ?)"),
        tail: Cow::Borrowed(""),
    };
    let row = Row {
        table: &BASELINE,
        values: vec![crate::new_id("bl").into(), crate::now().to_string().into()],
    };
    state
        .writer
        .submit_rows(None, vec![row], Vec::new(), Vec::new())
        .await?;
    Ok(StatusCode::CREATED)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Counts requests by route and status, and traces each in a span without personal data.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let span = tracing::info_span!("http.request", %method, matched_path = %route);
    let started = std::time::Instant::now();
    let response = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let status = response.status().as_u16();
    state.metrics.request(&route, status);
    tracing::debug!(parent: &span, status, took_ms = started.elapsed().as_millis() as u64, "request");
    response
}

/// The router, with its limits: body size, request timeout, default deny on every route.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let timeout = state.config.request_timeout;
    let mut api = Router::new();
    if state.config.baseline_route {
        api = api.route("/v1/baseline", post(baseline));
    }
    api.merge(crate::console::router(&state))
        .route("/v1/claims", post(claims::create).get(claims::list))
        .route("/v1/claims/{id}", get(claims::get_one))
        .route("/v1/claims/{id}/decisions", get(claims::decisions))
        .route("/v1/claims/{id}/supplements", post(claims::supplement))
        .route("/v1/decisions/{id}/replay", post(claims::replay))
        .route("/v1/evaluate", post(claims::evaluate))
        .route("/v1/claims/{id}/review", post(review::review))
        .route("/v1/claims/{id}/appeal", post(review::appeal))
        .route("/v1/claims/{id}/reviews", get(review::reviews))
        .route("/v1/claims/{id}/notice", get(review::notice))
        .route("/v1/claims/{id}/worker", get(review::worker))
        .route("/v1/review/queue", get(review::queue))
        .route("/v1/audit", get(review::audit))
        .route("/v1/events", get(review::events))
        .route(
            "/v1/platforms/{platform}/webhook",
            axum::routing::put(platforms::set_webhook),
        )
        .route("/v1/regions", get(policies::regions))
        .route(
            "/v1/regions/{region}/policies",
            get(policies::region_policies).post(policies::upload).layer(
                axum::extract::DefaultBodyLimit::max(state.config.policy_upload_limit_bytes),
            ),
        )
        .route("/v1/regions/{region}/rollback", post(policies::rollback))
        .route("/v1/policies/{id}", get(policies::get_one))
        .route(
            "/v1/policies/{id}/shadow",
            post(policies::start_shadow).get(policies::get_shadow),
        )
        .route(
            "/v1/policies/{id}/shadow/chart.svg",
            get(policies::shadow_chart),
        )
        .route("/v1/policies/{id}/approve", post(policies::approve))
        .route("/v1/policies/{id}/activate", post(policies::activate))
        .route("/v1/policies/{id}/redecide", post(policies::redecide))
        .route("/v1/jobs/{id}", get(policies::job))
        .route("/v1/keys", post(policies::add_key).get(policies::keys))
        .route("/v1/keys/{id}", axum::routing::delete(policies::revoke_key))
        .route("/v1/tokens", post(tokens::create))
        .route("/v1/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .with_state(state)
}
