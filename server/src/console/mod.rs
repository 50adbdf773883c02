//! The web console for adjusters and provincial IT, served by the same binary under
//! `/console`: server-rendered HTML (maud), inline CSS, no JavaScript and nothing fetched from
//! anywhere else; Simplified Chinese by default, English by a switch.
//!
//! Every page and action calls the services the API handlers call, with the signed-in token's
//! [`Principal`], and renders the API's views, so the console enforces exactly the API's roles,
//! scopes and rules (four eyes, reasons required, a claim outside the caller's regions does not
//! exist for it); the buttons it offers are the state machines' answers. The console adds only
//! the session, the forms and the rendering.
//!
//! - **Session.** A user signs in with their employee id and password (argon2id), and the code
//!   of their authenticator app when enrolled in TOTP; a platform (or the bootstrap admin) with
//!   an API token. Either way the server begins a session of its own (`console_sessions`): a
//!   random 256-bit id in a cookie (`HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure`
//!   with `secure_cookies` or when serving HTTPS), only its keyed hash in the database. It ends after
//!   [`Config::console_idle`](crate::config::Config::console_idle) without a request, at
//!   [`Config::console_session`](crate::config::Config::console_session) after sign-in, on
//!   logout, and when its user is disabled or its token revoked or expired. Failed sign-ins
//!   count against the address like failed bearer tokens.
//! - **CSRF.** Every POST form carries a token, the HMAC under the server's key of the session
//!   id (of a one-time nonce kept in its own cookie, for the sign-in form), and nothing is
//!   done before it is checked; the strict same-site cookies are a second line.
//! - **Language.** `oip_lang` cookie (`zh-CN` or `en`), set by the switch in every page's
//!   header (`/console/lang?to=en`); `<html lang>` follows it.
//! - **Errors** are shown on the page, in the page's language, with the API's stable code.

mod claim;
mod i18n;
mod layout;
mod payments;
mod policies;
mod queue;
mod review_form;
mod session;
mod version;

use crate::api::extract::Peer;

pub(crate) use layout::respond as page;

use crate::AppState;
use crate::auth::{Principal, Role};
use crate::error::{Code, Error};
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use i18n::Lang;
use layout::Ctx;
use maud::html;
use rand::RngCore;
use serde::Deserialize;

const SESSION_COOKIE: &str = "oip_session";
const LOGIN_COOKIE: &str = "oip_login";
const LANG_COOKIE: &str = "oip_lang";

/// The console's routes, to be merged into the API router (which adds the state, the
/// request tracing, the body limit and the timeout).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { see_other("/console") }))
        .route("/console", get(home))
        .route("/console/", get(|| async { see_other("/console") }))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/lang", get(switch_lang))
        .route("/console/queue", get(queue::queue))
        .route("/console/claims", get(queue::search))
        .route("/console/claims/{id}", get(claim::claim_page))
        .route("/console/claims/{id}/review", post(review_form::review))
        .route("/console/claims/{id}/notice", get(claim::notice))
        .route("/console/policies", get(policies::policies_page))
        .route(
            "/console/regions/{region}/policies",
            post(policies::upload).layer(axum::extract::DefaultBodyLimit::max(
                state.config.policy_upload_limit_bytes,
            )),
        )
        .route(
            "/console/regions/{region}/rollback",
            post(policies::rollback),
        )
        .route("/console/policies/{id}", get(version::version_page))
        .route("/console/policies/{id}/shadow", post(policies::shadow))
        .route("/console/policies/{id}/approve", post(policies::approve))
        .route("/console/policies/{id}/activate", post(policies::activate))
        .route("/console/policies/{id}/redecide", post(policies::redecide))
        .route("/console/payments", get(payments::payments_page))
        .route("/console/payments/runs", post(payments::start))
        .route("/console/payments/runs/{id}", get(payments::run_page))
        .route(
            "/console/payments/runs/{id}/release",
            post(payments::release),
        )
        .route("/console/{*rest}", get(not_found))
}

/// A cookie of the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the console's path; `max_age` 0 deletes it; `secure` when the
/// console is reached over TLS.
fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let v = format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// 303 to a path of ours.
fn see_other(location: &str) -> Response {
    let loc =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/console"));
    (StatusCode::SEE_OTHER, [(LOCATION, loc)]).into_response()
}

/// A `next` or `back` target, if it is a console path (no open redirect).
fn safe_target(t: &str) -> Option<&str> {
    let ok = t.starts_with("/console")
        && !t.contains("//")
        && !t.contains('\\')
        && t.chars().all(|c| c.is_ascii_graphic());
    ok.then_some(t)
}

/// Percent-encodes a query value.
pub(crate) fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

