//! The benchmark station: the sample station, 18 deputies and 100,000
//! appeals over two years of reception days, with visits, the lifecycle
//! steps a real station would have recorded and the deputies' check-ins.
//! Everything is fictional and deterministic (seeded LCGs).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone};

use jiedai::domain::{
    Appeal, Category, Change, Deputy, DeputyRef, EventBody, HandlingUnit, Level, Route, Satisfaction, Staff,
    Station, StationKind, Step, TrackingCode, Urgency, Visit, Visitor,
};
use jiedai::storage::{Store, StoreError};

pub const STATION_CODE: &str = "330999012";
/// The last reception day in the data; the benchmark's clock stands on it.
pub const LAST_DAY: (i32, u32, u32) = (2026, 11, 20);
pub const RECEPTION_DAYS: usize = 48;
/// Appeals per registration commit (one journal record, one fsync).
const APPEALS_PER_COMMIT: usize = 500;
/// Lifecycle steps per commit.
const STEPS_PER_COMMIT: usize = 2000;
/// What the builder puts in a station; a station built by an older
/// builder (another version in its marker) is rebuilt, not reused.
/// 2: deputies check in and out on reception days.
pub const DATA_VERSION: u32 = 2;
/// The marker a finished station carries: `DATA_VERSION`.
const MARKER: &str = "bench-data-version";
/// The seed of the appeals and visits; the check-ins draw from their own,
/// so the appeals are those of every version.
const SEED: u64 = 20261120;
const DUTY_SEED: u64 = 20261121;

pub use crate::lcg::Lcg;

/// The benchmark's draws: a chance per mille, an item by copy.
impl Lcg {
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }
}

pub fn tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

pub fn last_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2).unwrap()
}

/// The benchmark's "now": the afternoon of the last reception day.
pub fn now() -> DateTime<FixedOffset> {
    at(last_day(), 16 * 60)
}

fn at(day: NaiveDate, minutes: u32) -> DateTime<FixedOffset> {
    tz().with_ymd_and_hms(day.year(), day.month(), day.day(), 0, 0, 0)
        .unwrap()
        + chrono::Duration::minutes(minutes as i64)
}

/// The 10th and 20th of the 24 months ending with `last_day()`, oldest first.
pub fn reception_days() -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut month = last_day().with_day(1).unwrap();
    while days.len() < RECEPTION_DAYS {
        for d in [20, 10] {
            days.push(month.with_day(d).unwrap());
        }
        month = month.checked_sub_months(chrono::Months::new(1)).unwrap();
    }
    days.reverse();
    days
}

const UNITS: &[&str] = &[
    "青禾县人力资源和社会保障局",
    "青禾县住房和城乡建设局",
    "青禾县交通运输局",
    "青禾县卫生健康局",
    "青禾县医疗保障局",
    "青禾县教育局",
    "青禾县文化广电旅游局",
    "禾州市生态环境局青禾分局",
    "青禾县民政局",
    "青禾县市场监督管理局",
    "青禾县综合行政执法局",
    "青禾县公安局",
    "青禾县公安局明湖派出所",
    "青禾县司法局",
    "青禾县信访局",
    "青禾县人民法院",
    "青禾县人民检察院",
    "青禾县自然资源和规划局",
    "青禾县明湖街道办事处",
    "明湖街道柳岸社区居民委员会",
    "国网青禾县供电公司",
    "青禾县自来水有限公司",
    "青禾县人大常委会法制工作委员会",
];

/// The station of sample-data/station.toml.
pub fn station() -> Station {
    let staff = |id: &str, name: &str, pin: Option<&str>| Staff {
        id: id.into(),
        name: name.into(),
        pin_hash: pin.map(|p| jiedai::domain::station::hash_pin(p, &[7; 16]).expect("hash")),
    };
    Station {
        code: STATION_CODE.into(),
        name: "柳岸社区人大代表联络站".into(),
        kind: StationKind::Station,
        county: "青禾县".into(),
        address: "青禾县明湖街道柳岸路88号".into(),
        reception_days: vec![10, 20],
        reception_hours: "09:00-11:30".into(),
        phone: None,
        staff: vec![
            staff("S01", "沈佳怡", None),
            staff("S02", "许文博", Some("2468")),
            staff("S03", "钱小雨", None),
        ],
        units: UNITS
            .iter()
            .map(|u| HandlingUnit {
                name: (*u).to_string(),
            })
            .collect(),
        public_url: Some("https://rd.example.cn/330999012".into()),
        reply_days: None,
        reply_working_days: None,
        holidays: None,
        time_zone: None,
        points: Default::default(),
        sync: Default::default(),
    }
}

