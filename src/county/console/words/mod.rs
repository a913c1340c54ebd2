//! Every word the console shows, in Chinese and English: the frame's and
//! the accounts' here, each group of pages in a file of its own.

pub mod dashboard;

use crate::i18n::Lang;

/// One text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct W {
    pub zh: &'static str,
    pub en: &'static str,
}

/// A text in both languages.
pub const fn w(zh: &'static str, en: &'static str) -> W {
    W { zh, en }
}

impl W {
    pub fn get(self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}

// The frame.
pub const CONSOLE: W = w(
    "县人大代表联络站 · 工作台",
    "Deputy liaison stations · county console",
);
pub const NAV_QUEUE: W = w("工作台", "Work queue");
pub const NAV_SEARCH: W = w("搜索", "Search");
pub const NAV_DASHBOARD: W = w("统计", "Figures");
pub const NAV_UNITS: W = w("单位", "Units");
pub const NAV_STATIONS: W = w("站点", "Stations");
pub const NAV_USERS: W = w("账号", "Accounts");
pub const LOGOUT: W = w("退出", "Log out");
pub const OTHER_LANGUAGE: W = w("English", "中文");
pub const COMING: W = w("此页面即将开放。", "This page is coming.");
pub const NOT_FOUND: W = w("没有这个页面", "No such page");
pub const SERVER_FAILED: W = w("服务器出错", "Server error");
pub const SERVER_ERROR: W = w(
    "服务器出错，请稍后再试（详情已写入日志）",
    "The server failed; try again later (the details are in its log)",
);

// Refusals.
pub const FORBIDDEN: W = w("无权访问", "Not allowed");
pub const FORBIDDEN_ROLE: W = w(
    "您的账号没有权限使用此页面。",
    "Your account may not use this page.",
);
pub const NO_SESSION: W = w(
    "未登录或登录已过期，请重新登录。",
    "You are not logged in, or your session ended: log in again.",
);
pub const BAD_CSRF: W = w(
    "表单已过期或并非本工作台发出，未作任何更改。请返回，刷新页面后再提交。",
    "The form has expired or did not come from this console; nothing was changed. Go back, reload the page and send it again.",
);
pub const BAD_FORM: W = w(
    "表单内容不完整或无法读取，未作任何更改。",
    "The form is incomplete or cannot be read; nothing was changed.",
);

// Logging in.
pub const LOGIN: W = w("登录", "Log in");
pub const USER_NAME: W = w("用户名", "User name");
pub const PASSWORD: W = w("密码", "Password");
pub const LOGIN_FAILED: W = w("用户名或密码不对。", "Wrong user name or password.");

/// Too many failed logins: how long to wait, in words.
pub fn login_throttled(lang: Lang, wait: std::time::Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    lang.pick(
        format!("登录失败次数过多，请 {minutes} 分钟后再试。"),
        format!(
            "Too many failed logins: try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        ),
    )
}

// Accounts.
pub const USERS: W = w("账号管理", "Accounts");
pub const ROLE: W = w("角色", "Role");
pub const UNIT: W = w("单位", "Unit");
pub const STATE: W = w("状态", "State");
pub const CREATED: W = w("创建时间", "Created");
pub const ENABLED: W = w("可用", "active");
pub const DISABLED: W = w("已停用", "disabled");
pub const ADD_USER: W = w("新建账号", "Add an account");
pub const ADD: W = w("新建", "Add");
pub const INITIAL_PASSWORD: W = w(
    "初始密码（至少 8 个字符）",
    "Initial password (8 characters or more)",
);
pub const NEW_PASSWORD: W = w("新密码", "New password");
pub const RESET_PASSWORD: W = w("重设密码", "Reset the password");
pub const DISABLE: W = w("停用", "Disable");
pub const NO_UNIT: W = w("（非承办单位账号不选）", "(only for a unit's account)");
pub const USER_ADDED: W = w("账号已新建。", "The account was added.");
pub const PASSWORD_SET: W = w(
    "密码已重设，该账号的登录已全部结束。",
    "The password was reset; the account's sessions ended.",
);
pub const USER_DISABLED: W = w(
    "账号已停用，其登录已全部结束。",
    "The account was disabled; its sessions ended.",
);
pub const NO_SUCH_USER: W = w("没有这个账号。", "No such account.");
pub const NOT_YOURSELF: W = w("不能停用自己的账号。", "You cannot disable your own account.");
