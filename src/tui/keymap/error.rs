//! Problems in keymap files, naming the file, the line and the key.

/// A problem in a keymap file, pointing at the file, line and key; its
/// `Display` is the English message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_en())]
pub struct KeymapError {
    /// The file name as given to [`Keymap::parse`] / [`Keymap::merge`].
    pub file: String,
    /// 1-based line, when the problem is at a place in the file.
    pub line: Option<usize>,
    /// The action name, mode table name or key string concerned.
    pub key: Option<String>,
    /// What is wrong, in English.
    pub problem: String,
    /// What is wrong, in Chinese.
    pub problem_zh: String,
}

impl KeymapError {
    pub(super) fn new(
        file: &str,
        line: Option<usize>,
        key: Option<&str>,
        problem: String,
        problem_zh: String,
    ) -> KeymapError {
        KeymapError {
            file: file.to_string(),
            line,
            key: key.map(str::to_string),
            problem,
            problem_zh,
        }
    }

    /// The message in Chinese, e.g.
    /// `键位文件 keymaps/bad.toml 第 7 行，“quit”：无法识别的按键名“C-”`.
    pub fn message_zh(&self) -> String {
        let mut out = format!("键位文件 {}", self.file);
        if let Some(line) = self.line {
            out.push_str(&format!(" 第 {line} 行"));
        }
        if let Some(key) = &self.key {
            out.push_str(&format!("，“{key}”"));
        }
        out.push('：');
        out.push_str(&self.problem_zh);
        out
    }

    /// The message in English, e.g.
    /// `keymaps/bad.toml line 7, key "quit": unknown key name "C-"`.
    pub fn message_en(&self) -> String {
        let mut out = self.file.clone();
        if let Some(line) = self.line {
            out.push_str(&format!(" line {line}"));
        }
        if let Some(key) = &self.key {
            out.push_str(&format!(", key \"{key}\""));
        }
        out.push_str(": ");
        out.push_str(&self.problem);
        out
    }
}
