//! `jiedai qr deputy ID --out FILE` and `jiedai qr station --out FILE`:
//! posters' QR codes. An SVG carries the code, the name and a caption
//! saying what scanning does; a PNG carries the code alone (with its quiet
//! zone), to be placed on a poster by other means.

use std::path::Path;
use std::process::ExitCode;

use qrcode::{Color, EcLevel, QrCode};

use super::{exit, open_store_read, out, report_store_error, say};
use crate::domain::public;
use crate::i18n::Lang;

/// Pixels per module in a PNG.
const PNG_SCALE: u32 = 10;
/// Quiet zone, in modules.
const QUIET: u32 = 4;

fn fail(message: String) -> ExitCode {
    say(format_args!("jiedai: {message}"));
    ExitCode::from(exit::FAILED)
}

/// The station's store (read only) and its configuration.
fn open_station(dir: &Path, lang: Lang) -> Result<(crate::storage::Store, crate::domain::Station), ExitCode> {
    let store = open_store_read(dir, lang).map_err(|e| report_store_error(&e, lang))?;
    match store.station() {
        Ok(Some(s)) => Ok((store, s)),
        Ok(None) => Err(fail(lang.pick("尚未设置站点", "no station is set up").into())),
        Err(e) => Err(report_store_error(&e, lang)),
    }
}

pub fn deputy(dir: &Path, id: &str, file: &Path, lang: Lang) -> ExitCode {
    let (store, station) = match open_station(dir, lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let deputies = match store.deputies() {
        Ok(d) => d,
        Err(e) => return report_store_error(&e, lang),
    };
    let Some(deputy) = deputies.into_iter().find(|d| d.id == id) else {
        return fail(lang.pick(
            format!("找不到编号为 {id} 的代表"),
            format!("no deputy has the id {id}"),
        ));
    };
    let url = match public::deputy_url(&station, &deputy.id) {
        Ok(u) => u,
        Err(e) => return fail(e.message(lang)),
    };
    let title = format!("人大代表 {}", deputy.name);
    // What the deputy's page shows, and no more: citizens cannot write in
    // through it (yet).
    let caption = "扫码查看代表的层级、专长和近期接待选民日";
    write(file, &url, &title, caption, lang)
}

pub fn station(dir: &Path, file: &Path, lang: Lang) -> ExitCode {
    let (_, station) = match open_station(dir, lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let url = match public::station_url(&station) {
        Ok(u) => u,
        Err(e) => return fail(e.message(lang)),
    };
    // What the station's page shows, and no more.
    let caption = "扫码查看联络站地址、接待时间和代表";
    write(file, &url, &station.name, caption, lang)
}

fn write(file: &Path, url: &str, title: &str, caption: &str, lang: Lang) -> ExitCode {
    let code = match QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) {
        Ok(c) => c,
        Err(e) => return fail(format!("{url}: {e}")),
    };
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let result = match ext.as_str() {
        "png" => png(&code).save(file).map_err(|e| e.to_string()),
        "svg" => std::fs::write(file, svg(&code, title, caption)).map_err(|e| e.to_string()),
        _ => {
            return fail(
                lang.pick(
                    "输出文件应以 .png 或 .svg 结尾",
                    "the output file must end in .png or .svg",
                )
                .into(),
            );
        }
    };
    match result {
        Ok(()) => {
            out(lang.pick(
                format!("已写入 {}：{url}", file.display()),
                format!("wrote {}: {url}", file.display()),
            ));
            ExitCode::from(exit::OK)
        }
        Err(e) => fail(lang.pick(
            format!("{} 无法写入（{e}）", file.display()),
            format!("{} cannot be written ({e})", file.display()),
        )),
    }
}

fn png(code: &QrCode) -> image::GrayImage {
    let n = code.width() as u32;
    let colors = code.to_colors();
    let side = (n + 2 * QUIET) * PNG_SCALE;
    image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / PNG_SCALE, y / PNG_SCALE);
        let dark = mx >= QUIET
            && my >= QUIET
            && mx < n + QUIET
            && my < n + QUIET
            && colors[((my - QUIET) * n + (mx - QUIET)) as usize] == Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A font size at which `text` fits across `side` (a Chinese character
/// is about one em wide).
fn font_size(text: &str, side: u32, most: f32) -> f32 {
    let ems = unicode_width::UnicodeWidthStr::width(text).max(1) as f32 / 2.0;
    (((side as f32 - 2.0) / ems).min(most) * 10.0).floor() / 10.0
}

/// The code in modules of one unit, with the title above and the caption
/// below it.
fn svg(code: &QrCode, title: &str, caption: &str) -> String {
    let n = code.width() as u32;
    let colors = code.to_colors();
    let side = n + 2 * QUIET;
    let top = 8;
    let height = side + top + 8;
    let mut path = String::new();
    for y in 0..n {
        for x in 0..n {
            if colors[(y * n + x) as usize] == Color::Dark {
                path.push_str(&format!("M{} {}h1v1h-1z", x + QUIET, y + QUIET + top));
            }
        }
    }
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{pw}\" height=\"{ph}\" shape-rendering=\"crispEdges\">\n",
            "<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n",
            "<text x=\"{cx}\" y=\"6\" font-size=\"{tf}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-weight=\"bold\">{title}</text>\n",
            "<path d=\"{path}\" fill=\"#000\"/>\n",
            "<text x=\"{cx}\" y=\"{cy}\" font-size=\"{cf}\" text-anchor=\"middle\" font-family=\"sans-serif\">{caption}</text>\n",
            "</svg>\n"
        ),
        w = side,
        h = height,
        pw = side * 10,
        ph = height * 10,
        cx = side as f32 / 2.0,
        cy = side + top + 4,
        tf = font_size(title, side, 3.2),
        cf = font_size(caption, side, 2.0),
        title = xml_escape(title),
        path = path,
        caption = xml_escape(caption),
    )
}
