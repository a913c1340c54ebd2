#![cfg(feature = "county")]
//! The county server over HTTPS, run as the real binary: a station that
//! trusts the county's self-signed certificate (`county enroll --ca`)
//! syncs; one that does not is refused at once and sends nothing; a
//! certificate or key that cannot be used stops the server.

use crate::support::cli;
use crate::support::county;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use county::County;
use tempfile::TempDir;

const STATION: &str = "330999012";
const STATION_NAME: &str = "柳岸社区人大代表联络站";

/// Certificates and keys for the server, made with the
/// openssl command.
pub(crate) struct Cert {
    dir: TempDir,
}

/// Runs the openssl command in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command runs");
    assert!(out.status.success(), "openssl {args:?}:\n{}", cli::printed(&out));
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

impl Cert {
    /// Self-signed for 127.0.0.1 (`openssl req -x509` marks it a CA).
    pub(crate) fn new() -> Cert {
        Cert::self_signed("IP:127.0.0.1")
    }

    fn self_signed(san: &str) -> Cert {
        let dir = tempfile::tempdir().expect("tempdir");
        let san = format!("subjectAltName={san}");
        let mut args = vec!["req", "-x509"];
        args.extend(EC);
        args.extend([
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            &san,
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
        ]);
        openssl(dir.path(), &args);
        Cert { dir }
    }

    /// A county CA (`ca.pem`) and a server certificate it signed for
    /// 127.0.0.1 (`cert.pem`, `key.pem`).
    fn with_ca() -> Cert {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ca = vec!["req", "-x509"];
        ca.extend(EC);
        ca.extend([
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=County CA",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ]);
        openssl(dir.path(), &ca);
        let mut csr = vec!["req", "-new"];
        csr.extend(EC);
        csr.extend([
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ]);
        openssl(dir.path(), &csr);
        cli::write(dir.path(), "server.ext", b"subjectAltName=IP:127.0.0.1\n");
        openssl(
            dir.path(),
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca-key.pem",
                "-set_serial",
                "7",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "cert.pem",
            ],
        );
        Cert { dir }
    }

    pub(crate) fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub(crate) fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// The sample station with its deputies and a few appeals.
fn station() -> TempDir {
    let dir = cli::station(true);
    let all = std::fs::read_to_string(cli::sample("appeals.csv")).expect("sample appeals");
    let few: String = all.lines().take(6).map(|l| format!("{l}\n")).collect();
    let file = cli::write(dir.path(), "few-appeals.csv", few.as_bytes());
    cli::expect(dir.path(), &["import", "appeals", cli::path(&file)], 0);
    assert!(cli::appeal_count(dir.path()) > 0, "the station holds appeals");
    dir
}

/// The sample station enrolled with the county, its credentials naming
/// `ca` as the certificate to trust.
fn station_trusting(county: &County, ca: &Path) -> TempDir {
    let station = station();
    let creds = station.path().join("county-credentials.toml");
    county.enroll_with(STATION, STATION_NAME, &creds, &["--ca", cli::path(ca)]);
    cli::expect(station.path(), &["enroll", cli::path(&creds)], 0);
    station
}

/// A sync refused because the county's certificate cannot be verified;
/// what it said.
fn unverified_sync(station: &Path) -> String {
    let o = cli::expect(station, &["--lang", "en", "sync"], 1);
    let said = cli::printed(&o);
    assert!(
        said.contains("the server's certificate cannot be verified"),
        "{said}"
    );
    said
}

/// The codes of the appeals the county holds.
fn county_codes(county: &County) -> Vec<String> {
    let o = county.run(&["appeals", "--json"]);
    assert!(o.status.success(), "county appeals:\n{}", cli::printed(&o));
    let mut codes: Vec<String> = cli::text(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            assert_eq!(v["station"], STATION);
            v["code"].as_str().expect("a code").to_string()
        })
        .collect();
    codes.sort();
    codes
}

/// The codes of the appeals the station holds.
fn station_codes(dir: &Path) -> Vec<String> {
    let o = cli::expect(dir, &["find", "", "--json"], 0);
    let mut codes: Vec<String> = cli::text(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["code"].as_str().expect("a code").to_string()
        })
        .collect();
    codes.sort();
    codes
}

