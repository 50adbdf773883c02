//! Uploading a version: the signature checked against the region's keys, the module loaded
//! (contract, imports, limits), its manifest checked (region, window), its own cases run
//! through the engine, and the version stored `uploaded`.

use super::may_manage;
use super::release::{ReleaseStatement, SignatureFile};
use crate::auth::{Principal, Role};
use crate::db::keys::KeyRow;
use crate::db::policies::{PolicyRow, Validation};
use crate::db::writer::AuditDraft;
use crate::domain::{PolicySource, PolicyStatus};
use crate::error::{Code, Error, FieldProblem};
use crate::{AppState, now};
use axum::extract::Multipart;
use axum::http::StatusCode;
use base64::Engine as _;
use oip_engine::types::cases::{Case, Expected};
use oip_engine::types::{Date, Facts};
use oip_engine::{Error as EngineError, LoadedPolicy, PolicyHost};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use utoipa::ToSchema;

/// The SHA-256 digest (32 bytes) of the module file as uploaded.
pub fn file_digest(module: &[u8]) -> [u8; 32] {
    Sha256::digest(module).into()
}

/// An upload (`POST /v1/regions/{region}/policies`).
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadRequest {
    /// The module file (a component, or a core module with its WIT metadata), base64.
    #[schema(content_encoding = "base64", max_length = 33554432)]
    pub module: String,
    /// The region key's ed25519 signature over `release` (see `oip policy sign`), base64.
    #[serde(default)]
    #[schema(content_encoding = "base64", max_length = 200)]
    pub signature: Option<String>,
    /// The release statement signed: region, policy id, version, effective window, WIT version,
    /// the module file's SHA-256, and a release number above every earlier one of the region.
    #[serde(default)]
    pub release: Option<ReleaseStatement>,
    /// The module's own cases (at least one).
    #[serde(default)]
    #[schema(max_items = 10000)]
    pub cases: Vec<UploadCase>,
}

/// An upload as `multipart/form-data` (the schema of the form; read by [`UploadForm`]).
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "describes the form in the OpenAPI document")]
pub struct UploadMultipart {
    /// The module file, its raw bytes.
    #[schema(value_type = String, format = Binary)]
    module: Vec<u8>,
    /// The `.sig` file `oip policy sign` wrote: `{"release": {...}, "signature": "..."}`.
    #[schema(max_length = 4000)]
    signature: String,
    /// The module's case files, one part each (the file name names the case).
    #[schema(value_type = Vec<String>, format = Binary)]
    cases: Vec<Vec<u8>>,
}

/// A case file, named.
#[derive(Clone, Debug, Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadCase {
    /// Its name (the file name).
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// What it shows, with the arithmetic.
    #[serde(default)]
    pub description: Option<String>,
    /// The facts.
    pub facts: Facts,
    /// The decision expected, as a subset (every key given must match).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub expected: Option<serde_json::Value>,
    /// The error expected instead, as a subset.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub expected_error: Option<serde_json::Value>,
}

impl UploadCase {
    /// The case, as the checker reads it.
    pub fn into_case(self) -> Result<Case, String> {
        let expected = match (self.expected, self.expected_error) {
            (Some(d), None) => Expected::Decision(d),
            (None, Some(e)) => Expected::Error(e),
            _ => return Err("give exactly one of expected, expected_error".into()),
        };
        Ok(Case {
            path: PathBuf::from(self.name),
            description: self.description.unwrap_or_default(),
            facts: self.facts,
            expected,
        })
    }

    /// A case file's content, named (as `oip policy push` and the console send it).
    pub fn from_file(name: &str, bytes: &[u8]) -> Result<UploadCase, String> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            description: Option<String>,
            facts: Facts,
            #[serde(default)]
            expected: Option<serde_json::Value>,
            #[serde(default)]
            expected_error: Option<serde_json::Value>,
        }
        let f: File = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        Ok(UploadCase {
            name: name.to_string(),
            description: f.description,
            facts: f.facts,
            expected: f.expected,
            expected_error: f.expected_error,
        })
    }
}

