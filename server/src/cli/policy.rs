//! `oip policy ...`: the policy lifecycle for provincial IT. The local commands (`new`,
//! `build`, `test`, `sign`) work on the policy workspace and files; the others call a server's
//! API with a token.

use super::client::{Client, Remote};
use super::keys::{read_secret, sign_release};
use crate::api::policies::ActivateRequest;
use crate::api::views::{JobView, List, PolicyVersionView, RollbackView};
use crate::domain::JobStatus;
use crate::jobs::{JobReport, ShadowRequest};
use crate::policies::upload::UploadCase;
use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

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
        /// The policy workspace [default: the `policies/` folder of the repository the
        /// current folder is in].
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Build a region's module (.wasm) in the policy workspace; prints its path.
    Build {
        /// Region code, e.g. CN-SC.
        region: String,
        /// The policy workspace [default: the `policies/` folder of the repository the
        /// current folder is in].
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Run a region's cases natively (cargo test) and through the engine on the built module.
    Test {
        /// Region code, e.g. CN-SC.
        region: String,
        /// The policy workspace [default: the `policies/` folder of the repository the
        /// current folder is in].
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Decide facts locally with a module file, as the server would, with nothing sent or
    /// stored: prints the decision and the module's provenance as JSON (exit status 1 when the
    /// facts are refused or the module cannot decide them).
    Eval {
        /// The .wasm file.
        #[arg(long)]
        module: PathBuf,
        /// The facts: `{"facts": ...}` as a policy reads them, a claim report as a platform
        /// submits it (validated as intake validates it), or a case file (its facts).
        facts: PathBuf,
        /// Also list, on stderr, each rule the decision applied and each figure it read, with
        /// its period, source and confidence.
        #[arg(long)]
        trace: bool,
    },
    /// Sign a module's release: writes `<module>.sig`, the signature over the release
    /// statement (region, policy, version, window, WIT version, the file's SHA-256 and the
    /// release number) with the release number, as JSON. An ed25519 key signs for a standard
    /// server; an SM2 key (`keys generate --crypto gm`) for a gm server, its statement also
    /// naming the file's SM3.
    Sign {
        /// The .wasm file.
        module: PathBuf,
        /// The secret key file (from `oip keys generate`).
        #[arg(long)]
        key: PathBuf,
        /// The release number: above every earlier release of the region (the server refuses
        /// an older one; going back is `oip policy rollback`).
        #[arg(long)]
        release: u64,
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
        /// The policy workspace [default: the `policies/` folder of the repository the
        /// current folder is in].
        #[arg(long)]
        workspace: Option<PathBuf>,
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

pub(crate) fn crate_dir(workspace: &Path, region: &str) -> PathBuf {
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

fn version_line(v: &PolicyVersionView) -> String {
    format!(
        "{} {} {} [{}] {}..{}",
        v.region,
        v.version,
        v.sha256,
        v.status,
        v.effective_from,
        v.effective_to.as_deref().unwrap_or(""),
    )
}

/// Reads a case folder as the upload carries it: each file, named by its file name.
pub fn read_cases(dir: &Path) -> anyhow::Result<Vec<UploadCase>> {
    let mut out = Vec::new();
    for p in case_files(dir)? {
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or("case");
        let bytes = std::fs::read(&p)?;
        out.push(UploadCase::from_file(name, &bytes).map_err(|e| anyhow!("{}: {e}", p.display()))?);
    }
    Ok(out)
}

/// The case files of a folder (`*.json`), in name order.
fn case_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The policy workspace: the one given, else the `policies/` folder of the repository the
/// current folder is in (the nearest folder upwards that is, or holds, `policies/` with its
/// `Cargo.toml`), else `./policies`.
fn workspace_of(given: Option<PathBuf>) -> PathBuf {
    if let Some(w) = given {
        return w;
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    for dir in cwd.ancestors() {
        if dir.file_name().is_some_and(|n| n == "policies") && dir.join("Cargo.toml").is_file() {
            return dir.to_path_buf();
        }
        let ws = dir.join("policies");
        if ws.join("Cargo.toml").is_file() {
            return ws;
        }
    }
    PathBuf::from("policies")
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
            let workspace = workspace_of(workspace);
            let dir = super::template::new_crate(
                &workspace,
                &region,
                &name_zh,
                &name_en,
                &effective_from,
            )?;
            println!("{}", dir.display());
            eprintln!(
                "fill in the figures (and their sources) in {}/src/lib.rs, record the same \
                 figures in policies/tools/parameters.json and generate the cases (python3 \
                 policies/tools/casegen.py {region}; docs/policy-authoring.md, section 8), then: \
                 oip policy build {region} && oip policy test {region}",
                dir.display()
            );
        }
        PolicyCommand::Build { region, workspace } => {
            let workspace = workspace_of(workspace);
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
        PolicyCommand::Eval {
            module,
            facts,
            trace,
        } => super::eval::eval(&module, &facts, trace)?,
        PolicyCommand::Test { region, workspace } => {
            let workspace = workspace_of(workspace);
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
        PolicyCommand::Sign {
            module,
            key,
            release,
        } => {
            let key = read_secret(&key)?;
            let bytes = std::fs::read(&module)
                .with_context(|| format!("cannot read {}", module.display()))?;
            let host = oip_engine::PolicyHost::new(oip_engine::HostConfig::default())?;
            let file = sign_release(&host, &key, &bytes, release)?;
            let sig_path = PathBuf::from(format!("{}.sig", module.display()));
            std::fs::write(&sig_path, serde_json::to_string(&file)? + "\n")?;
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
            let workspace = workspace_of(workspace);
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
            crate::policies::release::SignatureFile::parse(&sig)
                .map_err(|e| anyhow!("{}: {e}", sig_path.display()))?;
            let cases_dir = cases.unwrap_or_else(|| crate_dir(&workspace, &region).join("cases"));
            read_cases(&cases_dir)?; // each case file checked here, before anything is sent
            // The module as its raw bytes, the .sig file and the case files, as the console's
            // form sends them.
            use reqwest::multipart::{Form, Part};
            let file_name = |p: &Path| {
                p.file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default()
            };
            let mut form = Form::new()
                .part("module", Part::bytes(bytes).file_name(file_name(&module)))
                .part("signature", Part::text(sig).file_name(file_name(&sig_path)));
            for p in case_files(&cases_dir)? {
                form = form.part(
                    "cases",
                    Part::bytes(std::fs::read(&p)?).file_name(file_name(&p)),
                );
            }
            let v: PolicyVersionView = Client::new(&remote)?
                .post_form(&format!("/v1/regions/{region}/policies"), form)
                .await?;
            eprintln!("{}", version_line(&v));
            println!("{}", v.id);
        }
        PolicyCommand::Shadow {
            id,
            from,
            to,
            remote,
        } => {
            let c = Client::new(&remote)?;
            let job: JobView = c
                .post(
                    &format!("/v1/policies/{id}/shadow"),
                    &ShadowRequest { from, to },
                )
                .await?;
            let done = wait(&c, &job.id).await?;
            summary(&done);
        }
        PolicyCommand::Approve { id, remote } => {
            let v: PolicyVersionView = Client::new(&remote)?
                .post(&format!("/v1/policies/{id}/approve"), &())
                .await?;
            println!("{}", version_line(&v));
        }
        PolicyCommand::Activate { id, at, remote } => {
            let v: PolicyVersionView = Client::new(&remote)?
                .post(
                    &format!("/v1/policies/{id}/activate"),
                    &ActivateRequest { at },
                )
                .await?;
            println!("{}", version_line(&v));
        }
        PolicyCommand::Rollback { region, remote } => {
            let v: RollbackView = Client::new(&remote)?
                .post(&format!("/v1/regions/{region}/rollback"), &())
                .await?;
            println!("rolled back: {}", version_line(&v.rolled_back));
            match &v.in_force {
                Some(p) => println!("in force:    {}", version_line(p)),
                None => println!("in force:    none"),
            }
        }
        PolicyCommand::Redecide { id, remote } => {
            let c = Client::new(&remote)?;
            let job: JobView = c.post(&format!("/v1/policies/{id}/redecide"), &()).await?;
            let done = wait(&c, &job.id).await?;
            if let Some(JobReport::Redecide(r)) = &done.report {
                println!(
                    "redecided {} claims; {} would be decided identically (left alone); {} not concerned; {} failed",
                    r.redecided, r.unchanged, r.skipped, r.failed
                );
            }
        }
        PolicyCommand::List { region, remote } => {
            let v: List<PolicyVersionView> = Client::new(&remote)?
                .get(&format!("/v1/regions/{region}/policies"))
                .await?;
            for p in &v.items {
                println!("{}", version_line(p));
            }
        }
    }
    Ok(())
}

/// Polls a job until it ends, drawing a progress bar on stderr.
async fn wait(c: &Client, job_id: &str) -> anyhow::Result<JobView> {
    loop {
        let j: JobView = c.get(&format!("/v1/jobs/{job_id}")).await?;
        let frac = if j.total > 0 {
            j.done as f64 / j.total as f64
        } else {
            1.0
        };
        let filled = (frac * 30.0).round() as usize;
        let eta = j
            .eta_seconds
            .map_or(String::new(), |s| format!(" ETA {s}s"));
        eprint!(
            "\r[{}{}] {:>3.0}% {}/{}{eta}    ",
            "#".repeat(filled),
            ".".repeat(30 - filled.min(30)),
            frac * 100.0,
            j.done,
            j.total
        );
        match j.status {
            JobStatus::Running => tokio::time::sleep(Duration::from_millis(300)).await,
            JobStatus::Done => {
                eprintln!();
                return Ok(j);
            }
            other => {
                eprintln!();
                bail!("job {job_id} {other}: {}", j.error.unwrap_or_default());
            }
        }
    }
}

fn summary(job: &JobView) {
    let Some(JobReport::Shadow(r)) = &job.report else {
        println!("shadow run {}: no report", job.id);
        return;
    };
    println!(
        "shadow run {}: {} claims, {} unchanged, {} changed, {} failed ({} claims/s)",
        job.id, r.total, r.unchanged, r.changed, r.failed, r.claims_per_second
    );
    for t in &r.outcome_changes {
        println!("  outcome {} -> {}: {}", t.from, t.to, t.count);
    }
    for b in r.benefits.iter().filter(|b| b.claims_changed > 0) {
        println!(
            "  {} ({}): {} claims changed, total {} fen, min {} max {}",
            crate::notice::code(&b.item),
            crate::notice::code(&b.period),
            b.claims_changed,
            b.sum_change_fen,
            b.min_change_fen.unwrap_or_default(),
            b.max_change_fen.unwrap_or_default()
        );
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
    let cases = oip_engine::types::cases::load_dir(dir).map_err(anyhow::Error::msg)?;
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
        if let Err(e) = oip_engine::types::cases::check(case, &result) {
            failures.push(e);
        }
    }
    Ok((cases.len(), failures))
}
