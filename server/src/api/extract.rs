//! The extractors: the caller (bearer token), JSON bodies read with every problem named by its
//! field, the `Idempotency-Key` header, and query strings — each refusing with the API's error.

use crate::AppState;
use crate::auth::{Principal, bearer};
use crate::error::{Code, Error};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The client's address, as the connection gives it (`None` when the router is driven
/// without a connection, as in a unit test).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub Option<std::net::IpAddr>);

impl Peer {
    /// The address of the connection a request came on.
    pub fn of(parts: &Parts) -> Peer {
        Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer::of(parts))
    }
}

/// The caller: a known, unrevoked token within its rate (`unauthenticated`, or
/// `rate_limited` with `Retry-After`).
impl FromRequestParts<AppState> for Principal {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = bearer(header).ok_or(Code::Unauthenticated)?;
        let who = state
            .principal(token, Peer::of(parts).0)
            .await?
            .ok_or(Code::Unauthenticated)?;
        state.gate.admit(&who)?;
        Ok(who)
    }
}

/// The body's bytes, or `payload_too_large`.
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::new(Code::PayloadTooLarge)
                } else {
                    Error::new(Code::MalformedRequest).detail(e.body_text())
                }
            })
    }
}

/// A request body type, and the code its problems are answered with.
pub trait RequestBody: DeserializeOwned {
    /// `invalid_request` for most bodies; `invalid_claim` for a claim's.
    const CODE: Code = Code::InvalidRequest;
}

/// A JSON body of type `T`: `malformed_request` (400) when it is not JSON, otherwise its first
/// structural problem, named by its path (422, `T::CODE`).
pub struct Body<T>(pub T);

impl<T: RequestBody> FromRequest<AppState> for Body<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        crate::validate::parse::<T>(&bytes, T::CODE).map(Body)
    }
}

/// A JSON body that may be left empty (then `T::default()`), for steps whose parameters are
/// optional.
pub struct OptionalBody<T>(pub T);

impl<T: RequestBody + Default> FromRequest<AppState> for OptionalBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Error> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        let text = bytes.trim_ascii();
        if text.is_empty() || text == b"null" {
            return Ok(OptionalBody(T::default()));
        }
        crate::validate::parse::<T>(&bytes, T::CODE).map(OptionalBody)
    }
}

/// The longest `Idempotency-Key` accepted.
pub const MAX_KEY_LEN: usize = 200;

/// The `Idempotency-Key` header: 1 to 200 printable ASCII characters, not starting or ending
/// with a space.
pub struct IdempotencyKey(pub String);

/// [`IdempotencyKey`]'s rule as a regular expression, for the API schema.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]([ -~]{0,198}[!-~])?$";

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let missing = || {
            Error::field(
                Code::MissingHeader,
                "Idempotency-Key",
                "required: 1 to 200 printable ASCII characters",
            )
            .message(
                "缺少请求头 Idempotency-Key（1 至 200 个可打印 ASCII 字符）。",
                "the Idempotency-Key header is required (1 to 200 printable ASCII characters)",
            )
        };
        let v = parts.headers.get("idempotency-key").ok_or_else(missing)?;
        let b = v.as_bytes();
        let printable = |c: &u8| (0x20..=0x7e).contains(c);
        let ok = !b.is_empty()
            && b.len() <= MAX_KEY_LEN
            && b.iter().all(printable)
            && b[0] != b' '
            && b[b.len() - 1] != b' ';
        if !ok {
            return Err(missing());
        }
        Ok(IdempotencyKey(String::from_utf8_lossy(b).into_owned()))
    }
}

/// A query string of type `T`, or `invalid_request` naming what is wrong with it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        let q = parts.uri.query().unwrap_or_default();
        // A parameter given empty is not a parameter left out.
        if let Some((k, _)) = form_urlencoded::parse(q.as_bytes()).find(|(_, v)| v.is_empty()) {
            return Err(Error::field(
                Code::InvalidRequest,
                k.into_owned(),
                "must not be empty",
            ));
        }
        serde_urlencoded::from_str::<T>(q)
            .map(Query)
            .map_err(|e| Error::field(Code::InvalidRequest, "query", e.to_string()))
    }
}
