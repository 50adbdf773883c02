use super::*;

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn every_label_has_both_languages() {
    for (name, t) in ALL {
        assert!(
            has_cjk(t.0),
            "{name}: the zh-CN text has no Chinese: {:?}",
            t.0
        );
        assert!(
            !t.1.is_empty() && !has_cjk(t.1),
            "{name}: the English text: {:?}",
            t.1
        );
    }
}

#[test]
fn every_code_is_named_in_both_languages() {
    let named = |f: &dyn Fn(Lang) -> String, code: &str| {
        let (zh, en) = (f(Lang::Zh), f(Lang::En));
        assert!(has_cjk(&zh), "{code}: {zh}");
        assert!(!has_cjk(&en) && en != code, "{code}: {en}");
    };
    use crate::domain::Named as _;
    for s in crate::domain::ClaimStatus::ALL {
        let c = s.as_str();
        named(&|l| status(l, c).to_string(), c);
    }
    for r in crate::domain::ReasonCode::ALL {
        let c = r.as_str();
        named(&|l| reason(l, c).to_string(), c);
    }
    for d in oip_engine::types::Document::ALL {
        let c = crate::validate::document_code(*d);
        named(&|l| document(l, c).to_string(), c);
    }
    for o in oip_engine::types::Outcome::ALL {
        let c = crate::claims::outcome_code(*o);
        named(&|l| outcome(l, c).to_string(), c);
    }
    for s in crate::domain::PolicyStatus::ALL {
        let c = s.as_str();
        named(&|l| policy_status(l, c).to_string(), c);
    }
    for s in crate::domain::JobStatus::ALL {
        let c = s.as_str();
        named(&|l| job_status(l, c).to_string(), c);
    }
    for r in crate::domain::Role::ALL {
        let c = r.as_str();
        named(&|l| role(l, c).to_string(), c);
    }
    for c in [
        "approve",
        "override",
        "deny",
        "request_information",
        "close",
        "appeal",
    ] {
        named(&|l| action(l, c).to_string(), c);
    }
    for c in [
        "confirmed",
        "derived",
        "secondary",
        "provisional",
        "missing",
    ] {
        named(&|l| confidence(l, c).to_string(), c);
    }
    for b in oip_engine::types::BenefitItem::ALL {
        let c = serde_json::to_value(b).ok();
        let c = c
            .as_ref()
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        named(&|l| item(l, &c).to_string(), &c);
    }
    for q in crate::domain::QueueKind::ALL {
        let c = q.as_str();
        named(&|l| status(l, c).to_string(), c);
    }
    assert_eq!(status(Lang::En, "something_new"), "something_new");
}
