//! Deputy roster rows (代表名册): 编号/id, 姓名/name, 层级/level, 电话/phone,
//! 专长/specialties, 值班日/duty_days.

use crate::domain::Deputy;
use crate::domain::deputy::Level;
use crate::domain::privacy::mask::shown;
use crate::domain::validate::{Field, MAX_NAME, clean_text, normalize_phone, text_field};
use crate::i18n::Lang;

use super::table::{Column, Row};
use super::{field_message, validation_message};

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

fn err(lang: Lang, key: &str, zh: String, en: String) -> String {
    let c = col(key);
    field_message(lang, c.zh, c.en, zh, en)
}

/// One roster row to a deputy, or why not (naming the field).
pub fn parse_row(row: &Row, lang: Lang) -> Result<Deputy, String> {
    let id = clean_text(row.get("id"), false);
    if id.is_empty() {
        return Err(err(lang, "id", "必填".into(), "required".into()));
    }
    if id.chars().count() > MAX_ID
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        let id = shown(&id);
        return Err(err(
            lang,
            "id",
            format!("“{id}”只能包含字母、数字、下划线和短横线（最多 {MAX_ID} 个）"),
            format!("“{id}” may only contain letters, digits, _ and - (at most {MAX_ID})"),
        ));
    }
    let name = text_field(Field::VisitorName, row.get("name"), false, MAX_NAME, true)
        .map_err(|e| validation_message(&e, lang))?;
    let level_text = row.get("level").trim();
    let level = match Level::parse(level_text) {
        Some(l) => l,
        None if level_text.is_empty() => return Err(err(lang, "level", "必填".into(), "required".into())),
        None => {
            let level_text = shown(level_text);
            return Err(err(
                lang,
                "level",
                format!("未知的层级“{level_text}”（可用：{}）", Level::known(lang)),
                format!("unknown level “{level_text}” (known: {})", Level::known(lang)),
            ));
        }
    };
    let phone = if clean_text(row.get("phone"), false).is_empty() {
        String::new()
    } else {
        normalize_phone(row.get("phone")).map_err(|e| validation_message(&e, lang))?
    };
    let specialties = split_list(row.get("specialties"));
    if let Some(long) = specialties.iter().find(|s| s.chars().count() > MAX_SPECIALTY) {
        let long = shown(long);
        return Err(err(
            lang,
            "specialties",
            format!("“{long}”超过 {MAX_SPECIALTY} 字"),
            format!("“{long}” is longer than {MAX_SPECIALTY} characters"),
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
                let part = shown(&part);
                return Err(err(
                    lang,
                    "duty_days",
                    format!("“{part}”不是 1-31 之间的日期"),
                    format!("“{part}” is not a day of the month (1-31)"),
                ));
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

    fn row(pairs: &[(&'static str, &str)]) -> Row {
        let mut r = Row::default();
        for (k, v) in pairs {
            r.set(k, *v);
        }
        r
    }

    #[test]
    fn a_full_row() {
        let d = parse_row(
            &row(&[
                ("id", "D003"),
                ("name", "何建平"),
                ("level", "省"),
                ("phone", "139-0000-1203"),
                ("specialties", "财经、企业管理"),
                ("duty_days", "10;20"),
            ]),
            Lang::Zh,
        )
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
        assert!(parse_row(&row(&bad), Lang::Zh).unwrap_err().starts_with("编号："));
        let mut bad = base.to_vec();
        bad[2] = ("level", "village");
        assert!(
            parse_row(&row(&bad), Lang::En)
                .unwrap_err()
                .starts_with("Level: unknown")
        );
        let mut bad = base.to_vec();
        bad.push(("duty_days", "10、32"));
        assert!(
            parse_row(&row(&bad), Lang::Zh)
                .unwrap_err()
                .starts_with("值班日：")
        );
        let mut bad = base.to_vec();
        bad.push(("phone", "1390000120"));
        assert!(parse_row(&row(&bad), Lang::Zh).unwrap_err().starts_with("电话："));
        let mut bad = base.to_vec();
        bad[1] = ("name", " ");
        assert!(parse_row(&row(&bad), Lang::Zh).unwrap_err().starts_with("姓名："));
    }
}
