//! Free text: control characters and terminal escapes dropped, line
//! breaks kept only where a field takes them, and the length caps.

use std::iter::Peekable;
use std::str::Chars;

use super::{Field, MAX_CONTENT, MAX_LOCATION, MAX_TITLE, Problem, ValidationError};

/// Skip the rest of a CSI sequence (parameters/intermediates, then final byte).
fn skip_csi(it: &mut Peekable<Chars<'_>>) {
    while let Some(&c) = it.peek() {
        match c {
            '\u{20}'..='\u{3f}' => {
                it.next();
            }
            '\u{40}'..='\u{7e}' => {
                it.next();
                return;
            }
            _ => return,
        }
    }
}

/// Skip the body of an OSC/DCS/SOS/PM/APC string. Ends at BEL or U+009C
/// (consumed), or before ESC (so ESC \ is dropped as a pair), a line break or
/// end of input.
fn skip_control_string(it: &mut Peekable<Chars<'_>>) {
    while let Some(&c) = it.peek() {
        match c {
            '\u{7}' | '\u{9c}' => {
                it.next();
                return;
            }
            '\u{1b}' | '\n' | '\r' => return,
            _ => {
                it.next();
            }
        }
    }
}

/// Strip control characters, terminal escape sequences and bidi overrides;
/// normalise line breaks (kept only when `multiline`) and tabs; trim.
pub fn clean_text(input: &str, multiline: bool) -> String {
    let newline = if multiline { '\n' } else { ' ' };
    let mut out = String::with_capacity(input.len());
    let mut it = input.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => match it.peek().copied() {
                Some('[') => {
                    it.next();
                    skip_csi(&mut it);
                }
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    it.next();
                    skip_control_string(&mut it);
                }
                Some(' '..='~') => {
                    it.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut it),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_control_string(&mut it),
            '\r' => {
                if it.peek() == Some(&'\n') {
                    it.next();
                }
                out.push(newline);
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push(newline),
            '\t' => out.push(' '),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Characters of the content that make an appeal's title when none is
/// given.
pub const TITLE_FROM_CONTENT: usize = 20;

/// An appeal's texts after the checks every path applies (the register
/// form, an import, later the county server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealTexts {
    pub title: String,
    pub content: String,
    pub location: String,
}

/// Checks an appeal's texts in the order a person reads them (content,
/// title, location); an empty title is made from the content's first
/// `TITLE_FROM_CONTENT` characters, line breaks read as spaces.
pub fn appeal_texts(title: &str, content: &str, location: &str) -> Result<AppealTexts, ValidationError> {
    let content = text_field(Field::Content, content, true, MAX_CONTENT, true)?;
    let mut title = text_field(Field::Title, title, false, MAX_TITLE, false)?;
    if title.is_empty() {
        title = clean_text(&content, false)
            .chars()
            .take(TITLE_FROM_CONTENT)
            .collect::<String>()
            .trim()
            .to_string();
    }
    let location = text_field(Field::Location, location, false, MAX_LOCATION, false)?;
    Ok(AppealTexts {
        title,
        content,
        location,
    })
}

/// `clean_text`, then enforce `required` and `max_chars` (counted in chars).
pub fn text_field(
    field: Field,
    input: &str,
    multiline: bool,
    max_chars: usize,
    required: bool,
) -> Result<String, ValidationError> {
    let cleaned = clean_text(input, multiline);
    if required && cleaned.is_empty() {
        return Err(ValidationError::new(field, Problem::Required));
    }
    let got = cleaned.chars().count();
    if got > max_chars {
        return Err(ValidationError::new(
            field,
            Problem::TooLong { max: max_chars, got },
        ));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::{Field, MAX_NAME, MAX_NOTE, Problem};
    use proptest::prelude::*;

    #[test]
    fn an_appeal_title_is_made_from_its_content_the_same_way_everywhere() {
        let t = super::appeal_texts("", "一二三四五六七八九十\n一二三四五六七八九十一二三", "").unwrap();
        assert_eq!(t.title, "一二三四五六七八九十 一二三四五六七八九");
        let t = super::appeal_texts("  路灯  ", "路灯坏了", " 三号楼 ").unwrap();
        assert_eq!((t.title.as_str(), t.location.as_str()), ("路灯", "三号楼"));
        let e = super::appeal_texts("", "  ", "").unwrap_err();
        assert_eq!(e.field, super::Field::Content);
    }

    #[test]
    fn clean_text_examples() {
        assert_eq!(clean_text("\u{1b}[31mred\u{1b}[0m", false), "red");
        assert_eq!(clean_text("a\u{1b}]0;title\u{7}b", false), "ab");
        assert_eq!(clean_text("a\u{1b}]0;title\u{1b}\\b", false), "ab");
        assert_eq!(clean_text("\u{9b}2Jx", false), "x");
        assert_eq!(clean_text("a\u{1b}cb\u{1b}", false), "ab");
        assert_eq!(clean_text("x\u{1b}[?25l\u{1b}[2;3Hy", false), "xy");
        assert_eq!(clean_text("a\u{7f}b\u{0}c\u{85}d", false), "abcd");
        assert_eq!(clean_text("abc\u{202e}def\u{2066}g\u{2069}", false), "abcdefg");
        assert_eq!(clean_text("a\r\nb\rc\nd", true), "a\nb\nc\nd");
        assert_eq!(clean_text("a\r\nb\rc\nd", false), "a b c d");
        assert_eq!(clean_text("a\tb", true), "a b");
        assert_eq!(clean_text("\u{3000} 你好 \n\t", true), "你好");
        assert_eq!(clean_text(" \n第一行\n\n第二行\n ", true), "第一行\n\n第二行");
        assert_eq!(clean_text("\u{1b}", true), "");
        assert_eq!(clean_text("\u{1b}]unterminated\nnext", true), "next");
    }

    #[test]
    fn text_field_limits() {
        assert_eq!(
            text_field(Field::VisitorName, " 张三 ", false, MAX_NAME, true),
            Ok("张三".to_string())
        );
        let e = text_field(Field::VisitorName, " \u{1b}[0m ", false, MAX_NAME, true);
        assert_eq!(
            e,
            Err(ValidationError {
                field: Field::VisitorName,
                problem: Problem::Required
            })
        );
        assert_eq!(
            text_field(Field::Note, "  ", true, MAX_NOTE, false),
            Ok(String::new())
        );
        // Counted in chars, not bytes: 4000 CJK chars are 12000 bytes.
        let ok = "诉".repeat(MAX_CONTENT);
        assert_eq!(
            text_field(Field::Content, &ok, true, MAX_CONTENT, true),
            Ok(ok.clone())
        );
        let long = "诉".repeat(4120);
        let e = text_field(Field::Content, &long, true, MAX_CONTENT, true);
        assert_eq!(
            e,
            Err(ValidationError {
                field: Field::Content,
                problem: Problem::TooLong { max: 4000, got: 4120 }
            })
        );
    }

    fn nasty_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<String>(),
            "[\\x00-\\x7f]{0,6}",
            "[\\u{80}-\\u{9f}]{0,3}",
            Just("\u{1b}[31m".to_string()),
            Just("\u{1b}]0;title\u{7}".to_string()),
            Just("\u{1b}]8;;http://x\u{1b}\\".to_string()),
            Just("\u{9b}2J".to_string()),
            Just("\u{1b}".to_string()),
            Just("\u{9b}".to_string()),
            Just("\u{9d}".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just("\t".to_string()),
            Just("\u{3000}".to_string()),
            Just("\u{202e}".to_string()),
            Just("\u{2067}".to_string()),
            Just("诉求".to_string()),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn prop_clean_text_is_safe(s in nasty_text(), multiline in any::<bool>()) {
            let out = clean_text(&s, multiline);
            for c in out.chars() {
                prop_assert!(c != '\u{1b}' && c != '\u{9b}', "escape in {:?}", out);
                prop_assert!(
                    !c.is_control() || (multiline && c == '\n'),
                    "control {:?} in {:?}", c, out
                );
                prop_assert!(
                    !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
                    "bidi control in {:?}", out
                );
            }
            prop_assert_eq!(out.trim(), out.as_str());
            prop_assert!(
                !out.starts_with('\u{3000}') && !out.ends_with('\u{3000}'),
                "untrimmed {:?}", out
            );
            prop_assert_eq!(clean_text(&out, multiline), out.clone());
        }

        #[test]
        fn prop_text_field_respects_limits(s in nasty_text(), max in 0usize..20, required in any::<bool>()) {
            match text_field(Field::Note, &s, true, max, required) {
                Ok(v) => {
                    prop_assert!(v.chars().count() <= max);
                    prop_assert!(!required || !v.is_empty());
                    prop_assert_eq!(v, clean_text(&s, true));
                }
                Err(e) => {
                    prop_assert_eq!(e.field, Field::Note);
                    let cleaned = clean_text(&s, true);
                    match e.problem {
                        Problem::Required => prop_assert!(required && cleaned.is_empty()),
                        Problem::TooLong { max: m, got } => {
                            prop_assert_eq!(m, max);
                            prop_assert_eq!(got, cleaned.chars().count());
                            prop_assert!(got > max);
                        }
                        other => prop_assert!(false, "unexpected {:?}", other),
                    }
                }
            }
        }

    }
}
