//! This terminal's printer, from the `[printer]` table of
//! `DIR/terminal.toml`:
//!
//! ```toml
//! [printer]
//! target = "tcp://192.168.1.50:9100"   # or "file:///dev/usb/lp0"
//! paper = 58                           # 58 or 80 (mm)
//! qr = "native"                        # "native" (GS ( k) or "raster" (GS v 0)
//! timeout_ms = 5000
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::PrintError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QrMode {
    /// The printer draws the code itself (GS ( k).
    Native,
    /// The code goes as an image (GS v 0), for printers without QR support.
    Raster,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSettings {
    #[serde(default)]
    pub target: Option<String>,
    /// Paper width in millimetres: 58 (32 columns, 384 dots) or 80 (48, 576).
    #[serde(default = "default_paper")]
    pub paper: u32,
    #[serde(default = "default_qr")]
    pub qr: QrMode,
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// The terminal is `jiedai demo`'s (`demo = true` in terminal.toml):
    /// a missing printer is given with `demo --printer`.
    #[serde(skip)]
    pub demo: bool,
}

fn default_paper() -> u32 {
    58
}

fn default_qr() -> QrMode {
    QrMode::Native
}

fn default_timeout() -> u64 {
    5000
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            target: None,
            paper: default_paper(),
            qr: default_qr(),
            timeout_ms: default_timeout(),
            demo: false,
        }
    }
}

#[derive(Deserialize)]
struct TerminalFile {
    #[serde(default)]
    printer: Option<PrinterSettings>,
    #[serde(default)]
    demo: bool,
}

impl PrinterSettings {
    /// The settings in `DIR/terminal.toml` (defaults when it has none).
    pub fn load(dir: &Path) -> Result<PrinterSettings, PrintError> {
        let path = dir.join("terminal.toml");
        let text = std::fs::read_to_string(&path).map_err(|e| PrintError::Settings {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let file: TerminalFile = toml::from_str(&text).map_err(|e| PrintError::Settings {
            path: path.display().to_string(),
            message: e.message().to_string(),
        })?;
        let mut settings = file.printer.unwrap_or_default();
        settings.demo = file.demo;
        if settings.paper != 58 && settings.paper != 80 {
            return Err(PrintError::Settings {
                path: path.display().to_string(),
                message: format!("printer.paper = {}: 58 or 80", settings.paper),
            });
        }
        Ok(settings)
    }

    /// Text columns of the paper in the normal font (12 dots a column).
    pub fn columns(&self) -> usize {
        if self.paper == 80 { 48 } else { 32 }
    }

    /// Printable dots across.
    pub fn dots(&self) -> usize {
        if self.paper == 80 { 576 } else { 384 }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}