/// An upload, read: the module's bytes, its signature, its cases.
#[derive(Debug)]
pub struct Upload {
    /// The module file.
    pub module: Vec<u8>,
    /// The ed25519 signature over the release statement.
    pub signature: Option<Vec<u8>>,
    /// The release statement signed.
    pub release: Option<ReleaseStatement>,
    /// The module's cases.
    pub cases: Vec<Case>,
}

impl TryFrom<UploadRequest> for Upload {
    type Error = Error;

    fn try_from(req: UploadRequest) -> Result<Upload, Error> {
        parse(req)
    }
}

fn parse(req: UploadRequest) -> Result<Upload, Error> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut problems = Vec::new();
    let module = b64.decode(&req.module).unwrap_or_else(|_| {
        problems.push(FieldProblem::new("module", "not base64"));
        Vec::new()
    });
    let signature = req.signature.as_deref().and_then(|s| match b64.decode(s) {
        Ok(sig) => Some(sig),
        Err(_) => {
            problems.push(FieldProblem::new("signature", "not base64"));
            None
        }
    });
    let mut cases = Vec::new();
    for (i, c) in req.cases.into_iter().enumerate() {
        if c.name.trim().is_empty() {
            problems.push(FieldProblem::new(format!("cases[{i}].name"), "required"));
        }
        match c.into_case() {
            Ok(case) => cases.push(case),
            Err(e) => problems.push(FieldProblem::new(format!("cases[{i}]"), e)),
        }
    }
    if problems.is_empty() {
        Ok(Upload {
            module,
            signature,
            release: req.release,
            cases,
        })
    } else {
        Err(Error::invalid_request(problems))
    }
}

/// The signature and release statement an upload must carry, checked before the module is
/// compiled: the statement is about this file, and a key of the region signed it.
async fn check_signature(
    state: &AppState,
    region: &str,
    up: &Upload,
) -> Result<(KeyRow, ReleaseStatement), Error> {
    let Some(sig) = up.signature.as_deref() else {
        return Err(Error::field(
            Code::SignatureRequired,
            "signature",
            "required",
        ));
    };
    let Some(statement) = up.release.clone() else {
        return Err(Error::field(
            Code::InvalidRequest,
            "release",
            "required with the signature: the release statement it covers",
        ));
    };
    if statement.module_sha256 != hex::encode(file_digest(&up.module)) {
        return Err(Error::field(
            Code::SignatureInvalid,
            "release.module_sha256",
            "not the SHA-256 of this module file: the module was altered or another one signed",
        ));
    }
    let profile = state.config.crypto;
    if profile == crate::crypto::Profile::Gm
        && statement.module_sm3.as_deref() != Some(hex::encode(profile.digest(&up.module)).as_str())
    {
        return Err(Error::field(
            Code::SignatureInvalid,
            "release.module_sm3",
            "not the SM3 of this module file (crypto = \"gm\" signs the SM3 digest): sign it \
             with an SM2 key",
        ));
    }
    let verifies = |k: &KeyRow| {
        crate::signing::PublicKey::parse(profile, &k.public_key)
            .is_some_and(|vk| statement.verifies(&vk, sig))
    };
    let keys = state.db.keys(None).await?;
    let mut other_region = None;
    for k in keys.iter().filter(|k| k.live()) {
        if verifies(k) {
            if k.region == region {
                return Ok((k.clone(), statement));
            }
            other_region = Some(k.region.clone());
        }
    }
    match other_region {
        Some(r) => Err(Error::field(
            Code::SigningKeyWrongRegion,
            "signature",
            format!("key of {r}"),
        )
        .message(
            format!("签名密钥属于 {r}，不能为 {region} 签署政策模块。"),
            format!("the signing key is registered for {r}, not {region}"),
        )),
        None => Err(Error::field(
            Code::SignatureInvalid,
            "signature",
            "does not verify",
        )),
    }
}

/// Refuses a release number not above every release stored for the region.
async fn check_newer(state: &AppState, region: &str, release: u64) -> Result<(), Error> {
    let newest = state
        .db
        .policies(Some(region))
        .await?
        .iter()
        .filter_map(|p| p.validation.as_ref().and_then(|v| v.release))
        .max();
    match newest {
        Some(n) if release <= n => Err(Error::field(
            Code::PolicyReleaseNotNewer,
            "release",
            format!("{release} is not above {n}"),
        )
        .message(
            format!("发布序号 {release} 不高于本地区已有的发布 {n}；旧版本请用回退重新启用。"),
            format!(
                "release {release} is not above the region's newest release {n}; an older \
                 version comes back through the rollback action"
            ),
        )),
        _ => Ok(()),
    }
}