const DEPUTY_NAMES: &[&str] = &[
    "周建国",
    "吴秀兰",
    "郑海涛",
    "王丽华",
    "冯志刚",
    "陈思远",
    "褚玉梅",
    "卫明辉",
    "蒋文静",
    "沈国平",
    "韩晓燕",
    "杨德福",
    "朱春生",
    "秦雅琴",
    "尤振华",
    "何淑芬",
    "吕永强",
    "施美玲",
];

pub fn deputies() -> Vec<Deputy> {
    let specialties = [
        "城市管理",
        "教育",
        "医疗卫生",
        "法律",
        "养老服务",
        "交通",
        "环境保护",
    ];
    DEPUTY_NAMES
        .iter()
        .enumerate()
        .map(|(i, name)| Deputy {
            id: format!("D{:02}", i + 1),
            name: (*name).to_string(),
            level: [Level::County, Level::Township, Level::City, Level::Provincial][i % 4],
            phone: format!("1357{:07}", 1_000_000 + i * 7919),
            specialties: vec![specialties[i % specialties.len()].to_string()],
            duty_days: match i % 3 {
                0 => vec![10],
                1 => vec![20],
                _ => vec![10, 20],
            },
        })
        .collect()
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚",
    "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "方", "白", "邹",
    "孟", "熊", "秦", "邱", "江", "尹", "薛", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛",
    "郝", "龚", "邵", "万", "钱", "严", "武", "戴", "莫", "孔", "汤", "欧阳", "司马", "诸葛", "上官",
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "兰", "霞", "平", "刚", "桂", "华", "建", "国", "志", "红", "玉", "梅", "文", "辉", "鹏",
    "飞", "宇", "浩", "然", "思", "雨", "子", "涵", "欣", "怡", "佳", "琪", "梓", "萱", "诺", "嘉", "淑",
    "芬", "珍", "芝", "凤", "德", "福", "永", "生", "海", "燕", "春", "晓", "东", "林", "云", "昊", "婷",
    "雪", "峰", "荣", "琳",
];

/// A fictional name: a surname and one or two given-name characters.
pub fn person_name(rng: &mut Lcg) -> String {
    let mut name = rng.pick(SURNAMES).to_string();
    name.push_str(rng.pick(GIVEN));
    if rng.chance(700) {
        name.push_str(rng.pick(GIVEN));
    }
    name
}

const ESTATES: &[&str] = &[
    "柳岸花园",
    "明湖新村",
    "青禾小区",
    "翠苑一区",
    "和平里",
    "金桂园",
    "水岸名都",
    "锦绣家园",
    "春晖小区",
    "湖畔人家",
    "幸福里",
    "文昌苑",
    "南门新村",
    "桃源居",
    "丰收小区",
    "阳光城",
];
const ROADS: &[&str] = &[
    "柳岸路",
    "明湖大道",
    "青禾北路",
    "文昌街",
    "解放路",
    "人民路",
    "滨河路",
    "建设路",
    "新华街",
    "学府路",
];
const LAWS: &[&str] = &[
    "物业管理条例",
    "养老服务条例",
    "文明行为促进条例",
    "电动自行车管理条例",
];