use crate::crypto::same;
use session::{begin_session, session_hash, session_id, session_principal, sign_in};

fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or(Lang::Zh)
}

/// The CSRF token of a session: the keyed hash of its id, under a label of its own.
fn csrf_of(state: &AppState, session_id: &str) -> String {
    state
        .keys
        .keyed_hash(&format!("oip-console-csrf\u{0}{session_id}"))
}

/// The CSRF token of the sign-in form, from its nonce.
fn login_csrf_of(state: &AppState, nonce: &str) -> String {
    state
        .keys
        .keyed_hash(&format!("oip-console-login\u{0}{nonce}"))
}

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(lang_of(&parts.headers))
    }
}

/// A signed-in user of the console.
pub(crate) struct Session {
    /// Who, with the same role and scope as through the API.
    pub(crate) who: Principal,
    /// The session id (from the cookie).
    pub(crate) id: String,
    /// The CSRF token every POST form of this session carries.
    pub(crate) csrf: String,
    /// The page language.
    pub(crate) lang: Lang,
    /// The request's path and query (for the language switch to come back to).
    pub(crate) path: String,
}

impl Session {
    /// The page context.
    pub(crate) fn ctx(&self) -> Ctx<'_> {
        Ctx {
            lang: self.lang,
            session: Some(self),
            path: &self.path,
        }
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub(crate) fn check(&self, given: Option<&str>) -> Result<(), Response> {
        match given {
            Some(g) if same(g, &self.csrf) => Ok(()),
            _ => Err(csrf_refused(self.lang)),
        }
    }
}

fn csrf_refused(lang: Lang) -> Response {
    layout::message_page(
        &Ctx::anonymous(lang, "/console"),
        StatusCode::FORBIDDEN,
        "csrf_failed",
        lang.t(i18n::CSRF_FAILED),
    )
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = lang_of(&parts.headers);
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/console".into());
        let to_login = || {
            let next = if parts.method == axum::http::Method::GET {
                format!("/console/login?next={}", pct(&path))
            } else {
                "/console/login".to_string()
            };
            see_other(&next)
        };
        let Some(id) = session_id(&parts.headers).map(str::to_string) else {
            return Err(to_login());
        };
        match session_principal(state, &id).await {
            Ok(Some(who)) => Ok(Session {
                csrf: csrf_of(state, &id),
                who,
                id,
                lang,
                path,
            }),
            Ok(None) => Err((
                AppendHeaders([(
                    SET_COOKIE,
                    set_cookie(SESSION_COOKIE, "", 0, state.config.cookies_secure()),
                )]),
                to_login(),
            )
                .into_response()),
            Err(e) => Err(layout::error_page(
                &Ctx::anonymous(lang, &path),
                &Error::from(e),
            )),
        }
    }
}

/// The fields of a URL-encoded form, in order.
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of a field, as sent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a field, trimmed, if not empty.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every value of a field (checkboxes).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every field, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl FromRequest<AppState> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let lang = lang_of(req.headers());
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Fields(v)),
            Err(e) => {
                let err = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::new(Code::PayloadTooLarge)
                } else {
                    let t = i18n::BAD_FORM;
                    Error::new(Code::MalformedRequest).message(t.0, t.1)
                };
                Err(layout::error_page(&Ctx::anonymous(lang, "/console"), &err))
            }
        }
    }
}

/// Where a role starts.
fn home_of(who: &Principal) -> Option<&'static str> {
    match who.role {
        Role::Adjuster => Some("/console/queue"),
        Role::PolicyAdmin | Role::Admin => Some("/console/policies"),
        Role::PaymentsOfficer => Some("/console/payments"),
        Role::Platform | Role::Auditor => None,
    }
}

async fn home(s: Session) -> Response {
    match home_of(&s.who) {
        Some(p) => see_other(p),
        None => {
            let l = s.lang;
            layout::respond(
                StatusCode::OK,
                layout::page(
                    &s.ctx(),
                    l.t(i18n::APP),
                    false,
                    html! { p { (l.t(i18n::NO_PAGES)) } },
                ),
            )
        }
    }
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    q: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = q.ok().and_then(|Query(q)| q.next).unwrap_or_default();
    if let Some(id) = session_id(&headers)
        && let Ok(Some(who)) = session_principal(&state, id).await
    {
        let to = safe_target(&next).or(home_of(&who)).unwrap_or("/console");
        if home_of(&who).is_some() {
            return see_other(to);
        }
    }
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce = hex::encode(nonce);
    let csrf = login_csrf_of(&state, &nonce);
    (
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(LOGIN_COOKIE, &nonce, 3600, state.config.cookies_secure()),
        )]),
        layout::login(lang, &csrf, &next, None),
    )
        .into_response()
}

