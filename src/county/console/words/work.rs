//! The work pages' words: the queue, search, an appeal, the units' view,
//! the unit catalogue and the stations, in Chinese and English.

use crate::i18n::Lang;

/// Every fixed text of the work pages, in one language (`words(lang)`).
pub struct Work {
    pub lang: Lang,
    // The queue and its filters.
    pub queue: &'static str,
    pub filters: &'static str,
    pub station: &'static str,
    pub status: &'static str,
    pub category: &'static str,
    pub unit: &'static str,
    pub deputy: &'static str,
    pub deputy_hint: &'static str,
    pub registered_from: &'static str,
    pub registered_to: &'static str,
    pub overdue: &'static str,
    pub due_within: &'static str,
    pub days: &'static str,
    pub reopened: &'static str,
    pub any: &'static str,
    pub apply_filters: &'static str,
    pub clear_filters: &'static str,
    pub page_size: &'static str,
    pub all_rows: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub search_go: &'static str,
    pub code_typo: &'static str,
    pub nothing_found: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub download_csv: &'static str,
    pub download_xlsx: &'static str,
    pub overdue_mark: &'static str,
    pub sort_hint: &'static str,
    // Columns.
    pub col_code: &'static str,
    pub col_station: &'static str,
    pub col_station_code: &'static str,
    pub col_registered: &'static str,
    pub col_category: &'static str,
    pub col_title: &'static str,
    pub col_status: &'static str,
    pub col_unit: &'static str,
    pub col_deadline: &'static str,
    pub col_days_overdue: &'static str,
    pub col_rounds: &'static str,
    pub col_chases: &'static str,
    pub col_satisfaction: &'static str,
    // An appeal.
    pub appeal: &'static str,
    pub content: &'static str,
    pub location: &'static str,
    pub deputies: &'static str,
    pub none: &'static str,
    pub visitor: &'static str,
    pub visitor_name: &'static str,
    pub visitor_phone: &'static str,
    pub visitor_id: &'static str,
    pub visitor_address: &'static str,
    pub group_size: &'static str,
    pub urgency: &'static str,
    pub channel: &'static str,
    pub meeting: &'static str,
    pub route: &'static str,
    pub reply: &'static str,
    pub document: &'static str,
    pub masked_note: &'static str,
    pub reveal: &'static str,
    pub revealed_note: &'static str,
    pub timeline: &'static str,
    pub col_when: &'static str,
    pub col_source: &'static str,
    pub col_who: &'static str,
    pub col_step: &'static str,
    pub col_note: &'static str,
    pub from_county: &'static str,
    pub from_station: &'static str,
    pub extensions: &'static str,
    pub col_asked_by: &'static str,
    pub col_asked_at: &'static str,
    pub col_new_deadline: &'static str,
    pub col_reason: &'static str,
    pub col_decision: &'static str,
    pub pending: &'static str,
    pub granted: &'static str,
    pub refused: &'static str,
    pub grant: &'static str,
    pub refuse: &'static str,
    pub actions: &'static str,
    pub no_actions: &'static str,
    pub done: &'static str,
    pub not_done: &'static str,
    pub back_to_queue: &'static str,
    // The steps' forms.
    pub requirement: &'static str,
    pub chase_note: &'static str,
    pub rerefer_note: &'static str,
    pub return_reason: &'static str,
    pub progress_text: &'static str,
    pub reply_text: &'static str,
    pub document_number: &'static str,
    pub deadline: &'static str,
    pub unit_filter: &'static str,
    pub unit_filter_hint: &'static str,
    pub unit_filter_go: &'static str,
    pub choose_unit: &'static str,
    pub ask_extension: &'static str,
    pub ask_reason: &'static str,
    pub ask: &'static str,
    pub not_a_unit: &'static str,
    pub bad_date: &'static str,
    pub empty_text: &'static str,
    pub extension_asked: &'static str,
    pub extension_decided: &'static str,
    // The units' view.
    pub unit_view: &'static str,
    pub unit_view_hint: &'static str,
    pub new_mark: &'static str,
    pub due_soon_mark: &'static str,
    pub no_unit: &'static str,
    pub choose: &'static str,
    // The catalogue.
    pub catalogue: &'static str,
    pub col_name: &'static str,
    pub col_initials: &'static str,
    pub col_state: &'static str,
    pub in_use: &'static str,
    pub disabled: &'static str,
    pub add_unit: &'static str,
    pub unit_name: &'static str,
    pub add: &'static str,
    pub disable: &'static str,
    pub import_units: &'static str,
    pub import_hint: &'static str,
    pub read_only: &'static str,
    // The stations.
    pub stations: &'static str,
    pub col_enrolled: &'static str,
    pub col_terminal: &'static str,
    pub col_last_sync: &'static str,
    pub col_events: &'static str,
    pub col_refusals: &'static str,
    pub never: &'static str,
    pub silent_days: &'static str,
    pub silent_mark: &'static str,
    pub show: &'static str,
    pub not_found: &'static str,
    pub not_found_text: &'static str,
}

