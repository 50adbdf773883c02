use super::*;

fn example() -> Vec<u8> {
    // docs/claim-example.json: the shared example with a valid check character (the shared
    // example's …1234 fails its own check; it should end in 7).
    include_bytes!("../../../docs/claim-example.json").to_vec()
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-29T12:00:00+08:00").unwrap()
}

fn edit(f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&example()).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

fn problems(body: &[u8]) -> Vec<String> {
    let report = match parse::<ClaimReport>(body, Code::InvalidClaim) {
        Ok(r) => r,
        Err(e) => {
            return e
                .fields
                .iter()
                .map(|p| format!("{}: {}", p.path, p.problem))
                .collect();
        }
    };
    claim(&report, now())
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|p| format!("{}: {}", p.path, p.problem))
        .collect()
}

#[test]
fn the_example_is_valid() {
    let r: ClaimReport = parse(&example(), Code::InvalidClaim).expect("reads");
    let c = claim(&r, now()).expect("valid");
    assert_eq!(c.facts.region, "CN-SC");
    assert_eq!(c.facts.medical.inpatient_fen, 3_580_000);
    assert_eq!(c.worker.id_number, "510104199003071237");
    assert_eq!(mask_id(&c.worker.id_number), "5101**********1237");
    assert!(!format!("{:?}", c.worker).contains("510104199003071237"));
    assert_eq!(
        id_number_problem("510104199003071234"),
        Some("check character does not match")
    );
    assert_eq!(id_number_problem("11010519491231002X"), None);
}

#[test]
fn a_structural_problem_is_named_by_its_path() {
    let cases: Vec<(&str, Box<dyn Fn(&mut serde_json::Value)>)> = vec![
        (
            "medical.outpatient_fen",
            Box::new(|v| v["medical"]["outpatient_fen"] = (-5).into()),
        ),
        (
            "medical.inpatient_fen",
            Box::new(|v| v["medical"]["inpatient_fen"] = 1.5.into()),
        ),
        (
            "surprise: unknown field",
            Box::new(|v| v["surprise"] = true.into()),
        ),
        (
            "documents[0]",
            Box::new(|v| v["documents"][0] = "selfie".into()),
        ),
        (
            "worker.email: unknown field",
            Box::new(|v| v["worker"]["email"] = "x@example.com".into()),
        ),
        (
            "industry",
            Box::new(|v| v["industry"] = "space_travel".into()),
        ),
        (
            "dependants[0].relation",
            Box::new(|v| v["dependants"] = serde_json::json!([{"relation": "cousin"}])),
        ),
    ];
    for (expected, f) in cases {
        let p = problems(&edit(f));
        assert!(
            p.iter().any(|x| x.starts_with(expected)),
            "missing {expected:?} in {p:#?}"
        );
    }
}

#[test]
fn every_semantic_problem_is_named_at_once() {
    let body = edit(|v| {
        v["region"] = "CN-XX".into();
        v["worker"]["id_number"] = "510104199003071234".into();
        v["assessment"]["disability_grade"] = 11.into();
        v["incident"]["occurred_at"] = "2025-02-30T10:15:00+08:00".into();
        v["order"]["completed_at"] = "2025-08-01T10:00:00+08:00".into();
    });
    let p = problems(&body);
    for expected in [
        "region: must be an ISO 3166-2:CN code such as CN-SC",
        "worker.id_number: check character does not match",
        "assessment.disability_grade: must be an integer from 1 to 10",
        "incident.occurred_at: no such date",
        "order.completed_at: must not be before order.accepted_at",
    ] {
        assert!(
            p.iter().any(|x| x.starts_with(expected)),
            "missing {expected:?} in {p:#?}"
        );
    }
}

#[test]
fn a_missing_field_is_named_itself() {
    let body = edit(|v| {
        v.as_object_mut().unwrap().remove("platform_claim_ref");
    });
    assert!(
        problems(&body)
            .iter()
            .any(|p| p == "platform_claim_ref: required"),
        "{:?}",
        problems(&body)
    );
}

#[test]
fn the_order_must_open_before_the_incident() {
    let body = edit(|v| v["order"]["accepted_at"] = "2025-08-01T10:20:00+08:00".into());
    assert!(
        problems(&body)
            .iter()
            .any(|p| p.starts_with("order.accepted_at"))
    );
}

#[test]
fn not_json_is_malformed() {
    let e = parse::<ClaimReport>(b"{not json", Code::InvalidClaim).unwrap_err();
    assert_eq!(e.code, Code::MalformedRequest);
}

#[test]
fn whole_numbers_written_as_floats_are_integers() {
    // JSON Schema's `integer` is any number without a fractional part: 9.0 is 9.
    let body = edit(|v| {
        v["medical"]["inpatient_days"] = 9.0.into();
        v["medical"]["outpatient_fen"] = 120_000.0.into();
        v["assessment"]["disability_grade"] = 9.0.into();
    });
    let r: ClaimReport = parse(&body, Code::InvalidClaim).expect("reads");
    let c = claim(&r, now()).expect("valid");
    assert_eq!(c.facts.medical.inpatient_days, 9);
    assert_eq!(c.facts.medical.outpatient_fen, 120_000);
    assert_eq!(c.facts.assessment.disability_grade, Some(9));
    let body = edit(|v| v["medical"]["inpatient_days"] = 9.5.into());
    assert!(
        problems(&body)
            .iter()
            .any(|p| p.starts_with("medical.inpatient_days"))
    );
}

/// Issue 15, item 18: `WorkerReport` derived `Debug`, so any `{:?}` of a claim report (a
/// panic message, a trace at debug level) printed the identity number, name and phone.
#[test]
fn the_debug_form_of_a_report_holds_no_identity_number_name_or_phone() {
    let report: ClaimReport = serde_json::from_slice(&example()).expect("report");
    let text = format!("{report:?} {:?}", report.worker);
    assert!(!text.contains(&report.worker.id_number), "{text}");
    assert!(!text.contains(&report.worker.name), "{text}");
    if let Some(phone) = &report.worker.phone {
        assert!(!text.contains(phone.as_str()), "{text}");
    }
    assert!(text.contains(&mask_id(&report.worker.id_number)), "{text}");
}
