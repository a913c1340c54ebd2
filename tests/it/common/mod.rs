//! Helpers shared by the durability tests: a station, deputies, appeals and
//! legal steps built through the public API, a tiny deterministic RNG, and a
//! snapshot of everything the Store shows.

#![allow(dead_code)]

use std::path::Path;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone};

use jiedai::domain::catalog::CatalogRow;
use jiedai::domain::{
    Appeal, Category, Change, Deputy, DeputyRef, Duty, Event, EventBody, HandlingUnit, Level, Route,
    Satisfaction, Staff, Station, StationKind, Status, Step, TrackingCode, Urgency, Visit, Visitor,
};
use jiedai::storage::{Store, StoreError};

pub const STATION_CODE: &str = "330999012";

mod lcg;

pub use lcg::Lcg;

/// The tests' draws: a chance in percent, an item by reference.
impl Lcg {
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u32) as usize]
    }
}

pub fn tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
}

/// A time on `day()` plus some minutes.
pub fn at(minutes: u32) -> DateTime<FixedOffset> {
    tz().with_ymd_and_hms(2026, 11, 10, 8, 0, 0).unwrap() + chrono::Duration::minutes(minutes as i64)
}

pub fn station() -> Station {
    Station {
        code: STATION_CODE.into(),
        name: "测试街道人大代表联络站".into(),
        kind: StationKind::Station,
        county: "测试区".into(),
        address: "测试路 1 号".into(),
        reception_days: vec![10, 20],
        reception_hours: "9:00-11:30".into(),
        phone: None,
        staff: vec![Staff {
            id: "s1".into(),
            name: "王联络".into(),
            pin_hash: None,
        }],
        units: vec![HandlingUnit {
            name: "区住建局".into(),
        }],
        public_url: Some("https://rd.example.cn/330999012".into()),
        reply_days: None,
        reply_working_days: None,
        holidays: None,
        time_zone: None,
        points: Default::default(),
        sync: Default::default(),
    }
}

pub fn deputy(i: usize) -> Deputy {
    Deputy {
        id: format!("d{i}"),
        name: ["张三", "李四", "王五", "赵六", "钱七"][i % 5].into(),
        level: Level::ALL[i % Level::ALL.len()],
        phone: format!("1380000{i:04}"),
        specialties: vec!["城市管理".into()],
        duty_days: vec![10],
    }
}

pub fn deputy_ref(d: &Deputy) -> DeputyRef {
    DeputyRef {
        id: d.id.clone(),
        name: d.name.clone(),
    }
}

pub fn visitor(i: usize) -> Visitor {
    Visitor {
        name: format!("群众{i}"),
        phone: format!("1390000{:04}", i % 10000),
        id_number: String::new(),
        address: format!("幸福小区 {} 幢", i % 40 + 1),
    }
}

/// The `i`th appeal's texts and choices, as the desk takes them.
pub fn new_appeal(i: usize) -> jiedai::domain::desk::NewAppeal {
    jiedai::domain::desk::NewAppeal {
        category: Category::ALL[i % Category::ALL.len()],
        title: format!("第{i}号诉求：小区门口停车难"),
        content: format!("诉求内容 {i}：晚上车辆乱停，消防通道被占。"),
        location: "幸福小区".into(),
        urgency: Urgency::ALL[i % Urgency::ALL.len()],
        route: Route::Referred,
    }
}

/// A new appeal as a caller hands it to the store (status Registered).
pub fn appeal(code: &TrackingCode, visit: Option<&TrackingCode>, i: usize, deputies: &[Deputy]) -> Appeal {
    let a = new_appeal(i);
    Appeal {
        visit: visit.cloned(),
        visitor: visitor(i),
        group_size: 1,
        deputies: deputies.iter().map(deputy_ref).collect(),
        category: a.category,
        title: a.title,
        content: a.content,
        location: a.location,
        urgency: a.urgency,
        route: a.route,
        ..Appeal::registered(code.clone(), at(i as u32 % 600))
    }
}

pub fn visit(code: &TrackingCode, appeals: &[TrackingCode], i: usize, deputies: &[Deputy]) -> Visit {
    Visit {
        code: code.clone(),
        at: at(i as u32 % 600),
        visitor: visitor(i),
        group_size: 1,
        deputies: deputies.iter().map(deputy_ref).collect(),
        appeals: appeals.to_vec(),
    }
}

/// The appeal registered by `s1`, committed alone at `at`.
pub fn commit_appeal(
    store: &mut Store,
    at: DateTime<FixedOffset>,
    appeal: Appeal,
) -> Result<(Vec<Event>, Vec<String>), StoreError> {
    store.commit_at("s1", at, vec![EventBody::AppealRegistered { appeal }])
}