/// (category, weight, title templates). `{e}` an estate, `{r}` a road,
/// `{n}` a small number, `{l}` a draft law.
const TITLES: &[(Category, u32, &[&str])] = &[
    (
        Category::Traffic,
        14,
        &[
            "{e}门口停车难，车辆乱停乱放",
            "{r}早晚高峰拥堵，建议增设信号灯",
            "{e}周边公交站点太远，老人出行不便",
            "希望在{r}增设非机动车停车位",
            "{r}人行横道缺少减速带",
        ],
    ),
    (
        Category::Housing,
        13,
        &[
            "{e}老旧小区加装电梯进度慢",
            "{e}{n}幢屋顶漏水多年未修",
            "{e}物业服务差，收费不透明",
            "公租房申请条件和轮候时间咨询",
        ],
    ),
    (
        Category::Urban,
        12,
        &[
            "{r}夜市油烟噪音扰民",
            "{e}垃圾分类投放点设置不合理",
            "{r}路灯损坏多日无人修",
            "{e}违章搭建影响通行",
        ],
    ),
    (
        Category::Environment,
        6,
        &[
            "{r}附近工厂夜间排放异味",
            "明湖河道有垃圾漂浮",
            "{e}绿化带被占用种菜",
        ],
    ),
    (
        Category::Elderly,
        8,
        &[
            "{e}缺少老年食堂",
            "希望社区增设日间照料中心",
            "高龄津贴发放时间咨询",
        ],
    ),
    (
        Category::Medical,
        7,
        &[
            "社区卫生服务中心看病排队时间长",
            "医保异地报销手续繁琐",
            "希望{e}附近设置家庭医生签约点",
        ],
    ),
    (
        Category::Education,
        7,
        &[
            "{e}适龄儿童入学划片问题",
            "放学时段{r}接送车辆拥堵",
            "希望增加课后托管服务名额",
        ],
    ),
    (
        Category::Jobs,
        5,
        &[
            "就业困难人员灵活就业补贴咨询",
            "农民工工资被拖欠{n}个月",
            "希望社区提供技能培训",
        ],
    ),
    (
        Category::FoodSafety,
        3,
        &["{r}早餐摊点卫生状况差", "学校周边小卖部售卖三无食品"],
    ),
    (
        Category::Security,
        6,
        &[
            "{e}电动车充电乱拉电线存在隐患",
            "{e}夜间有陌生人员出入",
            "{r}电动车盗窃多发",
        ],
    ),
    (
        Category::Disputes,
        6,
        &["邻里装修噪音纠纷", "{e}业委会选举争议", "商铺租赁合同纠纷调解"],
    ),
    (
        Category::Legal,
        4,
        &["劳动合同解除的法律咨询", "遗产继承法律咨询"],
    ),
    (Category::DraftLaw, 2, &["对《{l}（草案）》的修改意见"]),
    (
        Category::Culture,
        4,
        &["{e}文化活动室开放时间短", "希望明湖公园增设健身器材"],
    ),
    (
        Category::Other,
        3,
        &["对联络站接待工作的建议", "希望公开代表联系方式"],
    ),
];

const SENTENCES: &[&str] = &[
    "该问题已持续{n}个月，居民多次向物业反映未果。",
    "涉及住户约{n}0户，老人和孩子出行很不方便。",
    "希望有关部门尽快实地查看并给出解决方案。",
    "晚上八点以后情况尤其严重，消防通道经常被占用。",
    "之前拨打过12345热线，答复说会处理，但至今没有变化。",
    "建议由街道牵头，协调物业、业委会和相关部门共同解决。",
    "附近还有一所小学，上下学时段安全隐患很大。",
    "居民愿意配合，也可以分担一部分费用。",
    "去年社区开过协调会，但会上定下的事项没有落实。",
    "希望代表能把这个情况反映上去，给大家一个说法。",
    "现场照片已经拍好，可以提供给承办单位。",
    "小区里老年人比较多，行动不便，问题更加突出。",
    "周边商户也有意见，认为影响了正常经营。",
    "雨天时情况更糟，积水能没过脚踝。",
];

const REPLIES: &[&str] = &[
    "经实地核查，已安排整改，预计两周内完成。",
    "已协调相关单位，问题已解决，并向来访人作了说明。",
    "已纳入年度计划，资金落实后立即实施。",
    "已依法作出处理，并将结果告知来访人。",
];

fn fill(template: &str, rng: &mut Lcg) -> String {
    template
        .replace("{e}", rng.pick(ESTATES))
        .replace("{r}", rng.pick(ROADS))
        .replace("{l}", rng.pick(LAWS))
        .replace("{n}", &(rng.below(11) + 2).to_string())
}

fn pick_category(rng: &mut Lcg) -> (Category, &'static [&'static str]) {
    let total: u32 = TITLES.iter().map(|t| t.1).sum();
    let mut x = rng.below(total);
    for (c, w, titles) in TITLES {
        if x < *w {
            return (*c, titles);
        }
        x -= w;
    }
    (TITLES[0].0, TITLES[0].2)
}

