//! What a QR code opens: the station's public pages for an appeal's
//! progress, a deputy and the station itself, and the access key that lets
//! only the holder of a receipt see an appeal's progress. No I/O: random
//! bytes for a key come in from the caller.

use super::code::TrackingCode;
use super::station::Station;
use crate::i18n::Lang;

/// Crockford's base32: digits and capitals without I, L, O and U, so a key
/// read aloud or typed from paper is not mistaken for another.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in an access key: 13 × 5 = 65 random bits.
pub const KEY_CHARS: usize = 13;

/// Random bytes one key takes (the first 65 of their 72 bits are used).
pub const KEY_BYTES: usize = 9;

/// An appeal's access key from random bytes.
pub fn access_key(random: &[u8; KEY_BYTES]) -> String {
    let bits = random.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    (0..KEY_CHARS)
        .map(|i| {
            let shift = 72 - 5 * (i + 1);
            ALPHABET[((bits >> shift) & 0x1f) as usize] as char
        })
        .collect()
}

/// An access key as typed or scanned, in its canonical spelling: Crockford
/// base32 takes lower case as upper case, `I` and `L` as `1`, `O` as `0`,
/// and ignores hyphens and spaces. What is not of the alphabet stays, so
/// it matches no key.
pub fn typed_key(given: &str) -> String {
    given
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            c => c,
        })
        .collect()
}

/// Whether `s` has the shape of an access key.
pub fn is_access_key(s: &str) -> bool {
    s.len() == KEY_CHARS && s.bytes().all(|b| ALPHABET.contains(&b))
}

/// Why a public link cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum PublicError {
    /// The station file sets no `public_url`.
    NoPublicUrl,
    /// The appeal has no access key yet.
    NoKey(String),
    /// The station's `public_url` (set up by an earlier version) is not
    /// the county server's address followed by the station's code, so its
    /// links would not open.
    BadPublicUrl { url: String, station: String },
}

impl PublicError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            PublicError::NoPublicUrl => lang
                .pick(
                    "站点文件未设置公开网址（[station] 中的 public_url，如 \"https://rd.example.cn/330999012\"），无法生成二维码；请在站点文件中加上后重新运行 jiedai init --station 文件",
                    "the station file sets no public address ([station] public_url, e.g. \"https://rd.example.cn/330999012\"), so no QR code can be made: add it and run jiedai init --station FILE again",
                )
                .to_string(),
            PublicError::BadPublicUrl { url, station } => {
                let why = url_problem(url, station, lang);
                lang.pick(
                    format!("{why}；请改好站点文件后运行 `jiedai init --station 站点文件 --reconfigure`"),
                    format!("{why}; correct the station file and run `jiedai init --station FILE --reconfigure`"),
                )
            }
            PublicError::NoKey(code) => lang.pick(
                format!("诉求 {code} 还没有查询密钥"),
                format!("appeal {code} has no access key yet"),
            ),
        }
    }
}

/// The station's public address without a trailing slash; refused when
/// the county's pages could not answer under it (`check_public_url`).
pub fn base(station: &Station) -> Result<&str, PublicError> {
    let url = station
        .public_url
        .as_deref()
        .map(|u| u.trim().trim_end_matches('/'))
        .filter(|u| !u.is_empty())
        .ok_or(PublicError::NoPublicUrl)?;
    check_public_url(url, &station.code).map(|()| url)
}

/// The appeal's progress page: `{public_url}/t/{code}?k={key}`, where
/// `public_url` is the county server's public address followed by the
/// station's code (`https://rd.example.cn/330999012`): the county answers
/// `/{station}/t/{code}`, `/{station}/d/{deputy}` and `/{station}/`.
pub fn appeal_url(station: &Station, code: &TrackingCode, key: &str) -> Result<String, PublicError> {
    let base = base(station)?;
    if key.is_empty() {
        return Err(PublicError::NoKey(code.to_string()));
    }
    Ok(format!("{base}/t/{code}?k={}", escape(key)))
}

/// A deputy's page: `{public_url}/d/{deputy_id}`.
pub fn deputy_url(station: &Station, deputy_id: &str) -> Result<String, PublicError> {
    Ok(format!("{}/d/{}", base(station)?, escape(deputy_id)))
}

/// The station's page: `{public_url}/`.
pub fn station_url(station: &Station) -> Result<String, PublicError> {
    Ok(format!("{}/", base(station)?))
}

/// Why a `public_url` cannot be the base of a station's links, if it
/// cannot: it must be an `http://` or `https://` address whose last path
/// segment is the station's code, with no query or fragment.
pub fn check_public_url(url: &str, station_code: &str) -> Result<(), PublicError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        let host = r.split('/').next().unwrap_or("");
        !host.is_empty() && !r.contains(['?', '#', ' '])
    });
    let last = rest
        .and_then(|r| r.split_once('/'))
        .map(|(_, path)| path.rsplit('/').next().unwrap_or(""));
    if host_ok && last == Some(station_code) {
        return Ok(());
    }
    Err(PublicError::BadPublicUrl {
        url: url.to_string(),
        station: station_code.to_string(),
    })
}

