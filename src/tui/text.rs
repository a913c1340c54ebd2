//! Everything the kiosk shows in words, in Chinese and English, so that
//! views hold no strings of their own.

use crate::i18n::Lang;

macro_rules! texts {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        pub struct Texts { $(pub $key: &'static str,)* }
        pub static ZH: Texts = Texts { $($key: $zh,)* };
        pub static EN: Texts = Texts { $($key: $en,)* };
    };
}

texts! {
    app_title: "接待", "Jiedai";
    colon: "：", ": ";
    tab_today: "今日", "Today";
    tab_register: "登记", "Register";
    tab_appeals: "诉求", "Appeals";
    tab_deputies: "代表", "Deputies";
    tab_sync: "同步", "Sync";
    help_hint: "帮助", "help";
    quit_hint: "退出", "quit";
    signin_title: "工作人员登录", "Staff sign-in";
    signin_prompt: "请选择您的名字，按 Enter 确认", "Pick your name and press Enter";
    pin_prompt: "请输入 PIN，按 Enter 确认", "Enter your PIN and press Enter";
    pin_wrong: "PIN 不正确，请重试", "Wrong PIN, try again";
    signed_in_as: "值班人员", "Staff";
    no_staff: "站点没有配置工作人员（station.toml 的 [[staff]]）", "The station has no staff configured ([[staff]] in station.toml)";
    reception_day: "今天是接待选民日", "Today is a reception day";
    not_reception_day: "今天不是接待选民日", "Today is not a reception day";
    next_reception_day: "下一个接待日", "Next reception day";
    schedule: "接待安排", "Schedule";
    visits_today: "今日来访", "Visits today";
    appeals_today: "今日诉求", "Appeals today";
    registered_today: "今日登记的诉求", "Registered today";
    on_duty: "今日值班代表", "Deputies on duty today";
    all_deputies_hint: "（今天无排班，可为临时进站的代表签到）", "(no one scheduled; walk-ins can check in)";
    checked_in: "已签到", "in";
    checked_out: "已签退", "out";
    not_checked_in: "未签到", "not in";
    due_soon: "即将到期（3 天内）", "Due within 3 days";
    overdue: "已逾期", "Overdue";
    none: "无", "none";
    loading: "正在载入诉求…", "Loading appeals…";
    today_unreadable: "今日信息读取失败，显示可能不全：", "Could not read today's information; what is shown may be incomplete: ";
    visitor_section: "来访人", "Visitor";
    appeal_section: "诉求", "Appeal";
    f_name: "姓名", "Name";
    f_phone: "电话", "Phone";
    f_id: "身份证号", "ID number";
    f_address: "住址/社区", "Address";
    f_group: "人数", "People";
    f_deputies: "接待代表", "Deputies";
    f_category: "类别", "Category";
    f_title: "标题", "Title";
    f_content: "诉求内容", "Content";
    f_location: "地点", "Location";
    f_urgency: "紧急程度", "Urgency";
    f_route: "办理方式", "Route";
    f_unit: "承办单位", "Handling unit";
    f_deadline: "办理期限", "Deadline";
    f_reply: "答复内容", "Reply";
    f_rating: "满意度", "Rating";
    f_note: "备注", "Note";
    f_from: "起始日期", "From";
    f_to: "截止日期", "To";
    picker_hint: "打字筛选（汉字或拼音首字母）", "Type to filter (pinyin initials too)";
    no_match: "没有匹配项", "no match";
    hint_next: "下一栏", "next";
    hint_section: "跳到诉求", "to appeal";
    hint_save: "保存", "save";
    hint_add: "再加一条诉求", "add appeal";
    hint_cancel: "取消", "cancel";
    saved: "已保存", "Saved";
    saving: "保存中…", "Saving…";
    still_saving: "上一条登记正在保存，请稍候", "The last registration is still being saved; please wait";
    saved_but_stopped: "已保存。但之后写入出错，在重启终端前不能再保存：", "Saved. But a write failed afterwards; nothing more can be saved until the kiosk is restarted: ";
    saved_codes: "查询码（请告知来访人）", "Tracking codes (tell the visitor)";
    visit_code: "来访编号", "Visit";
    to_close: "关闭", "to close";
    printing: "打印中…", "Printing…";
    printed: "已打印回执", "Receipt printed";
    reprinted: "（补打）", " (reprint)";
    print_failed: "回执未打印，任务已保留（可用 jiedai print retry 重打）：", "The receipt was not printed; the job is kept (jiedai print retry prints it): ";
    paper_low: "打印机纸将用完，请准备新纸卷", "The printer's paper is running low";
    to_print: "打印回执", "print receipt";
    paste_lines: "此栏只能填一行：粘贴的内容有 {n} 行，没有粘贴。请逐栏粘贴。", "This field takes one line: the pasted text has {n} lines and was not pasted. Paste field by field.";
    paste_cut: "此栏最多 {max} 字：粘贴的内容还有 {left} 字没有粘贴。", "This field takes at most {max} characters: {left} pasted characters did not fit.";
    more_above: "↑ 上面还有", "↑ more above";
    more_below: "↓ 下面还有", "↓ more below";
    too_small: "窗口太小，无法使用：至少需要 {w}×{h}（现在 {cw}×{ch}）。请放大窗口。", "The window is too small to work in: at least {w}×{h} is needed (now {cw}×{ch}). Please enlarge it.";
    terminal_no: "终端", "Terminal ";
    confirm_cancel_form: "登记表有未保存的内容，确定放弃？", "The form has unsaved input. Discard it?";
    confirm_quit_unsaved: "登记表有未保存的内容，确定退出？", "The form has unsaved input. Quit anyway?";
    yes_no: "y 确定 / n 取消", "y yes / n no";
    confirm_discard_dialog: "放弃已输入的内容？", "Throw away what you typed?";
    form_cancelled: "已取消登记", "Registration cancelled";
    appeal_removed: "已删除当前诉求", "Appeal removed";
    cannot_remove_last: "至少保留一条诉求", "Keep at least one appeal";
    filters: "筛选", "Filters";
    all: "全部", "all";
    search: "搜索", "Search";
    count: "条", "found";
    col_code: "查询码", "Code";
    col_date: "日期", "Date";
    col_status: "状态", "Status";
    col_category: "类别", "Category";
    col_visitor: "来访人", "Visitor";
    col_title: "标题", "Title";
    col_deadline: "期限", "Deadline";
    anonymous: "（匿名）", "(anonymous)";
    empty_list: "没有符合条件的诉求", "No appeals match";
    timeline: "办理过程", "Timeline";
    actions: "可执行操作", "Actions";
    no_actions: "无（已办结，可重新办理）", "none";
    detail_title: "诉求详情", "Appeal";
    round: "重办次数", "Reopened";
    chases: "督办次数", "Chased";
    receipt_title: "回执", "Receipt";
    receipt_scan: "二维码内容为查询码", "The QR code holds the tracking code";
    receipt_scan_link: "扫码查看办理进度", "Scan to follow the appeal's progress";
    col_id: "编号", "ID";
    col_level: "层级", "Level";
    col_specialties: "专长", "Specialties";
    col_duty_days: "值班日", "Duty days";
    col_today: "今日", "Today";
    col_quarter: "本季度接待", "This quarter";
    on_duty_today: "值班", "on duty";
    help_title: "帮助：全部按键", "Help: every key binding";
    help_close: "Esc 或 ? 关闭", "Esc or ? to close";
    messages_title: "消息记录（最新在上）", "Message log (newest first)";
    messages_close: "Esc 关闭", "Esc to close";
    messages_none: "还没有消息。", "No messages yet.";
    keymap_warning: "键位文件有误，已改用默认键位", "Keymap file is broken; using the default layout";
    dialog_submit_hint: "Tab 切换 · Ctrl-S 确定 · Esc 取消", "Tab switch · Ctrl-S confirm · Esc cancel";
    step_done: "已记录", "Recorded";
    date_format_error: "日期格式应为 YYYY-MM-DD", "Dates are written YYYY-MM-DD";
    required: "必填", "required";
    no_station: "尚未设置站点。请先运行：jiedai init --station 站点文件.toml（示例见 sample-data/station.toml）", "No station is set up. Run: jiedai init --station station.toml (see sample-data/station.toml)";
    deputy_filter_title: "按接待代表筛选", "Filter by deputy";
    category_filter_title: "按类别筛选", "Filter by category";
    date_filter_title: "按日期范围筛选", "Filter by date range";
    sync_title: "与县里同步", "Sync with the county";
    sync_enrolled: "已接入县里的服务器", "Enrolled with the county server";
    sync_not_enrolled: "本终端还没有接入县里的同步。", "This terminal is not enrolled for the county sync yet.";
    sync_how_to_enroll: "请把县人大办发来的凭据文件拷到本机，退出接待终端后在终端窗口运行：jiedai enroll 凭据文件（数据目录不是默认位置时加 --data 目录），再打开接待终端。", "Copy the credentials file the county office sent onto this machine, quit the kiosk and run in a terminal window: jiedai enroll FILE (with --data DIR if the data is not in the default place), then open the kiosk again.";
    sync_unsent: "待上报的记录", "Events not yet sent";
    sync_others: "其他终端的记录", "From other terminals";
    sync_others_none: "还没有（同步后即可收到本站其他终端登记的诉求）", "none yet (a sync brings what the station's other terminals registered)";
    sync_others_each: "{terminal} 号终端至第 {count} 条", "terminal {terminal}: up to #{count}";
    sync_items: "条", "";
    sync_last_success: "上次成功同步", "Last successful sync";
    sync_never: "从未成功", "never";
    sync_last_change: "上次有上报或收到的同步", "Last sync that sent or received";
    sync_sent_received: "上报 {sent} 条，收到县里的记录 {received} 条", "sent {sent}, received {received} from the county";
    sync_last_error: "上次出错", "Last error";
    sync_schedule: "自动同步", "Automatic sync";
    sync_window_next: "每晚 {window}，下次约 {next}", "every night {window}, next at about {next}";
    sync_no_window: "站点文件未设置 [sync] window：只在按键、jiedai sync 或定时器时同步", "the station file sets no [sync] window: only when asked (key, jiedai sync, timer)";
    sync_now_hint: "立即同步", "sync now";
    sync_running: "同步中…", "Syncing…";
    sync_busy: "正在同步，请稍候", "A sync is under way; please wait";
    sync_stopping: "正在停止与县里的同步（最多 2 秒），然后关闭…", "Stopping the sync with the county (2 s at most), then closing…";
    sync_uploading: "上报中 {sent}/{total}", "sending {sent}/{total}";
    sync_downloading: "接收县里的记录 {received} 条", "receiving the county's events: {received}";
    sync_retrying: "第 {attempt} 次未成功：{error}（约 {secs} 秒后再试，按 {key} 立即再试）", "attempt {attempt} failed: {error} (trying again in about {secs} s; {key} tries now)";
    sync_retry_wait: "第 {attempt} 次未成功，约 {secs} 秒后再试（按 {key} 立即再试）", "attempt {attempt} failed; trying again in about {secs} s ({key} tries now)";
    sync_done: "同步完成：", "Sync done: ";
    sync_by_command: "（由 jiedai sync 命令发起）", " (asked by jiedai sync)";
    sync_by_schedule: "（夜间自动同步）", " (nightly sync)";
    sync_after_save: "（保存后自动上报）", " (sending what was saved)";
    sync_unreadable: "同步状态读取失败：", "Could not read the sync status: ";
    sync_reading: "读取中…", "Reading…";
    county_news: "县里的交办与答复、网上来件与预约", "From the county, online and bookings";
    online_new: "网上来件·待受理", "Sent online, to accept";
    booked: "预约 {day} 见{deputy}代表", "Booked {day} with {deputy}";
    county_not_applied: "·未生效", " (not applied)";
    county_prefix: "县里", "County: ";
    county_mark: "县", "county";
    pick_deputy_first: "请先用 ↑↓ 选中一位代表", "Select a deputy with ↑↓ first";
}

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}
