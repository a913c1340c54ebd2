//! Files people read: tables of words written as CSV or xlsx. The
//! county's appeals as a clerk reads them (`appeals`): the station's name
//! beside its code, every time in the county's one zone (named in the
//! headers), status, category, urgency and satisfaction in words, the
//! history in words in one cell (`2026-12-01 10:00 [县] 王科员 交办：…`),
//! and the visitor masked as on the public page (`privacy::public_appeal`).
//! The dashboard's figures are written through the same `Table`.

use std::collections::BTreeMap;
use std::io::Write;

use super::CountyError;
use super::db::{Db, HeldAppeal};
use crate::domain::privacy::public_appeal;
use crate::domain::{Appeal, HistoryEntry, Zone};
use crate::i18n::Lang;

/// A table of text: a sheet's name, the headers and the rows; `counts`
/// are the columns (by index) that hold whole numbers, which xlsx writes
/// as numbers (every other cell is text: a code keeps its digits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub counts: Vec<usize>,
}

/// Why a table could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReadableError {
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl ReadableError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ReadableError::Csv(e) => lang.pick(format!("无法写成 CSV：{e}"), format!("CSV: {e}")),
            ReadableError::Xlsx(e) => lang.pick(format!("无法写成 xlsx：{e}"), format!("xlsx: {e}")),
            ReadableError::Io(e) => crate::i18n::os_words(e, lang),
        }
    }

    /// The reader of standard output went away (`| head -1`).
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            ReadableError::Io(e) => Some(e),
            ReadableError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e),
                _ => None,
            },
            ReadableError::Xlsx(_) => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// The first characters of a cell a spreadsheet would read as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

impl Table {
    /// CSV with the header row first; `bom` starts it with a UTF-8
    /// byte-order mark so that Excel reads it as UTF-8. A cell that
    /// starts like a formula gets a single quote in front (OWASP's advice
    /// against CSV injection).
    pub fn csv(&self, bom: bool) -> Result<Vec<u8>, ReadableError> {
        let mut out = Vec::new();
        let mut w = SheetWriter::csv(&mut out, bom, &self.headers)?;
        for row in &self.rows {
            w.row(row)?;
        }
        w.finish()?;
        Ok(out)
    }

    /// An xlsx workbook of one sheet: the headers bold and frozen, the
    /// counts numbers, every other cell a string.
    pub fn xlsx(&self) -> Result<Vec<u8>, ReadableError> {
        let mut out = Vec::new();
        let mut w = SheetWriter::xlsx(&mut out, &self.name, &self.headers, &self.counts)?;
        for row in &self.rows {
            w.row(row)?;
        }
        w.finish()?;
        Ok(out)
    }
}

/// A table written a row at a time as its rows come, never held whole:
/// CSV as `Table::csv` writes it, or xlsx as `Table::xlsx` does (its
/// sheet in constant memory: each row goes to a temporary file as it is
/// written, and the workbook is put together at `finish`).
pub enum SheetWriter<'w> {
    Csv(Box<csv::Writer<&'w mut dyn Write>>),
    Xlsx {
        out: &'w mut (dyn Write + Send),
        book: Box<rust_xlsxwriter::Workbook>,
        counts: Vec<usize>,
        rows: u32,
    },
}

impl<'w> SheetWriter<'w> {
    pub fn csv(out: &'w mut dyn Write, bom: bool, headers: &[String]) -> Result<Self, ReadableError> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(headers)?;
        Ok(SheetWriter::Csv(Box::new(w)))
    }