/// Appeal text: the title as a first sentence, then sentences until the
/// length drawn from 40–200 characters is reached.
fn content(title: &str, rng: &mut Lcg) -> String {
    let target = 40 + rng.below(161) as usize;
    let mut text = format!("{title}。");
    if rng.below(3000) == 0 {
        // The rare query of the benchmark.
        text.push_str("最近楼顶常有人放飞无人机扰民。");
    }
    let mut tries = 0;
    while text.chars().count() < target && tries < 30 {
        let s = fill(rng.pick(SENTENCES), rng);
        if text.chars().count() + s.chars().count() <= 200 {
            text.push_str(&s);
        }
        tries += 1;
    }
    text
}

fn unit_for(category: Category, rng: &mut Lcg) -> &'static str {
    match category {
        Category::Jobs => UNITS[0],
        Category::Housing => UNITS[1],
        Category::Traffic => rng.pick(&[UNITS[2], UNITS[10], UNITS[11]]),
        Category::Medical => rng.pick(&[UNITS[3], UNITS[4]]),
        Category::Education => UNITS[5],
        Category::Culture => UNITS[6],
        Category::Environment => UNITS[7],
        Category::Elderly => UNITS[8],
        Category::FoodSafety => UNITS[9],
        Category::Urban => rng.pick(&[UNITS[10], UNITS[18], UNITS[19]]),
        Category::Security => rng.pick(&[UNITS[11], UNITS[12]]),
        Category::Disputes => rng.pick(&[UNITS[13], UNITS[15], UNITS[19]]),
        Category::Legal => UNITS[13],
        Category::DraftLaw => UNITS[22],
        Category::Other => UNITS[18],
    }
}

fn visitor(rng: &mut Lcg) -> Visitor {
    if rng.chance(40) {
        return Visitor::default();
    }
    Visitor {
        name: person_name(rng),
        phone: if rng.chance(850) {
            format!("1{}{:09}", rng.pick(&[3, 5, 8, 9]), rng.below(1_000_000_000))
        } else {
            String::new()
        },
        id_number: String::new(),
        address: if rng.chance(600) {
            format!(
                "{}{}幢{}室",
                rng.pick(ESTATES),
                rng.below(30) + 1,
                101 + rng.below(18) * 100
            )
        } else {
            String::new()
        },
    }
}

/// Lifecycle steps of one appeal, each with when it happens.
fn plan_steps(a: &Appeal, day: NaiveDate, rng: &mut Lcg, out: &mut Vec<(DateTime<FixedOffset>, Step)>) {
    let when = |d: u64, minutes: u32| at(day + Days::new(d), minutes);
    let rate = |rng: &mut Lcg| {
        let x = rng.below(100);
        if x < 85 {
            Satisfaction::Satisfied
        } else if x < 95 {
            Satisfaction::Basic
        } else {
            Satisfaction::Unsatisfied
        }
    };
    let reply = |rng: &mut Lcg| rng.pick(REPLIES).to_string();
    if a.route == Route::OnSpot {
        out.push((
            when(0, 12 * 60),
            Step::AnswerOnSpot {
                reply: "代表当场解释了相关政策，来访人表示理解。".into(),
            },
        ));
        if rng.chance(900) {
            let s = match rate(rng) {
                Satisfaction::Unsatisfied => Satisfaction::Basic,
                s => s,
            };
            out.push((when(7, 10 * 60), Step::Rate { satisfaction: s }));
        }
        return;
    }
    // Staff accept within days, refer a day or two later, and the unit
    // starts within the week.
    let accepted = if rng.chance(100) {
        5 + rng.below(10)
    } else {
        1 + rng.below(3)
    } as u64;
    let referred = accepted + 1 + rng.below(2) as u64;
    let started = referred + 1 + rng.below(12) as u64;
    out.push((when(accepted, 9 * 60), Step::Accept));
    let limit = rng.pick(&[15u64, 30, 30, 60]);
    out.push((
        when(referred, 9 * 60),
        Step::Refer {
            unit: unit_for(a.category, rng).into(),
            deadline: day + Days::new(referred + limit),
        },
    ));
    out.push((when(started, 9 * 60), Step::Start));
    if rng.chance(15) {
        // Stuck with its unit: chased, never replied (overdue once late).
        out.push((when(referred + limit + 3, 9 * 60), Step::Chase));
        return;
    }
    let answered = started + 2 + rng.below(limit as u32) as u64;
    out.push((
        when(answered, 14 * 60),
        Step::Reply {
            reply: reply(rng),
            document: None,
            class: None,
        },
    ));
    if rng.chance(30) {
        return; // never rated
    }
    let s = rate(rng);
    out.push((when(answered + 5, 10 * 60), Step::Rate { satisfaction: s }));
    if s == Satisfaction::Unsatisfied {
        out.push((
            when(answered + 20, 14 * 60),
            Step::Reply {
                reply: reply(rng),
                document: None,
                class: None,
            },
        ));
        out.push((
            when(answered + 25, 10 * 60),
            Step::Rate {
                satisfaction: Satisfaction::Basic,
            },
        ));
    }
}

