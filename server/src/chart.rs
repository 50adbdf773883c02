//! Bar charts drawn as SVG (no script), for the console and the API: a shadow run's payout
//! changes, a payment run's totals by item, a region's monthly outlay.

/// One bar.
pub struct Bar {
    /// Under the bar.
    pub label: String,
    /// Its height, relative to the tallest (negative values draw as zero).
    pub value: i64,
    /// Written above it.
    pub shown: String,
    /// Its fill.
    pub colour: &'static str,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A bar chart: `title` and `subtitle` above, `axis` under the labels.
pub fn bar_chart(aria: &str, title: &str, subtitle: &str, axis: &str, bars: &[Bar]) -> String {
    let (w, h, left, top, bottom) = (720.0f64, 360.0f64, 50.0f64, 60.0f64, 70.0f64);
    let plot_h = h - top - bottom;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = (w - left - 20.0) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"{}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\
         <text x=\"{}\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">{}</text>",
        esc(aria),
        w / 2.0,
        esc(title),
        w / 2.0,
        esc(subtitle),
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        top + plot_h,
        w - 20.0,
        top + plot_h
    ));
    for (i, b) in bars.iter().enumerate() {
        let bh = (b.value.max(0) as f64 / max) * plot_h;
        let x = left + i as f64 * slot + slot * 0.1;
        let y = top + plot_h - bh;
        let mid = x + slot * 0.4;
        svg.push_str(&format!(
            "<rect class=\"bar\" data-bucket=\"{i}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} : {}</title></rect>\
             <text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"end\" transform=\"rotate(-35 {mid:.1} {:.1})\">{}</text>",
            slot * 0.8,
            b.colour,
            esc(&b.label),
            esc(&b.shown),
            y - 4.0,
            esc(&b.shown),
            top + plot_h + 16.0,
            top + plot_h + 16.0,
            esc(&b.label),
        ));
    }
    svg.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text></svg>",
        w / 2.0,
        h - 6.0,
        esc(axis)
    ));
    svg
}
