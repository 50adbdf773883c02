//! Issue 17, item 7: try before you push. `oip policy eval` decides with a module file on this
//! machine exactly as the server decides with the same module; `/v1/evaluate?policy=` is a dry
//! run of an uploaded version (in `policies.rs`, beside the upload it tries).

use oip_tests::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn eval(args: &[&str], module: &std::path::Path, facts: &std::path::Path) -> std::process::Output {
    crate::oip_cli()
        .args(["policy", "eval"])
        .args(args)
        .arg("--module")
        .arg(module)
        .arg(facts)
        .output()
        .expect("oip policy eval")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oip_policy_eval_decides_with_a_module_file_as_the_server_does_and_traces_its_figures() {
    let s = TestServer::spawn(&Backend::Sqlite).await;
    let a = s
        .token(json!({"role": "policy_admin", "regions": ["CN-SC"]}))
        .await;
    let dir = temp_dir("policy-eval");
    // The module the server has in force for Sichuan, as a file.
    let sc = oip_engine::builtin::POLICIES
        .iter()
        .find(|p| p.region == "CN-SC")
        .expect("CN-SC built in");
    let module = dir.join("cn-sc.wasm");
    std::fs::write(&module, sc.wasm).expect("module");
    let report = example(41);
    let facts = dir.join("claim.json");
    std::fs::write(&facts, report.to_string()).expect("facts");

    let out = eval(&["--trace"], &module, &facts);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let local: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let (st, server) = s.call("POST", "/v1/evaluate", &a, Some(report), None).await;
    assert_eq!(st, StatusCode::OK, "{server}");
    assert_eq!(local["decision"], server["decision"]);
    assert_eq!(local["policy"], server["policy"]);
    assert_eq!(local["decision"]["outcome"], "covered", "{local}");
    // The trace names the rules applied and every figure read, with its source.
    let figure = local["decision"]["benefits"]
        .as_array()
        .expect("lines")
        .iter()
        .find_map(|b| b["parameters"].get(0))
        .expect("a line with a figure");
    assert!(
        stderr.contains(&format!(
            "rule   {}",
            local["decision"]["reasons"][0]["code"]
                .as_str()
                .expect("code")
        )),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|l| l.starts_with("figure")
            && l.contains(figure["name"].as_str().expect("name"))
            && l.contains(figure["source"].as_str().expect("source"))),
        "{stderr}"
    );
    let figures = local["decision"]["benefits"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|b| b["parameters"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("figure")).count(),
        figures,
        "{stderr}"
    );

    // A region's case file is tried on its facts.
    let case = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../policies/cn-sc/cases/covered_grade3_living_care.json");
    let out = eval(&[], &module, &case);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decided: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&case).expect("case")).expect("case JSON");
    assert_eq!(
        decided["decision"]["outcome"],
        expected["expected"]["outcome"]
    );

    // Input the server would refuse is refused the same way, every field named.
    let mut bad = example(42);
    bad["worker"]["id_number"] = "51010419900307123X".into();
    std::fs::write(&facts, bad.to_string()).expect("facts");
    let out = eval(&[], &module, &facts);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("invalid_claim") && stderr.contains("worker.id_number"),
        "{stderr}"
    );
    // A module of another region than the facts'.
    let mut bj = example(43);
    bj["region"] = json!("CN-BJ");
    std::fs::write(&facts, bj.to_string()).expect("facts");
    let out = eval(&[], &module, &facts);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("CN-SC") && stderr.contains("CN-BJ"),
        "{stderr}"
    );
    s.stop().await;
}
