//! Errors: one registry of every stable code (its HTTP status and its message in zh-CN and
//! English, written once, in the style of Meilisearch's `make_error_codes!`), and one error type
//! that every service returns.
//!
//! An [`Error`] carries its [`Code`], the fields at fault, optionally a more precise message,
//! and optionally an internal detail: the detail is logged in the request's span and never sent
//! (`api::error` turns an `Error` into the body
//! `{ "error": { "code", "message", "message_zh", "fields": [{"path","problem"}] } }`).

use serde::Serialize;

/// A field at fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field's path, e.g. `worker.id_number` or `documents[0]`.
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

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $status:literal, $zh:literal, $en:literal;)*) => {
        /// Every stable error code the API answers with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the registry's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable name clients match on.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            /// The HTTP status it is answered with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status),* }
            }

            /// The default message, in zh-CN and English.
            pub fn message(self) -> (&'static str, &'static str) {
                match self { $(Code::$variant => ($zh, $en)),* }
            }
        }
    };
}

error_codes! {
    /// The body is not JSON (or not a form), or a query string cannot be read.
    MalformedRequest = "malformed_request", 400, "请求格式错误。", "malformed request";
    /// A required header is missing or malformed.
    MissingHeader = "missing_header", 400, "缺少或无法识别必需的请求头。", "a required header is missing or malformed";
    /// No token, or an unknown or revoked one.
    Unauthenticated = "unauthenticated", 401, "需要有效的访问令牌。", "a valid bearer token is required";
    /// The caller's role or scope does not allow this.
    Forbidden = "forbidden", 403, "无权执行此操作。", "this token may not do that";
    /// Not found, or not visible to the caller.
    NotFound = "not_found", 404, "未找到。", "not found";
    /// The route exists, but not with this method.
    MethodNotAllowed = "method_not_allowed", 405, "该地址不支持此请求方法。", "this method is not allowed on this route";
    /// The Idempotency-Key was used before with another body.
    IdempotencyKeyReused = "idempotency_key_reused", 409, "该幂等键已用于不同的请求内容。", "this Idempotency-Key was used with a different body";
    /// The platform's claim reference is taken by another claim.
    DuplicatePlatformClaimRef = "duplicate_platform_claim_ref", 409, "平台案件编号已存在。", "platform_claim_ref is already used by another claim";
    /// The action is not allowed in the claim's status (or the claim changed meanwhile).
    InvalidTransition = "invalid_transition", 409, "当前状态不允许此操作。", "not allowed in the claim's current status";
    /// Four eyes: another adjuster must do this.
    DifferentAdjusterRequired = "different_adjuster_required", 409, "须由另一名经办人员审批（四眼原则）。", "another adjuster must do this (four eyes)";
    /// The record changed since it was read (another request got there first); read it again.
    Conflict = "conflict", 409, "记录已被他人修改，请重新读取后再试。", "it changed since it was read; read it again";
    /// The public key is already registered.
    KeyAlreadyRegistered = "key_already_registered", 409, "该公钥已登记。", "this public key is already registered";
    /// Signing keys: registering or revoking one takes two admins; this one made the first step.
    SecondAdminRequired = "second_admin_required", 409, "登记或吊销签名密钥须由另一名系统管理员确认（四眼原则）。", "another admin must confirm the registration or revocation of a signing key (four eyes)";
    /// Users: the employee id is taken.
    UserAlreadyExists = "user_already_exists", 409, "已有使用该工号的用户。", "a user with this employee id exists";
    /// Users: an admin does not disable their own user.
    CannotDisableYourself = "cannot_disable_yourself", 409, "不能停用自己的用户。", "you cannot disable your own user";
    /// Calendars: the uploader does not approve their own dataset.
    CalendarSecondAdminRequired = "calendar_second_admin_required", 409, "工作日日历数据须由上传者以外的系统管理员批准（四眼原则）。", "an admin other than the uploader approves a calendar dataset (four eyes)";
    /// Calendars: the dataset is approved already.
    CalendarNotPending = "calendar_not_pending", 409, "该日历数据已批准。", "this calendar dataset is approved already";
    /// Calendars: a dataset of this version is stored.
    CalendarVersionExists = "calendar_version_exists", 409, "已有该版本的日历数据。", "a calendar dataset of this version is stored";
    /// A bill of this number was submitted for the claim before.
    BillAlreadySubmitted = "bill_already_submitted", 409, "该收费票据已为本案件提交过。", "this bill was submitted for this claim before";
    /// An appraisal for a claim whose injury is not determined covered.
    ClaimNotCovered = "claim_not_covered", 409, "该案件未被认定为职业伤害，不进行劳动能力鉴定。", "the injury is not determined covered: there is nothing to appraise";
    /// Payments: the officer who started a run does not release it.
    PaymentRunSecondOfficerRequired = "payment_run_second_officer_required", 409, "支付批次须由生成者以外的另一名支付经办人员放行（四眼原则）。", "a payments officer other than the one who started the run releases it (four eyes)";
    /// Payments: the run is still being built.
    PaymentRunNotBuilt = "payment_run_not_built", 409, "支付批次尚在生成中。", "the run is still being built";
    /// Payments: the run is released already (it never changes).
    PaymentRunReleased = "payment_run_released", 409, "支付批次已放行，不能再更改。", "the run is released already and does not change";
    /// Payments: the bank file and returns need a released run.
    PaymentRunNotReleased = "payment_run_not_released", 409, "支付批次尚未放行。", "the run is not released yet";
    /// Signing keys: only a proposed key is approved.
    KeyNotProposed = "key_not_proposed", 409, "该密钥不在待批准状态（已批准或已吊销）。", "this key is not awaiting approval (it is approved or revoked)";
    /// The worker's personal data was erased after the retention period.
    PersonalDataErased = "personal_data_erased", 410, "该案件已结案且超过保存期限，职工个人信息已删除。", "the claim is settled and past the retention period: the worker's personal data was erased";
    /// The request body is too large.
    PayloadTooLarge = "payload_too_large", 413, "请求内容过大。", "the request body is too large";
    /// The body is not of a media type the route reads.
    UnsupportedMediaType = "unsupported_media_type", 415, "请求内容类型不受支持。", "unsupported content type";
    /// The claim report fails validation.
    InvalidClaim = "invalid_claim", 422, "申请内容有误，请修正所列字段。", "the claim is invalid; see the fields listed";
    /// A request other than a claim report fails validation.
    InvalidRequest = "invalid_request", 422, "请求内容有误，请修正所列字段。", "the request is invalid; see the fields listed";
    /// No policy is in force for the region and date (evaluate).
    NoPolicyInForce = "no_policy_in_force", 422, "该地区在该日期没有生效的政策模块。", "no policy is in force for this region and date";
    /// The policy module could not decide these facts (evaluate).
    PolicyError = "policy_error", 422, "政策模块无法根据这些事实作出决定。", "the policy module cannot decide these facts";
    /// Policy upload: no signature.
    SignatureRequired = "signature_required", 422, "政策模块须由本地区登记的密钥签名。", "the module must be signed by a key registered for its region";
    /// Policy upload: the signature does not verify.
    SignatureInvalid = "signature_invalid", 422, "签名无效：模块已被改动，或签名不是本地区的密钥所作。", "the signature does not verify: the module was altered, or no registered key made it";
    /// Policy upload: the release number is not above every earlier release of the region.
    PolicyReleaseNotNewer = "policy_release_not_newer", 409, "发布序号不高于本地区已有的发布：旧版本只能通过回退重新启用，不能重新上传。", "the release number is not above the region's newest release: an older version comes back only through the rollback action";
    /// Policy upload: the signed release statement says otherwise than the module's manifest.
    PolicyReleaseMismatch = "policy_release_mismatch", 422, "签名的发布声明与模块清单不符。", "the signed release statement does not match the module's manifest";
    /// Policy upload: the signing key belongs to another region.
    SigningKeyWrongRegion = "signing_key_wrong_region", 422, "签名密钥属于其他地区。", "the signing key is registered for another region";
    /// Policy upload: not a usable module.
    PolicyInvalid = "policy_invalid", 422, "政策模块无效。", "the module is refused";
    /// Policy upload: an unsupported contract version.
    PolicyIncompatible = "policy_incompatible", 422, "政策模块的接口版本不受支持。", "the module's contract version is not supported";
    /// Policy upload: the module does not load within the limits.
    PolicyLimits = "policy_limits", 422, "政策模块无法在限制内加载。", "the module does not load within the limits";
    /// Policy upload: the module is for another region.
    PolicyRegionMismatch = "policy_region_mismatch", 422, "模块声明的地区与上传地区不符。", "the module is for another region";
    /// Policy upload: the effective window is not sane.
    PolicyWindowInvalid = "policy_window_invalid", 422, "生效期间不合理。", "the effective window is not sane";
    /// Policy upload: no cases.
    PolicyCasesRequired = "policy_cases_required", 422, "上传须附带模块自己的案例。", "an upload must carry the module's own cases";
    /// Policy upload: some of its cases fail on the module.
    PolicyCasesFailed = "policy_cases_failed", 422, "部分案例未通过。", "some of the module's cases fail on it";
    /// Policy lifecycle: approval needs a finished shadow run.
    ShadowRequired = "shadow_required", 409, "审批前须完成一次影子运行。", "a finished shadow run is required before approval";
    /// Policy approval: only a policy_admin of the version's region approves (not an admin).
    ApproverMustBePolicyAdmin = "approver_must_be_policy_admin", 403, "只有本地区的政策管理员可以批准政策版本，系统管理员不能批准。", "only a policy_admin of the version's region may approve it; an admin may not";
    /// Policy lifecycle: someone other than the uploader must approve.
    DifferentApproverRequired = "different_approver_required", 409, "须由上传者以外的另一人审批（四眼原则）。", "someone other than the uploader must approve (four eyes)";
    /// Policy lifecycle: the region has no previous version.
    NothingToRollBack = "nothing_to_roll_back", 409, "该地区没有可回退到的上一版本。", "the region has no previous version to roll back to";
    /// Policy lifecycle: a job of this kind is running for the version.
    JobRunning = "job_running", 409, "该版本已有同类任务在运行。", "a job of this kind is running for this version";
    /// Policy lifecycle: the key that signed the version was revoked; it cannot be approved or
    /// activated (a version in force stays until a replacement is active).
    SigningKeyRevoked = "signing_key_revoked", 409, "签署该版本的密钥已被吊销，该版本不能审批或启用。", "the key that signed this version was revoked; it cannot be approved or activated";
    /// Policy lifecycle: the step is not allowed in the version's status.
    InvalidPolicyTransition = "invalid_policy_transition", 409, "该政策版本的状态不允许此操作。", "the version's status does not allow this step";
    /// Too many requests: this token's quota, or too many failed authentications from this
    /// address; retry after `Retry-After` seconds.
    RateLimited = "rate_limited", 429, "请求过于频繁，请稍后重试。", "too many requests; retry after the Retry-After seconds";
    /// Something failed inside the server.
    Internal = "internal", 500, "内部错误。", "internal error";
    /// The policy module failed (a limit or a trap).
    EngineError = "engine_error", 502, "政策模块运行失败。", "the policy module failed";
    /// Every decision slot is busy.
    Busy = "busy", 503, "系统繁忙，请稍后重试。", "all decision slots are busy; retry shortly";
    /// The database cannot be reached.
    DatabaseUnavailable = "database_unavailable", 503, "数据库暂不可用，请稍后重试。", "the database is unavailable; retry shortly";
    /// The request took longer than the server's time limit.
    Timeout = "timeout", 503, "请求处理超时，请稍后重试。", "the request timed out; retry shortly";
}

