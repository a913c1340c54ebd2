//! Import and export through the real binary, on temporary data
//! directories set up from sample-data/.

use std::path::Path;

use crate::support::cli;

use jiedai::storage::Store;

use cli::*;

#[test]
fn sample_data_imports_completely() {
    let dir = station(false);
    let out = expect(
        dir.path(),
        &["import", "deputies", path(&sample("deputies.csv"))],
        0,
    );
    assert!(
        text(&out.stdout).contains("已保存 18 行"),
        "{}",
        text(&out.stdout)
    );
    let out = expect(
        dir.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        vec!["已保存 200 行", "已保存 320 行", "已导入 320 行，拒绝 0 行。"]
    );
    assert_eq!(appeal_count(dir.path()), 320);
    let store = Store::open(dir.path()).expect("store");
    let mut closed = 0;
    store
        .for_each_appeal(|a| {
            assert_eq!(a.history.first().map(|h| h.at), Some(a.registered_at));
            assert!(
                a.history
                    .iter()
                    .skip(1)
                    .all(|h| h.note == "导入" && h.actor == "import")
            );
            assert!(
                a.code
                    .as_str()
                    .starts_with(&a.registered_at.format("%y%m%d-330999012-1").to_string())
            );
            closed += usize::from(a.status == jiedai::domain::Status::Closed);
            Ok(())
        })
        .expect("scan");
    assert_eq!(closed, 266);
    drop(store);
    let out = expect(dir.path(), &["check"], 0);
    assert!(text(&out.stdout).contains("检查通过"), "{}", text(&out.stdout));
}

#[test]
fn gb18030_roster_reads_the_same_as_utf8() {
    let utf8 = station(true);
    let gb = station(false);
    expect(
        gb.path(),
        &["import", "deputies", path(&sample("deputies-gb18030.csv"))],
        0,
    );
    let roster = |d: &Path| Store::open(d).expect("store").deputies().expect("deputies");
    let a = roster(utf8.path());
    assert_eq!(a.len(), 18);
    assert_eq!(a, roster(gb.path()));
    assert_eq!(a[0].name, "陈立华");
}

#[test]
fn bom_and_gb18030_appeal_files_import() {
    let dir = station(true);
    let csv = "日期,姓名,电话,类别,诉求内容,接待代表,办理状态\n2026-05-10 09:00,王五,138 0000 1111,教育,学校门口拥堵,张山,已受理\n";
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(csv.as_bytes());
    let f = write(dir.path(), "bom.csv", &bom);
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let gb_text = csv.replace("王五", "赵六").replace("\n", "\r\n");
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&gb_text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gb).is_err(),
        "the test file must not be UTF-8"
    );
    let f = write(dir.path(), "gb.csv", &gb);
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let found = text(&expect(dir.path(), &["find", ""], 0).stdout);
    assert!(found.contains("王五") && found.contains("赵六"), "{found}");
    // Both rows share a date: two codes in sequence.
    assert!(found.contains("260510-330999012-10001-") && found.contains("260510-330999012-10002-"));
}

