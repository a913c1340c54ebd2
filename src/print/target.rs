//! Where the bytes go: a printer on the network (`tcp://HOST:PORT`, port
//! 9100 on most receipt printers), a device (`file:///dev/usb/lp0`) or a
//! plain file, always by its full path (a bare `lp0` would otherwise be a
//! new file in whatever directory the program runs in). Every step has a time limit: a printer that is off, full or
//! silent is reported, never waited on for ever.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use super::PrintError;
use super::escpos::{StatusKind, status_query};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Tcp { host: String, port: u16 },
    File(PathBuf),
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, PrintError> {
        let s = s.trim();
        let bad = || PrintError::BadTarget(s.to_string());
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
            let port = port.parse().map_err(|_| bad())?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() {
                return Err(bad());
            }
            return Ok(Target::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if let Some(path) = s.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad());
            }
            return Ok(Target::File(PathBuf::from(path)));
        }
        if s.is_empty() || s.contains("://") {
            return Err(bad());
        }
        if !s.starts_with('/') {
            return Err(PrintError::RelativeTarget(s.to_string()));
        }
        Ok(Target::File(PathBuf::from(s)))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Target::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// What the printer said about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrinterStatus {
    pub offline: bool,
    pub paper_out: bool,
    pub paper_low: bool,
}

/// Sends a document, asking the printer's status before and after where
/// the printer can answer (over TCP).
pub fn send(target: &Target, bytes: &[u8], timeout: Duration) -> Result<Sent, PrintError> {
    match target {
        Target::Tcp { host, port } => send_tcp(target, host, *port, bytes, timeout),
        Target::File(path) => send_file(target, path.clone(), bytes.to_vec(), timeout),
    }
}

/// What a send found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The status after printing, where the printer answers.
    pub status: Option<PrinterStatus>,
}

fn send_tcp(
    target: &Target,
    host: &str,
    port: u16,
    bytes: &[u8],
    timeout: Duration,
) -> Result<Sent, PrintError> {
    let name = target.to_string();
    let io = |stage, e: std::io::Error| PrintError::io(&name, stage, e);
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| io(super::Stage::Connect, e))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| {
        io(
            super::Stage::Connect,
            last.unwrap_or_else(|| std::io::Error::other("no address")),
        )
    })?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|_| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| io(super::Stage::Connect, e))?;
    let before = status(&mut stream, &name)?;
    check(&name, before)?;
    stream.write_all(bytes).map_err(|e| io(super::Stage::Write, e))?;
    stream.flush().map_err(|e| io(super::Stage::Write, e))?;
    let after = status(&mut stream, &name).map_err(PrintError::after_write)?;
    Ok(Sent { status: Some(after) })
}

/// Refuses a printer that is off line or out of paper.
pub fn check(name: &str, status: PrinterStatus) -> Result<(), PrintError> {
    if status.paper_out {
        return Err(PrintError::PaperOut(name.to_string()));
    }
    if status.offline {
        return Err(PrintError::Offline(name.to_string()));
    }
    Ok(())
}

/// DLE EOT 1 and DLE EOT 4: one byte each.
fn status(stream: &mut TcpStream, name: &str) -> Result<PrinterStatus, PrintError> {
    let mut ask = |kind| -> Result<u8, PrintError> {
        stream
            .write_all(&status_query(kind))
            .map_err(|e| PrintError::io(name, super::Stage::Status, e))?;
        let mut b = [0u8; 1];
        stream
            .read_exact(&mut b)
            .map_err(|e| PrintError::io(name, super::Stage::Status, e))?;
        // Bits 1 and 4 are always set and bits 0 and 7 clear in a status byte.
        if b[0] & 0x93 != 0x12 {
            return Err(PrintError::BadStatus {
                target: name.to_string(),
                byte: b[0],
            });
        }
        Ok(b[0])
    };
    let printer = ask(StatusKind::Printer)?;
    let paper = ask(StatusKind::Paper)?;
    Ok(PrinterStatus {
        offline: printer & 0x08 != 0,
        paper_out: paper & 0x60 != 0,
        paper_low: paper & 0x0c != 0,
    })
}

/// A device or file: written on a thread of its own, so that a device
/// that never takes the bytes (a USB printer switched off) is reported
/// after the time limit instead of holding the program.
fn send_file(target: &Target, path: PathBuf, bytes: Vec<u8>, timeout: Duration) -> Result<Sent, PrintError> {
    let name = target.to_string();
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("print-file".into())
        .spawn(move || {
            // Nothing reaches the printer when the open fails.
            let result = std::fs::OpenOptions::new()
                .append(true)
                .create(!path.starts_with("/dev"))
                .open(&path)
                .map_err(|e| (super::Stage::Connect, e))
                .and_then(|mut f| {
                    f.write_all(&bytes)
                        .and_then(|_| f.flush())
                        .map_err(|e| (super::Stage::Write, e))
                });
            let _ = tx.send(result);
        })
        .map_err(|e| PrintError::io(&name, super::Stage::Write, e))?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(())) => Ok(Sent { status: None }),
        Ok(Err((stage, e))) => Err(PrintError::io(&name, stage, e)),
        Err(_) => Err(PrintError::io(
            &name,
            super::Stage::Write,
            std::io::Error::from(std::io::ErrorKind::TimedOut),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("tcp://192.0.2.7:9100").unwrap(),
            Target::Tcp {
                host: "192.0.2.7".into(),
                port: 9100
            }
        );
        assert_eq!(
            Target::parse("file:///dev/usb/lp0").unwrap(),
            Target::File("/dev/usb/lp0".into())
        );
        assert_eq!(
            Target::parse("/tmp/out.bin").unwrap(),
            Target::File("/tmp/out.bin".into())
        );
        for relative in ["lp0", "out.bin", "usb/lp0", "./lp0"] {
            assert!(
                matches!(Target::parse(relative), Err(PrintError::RelativeTarget(_))),
                "{relative}"
            );
        }
        for bad in [
            "tcp://host",
            "tcp://:9100",
            "tcp://h:x",
            "http://h/",
            "",
            "file://rel",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
