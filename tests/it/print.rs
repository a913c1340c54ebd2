#![cfg(feature = "county")]
//! Receipts and QR codes through the real binary: a fake ESC/POS printer
//! on a loopback port takes the bytes and answers status queries; what it
//! captured is parsed back into text and QR payloads.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use crate::support::cli;
use crate::support::county;
use crate::support::printer;

use cli::*;
use county::get;
use jiedai::storage::Store;
use jiedai::storage::print_jobs::JobState;
use printer::{Behaviour, FakePrinter};

/// The pieces of an ESC/POS stream this program writes.
#[derive(Debug, Default)]
struct Parsed {
    text: Vec<String>,
    qr_native: Vec<String>,
    rasters: Vec<(usize, Vec<Vec<bool>>)>,
    status_queries: usize,
}

fn parse(bytes: &[u8]) -> Parsed {
    let mut p = Parsed::default();
    let mut text = Vec::new();
    let flush = |text: &mut Vec<u8>, p: &mut Parsed| {
        if !text.is_empty() {
            let (s, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(text);
            assert!(!had_errors, "text is GB18030: {text:?}");
            p.text.extend(s.lines().map(str::to_string));
            text.clear();
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &bytes[i..];
        match b {
            0x1b => {
                flush(&mut text, &mut p);
                i += match rest.get(1) {
                    Some(b'@') => 2,
                    Some(b'a' | b'E' | b'd') => 3,
                    other => panic!("unknown ESC {other:?}"),
                };
            }
            0x1c => {
                flush(&mut text, &mut p);
                i += 2;
            }
            0x10 => {
                flush(&mut text, &mut p);
                assert_eq!(rest[1], 0x04);
                p.status_queries += 1;
                i += 3;
            }
            0x1d => {
                flush(&mut text, &mut p);
                match rest[1] {
                    b'!' => i += 3,
                    b'V' => i += 4,
                    b'(' => {
                        assert_eq!(rest[2], b'k');
                        let len = rest[3] as usize | (rest[4] as usize) << 8;
                        let body = &rest[5..5 + len];
                        if body[0] == 0x31 && body[1] == 0x50 {
                            p.qr_native.push(String::from_utf8(body[3..].to_vec()).unwrap());
                        }
                        i += 5 + len;
                    }
                    b'v' => {
                        let x = rest[4] as usize | (rest[5] as usize) << 8;
                        let y = rest[6] as usize | (rest[7] as usize) << 8;
                        let data = &rest[8..8 + x * y];
                        let rows = data
                            .chunks(x)
                            .map(|row| (0..x * 8).map(|d| row[d / 8] & (0x80 >> (d % 8)) != 0).collect())
                            .collect();
                        p.rasters.push((x * 8, rows));
                        i += 8 + x * y;
                    }
                    other => panic!("unknown GS {other}"),
                }
            }
            _ => {
                text.push(b);
                i += 1;
            }
        }
    }
    flush(&mut text, &mut p);
    p
}

fn decode_image(img: &image::GrayImage) -> String {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("decodes").1
}

fn decode_dots(width: usize, rows: &[Vec<bool>]) -> String {
    let img = image::GrayImage::from_fn(width as u32 + 40, rows.len() as u32 + 40, |x, y| {
        let (x, y) = (x as i64 - 20, y as i64 - 20);
        let dark = x >= 0
            && y >= 0
            && (y as usize) < rows.len()
            && (x as usize) < rows[y as usize].len()
            && rows[y as usize][x as usize];
        image::Luma([if dark { 0 } else { 255 }])
    });
    decode_image(&img)
}

/// A station with its deputies and the sample appeals, and the printer
/// settings in terminal.toml.
fn station_with_appeals(extra: &str) -> tempfile::TempDir {
    let dir = station(true);
    expect(
        dir.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    let terminal = dir.path().join("terminal.toml");
    let mut text = std::fs::read_to_string(&terminal).unwrap();
    text.push_str(&format!("\n[printer]\npaper = 58\ntimeout_ms = 800\n{extra}"));
    std::fs::write(&terminal, text).unwrap();
    dir
}

/// The first imported appeal's code, title and key (the store opened
/// while no command runs).
fn first_appeal(dir: &Path) -> (String, String, String) {
    let store = Store::open(dir).expect("open");
    let mut first = None;
    store
        .for_each_appeal(|a| {
            if first.is_none() {
                first = Some((a.code.to_string(), a.title.clone(), a.access_key.clone()));
            }
            Ok(())
        })
        .unwrap();
    first.expect("an appeal")
}

fn jobs(dir: &Path) -> Vec<jiedai::storage::print_jobs::PrintJob> {
    Store::open(dir).unwrap().print_jobs().unwrap().all().unwrap()
}

#[test]
fn a_receipt_carries_the_progress_link_and_the_text_in_gb18030() {
    let dir = station_with_appeals("");
    let (code, title, key) = first_appeal(dir.path());
    assert_eq!(key.len(), 13, "an imported appeal gets a key: {key:?}");
    let printer = FakePrinter::start(Behaviour::Ready);
    let out = expect(
        dir.path(),
        &["print", "receipt", &code, "--printer", &printer.target()],
        0,
    );
    assert!(printed(&out).contains(&code), "{}", printed(&out));
    let parsed = parse(&printer.bytes());
    assert_eq!(parsed.status_queries, 4, "status asked before and after");
    assert_eq!(
        parsed.qr_native,
        [format!("https://rd.example.cn/330999012/t/{code}?k={key}")]
    );
    let all = parsed.text.join("\n");
    for want in ["柳岸社区人大代表联络站", "来访登记回执", &code, "办理状态："] {
        assert!(all.replace('\n', "").contains(want), "{want} in\n{all}");
    }
    assert!(all.replace('\n', "").contains(&title), "{title} in\n{all}");
    assert!(!all.contains("补打"));
    for line in &parsed.text {
        let w = unicode_width::UnicodeWidthStr::width(line.as_str());
        assert!(w <= 32 || line.contains("柳岸"), "{line} is {w} columns");
    }
    assert!(matches!(jobs(dir.path())[0].state, JobState::Done));
    // The second slip for the same appeal is a reprint, with the same key.
    let again = FakePrinter::start(Behaviour::Ready);
    expect(
        dir.path(),
        &["print", "receipt", &code, "--printer", &again.target()],
        0,
    );
    let parsed = parse(&again.bytes());
    assert!(parsed.text.join("").contains("补打"));
    assert_eq!(
        parsed.qr_native,
        [format!("https://rd.example.cn/330999012/t/{code}?k={key}")]
    );
}

#[test]
fn a_raster_qr_on_80mm_paper_decodes_to_the_link() {
    let dir = station_with_appeals("");
    let terminal = dir.path().join("terminal.toml");
    let text = std::fs::read_to_string(&terminal)
        .unwrap()
        .replace("paper = 58", "paper = 80\nqr = \"raster\"");
    std::fs::write(&terminal, text).unwrap();
    let (code, _, key) = first_appeal(dir.path());
    let printer = FakePrinter::start(Behaviour::Ready);
    expect(
        dir.path(),
        &["print", "receipt", &code, "--printer", &printer.target()],
        0,
    );
    let parsed = parse(&printer.bytes());
    assert!(parsed.qr_native.is_empty());
    assert_eq!(parsed.rasters.len(), 1);
    let (width, rows) = &parsed.rasters[0];
    assert!(*width <= 576);
    assert_eq!(
        decode_dots(*width, rows),
        format!("https://rd.example.cn/330999012/t/{code}?k={key}")
    );
}

#[test]
fn printer_trouble_keeps_the_job_and_retry_prints_it() {
    let dir = station_with_appeals("");
    let (code, _, key) = first_appeal(dir.path());
    // Nobody listens on a port just closed.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = expect(
        dir.path(),
        &[
            "print",
            "receipt",
            &code,
            "--printer",
            &format!("tcp://127.0.0.1:{closed}"),
        ],
        1,
    );
    assert!(printed(&out).contains("打印机拒绝连接"), "{}", printed(&out));
    assert!(printed(&out).contains("print retry"));
    let silent = FakePrinter::start(Behaviour::Silent);
    let started = std::time::Instant::now();
    let out = expect(
        dir.path(),
        &["print", "receipt", &code, "--printer", &silent.target()],
        1,
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(printed(&out).contains("没有回应"), "{}", printed(&out));
    let empty = FakePrinter::start(Behaviour::PaperOut);
    let out = expect(
        dir.path(),
        &[
            "--lang",
            "en",
            "print",
            "receipt",
            &code,
            "--printer",
            &empty.target(),
        ],
        1,
    );
    assert!(printed(&out).contains("out of paper"), "{}", printed(&out));
    let kept = jobs(dir.path());
    assert_eq!(kept.len(), 3);
    assert!(
        kept.iter().all(|j| matches!(j.state, JobState::Failed { .. })),
        "{kept:?}"
    );
    // The printer is back: retry prints every kept job.
    let printer = FakePrinter::start(Behaviour::Ready);
    let out = expect(dir.path(), &["print", "retry", "--printer", &printer.target()], 0);
    assert_eq!(text(&out.stdout).lines().count(), 3, "{}", printed(&out));
    let parsed = parse(&printer.bytes());
    let link = format!("https://rd.example.cn/330999012/t/{code}?k={key}");
    assert_eq!(parsed.qr_native, [link.clone(), link.clone(), link]);
    assert!(jobs(dir.path()).iter().all(|j| j.state == JobState::Done));
    let out = expect(dir.path(), &["print", "retry", "--printer", &printer.target()], 0);
    assert!(printed(&out).contains("没有待打印的任务"));
}

#[test]
fn the_test_page_and_a_missing_printer() {
    let dir = station_with_appeals("");
    let out = expect(dir.path(), &["print", "test"], 1);
    assert!(printed(&out).contains("未设置打印机"), "{}", printed(&out));
    let printer = FakePrinter::start(Behaviour::Ready);
    let terminal = dir.path().join("terminal.toml");
    let mut text = std::fs::read_to_string(&terminal).unwrap();
    text.push_str(&format!("target = \"{}\"\n", printer.target()));
    std::fs::write(&terminal, text).unwrap();
    expect(dir.path(), &["print", "test"], 0);
    let parsed = parse(&printer.bytes());
    assert!(parsed.text.iter().any(|l| l.contains("打印测试")));
    assert!(parsed.text.iter().any(|l| l.contains("中文测试")));
    assert_eq!(parsed.qr_native, ["https://rd.example.cn/330999012/"]);
    // A file as the printer.
    let file = dir.path().join("slip.bin");
    expect(dir.path(), &["print", "test", "--printer", path(&file)], 0);
    assert_eq!(parse(&std::fs::read(&file).unwrap()).qr_native.len(), 1);
}

#[test]
fn a_station_without_a_public_address_is_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(sample("station.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("public_url"))
        .collect::<Vec<_>>()
        .join("\n");
    let file = write(dir.path(), "station.toml", toml.as_bytes());
    let data = dir.path().join("data");
    expect(&data, &["init", "--station", path(&file)], 0);
    let out = expect(
        &data,
        &["qr", "station", "--out", path(&dir.path().join("s.png"))],
        1,
    );
    assert!(printed(&out).contains("public_url"), "{}", printed(&out));
}

#[test]
fn posters_decode_to_the_deputy_and_station_pages() {
    let dir = station(true);
    let png = dir.path().join("station.png");
    expect(dir.path(), &["qr", "station", "--out", path(&png)], 0);
    let img = image::open(&png).unwrap().to_luma8();
    assert_eq!(decode_image(&img), "https://rd.example.cn/330999012/");
    let deputy = std::fs::read_to_string(sample("deputies.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next().map(str::to_string))
        .unwrap();
    let png = dir.path().join("deputy.png");
    expect(dir.path(), &["qr", "deputy", &deputy, "--out", path(&png)], 0);
    let img = image::open(&png).unwrap().to_luma8();
    assert_eq!(
        decode_image(&img),
        format!("https://rd.example.cn/330999012/d/{deputy}")
    );
    let svg = dir.path().join("deputy.svg");
    expect(dir.path(), &["qr", "deputy", &deputy, "--out", path(&svg)], 0);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<path"));
    // Until citizens can write in, a caption promises only what the page
    // shows: the deputy, level, speciality, the next reception days; the
    // station's address, hours and deputies.
    let caption = svg_caption(&text);
    assert!(caption.contains("近期接待选民日"), "{caption}");
    let station_svg = dir.path().join("station.svg");
    expect(dir.path(), &["qr", "station", "--out", path(&station_svg)], 0);
    let station_caption = svg_caption(&std::fs::read_to_string(&station_svg).unwrap());
    assert!(station_caption.contains("地址"), "{station_caption}");
    for said in [caption, station_caption] {
        for promise in ["预约", "反映", "意见建议", "联系代表", "在线", "办理进度"] {
            assert!(!said.contains(promise), "{said} promises {promise}");
        }
    }
    let out = expect(dir.path(), &["qr", "deputy", "NOBODY", "--out", path(&svg)], 1);
    assert!(printed(&out).contains("NOBODY"));
}

/// The kiosk's receipt window draws the same link as half blocks; drawn
/// back into pixels, it decodes.
#[test]
fn the_on_screen_receipt_qr_decodes_to_the_link() {
    use jiedai::tui::app::{Clock, Overlay};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    let dir = station_with_appeals("");
    let store = Store::open(dir.path()).unwrap();
    let mut appeal = None;
    store
        .for_each_appeal(|a| {
            appeal.get_or_insert(a);
            Ok(())
        })
        .unwrap();
    let appeal = appeal.unwrap();
    let link = format!(
        "https://rd.example.cn/330999012/t/{}?k={}",
        appeal.code, appeal.access_key
    );
    let at = appeal.registered_at;
    let started = jiedai::tui::runtime::start_with(
        jiedai::storage::Writer::start(store, None).unwrap(),
        jiedai::i18n::Lang::Zh,
        jiedai::tui::keymap::Keymap::default_layout(),
        Clock::Fixed(at),
        jiedai::commands::kiosk::jobs(),
    )
    .unwrap();
    let mut rt = started.runtime;
    rt.settle();
    // Signed in as the first member of staff: overlays show over the screens.
    rt.dispatch(jiedai::tui::msg::Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    )));
    rt.settle();
    rt.app.overlay = Overlay::Receipt {
        appeal: Box::new(appeal),
    };
    // At 80x24, the smallest kiosk screen a station uses.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| jiedai::tui::views::draw(f, &rt.app)).unwrap();
    let buf = term.backend().buffer();
    // The code's cells are white on black; each cell is two modules high.
    let cells: Vec<(u16, u16, &str)> = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].bg == Color::Black && buf[(x, y)].symbol() != " ")
        .map(|(x, y)| (x, y, buf[(x, y)].symbol()))
        .collect();
    let screen: String = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                + "\n"
        })
        .collect();
    assert!(!cells.is_empty(), "a QR code on screen:\n{screen}");
    let (x0, y0) = (
        cells.iter().map(|c| c.0).min().unwrap(),
        cells.iter().map(|c| c.1).min().unwrap(),
    );
    let (x1, y1) = (
        cells.iter().map(|c| c.0).max().unwrap(),
        cells.iter().map(|c| c.1).max().unwrap(),
    );
    let (w, h) = ((x1 - x0 + 1) as usize, (y1 - y0 + 1) as usize * 2);
    let mut rows = vec![vec![false; w]; h];
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (top_light, bottom_light) = match buf[(x, y)].symbol() {
                "█" => (true, true),
                "▀" => (true, false),
                "▄" => (false, true),
                _ => (false, false),
            };
            let (cx, cy) = ((x - x0) as usize, (y - y0) as usize * 2);
            rows[cy][cx] = !top_light;
            rows[cy + 1][cx] = !bottom_light;
        }
    }
    // Four pixels a module, so the detector has room.
    let scaled: Vec<Vec<bool>> = rows
        .iter()
        .flat_map(|r| {
            let wide: Vec<bool> = r.iter().flat_map(|d| [*d; 4]).collect();
            vec![wide; 4]
        })
        .collect();
    assert_eq!(decode_dots(w * 4, &scaled), link);
}

