//! The flags of `oip serve` (and of every command that opens the server's data), how they
//! combine with the config file and the defaults into one [`Config`], and `oip config show`,
//! which prints the effective configuration with where each value came from.

use crate::config::{Config, FileConfig};
use clap::{ArgMatches, Args, parser::ValueSource};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the server's data and keys are (the flags of `oip serve`).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML config file (keys as in `Config`); flags and OIP_* variables win over it.
    #[arg(long, env = "OIP_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "OIP_BIND")]
    bind: Option<SocketAddr>,
    /// Data directory: SQLite database, key file, compiled-code cache [default: ./oip-data].
    #[arg(long, env = "OIP_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL; without it the server uses SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Admin token created on first start when none exists.
    #[arg(long, env = "OIP_BOOTSTRAP_TOKEN", hide_env_values = true)]
    bootstrap_token: Option<String>,
    /// The key file of earlier versions, imported as the first data key of a new database
    /// [default: <data-dir>/oip.key].
    #[arg(long, env = "OIP_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The master key file, 64 hex digits, the same on every instance
    /// [default: <data-dir>/master.key, made on first start].
    #[arg(long, env = "OIP_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// The master key itself, 64 hex digits, instead of a file.
    #[arg(long, env = "OIP_MASTER_KEY", hide_env_values = true)]
    master_key: Option<String>,
    /// The algorithms: standard (AES-256-GCM, SHA-256, ed25519) or gm (SM4-GCM, SM3, SM2),
    /// fixed when the database is made [default: standard].
    #[arg(long, env = "OIP_CRYPTO", value_enum)]
    crypto: Option<crate::crypto::Profile>,
    /// Extra policy module to deploy at start (repeatable): unsigned and unapproved, so only
    /// with --dev-unsigned-policies.
    #[arg(long = "policy")]
    policies: Vec<PathBuf>,
    /// Development only: let --policy modules go live with no signature and no four eyes
    /// (logged at every start, reported by /readyz, audited).
    #[arg(long, env = "OIP_DEV_UNSIGNED_POLICIES")]
    dev_unsigned_policies: bool,
    /// Mark the console's cookies `Secure`: set it when the console is reached over HTTPS
    /// through a proxy (always so with --tls-cert).
    #[arg(long, env = "OIP_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Serve HTTPS with this certificate chain (PEM), with --tls-key.
    #[arg(long, env = "OIP_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "OIP_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// More certificate authorities (PEM) to trust for webhooks, beside the built-in roots.
    #[arg(long, env = "OIP_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Development only: accept http:// webhook URLs.
    #[arg(long, env = "OIP_DEV_HTTP_WEBHOOKS")]
    dev_http_webhooks: bool,
    /// Requests per second one token may make on average, 0 for no limit [default: 200].
    #[arg(long, env = "OIP_TOKEN_REQUESTS_PER_SECOND")]
    token_requests_per_second: Option<u32>,
    /// Failed authentications per minute from one address before it is refused for a while,
    /// 0 for no limit [default: 30].
    #[arg(long, env = "OIP_AUTH_FAILURES_PER_MINUTE")]
    auth_failures_per_minute: Option<u32>,
    /// Connections served at once [default: 4096].
    #[arg(long, env = "OIP_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Lump sums in fen above which an approval needs a second adjuster [default: 10000000];
    /// per region in the config file (`[four_eyes_thresholds]`).
    #[arg(long, env = "OIP_FOUR_EYES_THRESHOLD_FEN")]
    four_eyes_threshold_fen: Option<u64>,
    /// Approve fast-track decisions automatically: true or false [default: true].
    #[arg(long, env = "OIP_STRAIGHT_THROUGH")]
    straight_through: Option<bool>,
    /// Share of straight-through approvals sampled for quality review, in basis points
    /// (0 to 10000) [default: 500].
    #[arg(long, env = "OIP_QUALITY_SAMPLE_BP")]
    quality_sample_bp: Option<u64>,
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Source {
    /// Nobody set it.
    Default,
    /// The config file.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// A command-line flag.
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Env(v) => write!(f, "environment {v}"),
            Source::Flag(l) => write!(f, "flag {l}"),
        }
    }
}

