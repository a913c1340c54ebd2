//! Modes (which table a key is looked up in) and the actions bound in them,
//! with their names in keymap files and their help-screen descriptions.

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Everywhere; looked up after the active mode.
    Global,
    /// Movement in any list: today's duty list, appeals list, deputy roster,
    /// help, pickers.
    Nav,
    /// The Today screen.
    Today,
    /// The appeals list.
    Appeals,
    /// One appeal's detail view.
    Detail,
    /// The Sync screen.
    Sync,
    /// The Deputies screen.
    Deputies,
    /// The Reports screen.
    Reports,
    /// The register form and text dialogs. Printable keys type text here, so
    /// only non-printable keys may be bound.
    Form,
    /// Yes/no prompts.
    Confirm,
}

impl Mode {
    const ALL: &'static [Mode] = &[
        Mode::Global,
        Mode::Nav,
        Mode::Today,
        Mode::Appeals,
        Mode::Detail,
        Mode::Sync,
        Mode::Deputies,
        Mode::Reports,
        Mode::Form,
        Mode::Confirm,
    ];

    /// The table name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Nav => "nav",
            Mode::Today => "today",
            Mode::Appeals => "appeals",
            Mode::Detail => "detail",
            Mode::Sync => "sync",
            Mode::Deputies => "deputies",
            Mode::Reports => "reports",
            Mode::Form => "form",
            Mode::Confirm => "confirm",
        }
    }

    /// The mode whose table is called `name` in keymap files.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// Every mode, in help-screen order.
    pub fn all() -> &'static [Mode] {
        Mode::ALL
    }

    /// Section heading on the help screen (Chinese).
    pub fn label_zh(self) -> &'static str {
        match self {
            Mode::Global => "全局",
            Mode::Nav => "列表移动",
            Mode::Today => "今日",
            Mode::Appeals => "诉求列表",
            Mode::Detail => "诉求详情",
            Mode::Sync => "同步",
            Mode::Deputies => "代表",
            Mode::Reports => "报表",
            Mode::Form => "表单与输入框",
            Mode::Confirm => "确认提示",
        }
    }

    /// Section heading on the help screen (English).
    pub fn label_en(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere",
            Mode::Nav => "Moving in lists",
            Mode::Today => "Today",
            Mode::Appeals => "Appeals list",
            Mode::Detail => "Appeal detail",
            Mode::Sync => "Sync",
            Mode::Deputies => "Deputies",
            Mode::Reports => "Reports",
            Mode::Form => "Forms and text boxes",
            Mode::Confirm => "Yes/no prompts",
        }
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

macro_rules! define_actions {
    ($( $variant:ident : $mode:ident, $name:literal, $zh:literal, $en:literal; )*) => {
        /// Something a key can do. Each action belongs to exactly one [`Mode`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( #[doc = $en] $variant, )*
        }

        impl Action {
            const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The snake_case name used in keymap files.
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// The mode whose table this action is bound in.
            pub fn mode(self) -> Mode {
                match self { $( Action::$variant => Mode::$mode, )* }
            }

            /// Help-screen description (Chinese).
            pub fn desc_zh(self) -> &'static str {
                match self { $( Action::$variant => $zh, )* }
            }

            /// Help-screen description (English).
            pub fn desc_en(self) -> &'static str {
                match self { $( Action::$variant => $en, )* }
            }
        }
    };
}

