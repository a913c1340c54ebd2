//! `jiedai county user …`: the console's accounts from the shell (the
//! first office account is made here). Every change is recorded in the
//! audit log as done from the shell.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use super::{exit, out, say};
use crate::cli::UserWhat;
use crate::county::accounts::{self, AccountError, Role};
use crate::county::audit::{self, action};
use crate::county::db::Db;
use crate::i18n::Lang;

pub async fn run(db: &Db, what: &UserWhat, lang: Lang) -> ExitCode {
    match what {
        UserWhat::Add {
            name,
            role,
            unit,
            password_stdin,
        } => {
            let Some(role) = Role::parse(role) else {
                return refused(&AccountError::UnknownRole(role.clone()), lang);
            };
            let password = match password(*password_stdin, lang) {
                Ok(p) => p,
                Err(code) => return code,
            };
            match accounts::add_user(db, name, role, unit.as_deref(), &password).await {
                Ok(user) => {
                    let detail = match &user.unit {
                        Some((_, unit)) => format!("role={} unit={unit}", role.code()),
                        None => format!("role={}", role.code()),
                    };
                    let target = audit::user_target(&user.name);
                    audit::note(db, audit::SHELL, action::USER_ADD, &target, audit::LOCAL, &detail).await;
                    out(lang.pick(
                        format!("已新建账号 {}（{}）", user.name, role.label(lang)),
                        format!("account {} added ({})", user.name, role.label(lang)),
                    ));
                    ExitCode::SUCCESS
                }
                Err(e) => refused(&e, lang),
            }
        }
        UserWhat::Passwd { name, password_stdin } => {
            // An unknown name is said before a password is asked for.
            match accounts::user_named(db, name).await {
                Ok(Some(_)) => {}
                Ok(None) => return refused(&AccountError::NoSuchUser(name.trim().to_string()), lang),
                Err(e) => return refused(&e.into(), lang),
            }
            let password = match password(*password_stdin, lang) {
                Ok(p) => p,
                Err(code) => return code,
            };
            match accounts::set_password(db, name, &password).await {
                Ok(user) => {
                    let target = audit::user_target(&user.name);
                    audit::note(db, audit::SHELL, action::USER_PASSWORD, &target, audit::LOCAL, "").await;
                    out(lang.pick(
                        format!("已为 {} 设置新密码，其登录已全部结束", user.name),
                        format!("{}'s password set; their sessions ended", user.name),
                    ));
                    ExitCode::SUCCESS
                }
                Err(e) => refused(&e, lang),
            }
        }
        UserWhat::Disable { name } => match accounts::disable(db, name).await {
            Ok(user) => {
                let target = audit::user_target(&user.name);
                audit::note(db, audit::SHELL, action::USER_DISABLE, &target, audit::LOCAL, "").await;
                out(lang.pick(
                    format!("已停用账号 {}，其登录已全部结束", user.name),
                    format!("account {} disabled; its sessions ended", user.name),
                ));
                ExitCode::SUCCESS
            }
            Err(e) => refused(&e, lang),
        },
        UserWhat::List { json } => {
            let users = match accounts::list(db).await {
                Ok(u) => u,
                Err(e) => return refused(&e.into(), lang),
            };
            for listed in &users {
                let u = &listed.user;
                let unit = u.unit.as_ref().map(|(_, n)| n.as_str());
                let line = if *json {
                    serde_json::json!({
                        "name": u.name,
                        "role": u.role.code(),
                        "unit": unit,
                        "disabled": listed.disabled,
                        "created_at": listed.created_at,
                    })
                    .to_string()
                } else {
                    let state = if listed.disabled {
                        lang.pick("已停用", "disabled")
                    } else {
                        lang.pick("可用", "active")
                    };
                    format!(
                        "{}\t{}\t{}\t{state}",
                        u.name,
                        u.role.label(lang),
                        unit.unwrap_or("-")
                    )
                };
                if !out(line) {
                    break;
                }
            }
            ExitCode::SUCCESS
        }
    }
}

fn refused(e: &AccountError, lang: Lang) -> ExitCode {
    if let AccountError::County(e) = e {
        log::error!("county user: {}", e.message(Lang::En));
    }
    say(format_args!("jiedai: {}", e.message(lang)));
    ExitCode::from(match e {
        AccountError::County(_) => exit::FAILED,
        AccountError::NoSuchUser(_) | AccountError::NameTaken(_) => exit::FAILED,
        _ => exit::UNREADABLE,
    })
}

/// The new password: one line of standard input (`--password-stdin`, or
/// standard input is not a terminal), else typed twice on the terminal
/// without echo.
fn password(from_stdin: bool, lang: Lang) -> Result<String, ExitCode> {
    let stdin = std::io::stdin();
    if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).is_err() || line.is_empty() {
            say(format_args!(
                "jiedai: {}",
                lang.pick("标准输入中没有密码", "no password on standard input")
            ));
            return Err(ExitCode::from(exit::UNREADABLE));
        }
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = typed(lang.pick("密码：", "Password: "));
    let second = typed(lang.pick("再输入一次：", "Once more: "));
    match (first, second) {
        (Ok(a), Ok(b)) if a == b => Ok(a),
        (Ok(_), Ok(_)) => {
            say(format_args!(
                "jiedai: {}",
                lang.pick(
                    "两次输入的密码不同，未作更改",
                    "the two passwords differ; nothing was changed"
                )
            ));
            Err(ExitCode::from(exit::UNREADABLE))
        }
        (Err(e), _) | (_, Err(e)) => {
            say(format_args!("jiedai: {}", crate::i18n::os_words(&e, lang)));
            Err(ExitCode::from(exit::FAILED))
        }
    }
}

/// A line typed on the terminal with its echo off.
fn typed(prompt: &str) -> std::io::Result<String> {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let fd = libc::STDIN_FILENO;
    // SAFETY: termios calls on standard input with a local struct.
    let saved = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let saved = t;
        t.c_lflag &= !libc::ECHO;
        t.c_lflag |= libc::ECHONL;
        libc::tcsetattr(fd, libc::TCSANOW, &t);
        saved
    };
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    // SAFETY: as above; the echo comes back whatever was read.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &saved);
    }
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
