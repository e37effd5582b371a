//! Charts as inline SVG: printable, offline, in the page's own fonts, each bar or slice a link.
//!
//! Written by hand rather than with a plotting crate on purpose: a report's chart must let
//! a manager click a bar and land on the tickets behind it, and must name each bar's value
//! for a screen reader (`<title>`); plotters draws shapes without links or titles.

use std::fmt::Write as _;

use crate::{Cell, Chart, ChartKind, Kind, Sheet, display_width, round_half_away};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 320.0;
/// Colours told apart by people with the common colour-vision deficiencies (Okabe–Ito).
const PALETTE: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"];

/// The chart without links.
pub fn svg(sheet: &Sheet, chart: &Chart) -> String {
    svg_linked(sheet, chart, |_, _| None)
}

/// The chart with each bar, point or slice linked to `link(row, series)` when it gives an
/// address (the row of the sheet, the index in `chart.series`).
pub fn svg_linked(sheet: &Sheet, chart: &Chart, link: impl Fn(usize, usize) -> Option<String>) -> String {
    let data = Data::of(sheet, chart);
    let mut out = String::new();
    let height = match chart.kind {
        ChartKind::Bar => 60.0 + 26.0 * data.labels.len().max(1) as f64 * data.series.len().max(1) as f64,
        _ => HEIGHT,
    };
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{}" font-family="sans-serif" font-size="12">"#,
        esc(&chart.title)
    );
    let _ = write!(out, "<title>{}</title>", esc(&chart.title));
    let _ = write!(
        out,
        r#"<text x="{}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{}</text>"#,
        WIDTH / 2.0,
        esc(&chart.title)
    );
    if data.labels.is_empty() || data.max() <= 0.0 && chart.kind == ChartKind::Pie {
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#666">—</text>"##,
            WIDTH / 2.0,
            height / 2.0
        );
        out.push_str("</svg>");
        return out;
    }
    match chart.kind {
        ChartKind::Column | ChartKind::Line => columns_or_line(&mut out, &data, chart.kind, &link),
        ChartKind::Bar => bars(&mut out, &data, height, &link),
        ChartKind::Pie => pie(&mut out, &data, &link),
    }
    if data.series.len() > 1 && chart.kind != ChartKind::Pie {
        legend(&mut out, &data, height);
    }
    out.push_str("</svg>");
    out
}

struct Series {
    name: String,
    kind: Kind,
    values: Vec<f64>,
}

struct Data {
    labels: Vec<String>,
    series: Vec<Series>,
}

impl Data {
    fn of(sheet: &Sheet, chart: &Chart) -> Data {
        let labels = sheet.rows.iter().map(|r| label(r.get(chart.categories))).collect();
        let series = chart
            .series
            .iter()
            .filter_map(|&c| sheet.columns.get(c).map(|col| (c, col)))
            .map(|(c, col)| Series {
                name: col.header.clone(),
                kind: col.kind,
                values: sheet.rows.iter().map(|r| r.get(c).and_then(Cell::number).unwrap_or(0.0)).collect(),
            })
            .collect();
        Data { labels, series }
    }

    fn max(&self) -> f64 {
        self.series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max)
    }
}

fn label(c: Option<&Cell>) -> String {
    match c {
        Some(Cell::Text(s)) => s.clone(),
        Some(Cell::Int(n)) => n.to_string(),
        Some(Cell::Num(n)) => format!("{n}"),
        Some(Cell::Percent(n)) => format!("{:.1}%", n * 100.0),
        Some(Cell::Date(d)) => d.strftime("%Y-%m-%d").to_string(),
        Some(Cell::DateTime(t)) => t.strftime("%Y-%m-%d %H:%M").to_string(),
        Some(Cell::Empty) | None => String::new(),
    }
}

/// A value as the chart's labels show it.
fn value_text(v: f64, kind: Kind) -> String {
    match kind {
        Kind::Percent => format!("{:.1}%", round_half_away(v * 100.0, 1)),
        Kind::Integer => format!("{}", v.round() as i64),
        Kind::Money => format!("{:.2}", round_half_away(v, 2)),
        _ if v.fract() == 0.0 => format!("{}", v as i64),
        _ => format!("{:.1}", round_half_away(v, 1)),
    }
}

