//! A task's progress as a chart a person opens in a browser: a self-contained SVG with two
//! panels, validation accuracy (%) and validation loss per round, each with axes, ticks and
//! labels. Written by hand (SVG is text), so the node needs no plotting library.

use std::fmt::Write;

/// One round's measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
	/// The round, from 1 (0 for the initial model).
	pub round: u32,
	/// Validation accuracy, `0..=1`.
	pub accuracy: f64,
	/// Validation loss (mean cross-entropy).
	pub loss: f64,
}

const WIDTH: f64 = 720.0;
const PANEL_HEIGHT: f64 = 260.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 20.0;
const TITLE_HEIGHT: f64 = 40.0;
const PANEL_GAP: f64 = 60.0;
const MARGIN_BOTTOM: f64 = 50.0;

/// Escapes text for SVG content and attribute values.
fn escape(text: &str) -> String {
	text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// About `count` round numbers from `low` to `high` (1, 2 or 5 times a power of ten apart).
fn ticks(low: f64, high: f64, count: f64) -> Vec<f64> {
	let span = (high - low).max(f64::EPSILON);
	let raw = span / count;
	let power = 10f64.powf(raw.log10().floor());
	let step =
		[1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power);
	let first = (low / step).ceil() as i64;
	let last = (high / step).floor() as i64;
	(first..=last).map(|i| i as f64 * step).collect()
}

/// The lowest multiple of the tick step at or above `highest` (and above zero): the top of an
/// axis from zero.
fn round_top(highest: f64) -> f64 {
	let highest = highest.max(1e-3);
	let step = ticks(0.0, highest, 5.0).windows(2).next().map_or(highest, |w| w[1] - w[0]);
	(highest / step).ceil() * step
}

/// A tick label: no more decimals than the step needs.
fn label(value: f64, step: f64) -> String {
	let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
	format!("{value:.decimals$}")
}

/// One panel: axes, ticks, grid, the series as a line with a dot per round, and labels.
#[allow(clippy::too_many_arguments)]
fn panel(
	out: &mut String,
	top: f64,
	name: &str,
	colour: &str,
	points: &[(u32, f64)],
	(x_low, x_high): (f64, f64),
	(y_low, y_high): (f64, f64),
) {
	let (left, right) = (MARGIN_LEFT, WIDTH - MARGIN_RIGHT);
	let bottom = top + PANEL_HEIGHT;
	let x = |r: f64| left + (r - x_low) / (x_high - x_low).max(f64::EPSILON) * (right - left);
	let y = |v: f64| bottom - (v - y_low) / (y_high - y_low).max(f64::EPSILON) * PANEL_HEIGHT;
	let _ = writeln!(out, r#"<g class="panel" id="{}">"#, escape(&name.to_lowercase()));
	let _ = writeln!(
		out,
		r#"<text x="{left}" y="{}" font-size="14" font-weight="bold">{}</text>"#,
		top - 8.0,
		escape(name)
	);
	let y_ticks = ticks(y_low, y_high, 5.0);
	let y_step = y_ticks.windows(2).next().map_or(1.0, |w| w[1] - w[0]);
	for v in &y_ticks {
		let _ = writeln!(
			out,
			r##"<line x1="{left}" y1="{0:.1}" x2="{right}" y2="{0:.1}" stroke="#e0e0e0"/><text x="{1}" y="{2:.1}" font-size="11" text-anchor="end">{3}</text>"##,
			y(*v),
			left - 6.0,
			y(*v) + 4.0,
			label(*v, y_step)
		);
	}
	let x_ticks: Vec<f64> =
		ticks(x_low, x_high, 10.0).into_iter().filter(|r| r.fract() == 0.0).collect();
	for r in &x_ticks {
		let _ = writeln!(
			out,
			r##"<line x1="{0:.1}" y1="{bottom}" x2="{0:.1}" y2="{1}" stroke="#333"/><text x="{0:.1}" y="{2}" font-size="11" text-anchor="middle">{3}</text>"##,
			x(*r),
			bottom + 5.0,
			bottom + 18.0,
			*r as i64
		);
	}
	let _ = writeln!(
		out,
		r##"<path d="M{left},{top} V{bottom} H{right}" fill="none" stroke="#333"/>"##
	);
	let _ = writeln!(
		out,
		r#"<text x="{0}" y="{1}" font-size="12" text-anchor="middle">round</text>"#,
		(left + right) / 2.0,
		bottom + 36.0
	);
	let _ = writeln!(
		out,
		r#"<text transform="translate(18,{0}) rotate(-90)" font-size="12" text-anchor="middle">{1}</text>"#,
		top + PANEL_HEIGHT / 2.0,
		escape(name)
	);
	if points.is_empty() {
		let _ = writeln!(
			out,
			r##"<text x="{0}" y="{1}" font-size="13" text-anchor="middle" fill="#888">no rounds yet</text>"##,
			(left + right) / 2.0,
			top + PANEL_HEIGHT / 2.0
		);
	} else {
		let path: Vec<String> = points
			.iter()
			.enumerate()
			.map(|(i, (r, v))| {
				format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x(*r as f64), y(*v))
			})
			.collect();
		let _ = writeln!(
			out,
			r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
			path.join(" ")
		);
		for (r, v) in points {
			let _ = writeln!(
				out,
				r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>round {r}: {}</title></circle>"#,
				x(*r as f64),
				y(*v),
				label(*v, y_step / 100.0)
			);
		}
	}
	let _ = writeln!(out, "</g>");
}

/// The chart of `points` (in any order; drawn by round) under `title`: accuracy in % on top
/// (axis 0–100), loss below (axis from 0 to a round number above the highest loss). Non-finite
/// values are left out; no points draws both panels empty, saying so.
pub fn svg(title: &str, points: &[Point]) -> String {
	let mut points: Vec<Point> =
		points.iter().copied().filter(|p| p.accuracy.is_finite() && p.loss.is_finite()).collect();
	points.sort_by_key(|p| p.round);
	let x_range = match (points.first(), points.last()) {
		(Some(first), Some(last)) if first.round < last.round => {
			(first.round as f64, last.round as f64)
		},
		(Some(only), _) => ((only.round as f64 - 1.0).max(0.0), only.round as f64 + 1.0),
		_ => (0.0, 10.0),
	};
	let accuracy: Vec<(u32, f64)> =
		points.iter().map(|p| (p.round, (p.accuracy * 100.0).clamp(0.0, 100.0))).collect();
	let loss: Vec<(u32, f64)> = points.iter().map(|p| (p.round, p.loss.max(0.0))).collect();
	let highest = loss.iter().map(|(_, l)| *l).fold(0.0, f64::max);
	let loss_top = round_top(highest);
	let height = TITLE_HEIGHT + 2.0 * PANEL_HEIGHT + PANEL_GAP + MARGIN_BOTTOM + 30.0;
	let mut out = String::new();
	let _ = writeln!(
		out,
		r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">"#
	);
	let _ = writeln!(out, "<title>{}</title>", escape(title));
	let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
	let _ = writeln!(
		out,
		r#"<text x="{}" y="24" font-size="16" text-anchor="middle">{}</text>"#,
		WIDTH / 2.0,
		escape(title)
	);
	let first_top = TITLE_HEIGHT + 20.0;
	panel(&mut out, first_top, "Accuracy (%)", "#1f77b4", &accuracy, x_range, (0.0, 100.0));
	panel(
		&mut out,
		first_top + PANEL_HEIGHT + PANEL_GAP,
		"Loss",
		"#d62728",
		&loss,
		x_range,
		(0.0, loss_top),
	);
	let _ = writeln!(out, "</svg>");
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A minimal XML well-formedness check: every tag closes in order, attributes are quoted,
	/// and no raw `<` or `&` appears in text.
	fn well_formed(xml: &str) -> Result<(), String> {
		let mut open: Vec<String> = Vec::new();
		let mut rest = xml;
		while let Some(start) = rest.find(['<', '&']) {
			let text = &rest[..start];
			if text.contains('>') {
				return Err(format!("stray '>' in {text:?}"));
			}
			rest = &rest[start..];
			if rest.starts_with('&') {
				let end = rest.find(';').ok_or("unterminated entity")?;
				if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&&rest[..=end]) {
					return Err(format!("unknown entity {}", &rest[..=end]));
				}
				rest = &rest[end + 1..];
				continue;
			}
			let end = rest.find('>').ok_or("unterminated tag")?;
			let tag = &rest[1..end];
			rest = &rest[end + 1..];
			if let Some(name) = tag.strip_prefix('/') {
				match open.pop() {
					Some(o) if o == name => {},
					other => return Err(format!("</{name}> closes {other:?}")),
				}
				continue;
			}
			let self_closing = tag.ends_with('/');
			let tag = tag.trim_end_matches('/');
			let name = tag.split_whitespace().next().ok_or("empty tag")?;
			if !tag.matches('"').count().is_multiple_of(2) || tag.contains('<') {
				return Err(format!("bad attributes in <{tag}>"));
			}
			if !self_closing {
				open.push(name.to_string());
			}
		}
		match open.is_empty() {
			true => Ok(()),
			false => Err(format!("unclosed {open:?}")),
		}
	}

	fn points() -> Vec<Point> {
		(1..=30)
			.map(|r| Point {
				round: r,
				accuracy: 0.1 + 0.8 * (1.0 - (-(r as f64) / 5.0).exp()),
				loss: 2.3 * (-(r as f64) / 8.0).exp(),
			})
			.collect()
	}

	#[test]
	fn a_chart_is_well_formed_svg_with_every_point() {
		let chart = svg("digits <fedavg> & co", &points());
		assert_eq!(well_formed(&chart), Ok(()));
		assert!(chart.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
		assert!(chart.contains("digits &lt;fedavg&gt; &amp; co"));
		// One dot per round in each panel, with its value.
		assert_eq!(chart.matches(r#"class="point""#).count(), 60);
		assert!(chart.contains("<title>round 30: "));
		assert!(chart.contains(">Accuracy (%)<") && chart.contains(">Loss<"));
		// Axis ticks: 0 to 100 % for accuracy, rounds 5 to 30.
		assert!(chart.contains(">100</text>") && chart.contains(">30</text>"));
	}

	#[test]
	fn empty_single_and_odd_inputs_still_draw() {
		let empty = svg("nothing", &[]);
		assert_eq!(well_formed(&empty), Ok(()));
		assert_eq!(empty.matches("no rounds yet").count(), 2);
		assert_eq!(empty.matches(r#"class="point""#).count(), 0);

		let one = svg("one", &[Point { round: 1, accuracy: 0.5, loss: 0.0 }]);
		assert_eq!(well_formed(&one), Ok(()));
		assert_eq!(one.matches(r#"class="point""#).count(), 2);
		assert!(!one.contains("NaN") && !one.contains("inf"));

		let odd = [
			Point { round: 3, accuracy: f64::NAN, loss: 1.0 },
			Point { round: 2, accuracy: 1.2, loss: 1e6 },
			Point { round: 1, accuracy: -0.1, loss: 0.5 },
		];
		let chart = svg("odd", &odd);
		assert_eq!(well_formed(&chart), Ok(()));
		assert_eq!(chart.matches(r#"class="point""#).count(), 4, "the NaN point is left out");
		assert!(!chart.contains("NaN") && !chart.contains("inf"));
	}

	#[test]
	fn the_checker_catches_broken_xml() {
		assert!(well_formed("<svg><g></svg>").is_err());
		assert!(well_formed("<svg>a < b</svg>").is_err());
		assert!(well_formed("<svg>a & b</svg>").is_err());
		assert!(well_formed(r#"<svg x="1><g/></svg>"#).is_err());
		assert_eq!(well_formed(r#"<svg x="1"><g/></svg>"#), Ok(()));
	}

	#[test]
	fn ticks_are_round_numbers() {
		assert_eq!(ticks(0.0, 100.0, 5.0), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
		assert_eq!(ticks(1.0, 30.0, 5.0), vec![10.0, 20.0, 30.0]);
		assert_eq!(ticks(1.0, 30.0, 10.0), vec![5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
		assert_eq!(ticks(0.0, 2.0, 5.0), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
		assert_eq!(ticks(0.0, 2.3, 5.0).len(), 5);
		assert_eq!(label(0.5, 0.5), "0.5");
		assert_eq!(label(40.0, 20.0), "40");
		assert_eq!(round_top(2.31), 2.5);
		assert_eq!(round_top(2.0), 2.0);
		assert!(round_top(0.0) > 0.0);
	}
}