/// One step of the appeal `code` by `s1`, committed alone at
/// `at(minutes)`.
pub fn commit_step(
    store: &mut Store,
    minutes: u32,
    code: &TrackingCode,
    step: Step,
    note: &str,
) -> Result<(Vec<Event>, Vec<String>), StoreError> {
    let change = EventBody::AppealStepped {
        code: code.clone(),
        step,
        note: note.into(),
    };
    store.commit_at("s1", at(minutes), vec![change])
}

/// Opens a store and configures the station (and `deputies` deputies).
/// The database of a closed store in `dir`, opened with sled itself: the
/// dropped store's background flusher may hold sled's lock a moment.
pub fn open_db_directly(dir: &Path) -> sled::Db {
    (0..200)
        .find_map(|_| {
            sled::open(dir.join("db")).ok().or_else(|| {
                std::thread::sleep(std::time::Duration::from_millis(25));
                None
            })
        })
        .expect("the database opens once the store is closed")
}

pub fn new_store(dir: &Path, deputies: usize) -> Store {
    let mut store = Store::create(dir, &station().code, 1).expect("create store");
    let mut changes: Vec<Change> = vec![EventBody::StationConfigured { station: station() }];
    changes.extend((0..deputies).map(|i| EventBody::DeputyUpserted { deputy: deputy(i) }));
    store.commit_at("s1", at(0), changes).expect("configure station");
    store
}

/// A random step that is legal for an appeal in `status` (and, for a
/// reopened appeal, refers it again).
pub fn legal_step(rng: &mut Lcg, status: Status) -> Step {
    // Far enough ahead to stay after the day a step is taken, whether the
    // caller dates it at `day()` or now (a new referral's deadline is never
    // before its own day).
    let deadline = day() + Days::new(3650 + rng.below(60) as u64);
    match status {
        Status::Registered => match rng.below(4) {
            0 => Step::AnswerOnSpot {
                reply: "代表当场解释了政策。".into(),
            },
            _ => Step::Accept,
        },
        Status::Accepted => match rng.below(4) {
            0 => Step::AnswerOnSpot {
                reply: "代表当场答复。".into(),
            },
            _ => Step::Refer {
                unit: ["区住建局", "区交通局", "街道办"][rng.below(3) as usize].into(),
                deadline,
            },
        },
        Status::Referred => match rng.below(4) {
            0 => Step::Chase,
            1 => Step::Reply {
                reply: "已协调解决。".into(),
                document: None,
                class: None,
            },
            _ => Step::Start,
        },
        Status::InProgress => match rng.below(3) {
            0 => Step::Chase,
            _ => Step::Reply {
                reply: "已安排整改。".into(),
                document: None,
                class: None,
            },
        },
        Status::Replied => Step::Rate {
            satisfaction: *rng.pick(Satisfaction::ALL),
        },
        Status::Closed => Step::Reopen,
    }
}

/// Everything the Store shows through its public API.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub station: Option<Station>,
    pub deputies: Vec<Deputy>,
    pub appeals: Vec<Appeal>,
    pub visits: Vec<Option<Visit>>,
    pub catalog: Vec<CatalogRow>,
    pub by_status: Vec<(Status, Vec<String>)>,
    pub deadlines: Vec<(NaiveDate, String)>,
    pub duty: Vec<Duty>,
    pub counts: (usize, usize),
}

pub fn snapshot(store: &Store) -> Snapshot {
    let mut appeals = Vec::new();
    store
        .for_each_appeal(|a| {
            appeals.push(a);
            Ok(())
        })
        .unwrap();
    let visits = appeals
        .iter()
        .filter_map(|a| a.visit.as_ref())
        .map(|v| store.visit(v.as_str()).unwrap())
        .collect();
    Snapshot {
        station: store.station().unwrap(),
        deputies: store.deputies().unwrap(),
        appeals,
        visits,
        catalog: store.catalog_rows().unwrap(),
        by_status: Status::ALL
            .iter()
            .map(|s| (*s, store.codes_with_status(*s).unwrap()))
            .collect(),
        deadlines: store
            .deadlines_until(NaiveDate::from_ymd_opt(2099, 12, 31).unwrap())
            .unwrap(),
        duty: store.duty(day()).unwrap(),
        counts: store.counts_on(day()),
    }
}

/// Writes `events`, numbered `first..=last`, straight into the journal
/// as one record, past the store.
pub fn append_record(dir: &Path, events: Vec<Event>, first: u64, last: u64) {
    let batch = jiedai::storage::Batch {
        v: jiedai::domain::event::SCHEMA_VERSION,
        events,
    };
    let payload = serde_json::to_vec(&batch).unwrap();
    let mut journal = jiedai::storage::journal::Journal::open(&journal_path(dir)).unwrap();
    journal.write(&payload, first, last).unwrap();
    journal.sync().unwrap();
}

/// The path of the journal file in a data directory.
pub fn journal_path(dir: &Path) -> std::path::PathBuf {
    dir.join("journal")
}
