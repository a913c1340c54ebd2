//! Appeals (诉求) and the words that classify them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::code::TrackingCode;
use super::event::EventId;
use super::lifecycle::Step;

vocabulary! {
    /// Category of an appeal (诉求类别).
    Category {
        Jobs = "jobs", "就业", "Jobs";
        Housing = "housing", "住房", "Housing";
        Traffic = "traffic", "交通停车", "Traffic and parking";
        Medical = "medical", "医疗卫生", "Medical care";
        Education = "education", "教育", "Education";
        Culture = "culture", "文化旅游", "Culture and tourism";
        Environment = "environment", "生态环境", "Environment";
        Elderly = "elderly", "养老服务", "Elderly care";
        FoodSafety = "food_safety", "食品安全", "Food safety";
        Urban = "urban", "城市管理", "Urban management";
        Security = "security", "社会治安", "Public security";
        Disputes = "disputes", "矛盾纠纷", "Disputes";
        Legal = "legal", "法律咨询", "Legal questions";
        DraftLaw = "draft_law", "立法意见", "Draft-law opinions";
        Other = "other", "其他", "Other";
    }
}

vocabulary! {
    /// How urgent the matter is (紧急程度).
    Urgency {
        Normal = "normal", "一般", "Normal";
        Urgent = "urgent", "紧急", "Urgent";
        Critical = "critical", "特急", "Critical";
    }
}

vocabulary! {
    /// Where an appeal goes (办理方式).
    Route {
        Referred = "referred", "交办", "Refer to a unit";
        OnSpot = "on_spot", "当场答复", "Answered on the spot";
        Suggestion = "suggestion", "代表建议", "Deputy's formal suggestion";
        DraftLaw = "draft_law", "立法意见", "Opinion on a draft law";
    }
}

vocabulary! {
    /// Where an appeal stands in the closed loop.
    Status {
        Registered = "registered", "已登记", "Registered";
        Accepted = "accepted", "已受理", "Accepted";
        Referred = "referred", "已交办", "Referred";
        InProgress = "in_progress", "办理中", "In progress";
        Replied = "replied", "已答复", "Replied";
        Closed = "closed", "已办结", "Closed";
    }
}

vocabulary! {
    /// How a reply answers an appeal, as counties classify the replies to
    /// deputies' suggestions (答复类别): A 已解决, B 正在解决, C 列入计划,
    /// D 因条件限制暂不能解决.
    ReplyClass {
        Solved = "A", "A 已解决", "A Solved";
        Solving = "B", "B 正在解决", "B Being solved";
        Planned = "C", "C 列入计划", "C Planned";
        NotNow = "D", "D 因条件限制暂不能解决", "D Not possible for now";
    }
}

vocabulary! {
    /// How an appeal reached the station: at the desk, or sent by a citizen
    /// from the station's or a deputy's public page (扫码提建议).
    Channel {
        Desk = "desk", "现场登记", "At the desk";
        Online = "online", "网上来件", "Sent online";
    }
}

vocabulary! {
    /// The citizen's rating of the result (满意度).
    Satisfaction {
        Satisfied = "satisfied", "满意", "Satisfied";
        Basic = "basic", "基本满意", "Basically satisfied";
        Unsatisfied = "unsatisfied", "不满意", "Not satisfied";
    }
}

impl Status {
    /// Still waiting on a handling unit: counts for due-soon and overdue.
    pub fn awaits_unit(self) -> bool {
        matches!(self, Status::Referred | Status::InProgress)
    }

    pub fn index(self) -> u8 {
        Status::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }
}

/// Who came. Every field is optional: anonymous visitors are allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub address: String,
}

/// A deputy as named on an appeal: the name is kept as it was that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeputyRef {
    pub id: String,
    pub name: String,
}

/// One line of an appeal's history: one event that touched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub event: EventId,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub step: Step,
    pub from: Option<Status>,
    pub to: Status,
    #[serde(default)]
    pub note: String,
    /// A county step that changed nothing, and why (`county_steps::apply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applied: Option<super::county_steps::NotApplied>,
}

/// The current state of one appeal: a projection of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub code: TrackingCode,
    #[serde(default)]
    pub visit: Option<TrackingCode>,
    pub registered_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub visitor: Visitor,
    #[serde(default)]
    pub group_size: u16,
    #[serde(default)]
    pub deputies: Vec<DeputyRef>,
    pub category: Category,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub location: String,
    pub urgency: Urgency,
    pub route: Route,
    pub status: Status,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    #[serde(default)]
    pub reply: Option<String>,
    /// The class of the county's last reply (A–D), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_class: Option<ReplyClass>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
    /// How many times the appeal went back for handling again.
    #[serde(default)]
    pub round: u32,
    #[serde(default)]
    pub chases: u32,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// The secret in the QR code of the appeal's receipt: whoever holds the
    /// receipt may see the appeal's progress (`public::access_key`). Empty
    /// on appeals saved before receipts carried one, until one is issued.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub access_key: String,
    /// How the appeal reached the station.
    #[serde(default = "desk", skip_serializing_if = "is_desk")]
    pub channel: Channel,
    /// The reception day the citizen asked to meet the named deputy on
    /// (预约见面), when they booked one online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<NaiveDate>,
    /// At a terminal of a station whose terminals share their events: how
    /// the county's order leaves the appeal while this terminal's own steps
    /// wait to be placed (`order`). Never set at the county, nor in an
    /// export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placing: Option<super::order::Placing>,
}

fn desk() -> Channel {
    Channel::Desk
}

fn is_desk(c: &Channel) -> bool {
    *c == Channel::Desk
}

impl Appeal {
    /// A new appeal as registration creates it: status Registered, nothing
    /// handled yet, an anonymous visitor and category 其他 until the caller
    /// fills them in (`Appeal { title, content, ..Appeal::registered(code, at) }`).
    pub fn registered(code: TrackingCode, registered_at: DateTime<FixedOffset>) -> Appeal {
        Appeal {
            code,
            visit: None,
            registered_at,
            visitor: Visitor::default(),
            group_size: 1,
            deputies: Vec::new(),
            category: Category::Other,
            title: String::new(),
            content: String::new(),
            location: String::new(),
            urgency: Urgency::Normal,
            route: Route::Referred,
            status: Status::Registered,
            unit: None,
            deadline: None,
            reply: None,
            reply_class: None,
            satisfaction: None,
            round: 0,
            chases: 0,
            history: Vec::new(),
            access_key: String::new(),
            channel: Channel::Desk,
            meeting: None,
            placing: None,
        }
    }

    /// The same appeal as it stood at registration: content kept, handling
    /// state cleared (the start of a replay of its history).
    pub fn as_registered(&self) -> Appeal {
        Appeal {
            status: Status::Registered,
            unit: None,
            deadline: None,
            reply: None,
            satisfaction: None,
            round: 0,
            chases: 0,
            ..self.clone()
        }
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.awaits_unit() && self.deadline.is_some_and(|d| d < today)
    }

    pub fn deputy_names(&self) -> Vec<&str> {
        self.deputies.iter().map(|d| d.name.as_str()).collect()
    }
}