/// The error of every service: a registered code, the fields at fault, an optional precise
/// message, and an internal detail that is logged and never sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The stable code.
    pub code: Code,
    /// The fields at fault.
    pub fields: Vec<FieldProblem>,
    /// A message more precise than the code's own (zh-CN, English).
    pub message: Option<(String, String)>,
    /// What went wrong inside, for the log only.
    pub detail: Option<String>,
    /// Seconds after which a retry may succeed (`Retry-After`), when known.
    pub retry_after_secs: Option<u64>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, en) = self.text();
        write!(f, "{}: {en}", self.code.name())?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A service result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with its code's default message.
    pub fn new(code: Code) -> Error {
        Error {
            code,
            fields: Vec::new(),
            message: None,
            detail: None,
            retry_after_secs: None,
        }
    }

    /// With a `Retry-After` of `secs` seconds.
    pub fn retry_after(mut self, secs: u64) -> Error {
        self.retry_after_secs = Some(secs);
        self
    }

    /// An error naming the fields at fault.
    pub fn with_fields(code: Code, fields: Vec<FieldProblem>) -> Error {
        Error {
            fields,
            ..Error::new(code)
        }
    }

    /// An error naming one field.
    pub fn field(code: Code, path: impl Into<String>, problem: impl Into<String>) -> Error {
        Error::with_fields(code, vec![FieldProblem::new(path, problem)])
    }

    /// `invalid_claim` with the fields at fault.
    pub fn invalid_claim(fields: Vec<FieldProblem>) -> Error {
        Error::with_fields(Code::InvalidClaim, fields)
    }

    /// `invalid_request` with the fields at fault.
    pub fn invalid_request(fields: Vec<FieldProblem>) -> Error {
        Error::with_fields(Code::InvalidRequest, fields)
    }

    /// `internal`, with what went wrong for the log.
    pub fn internal(detail: impl Into<String>) -> Error {
        Error::new(Code::Internal).detail(detail)
    }

    /// A more precise message than the code's own.
    pub fn message(mut self, zh: impl Into<String>, en: impl Into<String>) -> Error {
        self.message = Some((zh.into(), en.into()));
        self
    }

    /// What went wrong inside, for the log.
    pub fn detail(mut self, detail: impl Into<String>) -> Error {
        self.detail = Some(detail.into());
        self
    }

    /// The message in zh-CN and English.
    pub fn text(&self) -> (&str, &str) {
        match &self.message {
            Some((zh, en)) => (zh, en),
            None => self.code.message(),
        }
    }
}

