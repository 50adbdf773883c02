//! The provincial IT command line: `oip keys ...` and `oip policy ...`. The local commands
//! (`new`, `build`, `test`, `sign`, `keys generate`) work on the policy workspace and files;
//! the others call a server's API with a token (`--server`, `--token`, or `OIP_SERVER`,
//! `OIP_TOKEN`).

use anyhow::{Context, anyhow, bail};
use base64::Engine as _;
use clap::{Args, Subcommand};
use ed25519_dalek::{Signer, SigningKey};
use rand::RngCore;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

/// Where the server is and who calls it.
#[derive(Args, Clone, Debug)]
pub struct Remote {
    /// The server's base URL.
    #[arg(long, env = "OIP_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// A bearer token.
    #[arg(long, env = "OIP_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// `oip keys ...`
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Make an ed25519 key pair: the secret key goes to FILE (hex), the public key is printed.
    Generate {
        /// Where to write the secret key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Register a region's public key (admin token).
    Add {
        /// The region whose modules the key may sign, e.g. CN-SC.
        #[arg(long)]
        region: String,
        /// The public key, 64 hex digits (as `keys generate` prints it).
        #[arg(long)]
        public_key: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// List the registered keys.
    List {
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `oip policy ...`
#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Create a region's policy crate from the template, in the policy workspace.
    New {
        /// Region code, e.g. CN-XZ.
        region: String,
        /// Region name in Chinese.
        #[arg(long, default_value = "待填")]
        name_zh: String,
        /// Region name in English.
        #[arg(long, default_value = "To be named")]
        name_en: String,
        /// First incident date the policy decides.
        #[arg(long, default_value = "2026-01-01")]
        effective_from: String,
        /// The policy workspace.
        #[arg(long, default_value = "policies")]
        workspace: PathBuf,
    },
    /// Build a region's module (.wasm) in the policy workspace; prints its path.
    Build {
        /// Region code, e.g. CN-SC.
        region: String,
        /// The policy workspace.
        #[arg(long, default_value = "policies")]
        workspace: PathBuf,
    },
    /// Run a region's cases natively (cargo test) and through the engine on the built module.
    Test {
        /// Region code, e.g. CN-SC.
        region: String,
        /// The policy workspace.
        #[arg(long, default_value = "policies")]
        workspace: PathBuf,
    },
    /// Sign a module: writes `<module>.sig` (base64 ed25519 signature over its SHA-256).
    Sign {
        /// The .wasm file.
        module: PathBuf,
        /// The secret key file (from `oip keys generate`).
        #[arg(long)]
        key: PathBuf,
    },
    /// Upload a signed module with its cases; prints the version's id.
    Push {
        /// Region code.
        region: String,
        /// The .wasm file (its signature is read from `<module>.sig` unless --signature).
        module: PathBuf,
        /// The signature file.
        #[arg(long)]
        signature: Option<PathBuf>,
        /// The cases folder [default: <workspace>/<region>/cases].
        #[arg(long)]
        cases: Option<PathBuf>,
        /// The policy workspace.
        #[arg(long, default_value = "policies")]
        workspace: PathBuf,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Run a shadow run of a version over the region's claims, with progress; prints the report
    /// summary.
    Shadow {
        /// The version's id (its sha256).
        id: String,
        /// First incident date (YYYY-MM-DD).
        #[arg(long)]
        from: Option<String>,
        /// Last incident date (YYYY-MM-DD).
        #[arg(long)]
        to: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Approve a version (someone other than its uploader).
    Approve {
        /// The version's id.
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Activate an approved version now, or at a time (RFC 3339).
    Activate {
        /// The version's id.
        id: String,
        /// When, e.g. 2027-01-01T00:00:00+08:00.
        #[arg(long)]
        at: Option<String>,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Put the region's previous version back in force.
    Rollback {
        /// Region code.
        region: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// Decide again, with an active version, the claims it should now decide.
    Redecide {
        /// The version's id.
        id: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
    /// List a region's versions.
    List {
        /// Region code.
        region: String,
        /// The server and the token.
        #[command(flatten)]
        remote: Remote,
    },
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    fn new(r: &Remote) -> anyhow::Result<Client> {
        let token = r
            .token
            .clone()
            .ok_or_else(|| anyhow!("a token is required: --token or OIP_TOKEN"))?;
        Ok(Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()?,
            base: r.server.trim_end_matches('/').to_string(),
            token,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status();
        let text = resp.text().await?;
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            let e = &v["error"];
            let mut msg = format!(
                "{status}: {} ({})",
                e["message"].as_str().unwrap_or("error"),
                e["code"].as_str().unwrap_or("?")
            );
            if let Some(fields) = e["fields"].as_array() {
                for f in fields {
                    msg.push_str(&format!(
                        "\n  {}: {}",
                        f["path"].as_str().unwrap_or(""),
                        f["problem"].as_str().unwrap_or("")
                    ));
                }
            }
            bail!(msg);
        }
        Ok(v)
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

fn crate_dir(workspace: &Path, region: &str) -> PathBuf {
    workspace.join(region.to_lowercase())
}

fn package(region: &str) -> String {
    format!("oip-policy-{}", region.to_lowercase())
}

/// Where `cargo build` puts a region's module.
pub fn module_path(workspace: &Path, region: &str) -> PathBuf {
    workspace
        .join("target/wasm32-unknown-unknown/release")
        .join(format!(
            "oip_policy_{}.wasm",
            region.to_lowercase().replace('-', "_")
        ))
}

fn cargo(workspace: &Path, args: &[&str]) -> anyhow::Result<()> {
    let status = Process::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(workspace)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

fn print(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn version_line(v: &Value) -> String {
    format!(
        "{} {} {} [{}] {}..{}",
        v["region"].as_str().unwrap_or(""),
        v["version"].as_str().unwrap_or(""),
        v["sha256"].as_str().unwrap_or(""),
        v["status"].as_str().unwrap_or(""),
        v["effective_from"].as_str().unwrap_or(""),
        v["effective_to"].as_str().unwrap_or(""),
    )
}

/// Reads a case folder as the upload carries it: `[{ "name", ...the file }]`.
pub fn read_cases(dir: &Path) -> anyhow::Result<Vec<Value>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let mut v: Value = serde_json::from_slice(&std::fs::read(&p)?)
            .with_context(|| format!("{} is not JSON", p.display()))?;
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("case")
            .to_string();
        v["name"] = json!(name);
        out.push(v);
    }
    Ok(out)
}

fn read_secret(path: &Path) -> anyhow::Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bytes = hex::decode(text.trim()).context("the key file must hold 64 hex digits")?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| anyhow!("the key file must hold 32 bytes (64 hex digits)"))?;
    Ok(SigningKey::from_bytes(&arr))
}

/// Signs a module's bytes: the base64 signature over their SHA-256.
pub fn sign(key: &SigningKey, module: &[u8]) -> String {
    let digest = crate::lifecycle::signed_digest(module);
    base64::engine::general_purpose::STANDARD.encode(key.sign(&digest).to_bytes())
}

/// Runs `oip keys ...`.
pub async fn keys(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Generate { out } => {
            let mut seed = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut seed);
            let key = SigningKey::from_bytes(&seed);
            write_secret(&out, &hex::encode(seed))?;
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
            eprintln!(
                "secret key written to {} (keep it private); the line above is the public key",
                out.display()
            );
        }
        KeysCommand::Add {
            region,
            public_key,
            remote,
        } => {
            let v = Client::new(&remote)?
                .post(
                    "/v1/keys",
                    json!({ "region": region, "public_key": public_key }),
                )
                .await?;
            println!("{}", v["id"].as_str().unwrap_or(""));
        }
        KeysCommand::List { remote } => print(&Client::new(&remote)?.get("/v1/keys").await?),
    }
    Ok(())
}

fn write_secret(path: &Path, hex_key: &str) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    writeln!(f, "{hex_key}")?;
    Ok(())
}

/// Runs `oip policy ...`.
pub async fn policy(cmd: PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::New {
            region,
            name_zh,
            name_en,
            effective_from,
            workspace,
        } => {
            let dir = new_crate(&workspace, &region, &name_zh, &name_en, &effective_from)?;
            println!("{}", dir.display());
            eprintln!(
                "fill in the figures in {}/src/lib.rs, add cases, then: oip policy test {region}",
                dir.display()
            );
        }
        PolicyCommand::Build { region, workspace } => {
            cargo(
                &workspace,
                &[
                    "build",
                    "--release",
                    "--target",
                    "wasm32-unknown-unknown",
                    "-p",
                    &package(&region),
                ],
            )?;
            println!("{}", module_path(&workspace, &region).display());
        }
        PolicyCommand::Test { region, workspace } => {
            cargo(&workspace, &["test", "-p", &package(&region)])?;
            let path = module_path(&workspace, &region);
            if !path.exists() {
                bail!(
                    "{} is not built: run `oip policy build {region}` first",
                    path.display()
                );
            }
            let (n, failures) =
                test_through_engine(&path, &crate_dir(&workspace, &region).join("cases"))?;
            if !failures.is_empty() {
                bail!(
                    "{} of {n} cases fail through the engine:\n{}",
                    failures.len(),
                    failures.join("\n")
                );
            }
            println!(
                "{n} cases pass natively and through the engine on {}",
                path.display()
            );
        }
        PolicyCommand::Sign { module, key } => {
            let key = read_secret(&key)?;
            let bytes = std::fs::read(&module)
                .with_context(|| format!("cannot read {}", module.display()))?;
            let sig_path = PathBuf::from(format!("{}.sig", module.display()));
            std::fs::write(&sig_path, sign(&key, &bytes) + "\n")?;
            println!("{}", sig_path.display());
        }
        PolicyCommand::Push {
            region,
            module,
            signature,
            cases,
            workspace,
            remote,
        } => {
            let bytes = std::fs::read(&module)
                .with_context(|| format!("cannot read {}", module.display()))?;
            let sig_path =
                signature.unwrap_or_else(|| PathBuf::from(format!("{}.sig", module.display())));
            let sig = std::fs::read_to_string(&sig_path).with_context(|| {
                format!(
                    "cannot read the signature {} (run oip policy sign)",
                    sig_path.display()
                )
            })?;
            let cases_dir = cases.unwrap_or_else(|| crate_dir(&workspace, &region).join("cases"));
            let body = json!({
                "module": base64::engine::general_purpose::STANDARD.encode(&bytes),
                "signature": sig.trim(),
                "cases": read_cases(&cases_dir)?,
            });
            let v = Client::new(&remote)?
                .post(&format!("/v1/regions/{region}/policies"), body)
                .await?;
            eprintln!("{}", version_line(&v));
            println!("{}", v["id"].as_str().unwrap_or(""));
        }
        PolicyCommand::Shadow {
            id,
            from,
            to,
            remote,
        } => {
            let c = Client::new(&remote)?;
            let mut body = json!({});
            if let Some(f) = from {
                body["from"] = json!(f);
            }
            if let Some(t) = to {
                body["to"] = json!(t);
            }
            let job = c.post(&format!("/v1/policies/{id}/shadow"), body).await?;
            let job_id = job["id"].as_str().unwrap_or_default().to_string();
            let done = wait(&c, &job_id).await?;
            summary(&done);
        }
        PolicyCommand::Approve { id, remote } => {
            let v = Client::new(&remote)?
                .post(&format!("/v1/policies/{id}/approve"), json!({}))
                .await?;
            println!("{}", version_line(&v));
        }
        PolicyCommand::Activate { id, at, remote } => {
            let body = match at {
                Some(t) => json!({ "at": t }),
                None => json!({}),
            };
            let v = Client::new(&remote)?
                .post(&format!("/v1/policies/{id}/activate"), body)
                .await?;
            println!("{}", version_line(&v));
        }
        PolicyCommand::Rollback { region, remote } => {
            let v = Client::new(&remote)?
                .post(&format!("/v1/regions/{region}/rollback"), json!({}))
                .await?;
            println!("rolled back: {}", version_line(&v["rolled_back"]));
            println!("in force:    {}", version_line(&v["in_force"]));
        }
        PolicyCommand::Redecide { id, remote } => {
            let c = Client::new(&remote)?;
            let job = c
                .post(&format!("/v1/policies/{id}/redecide"), json!({}))
                .await?;
            let done = wait(&c, job["id"].as_str().unwrap_or_default()).await?;
            let r = &done["report"];
            println!(
                "redecided {} claims; {} would be decided identically (left alone); {} not concerned; {} failed",
                r["redecided"], r["unchanged"], r["skipped"], r["failed"]
            );
        }
        PolicyCommand::List { region, remote } => {
            let v = Client::new(&remote)?
                .get(&format!("/v1/regions/{region}/policies"))
                .await?;
            for p in v["items"].as_array().into_iter().flatten() {
                println!("{}", version_line(p));
            }
        }
    }
    Ok(())
}

/// Polls a job until it ends, drawing a progress bar on stderr.
async fn wait(c: &Client, job_id: &str) -> anyhow::Result<Value> {
    loop {
        let j = c.get(&format!("/v1/jobs/{job_id}")).await?;
        let (done, total) = (
            j["done"].as_i64().unwrap_or(0),
            j["total"].as_i64().unwrap_or(0),
        );
        let frac = if total > 0 {
            done as f64 / total as f64
        } else {
            1.0
        };
        let filled = (frac * 30.0).round() as usize;
        let eta = j["eta_seconds"]
            .as_i64()
            .map_or(String::new(), |s| format!(" ETA {s}s"));
        eprint!(
            "\r[{}{}] {:>3.0}% {done}/{total}{eta}    ",
            "#".repeat(filled),
            ".".repeat(30 - filled.min(30)),
            frac * 100.0
        );
        match j["status"].as_str() {
            Some("running") => tokio::time::sleep(Duration::from_millis(300)).await,
            Some("done") => {
                eprintln!();
                return Ok(j);
            }
            other => {
                eprintln!();
                bail!("job {job_id} {}: {}", other.unwrap_or("?"), j["error"]);
            }
        }
    }
}

fn summary(job: &Value) {
    let r = &job["report"];
    println!(
        "shadow run {}: {} claims, {} unchanged, {} changed, {} failed ({} claims/s)",
        job["id"].as_str().unwrap_or(""),
        r["total"],
        r["unchanged"],
        r["changed"],
        r["failed"],
        r["claims_per_second"]
    );
    for t in r["outcome_changes"].as_array().into_iter().flatten() {
        println!(
            "  outcome {} -> {}: {}",
            t["from"].as_str().unwrap_or(""),
            t["to"].as_str().unwrap_or(""),
            t["count"]
        );
    }
    for b in r["benefits"].as_array().into_iter().flatten() {
        if b["claims_changed"].as_i64().unwrap_or(0) > 0 {
            println!(
                "  {} ({}): {} claims changed, total {} fen, min {} max {}",
                b["item"].as_str().unwrap_or(""),
                b["period"].as_str().unwrap_or(""),
                b["claims_changed"],
                b["sum_change_fen"],
                b["min_change_fen"],
                b["max_change_fen"]
            );
        }
    }
}

/// Runs a case folder through the engine on a module file: (cases, failures).
pub fn test_through_engine(module: &Path, cases: &Path) -> anyhow::Result<(usize, Vec<String>)> {
    let host = oip_engine::PolicyHost::new(oip_engine::HostConfig::default())?;
    let bytes = std::fs::read(module)?;
    let policy = host.load(&bytes)?;
    let dir = cases
        .to_str()
        .ok_or_else(|| anyhow!("case folder path is not UTF-8"))?;
    let cases = oip_sdk::cases::load_dir(dir).map_err(anyhow::Error::msg)?;
    let mut failures = Vec::new();
    for case in &cases {
        let result = match host.decide(&policy, &case.facts) {
            Ok(e) => Ok(e.decision),
            Err(oip_engine::Error::Guest { error, .. }) => Err(error),
            Err(e) => {
                failures.push(format!("{}: engine error {e}", case.path.display()));
                continue;
            }
        };
        if let Err(e) = oip_sdk::cases::check(case, &result) {
            failures.push(e);
        }
    }
    Ok((cases.len(), failures))
}

/// Writes a new region crate from the template.
pub fn new_crate(
    workspace: &Path,
    region: &str,
    name_zh: &str,
    name_en: &str,
    effective_from: &str,
) -> anyhow::Result<PathBuf> {
    if !crate::validate::REGIONS.contains(&region) {
        bail!("{region} is not an ISO 3166-2:CN code such as CN-SC");
    }
    let from = oip_engine::types::Date::parse(effective_from)
        .map_err(|_| anyhow!("--effective-from must be YYYY-MM-DD"))?;
    let dir = crate_dir(workspace, region);
    if dir.exists() {
        bail!("{} exists already", dir.display());
    }
    let lower = region.to_lowercase();
    let ty = name_en
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>();
    let ty = if ty.is_empty() || ty.starts_with(|c: char| c.is_ascii_digit()) {
        format!("Region{}", lower.replace("cn-", "").to_uppercase())
    } else {
        ty
    };
    let fill = |t: &str| {
        t.replace("{CODE}", region)
            .replace("{code}", &lower)
            .replace("{NAME_ZH}", name_zh)
            .replace("{NAME_EN}", name_en)
            .replace("{TYPE}", &ty)
            .replace("{Y}", &from.year.to_string())
            .replace("{M}", &from.month.to_string())
            .replace("{D}", &from.day.to_string())
    };
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("cases"))?;
    std::fs::write(dir.join("Cargo.toml"), fill(TEMPLATE_CARGO))?;
    std::fs::write(dir.join("src/lib.rs"), fill(TEMPLATE_LIB))?;
    let day_before = from.add_days(-1).to_string();
    let case = fill(TEMPLATE_CASE)
        .replace("{BEFORE}", &day_before)
        .replace("{FROM}", &from.to_string());
    std::fs::write(dir.join("cases/error_before_effective_window.json"), case)?;
    Ok(dir)
}

const TEMPLATE_CARGO: &str = r#"[package]
name = "oip-policy-{code}"
description = "Occupational injury protection policy of {NAME_EN} ({CODE})."
edition.workspace = true
version.workspace = true
license.workspace = true

[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
oip-sdk.workspace = true

[dev-dependencies]
oip-sdk = { workspace = true, features = ["testing"] }

[lints]
workspace = true
"#;

const TEMPLATE_LIB: &str = r#"//! {NAME_EN} ({NAME_ZH}, {CODE}): occupational injury protection for platform workers.
//! Made by `oip policy new`: every figure below is a placeholder marked `Missing` until you
//! replace it with the published one and its source (see docs/policy-authoring.md).

use oip_sdk::types::Confidence::Missing;
use oip_sdk::{Cite, Policy, Region, Sourced, YearFigure, date, export_policy};

/// {NAME_EN}'s figures, each with its source.
pub static REGION: Region = Region {
    code: "{CODE}",
    name_zh: "{NAME_ZH}",
    name_en: "{NAME_EN}",
    policy_version: "{Y}.1",
    effective_from: date({Y}, {M}, {D}),
    effective_to: None,
    in_force: ("TODO: the act that puts the scheme in force", Missing),
    wage_base: &[YearFigure {
        year: {Y},
        fen: 0,
        source: "TODO: the average monthly wage and its source",
        confidence: Missing,
    }],
    min_wage: Sourced {
        value: 0,
        source: "TODO: the minimum monthly wage and its source",
        confidence: Missing,
    },
    hospital_meal_per_day: None,
    citations: &CITATIONS,
};

const CITATIONS: [Cite; 1] = [Cite {
    id: "in-force-{code}",
    title: "TODO: the act that puts the scheme in force",
    source: "TODO",
}];

/// The {NAME_EN} policy.
pub struct {TYPE};

impl Policy for {TYPE} {
    fn region() -> &'static Region {
        &REGION
    }
}

export_policy!({TYPE});

#[cfg(test)]
mod tests {
    #[test]
    fn cases_pass_natively() {
        oip_sdk::cases::assert_dir::<super::{TYPE}>(concat!(env!("CARGO_MANIFEST_DIR"), "/cases"));
    }
}
"#;

const TEMPLATE_CASE: &str = r#"{
  "description": "Incident on {BEFORE}, the day before the policy takes effect ({FROM}): the module refuses to decide.",
  "facts": {
    "region": "{CODE}",
    "industry": "instant_delivery",
    "order": { "accepted_at": "{BEFORE}T10:02:00+08:00", "completed_at": "{BEFORE}T10:48:00+08:00" },
    "incident": { "occurred_at": "{BEFORE}T10:15:00+08:00", "kind": "order_accident", "on_reasonable_route": true, "worker_fault": "none" },
    "exclusions": { "intentional_crime": false, "intoxicated_or_drugged": false, "self_harm": false },
    "medical": { "first_treatment_at": "{BEFORE}T10:50:00+08:00", "outpatient_fen": 120000, "inpatient_fen": 0, "out_of_catalogue_fen": 0, "inpatient_days": 0, "treated_outside_region": false },
    "assessment": { "disability_grade": null, "care_level": null, "assessed_at": null },
    "death": null,
    "dependants": [],
    "application": { "applicant": "platform", "applied_at": "{BEFORE}T16:00:00+08:00", "late_statement": false, "complete_at": null },
    "documents": ["benefit_application_form", "consent_form", "id_card", "order_record", "incident_statement", "diagnosis", "medical_receipts"]
  },
  "expected_error": { "code": "outside_effective_window", "field": "incident.occurred_at" }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_fills_every_placeholder() {
        let dir = std::env::temp_dir().join(format!("oip-new-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let made = new_crate(&dir, "CN-XZ", "西藏", "Tibet", "2026-03-01").expect("new crate");
        for f in [
            "Cargo.toml",
            "src/lib.rs",
            "cases/error_before_effective_window.json",
        ] {
            let text = std::fs::read_to_string(made.join(f)).expect("file");
            assert!(
                !text.contains("{CODE}") && !text.contains("{TYPE}") && !text.contains("{BEFORE}"),
                "{f}"
            );
        }
        let lib = std::fs::read_to_string(made.join("src/lib.rs")).expect("lib");
        assert!(lib.contains("date(2026, 3, 1)") && lib.contains("pub struct Tibet;"));
        let case: Value = serde_json::from_str(
            &std::fs::read_to_string(made.join("cases/error_before_effective_window.json"))
                .expect("case"),
        )
        .expect("case JSON");
        assert_eq!(
            case["facts"]["incident"]["occurred_at"],
            "2026-02-28T10:15:00+08:00"
        );
        assert!(
            new_crate(&dir, "CN-XZ", "西藏", "Tibet", "2026-03-01").is_err(),
            "exists"
        );
        assert!(
            new_crate(&dir, "XX-00", "", "", "2026-03-01").is_err(),
            "bad region"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_signature_covers_the_module_digest() {
        use ed25519_dalek::Verifier;
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let sig = sign(&key, b"module bytes");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .expect("base64");
        let sig = ed25519_dalek::Signature::from_slice(&raw).expect("signature");
        let digest = crate::lifecycle::signed_digest(b"module bytes");
        assert!(key.verifying_key().verify(&digest, &sig).is_ok());
        let other = crate::lifecycle::signed_digest(b"module bytes!");
        assert!(key.verifying_key().verify(&other, &sig).is_err());
    }
}
