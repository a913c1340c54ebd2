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
pub struct Query {
    finders: Vec<memmem::Finder<'static>>,
}

impl Query {
    pub fn new(text: &str) -> Query {
        let norm = normalize(text);
        let finders = norm
            .split_whitespace()
            .map(|t| memmem::Finder::new(t.as_bytes()).into_owned())
            .collect();
        Query { finders }
    }

    pub fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }

    /// All terms occur in the text, or (for a term of digits and dashes)
    /// in the tracking code, typed with or without its dashes.
    pub fn matches(&self, text: &str, code: &str) -> bool {
        self.finders.iter().all(|f| {
            f.find(text.as_bytes()).is_some() || (is_code_term(f.needle()) && code_matches(f.needle(), code))
        })
    }
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
        assert!(Query::new("  ").is_empty());
    }
}
