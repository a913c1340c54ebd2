//! Search: one normalised text per appeal (every text field, plus the pinyin
//! initials of names, so that typing `zs` finds 张三) and queries whose terms
//! must all occur in it.

use memchr::memmem;
use pinyin::ToPinyin;

use super::appeal::Appeal;
use super::validate::to_half_width;

/// Half-width, lower-case: the form both texts and queries are compared in.
pub fn normalize(s: &str) -> String {
    to_half_width(s).to_lowercase()
}

/// Pinyin initials of a name: 张三 → "zs"; Latin letters are kept
/// lower-cased, other characters dropped.
pub fn initials(name: &str) -> String {
    let mut out = String::new();
    for (c, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(p) => out.push_str(p.first_letter()),
            None if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            None => {}
        }
    }
    out
}

/// Separates fields in a search text so that a term never matches across
/// two fields.
pub const FIELD_SEP: char = '\u{1f}';

/// Everything a search may match for one appeal.
pub fn appeal_text(a: &Appeal) -> String {
    // Display fields first (the catalog stores them as pieces of this text).
    // The tracking code is matched on its own (see `Query::matches`), the
    // category by the category filter.
    let mut parts: Vec<String> = vec![
        a.title.clone(),
        a.visitor.name.clone(),
        a.visitor.phone.clone(),
        initials(&a.visitor.name),
        a.content.clone(),
        a.location.clone(),
        a.visitor.address.clone(),
    ];
    for d in &a.deputies {
        parts.push(d.name.clone());
        parts.push(initials(&d.name));
    }
    parts.extend(a.unit.iter().cloned());
    parts.extend(a.reply.iter().cloned());
    let sep = FIELD_SEP.to_string();
    normalize(&parts.join(&sep).replace('\n', " "))
}

/// A parsed query: whitespace-separated terms, all of which must match.
/// It matches UTF-8 text, or (built with `Query::gb18030`) text kept in
/// GB18030, which holds a Chinese character in two bytes instead of three.
pub struct Query {
    finders: Vec<memmem::Finder<'static>>,
    gb18030: bool,
}

impl Query {
    pub fn new(text: &str) -> Query {
        Query::build(text, false)
    }

    /// A query over GB18030-encoded text (see `gb_encode`).
    pub fn gb18030(text: &str) -> Query {
        Query::build(text, true)
    }

    fn build(text: &str, gb18030: bool) -> Query {
        let norm = normalize(text);
        let finders = norm
            .split_whitespace()
            .map(|t| {
                let bytes = if gb18030 {
                    gb_encode(t)
                } else {
                    t.as_bytes().to_vec()
                };
                memmem::Finder::new(&bytes).into_owned()
            })
            .collect();
        Query { finders, gb18030 }
    }

    pub fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }

    /// All terms occur in the text, or (for a term of digits and dashes)
    /// in the tracking code, typed with or without its dashes.
    pub fn matches(&self, text: &str, code: &str) -> bool {
        self.matches_bytes(text.as_bytes(), code)
    }

    pub fn matches_bytes(&self, text: &[u8], code: &str) -> bool {
        self.finders.iter().all(|f| {
            let found = if self.gb18030 {
                // A match must start on a character: the second byte of a
                // two-byte character can look like an ASCII letter.
                f.find_iter(text).any(|pos| gb_boundary(text, pos))
            } else {
                f.find(text).is_some()
            };
            found || (is_code_term(f.needle()) && code_matches(f.needle(), code))
        })
    }
}

/// Text in GB18030 (every Unicode character has a GB18030 form).
pub fn gb_encode(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

pub fn gb_decode(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    encoding_rs::GB18030.decode_without_bom_handling(bytes).0
}

/// Whether `pos` is the first byte of a character in GB18030 `bytes`:
/// one byte below 0x80, four bytes when the second is a digit 0x30-0x39,
/// otherwise two.
pub fn gb_boundary(bytes: &[u8], pos: usize) -> bool {
    let mut i = 0;
    while i < pos {
        i += match bytes[i] {
            0..=0x7f => 1,
            _ if bytes.get(i + 1).is_some_and(|b| (0x30..=0x39).contains(b)) => 4,
            _ => 2,
        };
    }
    i == pos
}

/// The first place `needle` (GB18030) starts on a character in `hay`.
pub fn gb_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memmem::find_iter(hay, needle).find(|pos| gb_boundary(hay, *pos))
}

fn is_code_term(term: &[u8]) -> bool {
    term.iter().filter(|b| b.is_ascii_digit()).count() >= 4
        && term.iter().all(|b| b.is_ascii_digit() || *b == b'-')
}

fn code_matches(term: &[u8], code: &str) -> bool {
    let digits = |s: &[u8]| s.iter().copied().filter(u8::is_ascii_digit).collect::<Vec<u8>>();
    memmem::find(&digits(code.as_bytes()), &digits(term)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("张三"), "zs");
        assert_eq!(initials("欧阳明月"), "oymy");
        assert_eq!(initials("Li 王"), "liw");
    }

    #[test]
    fn query_terms_all_must_match() {
        let text = normalize("停车难\u{1f}老旧小区\u{1f}张三\u{1f}zs");
        let code = "261120-330999012-10002-8";
        assert!(Query::new("停车").matches(&text, code));
        assert!(Query::new("zs 小区").matches(&text, code));
        assert!(Query::new("ＺＳ").matches(&text, code));
        assert!(!Query::new("zs 电梯").matches(&text, code));
        assert!(Query::new("10002-8 停车").matches(&text, code));
        assert!(Query::new("261120330999012").matches(&text, code));
        assert!(!Query::new("10003").matches(&text, code));
        let gb = gb_encode(&text);
        assert!(Query::gb18030("停车 zs").matches_bytes(&gb, code));
        assert!(!Query::gb18030("zs 电梯").matches_bytes(&gb, code));
        assert_eq!(gb_decode(&gb), text);
    }

    #[test]
    fn gb18030_matches_start_on_characters() {
        // 丂 is 0x81 0x40 (an '@' as its second byte); 𠀀 takes four bytes.
        let text = gb_encode("丂x\u{20000}ab");
        assert_eq!(gb_find(&text, b"@"), None);
        assert_eq!(gb_find(&text, b"x"), Some(2));
        assert_eq!(gb_find(&text, b"ab"), Some(7));
        assert!(gb_boundary(&text, 3) && !gb_boundary(&text, 4));
        assert!(Query::new("  ").is_empty());
    }
}