/// Records, key by key (the config file's names), where each value came from.
struct Origins<'a> {
    matches: Option<&'a ArgMatches>,
    /// The flags' definitions, to name a flag and its variable; only `show` needs them, so a
    /// server's start does not build them.
    command: Option<clap::Command>,
    file: Option<PathBuf>,
    seen: BTreeMap<&'static str, Source>,
}

impl Origins<'_> {
    /// The flag's (or its variable's) value, else the file's; records which. The flag's id is
    /// the file's key.
    fn pick<T>(&mut self, key: &'static str, flag: Option<T>, file: Option<T>) -> Option<T> {
        let (value, source) = match (flag, file) {
            (Some(v), _) => (Some(v), self.of_arg(key)),
            (None, Some(v)) => (Some(v), self.of_file()),
            (None, None) => (None, Source::Default),
        };
        self.seen.insert(key, source);
        value
    }

    /// A value only the file sets.
    fn file<T>(&mut self, key: &'static str, file: Option<T>) -> Option<T> {
        let source = if file.is_some() {
            self.of_file()
        } else {
            Source::Default
        };
        self.seen.insert(key, source);
        file
    }

    /// A switch: on when the flag or the file says so.
    fn switch(&mut self, key: &'static str, flag: bool, file: Option<bool>) -> bool {
        self.pick(key, flag.then_some(true), file).unwrap_or(false)
    }

    fn of_file(&self) -> Source {
        Source::File(self.file.clone().unwrap_or_default())
    }

    fn of_arg(&self, id: &str) -> Source {
        let arg = self
            .command
            .as_ref()
            .and_then(|c| c.get_arguments().find(|a| a.get_id() == id));
        let env = arg
            .and_then(|a| a.get_env())
            .map(|e| e.to_string_lossy().into_owned());
        let flag = format!("--{}", arg.and_then(|a| a.get_long()).unwrap_or(id));
        match (self.matches.and_then(|m| m.value_source(id)), env) {
            (Some(ValueSource::EnvVariable), Some(env)) => Source::Env(env),
            _ => Source::Flag(flag),
        }
    }
}

/// The configuration the flags, the variables and the file make.
pub(super) fn config(args: ServeArgs) -> anyhow::Result<Config> {
    Ok(sourced(args, None, None)?.0)
}