/// A journal from before access keys: it still replays, and the first
/// receipt issues the appeal's key as an event of its own.
#[test]
fn an_appeal_saved_before_keys_gets_one_at_its_first_receipt() {
    use jiedai::domain::{Appeal, Event, EventBody, EventId, TrackingCode};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let station = jiedai::commands::init::read_station(&sample("station.toml")).unwrap();
    let code = TrackingCode::new(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
        &station.code,
        1,
        1,
    )
    .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-10T09:30:00+08:00").unwrap();
    let appeal = Appeal {
        title: "路灯不亮".into(),
        content: "柳岸路北段路灯坏了一个月。".into(),
        ..Appeal::registered(code.clone(), at)
    };
    let event = |seq, body| Event {
        id: EventId {
            origin: format!("{}-1", station.code),
            seq,
        },
        at,
        actor: "沈佳怡".into(),
        body,
    };
    let events = vec![
        event(
            1,
            EventBody::StationConfigured {
                station: station.clone(),
            },
        ),
        event(2, EventBody::AppealRegistered { appeal }),
    ];
    let payload = serde_json::to_vec(&serde_json::json!({ "v": 1, "events": events })).unwrap();
    assert!(!String::from_utf8_lossy(&payload).contains("access_key"));
    jiedai::storage::write_terminal(&data, &station.code, 1).unwrap();
    let mut journal = jiedai::storage::journal::Journal::create(&data.join("journal")).unwrap();
    journal.write(&payload, 1, 2).unwrap();
    journal.sync().unwrap();
    drop(journal);
    assert_eq!(access_key(&data, code.as_str()), "");

    // The kiosk's receipt view issues the key too (on a copy of the data).
    let copy = dir.path().join("copy");
    copy_dir(&data, &copy);
    assert_eq!(kiosk_receipt_key(&copy, code.as_str()).len(), 13);

    let printer = FakePrinter::start(Behaviour::Ready);
    expect(
        &data,
        &["print", "receipt", code.as_str(), "--printer", &printer.target()],
        0,
    );
    let key = access_key(&data, code.as_str());
    assert!(jiedai::domain::public::is_access_key(&key), "{key:?}");
    assert_eq!(
        parse(&printer.bytes()).qr_native,
        [format!("https://rd.example.cn/330999012/t/{code}?k={key}")]
    );
    let journal = std::fs::read(data.join("journal")).unwrap();
    assert!(String::from_utf8_lossy(&journal).contains("\"access_key_issued\""));
    // The key is in the journal: a check replays it to the same state.
    expect(&data, &["check"], 0);
    expect(
        &data,
        &["print", "receipt", code.as_str(), "--printer", &printer.target()],
        0,
    );
    assert_eq!(access_key(&data, code.as_str()), key);
}

