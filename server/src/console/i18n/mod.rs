//! Every text the console shows, in Simplified Chinese (the default) and English.
//!
//! Labels are constants `T(zh, en)`; the names of codes (claim statuses, outcomes, reason
//! codes, documents, policy and job states, roles, review actions) are functions over the
//! stable code, falling back to the code itself for one the console does not know, so a new
//! code shows up readable rather than blank. Texts the policy module writes (reasons,
//! formulas, notes) come in both languages inside the decision and are picked there.

/// The console's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Simplified Chinese, the default.
    Zh,
    /// English.
    En,
}

/// A text in both languages.
#[derive(Clone, Copy, Debug)]
pub(crate) struct T(pub(crate) &'static str, pub(crate) &'static str);

impl Lang {
    /// From a cookie or query value (`en`, `zh-CN`, `zh`).
    pub(crate) fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh" | "zh-CN" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The `lang` attribute and cookie value.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Whether this is English.
    pub(crate) fn en(self) -> bool {
        self == Lang::En
    }

    /// A label in this language.
    pub(crate) fn t(self, t: T) -> &'static str {
        match self {
            Lang::Zh => t.0,
            Lang::En => t.1,
        }
    }

    /// One of two texts given inline (e.g. a decision's `zh` and `en`).
    pub(crate) fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

macro_rules! texts {
    ($($name:ident = $zh:literal, $en:literal;)*) => {
        $(pub(crate) const $name: T = T($zh, $en);)*
        /// Every label, for the completeness test.
        #[cfg(test)]
        pub(crate) const ALL: &[(&str, T)] = &[$((stringify!($name), $name)),*];
    };
}