/// The configuration, and where each of its keys came from (`matches`: what clap parsed, to
/// tell a flag from its environment variable).
fn sourced(
    args: ServeArgs,
    matches: Option<&ArgMatches>,
    command: Option<clap::Command>,
) -> anyhow::Result<(Config, BTreeMap<&'static str, Source>)> {
    let file = match &args.config {
        Some(p) => FileConfig::read(p).map_err(anyhow::Error::msg)?,
        None => FileConfig::default(),
    };
    let mut o = Origins {
        matches,
        command,
        file: args.config.clone(),
        seen: BTreeMap::new(),
    };
    // Every key of the file, by name: a key added to `FileConfig` does not compile until it is
    // read here (and so shown by `oip config show`).
    let FileConfig {
        bind,
        data_dir,
        database_url,
        bootstrap_token,
        key_file,
        master_key_file,
        crypto,
        policies,
        dev_unsigned_policies,
        body_limit_bytes,
        request_timeout_seconds,
        token_requests_per_second,
        token_burst,
        auth_failures_per_minute,
        header_read_timeout_seconds,
        max_connections,
        audit_checkpoint_file,
        audit_checkpoint_key,
        secure_cookies,
        tls_cert,
        tls_key,
        ca_file,
        dev_http_webhooks,
        console_idle_minutes,
        console_session_hours,
        four_eyes_threshold_fen,
        four_eyes_thresholds,
        determination_working_days,
        personal_data_retention_days,
        straight_through,
        quality_sample_bp,
        max_attempts,
        retry_backoff_seconds,
    } = file;
    let data_dir = o
        .pick("data_dir", args.data_dir, data_dir)
        .unwrap_or_else(|| PathBuf::from("oip-data"));
    let mut c = Config::new(data_dir);
    if let Some(b) = o.pick("bind", args.bind, bind) {
        c.bind = b;
    }
    c.database_url = o
        .pick("database_url", args.database_url, database_url)
        .filter(|u| !u.is_empty());
    c.bootstrap_token = o
        .pick("bootstrap_token", args.bootstrap_token, bootstrap_token)
        .filter(|t| !t.is_empty());
    c.key_file = o.pick("key_file", args.key_file, key_file);
    c.master_key_file = o.pick("master_key_file", args.master_key_file, master_key_file);
    c.master_key = o
        .pick("master_key", args.master_key, None)
        .filter(|k| !k.is_empty())
        .map(|k| crate::crypto::MasterKey::from_hex(&k))
        .transpose()
        .map_err(|e| anyhow::anyhow!("OIP_MASTER_KEY: {e}"))?;
    if let Some(p) = o.pick("crypto", args.crypto, crypto) {
        c.crypto = p;
    }
    let flagged = (!args.policies.is_empty()).then_some(args.policies);
    c.policies = o.pick("policies", flagged, policies).unwrap_or_default();
    c.dev_unsigned_policies = o.switch(
        "dev_unsigned_policies",
        args.dev_unsigned_policies,
        dev_unsigned_policies,
    );
    if let Some(n) = o.file("body_limit_bytes", body_limit_bytes) {
        c.body_limit_bytes = n;
    }
    if let Some(s) = o.file("request_timeout_seconds", request_timeout_seconds) {
        c.request_timeout = Duration::from_secs(s);
    }
    if let Some(n) = o.pick(
        "token_requests_per_second",
        args.token_requests_per_second,
        token_requests_per_second,
    ) {
        c.limits.token_requests_per_second = n;
    }
    if let Some(n) = o.file("token_burst", token_burst) {
        c.limits.token_burst = n;
    }
    if let Some(n) = o.pick(
        "auth_failures_per_minute",
        args.auth_failures_per_minute,
        auth_failures_per_minute,
    ) {
        c.limits.auth_failures_per_minute = n;
    }
    if let Some(s) = o.file("header_read_timeout_seconds", header_read_timeout_seconds) {
        c.header_read_timeout = Duration::from_secs(s.max(1));
    }
    if let Some(n) = o.pick("max_connections", args.max_connections, max_connections) {
        c.max_connections = n.max(1);
    }
    c.audit_checkpoint_file = o.file("audit_checkpoint_file", audit_checkpoint_file);
    c.audit_checkpoint_key = o.file("audit_checkpoint_key", audit_checkpoint_key);
    c.secure_cookies = o.switch("secure_cookies", args.secure_cookies, secure_cookies);
    if let Some(f) = o.pick(
        "four_eyes_threshold_fen",
        args.four_eyes_threshold_fen,
        four_eyes_threshold_fen,
    ) {
        c.four_eyes_threshold_fen = f;
    }
    if let Some(t) = o.file("four_eyes_thresholds", four_eyes_thresholds) {
        known_regions("four_eyes_thresholds", &t)?;
        c.four_eyes_thresholds = t;
    }
    if let Some(t) = o.file("determination_working_days", determination_working_days) {
        known_regions("determination_working_days", &t)?;
        let longer: Vec<String> = t
            .iter()
            .filter(|(_, d)| !(1..=30).contains(*d))
            .map(|(r, d)| format!("{r} = {d}"))
            .collect();
        anyhow::ensure!(
            longer.is_empty(),
            "determination_working_days: {longer:?}: a region may shorten the 30 working days, \
             not lengthen them (1 to 30)"
        );
        c.determination_working_days = t;
    }
    c.personal_data_retention_days =
        o.file("personal_data_retention_days", personal_data_retention_days);
    if let Some(s) = o.pick("straight_through", args.straight_through, straight_through) {
        c.straight_through = s;
    }
    if let Some(bp) = o.pick(
        "quality_sample_bp",
        args.quality_sample_bp,
        quality_sample_bp,
    ) {
        anyhow::ensure!(
            bp <= 10_000,
            "quality_sample_bp: {bp} is above 10000 (100 %)"
        );
        c.quality_sample_bp = bp;
    }
    if let Some(n) = o.file("max_attempts", max_attempts) {
        c.max_attempts = n.max(1);
    }
    if let Some(s) = o.file("retry_backoff_seconds", retry_backoff_seconds) {
        c.retry_backoff_seconds = s.max(1);
    }
    c.tls_cert = o.pick("tls_cert", args.tls_cert, tls_cert);
    c.tls_key = o.pick("tls_key", args.tls_key, tls_key);
    c.ca_file = o.pick("ca_file", args.ca_file, ca_file);
    c.dev_http_webhooks = o.switch(
        "dev_http_webhooks",
        args.dev_http_webhooks,
        dev_http_webhooks,
    );
    if let Some(m) = o.file("console_idle_minutes", console_idle_minutes) {
        c.console_idle = Duration::from_secs(m.max(1) * 60);
    }
    if let Some(h) = o.file("console_session_hours", console_session_hours) {
        c.console_session = Duration::from_secs(h.max(1) * 3600);
    }
    Ok((c, o.seen))
}