#[test]
fn bad_rows_are_reported_by_physical_line() {
    let dir = station(true);
    let csv = [
        "日期,姓名,电话,身份证号,类别,诉求内容,接待代表",      // 1
        "2026-06-10 09:00,甲,13900001111,,交通停车,\"第一行",  // 2
        "第二行",                                              // 3
        "第三行\",张山",                                       // 4
        "2026-06-10 09:05,乙,,330999196511290894,,内容,",      // 5: check digit
        "2026-06-10 09:10,丙,1390000111,,,内容,",              // 6: 10 digits
        "2026-06-10 09:15,丁,,,天气,内容,",                    // 7: category
        "2026-06-10 09:20,戊,,,住房,,",                        // 8: no content
        "2026-06-10 09:25,己,,,住房,\"\u{1b}[31m红字\u{7}\",", // 9: cleaned
        "2026-06-10 09:30,庚,,,,\"a",                          // 10
        "b\",李四",                                            // 11: unknown deputy
        "2026-06-10 09:35,辛,,,,内容,马丽",                    // 12
    ]
    .join("\n");
    let f = write(dir.path(), "bad.csv", csv.as_bytes());
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 3);
    let stderr = text(&out.stderr);
    for want in [
        "第 5 行：身份证号：校验位应为 3，实际为 4",
        "第 6 行：电话：应为 11 位手机号，实际 10 位",
        "第 7 行：类别：未知的值“天气”",
        "第 8 行：诉求内容：必填",
        "第 10 行：接待代表：代表名册中没有“李*”",
    ] {
        assert!(stderr.contains(want), "missing {want:?} in\n{stderr}");
    }
    assert_eq!(stderr.matches(" 行：").count(), 5, "{stderr}");
    assert!(text(&out.stdout).contains("已保存 3 行"));
    assert!(text(&out.stdout).contains("已导入 3 行，拒绝 5 行。"));
    assert_eq!(appeal_count(dir.path()), 3);
    let jsonl = export(dir.path(), "jsonl");
    assert!(jsonl.contains("第一行\\n第二行\\n第三行"), "{jsonl}");
    assert!(jsonl.contains("\"content\":\"红字\""), "{jsonl}");
    assert!(!jsonl.contains("\\u001b"));

    // The same in English.
    let other = station(true);
    let out = expect(other.path(), &["--lang", "en", "import", "appeals", path(&f)], 3);
    assert!(
        text(&out.stderr).contains("line 6: Phone: must be an 11-digit mobile number, got 10 digits"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unreadable_files_exit_2() {
    let dir = station(true);
    let out = expect(dir.path(), &["import", "appeals", "/nonexistent/appeals.csv"], 2);
    assert!(text(&out.stderr).contains("/nonexistent/appeals.csv"));
    let f = write(
        dir.path(),
        "h.csv",
        "日期,诉求内容,心情\n2026-01-10,x,好\n".as_bytes(),
    );
    let out = expect(dir.path(), &["import", "appeals", path(&f)], 2);
    assert!(text(&out.stderr).contains("“心情”"), "{}", text(&out.stderr));
    let f = write(dir.path(), "enc.csv", b"\xff\xfe\x00d\x00a\xff\xff");
    expect(dir.path(), &["import", "deputies", path(&f)], 2);
    assert_eq!(appeal_count(dir.path()), 0);
}

#[test]
fn import_needs_a_station() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = expect(
        dir.path(),
        &["import", "deputies", path(&sample("deputies.csv"))],
        1,
    );
    assert!(text(&out.stderr).contains("中没有站点"), "{}", text(&out.stderr));
}

#[test]
fn export_then_import_gives_the_same_appeals() {
    let source = station(true);
    expect(
        source.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    let files = tempfile::tempdir().expect("tempdir");
    let jsonl = files.path().join("a.jsonl");
    let csv = files.path().join("a.csv");
    expect(
        source.path(),
        &["export", "appeals", "--format", "jsonl", "--out", path(&jsonl)],
        0,
    );
    expect(
        source.path(),
        &["export", "appeals", "--format", "csv", "--out", path(&csv)],
        0,
    );
    assert_eq!(
        export(source.path(), "csv").as_bytes(),
        &std::fs::read(&csv).expect("csv")[3..]
    );
    let original = export(source.path(), "jsonl");
    assert_eq!(original.lines().count(), 320);
    for file in [&jsonl, &csv] {
        let copy = station(true);
        expect(copy.path(), &["import", "appeals", path(file)], 0);
        assert_eq!(
            export(copy.path(), "jsonl"),
            original,
            "round trip through {}",
            file.display()
        );
        let out = expect(copy.path(), &["import", "appeals", path(file)], 3);
        assert!(text(&out.stderr).contains("已存在"));
        expect(copy.path(), &["check"], 0);
    }
}

#[test]
fn new_rows_do_not_take_codes_that_rows_of_the_file_carry() {
    let source = station(true);
    let f = write(
        source.path(),
        "one.csv",
        "日期,诉求内容,办理状态\n2026-01-10 09:00,第一条,已受理\n".as_bytes(),
    );
    expect(source.path(), &["import", "appeals", path(&f)], 0);
    let exported = export(source.path(), "jsonl");
    assert!(exported.contains("260110-330999012-10001-"));
    // A new row for the same day comes first in the file.
    let mixed = format!("{{\"date\":\"2026-01-10 10:00\",\"content\":\"第二条\"}}\n{exported}");
    let copy = station(true);
    let f = write(copy.path(), "mixed.jsonl", mixed.as_bytes());
    expect(copy.path(), &["import", "appeals", path(&f)], 0);
    let found = text(&expect(copy.path(), &["find", ""], 0).stdout);
    assert!(
        found.contains("260110-330999012-10001-") && found.contains("260110-330999012-10002-"),
        "{found}"
    );
    // A tampered history is refused.
    let tampered = exported.replace("\"to\":\"accepted\"", "\"to\":\"referred\"");
    let other = station(true);
    let f = write(other.path(), "bad.jsonl", tampered.as_bytes());
    let out = expect(other.path(), &["import", "appeals", path(&f)], 3);
    assert!(
        text(&out.stderr).contains("第 1 行：历史："),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn xlsx_export_is_a_workbook() {
    let dir = station(true);
    let f = write(
        dir.path(),
        "a.csv",
        "日期,诉求内容\n2026-01-10,路灯不亮\n".as_bytes(),
    );
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let out = dir.path().join("a.xlsx");
    expect(
        dir.path(),
        &["export", "appeals", "--format", "xlsx", "--out", path(&out)],
        0,
    );
    let book = std::fs::read(&out).expect("xlsx");
    assert!(book.starts_with(b"PK"));
    // The sheet holds the header row and the appeal's cells (the sheet is
    // written row by row, its strings in the sheet itself).
    let sheet = zip_member(&book, "xl/worksheets/sheet1.xml");
    for cell in ["查询码", "诉求内容", "路灯不亮"] {
        assert!(sheet.contains(cell), "{cell} not in the sheet: {sheet}");
    }
    let err = expect(dir.path(), &["export", "appeals", "--format", "xlsx"], 2);
    assert!(text(&err.stderr).contains("--out"));
}

/// One member of a zip file (an xlsx workbook), inflated, found through
/// the zip's central directory.
fn zip_member(zip: &[u8], name: &str) -> String {
    use std::io::Read;
    let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap()) as usize;
    let mut at = 0;
    while let Some(i) = zip[at..].windows(4).position(|w| w == b"PK\x01\x02") {
        let entry = at + i;
        let (method, size) = (u16_at(entry + 10), u32_at(entry + 20));
        let name_len = u16_at(entry + 28);
        let local = u32_at(entry + 42);
        if &zip[entry + 46..entry + 46 + name_len] == name.as_bytes() {
            let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
            let bytes = &zip[data..data + size];
            let mut out = String::new();
            match method {
                0 => out.push_str(std::str::from_utf8(bytes).unwrap()),
                8 => {
                    flate2::read::DeflateDecoder::new(bytes)
                        .read_to_string(&mut out)
                        .unwrap();
                }
                m => panic!("{name}: zip method {m}"),
            }
            return out;
        }
        at = entry + 4;
    }
    panic!("{name} is not in the workbook");
}

#[test]
fn a_busy_data_directory_exits_4() {
    let dir = station(false);
    let held = Store::open(dir.path()).expect("store");
    expect(
        dir.path(),
        &["import", "deputies", path(&sample("deputies.csv"))],
        4,
    );
    expect(dir.path(), &["export", "appeals", "--format", "jsonl"], 4);
    drop(held);
    expect(
        dir.path(),
        &["import", "deputies", path(&sample("deputies.csv"))],
        0,
    );
}

#[test]
fn import_speaks_the_users_language_with_the_summary_on_stdout() {
    for (lang, lines) in [
        ("zh", ["已保存 18 行", "已导入 18 行，拒绝 0 行。"]),
        ("en", ["saved 18 rows", "18 rows imported, 0 rejected."]),
    ] {
        let dir = station(false);
        let out = expect(
            dir.path(),
            &[
                "--lang",
                lang,
                "import",
                "deputies",
                path(&sample("deputies.csv")),
            ],
            0,
        );
        assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), lines);
        assert_eq!(text(&out.stderr), "", "nothing went wrong");
    }
}

#[test]
fn appeals_naming_deputies_before_the_roster_is_imported_say_so_once() {
    let dir = station(false);
    for (lang, words) in [
        ("zh", "先导入代表名册：jiedai import deputies"),
        ("en", "import the deputy roster first: jiedai import deputies"),
    ] {
        let out = expect(
            dir.path(),
            &["--lang", lang, "import", "appeals", path(&sample("appeals.csv"))],
            1,
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains(words), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    }
    assert_eq!(appeal_count(dir.path()), 0);
    // Rows that name no deputy need no roster.
    let f = write(
        dir.path(),
        "plain.csv",
        "日期,诉求内容\n2026-01-10,路灯不亮\n".as_bytes(),
    );
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
}

#[test]
fn a_spreadsheet_file_is_named_as_such_with_how_to_save_csv() {
    let dir = station(true);
    let f = write(
        dir.path(),
        "one.csv",
        "日期,诉求内容\n2026-01-10,路灯不亮\n".as_bytes(),
    );
    expect(dir.path(), &["import", "appeals", path(&f)], 0);
    let book = dir.path().join("appeals.xlsx");
    expect(
        dir.path(),
        &["export", "appeals", "--format", "xlsx", "--out", path(&book)],
        0,
    );
    for (lang, words) in [
        ("zh", ["xlsx", "CSV", "UTF-8", "GB18030", "WPS"]),
        ("en", ["xlsx", "CSV", "UTF-8", "GB18030", "WPS"]),
    ] {
        let out = expect(dir.path(), &["--lang", lang, "import", "appeals", path(&book)], 2);
        let stderr = text(&out.stderr);
        for w in words {
            assert!(stderr.contains(w), "{w} missing: {stderr}");
        }
        assert!(
            !stderr.contains("编码") && !stderr.contains("encoding"),
            "{stderr}"
        );
    }
    // Named by its bytes too, whatever the file is called.
    let renamed = dir.path().join("appeals.csv");
    std::fs::copy(&book, &renamed).unwrap();
    let out = expect(dir.path(), &["import", "appeals", path(&renamed)], 2);
    assert!(text(&out.stderr).contains("xlsx"), "{}", text(&out.stderr));
}

#[test]
fn csv_export_has_labels_local_times_and_codes_in_their_own_columns() {
    let dir = station(true);
    expect(
        dir.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    let zh = export(dir.path(), "csv");
    let mut reader = csv::Reader::from_reader(zh.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for want in ["查询码", "日期", "类别", "类别代码", "办理状态", "状态代码"] {
        assert!(header.iter().any(|h| h == want), "{want} missing: {header:?}");
    }
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[at("日期")], "2026-01-10 09:21");
    assert_eq!(&first[at("类别")], "养老服务");
    assert_eq!(&first[at("办理状态")], "已办结");
    assert_eq!(&first[at("状态代码")], "closed");
    assert_eq!(&first[at("满意度")], "满意");

    let en = text(
        &expect(
            dir.path(),
            &["--lang", "en", "export", "appeals", "--format", "csv"],
            0,
        )
        .stdout,
    );
    let mut reader = csv::Reader::from_reader(en.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}: {header:?}"))
    };
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[at("date")], "2026-01-10 09:21");
    assert_eq!(&first[at("status")], "Closed");
    assert_eq!(&first[at("status_code")], "closed");
    assert_eq!(&first[at("category_code")], "elderly");

    // An export in either language imports back into the same appeals.
    let original = export(dir.path(), "jsonl");
    for (name, csv) in [("zh.csv", &zh), ("en.csv", &en)] {
        let copy = station(true);
        let f = write(copy.path(), name, csv.as_bytes());
        expect(copy.path(), &["import", "appeals", path(&f)], 0);
        assert_eq!(export(copy.path(), "jsonl"), original, "{name}");
    }
}