    pub fn xlsx(
        out: &'w mut (dyn Write + Send),
        name: &str,
        headers: &[String],
        counts: &[usize],
    ) -> Result<Self, ReadableError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        // Sheet names hold at most 31 characters and none of []:*?/\.
        let name: String = name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        if !name.is_empty() {
            sheet.set_name(&name)?;
        }
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (col, header) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, header, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(SheetWriter::Xlsx {
            out,
            book: Box::new(book),
            counts: counts.to_vec(),
            rows: 0,
        })
    }

    /// Writes one row.
    pub fn row(&mut self, row: &[String]) -> Result<(), ReadableError> {
        match self {
            SheetWriter::Csv(w) => w.write_record(row.iter().map(|cell| {
                if cell.starts_with(FORMULA_STARTS) {
                    format!("'{cell}")
                } else {
                    cell.clone()
                }
            }))?,
            SheetWriter::Xlsx {
                book, counts, rows, ..
            } => {
                *rows += 1;
                let sheet = book.worksheet_from_index(0)?;
                for (col, cell) in row.iter().enumerate() {
                    let count = cell.parse::<u32>().ok().filter(|_| counts.contains(&col));
                    let col = col as u16;
                    match count {
                        Some(n) => sheet.write_number(*rows, col, n)?,
                        None if cell.is_empty() => sheet,
                        None => sheet.write_string(*rows, col, cell)?,
                    };
                }
            }
        }
        Ok(())
    }

    /// Writes what is left: the CSV flushed, or the workbook whole.
    pub fn finish(self) -> Result<(), ReadableError> {
        match self {
            SheetWriter::Csv(mut w) => w.flush().map_err(csv::Error::from)?,
            SheetWriter::Xlsx { out, mut book, .. } => book.save_to_writer(out)?,
        }
        Ok(())
    }
}

/// The columns of a readable appeal: (Chinese, English) headers. The
/// registration time's header names the zone.
const COLUMNS: &[(&str, &str)] = &[
    ("查询码", "Code"),
    ("联络站", "Station"),
    ("站点代码", "Station code"),
    ("登记时间", "Registered"),
    ("来访人", "Visitor"),
    ("联系电话", "Phone"),
    ("代表", "Deputies"),
    ("类别", "Category"),
    ("标题", "Title"),
    ("内容", "Content"),
    ("地点", "Location"),
    ("紧急程度", "Urgency"),
    ("办理方式", "Route"),
    ("状态", "Status"),
    ("承办单位", "Unit"),
    ("办理期限", "Deadline"),
    ("答复", "Reply"),
    ("答复类别", "Reply class"),
    ("满意度", "Satisfaction"),
    ("督办次数", "Chases"),
    ("重新办理次数", "Reopened"),
    ("办理经过", "History"),
];

/// The headers of `appeals_table`, the time's naming `zone`.
pub fn headers(zone: Zone, lang: Lang) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|(zh, en)| match *en {
            "Registered" => lang.pick(
                format!("{zh}（{}）", zone.name()),
                format!("{en} ({})", zone.name()),
            ),
            _ => lang.pick(*zh, *en).to_string(),
        })
        .collect()
}

/// One history entry in words: "2026-12-01 10:00 [县] 王科员 交办：…".
pub fn history_line(h: &HistoryEntry, zone: Zone, lang: Lang) -> String {
    let mut line = zone.show(&h.at);
    if h.event.is_county() {
        line.push(' ');
        line.push_str(lang.pick("[县]", "[county]"));
    }
    if !h.actor.trim().is_empty() {
        line.push(' ');
        line.push_str(h.actor.trim());
    }
    line.push(' ');
    let step = h.step.describe(lang);
    let label = h.step.kind().label(lang);
    line.push_str(&step);
    let note = h.note.trim();
    if !note.is_empty() {
        let joint = if step == label {
            lang.pick("：", ": ")
        } else {
            lang.pick("；", "; ")
        };
        line.push_str(joint);
        line.push_str(note);
    }
    if let Some(why) = &h.not_applied {
        line.push_str(&lang.pick(
            format!("（{}）", why.message(lang)),
            format!(" ({})", why.message(lang)),
        ));
    }
    line
}

