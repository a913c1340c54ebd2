//! Deputy roster rows (代表名册): 编号/id, 姓名/name, 层级/level, 电话/phone,
//! 专长/specialties, 值班日/duty_days.

use super::problem::{FieldProblem, RowProblem};
use super::table::{Column, Row};
use crate::domain::Deputy;
use crate::domain::deputy::Level;
use crate::domain::privacy::mask::shown;
use crate::domain::validate::{Field, MAX_NAME, clean_text, normalize_phone, text_field};

pub static COLUMNS: &[Column] = &[
    Column::new("id", "编号", "ID", true),
    Column::new("name", "姓名", "Name", true).text(),
    Column::new("level", "层级", "Level", true),
    Column::new("phone", "电话", "Phone", false),
    Column::new("specialties", "专长", "Specialties", false).list(),
    Column::new("duty_days", "值班日", "Duty days", false).list(),
];

const MAX_ID: usize = 32;
const MAX_SPECIALTY: usize = 40;

/// Splits a list cell on 、 ; ； , ， and drops empty parts.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(['、', ';', '；', ',', '，'])
        .map(|s| clean_text(s, false))
        .filter(|s| !s.is_empty())
        .collect()
}

fn col(key: &str) -> &'static Column {
    COLUMNS.iter().find(|c| c.key == key).unwrap_or(&COLUMNS[0])
}

fn err(key: &str, problem: FieldProblem) -> RowProblem {
    RowProblem::field(col(key), problem)
}

/// One roster row to a deputy, or why not (naming the field).
pub fn parse_row(row: &Row) -> Result<Deputy, RowProblem> {
    let id = clean_text(row.get("id"), false);
    if id.is_empty() {
        return Err(err("id", FieldProblem::Required));
    }
    if id.chars().count() > MAX_ID
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(err(
            "id",
            FieldProblem::BadId {
                id: shown(&id),
                max: MAX_ID,
            },
        ));
    }
    let name = text_field(Field::VisitorName, row.get("name"), false, MAX_NAME, true)?;
    let level_text = row.get("level").trim();
    let level = match Level::parse(level_text) {
        Some(l) => l,
        None if level_text.is_empty() => return Err(err("level", FieldProblem::Required)),
        None => {
            return Err(err(
                "level",
                FieldProblem::UnknownLevel {
                    text: shown(level_text),
                    known: Level::known,
                },
            ));
        }
    };
    let phone = if clean_text(row.get("phone"), false).is_empty() {
        String::new()
    } else {
        normalize_phone(row.get("phone"))?
    };
    let specialties = split_list(row.get("specialties"));
    if let Some(long) = specialties.iter().find(|s| s.chars().count() > MAX_SPECIALTY) {
        return Err(err(
            "specialties",
            FieldProblem::LongSpecialty {
                text: shown(long),
                max: MAX_SPECIALTY,
            },
        ));
    }
    let mut duty_days = Vec::new();
    for part in split_list(row.get("duty_days")) {
        match part.parse::<u32>() {
            Ok(d) if (1..=31).contains(&d) => {
                if !duty_days.contains(&d) {
                    duty_days.push(d);
                }
            }
            _ => {
                return Err(err("duty_days", FieldProblem::BadDutyDay { text: shown(&part) }));
            }
        }
    }
    Ok(Deputy {
        id,
        name,
        level,
        phone,
        specialties,
        duty_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// Why a row is refused, in `lang`.
    fn refused(pairs: &[(&'static str, &str)], lang: Lang) -> String {
        parse_row(&row(pairs)).expect_err("refused").message(lang)
    }

    fn row(pairs: &[(&'static str, &str)]) -> Row {
        let mut r = Row::default();
        for (k, v) in pairs {
            r.set(k, *v);
        }
        r
    }

    #[test]
    fn a_full_row() {
        let d = parse_row(&row(&[
            ("id", "D003"),
            ("name", "何建平"),
            ("level", "省"),
            ("phone", "139-0000-1203"),
            ("specialties", "财经、企业管理"),
            ("duty_days", "10;20"),
        ]))
        .expect("valid");
        assert_eq!(d.level, Level::Provincial);
        assert_eq!(d.phone, "13900001203");
        assert_eq!(d.specialties, vec!["财经", "企业管理"]);
        assert_eq!(d.duty_days, vec![10, 20]);
    }

    #[test]
    fn errors_name_the_field() {
        let base = [("id", "D1"), ("name", "甲"), ("level", "county")];
        let mut bad = base.to_vec();
        bad[0] = ("id", "D 1");
        assert!(refused(&bad, Lang::Zh).starts_with("编号："));
        let mut bad = base.to_vec();
        bad[2] = ("level", "village");
        assert!(refused(&bad, Lang::En).starts_with("Level: unknown"));
        let mut bad = base.to_vec();
        bad.push(("duty_days", "10、32"));
        assert!(refused(&bad, Lang::Zh).starts_with("值班日："));
        let mut bad = base.to_vec();
        bad.push(("phone", "1390000120"));
        assert!(refused(&bad, Lang::Zh).starts_with("电话："));
        let mut bad = base.to_vec();
        bad[1] = ("name", " ");
        assert!(refused(&bad, Lang::Zh).starts_with("姓名："));
    }
}
