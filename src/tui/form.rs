//! Form state: the register form (a visit and its appeals) and the small
//! dialogs that take a step's details. Turning input into domain values
//! (with validation) happens here; drawing happens in views.

use chrono::NaiveDate;

use super::input::{Choice, Picker, TextInput};
use super::text::Texts;
use crate::domain::desk::{NewAppeal, Registration};
use crate::domain::validate::{self, Field, ValidationError};
use crate::domain::{Category, Deputy, DeputyRef, Route, Urgency, Visitor};
use crate::i18n::Lang;

#[derive(Debug, Clone)]
pub enum Widget {
    Text(TextInput),
    Pick(Picker),
}

impl Widget {
    pub fn is_empty(&self) -> bool {
        match self {
            Widget::Text(t) => t.is_empty(),
            Widget::Pick(p) => p.is_empty(),
        }
    }

    pub fn text(&self) -> String {
        match self {
            Widget::Text(t) => t.text(),
            Widget::Pick(p) => p.chosen_values().join(","),
        }
    }

    /// Empties the field (Ctrl-U): a text box's text, or a picker's
    /// query and choices.
    pub fn clear(&mut self) {
        match self {
            Widget::Text(t) => t.clear(),
            Widget::Pick(p) => p.clear(),
        }
    }

    /// Takes back the field's last edit (Ctrl-Z), a clear included.
    pub fn undo(&mut self) {
        match self {
            Widget::Text(t) => {
                t.undo();
            }
            Widget::Pick(p) => p.undo(),
        }
    }

    pub fn picked(&self) -> Vec<String> {
        match self {
            Widget::Text(_) => Vec::new(),
            Widget::Pick(p) => p.chosen_values(),
        }
    }
}

pub const VISIT_FIELDS: usize = 6;
pub const APPEAL_FIELDS: usize = 6;
// The fields of a typical visit come first (name, phone, the deputies who
// receive it); the rarer ones follow, and `next_section` skips them.
const V_NAME: usize = 0;
const V_PHONE: usize = 1;
const V_DEPUTIES: usize = 2;
const V_ID: usize = 3;
const V_ADDRESS: usize = 4;
const V_GROUP: usize = 5;
const A_CATEGORY: usize = 0;
const A_TITLE: usize = 1;
const A_CONTENT: usize = 2;
const A_LOCATION: usize = 3;
const A_URGENCY: usize = 4;
const A_ROUTE: usize = 5;

pub fn visit_labels(t: &Texts) -> [&'static str; VISIT_FIELDS] {
    [t.f_name, t.f_phone, t.f_deputies, t.f_id, t.f_address, t.f_group]
}

pub fn appeal_labels(t: &Texts) -> [&'static str; APPEAL_FIELDS] {
    [
        t.f_category,
        t.f_title,
        t.f_content,
        t.f_location,
        t.f_urgency,
        t.f_route,
    ]
}

/// What one Ctrl-S found wrong: each field at fault, with the appeal it
/// belongs to (0 for the visitor's fields), in form order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", say(&self.problems, self.appeals, Lang::En))]
pub struct FormProblems {
    pub problems: Vec<(usize, ValidationError)>,
    /// How many appeals the form held: with several, an appeal's field
    /// is named with its appeal.
    pub appeals: usize,
}

impl FormProblems {
    /// One message naming every field to fix.
    pub fn message(&self, lang: Lang) -> String {
        say(&self.problems, self.appeals, lang)
    }
}

/// One problem's words: its message, with its appeal when there are
/// several.
fn problem_text(e: &ValidationError, appeal: usize, appeals: usize, lang: Lang) -> String {
    let msg = lang.pick(e.message_zh(), e.message_en());
    if appeals > 1
        && !matches!(
            e.field,
            Field::VisitorName | Field::Phone | Field::IdNumber | Field::Address | Field::GroupSize
        )
    {
        format!("{} {}：{msg}", lang.pick("诉求", "Appeal"), appeal + 1)
    } else {
        msg
    }
}

