//! The decision notice: a printable HTML page in Chinese (English with `?lang=en`), the
//! document a worker would receive — 职业伤害确认结论书 or 不予确认结论书 in spirit.

use crate::claims::StoredClaim;
use crate::domain::{ClaimStatus, ReviewedLine};
use maud::{DOCTYPE, Markup, html};
use oip_engine::types::money::yuan;
use oip_engine::types::{Decision, Outcome, Payer, Period, Text};

/// The name of a benefit item (also the console's).
pub(crate) fn item_name(item: &str, en: bool) -> &'static str {
    match (item, en) {
        ("medical", false) => "医疗费",
        ("medical", true) => "Medical costs",
        ("hospital_meal_subsidy", false) => "住院伙食补助费",
        ("hospital_meal_subsidy", true) => "Hospital meal subsidy",
        ("one_off_disability_subsidy", false) => "一次性伤残补助金",
        ("one_off_disability_subsidy", true) => "One-off disability subsidy",
        ("disability_allowance", false) => "伤残津贴",
        ("disability_allowance", true) => "Disability allowance",
        ("living_care", false) => "生活护理费",
        ("living_care", true) => "Living care",
        ("one_off_death_subsidy", false) => "一次性工亡补助金",
        ("one_off_death_subsidy", true) => "One-off death subsidy",
        ("funeral_subsidy", false) => "丧葬补助金",
        ("funeral_subsidy", true) => "Funeral subsidy",
        ("dependant_pension", false) => "供养亲属抚恤金",
        ("dependant_pension", true) => "Dependants' pension",
        (_, false) => "其他",
        (_, true) => "Other",
    }
}

pub(crate) use crate::domain::serde_name as code;

const STYLE: &str = "body{font-family:serif;max-width:52em;margin:2em auto;line-height:1.5}\
    table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em;vertical-align:top}\
    .prov{background:#fff3cd}small{color:#555}@media print{a{display:none}}";

/// The notice as a page: the console's headers (a CSP with no script and nothing from
/// elsewhere, no framing, `no-store`: it names the worker and the amounts).
pub fn page(c: &StoredClaim, en: bool) -> axum::response::Response {
    crate::console::page(axum::http::StatusCode::OK, maud::PreEscaped(render(c, en)))
}