/// One appeal's row, `appeal` as it may leave the staff view (the caller
/// masks it: `appeals_table` does).
fn row(appeal: &Appeal, station: &str, station_name: &str, zone: Zone, lang: Lang) -> Vec<String> {
    let a = appeal;
    let or_empty = |v: Option<&str>| v.unwrap_or("").to_string();
    COLUMNS
        .iter()
        .map(|(_, key)| match *key {
            "Code" => a.code.to_string(),
            "Station" => station_name.to_string(),
            "Station code" => station.to_string(),
            "Registered" => zone.show(&a.registered_at),
            "Visitor" => a.visitor.name.clone(),
            "Phone" => a.visitor.phone.clone(),
            "Deputies" => a.deputy_names().join(lang.pick("、", ", ")),
            "Category" => a.category.label(lang).to_string(),
            "Title" => a.title.clone(),
            "Content" => a.content.clone(),
            "Location" => a.location.clone(),
            "Urgency" => a.urgency.label(lang).to_string(),
            "Route" => a.route.label(lang).to_string(),
            "Status" => a.status.label(lang).to_string(),
            "Unit" => or_empty(a.unit.as_deref()),
            "Deadline" => a.deadline.map(|d| d.to_string()).unwrap_or_default(),
            "Reply" => or_empty(a.reply.as_deref()),
            "Reply class" => a
                .reply_class
                .map(|c| c.label(lang).to_string())
                .unwrap_or_default(),
            "Satisfaction" => a
                .satisfaction
                .map(|s| s.label(lang).to_string())
                .unwrap_or_default(),
            "Chases" => a.chases.to_string(),
            "Reopened" => a.round.to_string(),
            "History" => a
                .history
                .iter()
                .map(|h| history_line(h, zone, lang))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        })
        .collect()
}

/// The appeals as people read them, each masked as on the public page,
/// in the order given; `stations` names the stations by code.
pub fn appeals_table(
    held: &[HeldAppeal],
    stations: &BTreeMap<String, String>,
    zone: Zone,
    lang: Lang,
) -> Table {
    let (name, headers, counts) = appeals_headers(zone, lang);
    Table {
        name,
        headers,
        counts,
        rows: held
            .iter()
            .map(|h| {
                let name = stations.get(&h.station).map(String::as_str).unwrap_or("");
                row(&public_appeal(&h.appeal), &h.station, name, zone, lang)
            })
            .collect(),
    }
}

/// Every appeal the county holds, by code, as people read them, in the
/// county's zone.
pub async fn appeals(db: &Db, lang: Lang) -> Result<Table, CountyError> {
    let held = db.appeals(&super::appeals::AppealFilter::default()).await?;
    let stations = db.station_names().await?;
    Ok(appeals_table(&held, &stations, super::zone(), lang))
}

