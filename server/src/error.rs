//! API errors: one table from error to HTTP status and stable code. The body is
//! `{ "error": { "code", "message", "fields": [{"path","problem"}] } }`; messages carry zh-CN
//! and English; internal detail goes to the log, never to the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// JSON path of the field, e.g. `worker.id_number`.
    pub path: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FieldProblem {
    /// A problem at a path.
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> FieldProblem {
        FieldProblem {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Every error the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not the expected shape.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The claim fails validation.
    #[error("invalid claim")]
    Invalid(Vec<FieldProblem>),
    /// A required header is missing.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// No or unknown token.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The token's role or scope does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// Not found (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The idempotency key was used with another body.
    #[error("idempotency key reused with a different body")]
    IdempotencyConflict,
    /// The platform's claim reference is already used by another claim.
    #[error("platform_claim_ref already used")]
    DuplicateClaimRef,
    /// The transition is not allowed in the claim's status.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Four eyes: the author of a decision cannot approve it, nor review its appeal.
    #[error("a different adjuster is required")]
    SameAdjuster,
    /// No policy in force (for /v1/evaluate).
    #[error("no policy in force for {region} on {date}")]
    NoPolicyInForce {
        /// Region.
        region: String,
        /// Date.
        date: String,
    },
    /// The policy module could not decide (for /v1/evaluate).
    #[error("policy error {code}")]
    PolicyError {
        /// The module's code.
        code: String,
        /// Its message (zh, en).
        message: (String, String),
        /// The field at fault.
        field: Option<String>,
    },
    /// The policy engine failed (for /v1/evaluate).
    #[error("engine error: {0}")]
    Engine(String),
    /// All decision slots are busy.
    #[error("busy")]
    Busy,
    /// The database cannot be reached.
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    /// A request (other than a claim) fails validation.
    #[error("invalid request")]
    InvalidRequest(Vec<FieldProblem>),
    /// An uploaded policy module is refused; `code` says which check it failed.
    #[error("policy refused: {code}")]
    PolicyRefused {
        /// Stable code: `signature_required`, `signature_invalid`, `signing_key_wrong_region`,
        /// `policy_invalid`, `policy_incompatible`, `policy_limits`, `policy_region_mismatch`,
        /// `policy_window_invalid`, `policy_cases_required`, `policy_cases_failed`.
        code: &'static str,
        /// The message (zh, en).
        message: (String, String),
        /// The fields at fault.
        fields: Vec<FieldProblem>,
    },
    /// A policy lifecycle step is refused in the version's state (409 with its own code:
    /// `shadow_required`, `different_approver_required`, `nothing_to_roll_back`,
    /// `job_running`, `invalid_policy_transition`).
    #[error("policy step refused: {code}")]
    PolicyStep {
        /// Stable code.
        code: &'static str,
        /// The message (zh, en).
        message: (String, String),
    },
    /// The request body is too large.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Anything else.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// Status, stable code, and the message in zh-CN and English.
    pub fn parts(&self) -> (StatusCode, &'static str, String, String) {
        use ApiError::*;
        match self {
            Malformed(d) => (
                StatusCode::BAD_REQUEST,
                "malformed_request",
                format!("请求格式错误：{d}"),
                format!("malformed request: {d}"),
            ),
            Invalid(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_claim",
                "申请内容有误，请修正所列字段。".into(),
                "the claim is invalid; see the fields listed".into(),
            ),
            MissingHeader(h) => (
                StatusCode::BAD_REQUEST,
                "missing_header",
                format!("缺少请求头 {h}"),
                format!("the {h} header is required"),
            ),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "需要有效的访问令牌。".into(),
                "a valid bearer token is required".into(),
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "无权执行此操作。".into(),
                "this token may not do that".into(),
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "未找到。".into(),
                "not found".into(),
            ),
            IdempotencyConflict => (
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "该幂等键已用于不同的请求内容。".into(),
                "this Idempotency-Key was used with a different body".into(),
            ),
            DuplicateClaimRef => (
                StatusCode::CONFLICT,
                "duplicate_platform_claim_ref",
                "平台案件编号已存在。".into(),
                "platform_claim_ref is already used by another claim".into(),
            ),
            Conflict(d) => (
                StatusCode::CONFLICT,
                "invalid_transition",
                format!("当前状态不允许此操作：{d}"),
                format!("not allowed in the current status: {d}"),
            ),
            SameAdjuster => (
                StatusCode::CONFLICT,
                "different_adjuster_required",
                "须由另一名经办人员审批（四眼原则）。".into(),
                "another adjuster must do this (four eyes)".into(),
            ),
            NoPolicyInForce { region, date } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_policy_in_force",
                format!("{region} 在 {date} 没有生效的政策模块。"),
                format!("no policy is in force for {region} on {date}"),
            ),
            PolicyError { message, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "policy_error",
                message.0.clone(),
                message.1.clone(),
            ),
            Engine(_) => (
                StatusCode::BAD_GATEWAY,
                "engine_error",
                "政策模块运行失败。".into(),
                "the policy module failed".into(),
            ),
            Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "系统繁忙，请稍后重试。".into(),
                "all decision slots are busy; retry shortly".into(),
            ),
            DatabaseUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "数据库暂不可用，请稍后重试。".into(),
                "the database is unavailable; retry shortly".into(),
            ),
            InvalidRequest(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "请求内容有误，请修正所列字段。".into(),
                "the request is invalid; see the fields listed".into(),
            ),
            PolicyRefused { code, message, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message.0.clone(),
                message.1.clone(),
            ),
            PolicyStep { code, message } => (
                StatusCode::CONFLICT,
                code,
                message.0.clone(),
                message.1.clone(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "请求内容过大。".into(),
                "the request body is too large".into(),
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "内部错误。".into(),
                "internal error".into(),
            ),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
    message_zh: String,
    #[serde(skip_serializing_if = "<[FieldProblem]>::is_empty")]
    fields: &'a [FieldProblem],
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, zh, en) = self.parts();
        match &self {
            ApiError::Internal(d) | ApiError::Engine(d) | ApiError::DatabaseUnavailable(d) => {
                tracing::error!(code, detail = %d, "request failed");
            }
            _ => {}
        }
        let mut fields: Vec<FieldProblem> = match &self {
            ApiError::Invalid(f)
            | ApiError::InvalidRequest(f)
            | ApiError::PolicyRefused { fields: f, .. } => f.clone(),
            _ => Vec::new(),
        };
        if let ApiError::PolicyError {
            field: Some(f),
            code: c,
            ..
        } = &self
        {
            fields.push(FieldProblem::new(f.clone(), c.clone()));
        }
        let body = Body {
            error: Inner {
                code,
                message: en,
                message_zh: zh,
                fields: &fields,
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> ApiError {
        use sea_orm::DbErr;
        match &e {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => {
                ApiError::DatabaseUnavailable(e.to_string())
            }
            _ => ApiError::Internal(e.to_string()),
        }
    }
}