/// Refuses a per-region table naming a region that is not one.
fn known_regions<T>(key: &str, table: &std::collections::HashMap<String, T>) -> anyhow::Result<()> {
    let unknown: Vec<&String> = table
        .keys()
        .filter(|r| !crate::domain::REGIONS.contains(&r.as_str()))
        .collect();
    anyhow::ensure!(
        unknown.is_empty(),
        "{key}: {unknown:?} are not ISO 3166-2:CN region codes"
    );
    Ok(())
}

/// A URL with its password (if any) replaced by `****`.
fn without_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The effective configuration in the config file's keys, as TOML: what `oip config show`
/// prints. Secrets are left out (`None`), and said to be set by [`show`].
fn effective(c: &Config) -> FileConfig {
    let secs = |d: Duration| Some(d.as_secs());
    FileConfig {
        bind: Some(c.bind),
        data_dir: Some(c.data_dir.clone()),
        database_url: c.database_url.as_deref().map(without_password),
        bootstrap_token: None,
        key_file: Some(c.key_path()),
        master_key_file: Some(c.master_key_path()),
        crypto: Some(c.crypto),
        policies: Some(c.policies.clone()),
        dev_unsigned_policies: Some(c.dev_unsigned_policies),
        body_limit_bytes: Some(c.body_limit_bytes),
        request_timeout_seconds: secs(c.request_timeout),
        token_requests_per_second: Some(c.limits.token_requests_per_second),
        token_burst: Some(c.limits.token_burst),
        auth_failures_per_minute: Some(c.limits.auth_failures_per_minute),
        header_read_timeout_seconds: secs(c.header_read_timeout),
        max_connections: Some(c.max_connections),
        audit_checkpoint_file: Some(c.checkpoint_file()),
        audit_checkpoint_key: Some(c.checkpoint_key()),
        secure_cookies: Some(c.secure_cookies),
        tls_cert: c.tls_cert.clone(),
        tls_key: c.tls_key.clone(),
        ca_file: c.ca_file.clone(),
        dev_http_webhooks: Some(c.dev_http_webhooks),
        console_idle_minutes: Some(c.console_idle.as_secs() / 60),
        console_session_hours: Some(c.console_session.as_secs() / 3600),
        four_eyes_threshold_fen: Some(c.four_eyes_threshold_fen),
        four_eyes_thresholds: Some(c.four_eyes_thresholds.clone()),
        determination_working_days: Some(c.determination_working_days.clone()),
        personal_data_retention_days: c.personal_data_retention_days,
        straight_through: Some(c.straight_through),
        quality_sample_bp: Some(c.quality_sample_bp),
        max_attempts: Some(c.max_attempts),
        retry_backoff_seconds: Some(c.retry_backoff_seconds),
    }
}