fn say(problems: &[(usize, ValidationError)], appeals: usize, lang: Lang) -> String {
    let said: Vec<String> = problems
        .iter()
        .map(|(a, e)| problem_text(e, *a, appeals, lang))
        .collect();
    if said.len() <= 1 {
        said.concat()
    } else {
        let head = lang.pick("处需要修改", "fields to fix");
        format!("{} {head}：{}", said.len(), said.join(lang.pick("；", "; ")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Visit(usize),
    Appeal(usize),
}

/// The register form: one visit, one or more appeals.
#[derive(Debug, Clone)]
pub struct RegisterForm {
    pub visit: Vec<Widget>,
    pub appeals: Vec<Vec<Widget>>,
    pub current: usize,
    pub focus: Focus,
    /// Fields (and their appeal) that failed the last check.
    pub errors: Vec<(Focus, usize)>,
    /// The focused picker's list was closed with Esc; any other key on
    /// the form opens it again.
    pub picker_closed: bool,
    deputy_choices: Vec<Choice>,
    lang: Lang,
}

fn vocabulary_picker<T: Copy>(
    all: &[T],
    label: impl Fn(T) -> (&'static str, &'static str, &'static str),
    lang: Lang,
) -> Picker {
    let choices = all
        .iter()
        .map(|v| {
            let (code, zh, en) = label(*v);
            Choice::with_extra(lang.pick(zh, en), code, lang.pick(en, zh))
        })
        .collect();
    Picker::new(choices, false)
}

pub fn category_picker(lang: Lang) -> Picker {
    vocabulary_picker(Category::ALL, |c| (c.code(), c.zh(), c.en()), lang)
}

pub fn deputy_picker(deputies: &[Deputy], multi: bool) -> Picker {
    Picker::new(
        deputies.iter().map(|d| Choice::new(&d.name, &d.id)).collect(),
        multi,
    )
}

impl RegisterForm {
    /// Lists the deputies who are at the station now first in the deputy
    /// picker (the form keeps it across resets).
    pub fn set_present(&mut self, present: &[String]) {
        let is_present = |v: &str| present.iter().any(|p| p == v);
        for c in &mut self.deputy_choices {
            c.first = is_present(&c.value);
        }
        if let Widget::Pick(p) = &mut self.visit[V_DEPUTIES] {
            p.set_first(is_present);
        }
    }

    pub fn new(deputies: &[Deputy], lang: Lang) -> RegisterForm {
        let deputy_choices = deputy_picker(deputies, true).choices;
        let mut form = RegisterForm {
            visit: Vec::new(),
            appeals: Vec::new(),
            current: 0,
            focus: Focus::Visit(0),
            errors: Vec::new(),
            picker_closed: false,
            deputy_choices,
            lang,
        };
        form.reset();
        form
    }

    pub fn reset(&mut self) {
        self.visit = vec![
            Widget::Text(TextInput::new(validate::MAX_NAME)),
            Widget::Text(TextInput::new(20)),
            Widget::Pick(Picker::new(self.deputy_choices.clone(), true)),
            Widget::Text(TextInput::new(20)),
            Widget::Text(TextInput::new(validate::MAX_ADDRESS)),
            Widget::Text(TextInput::new(4).with_text("1")),
        ];
        self.appeals = vec![self.new_appeal()];
        self.current = 0;
        self.focus = Focus::Visit(0);
        self.errors.clear();
        self.picker_closed = false;
    }

    fn new_appeal(&self) -> Vec<Widget> {
        let lang = self.lang;
        let mut urgency = vocabulary_picker(Urgency::ALL, |u| (u.code(), u.zh(), u.en()), lang);
        urgency.select_value(Urgency::Normal.code());
        let mut route = vocabulary_picker(Route::ALL, |r| (r.code(), r.zh(), r.en()), lang);
        route.select_value(Route::Referred.code());
        vec![
            Widget::Pick(category_picker(lang)),
            Widget::Text(TextInput::new(validate::MAX_TITLE)),
            Widget::Text(TextInput::multiline(validate::MAX_CONTENT)),
            Widget::Text(TextInput::new(validate::MAX_LOCATION)),
            Widget::Pick(urgency),
            Widget::Pick(route),
        ]
    }

    /// Anything typed that a cancel or quit would lose.
    pub fn has_input(&self) -> bool {
        let visit_typed = self.visit.iter().enumerate().any(|(i, w)| match i {
            V_GROUP => w.text().trim() != "1",
            _ => !w.is_empty(),
        });
        let appeal_typed = self.appeals.iter().any(|a| {
            a.iter()
                .enumerate()
                .any(|(i, w)| !matches!(i, A_URGENCY | A_ROUTE) && !w.is_empty())
        });
        visit_typed || appeal_typed || self.appeals.len() > 1
    }

    /// Whether the focused field is a picker whose list is on show.
    pub fn picker_open(&self) -> bool {
        let widget = match self.focus {
            Focus::Visit(i) => &self.visit[i],
            Focus::Appeal(i) => &self.appeals[self.current][i],
        };
        matches!(widget, Widget::Pick(_)) && !self.picker_closed
    }

    pub fn focused(&mut self) -> &mut Widget {
        match self.focus {
            Focus::Visit(i) => &mut self.visit[i],
            Focus::Appeal(i) => &mut self.appeals[self.current][i],
        }
    }

    pub fn next(&mut self) {
        match self.focus {
            Focus::Visit(i) if i + 1 < VISIT_FIELDS => self.focus = Focus::Visit(i + 1),
            Focus::Appeal(i) if i + 1 < APPEAL_FIELDS => self.focus = Focus::Appeal(i + 1),
            _ => self.next_section(),
        }
    }

    /// Jumps to the first field of the next section: from the visitor to
    /// the appeal on show, from an appeal to the next one (or back to the
    /// visitor after the last).
    pub fn next_section(&mut self) {
        self.focus = match self.focus {
            Focus::Visit(_) => Focus::Appeal(0),
            Focus::Appeal(_) if self.current + 1 < self.appeals.len() => {
                self.current += 1;
                Focus::Appeal(0)
            }
            Focus::Appeal(_) => {
                self.current = 0;
                Focus::Visit(0)
            }
        };
    }

    pub fn prev(&mut self) {
        self.focus = match self.focus {
            Focus::Visit(0) => {
                self.current = self.appeals.len() - 1;
                Focus::Appeal(APPEAL_FIELDS - 1)
            }
            Focus::Visit(i) => Focus::Visit(i - 1),
            Focus::Appeal(0) if self.current > 0 => {
                self.current -= 1;
                Focus::Appeal(APPEAL_FIELDS - 1)
            }
            Focus::Appeal(0) => Focus::Visit(VISIT_FIELDS - 1),
            Focus::Appeal(i) => Focus::Appeal(i - 1),
        };
    }

    pub fn add_appeal(&mut self) {
        self.appeals.push(self.new_appeal());
        self.current = self.appeals.len() - 1;
        self.focus = Focus::Appeal(0);
    }

    /// Removes the current appeal; false when it is the only one.
    pub fn remove_appeal(&mut self) -> bool {
        if self.appeals.len() <= 1 {
            return false;
        }
        self.appeals.remove(self.current);
        self.current = self.current.min(self.appeals.len() - 1);
        self.focus = Focus::Appeal(0);
        true
    }

    /// Whether the field at `focus` of appeal `appeal` failed the last check.
    pub fn has_error(&self, focus: Focus, appeal: usize) -> bool {
        self.errors.contains(&(focus, appeal))
    }

    /// The focused field was edited: its mark from the last check goes.
    pub fn edited(&mut self) {
        let here = (self.focus, self.current);
        self.errors.retain(|e| *e != here);
    }

    /// Validates every field. On problems, marks each field that has one,
    /// moves the focus to the first, and returns one message naming them
    /// all (so one Ctrl-S shows everything to fix).
    pub fn build(&mut self, today: NaiveDate, deputies: &[Deputy]) -> Result<Registration, FormProblems> {
        let mut problems: Vec<(Focus, usize, ValidationError)> = Vec::new();
        let visit_text = |i: usize| self.visit[i].text();
        let name = validate::text_field(
            Field::VisitorName,
            &visit_text(V_NAME),
            false,
            validate::MAX_NAME,
            false,
        );
        let name = keep(&mut problems, name, Focus::Visit(V_NAME), 0);
        let phone_raw = visit_text(V_PHONE);
        let phone = if phone_raw.trim().is_empty() {
            Ok(String::new())
        } else {
            validate::normalize_phone(&phone_raw)
        };
        let phone = keep(&mut problems, phone, Focus::Visit(V_PHONE), 0);
        let id_raw = visit_text(V_ID);
        let id_number = if id_raw.trim().is_empty() {
            Ok(String::new())
        } else {
            validate::validate_id_number(&id_raw, today)
        };
        let id_number = keep(&mut problems, id_number, Focus::Visit(V_ID), 0);
        let address = validate::text_field(
            Field::Address,
            &visit_text(V_ADDRESS),
            false,
            validate::MAX_ADDRESS,
            false,
        );
        let address = keep(&mut problems, address, Focus::Visit(V_ADDRESS), 0);
        let group_size = validate::group_size(&visit_text(V_GROUP));
        let group_size = keep(&mut problems, group_size, Focus::Visit(V_GROUP), 0);
        let deputy_refs = self.visit[V_DEPUTIES]
            .picked()
            .iter()
            .filter_map(|id| deputies.iter().find(|d| &d.id == id))
            .map(|d| DeputyRef {
                id: d.id.clone(),
                name: d.name.clone(),
            })
            .collect();
        let mut appeals = Vec::new();
        for (i, a) in self.appeals.iter().enumerate() {
            let category = a[A_CATEGORY]
                .picked()
                .first()
                .and_then(|c| Category::parse(c))
                .ok_or(ValidationError {
                    field: Field::Category,
                    problem: validate::Problem::Required,
                });
            let category = keep(&mut problems, category, Focus::Appeal(A_CATEGORY), i);
            let texts =
                validate::appeal_texts(&a[A_TITLE].text(), &a[A_CONTENT].text(), &a[A_LOCATION].text());
            let at = match &texts {
                Err(e) if e.field == Field::Title => A_TITLE,
                Err(e) if e.field == Field::Location => A_LOCATION,
                _ => A_CONTENT,
            };
            let texts = keep(&mut problems, texts, Focus::Appeal(at), i);
            let urgency = a[A_URGENCY]
                .picked()
                .first()
                .and_then(|u| Urgency::parse(u))
                .unwrap_or(Urgency::Normal);
            let route = a[A_ROUTE]
                .picked()
                .first()
                .and_then(|r| Route::parse(r))
                .unwrap_or(Route::Referred);
            if let (Some(category), Some(t)) = (category, texts) {
                appeals.push(NewAppeal {
                    category,
                    title: t.title,
                    content: t.content,
                    location: t.location,
                    urgency,
                    route,
                });
            }
        }
        self.errors = problems.iter().map(|(f, a, _)| (*f, *a)).collect();
        if let Some((focus, appeal, _)) = problems.first() {
            self.focus = *focus;
            self.current = *appeal;
            return Err(FormProblems {
                problems: problems.into_iter().map(|(_, a, e)| (a, e)).collect(),
                appeals: self.appeals.len(),
            });
        }
        let (Some(name), Some(phone), Some(id_number), Some(address), Some(group_size)) =
            (name, phone, id_number, address, group_size)
        else {
            return Err(FormProblems {
                problems: Vec::new(),
                appeals: self.appeals.len(),
            });
        };
        Ok(Registration {
            visitor: Visitor {
                name,
                phone,
                id_number,
                address,
            },
            group_size,
            deputies: deputy_refs,
            appeals,
        })
    }
}

/// The value of a field's check, or None with its problem noted.
fn keep<T>(
    problems: &mut Vec<(Focus, usize, ValidationError)>,
    checked: Result<T, ValidationError>,
    focus: Focus,
    appeal: usize,
) -> Option<T> {
    checked.map_err(|e| problems.push((focus, appeal, e))).ok()
}

/// Parses a date typed as YYYY-MM-DD (full-width digits allowed).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(validate::to_half_width(text).trim(), "%Y-%m-%d").ok()
}