/// The access key the station holds for the appeal `code`.
fn access_key(data: &Path, code: &str) -> String {
    Store::open(data)
        .unwrap()
        .appeal(code)
        .unwrap()
        .unwrap()
        .access_key
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The kiosk's model on `dir` with its jobs, after `keys` (each one's
/// saves and receipts landed).
fn kiosk_after(dir: &Path, keys: &[crossterm::event::KeyCode]) -> jiedai::tui::runtime::Started {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use jiedai::tui::app::Clock;
    use jiedai::tui::msg::Msg;
    let store = Store::open(dir).unwrap();
    let keymap = jiedai::tui::keymap::Keymap::default_layout();
    let clock = Clock::Fixed(chrono::DateTime::parse_from_rfc3339("2026-11-20T10:30:00+08:00").unwrap());
    let jobs = jiedai::commands::kiosk::jobs();
    let mut started = jiedai::tui::runtime::start_with(
        jiedai::storage::Writer::start(store, None).unwrap(),
        jiedai::i18n::Lang::Zh,
        keymap,
        clock,
        jobs,
    )
    .unwrap();
    started.runtime.settle();
    for key in keys {
        started
            .runtime
            .dispatch(Msg::Key(KeyEvent::new(*key, KeyModifiers::NONE)));
        started.runtime.settle();
    }
    started
}

/// Opens the kiosk's model on `dir`, signs in, opens the appeal `code`
/// and its receipt by keys, and returns the key the receipt shows.
fn kiosk_receipt_key(dir: &Path, code: &str) -> String {
    use crossterm::event::KeyCode;
    use jiedai::tui::app::Overlay;
    let started = kiosk_after(
        dir,
        &[
            KeyCode::Enter,
            KeyCode::Char('3'),
            KeyCode::Enter,
            KeyCode::Char('P'),
        ],
    );
    let key = match &started.runtime.app.overlay {
        Overlay::Receipt { appeal } if appeal.code.as_str() == code => appeal.access_key.clone(),
        _ => panic!("the receipt of {code} is not on screen"),
    };
    started.runtime.close(started.writer);
    key
}

/// A receipt printed from the kiosk is recorded through the store's
/// writer while the kiosk runs: once the kiosk has closed, its job is in
/// the data directory, done, and the printer has the slip.
#[test]
fn a_receipt_printed_from_the_kiosk_is_a_recorded_job_after_it_closes() {
    use crossterm::event::KeyCode;
    use jiedai::storage::print_jobs::JobKind;
    use jiedai::tui::app::Overlay;
    let printer = FakePrinter::start(Behaviour::Ready);
    let dir = station_with_appeals(&format!("target = \"{}\"\n", printer.target()));
    // Signed in, an appeal open, its receipt on screen, then to the printer.
    let started = kiosk_after(
        dir.path(),
        &[
            KeyCode::Enter,
            KeyCode::Char('3'),
            KeyCode::Enter,
            KeyCode::Char('P'),
            KeyCode::Char('P'),
        ],
    );
    let app = &started.runtime.app;
    let code = match &app.overlay {
        Overlay::Receipt { appeal } => appeal.code.to_string(),
        _ => panic!("no receipt on screen"),
    };
    let said = app.message.as_ref().map(|(_, m)| m.clone()).unwrap_or_default();
    assert!(said.contains(&code), "{said}");
    started.runtime.close(started.writer);
    let kept = jobs(dir.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].kind, JobKind::Receipt { code: code.clone() });
    assert_eq!(kept[0].state, JobState::Done);
    assert!(parse(&printer.bytes()).text.join("").contains(&code));
}