/// The deputies' check-ins and check-outs of one reception day, each with
/// when it happens: most deputies on duty come (from a quarter to nine)
/// and leave after noon's reception; now and then one comes on a day that
/// is not theirs. Returns how many check in.
fn plan_duty(
    deputies: &[Deputy],
    day: NaiveDate,
    rng: &mut Lcg,
    out: &mut Vec<(DateTime<FixedOffset>, Change)>,
) -> usize {
    let mut came = 0;
    for (i, d) in deputies.iter().enumerate() {
        let chance = if d.on_duty(day.day()) { 900 } else { 30 };
        if !rng.chance(chance) {
            continue;
        }
        came += 1;
        out.push((
            at(day, 8 * 60 + 45 + i as u32),
            EventBody::DutyCheckedIn {
                deputy: d.id.clone(),
                day,
            },
        ));
        if rng.chance(900) {
            out.push((
                at(day, 11 * 60 + 35 + rng.below(20)),
                EventBody::DutyCheckedOut {
                    deputy: d.id.clone(),
                    day,
                },
            ));
        }
    }
    came
}

pub struct Built {
    pub appeals: usize,
    pub visits: usize,
    pub check_ins: usize,
    pub steps: usize,
    pub commits: usize,
}

/// Whether `dir` holds a station this version of the builder finished.
pub fn is_current(dir: &Path) -> bool {
    fs::read_to_string(dir.join(MARKER)).is_ok_and(|v| v.trim() == DATA_VERSION.to_string())
}

fn deputy_ref(d: &Deputy) -> DeputyRef {
    DeputyRef {
        id: d.id.clone(),
        name: d.name.clone(),
    }
}

/// Builds the station in an empty data directory.
pub fn build(dir: &Path, total: usize) -> Result<Built, StoreError> {
    build_with(dir, total, APPEALS_PER_COMMIT, STEPS_PER_COMMIT)
}

