//! The county's catalogue of handling units (承办单位): every referral
//! names one of them, found by its exact name or its pinyin initials
//! (`qhxzfhcxjsj` for 青禾县住房和城乡建设局), never typed free.

use sqlx::Row;

use super::CountyError;
use super::db::{Db, decode};
use crate::domain::Station;
use crate::domain::search::{initials as pinyin_initials, normalize};
use crate::i18n::Lang;

/// A handling unit of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    /// Pinyin initials, lower case (`search::initials`).
    pub initials: String,
    /// A disabled unit stays on the appeals that name it; no new referral
    /// may name it.
    pub disabled: bool,
}

/// Why a unit could not be added or found.
#[derive(Debug, thiserror::Error)]
pub enum UnitProblem {
    #[error("the unit's name is empty")]
    Empty,
    #[error("the catalogue already holds {0}")]
    Exists(String),
    /// No unit of that name or initials; the closest names, best first.
    #[error("no unit {given} in the catalogue (closest: {closest:?})")]
    Unknown { given: String, closest: Vec<String> },
    /// Initials that several units share.
    #[error("{given} are the initials of several units: {names:?}")]
    Ambiguous { given: String, names: Vec<String> },
    #[error("the unit {0} is disabled")]
    Disabled(String),
    #[error(transparent)]
    County(#[from] CountyError),
}

impl From<sqlx::Error> for UnitProblem {
    fn from(e: sqlx::Error) -> UnitProblem {
        UnitProblem::County(CountyError::Db(e))
    }
}

impl UnitProblem {
    pub fn message(&self, lang: Lang) -> String {
        let list = |names: &[String]| names.join(lang.pick("、", ", "));
        let add = |given: &str| {
            lang.pick(
                format!("新的承办单位请先用 `jiedai county unit add {given}` 加入目录"),
                format!("add a new handling unit first with `jiedai county unit add {given}`"),
            )
        };
        match self {
            UnitProblem::Empty => lang
                .pick("承办单位名称不能为空", "the unit's name is empty")
                .into(),
            UnitProblem::Exists(name) => lang.pick(
                format!("承办单位目录中已有“{name}”"),
                format!("the catalogue already holds “{name}”"),
            ),
            UnitProblem::Unknown { given, closest } if closest.is_empty() => lang.pick(
                format!("承办单位目录中没有“{given}”；{}", add(given)),
                format!("no unit “{given}” in the catalogue; {}", add(given)),
            ),
            UnitProblem::Unknown { given, closest } => lang.pick(
                format!(
                    "承办单位目录中没有“{given}”，最接近的是：{}；{}",
                    list(closest),
                    add(given)
                ),
                format!(
                    "no unit “{given}” in the catalogue; the closest are: {}; {}",
                    list(closest),
                    add(given)
                ),
            ),
            UnitProblem::Ambiguous { given, names } => lang.pick(
                format!("“{given}”是几个承办单位的拼音首字母：{}；请写出全称", list(names)),
                format!(
                    "“{given}” are the initials of several units: {}; give the full name",
                    list(names)
                ),
            ),
            UnitProblem::Disabled(name) => lang.pick(
                format!("承办单位“{name}”已停用，不能再交办"),
                format!("the unit “{name}” is disabled: nothing more can be referred to it"),
            ),
            UnitProblem::County(e) => e.message(lang),
        }
    }
}

/// A unit's initials: the pinyin initials of its Han characters, lower
/// case, other letters and digits kept in lower-case ASCII.
pub fn initials(name: &str) -> String {
    pinyin_initials(name)
}

fn unit(row: &sqlx::any::AnyRow) -> Result<Unit, sqlx::Error> {
    Ok(Unit {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        initials: row.try_get(2)?,
        disabled: row.try_get::<i64, _>(3)? != 0,
    })
}

/// Adds a unit to the catalogue.
pub async fn add(db: &Db, name: &str) -> Result<Unit, UnitProblem> {
    let name = name.trim();
    if name.is_empty() {
        return Err(UnitProblem::Empty);
    }
    let initials = initials(name);
    let row = sqlx::query(
        "INSERT INTO units (name, initials, disabled, created_at) VALUES ($1, $2, 0, $3)
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(initials.as_str())
    .bind(super::now().to_rfc3339())
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Err(UnitProblem::Exists(name.to_string()));
    };
    log::info!("unit added to the catalogue: {name}");
    Ok(Unit {
        id: row.try_get(0)?,
        name: name.to_string(),
        initials,
        disabled: false,
    })
}

/// The catalogue by name (disabled units too when asked).
pub async fn list(db: &Db, include_disabled: bool) -> Result<Vec<Unit>, CountyError> {
    let sql = if include_disabled {
        "SELECT id, name, initials, disabled FROM units ORDER BY name"
    } else {
        "SELECT id, name, initials, disabled FROM units WHERE disabled = 0 ORDER BY name"
    };
    let rows = sqlx::query(sql).fetch_all(&db.pool).await?;
    Ok(rows.iter().map(unit).collect::<Result<_, _>>()?)
}

/// Disables a unit; false when there is no unit `id`.
pub async fn disable(db: &Db, id: i64) -> Result<bool, CountyError> {
    let done = sqlx::query("UPDATE units SET disabled = 1 WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Brings the stations' units into the catalogue: every unit an appeal
/// held by the county is referred to, and every unit of a station's own
/// list, that the catalogue does not hold yet. Returns those added.
pub async fn import_from_appeals(db: &Db) -> Result<Vec<Unit>, CountyError> {
    let mut names: Vec<String> = Vec::new();
    let rows = sqlx::query(
        "SELECT DISTINCT unit FROM appeals WHERE unit IS NOT NULL AND unit NOT IN (SELECT name FROM units)",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &rows {
        names.push(r.try_get(0)?);
    }
    let rows = sqlx::query("SELECT info FROM stations WHERE info IS NOT NULL")
        .fetch_all(&db.pool)
        .await?;
    for r in &rows {
        let station: Station = decode(&r.try_get::<String, _>(0)?)?;
        names.extend(station.units.into_iter().map(|u| u.name));
    }
    names = names.iter().map(|n| n.trim().to_string()).collect();
    names.sort();
    names.dedup();
    let mut added = Vec::new();
    for name in names.iter().filter(|n| !n.is_empty()) {
        match add(db, name).await {
            Ok(u) => added.push(u),
            Err(UnitProblem::Exists(_)) => {}
            Err(UnitProblem::County(e)) => return Err(e),
            Err(other) => log::warn!("unit {name} not imported: {other}"),
        }
    }
    Ok(added)
}

/// The units matching what is typed: its text inside the name, or the
/// start of the initials. Everything when nothing is typed.
pub fn filter<'a>(units: &'a [Unit], typed: &str) -> Vec<&'a Unit> {
    let typed = normalize(typed.trim());
    units
        .iter()
        .filter(|u| typed.is_empty() || normalize(&u.name).contains(&typed) || u.initials.starts_with(&typed))
        .collect()
}

/// The unit `given` names: exactly by name, or by initials that only one
/// enabled unit has. Otherwise what comes closest.
pub async fn resolve(db: &Db, given: &str) -> Result<Unit, UnitProblem> {
    let given = given.trim();
    if given.is_empty() {
        return Err(UnitProblem::Empty);
    }
    let all = list(db, true).await?;
    if let Some(u) = all.iter().find(|u| u.name == given) {
        return match u.disabled {
            true => Err(UnitProblem::Disabled(u.name.clone())),
            false => Ok(u.clone()),
        };
    }
    let enabled: Vec<&Unit> = all.iter().filter(|u| !u.disabled).collect();
    let typed = normalize(given);
    let by_initials: Vec<&&Unit> = enabled.iter().filter(|u| u.initials == typed).collect();
    match by_initials.as_slice() {
        [one] => return Ok((**one).clone()),
        [] => {}
        several => {
            return Err(UnitProblem::Ambiguous {
                given: given.to_string(),
                names: several.iter().map(|u| u.name.clone()).collect(),
            });
        }
    }
    Err(UnitProblem::Unknown {
        given: given.to_string(),
        closest: closest(&enabled, given),
    })
}

/// At most three names nearest to `given`, best first: by the longest run
/// of characters they share in order, of the name or of its initials.
fn closest(units: &[&Unit], given: &str) -> Vec<String> {
    let typed: Vec<char> = normalize(given).chars().collect();
    let mut scored: Vec<(usize, &str)> = units
        .iter()
        .map(|u| {
            let name: Vec<char> = normalize(&u.name).chars().collect();
            let initials: Vec<char> = u.initials.chars().collect();
            (
                common(&typed, &name).max(common(&typed, &initials)),
                u.name.as_str(),
            )
        })
        .filter(|(score, _)| *score * 2 >= typed.len().max(2))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n.to_string()).collect()
}

/// The length of the longest common subsequence of `a` and `b`.
fn common(a: &[char], b: &[char]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diag = 0;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::db::testing;

    fn u(id: i64, name: &str) -> Unit {
        Unit {
            id,
            name: name.into(),
            initials: initials(name),
            disabled: false,
        }
    }

    #[test]
    fn initials_are_lower_case_first_letters() {
        assert_eq!(initials("青禾县住房和城乡建设局"), "qhxzfhcxjsj");
        assert_eq!(initials("青禾县12345热线"), "qhx12345rx");
    }

    #[test]
    fn a_filter_matches_names_and_initials() {
        let units = [u(1, "青禾县住房和城乡建设局"), u(2, "青禾县交通运输局")];
        let names = |typed: &str| -> Vec<i64> { filter(&units, typed).iter().map(|u| u.id).collect() };
        assert_eq!(names("交通"), vec![2]);
        assert_eq!(names("qhxj"), vec![2]);
        assert_eq!(names("qhx"), vec![1, 2]);
        assert_eq!(names(""), vec![1, 2]);
        assert_eq!(names("教育"), Vec::<i64>::new());
    }

    #[test]
    fn the_closest_names_share_the_most() {
        let units = [
            u(1, "青禾县住房和城乡建设局"),
            u(2, "青禾县交通运输局"),
            u(3, "青禾县教育局"),
        ];
        let refs: Vec<&Unit> = units.iter().collect();
        assert_eq!(closest(&refs, "县交通局")[0], "青禾县交通运输局");
        assert_eq!(closest(&refs, "住建局")[0], "青禾县住房和城乡建设局");
        assert!(closest(&refs, "卫健委").is_empty());
    }

    #[test]
    fn units_are_added_listed_resolved_and_disabled() {
        testing::runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let db = testing::enrolled(dir.path(), "330999012").await;
            let housing = add(&db, " 青禾县住房和城乡建设局 ").await.unwrap();
            assert_eq!(housing.initials, "qhxzfhcxjsj");
            add(&db, "青禾县交通运输局").await.unwrap();
            assert!(matches!(
                add(&db, "青禾县交通运输局").await,
                Err(UnitProblem::Exists(_))
            ));
            assert!(matches!(add(&db, "  ").await, Err(UnitProblem::Empty)));
            assert_eq!(resolve(&db, "qhxzfhcxjsj").await.unwrap(), housing);
            assert_eq!(resolve(&db, "青禾县住房和城乡建设局").await.unwrap(), housing);
            match resolve(&db, "青禾县住建局").await {
                Err(UnitProblem::Unknown { closest, .. }) => {
                    assert_eq!(closest[0], "青禾县住房和城乡建设局")
                }
                other => panic!("{other:?}"),
            }
            assert!(disable(&db, housing.id).await.unwrap());
            assert!(matches!(
                resolve(&db, "青禾县住房和城乡建设局").await,
                Err(UnitProblem::Disabled(_))
            ));
            assert_eq!(list(&db, false).await.unwrap().len(), 1);
            assert_eq!(list(&db, true).await.unwrap().len(), 2);
        });
    }
}