const ZH: Work = Work {
    lang: Lang::Zh,
    queue: "工作台",
    filters: "筛选",
    station: "联络站",
    status: "状态",
    category: "类别",
    unit: "承办单位",
    deputy: "代表编号",
    deputy_hint: "如 D001",
    registered_from: "登记日期从",
    registered_to: "至",
    overdue: "只看逾期",
    due_within: "几天内到期",
    days: "天",
    reopened: "只看重新办理的",
    any: "全部",
    apply_filters: "筛选",
    clear_filters: "清除筛选",
    page_size: "每页",
    all_rows: "最多",
    search: "搜索",
    search_hint: "查询码，或标题、内容、地点、单位、答复中的文字",
    search_go: "搜索",
    code_typo: "查询码有误",
    nothing_found: "没有符合条件的诉求。",
    previous: "上一页",
    next: "下一页",
    download_csv: "下载 CSV",
    download_xlsx: "下载 Excel",
    overdue_mark: "逾期",
    sort_hint: "点击列名排序，再点一次反向",
    col_code: "查询码",
    col_station: "联络站",
    col_station_code: "站点编号",
    col_registered: "登记时间",
    col_category: "类别",
    col_title: "标题",
    col_status: "状态",
    col_unit: "承办单位",
    col_deadline: "办理期限",
    col_days_overdue: "逾期天数",
    col_rounds: "办理轮次",
    col_chases: "督办次数",
    col_satisfaction: "满意度",
    appeal: "诉求",
    content: "内容",
    location: "地点",
    deputies: "接待代表",
    none: "无",
    visitor: "来访人",
    visitor_name: "姓名",
    visitor_phone: "电话",
    visitor_id: "身份证号",
    visitor_address: "住址",
    group_size: "人数",
    urgency: "紧急程度",
    channel: "来源",
    meeting: "预约见面",
    route: "办理方式",
    reply: "答复",
    document: "文号",
    masked_note: "来访人的个人信息已隐去。",
    reveal: "查看来访人信息",
    revealed_note: "本次查看已记入操作日志，信息只在本页显示一次。",
    timeline: "办理过程",
    col_when: "时间",
    col_source: "来源",
    col_who: "办理人",
    col_step: "步骤",
    col_note: "备注",
    from_county: "[县]",
    from_station: "[站]",
    extensions: "延期申请",
    col_asked_by: "申请人",
    col_asked_at: "申请时间",
    col_new_deadline: "申请延至",
    col_reason: "理由",
    col_decision: "处理",
    pending: "待批",
    granted: "已批准",
    refused: "未批准",
    grant: "批准",
    refuse: "不批准",
    actions: "办理",
    no_actions: "当前没有可以办理的步骤。",
    done: "已办理：",
    not_done: "未能办理：",
    back_to_queue: "返回工作台",
    requirement: "交办要求",
    chase_note: "督办意见",
    rerefer_note: "改派说明",
    return_reason: "退回理由",
    progress_text: "办理进展",
    reply_text: "答复内容",
    document_number: "文号",
    deadline: "办理期限",
    unit_filter: "按拼音首字母或名称筛选单位",
    unit_filter_hint: "如 qhxzjj",
    unit_filter_go: "筛选单位",
    choose_unit: "请选择承办单位",
    ask_extension: "申请延期",
    ask_reason: "延期理由",
    ask: "提交申请",
    not_a_unit: "请从单位目录中选择承办单位",
    bad_date: "日期应写成 年-月-日，如 2026-12-31",
    empty_text: "这一项不能为空",
    extension_asked: "延期申请已提交，等待县人大办批准。",
    extension_decided: "延期申请已处理。",
    unit_view: "本单位承办的诉求",
    unit_view_hint: "新交办的和即将到期的排在前面。",
    new_mark: "新交办",
    due_soon_mark: "即将到期",
    no_unit: "这个账号没有对应的承办单位。",
    choose: "查看",
    catalogue: "承办单位目录",
    col_name: "名称",
    col_initials: "拼音首字母",
    col_state: "状态",
    in_use: "在用",
    disabled: "已停用",
    add_unit: "添加单位",
    unit_name: "单位全称",
    add: "添加",
    disable: "停用",
    import_units: "导入联络站使用的单位",
    import_hint: "把各站诉求中出现过、目录里还没有的单位加入目录。",
    read_only: "只读账号只能查看。",
    stations: "联络站",
    col_enrolled: "登记时间",
    col_terminal: "终端",
    col_last_sync: "最后同步",
    col_events: "已收事件",
    col_refusals: "拒收次数",
    never: "从未同步",
    silent_days: "多少天未同步算失联",
    silent_mark: "失联",
    show: "显示",
    not_found: "未找到",
    not_found_text: "没有找到这条诉求，或者它不由本单位承办。",
};

