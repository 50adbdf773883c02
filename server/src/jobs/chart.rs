//! The distribution of a shadow run's payout changes, drawn as an SVG bar chart (no script).

use super::report::ShadowReport;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The distribution of payout changes of a shadow report, as a bar chart (SVG, no script).
pub fn chart_svg(report: &ShadowReport) -> String {
    let buckets: Vec<(String, i64)> = report
        .payout_change
        .buckets
        .iter()
        .map(|b| (b.label_yuan.clone(), b.count))
        .collect();
    let (w, h, left, top, bottom) = (720.0f64, 360.0f64, 50.0f64, 60.0f64, 70.0f64);
    let plot_h = h - top - bottom;
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let slot = (w - left - 20.0) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"payout changes\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">赔付变化分布 · Distribution of payout changes</text>\
         <text x=\"{}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">{} · changed {} of {} claims; failed {}</text>",
        w / 2.0,
        w / 2.0,
        esc(report.policy.get(..12).unwrap_or_default()),
        report.changed,
        report.compared + report.failed,
        report.failed,
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        top + plot_h,
        w - 20.0,
        top + plot_h
    ));
    for (i, (label, count)) in buckets.iter().enumerate() {
        let bh = (*count as f64 / max) * plot_h;
        let x = left + i as f64 * slot + slot * 0.1;
        let y = top + plot_h - bh;
        let colour = if i < 5 {
            "#c0392b"
        } else if i == 5 {
            "#7f8c8d"
        } else {
            "#2471a3"
        };
        svg.push_str(&format!(
            "<rect class=\"bar\" data-bucket=\"{i}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"><title>{} : {count}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{count}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" transform=\"rotate(-35 {:.1} {:.1})\">{}</text>",
            slot * 0.8,
            esc(label),
            x + slot * 0.4,
            y - 4.0,
            x + slot * 0.4,
            top + plot_h + 16.0,
            x + slot * 0.4,
            top + plot_h + 16.0,
            esc(label),
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">每件案件的赔付变化（元）· change per claim (yuan)</text></svg>",
        w / 2.0,
        h - 6.0
    ));
    svg
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