#[test]
fn a_station_syncs_over_https_only_when_it_trusts_the_certificate() {
    let cert = Cert::new();
    let county = County::start_tls(None, &cert.cert(), &cert.key());
    assert!(county.url.starts_with("https://127.0.0.1:"), "{}", county.url);
    let station = station();
    let creds = station.path().join("county-credentials.toml");

    // Credentials without the county's certificate: the public roots do
    // not vouch for a self-signed one.
    county.enroll(STATION, STATION_NAME, &creds);
    assert!(!std::fs::read_to_string(&creds).unwrap().contains("ca ="));
    cli::expect(station.path(), &["enroll", cli::path(&creds)], 0);
    let started = Instant::now();
    let o = cli::expect(station.path(), &["--lang", "en", "sync", "--attempts", "5"], 1);
    let said = cli::printed(&o);
    assert!(
        said.contains("the server's certificate cannot be verified"),
        "{said}"
    );
    assert!(said.contains(&county.url), "names the server: {said}");
    // Not a failure that goes away: no retry.
    assert!(!said.contains("trying again"), "{said}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let o = cli::expect(station.path(), &["sync", "--attempts", "1"], 1);
    assert!(cli::printed(&o).contains("证书无法验证"), "{}", cli::printed(&o));
    // Why, in words: no error type names or bytes of the TLS library.
    assert!(
        cli::printed(&o).contains("（不是受信任的机构为这个服务器签发的证书）"),
        "{}",
        cli::printed(&o)
    );
    assert!(county_codes(&county).is_empty(), "the county holds nothing");

    // The county's certificate in the credentials: the sync goes through.
    county.enroll_with(
        STATION,
        STATION_NAME,
        &creds,
        &["--replace", "--ca", cli::path(&cert.cert())],
    );
    let text = std::fs::read_to_string(&creds).unwrap();
    assert!(
        text.contains("ca = ") && text.contains("BEGIN CERTIFICATE"),
        "{text}"
    );
    cli::expect(station.path(), &["enroll", cli::path(&creds)], 0);
    let o = cli::expect(station.path(), &["--lang", "en", "sync"], 0);
    assert!(cli::text(&o.stdout).contains("sync done"), "{}", cli::printed(&o));
    assert_eq!(county_codes(&county), station_codes(station.path()));
}

#[test]
fn another_certificate_in_the_credentials_is_refused() {
    let cert = Cert::new();
    let other = Cert::new();
    let county = County::start_tls(None, &cert.cert(), &cert.key());
    let station = station_trusting(&county, &other.cert());
    let said = unverified_sync(station.path());
    assert!(!said.contains("trying again"), "{said}");
    assert!(county_codes(&county).is_empty());
}

#[test]
fn a_station_trusts_the_county_ca() {
    let cert = Cert::with_ca();
    let mut county = County::start_tls(None, &cert.cert(), &cert.key());
    let station = station_trusting(&county, &cert.ca());
    cli::expect(station.path(), &["sync"], 0);
    assert_eq!(county_codes(&county), station_codes(station.path()));
    // SIGTERM stops the HTTPS server cleanly.
    let status = county.stop().expect("the server ran");
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let cert = Cert::self_signed("DNS:county.example");
    let county = County::start_tls(None, &cert.cert(), &cert.key());
    let station = station_trusting(&county, &cert.cert());
    let said = unverified_sync(station.path());
    // The reason in words, not the TLS library's types and byte arrays.
    assert!(
        said.contains("(it is made out for another name or address)"),
        "{said}"
    );
    assert!(!said.contains('[') && !said.contains("Ipv4Addr"), "{said}");
    assert!(county_codes(&county).is_empty());
}

#[test]
fn an_unusable_certificate_or_key_stops_the_server() {
    let cert = Cert::new();
    let missing = cert.dir.path().join("missing.pem");
    let not_pem = cli::write(cert.dir.path(), "not-pem.txt", b"hello\n");
    let county = tempfile::tempdir().unwrap();
    let serve = |tls_cert: &Path, tls_key: &Path| {
        cli::bin()
            .arg("--data")
            .arg(county.path())
            .args(["--lang", "en", "county", "serve", "--listen", "127.0.0.1:0"])
            .arg("--tls-cert")
            .arg(tls_cert)
            .arg("--tls-key")
            .arg(tls_key)
            .output()
            .expect("the binary runs")
    };
    let cases = [
        (missing.clone(), cert.key(), missing.clone(), "cannot be read"),
        (cert.cert(), missing.clone(), missing.clone(), "cannot be read"),
        (not_pem.clone(), cert.key(), not_pem.clone(), "no PEM certificate"),
        (
            cert.cert(),
            not_pem.clone(),
            not_pem.clone(),
            "no PEM private key",
        ),
        (cert.cert(), cert.cert(), cert.cert(), "no PEM private key"),
    ];
    for (tls_cert, tls_key, named, words) in cases {
        let o = serve(&tls_cert, &tls_key);
        let said = cli::printed(&o);
        assert!(
            !o.status.success(),
            "served with {tls_cert:?} {tls_key:?}: {said}"
        );
        assert!(!cli::text(&o.stdout).contains("listening"), "{said}");
        assert!(said.contains(cli::path(&named)), "names {named:?}: {said}");
        assert!(said.contains(words), "{words:?}: {said}");
    }
    // A key that is not the certificate's.
    let other = Cert::new();
    let o = serve(&cert.cert(), &other.key());
    let said = cli::printed(&o);
    assert!(!o.status.success(), "{said}");
    assert!(said.contains(cli::path(&other.key())), "{said}");
    // In Chinese too.
    let o = cli::bin()
        .arg("--data")
        .arg(county.path())
        .args(["county", "serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&missing)
        .arg("--tls-key")
        .arg(cert.key())
        .output()
        .unwrap();
    assert!(cli::printed(&o).contains("TLS 证书"), "{}", cli::printed(&o));
}

#[test]
fn a_ca_that_is_not_a_certificate_is_refused() {
    let cert = Cert::new();
    let county = County::start_tls(None, &cert.cert(), &cert.key());
    let station = cli::station(false);
    let creds = station.path().join("county-credentials.toml");
    // The county refuses a --ca that is not PEM certificates, and --ca
    // with an http:// URL.
    let o = county.run(&[
        "--lang",
        "en",
        "enroll",
        "--station",
        STATION,
        "--name",
        STATION_NAME,
        "--out",
        cli::path(&creds),
        "--url",
        &county.url,
        "--ca",
        cli::path(&cert.key()),
    ]);
    assert!(!o.status.success());
    assert!(cli::printed(&o).contains("--ca"), "{}", cli::printed(&o));
    assert!(!creds.exists());
    let o = county.run(&[
        "enroll",
        "--station",
        STATION,
        "--name",
        STATION_NAME,
        "--out",
        cli::path(&creds),
        "--url",
        "http://127.0.0.1:8440",
        "--ca",
        cli::path(&cert.cert()),
    ]);
    assert!(!o.status.success());
    assert!(!creds.exists());
    // A station refuses credentials whose ca is not a certificate.
    county.enroll_with(STATION, STATION_NAME, &creds, &["--ca", cli::path(&cert.cert())]);
    let text = std::fs::read_to_string(&creds).unwrap();
    let mut value: toml::Table = toml::from_str(&text).unwrap();
    value.insert("ca".into(), toml::Value::String("not a certificate".into()));
    let broken = cli::write(
        station.path(),
        "broken.toml",
        toml::to_string(&value).unwrap().as_bytes(),
    );
    let o = cli::expect(station.path(), &["--lang", "en", "enroll", cli::path(&broken)], 1);
    assert!(
        cli::printed(&o).contains("the entry “ca” is not valid"),
        "{}",
        cli::printed(&o)
    );
    cli::expect(station.path(), &["enroll", cli::path(&creds)], 0);
}

/// Slow and idle connections over TLS: one that never starts its
/// handshake and one that completes it and sends half a request head are
/// both closed within the head deadline (10 s) and a margin, while the
/// public pages are served.
#[test]
fn idle_and_slow_connections_over_tls_are_closed() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let cert = Cert::new();
    let county = County::start_tls(None, &cert.cert(), &cert.key());
    let addr = county.addr().to_string();
    let started = Instant::now();
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // openssl s_client: the handshake, half a head, then nothing; it ends
    // when the server closes the connection.
    let mut slow = Command::new("openssl")
        .args(["s_client", "-quiet", "-connect", &addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client runs");
    let mut stdin = slow.stdin.take().unwrap();
    stdin
        .write_all(b"GET /s/330999012 HTTP/1.1\r\nHost: county\r\n")
        .unwrap();
    stdin.flush().unwrap();
    let closed_slow = loop {
        if slow.try_wait().unwrap().is_some() {
            break Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(25) {
            let _ = slow.kill();
            let _ = slow.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(stdin);
    let mut buf = [0u8; 64];
    let idle_end = idle.read(&mut buf);
    let closed_idle = started.elapsed();
    eprintln!(
        "over TLS: half a head closed after {closed_slow:?}, no handshake after {closed_idle:?} ({idle_end:?})"
    );
    let closed_slow = closed_slow.expect("the connection with half a head was closed within 25 s");
    assert!(closed_slow >= Duration::from_secs(9), "{closed_slow:?}");
    assert!(
        matches!(idle_end, Ok(0))
            || idle_end
                .as_ref()
                .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
        "{idle_end:?}"
    );
    assert!(closed_idle < Duration::from_secs(25), "{closed_idle:?}");
}