const EN: Work = Work {
    lang: Lang::En,
    queue: "Work queue",
    filters: "Filters",
    station: "Station",
    status: "Status",
    category: "Category",
    unit: "Handling unit",
    deputy: "Deputy id",
    deputy_hint: "e.g. D001",
    registered_from: "Registered from",
    registered_to: "to",
    overdue: "Overdue only",
    due_within: "Due within",
    days: "days",
    reopened: "Reopened only",
    any: "All",
    apply_filters: "Filter",
    clear_filters: "Clear filters",
    page_size: "Per page",
    all_rows: "at most",
    search: "Search",
    search_hint: "a code, or words of a title, content, place, unit or reply",
    search_go: "Search",
    code_typo: "A mistyped code",
    nothing_found: "No appeal matches.",
    previous: "Previous",
    next: "Next",
    download_csv: "Download CSV",
    download_xlsx: "Download Excel",
    overdue_mark: "overdue",
    sort_hint: "Click a column to sort by it, again to reverse",
    col_code: "Code",
    col_station: "Station",
    col_station_code: "Station code",
    col_registered: "Registered",
    col_category: "Category",
    col_title: "Title",
    col_status: "Status",
    col_unit: "Unit",
    col_deadline: "Deadline",
    col_days_overdue: "Days overdue",
    col_rounds: "Rounds",
    col_chases: "Chases",
    col_satisfaction: "Satisfaction",
    appeal: "Appeal",
    content: "Content",
    location: "Place",
    deputies: "Deputies",
    none: "none",
    visitor: "Visitor",
    visitor_name: "Name",
    visitor_phone: "Phone",
    visitor_id: "ID number",
    visitor_address: "Address",
    group_size: "People",
    urgency: "Urgency",
    channel: "Came",
    meeting: "Meeting booked",
    route: "Route",
    reply: "Reply",
    document: "Document no.",
    masked_note: "The visitor's personal data are hidden.",
    reveal: "Show the visitor",
    revealed_note: "This look is recorded in the audit log; the data show on this page only.",
    timeline: "Timeline",
    col_when: "When",
    col_source: "From",
    col_who: "Who",
    col_step: "Step",
    col_note: "Note",
    from_county: "[county]",
    from_station: "[station]",
    extensions: "Requests for more time",
    col_asked_by: "Asked by",
    col_asked_at: "Asked at",
    col_new_deadline: "New deadline",
    col_reason: "Reason",
    col_decision: "Decision",
    pending: "pending",
    granted: "granted",
    refused: "refused",
    grant: "Grant",
    refuse: "Refuse",
    actions: "Steps",
    no_actions: "No step can be taken now.",
    done: "Done: ",
    not_done: "Not done: ",
    back_to_queue: "Back to the queue",
    requirement: "Requirements",
    chase_note: "Chase note",
    rerefer_note: "Why re-referred",
    return_reason: "Why returned",
    progress_text: "Progress",
    reply_text: "Reply",
    document_number: "Document no.",
    deadline: "Deadline",
    unit_filter: "Filter the units by pinyin initials or name",
    unit_filter_hint: "e.g. qhxzjj",
    unit_filter_go: "Filter units",
    choose_unit: "Choose a handling unit",
    ask_extension: "Ask for more time",
    ask_reason: "Why",
    ask: "Ask",
    not_a_unit: "Choose the handling unit from the catalogue",
    bad_date: "Write dates as year-month-day, e.g. 2026-12-31",
    empty_text: "This must not be empty",
    extension_asked: "The request for more time is sent; the county office decides.",
    extension_decided: "The request for more time is decided.",
    unit_view: "Appeals referred to the unit",
    unit_view_hint: "Newly referred and due soon first.",
    new_mark: "new",
    due_soon_mark: "due soon",
    no_unit: "This account has no handling unit.",
    choose: "Show",
    catalogue: "Handling units",
    col_name: "Name",
    col_initials: "Pinyin initials",
    col_state: "State",
    in_use: "in use",
    disabled: "disabled",
    add_unit: "Add a unit",
    unit_name: "Full name",
    add: "Add",
    disable: "Disable",
    import_units: "Import the stations' units",
    import_hint: "Adds every unit the stations' appeals name that the catalogue lacks.",
    read_only: "A viewer's account only reads.",
    stations: "Stations",
    col_enrolled: "Enrolled",
    col_terminal: "Terminal",
    col_last_sync: "Last sync",
    col_events: "Events held",
    col_refusals: "Refusals",
    never: "never synced",
    silent_days: "Silent after days",
    silent_mark: "silent",
    show: "Show",
    not_found: "Not found",
    not_found_text: "No such appeal, or it is not referred to this unit.",
};