/// `oip config show`: the effective configuration as a TOML file would hold it, each key with
/// where its value came from; a key with no value (or a secret) as a comment.
pub(super) fn show(args: ServeArgs, matches: Option<&ArgMatches>) -> anyhow::Result<String> {
    let (c, sources) = sourced(
        args,
        matches,
        Some(ServeArgs::augment_args(clap::Command::new("oip"))),
    )?;
    let text = toml::to_string(&effective(&c))?;
    let mut out = String::from(
        "# The effective configuration of `oip serve` with these flags, variables and file;\n\
         # after each key, where its value came from.\n",
    );
    let mut shown = Vec::new();
    let mut table = false;
    for line in text.lines() {
        let key = line.split(" = ").next().unwrap_or_default().trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = true;
            let source = sources.get(name).cloned().unwrap_or(Source::Default);
            out.push_str(&format!("{line}  # {source}\n"));
            shown.push(name.to_string());
        } else if table || line.is_empty() {
            out.push_str(line);
            out.push('\n');
        } else {
            let source = sources.get(key).cloned().unwrap_or(Source::Default);
            out.push_str(&format!("{line}  # {source}\n"));
            shown.push(key.to_string());
        }
    }
    let mut unset = String::new();
    for (key, source) in &sources {
        if shown.iter().any(|s| s == key) {
            continue;
        }
        let state = match (*key, source) {
            ("bootstrap_token" | "master_key", Source::Default) => "not set",
            ("bootstrap_token" | "master_key", _) => "set (not shown)",
            _ => "not set",
        };
        unset.push_str(&format!("# {key}: {state}  # {source}\n"));
    }
    // Unset keys before any table, so that the text stays a valid config file.
    match out.find("\n[") {
        Some(at) => out.insert_str(at + 1, &unset),
        None => out.push_str(&unset),
    }
    Ok(out)
}

