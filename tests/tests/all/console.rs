//! The web console in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! against a real server on 127.0.0.1:0. An adjuster overrides a line and a second adjuster
//! approves it; a policy admin uploads a version and runs its shadow, a second one approves and
//! activates it; the language switch changes the texts; an adjuster of Beijing cannot open a
//! Shanghai claim. Screenshots of the main pages go to `target/screenshots/` (not committed).
//!
//! Without chromedriver the browser tests print "skipped" and pass, unless `CI` or
//! `OIP_BROWSER_TESTS=1` is set: then they fail, saying what is missing. The session and CSRF
//! test at the end needs no browser and always runs.

use fantoccini::{Client, ClientBuilder, Locator};
use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// --- the browser ----------------------------------------------------------------------------

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn browsers_required() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("OIP_BROWSER_TESTS")
}

/// A chromedriver of our own and a WebDriver session on it (its Chromium quits when the
/// session is closed; the driver is killed by its pid when dropped).
struct Browser {
    c: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Runs a scenario in a browser of its own, and closes the browser whether it passes or not;
/// skips it (returns) when browsers are not installed and not required.
async fn with_browser<F, Fut>(test: &str, scenario: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let Some(b) = browser(test).await else { return };
    let outcome = tokio::spawn(scenario(b.c.clone())).await;
    let _ = b.c.clone().close().await;
    drop(b);
    eprintln!(
        "browser test {test}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(p) => std::panic::resume_unwind(p),
            Err(e) => panic!("{test}: {e}"),
        }
    }
}