/// The work pages' words in `lang`.
pub fn words(lang: Lang) -> &'static Work {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

impl Work {
    /// "共 N 条，第 x/y 页".
    pub fn count(&self, total: u64, page: u32, pages: u32) -> String {
        match self.lang {
            Lang::Zh => format!("共 {total} 条，第 {page}/{pages} 页"),
            Lang::En => format!("{total} appeals, page {page} of {pages}"),
        }
    }

    /// A search's count, stopped at `cap`.
    pub fn count_more(&self, cap: u64, page: u32) -> String {
        match self.lang {
            Lang::Zh => format!("超过 {cap} 条，第 {page} 页"),
            Lang::En => format!("more than {cap} appeals, page {page}"),
        }
    }

    /// The title of an appeal's page.
    pub fn appeal_title(&self, code: &str) -> String {
        match self.lang {
            Lang::Zh => format!("诉求 {code}"),
            Lang::En => format!("Appeal {code}"),
        }
    }

    /// "逾期 N 天".
    pub fn days_overdue(&self, days: i64) -> String {
        match self.lang {
            Lang::Zh => format!("逾期 {days} 天"),
            Lang::En => format!("{days} days overdue"),
        }
    }

    /// "第 N 轮" (rounds counted from 1).
    pub fn round(&self, round: u32) -> String {
        match self.lang {
            Lang::Zh => format!("第 {} 轮", round + 1),
            Lang::En => format!("round {}", round + 1),
        }
    }

    /// What the import added.
    pub fn imported(&self, names: &[String]) -> String {
        match (self.lang, names.is_empty()) {
            (Lang::Zh, true) => "目录里已有各站使用的全部单位。".to_string(),
            (Lang::En, true) => "The catalogue already holds every unit the stations name.".to_string(),
            (Lang::Zh, false) => format!("已导入 {} 个单位：{}", names.len(), names.join("、")),
            (Lang::En, false) => format!("Imported {} units: {}", names.len(), names.join(", ")),
        }
    }

    /// A unit added to the catalogue.
    pub fn unit_added(&self, name: &str, initials: &str) -> String {
        match self.lang {
            Lang::Zh => format!("已添加：{name}（{initials}）"),
            Lang::En => format!("Added: {name} ({initials})"),
        }
    }

    /// A unit disabled.
    pub fn unit_disabled(&self, name: &str) -> String {
        match self.lang {
            Lang::Zh => format!("已停用：{name}"),
            Lang::En => format!("Disabled: {name}"),
        }
    }

    /// The units' view of one unit.
    pub fn unit_view_of(&self, unit: &str) -> String {
        match self.lang {
            Lang::Zh => format!("{unit}承办的诉求"),
            Lang::En => format!("Appeals referred to {unit}"),
        }
    }

    /// Stations silent for more than `days`.
    pub fn silent_count(&self, silent: usize, days: u32) -> String {
        match self.lang {
            Lang::Zh => format!("超过 {days} 天未同步的联络站：{silent} 个"),
            Lang::En => format!("Stations silent for more than {days} days: {silent}"),
        }
    }

    /// A number out of range (a page size, a count of days).
    pub fn at_most(&self, most: u32) -> String {
        match self.lang {
            Lang::Zh => format!("最多 {most}"),
            Lang::En => format!("at most {most}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_fill_every_word() {
        for lang in [Lang::Zh, Lang::En] {
            let w = words(lang);
            assert_eq!(w.lang, lang);
            assert!(!w.queue.is_empty() && !w.not_found_text.is_empty());
        }
        assert_eq!(words(Lang::Zh).count(41, 2, 3), "共 41 条，第 2/3 页");
        assert_eq!(words(Lang::En).count(41, 2, 3), "41 appeals, page 2 of 3");
    }
}
