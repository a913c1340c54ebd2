//! Runs the real `jiedai` binary in a pseudo-terminal and reads its screen
//! through a terminal emulator (vt100). Matching is always done on the
//! emulated screen, never on the raw bytes: ratatui moves the cursor
//! between wide characters, so a Chinese word is rarely contiguous in the
//! byte stream.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, PtySize, native_pty_system};

/// What a wait found, or a panic with the screen it gave up on.
pub fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// The terminal's size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub cols: u16,
    pub rows: u16,
}

pub const SIZE_80X24: Size = Size { cols: 80, rows: 24 };
pub const SIZE_100X30: Size = Size { cols: 100, rows: 30 };

/// Keys that are not plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Tab,
    BackTab,
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    PageDown,
    End,
    F1,
    F2,
    Ctrl(char),
    Alt(char),
}

impl Key {
    /// The bytes an xterm sends for the key.
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Key::Tab => b"\t".to_vec(),
            Key::BackTab => b"\x1b[Z".to_vec(),
            Key::Enter => b"\r".to_vec(),
            Key::Esc => b"\x1b".to_vec(),
            Key::Backspace => b"\x7f".to_vec(),
            Key::Up => b"\x1b[A".to_vec(),
            Key::Down => b"\x1b[B".to_vec(),
            Key::PageDown => b"\x1b[6~".to_vec(),
            Key::End => b"\x1b[F".to_vec(),
            Key::F1 => b"\x1bOP".to_vec(),
            Key::F2 => b"\x1bOQ".to_vec(),
            Key::Ctrl(c) => {
                let c = c.to_ascii_lowercase();
                assert!(c.is_ascii_lowercase(), "Ctrl-{c} is not a control character");
                vec![c as u8 - b'a' + 1]
            }
            Key::Alt(c) => {
                let mut v = vec![0x1b];
                let mut buf = [0u8; 4];
                v.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                v
            }
        }
    }
}

/// What the reader thread shares with the test.
struct Shared {
    parser: vt100::Parser,
    raw: Vec<u8>,
}

pub struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    shared: Arc<Mutex<Shared>>,
    eof: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    pub size: Size,
    status: Option<ExitStatus>,
}

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_jiedai"))
}

/// Environment for every child: a private HOME and config directory so
/// that no user keymap leaks in.
pub fn child_env(home: &Path) -> Vec<(String, String)> {
    let config = home.join("config");
    let data = home.join("data-home");
    vec![
        ("TERM".into(), "xterm-256color".into()),
        ("HOME".into(), home.display().to_string()),
        ("XDG_CONFIG_HOME".into(), config.display().to_string()),
        ("XDG_DATA_HOME".into(), data.display().to_string()),
        ("LANG".into(), "C.UTF-8".into()),
        // The machine's zone is UTC: the kiosk shows the station's zone.
        ("TZ".into(), "UTC".into()),
        ("RUST_BACKTRACE".into(), "1".into()),
    ]
}

/// Position of `needle` in `hay` from `from` on.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

const CURSOR_QUERY: &[u8] = b"\x1b[6n";

impl Pty {
    /// Starts the binary with `args` in a terminal of `size`; `home` is the
    /// private HOME (see `child_env`).
    pub fn spawn(args: &[&str], size: Size, home: &Path) -> Pty {
        Pty::spawn_env(args, size, home, &[])
    }

