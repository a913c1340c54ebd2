//! Text encoding of imported files: UTF-8 (with or without a BOM) or
//! GB18030/GBK, as Excel saves CSV on a Chinese system.

/// Which encoding a file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

/// Decodes a file's bytes: valid UTF-8 after stripping a UTF-8 BOM means
/// UTF-8; anything else is decoded as GB18030 (a superset of GBK and
/// GB2312), and fails when that has errors too.
pub fn decode(bytes: &[u8]) -> Option<(String, Encoding)> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        return Some((text.to_string(), Encoding::Utf8));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| (text.into_owned(), Encoding::Gb18030))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            decode("姓名,a".as_bytes()),
            Some(("姓名,a".into(), Encoding::Utf8))
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("姓名".as_bytes());
        assert_eq!(decode(&bom), Some(("姓名".into(), Encoding::Utf8)));
    }

    #[test]
    fn gb18030_is_detected() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("编号,姓名\r\nD001,陈立华\r\n");
        assert_eq!(
            decode(&bytes),
            Some(("编号,姓名\r\nD001,陈立华\r\n".into(), Encoding::Gb18030))
        );
    }

    #[test]
    fn garbage_fails() {
        // 0x80 alone is not a GB18030 lead byte, and not UTF-8.
        assert_eq!(decode(b"abc\x80\xFF"), None);
    }
}