texts! {
    APP = "职业伤害保障 · 经办控制台", "Occupational injury protection · Console";
    SIGN_IN = "登录", "Sign in";
    SIGN_OUT = "退出登录", "Sign out";
    TOKEN = "访问令牌", "Access token";
    SIGN_IN_HELP = "请使用工号和密码登录（已绑定动态口令的，另填写验证器应用显示的六位验证码）：经办人员审核本地区的案件，省级政策管理员部署本地区的政策模块。",
        "Sign in with your employee id and password (and the six-digit code of your authenticator app once enrolled): adjusters review their regions' claims, policy admins deploy their region's policy modules.";
    EMPLOYEE_ID = "工号", "Employee id";
    PASSWORD = "密码", "Password";
    TOTP_CODE = "动态验证码（已绑定时填写）", "Authenticator code (when enrolled)";
    TOKEN_SIGN_IN = "平台或初始管理员：使用访问令牌登录", "Platforms and the bootstrap admin: sign in with an access token";
    SIGNED_IN_AS = "当前身份", "Signed in as";
    NAV_QUEUE = "审核队列", "Review queue";
    NAV_POLICIES = "政策版本", "Policy versions";
    NAV_PAYMENTS = "支付批次", "Payment runs";
    TRUE_UPS = "批准后应补差（已支付部分）", "True-ups owed once approved (on what is paid)";
    NO_TRUE_UPS = "已支付的待遇无需补差。", "Nothing paid so far changes: no true-up.";
    NO_PAGES = "此控制台为经办人员与省级政策管理员而设；您的角色请使用 API。",
        "This console serves adjusters and policy admins; your role uses the API.";
    ERROR = "出错了", "Something went wrong";
    ERROR_CODE = "错误代码", "Error code";
    BACK_HOME = "返回首页", "Back to the console";
    NOT_FOUND_PAGE = "页面不存在。", "There is no such page.";
    CSRF_FAILED = "表单已过期或不是从本控制台提交的，请刷新页面后重试。",
        "The form has expired or did not come from this console; reload the page and try again.";
    BAD_FORM = "表单内容无法读取。", "The form could not be read.";
    DONE = "操作已完成", "Done";
    CURRENT_STATUS = "当前状态", "Current status";

    // The queue.
    QUEUE_TITLE = "审核队列", "Review queue";
    QUEUE_HELP = "本人负责地区中等待经办的案件，按作出结论的期限（按工作日计算）排序，最早到期的在前。",
        "Your regions' claims waiting for a person, by due date (counted in working days), earliest first.";
    FILTER = "筛选", "Filter";
    ALL_OPTION = "全部", "All";
    ONLY_OVERDUE = "仅显示已逾期", "Overdue only";
    CLAIMS_COUNT = "案件数", "Claims";
    OVERDUE_COUNT = "已逾期", "Overdue";
    TODAY = "今天", "Today";
    COL_CLAIM = "案件编号", "Claim";
    COL_REGION = "地区", "Region";
    COL_STATUS = "状态", "Status";
    COL_OUTCOME = "自动决定", "Automatic decision";
    COL_DUE = "作出结论期限", "Due";
    COL_CREATED = "提交时间", "Submitted";
    COL_NOTES = "备注", "Notes";
    OVERDUE = "已逾期", "Overdue";
    FAST_TRACK = "快速通道", "Fast track";
    PROPOSED_BY_YOU = "您提出的方案，须另一名经办人员审批", "Your proposal: another adjuster must approve";
    QUEUE_EMPTY = "没有等待处理的案件。", "No claims are waiting.";
    NEXT_PAGE = "下一页", "Next page";
    SEARCH_TITLE = "查找案件", "Find claims";
    SEARCH = "查找", "Search";
    INCIDENT_FROM = "事故日期自", "Incident from";
    INCIDENT_TO = "事故日期至", "Incident to";
    NO_CLAIMS_FOUND = "没有符合条件的案件。", "No claims match.";
    REFUSED_HERE = "此操作现在不可用", "Not available now";

    // A claim.
    CLAIM_TITLE = "案件", "Claim";
    PLATFORM = "平台", "Platform";
    PLATFORM_REF = "平台案件号", "Platform reference";
    WORKER_ID = "受伤人员身份证号", "Worker's identity number";
    NARRATIVE = "事故经过", "What happened";
    POSSIBLE_DUPLICATE = "可能与以下案件重复", "Possibly a duplicate of";
    DECISION = "决定及理由", "Decision and grounds";
    NO_DECISION = "尚无决定。", "No decision yet.";
    OUTCOME = "结果", "Outcome";
    SITUATION = "适用情形", "Situation applied";
    REFUSAL = "不予保障的理由", "Reason for refusal";
    INFO_NEEDED = "需补正的理由", "Why information is needed";
    CITATION = "依据", "Rule";
    BENEFITS = "待遇项目", "Benefits";
    BENEFITS_HELP = "政策模块的建议：每一项的计算方法、所用数据及其来源与可信度。标黄的项目依据尚未公布或未经确认的数据（预发）。",
        "The policy module's recommendation: each line's formula, the figures used with their source and confidence. Lines in yellow rest on figures not yet published or not confirmed (provisional).";
    COL_ITEM = "项目", "Item";
    COL_PAYER = "支付方", "Payer";
    COL_AMOUNT = "金额", "Amount";
    COL_FORMULA = "计算方法", "Formula";
    COL_FIGURES = "所用数据（来源 · 可信度）", "Figures used (source · confidence)";
    PROVISIONAL = "预发", "provisional";
    PROVISIONAL_FIGURES = "暂定数据", "Provisional figures";
    TO_BE_SET = "待核定", "to be set";
    LUMP_SUM_TOTAL = "一次性待遇合计", "Lump sums in total";
    UNDER_REVIEW_LINES = "经办方案", "Lines as reviewed";
    PROPOSAL_WAITING = "待第二名经办人员审批的方案", "Proposal awaiting a second adjuster";
    APPROVED_LINES = "已批准的待遇", "Benefits approved";
    COL_RECOMMENDED = "系统建议金额", "Recommended";
    COL_CHANGE = "调整理由", "Change and reason";
    REMOVED = "已删除", "removed";
    ADDED = "新增", "added";
    PROPOSED_BY = "提出人", "Proposed by";
    MISSING_DOCS = "需一次性补正的材料", "Documents to supply, all at once";
    DUE_DATES = "期限", "Due dates";
    DUE_DETERMINATION = "作出结论期限", "Determination due";
    DUE_PAYMENT = "待遇支付期限", "Payment due";
    PROVENANCE = "政策模块与可复现性", "Policy module and replay";
    POLICY = "政策", "Policy";
    DIGEST = "摘要（SHA-256）", "Digest (SHA-256)";
    FACTS_DIGEST = "事实摘要", "Facts digest";
    DECISION_ID = "决定编号", "Decision";
    APPEAL = "复核申请", "Appeal";
    APPEAL_GROUNDS = "理由", "Grounds";
    APPEAL_FILED = "提出时间", "Filed";
    APPEAL_OUTCOME = "上次复核结果", "Last appeal's outcome";
    ACTIONS = "经办操作", "Review actions";
    ACTIONS_NONE = "当前状态下没有可执行的经办操作。", "No review action is possible in this status.";
    ACTIONS_ADJUSTERS_ONLY = "只有经办人员可以审核案件。", "Only adjusters review claims.";
    FOUR_EYES_HINT = "超过四眼原则金额标准的批准须由第二名经办人员确认；方案提出人不能自己批准。",
        "Approvals above the four-eyes threshold need a second adjuster; whoever proposed cannot approve it.";
    APPROVE = "批准", "Approve";
    APPROVE_HELP = "按系统建议（或待审批的方案）批准。", "Approve as recommended (or the proposal waiting).";
    OVERRIDE = "调整后批准", "Override and approve";
    OVERRIDE_HELP = "只填写要调整的项目（金额单位：元）；每项的理由与说明留空时使用下方的调整理由。原建议金额会保留在记录中。",
        "Fill in only the lines you change (amounts in yuan); a line's reason and note default to the override's below. The recommended amount is kept beside it.";
    NEW_AMOUNT = "调整后金额（元）", "New amount (yuan)";
    REMOVE_LINE = "删除此项", "Remove";
    LINE_REASON = "该项理由", "Line reason";
    LINE_NOTE = "该项说明", "Line note";
    SAME_AS_BELOW = "同下方理由", "as below";
    ADD_LINE = "新增项目", "Add a line";
    REASON = "理由代码", "Reason code";
    CHOOSE = "请选择", "Choose";
    NOTE = "说明", "Note";
    DENY = "拒绝", "Deny";
    DENY_HELP = "拒绝须给出理由代码和说明。", "A denial needs a reason code and a note.";
    REQUEST_INFO = "要求补正材料", "Request information";
    REQUEST_INFO_HELP = "平台将收到一次性补正通知（supplement.requested 事件）。",
        "The platform receives a one-time supplement notice (a supplement.requested event).";
    DOCUMENTS = "所需材料", "Documents needed";
    CLOSE = "结案", "Close";
    CLOSE_HELP = "待遇已支付完毕。", "Benefits are settled.";
    NOTICE = "结论书（可打印）", "Notice (printable)";
    HISTORY = "决定历史", "Decision history";
    DECISIONS = "决定", "Decisions";
    REVIEWS = "经办与复核记录", "Reviews and appeals";
    AUDIT = "审计记录", "Audit entries";
    COL_TIME = "时间", "When";
    COL_KIND = "类型", "Kind";
    COL_ACTOR = "操作人", "Who";
    COL_ACTION = "操作", "Action";
    COL_STATUS_CHANGE = "状态变化", "Status";
    COL_REPLACES = "取代", "Replaces";
    COL_SEQ = "序号", "Seq";
    COL_HASH = "哈希", "Hash";
    YOU = "（您）", " (you)";
    NONE_YET = "暂无。", "None yet.";

    // Policies.
    POLICIES_TITLE = "政策版本", "Policy versions";
    POLICIES_HELP = "本地区的政策模块：生效期间、状态、摘要、上传人与审批人。新版本须经上传、影子运行、另一人审批后方可启用。",
        "Your region's policy modules: effective windows, states, digests, who uploaded and approved. A new version is uploaded, shadow-run, approved by someone else, then activated.";
    COL_VERSION = "版本", "Version";
    COL_POLICY_ID = "政策编号", "Policy id";
    COL_WINDOW = "生效期间", "Effective";
    COL_SOURCE = "来源", "Source";
    COL_UPLOADED_BY = "上传人", "Uploaded by";
    COL_APPROVED_BY = "审批人", "Approved by";
    COL_ACTIVATED = "启用时间", "Activated";
    IN_FORCE = "今日生效", "in force today";
    OPEN_ENDED = "至今", "open-ended";
    UPLOAD = "上传新版本", "Upload a new version";
    UPLOAD_HELP = "上传 oip policy build 生成的 .wasm 文件、oip policy sign 生成的签名（.sig 文件或其中的文本）以及模块自带的案例文件（可多选）。服务器会校验签名、接口版本、地区、生效期间、资源限制，并在引擎中运行每个案例。",
        "Upload the .wasm that oip policy build made, the signature oip policy sign wrote (the .sig file or its text), and the module's case files (several at once). The server checks the signature, the contract version, the region, the window, the limits, and runs every case through the engine.";
    MODULE_FILE = "模块文件（.wasm）", "Module (.wasm)";
    SIGNATURE_FILE = "签名文件（.sig）", "Signature file (.sig)";
    SIGNATURE_TEXT = "或粘贴签名（base64）", "or paste the signature (base64)";
    CASE_FILES = "案例文件（.json，可多选）", "Case files (.json, several)";
    ROLLBACK = "回退到上一版本", "Roll back to the previous version";
    ROLLBACK_HELP = "撤回本地区最近启用的版本，上一版本重新生效。", "Withdraws the region's latest activated version; the previous one is in force again.";
    NO_VERSIONS = "没有版本。", "No versions.";
    VERSION_TITLE = "政策版本", "Policy version";
    NAME = "名称", "Name";
    STATUS = "状态", "Status";
    FULL_DIGEST = "模块摘要（SHA-256）", "Module digest (SHA-256)";
    SIGNED_BY = "签名密钥", "Signing key";
    UNDECIDED = "政策模块无法决定此案件，须由经办人员处理（按理由改定给付、拒绝或要求补正材料）。原因：", "The policy module cannot decide this claim; an adjuster decides it (lines with reasons, a denial, or a request for information). Why:";
    ATTEMPTS = "尝试次数", "Attempts";
    KEY_REVOKED = "签署该版本的密钥已被吊销，吊销时间", "The key that signed this version was revoked at";
    KEY_REVOKED_IN_FORCE = "该版本仍然有效，直到替代版本启用为止；请尽快上传用有效密钥签名的新版本。", "It stays in force until a replacement is active; upload a version signed with a live key.";
    KEY_REVOKED_BLOCKED = "该版本不能审批或启用。", "It cannot be approved or activated.";
    SCHEDULED_AT = "计划启用时间", "Scheduled for";
    VALIDATION = "上传校验", "Upload checks";
    CASES_PASSED = "案例通过", "Cases passed";
    FILE_DIGEST = "文件摘要", "File digest";
    SHADOW = "影子运行", "Shadow run";
    SHADOW_HELP = "新版本在不改变任何数据的情况下，对本地区已存储的案件逐一作出决定，并与现行决定比较。",
        "The new version decides every stored claim of the region beside the decision in force, changing nothing.";
    SHADOW_NONE = "尚未进行影子运行。", "No shadow run yet.";
    SHADOW_START = "开始影子运行", "Start a shadow run";
    SHADOW_FROM = "事故日期自（可选）", "Incidents from (optional)";
    SHADOW_TO = "至（可选）", "to (optional)";
    PROGRESS = "进度", "Progress";
    ETA = "预计剩余", "Time left";
    SECONDS = "秒", "s";
    REPORT = "影子运行报告", "Shadow run report";
    R_TOTAL = "案件总数", "Claims";
    R_COMPARED = "已比较", "Compared";
    R_UNCHANGED = "无变化", "Unchanged";
    R_CHANGED = "有变化", "Changed";
    R_FAILED = "无法决定", "Could not decide";
    R_SPEED = "速度（件/秒）", "Speed (claims/s)";
    OUTCOME_CHANGES = "结果变化", "Outcome changes";
    NO_OUTCOME_CHANGES = "没有结果变化。", "No outcome changes.";
    COL_FROM = "原结果", "From";
    COL_TO = "新结果", "To";
    COL_COUNT = "件数", "Claims";
    AMOUNT_CHANGES = "各待遇项目金额变化", "Amount changes per benefit";
    COL_PERIOD = "周期", "Period";
    COL_SUM_BEFORE = "现行合计", "In force, total";
    COL_SUM_AFTER = "新版合计", "Candidate, total";
    COL_SUM_CHANGE = "变化合计", "Change, total";
    COL_MIN_MAX = "单件最小/最大变化", "Smallest / largest change";
    CHART = "赔付变化分布", "Distribution of payout changes";
    CHANGED_CLAIMS = "有变化的案件", "Changed claims";
    COL_PAYOUT_CHANGE = "赔付变化", "Payout change";
    FAILURES = "无法决定的案件", "Claims the candidate cannot decide";
    COL_CODE = "代码", "Code";
    APPROVE_VERSION = "审批此版本", "Approve this version";
    APPROVE_VERSION_HELP = "须由上传者以外的另一人在影子运行完成后审批。", "Someone other than the uploader approves, after a finished shadow run.";
    ACTIVATE_NOW = "立即启用", "Activate now";
    ACTIVATE_AT = "按计划时间启用", "Schedule";
    ACTIVATE_AT_HELP = "时间按北京时间（UTC+8）。", "The time is Beijing time (UTC+8).";
    REDECIDE = "用此版本重新决定", "Re-decide with this version";
    REDECIDE_HELP = "对依据暂定数据作出决定的未结案件以及此前无生效政策的案件重新作出决定。",
        "Decides again the open claims decided on provisional figures, and the claims stored without a policy in force.";
    REDECIDE_JOB = "重新决定", "Re-decision";
    R_REDECIDED = "已重新决定", "Re-decided";
    R_SKIPPED = "跳过", "Skipped";
    JOB_ERROR = "错误", "Error";
    ALL_REGIONS = "全部地区", "All regions";
}

mod codes;
#[cfg(test)]
mod tests;

pub(crate) use codes::*;