define_actions! {
    Quit: Global, "quit", "退出（有未保存内容时先确认）", "Quit (asks first if a form has unsaved input)";
    Help: Global, "help", "帮助：列出全部按键", "Help: list every key binding";
    Messages: Global, "messages", "消息记录：最近的提示全文与时间", "Message log: the last messages in full, with their times";
    ScreenToday: Global, "screen_today", "切换到“今日”", "Go to Today";
    ScreenRegister: Global, "screen_register", "切换到“登记”", "Go to Register";
    ScreenAppeals: Global, "screen_appeals", "切换到“诉求”", "Go to Appeals";
    ScreenDeputies: Global, "screen_deputies", "切换到“代表”", "Go to Deputies";
    ScreenSync: Global, "screen_sync", "切换到“同步”", "Go to Sync";
    ScreenReports: Global, "screen_reports", "切换到“报表”", "Go to Reports";

    Up: Nav, "up", "上移", "Move up";
    Down: Nav, "down", "下移", "Move down";
    PageUp: Nav, "page_up", "上翻一页", "Page up";
    PageDown: Nav, "page_down", "下翻一页", "Page down";
    Top: Nav, "top", "跳到第一项", "Jump to the first item";
    Bottom: Nav, "bottom", "跳到最后一项", "Jump to the last item";
    Open: Nav, "open", "打开所选项", "Open the selected item";
    Back: Nav, "back", "返回", "Go back";

    CheckIn: Today, "check_in", "代表签到", "Check a deputy in";
    CheckOut: Today, "check_out", "代表签退", "Check a deputy out";
    NextPanel: Today, "next_panel", "焦点移到下一个面板", "Move the focus to the next panel";
    PrevPanel: Today, "prev_panel", "焦点移到上一个面板", "Move the focus to the previous panel";
    PrintBlankForm: Today, "print_blank_form", "打印空白的代表接待选民登记表", "Print a blank visitor registration form";

    Search: Appeals, "search", "搜索（任意文字或姓名拼音首字母）",
        "Search (any text, or the pinyin initials of a name)";
    FilterStatus: Appeals, "filter_status", "按状态筛选（循环）", "Filter by status (press again to cycle)";
    FilterCategory: Appeals, "filter_category", "按类别筛选", "Filter by category";
    FilterDeputy: Appeals, "filter_deputy", "按接待代表筛选", "Filter by the deputy who received it";
    FilterOverdue: Appeals, "filter_overdue", "只看逾期", "Show overdue appeals only";
    FilterDates: Appeals, "filter_dates", "按日期范围筛选", "Filter by date range";
    ClearFilters: Appeals, "clear_filters", "清除全部筛选", "Clear all filters";

    Accept: Detail, "accept", "受理", "Accept the appeal";
    Refer: Detail, "refer", "交办（承办单位与期限）", "Refer it to a handling office, with a deadline";
    Start: Detail, "start", "开始办理", "Start handling";
    AnswerOnSpot: Detail, "answer_on_spot", "当场答复", "Mark as answered on the spot";
    Reply: Detail, "reply", "记录答复", "Record the reply";
    Rate: Detail, "rate", "满意度评价", "Record the citizen's satisfaction rating";
    Reopen: Detail, "reopen", "重新办理", "Reopen for further handling";
    Chase: Detail, "chase", "督办（记录催办）", "Chase up the handling office (logs a reminder)";
    PrintForm: Detail, "print_form", "打印这次来访填好的登记表", "Print the filled registration form of this visit";
    PrintReceipt: Detail, "print_receipt", "显示回执与二维码（回执中再按一次：打印）", "Show the receipt and its QR code (again on the receipt: print it)";

    SyncNow: Sync, "sync_now", "立即与县里同步", "Sync with the county now";

    DutyItem: Deputies, "duty_item", "为所选代表录入履职事项（学习、会议、活动）",
        "Enter a duty item for the selected deputy (study, meeting, activity)";
    PrintPoints: Deputies, "print_points", "打印本季度履职积分公示单", "Print this quarter's duty points list for the notice board";

    PeriodPrev: Reports, "period_prev", "上一期", "The period before";
    PeriodNext: Reports, "period_next", "下一期", "The period after";
    PeriodSpan: Reports, "period_span", "切换月/季度/年", "Switch month / quarter / year";
    PeriodDates: Reports, "period_dates", "自定日期范围", "Choose the dates";
    NextPart: Reports, "next_part", "下一页（概览、类别、办理、代表）", "Next page (overview, categories, handling, deputies)";
    PrevPart: Reports, "prev_part", "上一页", "Previous page";

    NextField: Form, "next_field", "下一栏", "Next field";
    PrevField: Form, "prev_field", "上一栏", "Previous field";
    NextSection: Form, "next_section", "跳到下一部分（来访人 → 诉求）", "Jump to the next section (visitor → appeal)";
    Save: Form, "save", "保存", "Save";
    Cancel: Form, "cancel", "取消", "Cancel";
    AddAppeal: Form, "add_appeal", "再加一条诉求", "Add another appeal";
    RemoveAppeal: Form, "remove_appeal", "删除当前诉求", "Remove the current appeal";
    PickUp: Form, "pick_up", "选项上移", "Move up in the option list";
    PickDown: Form, "pick_down", "选项下移", "Move down in the option list";
    Pick: Form, "pick", "选中/取消选中", "Select or deselect the option";
    ClearField: Form, "clear_field", "清空本栏", "Clear the field";
    Undo: Form, "undo", "撤销本栏上一次修改（清空也可撤销）", "Undo the field's last change (a clear too)";

    Yes: Confirm, "yes", "确认", "Yes, go ahead";
    No: Confirm, "no", "取消", "No, go back";
}

impl Action {
    /// The action called `name` in keymap files.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Every action, grouped by mode in [`Mode::all`] order.
    pub fn all() -> &'static [Action] {
        Action::ALL
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}