impl From<Code> for Error {
    fn from(code: Code) -> Error {
        Error::new(code)
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Error {
        use sea_orm::DbErr;
        let code = match &e {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Code::DatabaseUnavailable,
            _ => Code::Internal,
        };
        Error::new(code).detail(e.to_string())
    }
}

/// The one mapping of the engine's errors: a module refused at load is `policy_invalid` or
/// `policy_incompatible`; one that misbehaves while deciding is `engine_error`; its own refusal
/// of the facts is `policy_error` naming its field; a full pool is `busy`.
impl From<oip_engine::Error> for Error {
    fn from(e: oip_engine::Error) -> Error {
        use oip_engine::Error as E;
        let detail = e.to_string();
        match e {
            E::Invalid { .. } | E::ForbiddenImport { .. } => {
                Error::field(Code::PolicyInvalid, "module", detail.clone()).message(
                    format!("政策模块无效：{detail}"),
                    format!("the module is refused: {detail}"),
                )
            }
            E::Incompatible { .. } => {
                Error::field(Code::PolicyIncompatible, "module", detail.clone()).message(
                    format!("政策模块的接口版本不受支持：{detail}"),
                    format!("the module's contract version is not supported: {detail}"),
                )
            }
            E::Guest { error, .. } => {
                let fields = error
                    .field
                    .map(|f| vec![FieldProblem::new(f, error.code.clone())])
                    .unwrap_or_default();
                Error::with_fields(Code::PolicyError, fields)
                    .message(error.message.zh, error.message.en)
            }
            E::Busy { .. } => Error::new(Code::Busy),
            E::NoPolicyInForce { region, date } => Error::new(Code::NoPolicyInForce).message(
                format!("{region} 在 {date} 没有生效的政策模块。"),
                format!("no policy is in force for {region} on {date}"),
            ),
            E::Timeout { .. }
            | E::OutOfFuel { .. }
            | E::MemoryLimit { .. }
            | E::StackOverflow { .. }
            | E::Trap { .. }
            | E::OutputTooLarge { .. } => Error::new(Code::EngineError).detail(detail),
            E::Cache(_) | E::Internal(_) => Error::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_unique_name_a_status_and_both_languages() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        for c in Code::ALL {
            assert!((400..600).contains(&c.status()), "{c:?}");
            let (zh, en) = c.message();
            assert!(!zh.is_empty() && !en.is_empty(), "{c:?}");
            assert_eq!(
                serde_json::to_value(c).ok(),
                Some(serde_json::json!(c.name()))
            );
        }
    }

    #[test]
    fn engine_errors_map_one_way() {
        let e: Error = oip_engine::Error::Busy { limit: 4 }.into();
        assert_eq!(e.code, Code::Busy);
        let e: Error = oip_engine::Error::Trap {
            policy: "p".into(),
            message: "unreachable".into(),
        }
        .into();
        assert_eq!(e.code, Code::EngineError);
        assert!(e.detail.is_some_and(|d| d.contains("unreachable")));
    }
}
