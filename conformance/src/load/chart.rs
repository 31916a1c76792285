//! Line charts as inline SVG for the load run's HTML page: two axes with ticks and labels,
//! one polyline per series, a legend. No script, no font or style from outside the page.

use std::fmt::Write as _;

use crate::report::xml as esc;

/// The drawing, in SVG user units.
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 320.0;
/// Room for the tick labels and axis titles.
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 52.0;

/// One axis: its range, its ticks (value and label) and its title.
#[derive(Debug, Clone)]
pub struct Axis {
    pub title: String,
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// An axis from 0 to a round number at or above `max`, with about five round ticks
    /// labelled by `label`.
    pub fn from_zero(title: &str, max: f64, label: impl Fn(f64) -> String) -> Axis {
        let step = nice_step(max / 5.0);
        let top = (max / step).ceil().max(1.0) * step;
        let ticks = (0..)
            .map(|i| f64::from(i) * step)
            .take_while(|value| *value <= top + step / 2.0)
            .map(|value| (value, label(value)))
            .collect();
        Axis {
            title: title.to_owned(),
            min: 0.0,
            max: top,
            ticks,
        }
    }
}

/// A round step (1, 2 or 5 times a power of ten) at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

/// One line of a chart: its name in the legend, its CSS class (which sets its colour), and
/// its points in axis units.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub class: &'static str,
    pub colour: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// The chart as one `<svg>` element, titled `title` (also its accessible name).
pub fn line_chart(title: &str, x: &Axis, y: &Axis, series: &[Series]) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let span = |axis: &Axis| (axis.max - axis.min).abs().max(f64::EPSILON);
    let px = |v: f64| LEFT + (v.clamp(x.min, x.max) - x.min) / span(x) * plot_w;
    let py = |v: f64| TOP + plot_h - (v.clamp(y.min, y.max) - y.min) / span(y) * plot_h;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">\
         <title>{}</title>",
        esc(title),
        esc(title)
    );
    let _ = write!(
        out,
        "<text class=\"chart-title\" x=\"{LEFT}\" y=\"20\">{}</text>",
        esc(title)
    );
    for (value, label) in &y.ticks {
        let at = py(*value);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{at:.1}\" y2=\"{at:.1}\"/>\
             <text class=\"tick y\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT + plot_w,
            LEFT - 6.0,
            at + 4.0,
            esc(label)
        );
    }
    for (value, label) in &x.ticks {
        let at = px(*value);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{at:.1}\" x2=\"{at:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <text class=\"tick x\" x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            TOP + plot_h,
            TOP + plot_h + 16.0,
            esc(label)
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis x\" x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
         <line class=\"axis y\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{:.1}\"/>",
        LEFT + plot_w,
        TOP + plot_h,
        TOP + plot_h,
        TOP + plot_h
    );
    let _ = write!(
        out,
        "<text class=\"axis-title x\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text class=\"axis-title y\" transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0,
        esc(&x.title),
        TOP + plot_h / 2.0,
        esc(&y.title)
    );
    // The legend is one row above the plot, right-aligned, so that no line can hide it.
    let widths: Vec<f64> = series
        .iter()
        .map(|line| 28.0 + 6.6 * line.name.chars().count() as f64 + 18.0)
        .collect();
    let mut legend_x = (WIDTH - RIGHT - widths.iter().sum::<f64>()).max(LEFT + 180.0);
    for (line, width) in series.iter().zip(&widths) {
        let mut points = String::new();
        for (vx, vy) in &line.points {
            if vx.is_finite() && vy.is_finite() {
                let _ = write!(points, "{:.1},{:.1} ", px(*vx), py(*vy));
            }
        }
        let _ = write!(
            out,
            "<polyline class=\"series {}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            esc(line.class),
            esc(line.colour),
            points.trim_end(),
            esc(&line.name)
        );
        let _ = write!(
            out,
            "<line class=\"legend\" x1=\"{legend_x:.1}\" x2=\"{:.1}\" y1=\"16\" y2=\"16\" stroke=\"{}\" stroke-width=\"3\"/>\
             <text class=\"legend\" x=\"{:.1}\" y=\"20\">{}</text>",
            legend_x + 22.0,
            esc(line.colour),
            legend_x + 28.0,
            esc(&line.name)
        );
        legend_x += width;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The coordinates of each polyline, in order.
    pub(crate) fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.split("<polyline ")
            .skip(1)
            .map(|rest| {
                let points = rest
                    .split("points=\"")
                    .nth(1)
                    .and_then(|p| p.split('"').next())
                    .unwrap_or_default();
                points
                    .split_whitespace()
                    .filter_map(|pair| {
                        let (x, y) = pair.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect()
            })
            .collect()
    }

    fn chart(title: &str, name: &str, points: Vec<(f64, f64)>) -> String {
        let x = Axis::from_zero("seconds", 10.0, |v| format!("{v} s"));
        let y = Axis::from_zero("ms", 37.0, |v| format!("{v}"));
        line_chart(
            title,
            &x,
            &y,
            &[Series {
                name: name.into(),
                class: "raw",
                colour: "#0969da",
                points,
            }],
        )
    }

    #[test]
    fn axes_have_round_ticks_and_titles() {
        let svg = chart("t", "raw", vec![(0.0, 1.0), (10.0, 37.0)]);
        assert_eq!(svg.matches("class=\"axis x\"").count(), 1, "{svg}");
        assert_eq!(svg.matches("class=\"axis y\"").count(), 1, "{svg}");
        // 0..37 in steps of 10, up to 40; 0..10 in steps of 2.
        for label in [
            "0</text>",
            "10</text>",
            "40</text>",
            "0 s</text>",
            "10 s</text>",
        ] {
            assert!(svg.contains(label), "{label}: {svg}");
        }
        assert!(!svg.contains(">50</text>"), "{svg}");
        assert!(svg.contains(">seconds</text>") && svg.contains(">ms</text>"));
        assert_eq!(nice_step(0.37), 0.5);
        assert_eq!(nice_step(7.4), 10.0);
        assert_eq!(nice_step(0.0), 1.0);
    }

    #[test]
    fn points_are_placed_in_order_inside_the_plot() {
        let points: Vec<(f64, f64)> = (0..=10).map(|i| (f64::from(i), f64::from(i * 3))).collect();
        let svg = chart("t", "raw", points);
        let lines = polylines(&svg);
        assert_eq!(lines.len(), 1);
        let drawn = &lines[0];
        assert_eq!(drawn.len(), 11);
        // Larger x to the right, larger y upwards (smaller SVG y).
        assert!(
            drawn.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 > w[1].1),
            "{drawn:?}"
        );
        assert!(drawn.iter().all(
            |(x, y)| (LEFT..=WIDTH - RIGHT).contains(x) && (TOP..=HEIGHT - BOTTOM).contains(y)
        ));
        assert_eq!(drawn[0], (LEFT, HEIGHT - BOTTOM));
    }

    #[test]
    fn text_is_escaped() {
        let svg = chart(
            "<script>alert(1)</script>",
            "a \"b\" & <c>",
            vec![(1.0, 1.0)],
        );
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("a &quot;b&quot; &amp; &lt;c&gt;"));
    }
}
