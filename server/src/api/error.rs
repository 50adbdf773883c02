//! An [`Error`] as an HTTP answer: the registry's status, and the body
//! `{ "error": { "code", "message", "message_zh", "fields": [{"path","problem"}] } }`. The
//! internal detail rides in the response's extensions to the request span, which logs it
//! (`super::observe`); it is never sent.

use crate::error::{Code, Error, FieldProblem};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The stable code.
    pub code: Code,
    /// In English.
    pub message: String,
    /// In Simplified Chinese.
    pub message_zh: String,
    /// The fields at fault, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    /// The request's id (`x-request-id`: the client's, or one made here), as on every log
    /// line of the request: quote it when asking about an error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

tokio::task_local! {
    /// The id of the request being answered (set by the request middleware).
    pub static REQUEST_ID: String;
}

/// The request's id: the client's `x-request-id` when it is 1 to 64 characters of letters,
/// digits and `._:-`, otherwise a new one.
pub fn request_id_of(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| crate::new_id("req"))
}

/// What the request span logs of an error answer.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The code.
    pub code: Code,
    /// The internal detail.
    pub detail: Option<String>,
}

impl Error {
    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The answer's body.
    pub fn body(&self) -> ErrorBody {
        let (zh, en) = self.text();
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: en.to_string(),
                message_zh: zh.to_string(),
                fields: self.fields.clone(),
                request_id: REQUEST_ID.try_with(Clone::clone).ok(),
            },
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        let retry_after = self.retry_after_secs.or(matches!(
            self.code,
            Code::Busy | Code::DatabaseUnavailable | Code::Timeout | Code::RateLimited
        )
        .then_some(1));
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        response.extensions_mut().insert(Logged {
            code: self.code,
            detail: self.detail,
        });
        response
    }
}