/// `build` with this many appeals and lifecycle steps per commit (bigger
/// commits build a large station faster: fewer records, fewer fsyncs).
pub fn build_with(
    dir: &Path,
    total: usize,
    appeals_per_commit: usize,
    steps_per_commit: usize,
) -> Result<Built, StoreError> {
    let station = station();
    let mut store = Store::create(dir, &station.code, 1)?;
    let deputies = deputies();
    let actor = station.staff[0].name.clone();
    let mut changes: Vec<Change> = vec![EventBody::StationConfigured {
        station: station.clone(),
    }];
    changes.extend(
        deputies
            .iter()
            .map(|d| EventBody::DeputyUpserted { deputy: d.clone() }),
    );
    let days = reception_days();
    store.commit_at("init", at(days[0], 8 * 60), changes)?;
    let mut built = Built {
        appeals: 0,
        visits: 0,
        check_ins: 0,
        steps: 0,
        commits: 1,
    };

    let mut rng = Lcg::new(SEED);
    let mut duty_rng = Lcg::new(DUTY_SEED);
    let now = now();
    let mut pending: BTreeMap<DateTime<FixedOffset>, Vec<Change>> = BTreeMap::new();
    let flush = |store: &mut Store,
                 pending: &mut BTreeMap<DateTime<FixedOffset>, Vec<Change>>,
                 before: DateTime<FixedOffset>,
                 built: &mut Built|
     -> Result<(), StoreError> {
        while let Some(entry) = pending.first_entry() {
            if *entry.key() >= before {
                break;
            }
            let (when, steps) = entry.remove_entry();
            built.steps += steps.len();
            let mut steps = steps.into_iter().peekable();
            while steps.peek().is_some() {
                let chunk: Vec<Change> = steps.by_ref().take(steps_per_commit).collect();
                store.commit_at(&actor, when, chunk)?;
                built.commits += 1;
            }
        }
        Ok(())
    };

    for (di, &day) in days.iter().enumerate() {
        let mut duty = Vec::new();
        built.check_ins += plan_duty(&deputies, day, &mut duty_rng, &mut duty);
        for (t, change) in duty {
            if t <= now {
                pending.entry(t).or_default().push(change);
            }
        }
        flush(&mut store, &mut pending, at(day, 9 * 60), &mut built)?;
        let count = total / days.len() + usize::from(di < total % days.len());
        // Visits of one to three appeals; codes are issued visit first,
        // then its appeals, as the kiosk does.
        let mut sizes = Vec::new();
        let mut left = count;
        while left > 0 {
            let n = (1 + rng.below(3) as usize).min(left);
            sizes.push(n);
            left -= n;
        }
        let codes = store.next_codes(day, count + sizes.len())?;
        let mut codes = codes.into_iter();
        let on_duty: Vec<&Deputy> = deputies.iter().filter(|d| d.on_duty(day.day())).collect();
        let mut batch: Vec<Change> = Vec::new();
        let mut in_batch = 0;
        let mut last_at = at(day, 9 * 60);
        for (vi, &n) in sizes.iter().enumerate() {
            let visit_code = codes.next().unwrap();
            let appeal_codes: Vec<TrackingCode> = codes.by_ref().take(n).collect();
            let when = at(day, 9 * 60) + chrono::Duration::seconds((vi * 150 * 60 / sizes.len()) as i64);
            last_at = when;
            let who = visitor(&mut rng);
            let group_size = if rng.chance(50) {
                3 + rng.below(18) as u16
            } else {
                1
            };
            let mut receivers = vec![deputy_ref(rng.pick(&on_duty))];
            if rng.chance(300) {
                let second = deputy_ref(rng.pick(&on_duty));
                if second.id != receivers[0].id {
                    receivers.push(second);
                }
            }
            batch.push(EventBody::VisitRegistered {
                visit: Visit {
                    code: visit_code.clone(),
                    at: when,
                    visitor: who.clone(),
                    group_size,
                    deputies: receivers.clone(),
                    appeals: appeal_codes.clone(),
                },
            });
            built.visits += 1;
            for code in appeal_codes {
                let (category, titles) = pick_category(&mut rng);
                let title = fill(rng.pick(titles), &mut rng);
                let route = match (category, rng.below(100)) {
                    (Category::DraftLaw, _) => Route::DraftLaw,
                    (Category::Legal, _) | (_, 0..=14) => Route::OnSpot,
                    (_, 15..=20) => Route::Suggestion,
                    _ => Route::Referred,
                };
                let urgency = match rng.below(100) {
                    0..=84 => Urgency::Normal,
                    85..=96 => Urgency::Urgent,
                    _ => Urgency::Critical,
                };
                let appeal = Appeal {
                    visit: Some(visit_code.clone()),
                    visitor: who.clone(),
                    group_size,
                    deputies: receivers.clone(),
                    category,
                    content: content(&title, &mut rng),
                    title,
                    location: if rng.chance(700) {
                        rng.pick(ESTATES).to_string()
                    } else {
                        rng.pick(ROADS).to_string()
                    },
                    urgency,
                    route,
                    ..Appeal::registered(code.clone(), when)
                };
                let mut steps = Vec::new();
                plan_steps(&appeal, day, &mut rng, &mut steps);
                for (t, step) in steps {
                    if t <= now {
                        pending.entry(t).or_default().push(EventBody::AppealStepped {
                            code: code.clone(),
                            step,
                            note: String::new(),
                        });
                    }
                }
                batch.push(EventBody::AppealRegistered { appeal });
                built.appeals += 1;
                in_batch += 1;
            }
            if in_batch >= appeals_per_commit {
                store.commit_at(&actor, when, std::mem::take(&mut batch))?;
                built.commits += 1;
                in_batch = 0;
            }
        }
        if !batch.is_empty() {
            store.commit_at(&actor, last_at, batch)?;
            built.commits += 1;
        }
    }
    flush(
        &mut store,
        &mut pending,
        now + chrono::Duration::seconds(1),
        &mut built,
    )?;
    store.flush()?;
    fs::write(dir.join(MARKER), DATA_VERSION.to_string()).map_err(|e| StoreError::Io {
        path: dir.join(MARKER),
        source: e,
    })?;
    Ok(built)
}