/// The refusal of a module that does not load: the engine's mapping, except that a limit hit
/// while reading the manifest is `policy_limits`.
fn load_refusal(e: EngineError) -> Error {
    if e.is_runtime_fault() {
        let en = e.to_string();
        return Error::field(Code::PolicyLimits, "module", en.clone()).message(
            format!("政策模块无法在限制内加载：{en}"),
            format!("the module does not load within the limits: {en}"),
        );
    }
    e.into()
}

/// Cases per background batch: a few milliseconds of decisions, after which live claims
/// queued meanwhile go first.
const CASE_BATCH: usize = 32;

/// Runs the upload's cases through the engine on the module, in batches behind live claims
/// (the decision pool's background lane); the failures, by case.
async fn run_cases(
    state: &AppState,
    policy: Arc<LoadedPolicy>,
    mut cases: Vec<Case>,
) -> Result<Vec<FieldProblem>, Error> {
    let mut failures = Vec::new();
    let mut offset = 0;
    while !cases.is_empty() {
        let rest = cases.split_off(cases.len().min(CASE_BATCH));
        let batch = std::mem::replace(&mut cases, rest);
        let p = policy.clone();
        let first = offset;
        offset += batch.len();
        let parent = tracing::Span::current();
        let found = state
            .decider
            .background(move |host| check_cases(host, &p, first, &batch, &parent))
            .await?;
        failures.extend(found);
    }
    Ok(failures)
}

/// Checks cases numbered from `first` against their expectations.
fn check_cases(
    host: &PolicyHost,
    policy: &LoadedPolicy,
    first: usize,
    cases: &[Case],
    parent: &tracing::Span,
) -> Vec<FieldProblem> {
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let field = format!("cases[{}]", first + i);
        let result = match crate::decider::decide_traced(host, policy, &case.facts, parent, "cases")
        {
            Ok(e) => Ok(e.decision),
            Err(EngineError::Guest { error, .. }) => Err(error),
            Err(other) => {
                failures.push(FieldProblem::new(
                    field,
                    format!("{}: engine error {other}", case.path.display()),
                ));
                continue;
            }
        };
        if let Err(e) = oip_engine::types::cases::check(case, &result) {
            failures.push(FieldProblem::new(field, e));
        }
    }
    failures
}

fn check_window(from: Date, to: Option<Date>) -> Result<(), Error> {
    let earliest = Date::new(2020, 1, 1).unwrap_or(from);
    let latest = Date::new(2100, 12, 31).unwrap_or(from);
    let problem = if from < earliest || from > latest {
        Some((
            "manifest.effective_from",
            format!("{from} is outside 2020-01-01..2100-12-31"),
        ))
    } else {
        match to {
            Some(t) if t < from => Some((
                "manifest.effective_to",
                format!("{t} is before effective_from {from}"),
            )),
            Some(t) if t > latest => {
                Some(("manifest.effective_to", format!("{t} is after 2100-12-31")))
            }
            _ => None,
        }
    };
    match problem {
        None => Ok(()),
        Some((field, p)) => Err(
            Error::field(Code::PolicyWindowInvalid, field, p.clone()).message(
                format!("生效期间不合理：{p}"),
                format!("the effective window is not sane: {p}"),
            ),
        ),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::new(Code::PayloadTooLarge)
    } else {
        Error::new(Code::MalformedRequest).detail(e.body_text())
    }
}

/// An upload as `multipart/form-data` (the API's raw-bytes form, and the console's form): the
/// module file as bytes, the `.sig` file (or its text), the case files; read before the
/// console's CSRF check (the body has to be read first).
#[derive(Default)]
pub struct UploadForm {
    /// The console's CSRF token.
    pub csrf: Option<String>,
    module: Option<Vec<u8>>,
    signature: Option<String>,
    cases: Vec<(String, Vec<u8>)>,
}