/// Why streaming a table of the appeals stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{0}")]
    County(#[from] CountyError),
    #[error("{0}")]
    Write(#[from] ReadableError),
}

/// `appeals` written to `sheet` as the rows come (headers already
/// written: `SheetWriter::csv` or `xlsx` with `appeals_headers`); how many.
pub async fn write_appeals(db: &Db, sheet: &mut SheetWriter<'_>, lang: Lang) -> Result<u64, StreamError> {
    let stations = db.station_names().await?;
    let zone = super::zone();
    let mut written = 0u64;
    db.each_appeal(&super::appeals::AppealFilter::default(), |h| {
        let name = stations.get(&h.station).map(String::as_str).unwrap_or("");
        sheet.row(&row(&public_appeal(&h.appeal), &h.station, name, zone, lang))?;
        written += 1;
        Ok::<_, StreamError>(true)
    })
    .await?;
    Ok(written)
}

/// The sheet's name, headers and count columns of the appeals' table.
pub fn appeals_headers(zone: Zone, lang: Lang) -> (String, Vec<String>, Vec<usize>) {
    (
        lang.pick("诉求", "Appeals").to_string(),
        headers(zone, lang),
        count_columns(),
    )
}

fn count_columns() -> Vec<usize> {
    COLUMNS
        .iter()
        .enumerate()
        .filter(|(_, (_, key))| matches!(*key, "Chases" | "Reopened"))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::domain::{Category, EventId, Satisfaction, Status, Step, TrackingCode, Visitor};

    fn entry(origin: &str, at: &str, actor: &str, step: Step, note: &str) -> HistoryEntry {
        HistoryEntry {
            event: EventId {
                origin: origin.into(),
                seq: 1,
            },
            at: DateTime::parse_from_rfc3339(at).unwrap(),
            actor: actor.into(),
            step,
            from: None,
            to: Status::Referred,
            note: note.into(),
            not_applied: None,
        }
    }

    fn held() -> HeldAppeal {
        let on = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let code = TrackingCode::new(on, "330999012", 1, 1).unwrap();
        // Registered at 23:30 UTC: December 1st in the county's zone.
        let at = DateTime::parse_from_rfc3339("2026-11-30T23:30:00+00:00").unwrap();
        let mut a = Appeal::registered(code, at);
        a.visitor = Visitor {
            name: "林晓梅".into(),
            phone: "13800138000".into(),
            id_number: "330999199001011234".into(),
            address: "柳岸社区8幢".into(),
        };
        a.category = Category::Traffic;
        a.title = "=小区门口停车难".into();
        a.content = "联系电话 13800138000".into();
        a.status = Status::Referred;
        a.unit = Some("青禾县交通运输局".into());
        a.deadline = NaiveDate::from_ymd_opt(2026, 12, 31);
        a.satisfaction = Some(Satisfaction::Basic);
        a.history = vec![
            entry(
                "330999012-1",
                "2026-11-30T23:30:00+00:00",
                "S01",
                Step::Register,
                "",
            ),
            entry(
                "county/330999012",
                "2026-12-01T10:00:00+08:00",
                "王科员",
                Step::Refer {
                    unit: "青禾县交通运输局".into(),
                    deadline: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                },
                "月底前答复",
            ),
            entry(
                "county/330999012",
                "2026-12-02T02:00:00+00:00",
                "王科员",
                Step::Chase,
                "请加快",
            ),
        ];
        HeldAppeal {
            station: "330999012".into(),
            appeal: a,
        }
    }

    #[test]
    fn an_appeal_reads_in_words_in_one_zone_masked() {
        let zone = Zone::default();
        let stations = BTreeMap::from([("330999012".to_string(), "柳岸社区人大代表联络站".to_string())]);
        let table = appeals_table(&[held()], &stations, zone, Lang::Zh);
        assert_eq!(table.headers.len(), table.rows[0].len());
        assert_eq!(table.headers[3], format!("登记时间（{}）", zone.name()));
        let cell = |header: &str| {
            let i = table.headers.iter().position(|h| h.starts_with(header)).unwrap();
            table.rows[0][i].clone()
        };
        assert_eq!(cell("联络站"), "柳岸社区人大代表联络站");
        assert_eq!(cell("站点代码"), "330999012");
        assert_eq!(cell("登记时间"), "2026-12-01 07:30");
        assert_eq!(cell("来访人"), "林*");
        assert_eq!(cell("联系电话"), "138****8000");
        assert_eq!(cell("类别"), "交通停车");
        assert_eq!(cell("状态"), "已交办");
        assert_eq!(cell("满意度"), "基本满意");
        assert_eq!(cell("紧急程度"), "一般");
        assert_eq!(cell("办理期限"), "2026-12-31");
        assert!(!cell("内容").contains("13800138000"), "{}", cell("内容"));
        assert_eq!(
            cell("办理经过"),
            "2026-12-01 07:30 S01 登记\n\
             2026-12-01 10:00 [县] 王科员 交办：青禾县交通运输局，期限 2026-12-31；月底前答复\n\
             2026-12-02 10:00 [县] 王科员 督办：请加快"
        );
        let all = table.rows[0].join("|");
        for private in ["林晓梅", "13800138000", "330999199001011234", "柳岸社区8幢"] {
            assert!(!all.contains(private), "{private} in {all}");
        }

        let en = appeals_table(&[held()], &stations, zone, Lang::En);
        assert_eq!(en.headers[3], "Registered (Asia/Shanghai)");
        assert!(
            en.rows[0]
                .last()
                .unwrap()
                .contains("[county] 王科员 Chase: 请加快")
        );
    }

    #[test]
    fn a_table_reads_back_from_csv_with_formulas_defused() {
        let table = Table {
            name: "诉求".into(),
            headers: vec!["标题".into(), "数量".into()],
            rows: vec![
                vec!["=1+1".into(), "3".into()],
                vec!["多行\n文字，含逗号".into(), "".into()],
            ],
            counts: vec![1],
        };
        let bytes = table.csv(true).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let mut read = csv::Reader::from_reader(&bytes[3..]);
        assert_eq!(read.headers().unwrap(), vec!["标题", "数量"]);
        let rows: Vec<Vec<String>> = read
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows, [vec!["'=1+1", "3"], vec!["多行\n文字，含逗号", ""]]);
        let book = table.xlsx().unwrap();
        assert!(book.starts_with(b"PK"));
    }
}
