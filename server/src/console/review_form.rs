//! The review actions as forms. Which forms a claim shows is the state machine's answer
//! (`ReviewState::review_actions`), the same function the review service obeys: an allowed
//! action is a form, an action refused by four eyes says why, the others are not offered. A
//! submitted form becomes the API's [`ReviewRequest`] and goes to the review service.

use super::claim::{ClaimPage, render_claim};
use super::i18n::{self, Lang};
use super::layout::money;
use super::{Fields, Session, see_other};
use crate::AppState;
use crate::auth::Role;
use crate::domain::{Named, ReasonCode, Refusal, ReviewAction};
use crate::error::{Code, Error, FieldProblem};
use crate::notice::code;
use crate::review::{LineChange, ReviewRequest};
use crate::validate::DocumentCode;
use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use oip_engine::types::{BenefitItem, Document};

fn reason_select(l: Lang, name: &str, blank: &str) -> Markup {
    html! {
        select name=(name) {
            option value="" { (blank) }
            @for c in ReasonCode::ALL { option value=(c.as_str()) { (i18n::reason(l, c.as_str())) } }
        }
    }
}

/// The review forms the state machine allows for this adjuster, and the ones four eyes refuse.
pub(crate) fn actions(l: Lang, s: &Session, v: &ClaimPage) -> Markup {
    let id = &v.view.id;
    let notice = html! {
        p.noprint { a #notice-link href={ "/console/claims/" (id) "/notice" } target="_blank" { (l.t(i18n::NOTICE)) } }
    };
    if s.who.role != Role::Adjuster {
        return html! { section #actions { h2 { (l.t(i18n::ACTIONS)) } p.muted { (l.t(i18n::ACTIONS_ADJUSTERS_ONLY)) } (notice) } };
    }
    let answers = v
        .workflow()
        .state(v.view.status)
        .review_actions(s.who.actor());
    let allowed = |a: ReviewAction| answers.iter().any(|(x, r)| *x == a && r.is_ok());
    let four_eyes: Vec<ReviewAction> = answers
        .iter()
        .filter(|(_, r)| *r == Err(Refusal::SameAdjuster))
        .map(|(a, _)| *a)
        .collect();
    let action_url = format!("/console/claims/{id}/review");
    let mut lines: Vec<(BenefitItem, Option<u64>)> = Vec::new();
    for b in v.decision.iter().flat_map(|d| &d.benefits) {
        if !lines.iter().any(|(i, _)| *i == b.item) {
            lines.push((b.item, b.amount_fen));
        }
    }
    let addable: Vec<BenefitItem> = BenefitItem::ALL
        .iter()
        .copied()
        .filter(|c| !lines.iter().any(|(i, _)| i == c))
        .collect();
    let any = answers.iter().any(|(_, r)| r.is_ok());
    let refused_box = |a: ReviewAction| {
        let e = Error::new(Code::DifferentAdjusterRequired);
        let (zh, en) = e.text();
        html! {
            div.refused id={ (a.as_str()) "-refused" } {
                h3 { (i18n::action(l, a.as_str())) } " " span.badge.prov { (l.t(i18n::REFUSED_HERE)) }
                p { code.code { (e.code.name()) } ": " (l.pick(zh, en)) }
            }
        }
    };
    html! {
        section #actions {
            h2 { (l.t(i18n::ACTIONS)) }
            (notice)
            @if !any && four_eyes.is_empty() { p.muted { (l.t(i18n::ACTIONS_NONE)) } }
            @for a in &four_eyes { (refused_box(*a)) }
            @if allowed(ReviewAction::Approve) {
                form.action #approve method="post" action=(action_url) {
                    h3 { (l.t(i18n::APPROVE)) }
                    p.muted { (l.t(i18n::APPROVE_HELP)) " " (l.t(i18n::FOUR_EYES_HINT)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="approve";
                    button #approve-submit type="submit" { (l.t(i18n::APPROVE)) }
                }
            }
            @if allowed(ReviewAction::Override) {
                form.action #override method="post" action=(action_url) {
                    h3 { (l.t(i18n::OVERRIDE)) }
                    p.muted { (l.t(i18n::OVERRIDE_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="override";
                    table {
                        thead { tr { th { (l.t(i18n::COL_ITEM)) } th.num { (l.t(i18n::COL_RECOMMENDED)) } th { (l.t(i18n::NEW_AMOUNT)) }
                            th { (l.t(i18n::REMOVE_LINE)) } th { (l.t(i18n::LINE_REASON)) } th { (l.t(i18n::LINE_NOTE)) } } }
                        tbody {
                            @for (item, amount) in &lines {
                                @let item = code(item);
                                tr {
                                    td { (i18n::item(l, &item)) }
                                    td.num { (money(l, *amount)) }
                                    td { input type="text" inputmode="decimal" size="12" name={ "amount." (item) } placeholder="0.00"; }
                                    td { input type="checkbox" name={ "remove." (item) } value="1"; }
                                    td { (reason_select(l, &format!("reason.{item}"), l.t(i18n::SAME_AS_BELOW))) }
                                    td { input type="text" name={ "note." (item) }; }
                                }
                            }
                            @if !addable.is_empty() {
                                tr {
                                    td { (l.t(i18n::ADD_LINE)) ": " select name="add.item" { option value="" { "—" }
                                        @for c in &addable { @let c = code(c); option value=(c) { (i18n::item(l, &c)) } } } }
                                    td {}
                                    td { input type="text" inputmode="decimal" size="12" name="add.amount" placeholder="0.00"; }
                                    td {}
                                    td { (reason_select(l, "add.reason", l.t(i18n::SAME_AS_BELOW))) }
                                    td { input type="text" name="add.note"; }
                                }
                            }
                        }
                    }
                    p { label { (l.t(i18n::REASON)) " " (reason_select(l, "reason_code", l.t(i18n::CHOOSE))) } }
                    p { label for="override-note" { (l.t(i18n::NOTE)) } textarea #override-note name="note" {} }
                    button #override-submit type="submit" { (l.t(i18n::OVERRIDE)) }
                }
            }
            @if allowed(ReviewAction::Deny) {
                form.action #deny method="post" action=(action_url) {
                    h3 { (l.t(i18n::DENY)) }
                    p.muted { (l.t(i18n::DENY_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="deny";
                    p { label { (l.t(i18n::REASON)) " " (reason_select(l, "reason_code", l.t(i18n::CHOOSE))) } }
                    p { label for="deny-note" { (l.t(i18n::NOTE)) } textarea #deny-note name="note" {} }
                    button.danger #deny-submit type="submit" { (l.t(i18n::DENY)) }
                }
            }
            @if allowed(ReviewAction::RequestInformation) {
                form.action #request-information method="post" action=(action_url) {
                    h3 { (l.t(i18n::REQUEST_INFO)) }
                    p.muted { (l.t(i18n::REQUEST_INFO_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="request_information";
                    p { (l.t(i18n::DOCUMENTS)) ": " br;
                        @for d in Document::ALL {
                            @let c = code(d);
                            label { input type="checkbox" name="documents" value=(c); " " (i18n::document(l, &c)) }
                        }
                    }
                    p { label for="request-note" { (l.t(i18n::NOTE)) } textarea #request-note name="note" {} }
                    button #request-submit type="submit" { (l.t(i18n::REQUEST_INFO)) }
                }
            }
            @if allowed(ReviewAction::Close) {
                form.action #close method="post" action=(action_url) {
                    h3 { (l.t(i18n::CLOSE)) }
                    p.muted { (l.t(i18n::CLOSE_HELP)) }
                    input type="hidden" name="csrf" value=(s.csrf);
                    input type="hidden" name="action" value="close";
                    button #close-submit type="submit" { (l.t(i18n::CLOSE)) }
                }
            }
        }
    }
}

/// An amount typed in yuan (`270`, `270.5`, `1,270.50`, `¥270`) in fen; no floats.
pub(crate) fn parse_yuan(s: &str) -> Option<u64> {
    let t: String = s
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t.as_str(), ""),
    };
    if whole.is_empty() || whole.len() > 12 || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let w: u64 = whole.parse().ok()?;
    let f: u64 = format!("{frac:0<2}").parse().ok()?;
    w.checked_mul(100)?.checked_add(f)
}

/// A contract enum from its stable code (`hospital_meal_subsidy`, `id_card`).
fn code_of<T: serde::de::DeserializeOwned>(code: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(code)).ok()
}

fn named<T: Named>(v: Option<&str>) -> Option<T> {
    v.and_then(T::parse)
}

/// The review service's request from a review form; every field it cannot read is named.
pub(crate) fn review_request(f: &Fields) -> Result<ReviewRequest, Error> {
    let mut problems = Vec::new();
    let action = f.text("action").unwrap_or_default();
    let Some(action) = ReviewAction::parse(&action) else {
        return Err(Error::field(
            Code::InvalidRequest,
            "action",
            "an action of the review",
        ));
    };
    let reason = f.text("reason_code");
    let note = f.text("note");
    let mut req = ReviewRequest {
        action,
        reason_code: named(reason.as_deref()),
        note: note.clone(),
        benefits: None,
        documents: None,
    };
    match action {
        ReviewAction::Override => {
            let mut items: Vec<String> = Vec::new();
            for (k, v) in f.iter() {
                let item = k
                    .strip_prefix("amount.")
                    .filter(|_| !v.trim().is_empty())
                    .or_else(|| k.strip_prefix("remove."));
                if let Some(i) = item
                    && !items.iter().any(|x| x == i)
                {
                    items.push(i.to_string());
                }
            }
            // A changed line: its amount, and its own reason and note or else the override's.
            let mut line =
                |item: &str, amount: Option<String>, removed: bool, [a, r, n]: [String; 3]| {
                    let amount_fen = match (removed, amount.as_deref().map(parse_yuan)) {
                        (true, _) => None,
                        (false, Some(Some(fen))) => Some(fen),
                        (false, _) => {
                            problems.push(FieldProblem::new(
                                a,
                                "an amount in yuan, e.g. 270 or 270.50",
                            ));
                            None
                        }
                    };
                    let Some(item) = code_of::<BenefitItem>(item) else {
                        problems.push(FieldProblem::new(
                            format!("amount.{item}"),
                            "unknown benefit item",
                        ));
                        return None;
                    };
                    let reason_code = named::<ReasonCode>(f.text(&r).or(reason.clone()).as_deref());
                    let Some(reason_code) = reason_code else {
                        // The line's own reason, or else the override's: name the one to give.
                        let field = if reason.is_none() {
                            "reason_code".to_string()
                        } else {
                            r
                        };
                        if !problems.iter().any(|p| p.path == field) {
                            problems.push(FieldProblem::new(field, "required"));
                        }
                        return None;
                    };
                    Some(LineChange {
                        item,
                        amount_fen,
                        payer: None,
                        period: None,
                        reason_code,
                        note: f.text(&n).or(note.clone()).unwrap_or_default(),
                    })
                };
            let mut changes: Vec<LineChange> = Vec::new();
            for item in &items {
                let removed = f.get(&format!("remove.{item}")).is_some();
                let names = [
                    format!("amount.{item}"),
                    format!("reason.{item}"),
                    format!("note.{item}"),
                ];
                changes.extend(line(
                    item,
                    f.text(&format!("amount.{item}")),
                    removed,
                    names,
                ));
            }
            if let Some(item) = f.text("add.item") {
                let names = ["add.amount".into(), "add.reason".into(), "add.note".into()];
                changes.extend(line(&item, f.text("add.amount"), false, names));
            }
            req.benefits = Some(changes);
        }
        ReviewAction::RequestInformation => {
            let mut docs = Vec::new();
            for (i, d) in f.all("documents").iter().enumerate() {
                match code_of::<Document>(d).ok_or(()) {
                    Ok(doc) => docs.push(DocumentCode(doc)),
                    Err(_) => problems.push(FieldProblem::new(
                        format!("documents[{i}]"),
                        "unknown document code",
                    )),
                }
            }
            req.documents = Some(docs);
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(req)
    } else {
        Err(Error::invalid_request(problems))
    }
}

/// `POST /console/claims/{id}/review`: the form as the review service's request.
pub(crate) async fn review(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    f: Fields,
) -> Response {
    if let Err(r) = s.check(f.get("csrf")) {
        return r;
    }
    let result = match review_request(&f) {
        Ok(req) => match s.who.require(&[Role::Adjuster]) {
            Ok(()) => crate::review::review(&state, &s.who, &id, &req)
                .await
                .map(|r| r.review_id),
            Err(e) => Err(e),
        }
        .map(|_| req.action),
        Err(e) => Err(e),
    };
    match result {
        Ok(action) => see_other(&format!("/console/claims/{id}?done={}", action.as_str())),
        Err(e) => render_claim(&state, &s, &id, None, Some(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts_parse_exactly() {
        assert_eq!(parse_yuan("270"), Some(27_000));
        assert_eq!(parse_yuan("270.5"), Some(27_050));
        assert_eq!(parse_yuan("¥1,270.05"), Some(127_005));
        assert_eq!(parse_yuan(" 0.01 "), Some(1));
        for bad in ["", "-1", "1.234", "abc", "1e3", ".5", "12345678901234"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }

    fn fields(v: &[(&str, &str)]) -> Fields {
        Fields(
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn an_override_form_becomes_the_review_request() {
        let f = fields(&[
            ("action", "override"),
            ("amount.medical", ""),
            ("amount.hospital_meal_subsidy", "270"),
            ("reason.hospital_meal_subsidy", ""),
            ("remove.living_care", "1"),
            ("reason.living_care", "excluded"),
            ("note.living_care", "not assessed"),
            ("reason_code", "document_evidence"),
            ("note", "hospital rate on the receipts"),
            ("add.item", ""),
        ]);
        let r = review_request(&f).expect("reads");
        assert_eq!(r.action, ReviewAction::Override);
        assert_eq!(r.reason_code, Some(ReasonCode::DocumentEvidence));
        let lines = r.benefits.expect("lines");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].item, BenefitItem::HospitalMealSubsidy);
        assert_eq!(lines[0].amount_fen, Some(27_000));
        assert_eq!(lines[0].reason_code, ReasonCode::DocumentEvidence);
        assert_eq!(lines[0].note, "hospital rate on the receipts");
        assert_eq!(lines[1].item, BenefitItem::LivingCare);
        assert_eq!(lines[1].amount_fen, None);
        assert_eq!(lines[1].reason_code, ReasonCode::Excluded);
        let r = review_request(&fields(&[
            ("action", "override"),
            ("add.item", "living_care"),
            ("add.amount", "1,000"),
            ("add.reason", "medical_evidence"),
            ("note", "care assessed"),
        ]))
        .expect("reads");
        assert_eq!(
            r.benefits.as_deref().map(|b| b[0].amount_fen),
            Some(Some(100_000))
        );
        // Reasons stay required: the service refuses what the form leaves out.
        let r = review_request(&fields(&[("action", "deny")])).expect("reads");
        assert_eq!((r.reason_code, r.note), (None, None));
        let e = review_request(&fields(&[
            ("action", "override"),
            ("amount.medical", "lots"),
        ]))
        .unwrap_err();
        assert_eq!(e.fields[0].path, "amount.medical");
    }
}