impl UploadForm {
    /// Reads the parts: `module` (the .wasm file), `signature` or `signature_file` (the .sig
    /// file `oip policy sign` wrote), `cases` (case files, repeatable), `csrf`; others ignored.
    pub async fn read(mut m: Multipart) -> Result<UploadForm, Error> {
        let mut form = UploadForm::default();
        while let Some(field) = m.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_string();
            let file = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(multipart_error)?;
            // A file input left empty still sends a part, with no name and no bytes.
            if file.as_deref() == Some("") && bytes.is_empty() {
                continue;
            }
            let text = || String::from_utf8_lossy(&bytes).trim().to_string();
            match name.as_str() {
                "csrf" => form.csrf = Some(text()),
                "module" => form.module = Some(bytes.to_vec()),
                "signature" | "signature_file" if !text().is_empty() => {
                    form.signature = Some(text());
                }
                "cases" => form.cases.push((file.unwrap_or_default(), bytes.to_vec())),
                _ => {}
            }
        }
        Ok(form)
    }

    /// The same upload the JSON body reads: cases named by their file names, as `oip policy
    /// push` names them.
    pub fn into_upload(self) -> Result<Upload, Error> {
        let form = self;
        let mut problems = Vec::new();
        let module = form.module.unwrap_or_default();
        if module.is_empty() {
            problems.push(FieldProblem::new("module", "required (the .wasm file)"));
        }
        // The `.sig` file `oip policy sign` wrote: the release number and the signature.
        let (signature, release) = match form.signature.as_deref().map(SignatureFile::parse) {
            None => (None, None),
            Some(Err(e)) => {
                problems.push(FieldProblem::new("signature", e));
                (None, None)
            }
            Some(Ok(f)) => match base64::engine::general_purpose::STANDARD.decode(f.signature) {
                Ok(sig) => (Some(sig), Some(f.release)),
                Err(_) => {
                    problems.push(FieldProblem::new("signature", "not base64"));
                    (None, None)
                }
            },
        };
        let mut cases = Vec::new();
        for (i, (file, bytes)) in form.cases.iter().enumerate() {
            let name = std::path::Path::new(file)
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| !s.is_empty())
                .unwrap_or("case");
            let case = UploadCase::from_file(name, bytes).and_then(UploadCase::into_case);
            match case {
                Ok(c) => cases.push(c),
                Err(e) => problems.push(FieldProblem::new(
                    format!("cases[{i}]"),
                    format!("{file}: not a case file: {e}"),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(Error::invalid_request(problems));
        }
        Ok(Upload {
            module,
            signature,
            release,
            cases,
        })
    }
}

/// Refuses unless `who` is a policy_admin of `region`: checked before the upload's body is
/// read (up to 32 MiB), so a token of any other role cannot make the server read one.
pub fn may_upload(who: &Principal, region: &str) -> Result<(), Error> {
    who.require(&[Role::PolicyAdmin])?;
    if !may_manage(who, region) {
        return Err(Code::Forbidden.into());
    }
    Ok(())
}

/// Validates and stores an upload; `(created, row)`: `created` is false when the same module
/// was stored before.
pub async fn upload(
    state: &AppState,
    who: &Principal,
    region: &str,
    up: Upload,
) -> Result<(bool, PolicyRow), Error> {
    may_upload(who, region)?;
    let (key, statement) = check_signature(state, region, &up).await?;
    let release = statement.release;
    let digest = file_digest(&up.module);
    let s = state.clone();
    let region_owned = region.to_string();
    let Upload { module, cases, .. } = up;
    let (policy, cases, _module) = tokio::task::spawn_blocking(move || -> Result<_, Error> {
        let policy = s.decider.host().load(&module).map_err(load_refusal)?;
        let m = policy.manifest();
        if m.region != region_owned {
            return Err(Error::field(
                Code::PolicyRegionMismatch,
                "manifest.region",
                m.region.clone(),
            )
            .message(
                format!("模块声明的地区是 {}，不是 {region_owned}。", m.region),
                format!("the module is for {}, not {region_owned}", m.region),
            ));
        }
        check_window(m.effective_from, m.effective_to)?;
        if let Some((field, problem)) = statement.mismatch(m, &module) {
            return Err(
                Error::field(Code::PolicyReleaseMismatch, field, problem.clone()).message(
                    format!("签名的发布声明与模块清单不符：{problem}"),
                    format!("the signed release statement does not match the module: {problem}"),
                ),
            );
        }
        if cases.is_empty() {
            return Err(Error::field(
                Code::PolicyCasesRequired,
                "cases",
                "required, at least one",
            ));
        }
        Ok((policy, cases, module))
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))??;
    let n_cases = cases.len();
    let failures = run_cases(state, policy.clone(), cases).await?;
    if !failures.is_empty() {
        let n = failures.len();
        return Err(
            Error::with_fields(Code::PolicyCasesFailed, failures).message(
                format!("{n} 个案例未通过。"),
                format!("{n} of {n_cases} cases fail on the module"),
            ),
        );
    }
    if let Some(existing) = state.db.policy(policy.sha256()).await? {
        return Ok((false, existing));
    }
    check_newer(state, region, release).await?;
    let m = policy.manifest().clone();
    let t = now().to_string();
    let mut row = PolicyRow::deployed(m, policy.sha256(), PolicySource::Upload, 0, &t);
    row.status = PolicyStatus::Uploaded;
    row.activated_at = None;
    row.uploaded_by = Some(who.person().to_string());
    row.signed_by = Some(key.id.clone());
    row.validation = Some(Validation {
        cases: n_cases as u64,
        passed: n_cases as u64,
        file_sha256: hex::encode(digest),
        file_bytes: policy.component_bytes().len() as u64,
        signed_by: key.id.clone(),
        release: Some(release),
    });
    let audit = AuditDraft {
        actor: who.person().to_string(),
        action: "policy.uploaded".into(),
        claim_id: None,
        before: None,
        after: Some(super::transitions::summary(&row)),
    };
    let stored = state
        .writer
        .submit_logged(
            Some(state.db.insert_policy_stmt(&row, policy.component_bytes())),
            vec![],
            vec![audit],
            vec![],
        )
        .await?;
    // Kept compiled; an uploaded version changes nothing in force, so no instance need sync.
    state.decider.remember(policy.clone());
    if stored {
        return Ok((true, row));
    }
    match state.db.policy(&row.sha256).await? {
        // Stored meanwhile by a concurrent upload of the same bytes.
        Some(existing) => Ok((false, existing)),
        // Another module took the release number meanwhile (the schema's unique index).
        None => check_newer(state, region, release)
            .await
            .and(Err(Error::internal("the version was not stored"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_form_becomes_the_same_upload() {
        let statement = crate::policies::release::ReleaseStatement {
            region: "CN-SC".into(),
            policy_id: "oip-policy-cn-sc".into(),
            version: "2026.2".into(),
            effective_from: "2026-01-01".into(),
            effective_to: None,
            wit_version: "1.0.0".into(),
            module_sha256: "00".repeat(32),
            module_sm3: None,
            release: 3,
        };
        let sig = serde_json::to_string(&SignatureFile {
            release: statement.clone(),
            signature: base64::engine::general_purpose::STANDARD.encode([7u8; 64]),
        })
        .expect("json");
        let facts = include_str!("../../../policies/cn-sc/cases/covered_grade9_inpatient.json");
        let form = UploadForm {
            csrf: None,
            module: Some(vec![0, 97, 115, 109]),
            signature: Some(sig),
            cases: vec![(
                "covered_grade9_inpatient.json".into(),
                facts.as_bytes().to_vec(),
            )],
        };
        let up = form.into_upload().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(up.module, vec![0, 97, 115, 109]);
        assert_eq!(up.signature, Some(vec![7u8; 64]));
        assert_eq!(up.release, Some(statement));
        assert_eq!(
            up.cases[0].path.display().to_string(),
            "covered_grade9_inpatient"
        );
        let bad = UploadForm {
            signature: Some("%%%".into()),
            cases: vec![("x.json".into(), b"[1]".to_vec())],
            ..UploadForm::default()
        };
        let e = bad.into_upload().unwrap_err();
        let paths: Vec<&str> = e.fields.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["module", "signature", "cases[0]"]);
    }
}
