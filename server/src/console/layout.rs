//! The page shell (header, navigation, language switch, sign-out), the sign-in page, error
//! boxes and pages, and the formatting every page shares. The style sheet is inline: the
//! console loads nothing from anywhere.

use super::i18n::{self, Lang};
use super::{Session, pct};
use crate::auth::Role;
use crate::error::Error;
use axum::http::header::{self, HeaderName};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// What a page needs to know about its request.
pub(crate) struct Ctx<'a> {
    /// The language.
    pub(crate) lang: Lang,
    /// The signed-in user, if any.
    pub(crate) session: Option<&'a Session>,
    /// The path and query (the language switch comes back to it).
    pub(crate) path: &'a str,
}

impl<'a> Ctx<'a> {
    /// A page without a session (sign-in, errors before sign-in).
    pub(crate) fn anonymous(lang: Lang, path: &'a str) -> Ctx<'a> {
        Ctx {
            lang,
            session: None,
            path,
        }
    }
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;font-size:15px;line-height:1.5;color:#1d2733;background:#f4f6f8}
header{background:#12395b;color:#fff;padding:.5em 1.5em;display:flex;flex-wrap:wrap;gap:1em;align-items:center}
header a{color:#fff}
header .brand{font-weight:bold;margin-right:1em}
header nav a{margin-right:1em}
header .who{margin-left:auto;font-size:.9em;opacity:.9}
header .langs a{margin-left:.4em}
header .langs a.current{font-weight:bold;text-decoration:none}
header form{display:inline;margin:0}
header button{background:transparent;color:#fff;border:1px solid #fff8;border-radius:3px;padding:.15em .6em;cursor:pointer}
main{max-width:1200px;margin:1em auto;padding:0 1.5em}
h1{font-size:1.5em;margin:.4em 0}
h2{font-size:1.2em;margin:1.2em 0 .4em;border-bottom:1px solid #ccd3da;padding-bottom:.2em}
h3{font-size:1.05em;margin:1em 0 .3em}
section,.card{background:#fff;border:1px solid #dde3e9;border-radius:4px;padding:.8em 1em;margin:.8em 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #dde3e9;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.prov td{background:#fff3cd}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;background:#e1e8ef;font-size:.9em;white-space:nowrap}
.badge.overdue,.overdue{background:#c0392b;color:#fff}
.badge.prov{background:#f0ad4e;color:#222}
.badge.ok{background:#2e7d32;color:#fff}
.badge.status{background:#12395b;color:#fff}
.error{border:2px solid #c0392b;background:#fdecea;padding:.6em 1em;border-radius:4px;margin:.8em 0}
.done{border:2px solid #2e7d32;background:#e8f5e9;padding:.6em 1em;border-radius:4px;margin:.8em 0}
.muted,small{color:#5b6875}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em;word-break:break-all}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.4em 0}
dl.kv dt{color:#5b6875}
dl.kv dd{margin:0}
form.action{border:1px solid #dde3e9;border-radius:4px;padding:.6em .8em;margin:.6em 0;background:#fafbfc}
form.action h3{margin-top:0}
label{display:inline-block;margin:.2em .8em .2em 0}
input[type=text],input[type=password],input[type=date],input[type=datetime-local],select,textarea{font:inherit;padding:.25em .4em;border:1px solid #9aa7b4;border-radius:3px}
textarea{width:100%;min-height:3em}
button{font:inherit;padding:.3em 1em;border-radius:3px;border:1px solid #12395b;background:#12395b;color:#fff;cursor:pointer}
button.danger{background:#c0392b;border-color:#c0392b}
.progress{background:#dde3e9;border-radius:3px;height:1.2em;overflow:hidden;max-width:40em}
.progress>div{background:#2471a3;height:100%}
#chart svg{max-width:100%;height:auto;border:1px solid #dde3e9}
.cols{display:flex;flex-wrap:wrap;gap:1em}
.cols>*{flex:1 1 24em}
@media print{header,form,.noprint{display:none}body{background:#fff}}
"#;

/// A whole page: the shell around `body`. `refresh` reloads it every second (a job runs).
pub(crate) fn page(ctx: &Ctx, title: &str, refresh: bool, body: Markup) -> Markup {
    let l = ctx.lang;
    let back = pct(ctx.path);
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if refresh { meta http-equiv="refresh" content="1"; }
                title { (title) " · " (l.t(i18n::APP)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/console" { (l.t(i18n::APP)) }
                    @if let Some(s) = ctx.session {
                        nav {
                            @if s.who.role == Role::Adjuster {
                                a #nav-queue href="/console/queue" { (l.t(i18n::NAV_QUEUE)) }
                            }
                            @if matches!(s.who.role, Role::PolicyAdmin | Role::Admin) {
                                a #nav-policies href="/console/policies" { (l.t(i18n::NAV_POLICIES)) }
                            }
                            @if matches!(s.who.role, Role::PaymentsOfficer | Role::Auditor | Role::Admin) {
                                a #nav-payments href="/console/payments" { (l.t(i18n::NAV_PAYMENTS)) }
                            }
                        }
                    }
                    span.who {
                        @if let Some(s) = ctx.session {
                            (l.t(i18n::SIGNED_IN_AS)) ": " (i18n::role(l, s.who.role.as_str()))
                            @if !s.who.regions.is_empty() { " · " (s.who.regions.join(", ")) }
                            @if let Some(name) = &s.who.user_name { " · " span.user-name { (name) } }
                            " · " code { (s.who.person()) }
                        }
                    }
                    span.langs {
                        a #lang-zh .current[l == Lang::Zh] href={ "/console/lang?to=zh-CN&back=" (back) } { "中文" }
                        " | "
                        a #lang-en .current[l == Lang::En] href={ "/console/lang?to=en&back=" (back) } { "English" }
                    }
                    @if let Some(s) = ctx.session {
                        form method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(s.csrf);
                            button #sign-out type="submit" { (l.t(i18n::SIGN_OUT)) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// What every console page allows itself: its own forms and inline style, no script, no
/// framing, nothing from elsewhere; and no caching of pages that show claims.
const HEADERS: [(HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

/// An HTML response.
pub(crate) fn respond(status: StatusCode, m: Markup) -> Response {
    let mut r = (status, m).into_response();
    for (name, value) in HEADERS {
        r.headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    r
}

/// An error, as a box on a page: the stable code, the message in the page's language, and
/// the fields at fault.
pub(crate) fn error_box(l: Lang, e: &Error) -> Markup {
    let (zh, en) = e.text();
    html! {
        div.error #error role="alert" {
            strong { (l.t(i18n::ERROR_CODE)) ": " code.code { (e.code.name()) } }
            p.message { (l.pick(zh, en)) }
            @if !e.fields.is_empty() {
                ul {
                    @for p in &e.fields {
                        li { code { (p.path) } ": " (p.problem) }
                    }
                }
            }
        }
    }
}

/// A page holding only an error.
pub(crate) fn error_page(ctx: &Ctx, e: &Error) -> Response {
    let l = ctx.lang;
    respond(
        e.status(),
        page(
            ctx,
            l.t(i18n::ERROR),
            false,
            html! {
                h1 { (l.t(i18n::ERROR)) }
                (error_box(l, e))
                p { a href="/console" { (l.t(i18n::BACK_HOME)) } }
            },
        ),
    )
}

/// A page holding one message with its code (for the console's own refusals).
pub(crate) fn message_page(ctx: &Ctx, status: StatusCode, code: &str, message: &str) -> Response {
    let l = ctx.lang;
    respond(
        status,
        page(
            ctx,
            l.t(i18n::ERROR),
            false,
            html! {
                h1 { (l.t(i18n::ERROR)) }
                div.error #error role="alert" {
                    strong { (l.t(i18n::ERROR_CODE)) ": " code.code { (code) } }
                    p.message { (message) }
                }
                p { a href="/console" { (l.t(i18n::BACK_HOME)) } }
            },
        ),
    )
}

/// The sign-in page (with the error of a failed attempt).
pub(crate) fn login(l: Lang, csrf: &str, next: &str, error: Option<&Error>) -> Response {
    let ctx = Ctx::anonymous(l, "/console/login");
    let status = error.map(Error::status).unwrap_or(StatusCode::OK);
    respond(
        status,
        page(
            &ctx,
            l.t(i18n::SIGN_IN),
            false,
            html! {
                section style="max-width:36em;margin:2em auto" {
                    h1 { (l.t(i18n::SIGN_IN)) }
                    p.muted { (l.t(i18n::SIGN_IN_HELP)) }
                    @if let Some(e) = error { (error_box(l, e)) }
                    form #sign-in-password method="post" action="/console/login" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="next" value=(next);
                        p {
                            label for="employee_id" { (l.t(i18n::EMPLOYEE_ID)) }
                            br;
                            input #employee_id type="text" name="employee_id" autocomplete="username" style="width:100%";
                        }
                        p {
                            label for="password" { (l.t(i18n::PASSWORD)) }
                            br;
                            input #password type="password" name="password" autocomplete="current-password" style="width:100%";
                        }
                        p {
                            label for="totp" { (l.t(i18n::TOTP_CODE)) }
                            br;
                            input #totp type="text" name="totp" inputmode="numeric" autocomplete="one-time-code" maxlength="8" style="width:12em";
                        }
                        button #sign-in-password-submit type="submit" { (l.t(i18n::SIGN_IN)) }
                    }
                    section style="margin-top:2em" {
                        h2 { (l.t(i18n::TOKEN_SIGN_IN)) }
                        form #sign-in method="post" action="/console/login" {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="next" value=(next);
                            p {
                                label for="token" { (l.t(i18n::TOKEN)) }
                                br;
                                input #token type="password" name="token" autocomplete="off" style="width:100%";
                            }
                            button #sign-in-submit type="submit" { (l.t(i18n::SIGN_IN)) }
                        }
                    }
                }
            },
        ),
    )
}

/// An amount in yuan, e.g. `¥1,234.50`; a missing amount is "to be set".
pub(crate) fn money(l: Lang, fen: Option<u64>) -> String {
    match fen {
        Some(f) => format!("¥{}", oip_engine::types::money::yuan(f)),
        None => l.t(i18n::TO_BE_SET).to_string(),
    }
}

/// A change in fen as signed yuan, e.g. `+¥12.00`.
pub(crate) fn change(fen: i64) -> String {
    let sign = match fen {
        f if f > 0 => "+",
        f if f < 0 => "−",
        _ => "",
    };
    format!(
        "{sign}¥{}",
        oip_engine::types::money::yuan(fen.unsigned_abs())
    )
}

/// The first 12 hex digits of a digest.
pub(crate) fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// A token id, marked when it is the viewer's own.
pub(crate) fn actor(l: Lang, id: &str, me: &str) -> Markup {
    html! {
        code { (id) }
        @if id == me { (l.t(i18n::YOU)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_say_their_language_and_reload_only_while_a_job_runs() {
        let ctx = Ctx::anonymous(Lang::En, "/console/policies/abc?done=shadow");
        let p = page(&ctx, "t", true, html! { p { "<b>" } }).into_string();
        assert!(p.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{p}");
        assert!(p.contains(r#"<meta http-equiv="refresh" content="1">"#));
        assert!(p.contains("&lt;b&gt;"), "texts are escaped");
        assert!(
            p.contains("back=/console/policies/abc%3Fdone%3Dshadow"),
            "the switch comes back"
        );
        assert!(!p.contains("<script"), "no JavaScript");
        let p = page(&Ctx::anonymous(Lang::Zh, "/console"), "t", false, html! {}).into_string();
        assert!(p.contains("<html lang=\"zh-CN\">") && !p.contains("refresh"));
    }

    #[test]
    fn errors_show_their_code_in_the_page_language() {
        let e = Error::new(crate::error::Code::DifferentAdjusterRequired);
        let zh = error_box(Lang::Zh, &e).into_string();
        let en = error_box(Lang::En, &e).into_string();
        assert!(
            zh.contains("different_adjuster_required") && zh.contains("四眼原则"),
            "{zh}"
        );
        assert!(
            en.contains("different_adjuster_required") && en.contains("another adjuster"),
            "{en}"
        );
        assert_eq!(money(Lang::En, None), "to be set");
        assert_eq!(money(Lang::Zh, Some(6_881_400)), "¥68,814.00");
        assert_eq!(change(-138_600), "−¥1,386.00");
    }
}
