//! The names of the stable codes (statuses, outcomes, reasons, documents, roles, actions), in
//! both languages, falling back to the code itself.

use super::{Lang, T};

fn or_code(l: Lang, code: &str, t: Option<T>) -> &str {
    t.map(|t| l.t(t)).unwrap_or(code)
}

/// A claim status (or the queue name `quality_review`).
pub(crate) fn status(l: Lang, code: &str) -> &str {
    let t = match code {
        "pending_review" => Some(T("待审核", "Pending review")),
        "needs_information" => Some(T("待补正材料", "Needs information")),
        "no_policy_in_force" => Some(T("无生效政策", "No policy in force")),
        "engine_error" => Some(T("引擎错误（自动重试）", "Engine error (retrying)")),
        "cannot_decide" => Some(T(
            "政策无法决定，须人工处理",
            "Policy cannot decide: a person decides",
        )),
        "awaiting_second_approval" => Some(T("待第二人审批", "Awaiting second approval")),
        "approved" => Some(T("已批准", "Approved")),
        "denied" => Some(T("已拒绝", "Denied")),
        "appealed" => Some(T("复核中", "Appealed")),
        "closed" => Some(T("已结案", "Closed")),
        "quality_review" => Some(T("质量抽检", "Quality review")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A decision outcome (`none`: no decision before, in a shadow report).
pub(crate) fn outcome(l: Lang, code: &str) -> &str {
    let t = match code {
        "covered" => Some(T("予以保障", "Covered")),
        "not_covered" => Some(T("不予保障", "Not covered")),
        "needs_information" => Some(T("需补正材料", "Needs information")),
        "none" => Some(T("（无决定）", "(no decision)")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A review reason code (`workflow::REASON_CODES`).
pub(crate) fn reason(l: Lang, code: &str) -> &str {
    let t = match code {
        "figure_published" => Some(T("数据已正式公布", "Figure published")),
        "calculation_error" => Some(T("计算错误", "Calculation error")),
        "medical_evidence" => Some(T("医疗证据", "Medical evidence")),
        "document_evidence" => Some(T("书面材料证据", "Documentary evidence")),
        "liability_evidence" => Some(T("责任认定证据", "Liability evidence")),
        "policy_interpretation" => Some(T("政策解释", "Policy interpretation")),
        "not_occupational" => Some(T("不属于职业伤害", "Not occupational")),
        "excluded" => Some(T("属于除外情形", "Excluded")),
        "fraud_suspected" => Some(T("涉嫌欺诈", "Fraud suspected")),
        "other" => Some(T("其他", "Other")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A document code.
pub(crate) fn document(l: Lang, code: &str) -> &str {
    let t = match code {
        "benefit_application_form" => Some(T("待遇申请表", "Benefit application form")),
        "consent_form" => Some(T("知情同意确认书", "Consent form")),
        "id_card" => Some(T("身份证明", "Identity document")),
        "order_record" => Some(T("订单记录", "Order record")),
        "incident_statement" => Some(T("事故经过说明", "Incident statement")),
        "diagnosis" => Some(T("诊断证明", "Diagnosis")),
        "medical_receipts" => Some(T("医疗费收费票据", "Medical receipts")),
        "liability_finding" => Some(T("事故责任认定书", "Liability finding")),
        "disability_assessment" => Some(T("劳动能力鉴定结论书", "Disability assessment")),
        "death_certificate" => Some(T("死亡证明", "Death certificate")),
        "kinship_proof" => Some(T("亲属关系证明", "Proof of kinship")),
        "late_application_statement" => Some(T("超期申请说明", "Late-application statement")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A policy version's state.
pub(crate) fn policy_status(l: Lang, code: &str) -> &str {
    let t = match code {
        "uploaded" => Some(T("已上传，待审批", "Uploaded, awaiting approval")),
        "approved" => Some(T("已审批", "Approved")),
        "scheduled" => Some(T("已排期", "Scheduled")),
        "active" => Some(T("已启用", "Active")),
        "rolled_back" => Some(T("已回退", "Rolled back")),
        _ => None,
    };
    or_code(l, code, t)
}

/// Where a version came from.
pub(crate) fn source(l: Lang, code: &str) -> &str {
    let t = match code {
        "builtin" => Some(T("内置", "Built in")),
        "config" => Some(T("配置文件", "Configuration")),
        "upload" => Some(T("上传", "Upload")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A job's state.
pub(crate) fn job_status(l: Lang, code: &str) -> &str {
    let t = match code {
        "running" => Some(T("运行中", "Running")),
        "done" => Some(T("已完成", "Done")),
        "failed" => Some(T("失败", "Failed")),
        "interrupted" => Some(T("已中断", "Interrupted")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A role.
pub(crate) fn role(l: Lang, code: &str) -> &str {
    let t = match code {
        "platform" => Some(T("平台企业", "Platform")),
        "adjuster" => Some(T("经办人员", "Adjuster")),
        "policy_admin" => Some(T("省级政策管理员", "Policy admin")),
        "auditor" => Some(T("审计人员", "Auditor")),
        "admin" => Some(T("系统管理员", "Administrator")),
        "payments_officer" => Some(T("支付经办人员", "Payments officer")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A review action, an appeal, or what a console action did (the `done` banner).
pub(crate) fn action(l: Lang, code: &str) -> &str {
    let t = match code {
        "approve" => Some(T("批准", "Approve")),
        "override" => Some(T("调整后批准", "Override")),
        "deny" => Some(T("拒绝", "Deny")),
        "request_information" => Some(T("要求补正材料", "Request information")),
        "close" => Some(T("结案", "Close")),
        "appeal" => Some(T("复核申请", "Appeal")),
        "uploaded" => Some(T("已上传并通过校验", "Uploaded and checked")),
        "shadow" => Some(T("影子运行已开始", "Shadow run started")),
        "approved" => Some(T("已审批", "Approved")),
        "activated" => Some(T("已启用或已排期", "Activated or scheduled")),
        "redecide" => Some(T("重新决定已开始", "Re-decision started")),
        "rolled_back" => Some(T("已回退", "Rolled back")),
        _ => None,
    };
    or_code(l, code, t)
}

/// Why a decision was made.
pub(crate) fn decision_kind(l: Lang, code: &str) -> &str {
    let t = match code {
        "automatic" => Some(T("自动决定", "Automatic")),
        "supplement" => Some(T("补正后重新决定", "After a supplement")),
        "retry" => Some(T("重试后决定", "After a retry")),
        "redecide" => Some(T("新版本重新决定", "Re-decided by a new version")),
        "replay" => Some(T("重放", "Replay")),
        _ => None,
    };
    or_code(l, code, t)
}

/// An audit action (`review.override`, `claim.created`, ...).
pub(crate) fn audit_action(l: Lang, code: &str) -> String {
    if let Some(a) = code.strip_prefix("review.") {
        return action(l, a).to_string();
    }
    if let Some(k) = code.strip_prefix("claim.decided.") {
        return decision_kind(l, k).to_string();
    }
    let t = match code {
        "claim.created" => Some(T("案件提交", "Claim submitted")),
        "claim.personal_data_read" => Some(T("查阅个人信息", "Personal data read")),
        _ => None,
    };
    or_code(l, code, t).to_string()
}

/// A figure's confidence.
pub(crate) fn confidence(l: Lang, code: &str) -> &str {
    let t = match code {
        "confirmed" => Some(T("官方确认", "Confirmed")),
        "derived" => Some(T("据公布数据推算", "Derived")),
        "secondary" => Some(T("二手来源", "Secondary source")),
        "provisional" => Some(T("暂定", "Provisional")),
        "missing" => Some(T("缺失", "Missing")),
        _ => None,
    };
    or_code(l, code, t)
}

/// Who pays a line.
pub(crate) fn payer(l: Lang, code: &str) -> &str {
    let t = match code {
        "fund" => Some(T("职业伤害保障基金", "Fund")),
        "platform" => Some(T("平台企业", "Platform")),
        _ => None,
    };
    or_code(l, code, t)
}

/// Once or monthly.
pub(crate) fn period(l: Lang, code: &str) -> &str {
    let t = match code {
        "lump_sum" => Some(T("一次性", "Lump sum")),
        "monthly" => Some(T("按月", "Monthly")),
        _ => None,
    };
    or_code(l, code, t)
}

/// A benefit item (the notice's names).
pub(crate) fn item(l: Lang, code: &str) -> &'static str {
    crate::notice::item_name(code, l.en())
}

/// Working days until a due date, or past it.
pub(crate) fn working_days(l: Lang, n: i64) -> String {
    match (l, n) {
        (Lang::Zh, n) if n >= 0 => format!("剩余 {n} 个工作日"),
        (Lang::Zh, n) => format!("逾期 {} 个工作日", -n),
        (Lang::En, 1) => "1 working day left".into(),
        (Lang::En, -1) => "1 working day overdue".into(),
        (Lang::En, n) if n >= 0 => format!("{n} working days left"),
        (Lang::En, n) => format!("{} working days overdue", -n),
    }
}
