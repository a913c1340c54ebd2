//! Reading a keymap file: TOML tables of action names and key lists,
//! checked entry by entry, with errors that name the line and the key.

use toml::de::{DeTable, DeValue};

use super::{Action, KeyChord, KeymapError, Mode};

/// One `action = [...]` line of a file, checked.
pub(super) struct Entry {
    pub(super) action: Action,
    pub(super) line: usize,
    pub(super) chords: Vec<(KeyChord, usize)>,
}

/// What a file says, after per-entry checks.
pub(super) struct FileContents {
    pub(super) entries: Vec<Entry>,
    /// Actions the file mentioned, including those whose entry had errors.
    pub(super) mentioned: Vec<Action>,
    pub(super) errors: Vec<KeymapError>,
}

pub(super) fn first_error(mut errors: Vec<KeymapError>) -> KeymapError {
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    errors.swap_remove(0)
}

pub(super) fn no_keys_error(source: &str, line: Option<usize>, action: Action) -> KeymapError {
    let mode = action.mode().name();
    KeymapError::new(
        source,
        line,
        Some(action.name()),
        format!(
            "no keys bound to {} under [{mode}]; a full layout must bind every action",
            action.name()
        ),
        format!(
            "[{mode}] 中的 {} 没有绑定按键；完整的键位文件必须为每个动作绑定按键",
            action.name()
        ),
    )
}

/// 1-based line number of byte `offset` in `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// Parse the TOML and check each entry on its own: mode tables, action
/// names and modes, value types, key names, printable keys in Form.
/// A TOML syntax error is returned as `Err`.
pub(super) fn read_file_contents(text: &str, source: &str) -> Result<FileContents, Vec<KeymapError>> {
    let root = DeTable::parse(text).map_err(|e| {
        let message = e.message().trim().replace('\n', "; ");
        vec![KeymapError::new(
            source,
            e.span().map(|s| line_of(text, s.start)),
            None,
            format!("TOML syntax error: {message}"),
            format!("TOML 语法错误：{message}"),
        )]
    })?;
    let mut contents = FileContents {
        entries: Vec::new(),
        mentioned: Vec::new(),
        errors: Vec::new(),
    };
    let err = |line: usize, key: &str, en: String, zh: String| {
        KeymapError::new(source, Some(line), Some(key), en, zh)
    };

    let mut tables: Vec<_> = root.get_ref().iter().collect();
    tables.sort_by_key(|(k, _)| k.span().start);
    for (table_key, table_value) in tables {
        let table_name: &str = table_key.get_ref();
        let table_line = line_of(text, table_key.span().start);
        let Some(mode) = Mode::from_name(table_name) else {
            let known = mode_names();
            let (en, zh) = match Action::from_name(table_name) {
                Some(a) if !table_value.get_ref().is_table() => (
                    format!(
                        "\"{table_name}\" must be inside a mode table: put it under [{}]",
                        a.mode().name()
                    ),
                    format!("“{table_name}”必须写在模式表中：请放在 [{}] 下", a.mode().name()),
                ),
                _ => (
                    format!("unknown mode table [{table_name}] (known: {known})"),
                    format!("未知的模式表 [{table_name}]（可用：{known}）"),
                ),
            };
            contents.errors.push(err(table_line, table_name, en, zh));
            continue;
        };
        let DeValue::Table(table) = table_value.get_ref() else {
            contents.errors.push(err(
                table_line,
                table_name,
                format!("[{table_name}] must be a table of action = [\"key\", ...] lines"),
                format!("[{table_name}] 必须是由 动作 = [\"按键\", ...] 组成的表"),
            ));
            continue;
        };

        let mut items: Vec<_> = table.iter().collect();
        items.sort_by_key(|(k, _)| k.span().start);
        for (action_key, value) in items {
            let name: &str = action_key.get_ref();
            let line = line_of(text, action_key.span().start);
            let Some(action) = Action::from_name(name) else {
                let known = action_names(mode);
                contents.errors.push(err(
                    line,
                    name,
                    format!("unknown action \"{name}\" in [{table_name}] (actions there: {known})"),
                    format!("[{table_name}] 中没有动作“{name}”（可用：{known}）"),
                ));
                continue;
            };
            if action.mode() != mode {
                let right = action.mode().name();
                contents.errors.push(err(
                    line,
                    name,
                    format!("{name} belongs under [{right}], not [{table_name}]"),
                    format!("{name} 应放在 [{right}] 下，而不是 [{table_name}]"),
                ));
                continue;
            }
            contents.mentioned.push(action);
            let DeValue::Array(array) = value.get_ref() else {
                contents.errors.push(err(
                    line,
                    name,
                    format!(
                        "expected a list of key names such as [\"q\", \"C-c\"], found a {}",
                        value.get_ref().type_str()
                    ),
                    "应为按键名列表，例如 [\"q\", \"C-c\"]".to_string(),
                ));
                continue;
            };
            let mut chords: Vec<(KeyChord, usize)> = Vec::new();
            let mut ok = true;
            for item in array.iter() {
                let item_line = line_of(text, item.span().start);
                let Some(key_text) = item.get_ref().as_str() else {
                    contents.errors.push(err(
                        item_line,
                        name,
                        format!(
                            "each key must be a quoted string such as \"q\", found a {}",
                            item.get_ref().type_str()
                        ),
                        "每个按键都必须是带引号的字符串，例如 \"q\"".to_string(),
                    ));
                    ok = false;
                    continue;
                };
                let chord = match KeyChord::parse(key_text) {
                    Ok(chord) => chord,
                    Err(_) => {
                        contents.errors.push(err(
                            item_line,
                            name,
                            format!("unknown key name \"{key_text}\""),
                            format!("无法识别的按键名“{key_text}”"),
                        ));
                        ok = false;
                        continue;
                    }
                };
                if mode == Mode::Form && chord.is_printable() {
                    contents.errors.push(err(
                        item_line,
                        name,
                        format!(
                            "\"{key_text}\" types text in forms; [form] keys need Ctrl or Alt, or a named key such as tab or enter"
                        ),
                        format!("“{key_text}”在表单中用于输入文字；[form] 只能绑定 Ctrl/Alt 组合键或 tab、enter 等功能键"),
                    ));
                    ok = false;
                    continue;
                }
                if !chords.iter().any(|(c, _)| *c == chord) {
                    chords.push((chord, item_line));
                }
            }
            if ok {
                contents.entries.push(Entry { action, line, chords });
            }
        }
    }
    Ok(contents)
}

pub(super) fn mode_names() -> String {
    Mode::all()
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn action_names(mode: Mode) -> String {
    Action::all()
        .iter()
        .filter(|a| a.mode() == mode)
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `text` names every action (so it is a full layout, not overrides).
pub(super) fn names_every_action(text: &str) -> bool {
    let Ok(root) = DeTable::parse(text) else {
        return false;
    };
    let named: Vec<&str> = root
        .get_ref()
        .iter()
        .filter_map(|(_, v)| v.get_ref().as_table())
        .flat_map(|t| t.iter().map(|(k, _)| -> &str { k.get_ref() }))
        .collect();
    Action::all().iter().all(|a| named.contains(&a.name()))
}
