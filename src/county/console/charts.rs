//! The dashboard's charts, drawn on the server as SVG with plotters:
//! horizontal bars for a breakdown (status, category, station, unit) and
//! columns for the months. The labels are SVG text the browser draws (so
//! Chinese renders with the reader's fonts; plotters escapes them), each
//! bar's count written beside it; the same figures are always shown as a
//! table too.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The bars' colour.
const BAR: RGBColor = RGBColor(46, 109, 164);
const INK: RGBColor = RGBColor(34, 34, 34);
const RULE: RGBColor = RGBColor(200, 200, 200);

const FONT: &str = "sans-serif";
// Plotters writes a font's size divided by 1.24: 17 is 13.7 px.
/// Pixels a character of a label takes at most (CJK at 14 px).
const CHAR_WIDTH: u32 = 15;
const ROW: u32 = 28;
const WIDTH: u32 = 720;

/// Horizontal bars, one row a (label, count), in the order given; `title`
/// names the chart for screen readers, `empty` is said when there are no
/// rows.
pub fn bars(title: &str, items: &[(String, u64)], empty: &str) -> String {
    let height = items.len().max(1) as u32 * ROW + 16;
    drawn(title, height, |root| draw_bars(root, items, empty))
}

/// The area charts are drawn on.
type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// A chart `height` high drawn by `draw` on white, as titled SVG. Drawing
/// into a string fails on nothing: what `draw` drew is kept.
fn drawn(title: &str, height: u32, draw: impl FnOnce(&Area<'_>) -> Drawn) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let _ = root.fill(&WHITE).and_then(|()| draw(&root));
        let _ = root.present();
    }
    titled(svg, title)
}

fn draw_bars(root: &Area<'_>, items: &[(String, u64)], empty: &str) -> Drawn {
    let label_style = TextStyle::from((FONT, 17).into_font())
        .color(&INK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    if items.is_empty() {
        root.draw(&Text::new(
            empty.to_string(),
            (16, (ROW / 2 + 8) as i32),
            TextStyle::from((FONT, 17).into_font())
                .color(&INK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        return Ok(());
    }
    let longest = items
        .iter()
        .map(|(l, _)| l.chars().count() as u32)
        .max()
        .unwrap_or(0);
    let label_width = (longest * CHAR_WIDTH + 16).clamp(60, WIDTH / 2);
    // Room for the count after the longest bar.
    let bar_room = WIDTH - label_width - 70;
    let most = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let count_style = TextStyle::from((FONT, 16).into_font())
        .color(&INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    root.draw(&PathElement::new(
        vec![
            (label_width as i32, 4),
            (label_width as i32, (items.len() as u32 * ROW + 12) as i32),
        ],
        RULE,
    ))?;
    for (i, (label, n)) in items.iter().enumerate() {
        let top = 8 + i as u32 * ROW;
        let middle = (top + ROW / 2) as i32;
        root.draw(&Text::new(
            label.clone(),
            (label_width as i32 - 8, middle),
            label_style.clone(),
        ))?;
        let length = (*n as f64 / most as f64 * bar_room as f64).round() as i32;
        if length > 0 {
            root.draw(&Rectangle::new(
                [
                    (label_width as i32, top as i32 + 4),
                    (label_width as i32 + length, (top + ROW) as i32 - 4),
                ],
                BAR.filled(),
            ))?;
        }
        root.draw(&Text::new(
            n.to_string(),
            (label_width as i32 + length + 6, middle),
            count_style.clone(),
        ))?;
    }
    Ok(())
}

/// Columns, one a (label, count) left to right (the months); the count
/// over each column, the label under it.
pub fn columns(title: &str, items: &[(String, u64)]) -> String {
    let height = 260;
    drawn(title, height, |root| draw_columns(root, items, height))
}

fn draw_columns(root: &Area<'_>, items: &[(String, u64)], height: u32) -> Drawn {
    let (left, base, top) = (8i32, height as i32 - 30, 24i32);
    let slot = (WIDTH as i32 - 2 * left) / items.len().max(1) as i32;
    let most = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let centred = |size: u32, v: VPos| {
        TextStyle::from((FONT, size).into_font())
            .color(&INK)
            .pos(Pos::new(HPos::Center, v))
    };
    root.draw(&PathElement::new(
        vec![(left, base), (WIDTH as i32 - left, base)],
        RULE,
    ))?;
    for (i, (label, n)) in items.iter().enumerate() {
        let x = left + i as i32 * slot;
        let middle = x + slot / 2;
        let length = (*n as f64 / most as f64 * (base - top) as f64).round() as i32;
        if length > 0 {
            root.draw(&Rectangle::new(
                [(x + 6, base - length), (x + slot - 6, base)],
                BAR.filled(),
            ))?;
        }
        root.draw(&Text::new(
            n.to_string(),
            (middle, base - length - 4),
            centred(16, VPos::Bottom),
        ))?;
        root.draw(&Text::new(
            label.clone(),
            (middle, base + 6),
            centred(15, VPos::Top),
        ))?;
    }
    Ok(())
}

/// The SVG with a `<title>` (what screen readers say) and `role="img"`.
fn titled(svg: String, title: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg;
    };
    let mut escaped = String::new();
    for c in title.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            other => escaped.push(other),
        }
    }
    format!(
        "{} role=\"img\" aria-label=\"{escaped}\">\n<title>{escaped}</title>{}",
        &svg[..end],
        &svg[end + 1..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(list: &[(&str, u64)]) -> Vec<(String, u64)> {
        list.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    }

    #[test]
    fn bars_carry_their_labels_and_counts_escaped() {
        let svg = bars(
            "按状态 <统计>",
            &items(&[("已交办", 7), ("青禾县住房和城乡建设局", 3), ("A&B <x>", 0)]),
            "暂无数据",
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains("role=\"img\" aria-label=\"按状态 &lt;统计&gt;\""),
            "{svg}"
        );
        assert!(svg.contains("<title>按状态 &lt;统计&gt;</title>"));
        for label in [
            "已交办",
            "青禾县住房和城乡建设局",
            "A&amp;B &lt;x&gt;",
            "\n7\n</text>",
            "\n3\n</text>",
            "\n0\n</text>",
        ] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        assert!(!svg.contains("<x>"));
        // Two bars drawn: the zero has none.
        assert_eq!(
            svg.matches("<rect").count(),
            3,
            "the background and two bars: {svg}"
        );
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn an_empty_chart_says_so_and_columns_show_every_month() {
        let svg = bars("按单位", &[], "暂无数据");
        assert!(svg.contains("暂无数据"));
        let months = items(&[("2026-01", 0), ("2026-02", 4), ("2026-03", 1)]);
        let svg = columns("按月份", &months);
        for label in ["2026-01", "2026-02", "2026-03", "\n4\n</text>"] {
            assert!(svg.contains(label), "{label} in {svg}");
        }
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
    }
}