/// An appeal whose title has a character outside GBK (㐀, U+3400): its
/// receipt draws that line as an image instead of sending text a GBK
/// printer would misprint, and the rest stays text.
#[test]
fn a_character_outside_the_printers_font_is_drawn() {
    let dir = station(true);
    let sample_csv = std::fs::read_to_string(sample("appeals.csv")).unwrap();
    let mut lines = sample_csv.lines();
    let header = lines.next().unwrap();
    let row = lines
        .next()
        .unwrap()
        .replacen("养老院床位费上涨过快", "㐀村养老院床位费上涨", 1);
    assert!(row.contains('㐀'));
    let csv = write(dir.path(), "rare.csv", format!("{header}\n{row}\n").as_bytes());
    expect(dir.path(), &["import", "appeals", path(&csv)], 0);
    let (code, title, _) = first_appeal(dir.path());
    assert!(title.contains('㐀'), "{title}");
    let printer = FakePrinter::start(Behaviour::Ready);
    expect(
        dir.path(),
        &["print", "receipt", &code, "--printer", &printer.target()],
        0,
    );
    let parsed = parse(&printer.bytes());
    let all = parsed.text.join("");
    assert!(!all.contains('㐀') && !all.contains("&#"), "{all}");
    assert!(all.contains(&code), "the rest is text: {all}");
    assert!(
        parsed.rasters.iter().any(|(_, rows)| rows.len() == 16),
        "a line drawn 16 dots high"
    );
}