/// Renders the notice of a claim's current decision (and its review state).
pub fn render(c: &StoredClaim, en: bool) -> String {
    let claim = &c.claim;
    let decision: Option<Decision> = c
        .decision
        .as_ref()
        .and_then(|d| serde_json::from_str(&d.body).ok());
    let t = |zh: &'static str, en_s: &'static str| if en { en_s } else { zh };
    let pick = |x: &Text| if en { x.en.clone() } else { x.zh.clone() };
    let outcome = decision.as_ref().map(|d| d.outcome);
    let refused = claim.status == ClaimStatus::Denied
        || (outcome == Some(Outcome::NotCovered) && claim.status != ClaimStatus::Approved);
    let title = if outcome == Some(Outcome::NeedsInformation)
        || claim.status == ClaimStatus::NeedsInformation
    {
        t("职业伤害保障补正材料告知书", "Notice to supply documents")
    } else if refused {
        t(
            "职业伤害不予确认结论书",
            "Decision: occupational injury not recognised",
        )
    } else {
        // Each stage's decision has its notice: the determination, the benefits determined on
        // an appraisal, the medical costs determined on a bill.
        match c.decision.as_ref().map(|d| d.kind.as_str()) {
            Some("appraisal") => t(
                "劳动能力鉴定后职业伤害保障待遇核定通知书",
                "Notice of the benefits determined on the labour-ability appraisal",
            ),
            Some("bill") => t(
                "职业伤害保障医疗费用核定通知书",
                "Notice of the medical costs determined on a bill",
            ),
            _ => t(
                "职业伤害确认结论书",
                "Decision: occupational injury recognised",
            ),
        }
    };
    let lines: Vec<ReviewedLine> = claim.workflow.approved_benefits.clone().unwrap_or_else(|| {
        decision
            .as_ref()
            .map(|d| d.benefits.iter().map(Into::into).collect())
            .unwrap_or_default()
    });
    let lines: Vec<&ReviewedLine> = lines.iter().filter(|l| !l.removed).collect();
    let provisional = lines.iter().any(|l| l.provisional);
    let prov = c.decision.as_ref().map(|d| &d.provenance);
    let page: Markup = html! {
        (DOCTYPE)
        html lang=(if en { "en" } else { "zh-CN" }) {
            head { meta charset="utf-8"; title { (title) } style { (maud::PreEscaped(STYLE)) } }
            body {
                h1 { (title) }
                p {
                    (t("案件编号：", "Claim:")) " " (claim.id) br;
                    (t("平台案件号：", "Platform reference:")) " " (claim.platform_claim_ref) br;
                    (t("受伤人员身份证号：", "Worker's identity number:")) " " (claim.worker_masked) br;
                    (t("地区：", "Region:")) " " (claim.region)
                }
                h2 { (t("认定理由", "Grounds")) }
                ul {
                    @for r in decision.iter().flat_map(|d| &d.reasons) {
                        li { (pick(&r.text)) " " small { "(" (r.code) "; " (r.citation.title) ")" } }
                    }
                }
                @if claim.status == ClaimStatus::Denied {
                    p { (t("经办机构经复核，决定不予支付待遇。", "After review, the handling office decided to pay no benefits.")) }
                }
                @if !refused && !lines.is_empty() {
                    h2 { (t("待遇项目", "Benefits")) }
                    table {
                        tr { th { (t("项目", "Item")) } th { (t("金额（元）", "Amount (yuan)")) } th { (t("支付方", "Payer")) }
                            th { (t("计算方法", "Formula")) } th { (t("依据与数据来源", "Rule and figures")) } }
                        @for l in &lines {
                            tr class=[l.provisional.then_some("prov")] {
                                td { (item_name(&code(&l.item), en)) @if l.provisional { (t("（预发）", " (provisional)")) } }
                                td { (l.amount_fen.map(yuan).unwrap_or_else(|| t("待核定", "to be set").into()))
                                    @if l.period == Period::Monthly { (t("（每月）", " (monthly)")) } }
                                td { (if l.payer == Payer::Platform { t("平台企业", "Platform") } else { t("职业伤害保障基金", "Fund") }) }
                                td { @if let Some(f) = &l.formula { (pick(f)) }
                                    @if let Some(n) = &l.note { br; small { (pick(n)) } } }
                                td {
                                    @if let Some(c) = &l.citation { (c.title) }
                                    @for p in &l.parameters {
                                        br; small { (p.name) ": " (p.value.map(|v| v.to_string()).unwrap_or_else(|| "—".into()))
                                            " " (p.unit) " — " (p.source) " [" (code(&p.confidence)) "]" }
                                    }
                                    @if let Some(ch) = &l.change {
                                        br; small { (t("经办调整：", "Adjusted by the handler:")) " " (ch.note) " (" (ch.reason_code) ")" }
                                    }
                                }
                            }
                        }
                    }
                    @if provisional {
                        p.prov { (t("标注“预发”的项目所依据的数据尚未正式公布或来源未经确认；数据公布后将按新标准补差。",
                            "Items marked provisional rest on figures not yet published or not yet confirmed; they will be trued up when the figures are published.")) }
                    }
                }
                @if let Some(d) = decision.as_ref().filter(|d| !d.missing_documents.is_empty()) {
                    h2 { (t("需一次性补正的材料", "Documents to supply, all at once")) }
                    ul { @for m in &d.missing_documents { li { (code(m)) } } }
                }
                @if let Some(d) = decision.as_ref().and_then(|d| d.due.determination) {
                    p { (t("作出结论期限：", "Determination due by:")) " " (d) }
                }
                @if let Some(d) = decision.as_ref().and_then(|d| d.due.payment) {
                    p { (t("待遇支付期限：", "Payment due by:")) " " (d) }
                }
                h2 { (t("救济途径", "How to appeal")) }
                p { (t("对本结论不服的，可通过平台企业提出复核申请，说明理由；复核由未参与原结论的经办人员办理。",
                    "If you disagree, you may ask for a review through the platform, giving your grounds; a handler who took no part in this decision reviews it.")) }
                p { small {
                    (t("政策模块：", "Policy module:")) " "
                    @if let Some(p) = prov { (p.policy_id) " " (p.version) " · sha256 " (p.sha256) }
                    " · " (c.decision.as_ref().map(|d| d.id.as_str()).unwrap_or_default())
                } }
            }
        }
    };
    page.into_string()
}