/// Starts chromedriver on a free port and opens a headless Chromium session; `None` (the test
/// is skipped) when chromedriver is not installed and browser tests are not required.
async fn browser(test: &str) -> Option<Browser> {
    let driver = std::env::var_os("OIP_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| which("chromedriver"));
    let chromium = std::env::var_os("OIP_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| which("chromium"))
        .or_else(|| which("chromium-browser"))
        .or_else(|| which("google-chrome"));
    let (driver, chromium) = match (driver, chromium) {
        (Some(d), Some(c)) => (d, c),
        (d, c) => {
            let missing = [("chromedriver", d.is_none()), ("chromium", c.is_none())]
                .iter()
                .filter(|(_, m)| *m)
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(" and ");
            if browsers_required() {
                panic!(
                    "browser test {test}: {missing} not found on PATH, and CI or OIP_BROWSER_TESTS=1 \
                     requires the browser tests (Debian: apt-get install -y chromium chromium-driver; \
                     .ci/run does it)"
                );
            }
            eprintln!("browser test {test} skipped: {missing} not installed");
            return None;
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let log =
        std::fs::File::create(temp_dir("chromedriver").join("chromedriver.log")).expect("log file");
    let mut cmd = Command::new(&driver);
    cmd.arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log));
    let mut driver = cmd.spawn().expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let ready = eventually(Duration::from_secs(30), || async {
        let r = reqwest::get(format!("{url}/status")).await.ok()?;
        let v: Value = r.json().await.ok()?;
        (v["value"]["ready"] == true).then_some(())
    })
    .await;
    if ready.is_none() {
        let _ = driver.kill();
        let _ = driver.wait();
        panic!("chromedriver did not start within 30 s");
    }
    let profile = temp_dir("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1400", "--no-first-run", "--disable-extensions",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await;
    match c {
        Ok(c) => Some(Browser { c, driver }),
        Err(e) => {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!("a WebDriver session on {}: {e}", chromium.display());
        }
    }
}

// --- what a person does and sees ------------------------------------------------------------

/// The page's text (empty while a page is being replaced).
async fn text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(b) => b.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn html_lang(c: &Client) -> String {
    c.find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang")
        .unwrap_or_default()
}

/// Waits until the page shows `needle`.
async fn wait_text(c: &Client, needle: &str) -> String {
    let found = eventually(Duration::from_secs(60), || async {
        let t = text(c).await;
        t.contains(needle).then_some(t)
    })
    .await;
    match found {
        Some(t) => t,
        None => panic!(
            "the page never showed {needle:?}; it shows:\n{}",
            text(c).await
        ),
    }
}

async fn data_status(c: &Client, css: &str) -> Option<String> {
    let e = c.find(Locator::Css(css)).await.ok()?;
    e.attr("data-status").await.ok()?
}

/// Waits until the element's `data-status` is `want` (pages reload while a job runs).
async fn wait_status(c: &Client, css: &str, want: &str) {
    let ok = eventually(Duration::from_secs(120), || async {
        (data_status(c, css).await.as_deref() == Some(want)).then_some(())
    })
    .await;
    if ok.is_none() {
        panic!(
            "{css} never became {want:?} (it is {:?}); the page shows:\n{}",
            data_status(c, css).await,
            text(c).await
        );
    }
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn type_into(c: &Client, css: &str, s: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(s)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

async fn choose(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
}

async fn path_of(c: &Client) -> String {
    let u = c.current_url().await.expect("url");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("screenshots")
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let dir = screenshots();
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/console/login"))
        .await
        .expect("goto");
    type_into(c, "#token", token).await;
    submit_sign_in(c, "#sign-in-submit").await;
}

/// Clicks a sign-in form's button and waits to leave the sign-in page.
async fn submit_sign_in(c: &Client, button: &str) {
    click(c, button).await;
    let left = eventually(Duration::from_secs(30), || async {
        (!path_of(c).await.starts_with("/console/login")).then_some(())
    })
    .await;
    assert!(
        left.is_some(),
        "still on the sign-in page:\n{}",
        text(c).await
    );
}

/// Signs in through the form a person uses: employee id and password.
async fn sign_in_password(c: &Client, base: &str, employee_id: &str, password: &str) {
    c.goto(&format!("{base}/console/login"))
        .await
        .expect("goto");
    type_into(c, "#employee_id", employee_id).await;
    type_into(c, "#password", password).await;
    submit_sign_in(c, "#sign-in-password-submit").await;
}

async fn sign_out(c: &Client) {
    click(c, "#sign-out").await;
    wait_text(c, "访问令牌").await;
}

async fn api_status(s: &TestServer, id: &str) -> String {
    let (st, v) = s
        .call("GET", &format!("/v1/claims/{id}"), ADMIN, None, None)
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["status"].as_str().unwrap_or_default().to_string()
}

// --- the scenarios --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adjuster_overrides_a_line_with_a_reason_and_a_second_adjuster_approves() {
    with_browser("review", scenario_review).await;
}

async fn scenario_review(c: Client) {
    let c = &c;
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let (st, claim) = s.submit(&mt, "console-review-1", &example(1)).await;
    assert_eq!(st, StatusCode::CREATED, "{claim}");
    let id = claim["id"].as_str().expect("id").to_string();
    let a1 = s.adjuster(&["CN-SC"]).await;
    let a2 = s.adjuster(&["CN-SC"]).await;

    // The first adjuster finds the claim in the queue, due in working days.
    sign_in(c, &s.url, &a1).await;
    assert_eq!(path_of(c).await, "/console/queue");
    let q = wait_text(c, "审核队列").await;
    assert!(
        q.contains(&id) && q.contains("待审核") && q.contains("个工作日"),
        "{q}"
    );
    shot(c, "queue").await;

    // The claim explains its decision: the situation, each line with its formula and figures,
    // the provisional line marked, the citations, the history and the audit entries.
    click(c, &format!("a[href='/console/claims/{id}']")).await;
    let page = wait_text(c, "决定及理由").await;
    for expected in [
        "予以保障",
        "适用情形",
        "一次性伤残补助金",
        "住院伙食补助费",
        "¥68,814.00",
        "预发",
        "待核定",
        "决定历史",
        "审计记录",
        "案件提交",
    ] {
        assert!(
            page.contains(expected),
            "the claim page lacks {expected:?}:\n{page}"
        );
    }
    let reason_zh = claim["decision"]["reasons"][0]["zh"]
        .as_str()
        .expect("reason");
    assert!(page.contains(reason_zh), "the reason text {reason_zh:?}");
    let prov = c
        .find_all(Locator::Css(
            "#benefits tr.prov[data-item='hospital_meal_subsidy']",
        ))
        .await
        .expect("rows");
    assert_eq!(prov.len(), 1, "the provisional line is highlighted");
    shot(c, "claim").await;

    // Reasons are required, as through the API: an override without them is refused, and
    // the page says so with the API's code.
    type_into(c, "input[name='amount.hospital_meal_subsidy']", "270").await;
    click(c, "#override-submit").await;
    let refused = wait_text(c, "错误代码").await;
    let (_, api_refusal) = s
        .call(
            "POST",
            &format!("/v1/claims/{id}/review"),
            &a1,
            Some(json!({"action": "override", "benefits": [{"item": "hospital_meal_subsidy", "amount_fen": 27000, "reason_code": "", "note": ""}]})),
            None,
        )
        .await;
    let code = api_refusal["error"]["code"].as_str().expect("code");
    assert!(
        refused.contains(code) && refused.contains("reason_code"),
        "{refused}"
    );
    assert_eq!(api_status(&s, &id).await, "pending_review");

    // With a reason: the lump sums pass the four-eyes threshold, so it waits for a second.
    type_into(c, "input[name='amount.hospital_meal_subsidy']", "270").await;
    choose(
        c,
        "#override select[name='reason_code']",
        "document_evidence",
    )
    .await;
    type_into(
        c,
        "#override-note",
        "hospital rate on the receipts: 30 yuan x 9 days",
    )
    .await;
    click(c, "#override-submit").await;
    wait_status(c, "#claim-status", "awaiting_second_approval").await;
    let page = wait_text(c, "待第二人审批").await;
    assert!(
        page.contains("书面材料证据") && page.contains("¥270.00"),
        "{page}"
    );
    let (_, v) = s
        .call("GET", &format!("/v1/claims/{id}"), &a1, None, None)
        .await;
    assert_eq!(v["status"], "awaiting_second_approval");
    let meal = v["review"]["proposal"]["benefits"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["item"] == "hospital_meal_subsidy")
        .cloned()
        .expect("meal line");
    assert_eq!(meal["amount_fen"], 27000);
    assert_eq!(meal["change"]["reason_code"], "document_evidence");

    // Four eyes: the author is not offered the approval, and is told why.
    let refused = wait_text(c, "different_adjuster_required").await;
    assert!(
        c.find(fantoccini::Locator::Css("#approve-submit"))
            .await
            .is_err(),
        "the author of the proposal has no approve button"
    );
    assert!(
        refused.contains("须由另一名经办人员审批（四眼原则）"),
        "{refused}"
    );
    assert_eq!(api_status(&s, &id).await, "awaiting_second_approval");
    sign_out(c).await;

    // A second adjuster approves it.
    sign_in(c, &s.url, &a2).await;
    let q = wait_text(c, &id).await;
    assert!(q.contains("待第二人审批"), "{q}");
    click(c, &format!("a[href='/console/claims/{id}']")).await;
    wait_text(c, "待第二名经办人员审批的方案").await;
    click(c, "#approve-submit").await;
    wait_status(c, "#claim-status", "approved").await;
    wait_text(c, "操作已完成").await;
    assert_eq!(api_status(&s, &id).await, "approved");
    let (_, hist) = s
        .call("GET", &format!("/v1/claims/{id}/reviews"), &a2, None, None)
        .await;
    let actions: Vec<&str> = hist["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions, ["override", "approve"]);
    shot(c, "claim-approved").await;

    // The worker's notice, printable, with the amount as approved.
    c.goto(&format!("{}/console/claims/{id}/notice", s.url))
        .await
        .expect("goto");
    let notice = wait_text(c, "职业伤害确认结论书").await;
    assert!(
        notice.contains("270.00") && notice.contains("救济途径"),
        "{notice}"
    );
    shot(c, "notice").await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_admin_uploads_and_shadows_a_version_and_a_second_approves_and_activates_it() {
    with_browser("policies", scenario_policies).await;
}

async fn scenario_policies(c: Client) {
    let c = &c;
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let key = signing_key(7);
    let (st, v) = register_key(&s.http, &s.url, "CN-SC", &key).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let wang = s
        .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
        .await;
    let li = s
        .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
        .await;
    let mt = s.platform("meituan").await;
    let (_, c25) = s.submit(&mt, "console-2025", &example(1)).await;
    let (_, c26) = s.submit(&mt, "console-2026", &example_2026(2)).await;
    let (c25, c26) = (
        c25["id"].as_str().expect("id").to_string(),
        c26["id"].as_str().expect("id").to_string(),
    );

    // What `oip policy build` and `oip policy sign` leave on Wang's disk.
    let dir = temp_dir("console-upload");
    let module = next_sc_module();
    let wasm = dir.join("oip_policy_cn_sc.wasm");
    std::fs::write(&wasm, &module).expect("wasm");
    let sig = dir.join("oip_policy_cn_sc.wasm.sig");
    let file = signed(&key, &module, next_release());
    std::fs::write(&sig, serde_json::to_string(&file).expect("json")).expect("sig");
    let mut case_paths = Vec::new();
    for mut case in sc_cases(false) {
        let name = case["name"].as_str().expect("name").to_string();
        case.as_object_mut().expect("case").remove("name");
        let p = dir.join(format!("{name}.json"));
        std::fs::write(&p, serde_json::to_vec_pretty(&case).expect("json")).expect("case");
        case_paths.push(p.display().to_string());
    }

    // Wang sees the region's versions and uploads the new one.
    sign_in(c, &s.url, &wang).await;
    assert_eq!(path_of(c).await, "/console/policies");
    let page = wait_text(c, "政策版本").await;
    assert!(
        page.contains("CN-SC") && page.contains("已启用") && page.contains("今日生效"),
        "{page}"
    );
    assert!(!page.contains("CN-BJ"), "only its own region");
    shot(c, "policies").await;
    let form = "#region-CN-SC form.upload";
    type_into(
        c,
        &format!("{form} input[name='module']"),
        &wasm.display().to_string(),
    )
    .await;
    type_into(
        c,
        &format!("{form} input[name='signature_file']"),
        &sig.display().to_string(),
    )
    .await;
    type_into(
        c,
        &format!("{form} input[name='cases']"),
        &case_paths.join("\n"),
    )
    .await;
    click(c, &format!("{form} button.upload-submit")).await;
    wait_status(c, "#version-status", "uploaded").await;
    let page = wait_text(c, "2026.2").await;
    let n = case_paths.len();
    assert!(
        page.contains(&format!("{n} / {n}")),
        "all {n} cases passed:\n{page}"
    );
    let (_, list) = s
        .call("GET", "/v1/regions/CN-SC/policies", &wang, None, None)
        .await;
    let id = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["version"] == "2026.2")
        .and_then(|p| p["id"].as_str())
        .expect("the uploaded version")
        .to_string();
    assert!(
        path_of(c)
            .await
            .starts_with(&format!("/console/policies/{id}"))
    );

    // The shadow run: live progress while it runs, then the report, the chart and the claims.
    click(c, "#shadow-submit").await;
    wait_status(c, "#shadow-status", "done").await;
    let report = wait_text(c, "影子运行报告").await;
    assert!(
        report.contains("赔付变化分布") && report.contains("有变化的案件"),
        "{report}"
    );
    let bars = c
        .find_all(Locator::Css("#chart svg rect.bar"))
        .await
        .expect("bars");
    assert_eq!(bars.len(), 11, "the chart's buckets");
    let changed = c
        .find(Locator::Css("#changed-claims"))
        .await
        .expect("changed claims")
        .text()
        .await
        .expect("text");
    assert!(changed.contains(&c26), "the 2026 claim changes:\n{changed}");
    assert!(
        !changed.contains(&c25),
        "the 2025 claim does not:\n{changed}"
    );
    let r_changed = c
        .find(Locator::Css("#r-changed"))
        .await
        .expect("changed")
        .text()
        .await
        .expect("text");
    assert_eq!(r_changed, "1");
    shot(c, "shadow").await;
    let chart = c.find(Locator::Css("#chart")).await.expect("chart");
    let _ = c
        .execute(
            "arguments[0].scrollIntoView();",
            vec![serde_json::to_value(&chart).expect("element")],
        )
        .await;
    let png = chart.screenshot().await.expect("chart screenshot");
    std::fs::write(screenshots().join("shadow-chart.png"), png).expect("write");

    // Wang cannot approve his own upload.
    click(c, "#approve-version-submit").await;
    let refused = wait_text(c, "different_approver_required").await;
    assert!(refused.contains("四眼原则"), "{refused}");
    sign_out(c).await;

    // Li reads the report, approves and activates.
    sign_in(c, &s.url, &li).await;
    click(c, &format!("a[href='/console/policies/{id}']")).await;
    wait_text(c, "影子运行报告").await;
    click(c, "#approve-version-submit").await;
    wait_status(c, "#version-status", "approved").await;
    click(c, "#activate-now").await;
    wait_status(c, "#version-status", "active").await;
    wait_text(c, "今日生效").await;
    let (_, p) = s
        .call("GET", &format!("/v1/policies/{id}"), &li, None, None)
        .await;
    assert_eq!(
        (p["status"].as_str(), p["in_force_today"].as_bool()),
        (Some("active"), Some(true)),
        "{p}"
    );
    let (_, after) = s.submit(&mt, "console-after", &example(3)).await;
    assert_eq!(
        after["decision"]["policy"]["sha256"],
        id.as_str(),
        "new claims are decided by it"
    );
    shot(c, "activated").await;

    // And one click puts the previous version back.
    click(c, "#rollback-submit").await;
    wait_status(c, "#version-status", "rolled_back").await;
    let (_, p) = s
        .call("GET", &format!("/v1/policies/{id}"), &li, None, None)
        .await;
    assert_eq!(p["status"], "rolled_back");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_changes_the_texts() {
    with_browser("language", scenario_language).await;
}

async fn scenario_language(c: Client) {
    let c = &c;
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let (_, claim) = s.submit(&mt, "console-lang-1", &example(1)).await;
    let id = claim["id"].as_str().expect("id").to_string();
    let reason = &claim["decision"]["reasons"][0];
    let (reason_zh, reason_en) = (
        reason["zh"].as_str().expect("zh"),
        reason["en"].as_str().expect("en"),
    );
    let a = s.adjuster(&["CN-SC"]).await;

    // Chinese by default.
    c.goto(&format!("{}/console/login", s.url))
        .await
        .expect("goto");
    assert_eq!(html_lang(c).await, "zh-CN");
    let t = wait_text(c, "访问令牌").await;
    assert!(t.contains("登录") && !t.contains("Access token"), "{t}");
    shot(c, "login").await;

    // English by the switch, on every page after it.
    click(c, "#lang-en").await;
    let t = wait_text(c, "Access token").await;
    assert_eq!(html_lang(c).await, "en");
    assert!(t.contains("Sign in") && !t.contains("访问令牌"), "{t}");
    shot(c, "login-en").await;
    sign_in(c, &s.url, &a).await;
    let t = wait_text(c, "Review queue").await;
    assert!(
        t.contains("Pending review") && t.contains("working days") && !t.contains("审核队列"),
        "{t}"
    );
    click(c, &format!("a[href='/console/claims/{id}']")).await;
    let t = wait_text(c, "Decision and grounds").await;
    for expected in [
        "Covered",
        "One-off disability subsidy",
        "Hospital meal subsidy",
        "provisional",
        "to be set",
        "Audit entries",
        "Claim submitted",
        reason_en,
    ] {
        assert!(
            t.contains(expected),
            "the English claim page lacks {expected:?}:\n{t}"
        );
    }
    for not_expected in ["一次性伤残补助金", "决定及理由", reason_zh] {
        assert!(
            !t.contains(not_expected),
            "the English claim page shows {not_expected:?}"
        );
    }
    shot(c, "claim-en").await;
    c.goto(&format!("{}/console/claims/{id}/notice", s.url))
        .await
        .expect("goto");
    wait_text(c, "Decision: occupational injury recognised").await;
    c.back().await.expect("back");

    // And back: the same page, in Chinese.
    wait_text(c, "Decision and grounds").await;
    click(c, "#lang-zh").await;
    let t = wait_text(c, "决定及理由").await;
    assert_eq!(path_of(c).await, format!("/console/claims/{id}"));
    assert_eq!(html_lang(c).await, "zh-CN");
    assert!(
        t.contains("一次性伤残补助金") && t.contains(reason_zh) && !t.contains(reason_en),
        "{t}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adjuster_of_beijing_cannot_open_a_shanghai_claim() {
    with_browser("scope", scenario_scope).await;
}

async fn scenario_scope(c: Client) {
    let c = &c;
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let mt = s.platform("meituan").await;
    let mut body = example(1);
    body["region"] = json!("CN-SH");
    body["platform_claim_ref"] = json!("MT-SHANGHAI-1");
    let (st, sh) = s.submit(&mt, "console-sh-1", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{sh}");
    let sh_id = sh["id"].as_str().expect("id").to_string();
    let status_before = api_status(&s, &sh_id).await;
    let shanghai = s.adjuster(&["CN-SH"]).await;
    // The Beijing adjuster is a person with a password, and signs in as people do.
    let (_, bj) = add_user(
        &s.http,
        &s.url,
        ADMIN,
        &json!({"role": "adjuster", "regions": ["CN-BJ"]}),
    )
    .await;
    let password = "correct horse battery staple";
    let (st, v) = s
        .call(
            "PUT",
            &format!("/v1/users/{}/password", bj["id"].as_str().expect("id")),
            ADMIN,
            Some(json!({ "password": password })),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{v}");

    // Not in the Beijing adjuster's queue, and not found when asked for by its id.
    sign_in_password(
        c,
        &s.url,
        bj["employee_id"].as_str().expect("employee id"),
        password,
    )
    .await;
    let q = wait_text(c, "审核队列").await;
    assert!(
        q.contains(bj["name"].as_str().expect("name")),
        "the header names the person: {q}"
    );
    assert!(!q.contains(&sh_id), "{q}");
    c.goto(&format!("{}/console/claims/{sh_id}", s.url))
        .await
        .expect("goto");
    let t = wait_text(c, "not_found").await;
    assert!(
        t.contains("未找到") && !t.contains("MT-SHANGHAI-1") && !t.contains("决定及理由"),
        "{t}"
    );
    shot(c, "scope-not-found").await;
    c.goto(&format!("{}/console/claims/{sh_id}/notice", s.url))
        .await
        .expect("goto");
    wait_text(c, "not_found").await;

    // Nor can its actions be reached with the Beijing session's own cookie and CSRF token.
    let session = c
        .get_named_cookie("oip_session")
        .await
        .expect("session cookie");
    let csrf = c
        .find(Locator::Css("input[name='csrf']"))
        .await
        .expect("csrf field")
        .attr("value")
        .await
        .expect("value")
        .expect("csrf");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .post(format!("{}/console/claims/{sh_id}/review", s.url))
        .header("Cookie", format!("oip_session={}", session.value()))
        .form(&[("csrf", csrf.as_str()), ("action", "approve")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(api_status(&s, &sh_id).await, status_before);
    sign_out(c).await;

    // A Shanghai adjuster opens it.
    sign_in(c, &s.url, &shanghai).await;
    c.goto(&format!("{}/console/claims/{sh_id}", s.url))
        .await
        .expect("goto");
    let t = wait_text(c, "决定及理由").await;
    assert!(t.contains("MT-SHANGHAI-1"), "{t}");
    s.stop().await;
}

// --- no browser needed ----------------------------------------------------------------------

fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect()
}

fn cookie_value(set: &[String], name: &str) -> Option<String> {
    set.iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

fn csrf_in(html: &str) -> String {
    let at =
        html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().expect("value").to_string()
}

/// Signs in over HTTP; the session cookie's value.
pub(crate) async fn http_sign_in(http: &reqwest::Client, url: &str, token: &str) -> String {
    let r = http_sign_in_with(http, url, &[("token", token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookie_value(&set_cookies(&r), "oip_session").expect("session cookie")
}

/// Posts the sign-in form with `fields` (and its nonce and CSRF token); the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payments_officer_starts_a_run_and_a_second_releases_it_with_its_charts() {
    with_browser("payments", scenario_payments).await;
}

async fn scenario_payments(c: Client) {
    let c = &c;
    let mut cfg = config(&Backend::Sqlite, "console-pay").await;
    cfg.four_eyes_threshold_fen = 1_000_000_000;
    let s = TestServer::with_config(cfg).await;
    let mt = s.platform("meituan").await;
    // A grade-3 Chongqing claim appraised three months ago, approved through the API.
    let today = oip_server::now().beijing_date();
    let month = oip_server::domain::Month::of(today.year, today.month);
    let appraised = oip_server::domain::Month(month.0 - 3);
    let mut body = example(1);
    body["region"] = "CN-CQ".into();
    body["assessment"]["disability_grade"] = 3.into();
    body["assessment"]["assessed_at"] = format!("{appraised}-10").into();
    let (st, claim) = s.submit(&mt, "console-pay-1", &body).await;
    assert_eq!(st, StatusCode::CREATED, "{claim}");
    let id = claim["id"].as_str().expect("id").to_string();
    let adj = s.adjuster(&["CN-CQ"]).await;
    let (st, r) = s
        .call(
            "POST",
            &format!("/v1/claims/{id}/review"),
            &adj,
            Some(json!({"action": "approve"})),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let p1 = s
        .token(json!({"role": "payments_officer", "regions": ["CN-CQ"]}))
        .await;
    let p2 = s
        .token(json!({"role": "payments_officer", "regions": ["CN-CQ"]}))
        .await;

    // The first officer lands on the runs, starts this month's and sees it built.
    sign_in(c, &s.url, &p1).await;
    assert_eq!(path_of(c).await, "/console/payments");
    wait_text(c, "生成月度支付批次").await;
    click(c, "#start-run button").await;
    wait_status(c, "#run-status", "built").await;
    let t = text(c).await;
    assert!(
        t.contains("伤残津贴") && t.contains("按待遇项目合计"),
        "{t}"
    );
    assert!(
        c.find(Locator::Css("#release button")).await.is_ok(),
        "an officer is offered the release"
    );
    let bars = c
        .find_all(Locator::Css("#chart rect.bar"))
        .await
        .expect("bars");
    assert!(
        bars.len() >= 2,
        "a bar per item: the allowance and the lump sums"
    );
    // Releasing one's own run is refused, saying why.
    click(c, "#release button").await;
    let t = wait_text(c, "payment_run_second_officer_required").await;
    assert!(t.contains("四眼"), "{t}");
    let run_path = path_of(c).await;
    sign_out(c).await;

    // The second releases it; the bank file is offered; the outlay chart has this month.
    sign_in(c, &s.url, &p2).await;
    let run_id = run_path
        .trim_start_matches("/console/payments/runs/")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    c.goto(&format!("{}/console/payments/runs/{run_id}", s.url))
        .await
        .expect("goto");
    click(c, "#release button").await;
    wait_status(c, "#run-status", "released").await;
    wait_text(c, "CSV").await;
    shot(c, "payment-run").await;
    c.goto(&format!("{}/console/payments", s.url))
        .await
        .expect("goto");
    let t = wait_text(c, "月度支出").await;
    assert!(t.contains(&month.to_string()), "{t}");
    assert_eq!(
        c.find_all(Locator::Css(".outlay rect.bar"))
            .await
            .expect("bars")
            .len(),
        1
    );
    shot(c, "payments").await;
    sign_out(c).await;

    // The adjuster's claim page shows the schedule: the allowance paid through this month.
    sign_in(c, &s.url, &adj).await;
    c.goto(&format!("{}/console/claims/{id}", s.url))
        .await
        .expect("goto");
    let t = wait_text(c, "支付计划").await;
    assert!(t.contains(&month.to_string()) && t.contains("paid"), "{t}");
    s.stop().await;
}

async fn http_sign_in_with(
    http: &reqwest::Client,
    url: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let r = http
        .get(format!("{url}/console/login"))
        .send()
        .await
        .expect("get");
    let nonce = cookie_value(&set_cookies(&r), "oip_login").expect("login cookie");
    let csrf = csrf_in(&r.text().await.expect("body"));
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    http.post(format!("{url}/console/login"))
        .header("Cookie", format!("oip_login={nonce}"))
        .form(&form)
        .send()
        .await
        .expect("post")
}

/// The status of a console page with a session cookie (303: signed out).
async fn page_status(http: &reqwest::Client, url: &str, session: &str) -> StatusCode {
    http.get(format!("{url}/console/queue"))
        .header("Cookie", format!("oip_session={session}"))
        .send()
        .await
        .expect("get")
        .status()
}

/// Issue 15, items 1–2: the console's session was the raw API token in a cookie, never
/// expiring, not ended by logout. A person signs in with a password (argon2id) and a TOTP
/// code; the session is the server's, ended on logout, after its idle time and when the user
/// is disabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_password_and_totp_and_the_session_ends_on_logout_idle_and_disable()
{
    use sea_orm::ConnectionTrait;
    each_backend(|b| async move {
        let mut c = config(&b, "sessions").await;
        c.console_idle = Duration::from_secs(3);
        c.secure_cookies = true;
        let s = TestServer::with_config(c).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let (_, user) = add_user(
            &s.http,
            &s.url,
            ADMIN,
            &json!({"role": "adjuster", "regions": ["CN-SC"]}),
        )
        .await;
        let (uid, emp) = (
            user["id"].as_str().expect("id").to_string(),
            user["employee_id"]
                .as_str()
                .expect("employee id")
                .to_string(),
        );
        let pw_path = format!("/v1/users/{uid}/password");
        let (st, e) = s
            .call(
                "PUT",
                &pw_path,
                ADMIN,
                Some(json!({"password": "short"})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["path"], "password", "{e}");
        let password = "a long passphrase 4 console";
        let (st, _) = s
            .call(
                "PUT",
                &pw_path,
                ADMIN,
                Some(json!({"password": password})),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::NO_CONTENT);
        // Stored as argon2id, never as given.
        let stored = s
            .state
            .db
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                s.state.db.conn.get_database_backend(),
                format!("SELECT password_hash FROM users WHERE id = '{uid}'"),
            ))
            .await
            .expect("query")
            .expect("row")
            .try_get::<String>("", "password_hash")
            .expect("hash");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains(password));

        // A wrong password is refused and begins no session.
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[("employee_id", &emp), ("password", "wrong wrong wrong")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(cookie_value(&set_cookies(&r), "oip_session").is_none());

        // Signed in: a random id in a Secure cookie; the database keeps only its keyed hash.
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[("employee_id", &emp), ("password", password)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let set = set_cookies(&r);
        let cookie = set
            .iter()
            .find(|c| c.starts_with("oip_session="))
            .expect("session cookie");
        assert!(
            cookie.contains("; Secure") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
        let session = cookie_value(&set, "oip_session").expect("session");
        assert_eq!(session.len(), 64, "{session}");
        let rows = s
            .state
            .db
            .conn
            .query_all_raw(sea_orm::Statement::from_string(
                s.state.db.conn.get_database_backend(),
                "SELECT id_hash, user_id FROM console_sessions".to_string(),
            ))
            .await
            .expect("sessions");
        assert_eq!(rows.len(), 1);
        let id_hash: String = rows[0].try_get("", "id_hash").expect("hash");
        assert_ne!(id_hash, session);
        assert_eq!(
            rows[0]
                .try_get::<Option<String>>("", "user_id")
                .expect("user"),
            Some(uid.clone())
        );
        assert_eq!(page_status(&http, &s.url, &session).await, StatusCode::OK);

        // Logout ends it on the server: the same cookie, sent again, is signed out.
        let page = http
            .get(format!("{}/console/queue", s.url))
            .header("Cookie", format!("oip_session={session}"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("page");
        let r = http
            .post(format!("{}/console/logout", s.url))
            .header("Cookie", format!("oip_session={session}"))
            .form(&[("csrf", csrf_in(&page).as_str())])
            .send()
            .await
            .expect("logout");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            page_status(&http, &s.url, &session).await,
            StatusCode::SEE_OTHER
        );

        // Idle longer than its idle time (3 s here), it ends; a request in between keeps it.
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[("employee_id", &emp), ("password", password)],
        )
        .await;
        let session = cookie_value(&set_cookies(&r), "oip_session").expect("session");
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        assert_eq!(page_status(&http, &s.url, &session).await, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(1_800)).await;
        assert_eq!(
            page_status(&http, &s.url, &session).await,
            StatusCode::OK,
            "kept alive by the request before"
        );
        tokio::time::sleep(Duration::from_millis(3_500)).await;
        assert_eq!(
            page_status(&http, &s.url, &session).await,
            StatusCode::SEE_OTHER,
            "idle too long"
        );

        // Enrolled in TOTP: the password alone no longer signs in; with the code it does.
        let (st, enrol) = s
            .call("POST", &format!("/v1/users/{uid}/totp"), ADMIN, None, None)
            .await;
        assert_eq!(st, StatusCode::OK, "{enrol}");
        assert!(
            enrol["otpauth_uri"]
                .as_str()
                .expect("uri")
                .starts_with("otpauth://totp/"),
            "{enrol}"
        );
        let secret =
            totp_rs::Secret::Encoded(enrol["secret"].as_str().expect("secret").to_string())
                .to_bytes()
                .expect("base32");
        let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret).expect("totp");
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[("employee_id", &emp), ("password", password)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no code");
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[
                ("employee_id", &emp),
                ("password", password),
                ("totp", "000000"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a wrong code");
        let code = totp.generate_current().expect("code");
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[
                ("employee_id", &emp),
                ("password", password),
                ("totp", &code),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let session = cookie_value(&set_cookies(&r), "oip_session").expect("session");
        assert_eq!(page_status(&http, &s.url, &session).await, StatusCode::OK);
        // A code is good once: the same code again (someone who saw it) is refused.
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[
                ("employee_id", &emp),
                ("password", password),
                ("totp", &code),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a replayed code");

        // Disabled: the open session ends with the user.
        let (st, _) = s
            .call(
                "POST",
                &format!("/v1/users/{uid}/disable"),
                ADMIN,
                None,
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(
            page_status(&http, &s.url, &session).await,
            StatusCode::SEE_OTHER
        );
        let r = http_sign_in_with(
            &http,
            &s.url,
            &[
                ("employee_id", &emp),
                ("password", password),
                ("totp", &code),
            ],
        )
        .await;
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "a disabled user does not sign in"
        );
        s.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_strict_and_every_form_checks_its_csrf_token() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mt = s.platform("meituan").await;
    let (_, claim) = s.submit(&mt, "console-csrf-1", &example(1)).await;
    let id = claim["id"].as_str().expect("id").to_string();
    let a = s.adjuster(&["CN-SC"]).await;
    let other = s.adjuster(&["CN-SC"]).await;

    // The console is at /console (and / leads there); signed out, it asks to sign in.
    let r = http.get(format!("{}/", s.url)).send().await.expect("get");
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().ok()),
        (StatusCode::SEE_OTHER, Some("/console"))
    );
    let r = http
        .get(format!("{}/console/queue", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/console/login?next=/console/queue"
    );

    // The sign-in form: its own nonce cookie, strict, and a CSRF token bound to it.
    let r = http
        .get(format!("{}/console/login", s.url))
        .send()
        .await
        .expect("get");
    let set = set_cookies(&r);
    let login_cookie = set
        .iter()
        .find(|c| c.starts_with("oip_login="))
        .expect("nonce cookie")
        .clone();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    let nonce = cookie_value(&set, "oip_login").expect("nonce");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let page = r.text().await.expect("body");
    assert!(page.contains("<html lang=\"zh-CN\">"), "zh-CN by default");
    let csrf = csrf_in(&page);
    let login = |form: Vec<(&'static str, String)>, cookie: Option<String>| {
        let mut req = http.post(format!("{}/console/login", s.url)).form(&form);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send()
    };
    let cookie = Some(format!("oip_login={nonce}"));
    let r = login(vec![("token", a.clone())], cookie.clone())
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert!(r.text().await.expect("body").contains("csrf_failed"));
    let r = login(vec![("csrf", csrf.clone()), ("token", a.clone())], None)
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no nonce cookie");
    let r = login(
        vec![("csrf", csrf.clone()), ("token", "oip_wrong".into())],
        cookie.clone(),
    )
    .await
    .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("unauthenticated") && body.contains("需要有效的访问令牌"),
        "{body}"
    );

    // Signed in: the token is kept in an HttpOnly, SameSite=Strict cookie of the console's path.
    let r = login(
        vec![("csrf", csrf.clone()), ("token", a.clone())],
        cookie.clone(),
    )
    .await
    .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/console/queue");
    let set = set_cookies(&r);
    let session_cookie = set
        .iter()
        .find(|c| c.starts_with("oip_session="))
        .expect("session cookie")
        .clone();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] {
        assert!(session_cookie.contains(attr), "{session_cookie}");
    }
    let session = cookie_value(&set, "oip_session").expect("session");
    let get = |path: String, session: String| {
        http.get(format!("{}{path}", s.url))
            .header("Cookie", format!("oip_session={session}"))
            .send()
    };
    let page = get(format!("/console/claims/{id}"), session.clone())
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let csrf = csrf_in(&page);
    let other_session = http_sign_in(&http, &s.url, &other).await;
    let other_page = get("/console/queue".into(), other_session)
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let other_csrf = csrf_in(&other_page);
    assert_ne!(csrf, other_csrf, "a token per session");

    // A review form without the session's CSRF token does nothing.
    let post = |form: Vec<(&'static str, String)>| {
        http.post(format!("{}/console/claims/{id}/review", s.url))
            .header("Cookie", format!("oip_session={session}"))
            .form(&form)
            .send()
    };
    let r = post(vec![("action", "approve".into())])
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post(vec![
        ("csrf", other_csrf.clone()),
        ("action", "approve".into()),
    ])
    .await
    .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another session's token");
    assert_eq!(api_status(&s, &id).await, "pending_review");
    let r = post(vec![("csrf", csrf.clone()), ("action", "approve".into())])
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"].to_str().ok(),
        Some(format!("/console/claims/{id}?done=approve").as_str())
    );
    assert_eq!(api_status(&s, &id).await, "awaiting_second_approval");

    // Signing out needs the token too, and ends the cookie.
    let out = |form: Vec<(&'static str, String)>| {
        http.post(format!("{}/console/logout", s.url))
            .header("Cookie", format!("oip_session={session}"))
            .form(&form)
            .send()
    };
    assert_eq!(
        out(vec![]).await.expect("post").status(),
        StatusCode::FORBIDDEN
    );
    let r = out(vec![("csrf", csrf.clone())]).await.expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("oip_session=;") && c.contains("Max-Age=0"))
    );

    // A revoked token's session ends with it.
    let (st, v) = issue_token(
        &s.http,
        &s.url,
        ADMIN,
        json!({"role": "adjuster", "regions": ["CN-SC"]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (token, token_id) = (
        v["token"].as_str().expect("token"),
        v["id"].as_str().expect("id"),
    );
    let third = http_sign_in(&http, &s.url, token).await;
    assert_eq!(
        get("/console/queue".into(), third.clone())
            .await
            .expect("get")
            .status(),
        StatusCode::OK
    );
    let (st, _) = s
        .call(
            "DELETE",
            &format!("/v1/tokens/{token_id}"),
            ADMIN,
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let r = get("/console/queue".into(), third).await.expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookies(&r)
            .iter()
            .any(|c| c.starts_with("oip_session=;")),
        "the cookie is cleared"
    );

    // Pages that do not exist say so in the console's own way.
    let r = http
        .get(format!("{}/console/nowhere", s.url))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.expect("body").contains("not_found"));
    s.stop().await;
}