/// A round upper bound for the axis (1, 2 or 5 times a power of ten) and its step.
fn axis(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * pow).find(|s| s * 4.0 >= max).unwrap_or(10.0 * pow);
    (step * 4.0, step)
}

/// Shortens a label to `width` columns (the whole label is in the element's title).
fn short(s: &str, width: usize) -> String {
    if display_width(s) <= width {
        return s.to_owned();
    }
    let mut out = String::new();
    for c in s.chars() {
        if display_width(&out) + display_width(&c.to_string()) > width.saturating_sub(1) {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn open_link(out: &mut String, href: &Option<String>) {
    if let Some(h) = href {
        let _ = write!(out, r#"<a href="{}">"#, esc(h));
    }
}

fn close_link(out: &mut String, href: &Option<String>) {
    if href.is_some() {
        out.push_str("</a>");
    }
}

fn columns_or_line(out: &mut String, d: &Data, kind: ChartKind, link: &impl Fn(usize, usize) -> Option<String>) {
    let (left, right, top, bottom) = (56.0, 16.0, 34.0, HEIGHT - 56.0);
    let plot_w = WIDTH - left - right;
    let (top_value, step) = axis(d.max());
    let y = |v: f64| bottom - (v.max(0.0) / top_value) * (bottom - top);
    let value_kind = d.series.first().map_or(Kind::Decimal, |s| s.kind);
    for i in 0..=4 {
        let v = step * i as f64;
        let _ = write!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" fill="#444">{}</text>"##,
            WIDTH - right,
            left - 6.0,
            y(v) + 4.0,
            esc(&value_text(v, value_kind)),
            y = y(v)
        );
    }
    let n = d.labels.len();
    let slot = plot_w / n as f64;
    let label_width = ((slot / 7.0) as usize).max(2);
    for (i, l) in d.labels.iter().enumerate() {
        let cx = left + slot * (i as f64 + 0.5);
        let _ = write!(
            out,
            r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" fill="#222"><title>{}</title>{}</text>"##,
            bottom + 16.0,
            esc(l),
            esc(&short(l, label_width))
        );
    }
    let k = d.series.len().max(1) as f64;
    for (si, s) in d.series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        if kind == ChartKind::Line {
            let points: Vec<String> = s
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", left + slot * (i as f64 + 0.5), y(*v)))
                .collect();
            let _ = write!(
                out,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                points.join(" ")
            );
        }
        for (i, v) in s.values.iter().enumerate() {
            let href = link(i, si);
            let tip = format!("{} · {}：{}", d.labels[i], s.name, value_text(*v, s.kind));
            open_link(out, &href);
            if kind == ChartKind::Line {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>{}</title></circle>"#,
                    left + slot * (i as f64 + 0.5),
                    y(*v),
                    esc(&tip)
                );
            } else {
                let bar_w = (slot * 0.7 / k).max(1.0);
                let x = left + slot * i as f64 + slot * 0.15 + bar_w * si as f64;
                let _ = write!(
                    out,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{:.1}" fill="{colour}"><title>{}</title></rect>"#,
                    y(*v),
                    bottom - y(*v),
                    esc(&tip)
                );
                if n * d.series.len() <= 24 && *v > 0.0 {
                    let _ = write!(
                        out,
                        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="#222">{}</text>"##,
                        x + bar_w / 2.0,
                        y(*v) - 3.0,
                        esc(&value_text(*v, s.kind))
                    );
                }
            }
            close_link(out, &href);
        }
    }
    let _ = write!(out, r##"<line x1="{left}" x2="{}" y1="{bottom}" y2="{bottom}" stroke="#444"/>"##, WIDTH - right);
}

fn bars(out: &mut String, d: &Data, height: f64, link: &impl Fn(usize, usize) -> Option<String>) {
    let (left, right, top) = (150.0, 60.0, 34.0);
    let bottom = height - 26.0;
    let plot_w = WIDTH - left - right;
    let (top_value, _) = axis(d.max());
    let k = d.series.len().max(1) as f64;
    let slot = (bottom - top) / d.labels.len() as f64;
    for (i, l) in d.labels.iter().enumerate() {
        let cy = top + slot * (i as f64 + 0.5);
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#222"><title>{}</title>{}</text>"##,
            left - 6.0,
            cy + 4.0,
            esc(l),
            esc(&short(l, 20))
        );
        for (si, s) in d.series.iter().enumerate() {
            let v = s.values[i];
            let bar_h = (slot * 0.7 / k).max(1.0);
            let yy = top + slot * i as f64 + slot * 0.15 + bar_h * si as f64;
            let w = (v.max(0.0) / top_value) * plot_w;
            let href = link(i, si);
            open_link(out, &href);
            let _ = write!(
                out,
                r#"<rect x="{left}" y="{yy:.1}" width="{w:.1}" height="{bar_h:.1}" fill="{}"><title>{}</title></rect>"#,
                PALETTE[si % PALETTE.len()],
                esc(&format!("{l} · {}：{}", s.name, value_text(v, s.kind)))
            );
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#222">{}</text>"##,
                left + w + 4.0,
                yy + bar_h / 2.0 + 4.0,
                esc(&value_text(v, s.kind))
            );
            close_link(out, &href);
        }
    }
    let _ = write!(out, r##"<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#444"/>"##);
}

fn pie(out: &mut String, d: &Data, link: &impl Fn(usize, usize) -> Option<String>) {
    let Some(s) = d.series.first() else { return };
    let total: f64 = s.values.iter().filter(|v| **v > 0.0).sum();
    let (cx, cy, r) = (200.0, HEIGHT / 2.0 + 10.0, 110.0);
    let mut angle = -std::f64::consts::FRAC_PI_2;
    let mut legend_y = 50.0;
    for (i, v) in s.values.iter().enumerate() {
        if *v <= 0.0 {
            continue;
        }
        let share = v / total;
        let colour = PALETTE[i % PALETTE.len()];
        let tip = format!("{}：{}（{:.1}%）", d.labels[i], value_text(*v, s.kind), round_half_away(share * 100.0, 1));
        let href = link(i, 0);
        open_link(out, &href);
        if share >= 0.9999 {
            let _ = write!(
                out,
                r#"<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}"><title>{}</title></circle>"#,
                esc(&tip)
            );
        } else {
            let end = angle + share * std::f64::consts::TAU;
            let (x1, y1) = (cx + r * angle.cos(), cy + r * angle.sin());
            let (x2, y2) = (cx + r * end.cos(), cy + r * end.sin());
            let large = u8::from(share > 0.5);
            let _ = write!(
                out,
                r#"<path d="M{cx},{cy} L{x1:.2},{y1:.2} A{r},{r} 0 {large} 1 {x2:.2},{y2:.2} Z" fill="{colour}" stroke="white"><title>{}</title></path>"#,
                esc(&tip)
            );
            angle = end;
        }
        let _ = write!(
            out,
            r##"<rect x="360" y="{:.1}" width="12" height="12" fill="{colour}"/><text x="378" y="{:.1}" fill="#222">{}</text>"##,
            legend_y - 10.0,
            legend_y,
            esc(&short(&tip, 36))
        );
        close_link(out, &href);
        legend_y += 20.0;
    }
}

fn legend(out: &mut String, d: &Data, height: f64) {
    let mut x = 56.0;
    let y = height - 14.0;
    for (si, s) in d.series.iter().enumerate() {
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{y:.1}" fill="#222">{}</text>"##,
            y - 10.0,
            PALETTE[si % PALETTE.len()],
            x + 16.0,
            esc(&s.name)
        );
        x += 28.0 + 7.0 * display_width(&s.name) as f64;
    }
}

/// Escapes text for SVG (XML) content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_bounds_are_round_and_cover_the_maximum() {
        assert_eq!(axis(7.0), (8.0, 2.0));
        assert_eq!(axis(100.0), (100.0, 25.0));
        assert_eq!(axis(0.0), (1.0, 0.25));
        let (top, _) = axis(0.87);
        assert!((0.87..=1.0).contains(&top));
    }

    #[test]
    fn labels_are_shortened_by_their_width() {
        assert_eq!(short("卡纸", 8), "卡纸");
        assert_eq!(short("设备故障设备故障", 8), "设备故…");
    }
}
