//! What the scale benchmarks share: the binary under measure
//! (`JIEDAI_BENCH_BIN`), a child process's wall time and peak memory
//! (its rusage's `ru_maxrss`, i.e. VmHWM), medians and p99, sizes on
//! disk, and the report table.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

pub fn target_dir() -> PathBuf {
    // The bench binary lives in <target>/release/deps/.
    std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The binary measured: `JIEDAI_BENCH_BIN`, else target/release/jiedai.
pub fn bench_bin() -> PathBuf {
    std::env::var_os("JIEDAI_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release").join("jiedai"))
}

/// `bench_bin`, when it is there.
pub fn checked_bin() -> Res<PathBuf> {
    let bin = bench_bin();
    if !bin.exists() {
        return Err(format!(
            "{} not found: build it (cargo build --release) or name one in JIEDAI_BENCH_BIN",
            bin.display()
        )
        .into());
    }
    Ok(bin)
}

/// A short name for the binary, used in directory and report names.
pub fn bench_label() -> String {
    std::env::var("JIEDAI_BENCH_LABEL").unwrap_or_else(|_| {
        bench_bin()
            .file_name()
            .map_or("jiedai".into(), |n| n.to_string_lossy().into_owned())
    })
}

pub fn has_flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The value after `--name` on the command line.
pub fn flag_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// One finished child.
#[derive(Debug, Clone)]
pub struct Run {
    pub secs: f64,
    /// Peak resident memory (ru_maxrss) in MB.
    pub peak_mb: f64,
    pub ok: bool,
    pub timed_out: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

const TIME: &str = "/usr/bin/time";

/// Runs `cmd` (stdin null, stdout kept or sent to `out`), killing it after
/// `timeout`; its wall time and peak memory. The peak is read by
/// /usr/bin/time when it is there: a child's own `ru_maxrss` also counts
/// the memory of the process that spawned it (the kernel keeps the
/// larger across exec), which would be this benchmark's.
pub fn run(cmd: &mut Command, out: Option<&Path>, timeout: Duration) -> Res<Run> {
    let peak_file = std::env::temp_dir().join(format!("jiedai-bench-peak-{}", std::process::id()));
    let mut wrapped = Path::new(TIME).exists().then(|| {
        let mut w = Command::new(TIME);
        w.arg("-f").arg("%M").arg("-o").arg(&peak_file);
        w.arg(cmd.get_program()).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => w.env(k, v),
                None => w.env_remove(k),
            };
        }
        if let Some(d) = cmd.get_current_dir() {
            w.current_dir(d);
        }
        w
    });
    let cmd = wrapped.as_mut().unwrap_or(cmd);
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    match out {
        Some(path) => cmd.stdout(fs::File::create(path)?),
        None => cmd.stdout(Stdio::piped()),
    };
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = std::io::Read::read_to_end(s, &mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = std::io::Read::read_to_end(s, &mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let _ = tx.send((r, status, usage.ru_maxrss, Instant::now()));
    });
    let (timed_out, (r, status, maxrss, end)) = match rx.recv_timeout(timeout) {
        Ok(v) => (false, v),
        Err(_) => {
            // SAFETY: kills our own child's process group (the child
            // and what it runs), not yet reaped.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            (true, rx.recv()?)
        }
    };
    // The child was reaped by wait4; keep std from waiting on it again.
    std::mem::forget(child);
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    // /usr/bin/time writes the peak (KB) on the last line of its file.
    let peak_kb = if wrapped.is_some() {
        let text = fs::read_to_string(&peak_file).unwrap_or_default();
        let _ = fs::remove_file(&peak_file);
        text.lines()
            .last()
            .and_then(|l| l.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    } else {
        maxrss as f64
    };
    Ok(Run {
        secs: (end - start).as_secs_f64(),
        peak_mb: peak_kb / 1024.0,
        ok: !timed_out && r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        timed_out,
        stdout,
        stderr,
    })
}

/// `run`, failing with the child's stderr when it fails.
pub fn run_ok(cmd: &mut Command, out: Option<&Path>, timeout: Duration) -> Res<Run> {
    let what = format!("{cmd:?}");
    let r = run(cmd, out, timeout)?;
    if !r.ok {
        return Err(format!(
            "{what} failed{}: {}",
            if r.timed_out { " (timed out)" } else { "" },
            r.stderr.trim()
        )
        .into());
    }
    Ok(r)
}

/// Median and 99th percentile (nearest rank).
pub fn stats(samples: &[f64]) -> (f64, f64) {
    let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if s.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    let rank = ((0.99 * n as f64).ceil() as usize).clamp(1, n);
    (median, s[rank - 1])
}

pub fn median(samples: &[f64]) -> f64 {
    stats(samples).0
}

/// Bytes under `path` (a file or a directory, recursively).
pub fn disk_size(path: &Path) -> u64 {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::read_dir(path)
            .map(|d| d.flatten().map(|e| disk_size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}

/// The report's second line: when, and how busy the machine was.
pub fn started_line() -> String {
    format!(
        "{} · load average {} on {} CPUs at the start (figures on a shared machine: compare ratios)",
        chrono::Local::now().format("%Y-%m-%d %H:%M"),
        loadavg(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// A figure's row: label, figure, floor, ratio (figure / floor).
pub struct Report {
    pub lines: Vec<String>,
}

impl Report {
    pub fn new() -> Report {
        Report { lines: Vec::new() }
    }

    pub fn line(&mut self, text: impl Into<String>) {
        let text = text.into();
        println!("{text}");
        self.lines.push(text);
    }

    /// `label | figure | floor | ratio`, the ratio figure/floor.
    pub fn row(&mut self, label: &str, figure: &str, floor: &str, ratio: f64, target: Option<f64>) {
        let verdict = match target {
            Some(t) if ratio.is_finite() => {
                format!(" (target <= {t}x: {})", if ratio <= t { "met" } else { "MISSED" })
            }
            Some(t) => format!(" (target <= {t}x)"),
            None => String::new(),
        };
        self.line(format!("| {label} | {figure} | {floor} | {ratio:.2}x{verdict} |"));
    }

    pub fn write(&self, path: &Path) -> Res<()> {
        fs::write(path, self.lines.join("\n") + "\n")?;
        eprintln!("written to {}", path.display());
        Ok(())
    }
}

pub fn progress(what: &str) {
    eprintln!("[{}] {what}", chrono::Local::now().format("%H:%M:%S"));
}