/// Parses the process's arguments, keeping clap's matches (for [`show`]'s sources).
pub(super) fn parse<C: clap::Parser>() -> (C, ArgMatches) {
    let matches = C::command().get_matches();
    match C::from_arg_matches(&matches) {
        Ok(c) => (c, matches),
        Err(e) => e.exit(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn from(args: &[&str]) -> anyhow::Result<Config> {
        config(Serve::try_parse_from(std::iter::once("oip").chain(args.iter().copied()))?.args)
    }

    /// The business settings were not settings: a config file and flags set them now, the
    /// flag winning over the file, and a wrong value stops the start.
    #[test]
    fn business_settings_come_from_the_config_file_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("oip-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("oip.toml");
        std::fs::write(
            &file,
            "four_eyes_threshold_fen = 5000000\nstraight_through = false\nquality_sample_bp = 1000\n\
             max_attempts = 3\n[four_eyes_thresholds]\nCN-BJ = 2000000\n",
        )
        .expect("write");
        let path = file.to_str().expect("utf-8");
        let c = from(&["--config", path]).expect("config");
        assert_eq!(c.four_eyes_threshold_fen, 5_000_000);
        assert!(!c.straight_through);
        assert_eq!(c.quality_sample_bp, 1_000);
        assert_eq!(c.max_attempts, 3);
        assert_eq!(c.four_eyes_thresholds.get("CN-BJ"), Some(&2_000_000));
        let c = from(&[
            "--config",
            path,
            "--four-eyes-threshold-fen",
            "7",
            "--straight-through",
            "true",
        ])
        .expect("config");
        assert_eq!(c.four_eyes_threshold_fen, 7);
        assert!(c.straight_through);
        assert!(from(&["--quality-sample-bp", "10001"]).is_err());
        // `oip config show` says where each value came from, and what it prints is a config
        // file that makes the same configuration.
        let args =
            Serve::try_parse_from(["oip", "--config", path, "--four-eyes-threshold-fen", "7"])
                .expect("args")
                .args;
        let shown = show(args, None).expect("show");
        for line in [
            format!("four_eyes_threshold_fen = 7  # flag --four-eyes-threshold-fen"),
            format!("max_attempts = 3  # file {path}"),
            format!("bind = \"127.0.0.1:8080\"  # default"),
            format!("[four_eyes_thresholds]  # file {path}"),
            format!("# bootstrap_token: not set  # default"),
        ] {
            assert!(shown.lines().any(|l| l == line), "no `{line}` in:\n{shown}");
        }
        let again = dir.join("shown.toml");
        std::fs::write(&again, &shown).expect("write");
        let c = from(&["--config", again.to_str().expect("utf-8")]).expect("shown config");
        assert_eq!(c.four_eyes_threshold_fen, 7);
        assert_eq!(c.four_eyes_thresholds.get("CN-BJ"), Some(&2_000_000));
        assert!(!c.straight_through);
        std::fs::write(&file, "[four_eyes_thresholds]\nCN-XX = 1\n").expect("write");
        assert!(from(&["--config", path]).is_err(), "an unknown region");
        std::fs::write(&file, "four_eyes_treshold_fen = 1\n").expect("write");
        assert!(from(&["--config", path]).is_err(), "a misspelt key");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Issue 17, item 4: a region's shorter determination deadline is a setting, checked: a
    /// known region, 1 to 30 working days (a region may shorten the national 30, not lengthen).
    #[test]
    fn a_region_may_shorten_the_determination_deadline_in_the_config_file() {
        let dir = std::env::temp_dir().join(format!("oip-config-dd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("oip.toml");
        let path = file.to_str().expect("utf-8");
        std::fs::write(&file, "[determination_working_days]\nCN-SC = 10\n").expect("write");
        let c = from(&["--config", path]).expect("config");
        assert_eq!(c.determination_working_days.get("CN-SC"), Some(&10));
        let args = Serve::try_parse_from(["oip", "--config", path])
            .expect("args")
            .args;
        let shown = show(args, None).expect("show");
        assert!(
            shown.contains(&format!("[determination_working_days]  # file {path}")),
            "{shown}"
        );
        for bad in ["CN-XX = 10", "CN-SC = 31", "CN-SC = 0"] {
            std::fs::write(&file, format!("[determination_working_days]\n{bad}\n")).expect("write");
            assert!(from(&["--config", path]).is_err(), "{bad}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Every key `oip config show` prints is in the example configuration, set or commented.
    #[test]
    fn the_example_configuration_names_every_key() {
        let example = include_str!("../../../deploy/oip.toml");
        let shown = show(Serve::try_parse_from(["oip"]).expect("args").args, None).expect("show");
        let keys: Vec<&str> = shown
            .lines()
            .filter(|l| l.contains("  # "))
            .filter_map(|l| {
                let l = l.strip_prefix("# ").unwrap_or(l);
                let key = l.split([' ', ':', ']']).next()?.trim_start_matches('[');
                (!key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                    .then_some(key)
            })
            .filter(|k| *k != "master_key")
            .collect();
        assert!(keys.len() >= 30, "{keys:?}\n{shown}");
        for key in keys {
            assert!(
                example
                    .split(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .any(|w| w == key),
                "deploy/oip.toml does not name {key}"
            );
        }
    }
}