async fn login(
    State(state): State<AppState>,
    lang: Lang,
    Peer(peer): Peer,
    headers: HeaderMap,
    f: Fields,
) -> Response {
    let nonce = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let expected = login_csrf_of(&state, nonce);
    if nonce.is_empty() || !f.get("csrf").is_some_and(|g| same(g, &expected)) {
        return csrf_refused(lang);
    }
    let next = f.text("next").unwrap_or_default();
    let who = match sign_in(&state, peer, &f).await {
        Ok(Some(who)) => who,
        Ok(None) => {
            return layout::login(
                lang,
                &expected,
                &next,
                Some(&Error::new(Code::Unauthenticated)),
            );
        }
        Err(e) => return layout::login(lang, &expected, &next, Some(&e)),
    };
    let id = match begin_session(&state, &who).await {
        Ok(id) => id,
        Err(e) => return layout::login(lang, &expected, &next, Some(&e)),
    };
    let to = safe_target(&next).or(home_of(&who)).unwrap_or("/console");
    let secure = state.config.cookies_secure();
    (
        AppendHeaders([
            (
                SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    &id,
                    state.config.console_session.as_secs(),
                    secure,
                ),
            ),
            (SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0, secure)),
        ]),
        see_other(to),
    )
        .into_response()
}

async fn logout(State(state): State<AppState>, s: Session, f: Fields) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let hash = session_hash(&state, &s.id);
    if let Err(e) = state
        .writer
        .submit_logged(
            Some(state.db.end_session_stmt(&hash, crate::now().0)),
            vec![],
            vec![],
            vec![],
        )
        .await
    {
        return layout::error_page(&s.ctx(), &Error::from(e));
    }
    (
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", 0, state.config.cookies_secure()),
        )]),
        see_other("/console/login"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

/// The language switch: a plain link, harmless to follow (it only sets the language).
async fn switch_lang(
    State(state): State<AppState>,
    q: Result<Query<LangQuery>, QueryRejection>,
) -> Response {
    let (to, back) = match q {
        Ok(Query(q)) => (q.to, q.back),
        Err(_) => (None, None),
    };
    let lang = to.as_deref().and_then(Lang::parse).unwrap_or(Lang::Zh);
    let back = back.as_deref().and_then(safe_target).unwrap_or("/console");
    (
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(
                LANG_COOKIE,
                lang.code(),
                365 * 86400,
                state.config.cookies_secure(),
            ),
        )]),
        see_other(back),
    )
        .into_response()
}

async fn not_found(lang: Lang) -> Response {
    layout::message_page(
        &Ctx::anonymous(lang, "/console"),
        StatusCode::NOT_FOUND,
        "not_found",
        lang.t(i18n::NOT_FOUND_PAGE),
    )
}

/// `?done=` after an action or a step: which one, to confirm it on the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

impl Done {
    /// The action named, when the query string is readable.
    fn take(q: Result<Query<Done>, QueryRejection>) -> Option<String> {
        q.ok().and_then(|Query(d)| d.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_redirect_targets() {
        assert_eq!(
            safe_target("/console/claims/clm_1"),
            Some("/console/claims/clm_1")
        );
        assert_eq!(
            safe_target("/console/queue?status=appealed"),
            Some("/console/queue?status=appealed")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/console//evil",
            "/v1/claims",
            "/console\\x",
            "/console x",
        ] {
            assert_eq!(safe_target(bad), None, "{bad}");
        }
    }

    #[test]
    fn cookies_are_read_and_set_strictly() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; oip_lang=en; oip_session=6869"),
        );
        assert_eq!(cookie(&h, LANG_COOKIE), Some("en"));
        assert_eq!(session_id(&h), None, "not 64 hex digits");
        let id = "ab".repeat(32);
        let mut h2 = HeaderMap::new();
        h2.insert(
            COOKIE,
            HeaderValue::from_str(&format!("oip_session={id}"))
                .unwrap_or(HeaderValue::from_static("")),
        );
        assert_eq!(session_id(&h2), Some(id.as_str()));
        assert_eq!(lang_of(&h), Lang::En);
        assert_eq!(lang_of(&HeaderMap::new()), Lang::Zh, "zh-CN by default");
        let c = set_cookie(SESSION_COOKIE, "ab", 60, false);
        let c = c.to_str().unwrap_or_default();
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/console"),
            "{c}"
        );
        assert!(!c.contains("Secure"), "{c}");
        let c = set_cookie(SESSION_COOKIE, "ab", 60, true);
        assert!(c.to_str().unwrap_or_default().ends_with("; Secure"));
        assert_eq!(
            pct("/console/claims/x?a=b&c"),
            "/console/claims/x%3Fa%3Db%26c"
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
