//! The decision notice: a printable HTML page in Chinese (English with `?lang=en`), the
//! document a worker would receive — 职业伤害确认结论书 or 不予确认结论书 in spirit.

use crate::db::store::{ClaimRow, DecisionRow};
use crate::workflow::Workflow;
use oip_sdk::money::yuan;
use serde_json::Value;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

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

/// Renders the notice of a claim's current decision (and its review state).
pub fn render(claim: &ClaimRow, decision: Option<&DecisionRow>, en: bool) -> String {
    let body: Value = decision
        .and_then(|d| serde_json::from_str(&d.body).ok())
        .unwrap_or(Value::Null);
    let prov: Value = decision
        .and_then(|d| serde_json::from_str(&d.provenance).ok())
        .unwrap_or(Value::Null);
    let w = Workflow::of(claim);
    let t = |zh: &str, en_s: &str| if en { en_s.to_string() } else { zh.to_string() };
    let outcome = body["outcome"].as_str().unwrap_or("");
    let refused = claim.status == crate::workflow::DENIED
        || (outcome == "not_covered" && claim.status != crate::workflow::APPROVED);
    let title = if outcome == "needs_information" || claim.status == "needs_information" {
        t("职业伤害保障补正材料告知书", "Notice to supply documents")
    } else if refused {
        t(
            "职业伤害不予确认结论书",
            "Decision: occupational injury not recognised",
        )
    } else {
        t(
            "职业伤害确认结论书",
            "Decision: occupational injury recognised",
        )
    };
    let lang = if en { "en" } else { "zh-CN" };
    let mut h = String::new();
    h.push_str(&format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:serif;max-width:52em;margin:2em auto;line-height:1.5}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border:1px solid #999;padding:.3em;vertical-align:top}}.prov{{background:#fff3cd}}small{{color:#555}}\
         @media print{{a{{display:none}}}}</style></head><body>",
        esc(&title)
    ));
    h.push_str(&format!("<h1>{}</h1>", esc(&title)));
    h.push_str(&format!(
        "<p>{} {}<br>{} {}<br>{} {}<br>{} {}</p>",
        t("案件编号：", "Claim:"),
        esc(&claim.id),
        t("平台案件号：", "Platform reference:"),
        esc(&claim.platform_claim_ref),
        t("受伤人员身份证号：", "Worker's identity number:"),
        esc(&claim.worker_masked),
        t("地区：", "Region:"),
        esc(&claim.region)
    ));
    h.push_str(&format!("<h2>{}</h2><ul>", t("认定理由", "Grounds")));
    for r in body["reasons"].as_array().into_iter().flatten() {
        let text = if en {
            r["en"].as_str()
        } else {
            r["zh"].as_str()
        }
        .unwrap_or_default();
        h.push_str(&format!(
            "<li>{} <small>({}; {})</small></li>",
            esc(text),
            esc(r["code"].as_str().unwrap_or_default()),
            esc(r["citation"]["title"].as_str().unwrap_or_default())
        ));
    }
    h.push_str("</ul>");
    if claim.status == crate::workflow::DENIED {
        h.push_str(&format!(
            "<p>{}</p>",
            t(
                "经办机构经复核，决定不予支付待遇。",
                "After review, the handling office decided to pay no benefits."
            )
        ));
    }
    let lines = w
        .approved_benefits
        .clone()
        .unwrap_or_else(|| body["benefits"].clone());
    if !refused && lines.as_array().is_some_and(|a| !a.is_empty()) {
        h.push_str(&format!(
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("待遇项目", "Benefits"),
            t("项目", "Item"),
            t("金额（元）", "Amount (yuan)"),
            t("支付方", "Payer"),
            t("计算方法", "Formula"),
            t("依据与数据来源", "Rule and figures")
        ));
        for l in lines.as_array().into_iter().flatten() {
            if l.get("removed").is_some() {
                continue;
            }
            let provisional = l["provisional"].as_bool().unwrap_or(false);
            let amount = l["amount_fen"]
                .as_u64()
                .map(yuan)
                .unwrap_or_else(|| t("待核定", "to be set"));
            let period = if l["period"] == "monthly" {
                t("（每月）", " (monthly)")
            } else {
                String::new()
            };
            let payer = if l["payer"] == "platform" {
                t("平台企业", "Platform")
            } else {
                t("职业伤害保障基金", "Fund")
            };
            let formula = if en {
                l["formula"]["en"].as_str()
            } else {
                l["formula"]["zh"].as_str()
            }
            .unwrap_or_default();
            let mut basis = esc(l["citation"]["title"].as_str().unwrap_or_default());
            for p in l["parameters"].as_array().into_iter().flatten() {
                basis.push_str(&format!(
                    "<br><small>{}: {} {} — {} [{}]</small>",
                    esc(p["name"].as_str().unwrap_or_default()),
                    p["value"]
                        .as_i64()
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "—".into()),
                    esc(p["unit"].as_str().unwrap_or_default()),
                    esc(p["source"].as_str().unwrap_or_default()),
                    esc(p["confidence"].as_str().unwrap_or_default())
                ));
            }
            if let Some(ch) = l.get("change") {
                basis.push_str(&format!(
                    "<br><small>{} {} ({})</small>",
                    t("经办调整：", "Adjusted by the handler:"),
                    esc(ch["note"].as_str().unwrap_or_default()),
                    esc(ch["reason_code"].as_str().unwrap_or_default())
                ));
            }
            let note = if en {
                l["note"]["en"].as_str()
            } else {
                l["note"]["zh"].as_str()
            };
            let class = if provisional { " class=\"prov\"" } else { "" };
            h.push_str(&format!(
                "<tr{class}><td>{}{}</td><td>{}{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                esc(item_name(l["item"].as_str().unwrap_or_default(), en)),
                if provisional {
                    t("（预发）", " (provisional)")
                } else {
                    String::new()
                },
                esc(&amount),
                esc(&period),
                esc(&payer),
                esc(formula),
                note.map(|n| format!("<br><small>{}</small>", esc(n)))
                    .unwrap_or_default(),
                basis
            ));
        }
        h.push_str("</table>");
        if lines
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l["provisional"] == true)
        {
            h.push_str(&format!(
                "<p class=\"prov\">{}</p>",
                t(
                    "标注“预发”的项目所依据的数据尚未正式公布或来源未经确认；数据公布后将按新标准补差。",
                    "Items marked provisional rest on figures not yet published or not yet confirmed; they will be trued up when the figures are published."
                )
            ));
        }
    }
    let missing = body["missing_documents"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !missing.is_empty() {
        h.push_str(&format!(
            "<h2>{}</h2><ul>",
            t("需一次性补正的材料", "Documents to supply, all at once")
        ));
        for m in missing {
            h.push_str(&format!("<li>{}</li>", esc(m.as_str().unwrap_or_default())));
        }
        h.push_str("</ul>");
    }
    if let Some(d) = body["due"]["determination"].as_str() {
        h.push_str(&format!(
            "<p>{} {}</p>",
            t("作出结论期限：", "Determination due by:"),
            esc(d)
        ));
    }
    if let Some(d) = body["due"]["payment"].as_str() {
        h.push_str(&format!(
            "<p>{} {}</p>",
            t("待遇支付期限：", "Payment due by:"),
            esc(d)
        ));
    }
    h.push_str(&format!(
        "<h2>{}</h2><p>{}</p>",
        t("救济途径", "How to appeal"),
        t(
            "对本结论不服的，可通过平台企业提出复核申请，说明理由；复核由未参与原结论的经办人员办理。",
            "If you disagree, you may ask for a review through the platform, giving your grounds; a handler who took no part in this decision reviews it."
        )
    ));
    h.push_str(&format!(
        "<p><small>{} {} {} · sha256 {} · {}</small></p></body></html>",
        t("政策模块：", "Policy module:"),
        esc(prov["policy_id"].as_str().unwrap_or_default()),
        esc(prov["version"].as_str().unwrap_or_default()),
        esc(prov["sha256"].as_str().unwrap_or_default()),
        esc(decision.map(|d| d.id.as_str()).unwrap_or_default())
    ));
    h
}