/// The progress address a receipt prints in text: the lines after the
/// one that says where to look online, up to the key's line, run
/// together.
fn typed_address(text: &[String]) -> String {
    let mut out = String::new();
    for l in text.iter().skip_while(|l| !l.contains("网上查询")).skip(1) {
        assert!(l.is_ascii() && !l.contains(' '), "{l:?} in an address");
        out.push_str(l);
        if l.starts_with("?k=") {
            break;
        }
    }
    out
}

/// The caption of an SVG poster: its last text.
fn svg_caption(svg: &str) -> String {
    svg.rsplit("</text>")
        .nth(1)
        .and_then(|t| t.rsplit('>').next())
        .unwrap_or_default()
        .to_string()
}

/// A station set up through the binary from the sample station file with
/// the county server's address in place of the sample's host (so the
/// sample's `public_url` layout is what is tested), another code and name,
/// the deputies in `deputies`, enrolled with `county` and synced.
fn synced_station(
    root: &Path,
    county: &county::County,
    code: &str,
    name: &str,
    deputies: &Path,
    appeals: bool,
) -> std::path::PathBuf {
    let sample_text = std::fs::read_to_string(sample("station.toml")).unwrap();
    assert!(
        sample_text.contains("public_url = \"https://rd.example.cn/330999012\""),
        "the sample's public_url is the server's address and the station's code"
    );
    let text = sample_text
        .replace("https://rd.example.cn", &county.url)
        .replace("330999012", code)
        .replace("柳岸社区人大代表联络站", name);
    let file = write(root, &format!("station-{code}.toml"), text.as_bytes());
    let dir = root.join(code);
    expect(&dir, &["init", "--station", path(&file)], 0);
    expect(&dir, &["import", "deputies", path(deputies)], 0);
    if appeals {
        expect(&dir, &["import", "appeals", path(&sample("appeals.csv"))], 0);
    }
    let creds = root.join(format!("{code}.credentials.toml"));
    let out = county.run(&[
        "enroll",
        "--station",
        code,
        "--name",
        name,
        "--out",
        path(&creds),
        "--url",
        &county.url,
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    // Enrolling says what the station's public_url is: the one it uses.
    let public_url = format!("{}/{code}", county.url);
    assert!(text.contains(&format!("public_url = \"{public_url}\"")));
    assert!(
        printed(&out).contains(&format!("\"{public_url}\"")),
        "{}",
        printed(&out)
    );
    expect(&dir, &["enroll", path(&creds)], 0);
    expect(&dir, &["sync", "--attempts", "1"], 0);
    dir
}

/// The links a station prints are the pages the county serves: a receipt
/// and posters printed by two stations that both number a deputy D001,
/// each QR code decoded and requested from a running `county serve`.
#[test]
fn printed_links_open_the_right_pages_on_the_county_server() {
    let root = tempfile::tempdir().unwrap();
    let county = county::County::start(None);
    let (a, b) = ("330999012", "330999013");
    let (a_name, b_name) = ("柳岸社区人大代表联络站", "桃源社区人大代表联络站");
    let other = write(
        root.path(),
        "deputies-b.csv",
        "编号,姓名,层级,电话,专长,值班日\nD001,林晓岚,县,13900009901,教育,20\n".as_bytes(),
    );
    let a_dir = synced_station(root.path(), &county, a, a_name, &sample("deputies.csv"), true);
    let b_dir = synced_station(root.path(), &county, b, b_name, &other, false);

    // The receipt: its native QR payload, requested as a phone would.
    let (code, _, key) = first_appeal(&a_dir);
    let printer = FakePrinter::start(Behaviour::Ready);
    expect(
        &a_dir,
        &["print", "receipt", &code, "--printer", &printer.target()],
        0,
    );
    let links = parse(&printer.bytes()).qr_native;
    assert_eq!(links.len(), 1, "{links:?}");
    let link = &links[0];
    assert_eq!(link, &format!("{}/{a}/t/{code}?k={key}", county.url));
    let (status, page) = get(link);
    assert_eq!(status, 200, "{link}:\n{page}");
    assert!(page.contains(&code) && page.contains(a_name), "{page}");

    // The same page typed from the slip's text by someone who cannot
    // scan: the address under 网上查询, the key grouped in fours.
    let text = parse(&printer.bytes()).text;
    let typed = typed_address(&text);
    let grouped = format!("{}-{}-{}", &key[..4], &key[4..8], &key[8..]);
    assert_eq!(
        typed,
        format!("{}/{a}/t/{code}?k={grouped}", county.url),
        "{text:?}"
    );
    assert!(text.iter().any(|l| l == &format!("?k={grouped}")), "{text:?}");
    for url in [typed.clone(), typed.replace(&grouped, &grouped.to_lowercase())] {
        let (status, page) = get(&url);
        assert_eq!(status, 200, "{url}:\n{page}");
        assert!(page.contains(&code), "{page}");
    }

    // Each station's deputy poster shows its own D001.
    for (dir, station, name, deputy, not) in [
        (&a_dir, a, a_name, "陈立华", "林晓岚"),
        (&b_dir, b, b_name, "林晓岚", "陈立华"),
    ] {
        let png = root.path().join(format!("{station}-D001.png"));
        expect(dir, &["qr", "deputy", "D001", "--out", path(&png)], 0);
        let link = decode_image(&image::open(&png).unwrap().to_luma8());
        assert_eq!(link, format!("{}/{station}/d/D001", county.url));
        let (status, page) = get(&link);
        assert_eq!(status, 200, "{link}:\n{page}");
        assert!(
            page.contains(deputy) && page.contains(name) && !page.contains(not),
            "{link}:\n{page}"
        );
        let png = root.path().join(format!("{station}.png"));
        expect(dir, &["qr", "station", "--out", path(&png)], 0);
        let link = decode_image(&image::open(&png).unwrap().to_luma8());
        assert_eq!(link, format!("{}/{station}/", county.url));
        let (status, page) = get(&link);
        assert_eq!(status, 200, "{link}:\n{page}");
        assert!(
            page.contains(name) && page.contains(deputy) && !page.contains(not),
            "{link}:\n{page}"
        );
    }

    // A code the county does not hold (yet), a wrong key and another
    // station's path answer alike, and say that a new appeal shows once
    // the station has reported it.
    let unknown = get(&format!("{}/{a}/t/261201-{a}-19999-0?k={key}", county.url));
    assert_eq!(unknown.0, 404);
    assert!(unknown.1.contains("上报县里后"), "{}", unknown.1);
    assert!(!unknown.1.contains("261201"), "{}", unknown.1);
    let wrong_key = if key.starts_with('0') { "1" } else { "0" };
    for same in [
        format!("{}/{a}/t/{code}?k={wrong_key}{}", county.url, &key[1..]),
        format!("{}/{a}/t/{code}", county.url),
        format!("{}/{b}/t/{code}?k={key}", county.url),
    ] {
        assert_eq!(get(&same), unknown, "{same} answers like an unknown code");
    }
}

/// A `public_url` that the county's pages cannot answer under is refused
/// when the station is set up, with what to write instead.
#[test]
fn a_public_url_without_the_station_code_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(sample("station.toml"))
        .unwrap()
        .replace("https://rd.example.cn/330999012", "https://rd.example.cn");
    let file = write(dir.path(), "station.toml", toml.as_bytes());
    let data = dir.path().join("data");
    let out = jiedai(&data, &["init", "--station", path(&file)]);
    assert_ne!(out.status.code(), Some(0), "{}", printed(&out));
    let said = printed(&out);
    assert!(
        said.contains("public_url") && said.contains("https://rd.example.cn/330999012"),
        "{said}"
    );
    assert!(!data.join("journal").exists(), "nothing set up");
}

/// A slip whose bytes reached the printer is never sent again by `print
/// retry`: two receipts that printed before the roll ran out are named
/// (with how to reprint them, marked 补打), and a test page meant for
/// another printer is not sent to this one.
#[test]
fn retry_never_resends_a_slip_that_may_have_printed() {
    let dir = station_with_appeals("");
    let codes: Vec<String> = {
        let store = Store::open(dir.path()).unwrap();
        let mut codes = Vec::new();
        store
            .for_each_appeal(|a| {
                if codes.len() < 2 {
                    codes.push(a.code.to_string());
                }
                Ok(())
            })
            .unwrap();
        codes
    };
    let running_out = FakePrinter::start(Behaviour::PaperOutAfter);
    for code in &codes {
        let out = expect(
            dir.path(),
            &["print", "receipt", code, "--printer", &running_out.target()],
            1,
        );
        let said = printed(&out);
        assert!(said.contains("缺纸"), "{said}");
        assert!(!said.contains("print retry"), "{said}");
        assert!(said.contains("补打"), "{said}");
    }
    assert_eq!(
        parse(&running_out.bytes()).qr_native.len(),
        2,
        "both slips went out"
    );
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("tcp://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    expect(dir.path(), &["print", "test", "--printer", &closed], 1);
    // The configured printer is another one.
    let printer = FakePrinter::start(Behaviour::Ready);
    let terminal = dir.path().join("terminal.toml");
    let mut text = std::fs::read_to_string(&terminal).unwrap();
    text.push_str(&format!("target = \"{}\"\n", printer.target()));
    std::fs::write(&terminal, text).unwrap();
    let out = expect(dir.path(), &["print", "retry"], 0);
    let said = printed(&out);
    assert!(printer.bytes().is_empty(), "nothing sent again:\n{said}");
    for code in &codes {
        assert!(said.contains(code.as_str()), "{code} named:\n{said}");
    }
    assert!(said.contains(&closed), "the test page's printer named:\n{said}");
    // Reprinting on purpose marks the slip 补打.
    expect(dir.path(), &["print", "receipt", &codes[0]], 0);
    let parsed = parse(&printer.bytes());
    assert!(parsed.text.join("").contains("补打"), "{:?}", parsed.text);
    // The test page goes to its own printer only.
    let out = expect(dir.path(), &["print", "retry"], 0);
    assert!(printed(&out).contains(&closed), "{}", printed(&out));
    assert_eq!(parse(&printer.bytes()).qr_native.len(), 1);
}

/// A printer named `lp0` (a device without its directory) is refused
/// with what to write instead; no file `lp0` appears.
#[test]
fn a_bare_device_name_is_not_taken_for_a_file() {
    let dir = station_with_appeals("");
    let (code, _, _) = first_appeal(dir.path());
    let cwd = tempfile::tempdir().unwrap();
    for lang in ["zh", "en"] {
        let out = bin()
            .current_dir(cwd.path())
            .args(["--lang", lang, "--data", path(dir.path())])
            .args(["print", "receipt", &code, "--printer", "lp0"])
            .output()
            .unwrap();
        let said = printed(&out);
        assert_ne!(out.status.code(), Some(0), "{said}");
        assert!(said.contains("file:///dev/usb/lp0"), "{said}");
        assert!(!cwd.path().join("lp0").exists(), "a file lp0 was written");
    }
    assert!(
        jobs(dir.path()).is_empty(),
        "nothing recorded: {:?}",
        jobs(dir.path())
    );
}

/// A station set up from the sample station file as `edit` changes it,
/// with the sample deputies and appeals and a 58 mm printer.
fn station_from(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = edit(&std::fs::read_to_string(sample("station.toml")).unwrap());
    let file = write(dir.path(), "station.toml", toml.as_bytes());
    let data = dir.path().join("data");
    expect(&data, &["init", "--station", path(&file)], 0);
    expect(&data, &["import", "deputies", path(&sample("deputies.csv"))], 0);
    expect(&data, &["import", "appeals", path(&sample("appeals.csv"))], 0);
    let terminal = data.join("terminal.toml");
    let mut text = std::fs::read_to_string(&terminal).unwrap();
    text.push_str("\n[printer]\npaper = 58\ntimeout_ms = 800\n");
    std::fs::write(&terminal, text).unwrap();
    dir
}

/// The text lines of a receipt printed for `code` through the binary.
fn receipt_text(data: &Path, lang: &str, code: &str) -> Vec<String> {
    let printer = FakePrinter::start(Behaviour::Ready);
    expect(
        data,
        &[
            "--lang",
            lang,
            "print",
            "receipt",
            code,
            "--printer",
            &printer.target(),
        ],
        0,
    );
    parse(&printer.bytes()).text
}

#[test]
fn a_receipt_gives_the_stations_address_and_phone_and_promises_a_call_only_with_a_phone() {
    let dir = station_with_appeals("");
    let (code, _, _) = first_appeal(dir.path());
    let zh = receipt_text(dir.path(), "zh", &code).join("\n");
    let flat = zh.replace('\n', "");
    assert!(flat.contains("致电联络站"), "{zh}");
    assert!(flat.contains("地址：青禾县明湖街道柳岸路88号"), "{zh}");
    assert!(flat.contains("电话：0571-88001234"), "{zh}");
    let en = receipt_text(dir.path(), "en", &code).join("\n");
    assert!(en.contains("by phone") && en.contains("0571-88001234"), "{en}");

    // Without a phone in the station file, the slip promises no call.
    let bare = station_from(|t| {
        t.lines()
            .filter(|l| !l.starts_with("phone"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    let data = bare.path().join("data");
    let (code, _, _) = first_appeal(&data);
    let zh = receipt_text(&data, "zh", &code).join("\n");
    let flat = zh.replace('\n', "");
    assert!(flat.contains("凭查询码来站查询"), "{zh}");
    assert!(!flat.contains("致电") && !flat.contains("电话"), "{zh}");
    assert!(flat.contains("地址：青禾县明湖街道柳岸路88号"), "{zh}");
    let en = receipt_text(&data, "en", &code).join("\n");
    assert!(!en.contains("phone"), "{en}");

    // A phone the station file gets wrong is refused, naming the field.
    let dir = tempfile::tempdir().unwrap();
    let toml = std::fs::read_to_string(sample("station.toml"))
        .unwrap()
        .replace("phone = \"0571-88001234\"", "phone = \"12345\"");
    let file = write(dir.path(), "station.toml", toml.as_bytes());
    let out = expect(&dir.path().join("data"), &["init", "--station", path(&file)], 2);
    assert!(printed(&out).contains("station.phone"), "{}", printed(&out));
}

/// A reprint says where the appeal stands: a closed one its status and
/// the day it was answered, never a reply still expected; an open one its
/// status and the day a reply is due.
#[test]
fn a_receipt_shows_the_status_and_the_reply_as_they_are() {
    use jiedai::domain::Status;
    let dir = station_with_appeals("");
    let store = Store::open(dir.path()).unwrap();
    let (mut closed, mut open) = (None, None);
    store
        .for_each_appeal(|a| {
            if a.status == Status::Closed && closed.is_none() {
                closed = Some(a);
            } else if a.status == Status::Referred && a.deadline.is_some() && open.is_none() {
                open = Some(a);
            }
            Ok(())
        })
        .unwrap();
    drop(store);
    let (closed, open) = (closed.unwrap(), open.unwrap());
    let replied = closed
        .history
        .iter()
        .rev()
        .find(|e| e.to == Status::Replied)
        .map(|e| e.at.format("%Y-%m-%d").to_string())
        .unwrap();
    let code = closed.code.to_string();
    // The first slip and the reprint alike.
    for _ in 0..2 {
        let text = receipt_text(dir.path(), "zh", &code).join("\n");
        assert!(text.contains("办理状态：已办结"), "{text}");
        assert!(text.contains(&format!("答复日期：{replied}")), "{text}");
        assert!(!text.contains("预计答复"), "{text}");
    }
    let text = receipt_text(dir.path(), "en", &code).join("\n");
    assert!(
        text.contains("Status: Closed") && text.contains(&format!("Replied on: {replied}")),
        "{text}"
    );
    let text = receipt_text(dir.path(), "zh", open.code.as_str()).join("\n");
    let due = open.deadline.unwrap().format("%Y-%m-%d").to_string();
    assert!(text.contains("办理状态：已交办"), "{text}");
    assert!(text.contains(&format!("预计答复：{due}")), "{text}");
    assert!(!text.contains("答复日期"), "{text}");
}