/// What is wrong with a `public_url` that `check_public_url` refuses, in
/// words.
pub fn url_problem(url: &str, station_code: &str, lang: Lang) -> String {
    let example = format!("https://rd.example.cn/{station_code}");
    lang.pick(
        format!(
            "station.public_url：“{url}”不能作为二维码的地址。应写成县里服务器的公开网址加上本站编号，例如 \"{example}\"（县里服务器据此回答 /{station_code}/t/查询码、/{station_code}/d/代表编号 和 /{station_code}/）"
        ),
        format!(
            "station.public_url: \"{url}\" cannot be the address in QR codes. Write the county server's public address followed by this station's code, e.g. \"{example}\" (the county server answers /{station_code}/t/CODE, /{station_code}/d/DEPUTY and /{station_code}/ under it)"
        ),
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StationKind;

    fn station(url: Option<&str>) -> Station {
        Station {
            code: "330999012".into(),
            name: "柳岸社区人大代表联络站".into(),
            kind: StationKind::Station,
            county: "青禾县".into(),
            address: String::new(),
            phone: None,
            reception_days: vec![10],
            reception_hours: String::new(),
            staff: Vec::new(),
            units: Vec::new(),
            public_url: url.map(str::to_string),
            reply_days: None,
            reply_working_days: None,
            holidays: None,
            time_zone: None,
            points: Default::default(),
            sync: Default::default(),
        }
    }

    #[test]
    fn keys_carry_65_bits_in_crockford_base32() {
        let zero = access_key(&[0; KEY_BYTES]);
        let ones = access_key(&[0xff; KEY_BYTES]);
        assert_eq!(zero, "0000000000000");
        assert_eq!(ones, "ZZZZZZZZZZZZZ");
        let k = access_key(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11]);
        assert!(is_access_key(&k), "{k}");
        assert!(!k.contains(['I', 'L', 'O', 'U']));
        // Each of the first 65 bits changes the key.
        for bit in 0..65 {
            let mut b = [0u8; KEY_BYTES];
            b[bit / 8] |= 0x80 >> (bit % 8);
            assert_ne!(access_key(&b), zero, "bit {bit}");
        }
        assert!(!is_access_key("0000000000O00"));
        assert!(!is_access_key("000"));
    }

    #[test]
    fn urls_follow_the_public_layout() {
        let s = station(Some("https://rd.example.cn/qh/330999012/"));
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let code = TrackingCode::new(day, "330999012", 1, 1).unwrap();
        assert_eq!(
            appeal_url(&s, &code, "ABCDEFGHJKMNP").unwrap(),
            format!("https://rd.example.cn/qh/330999012/t/{code}?k=ABCDEFGHJKMNP")
        );
        assert_eq!(
            deputy_url(&s, "D 01").unwrap(),
            "https://rd.example.cn/qh/330999012/d/D%2001"
        );
        assert_eq!(station_url(&s).unwrap(), "https://rd.example.cn/qh/330999012/");
        assert_eq!(
            appeal_url(&s, &code, ""),
            Err(PublicError::NoKey(code.to_string()))
        );
        for none in [None, Some(""), Some("  ")] {
            assert_eq!(station_url(&station(none)), Err(PublicError::NoPublicUrl));
        }
        // A public_url from before the pages were under the station's code.
        let old = station(Some("https://rd.example.cn"));
        let refused = deputy_url(&old, "D001").unwrap_err();
        assert!(matches!(refused, PublicError::BadPublicUrl { .. }), "{refused:?}");
        assert!(refused.message(Lang::Zh).contains("--reconfigure"));
        assert!(appeal_url(&old, &code, "ABCDEFGHJKMNP").is_err());
        assert!(PublicError::NoPublicUrl.message(Lang::Zh).contains("public_url"));
    }

    #[test]
    fn a_public_url_ends_with_the_station_code() {
        for good in [
            "https://rd.example.cn/330999012",
            "https://rd.example.cn/330999012/",
            "http://127.0.0.1:8440/330999012",
            "https://rd.example.cn/qh/330999012",
        ] {
            assert_eq!(check_public_url(good, "330999012"), Ok(()), "{good}");
        }
        for bad in [
            "https://rd.example.cn",
            "https://rd.example.cn/",
            "https://rd.example.cn/330999013",
            "https://rd.example.cn/330999012?x=1",
            "rd.example.cn/330999012",
            "ftp://rd.example.cn/330999012",
            "https:///330999012",
        ] {
            let e = check_public_url(bad, "330999012").unwrap_err().message(Lang::Zh);
            assert!(e.contains("https://rd.example.cn/330999012"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_typed_key_reads_as_crockford() {
        let key = access_key(&[0x5a, 0x13, 0xff, 0x00, 0x42, 0x9c, 0x07, 0xe1, 0x3d]);
        assert!(is_access_key(&key), "{key}");
        assert_eq!(typed_key(&key.to_lowercase()), key);
        assert_eq!(typed_key("abcd-efgh jkmnp"), "ABCDEFGHJKMNP");
        assert_eq!(typed_key("0o1iL"), "00111");
        // Not of the alphabet: kept, so it matches nothing.
        assert_eq!(typed_key("u\u{ff21}"), "U\u{ff21}");
    }
}