    /// `spawn` with more environment variables (`JIEDAI_NOW`, …).
    pub fn spawn_env(args: &[&str], size: Size, home: &Path, env: &[(&str, &str)]) -> Pty {
        let system = native_pty_system();
        let pair = system
            .openpty(PtySize {
                rows: size.rows,
                cols: size.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(bin());
        cmd.args(args);
        for (k, v) in child_env(home) {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env_remove("COLORTERM");
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        let child = pair.slave.spawn_command(cmd).expect("spawn jiedai in a pty");
        // Only the child holds the slave now, so the reader sees EOF when it exits.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let shared = Arc::new(Mutex::new(Shared {
            parser: vt100::Parser::new(size.rows, size.cols, 0),
            raw: Vec::new(),
        }));
        let eof = Arc::new(AtomicBool::new(false));
        let handle = {
            let shared = Arc::clone(&shared);
            let writer = Arc::clone(&writer);
            let eof = Arc::clone(&eof);
            // The master must outlive the reader on some platforms.
            let master = pair.master;
            thread::spawn(move || {
                let _master = master;
                let mut buf = [0u8; 8192];
                let mut answered = 0usize;
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let queries = {
                                let mut s = shared.lock().unwrap();
                                s.parser.process(&buf[..n]);
                                s.raw.extend_from_slice(&buf[..n]);
                                // Count cursor-position queries not yet answered
                                // (a query may straddle two reads).
                                let mut count = 0;
                                let mut at = answered;
                                while let Some(p) = find(&s.raw, CURSOR_QUERY, at) {
                                    count += 1;
                                    at = p + CURSOR_QUERY.len();
                                }
                                answered = at.max(s.raw.len().saturating_sub(CURSOR_QUERY.len() - 1));
                                count
                            };
                            for _ in 0..queries {
                                let mut w = writer.lock().unwrap();
                                let _ = w.write_all(b"\x1b[1;1R");
                                let _ = w.flush();
                            }
                        }
                    }
                }
                eof.store(true, Ordering::SeqCst);
            })
        };
        Pty {
            child,
            writer,
            shared,
            eof,
            reader: Some(handle),
            size,
            status: None,
        }
    }

    fn write(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes).expect("write to pty");
        w.flush().expect("flush pty");
    }

    /// Types text (Chinese included: its UTF-8 bytes), then pauses briefly.
    pub fn send(&self, text: &str) {
        self.write(text.as_bytes());
        thread::sleep(Duration::from_millis(40));
    }

    /// Presses one key, then pauses briefly so that a lone Esc is not read
    /// together with the next key as Alt-something.
    pub fn key(&self, key: Key) {
        self.write(&key.bytes());
        thread::sleep(Duration::from_millis(50));
    }

    /// The emulated screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.shared.lock().unwrap().parser.screen().contents()
    }

    /// Runs `f` on the emulated screen.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.shared.lock().unwrap().parser.screen())
    }

    /// Every byte the child has written so far.
    pub fn raw(&self) -> Vec<u8> {
        self.shared.lock().unwrap().raw.clone()
    }

    /// Waits until the screen shows `needle`; the error holds the screen.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_until(timeout, &format!("{needle:?}"), |s| s.contains(needle))
    }

    /// Waits for the sign-in screen, signs in as the person it offers
    /// first, and waits for Today; each wait within `timeout`.
    pub fn sign_in(&self, timeout: Duration) {
        ok(self.wait_for("沈佳怡", timeout));
        self.key(Key::Enter);
        ok(self.wait_for("今日值班代表", timeout));
    }

    /// From Today, opens the appeal `code` on the Appeals screen by
    /// searching for it, and scrolls its details to the end of the
    /// timeline; each wait within `timeout`.
    pub fn open_appeal_timeline(&self, code: &str, timeout: Duration) {
        self.send("3");
        ok(self.wait_for("状态", timeout));
        self.send("/");
        self.send(&code.replace('-', ""));
        self.key(Key::Enter);
        ok(self.wait_for("1 条", timeout));
        self.key(Key::Enter);
        ok(self.wait_for("诉求详情", timeout));
        self.key(Key::End);
    }

    /// In the register form, at an appeal's category: picks 交通停车 by its
    /// initials, then types the appeal's `title` and `content`. Two of
    /// its keys are not text (Enter, Tab).
    pub fn type_traffic_appeal(&self, title: &str, content: &str, timeout: Duration) {
        self.send("jttc");
        ok(self.wait_for("交通停车", timeout));
        self.key(Key::Enter);
        self.send(title);
        self.key(Key::Tab);
        self.send(content);
    }

    /// From any screen but a form, registers one visit with one traffic
    /// appeal (`visitor`, `phone`, `title`, `content`) and goes back to
    /// Today; the screen that showed the saved code.
    pub fn register_traffic_appeal(
        &self,
        (visitor, phone): (&str, &str),
        title: &str,
        content: &str,
        timeout: Duration,
    ) -> String {
        self.send("2");
        ok(self.wait_for("■ 来访人", timeout));
        self.send(visitor);
        self.key(Key::Tab);
        self.send(phone);
        self.key(Key::PageDown);
        ok(self.wait_for("打字筛选", timeout));
        self.type_traffic_appeal(title, content, timeout);
        ok(self.wait_for(content, timeout));
        self.key(Key::Ctrl('s'));
        let screen = ok(self.wait_for("查询码（请告知来访人）", timeout));
        self.key(Key::Enter);
        ok(self.wait_gone("查询码（请告知来访人）", timeout));
        self.key(Key::Alt('1'));
        ok(self.wait_for("今日值班代表", timeout));
        screen
    }

    /// Waits until the screen no longer shows `needle`.
    pub fn wait_gone(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_until(timeout, &format!("{needle:?} to go away"), |s| {
            !s.contains(needle)
        })
    }

    /// Waits until `pred` holds for the screen text.
    pub fn wait_until(
        &self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return Ok(screen);
            }
            if start.elapsed() >= timeout {
                return Err(format!(
                    "timed out after {timeout:?} waiting for {what}; screen:\n{}\n{}",
                    "-".repeat(self.size.cols as usize),
                    screen
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The child's process id (to send it a signal).
    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// The exit status, if the child has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.clone()
    }

    /// Waits for the child to exit and for the reader to see the end of
    /// its output; None on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if self.try_exit().is_some() {
                break;
            }
            if start.elapsed() >= timeout {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
        // Let the reader drain what the child wrote last.
        while !self.eof.load(Ordering::SeqCst) && start.elapsed() < timeout + Duration::from_secs(2) {
            thread::sleep(Duration::from_millis(10));
        }
        if self.eof.load(Ordering::SeqCst)
            && let Some(h) = self.reader.take()
        {
            let _ = h.join();
        }
        self.status.clone()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
