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
    let mut parts: Vec<String> = vec![
        a.code.as_str().to_string(),
        a.code.digits(),
        a.title.clone(),
        a.content.clone(),
        a.location.clone(),
        a.category.zh().to_string(),
        a.category.en().to_string(),
        a.visitor.name.clone(),
        initials(&a.visitor.name),
        a.visitor.phone.clone(),
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

    pub fn matches(&self, text: &str) -> bool {
        self.finders.iter().all(|f| f.find(text.as_bytes()).is_some())
    }
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
        assert!(Query::new("停车").matches(&text));
        assert!(Query::new("zs 小区").matches(&text));
        assert!(Query::new("ＺＳ").matches(&text));
        assert!(!Query::new("zs 电梯").matches(&text));
        assert!(Query::new("  ").is_empty());
    }
}
