//! The distribution of a shadow run's payout changes, drawn as an SVG bar chart (no script).

use super::report::ShadowReport;
use crate::chart::{Bar, bar_chart};

/// The distribution of payout changes of a shadow report, as a bar chart (SVG, no script).
pub fn chart_svg(report: &ShadowReport) -> String {
    let bars: Vec<Bar> = report
        .payout_change
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| Bar {
            label: b.label_yuan.clone(),
            value: b.count,
            shown: b.count.to_string(),
            colour: match i {
                0..5 => "#c0392b",
                5 => "#7f8c8d",
                _ => "#2471a3",
            },
        })
        .collect();
    bar_chart(
        "payout changes",
        "赔付变化分布 · Distribution of payout changes",
        &format!(
            "{} · changed {} of {} claims; failed {}",
            report.policy.get(..12).unwrap_or_default(),
            report.changed,
            report.compared + report.failed,
            report.failed
        ),
        "每件案件的赔付变化（元）· change per claim (yuan)",
        &bars,
    )
}

#[cfg(test)]
mod tests {
    use super::super::report::Report;
    use super::*;
    use crate::db::jobs::{JobParams, JobRow};
    use crate::domain::{JobKind, JobStatus};

    #[test]
    fn the_chart_draws_one_bar_per_bucket() {
        let mut r = Report::default();
        r.buckets[7] = 3;
        r.buckets[2] = 1;
        r.changed = 4;
        let job = JobRow {
            id: "job_x".into(),
            kind: JobKind::Shadow,
            policy_sha256: "ab".repeat(32),
            region: "CN-SC".into(),
            params: JobParams::default(),
            status: JobStatus::Done,
            total: 4,
            done: 4,
            failed: 0,
            report: None,
            error: None,
            requested_by: "tok".into(),
            created_at: String::new(),
            started_at: 0,
            heartbeat_at: 0,
            finished_at: None,
        };
        let svg = chart_svg(&r.finish(&job, 10));
        assert_eq!(svg.matches("class=\"bar\"").count(), 11);
        assert!(svg.contains(">3</text>"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
