//! The HTTP API: the router, the extractors, the views, and the OpenAPI document generated from
//! the handlers' annotations. Handlers speak HTTP and call the services; they build their
//! answers from the services' rows through [`views`].

pub mod calendars;
pub mod claims;
pub mod error;
pub mod extract;
pub mod ops;
mod params;
pub mod payments;
pub mod platforms;
pub mod policies;
pub mod review;
pub mod tokens;
pub mod users;
pub mod views;

pub use ops::ApiDoc;

use crate::AppState;
use crate::auth::Principal;
use crate::db::writer::{Row, Table};
use crate::error::{Code, Error};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use std::borrow::Cow;

/// The load benchmark's baseline: authenticate, insert one row durably through the same
/// group-commit writer (merged with its neighbours' rows, as claims are), answer 201. Only
/// served when `Config::baseline_route` is set.
async fn baseline(State(state): State<AppState>, _who: Principal) -> Result<StatusCode, Error> {
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

async fn not_found() -> Error {
    Error::new(Code::NotFound)
}

async fn method_not_allowed() -> Error {
    Error::new(Code::MethodNotAllowed)
}

/// Counts requests by route and status, and traces each in a span without personal data; an
/// error answer is logged here, in the request's span, with its internal detail.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let request_id = error::request_id_of(req.headers());
    let span = tracing::info_span!("http.request", %method, matched_path = %route, request_id = %request_id);
    let started = std::time::Instant::now();
    let mut response = error::REQUEST_ID
        .scope(
            request_id.clone(),
            tracing::Instrument::instrument(next.run(req), span.clone()),
        )
        .await;
    if let Ok(v) = axum::http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    let status = response.status().as_u16();
    let took = started.elapsed();
    state.metrics.request(&route, status, took);
    let took_ms = took.as_millis() as u64;
    match response.extensions().get::<error::Logged>() {
        Some(l) if status >= 500 => {
            tracing::error!(parent: &span, status, took_ms, code = l.code.name(), detail = l.detail.as_deref().unwrap_or(""), "request failed");
        }
        Some(l) => {
            tracing::debug!(parent: &span, status, took_ms, code = l.code.name(), "request refused");
        }
        None => tracing::debug!(parent: &span, status, took_ms, "request"),
    }
    response
}

/// The answer of a request that ran out of time.
async fn timed_out(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() == StatusCode::REQUEST_TIMEOUT
        && response.extensions().get::<error::Logged>().is_none()
    {
        return Error::new(Code::Timeout).into_response();
    }
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
        .route("/v1/claims/{id}/appraisals", post(claims::appraisal))
        .route("/v1/claims/{id}/bills", post(claims::bill))
        .route("/v1/decisions/{id}/replay", post(claims::replay))
        .route("/v1/evaluate", post(claims::evaluate))
        .route("/v1/claims/{id}/review", post(review::review))
        .route("/v1/claims/{id}/appeal", post(review::appeal))
        .route("/v1/claims/{id}/reviews", get(review::reviews))
        .route("/v1/claims/{id}/notice", get(review::notice))
        .route("/v1/claims/{id}/worker", get(review::worker))
        .route("/v1/claims/{id}/schedule", get(payments::schedule))
        .route(
            "/v1/payments/runs",
            post(payments::start).get(payments::list),
        )
        .route("/v1/payments/runs/{id}", get(payments::get_one))
        .route("/v1/payments/runs/{id}/lines", get(payments::lines))
        .route("/v1/payments/runs/{id}/release", post(payments::release))
        .route("/v1/payments/runs/{id}/returns", post(payments::returns))
        .route(
            "/v1/payments/runs/{id}/bank-file.csv",
            get(payments::bank_csv),
        )
        .route(
            "/v1/payments/runs/{id}/bank-file.json",
            get(payments::bank_json),
        )
        .route(
            "/v1/payments/regions/{region}/outlay",
            get(payments::outlay),
        )
        .route("/v1/review/queue", get(review::queue))
        .route("/v1/audit", get(review::audit))
        .route("/v1/audit/checkpoints", get(review::audit_checkpoints))
        .route("/v1/events", get(review::events))
        .route(
            "/v1/platforms/{platform}/webhook",
            put(platforms::set_webhook),
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
        .route("/v1/keys/{id}", delete(policies::revoke_key))
        .route("/v1/keys/{id}/approve", post(policies::approve_key))
        .route(
            "/v1/calendars",
            post(calendars::upload).get(calendars::list),
        )
        .route("/v1/calendars/{id}/approve", post(calendars::approve))
        .route("/v1/tokens", post(tokens::create).get(tokens::list))
        .route("/v1/users", post(users::create).get(users::list))
        .route("/v1/users/{id}", get(users::get))
        .route("/v1/users/{id}/disable", post(users::disable))
        .route(
            "/v1/users/{id}/password",
            axum::routing::put(users::set_password),
        )
        .route("/v1/users/{id}/totp", post(users::enroll_totp))
        .route("/v1/users/{id}/tokens", get(users::tokens))
        .route("/v1/tokens/{id}", delete(tokens::revoke))
        .merge(ops::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::from_fn(timed_out))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .with_state(state)
}
