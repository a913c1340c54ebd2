//! What may leave whoever keeps the data: an appeal as the public progress
//! page and the county's exports show it, and a station's configuration
//! as the county receives it. No I/O.
//!
//! - Every free text of an appeal that leaves the county's staff view
//!   (title, content, location, reply, handling unit, and the notes,
//!   replies and units in its history) goes through `mask_text`: the
//!   visitor's own name as its first character and `*`, any stretch of
//!   the visitor's address of `ADDRESS_RUN` characters or more as `***`,
//!   and every phone or ID number, in any of the usual ways of writing
//!   them, as `mask::mask_numbers` masks it (`138****8000`).
//! - Staff credentials never leave the terminal: `without_staff_secrets`
//!   is a `StationConfigured` event without its staff's PIN hashes.

pub mod mask;

use super::appeal::{Appeal, HistoryEntry, Visitor};
use super::event::{Event, EventBody};
use super::lifecycle::Step;
use super::station::{Staff, Station};
use super::validate::to_half_width;
use mask::{mask_name, mask_numbers, mask_phone};

/// What stands for a stretch of the visitor's address.
pub const ADDRESS_MASK: &str = "***";

/// The shortest stretch of the visitor's address that is masked where it
/// appears in a text ("8幢2单元" is, "柳岸社区" alone is not): shorter
/// addresses are masked only whole.
pub const ADDRESS_RUN: usize = 6;

/// The shortest address that is looked for at all.
const ADDRESS_MIN: usize = 4;

/// `text` with the visitor's name, address, and every phone and ID number
/// masked (see the module's note).
pub fn mask_text(text: &str, visitor: &Visitor) -> String {
    let text = mask_address(text, visitor.address.trim());
    let text = mask_visitor_name(&text, visitor.name.trim());
    mask_numbers(&text)
}

/// Every occurrence of `name` (of two characters or more: one character
/// alone is too common to mask) as its first character and `*`.
fn mask_visitor_name(text: &str, name: &str) -> String {
    if name.chars().count() < 2 {
        return text.to_string();
    }
    text.replace(name, &mask_name(name))
}

/// Every stretch of `text` of `ADDRESS_RUN` characters or more (the
/// whole address when it is shorter) that also occurs in `address`, as
/// `ADDRESS_MASK`. Full-width and half-width characters compare alike.
fn mask_address(text: &str, address: &str) -> String {
    let addr: Vec<char> = to_half_width(address).chars().collect();
    if addr.len() < ADDRESS_MIN {
        return text.to_string();
    }
    let run = ADDRESS_RUN.min(addr.len());
    let original: Vec<char> = text.chars().collect();
    let chars: Vec<char> = to_half_width(text).chars().collect();
    // masked[i]: character i of the text belongs to a stretch of the address.
    let mut masked = vec![false; chars.len()];
    // Longest common stretch ending at text i and address j, one row at a time.
    let mut prev = vec![0usize; addr.len() + 1];
    let mut row = vec![0usize; addr.len() + 1];
    for (i, c) in chars.iter().enumerate() {
        let mut longest = 0;
        for (j, a) in addr.iter().enumerate() {
            row[j + 1] = if c == a && !c.is_whitespace() {
                prev[j] + 1
            } else {
                0
            };
            longest = longest.max(row[j + 1]);
        }
        if longest >= run {
            for m in &mut masked[i + 1 - longest..=i] {
                *m = true;
            }
        }
        std::mem::swap(&mut prev, &mut row);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_mask = false;
    for (c, m) in original.iter().zip(&masked) {
        if *m {
            if !in_mask {
                out.push_str(ADDRESS_MASK);
            }
        } else {
            out.push(*c);
        }
        in_mask = *m;
    }
    out
}

/// The appeal as it may leave the county's staff view (the public
/// progress page, `county export`): the visitor's name, phone and ID
/// number masked, the address and the access key left out, and every free
/// text masked with `mask_text`.
pub fn public_appeal(appeal: &Appeal) -> Appeal {
    let visitor = &appeal.visitor;
    let m = |t: &str| mask_text(t, visitor);
    Appeal {
        visitor: Visitor {
            name: mask_name(&visitor.name),
            phone: mask_phone(&visitor.phone),
            id_number: mask_numbers(&visitor.id_number),
            address: String::new(),
        },
        access_key: String::new(),
        title: m(&appeal.title),
        content: m(&appeal.content),
        location: m(&appeal.location),
        unit: appeal.unit.as_deref().map(m),
        reply: appeal.reply.as_deref().map(m),
        history: appeal
            .history
            .iter()
            .map(|h| HistoryEntry {
                note: m(&h.note),
                step: masked_step(&h.step, &m),
                ..h.clone()
            })
            .collect(),
        ..appeal.clone()
    }
}

/// A step with its texts masked.
fn masked_step(step: &Step, m: &dyn Fn(&str) -> String) -> Step {
    match step {
        Step::Refer { unit, deadline } => Step::Refer {
            unit: m(unit),
            deadline: *deadline,
        },
        Step::AnswerOnSpot { reply } => Step::AnswerOnSpot { reply: m(reply) },
        Step::Rerefer { unit, deadline } => Step::Rerefer {
            unit: m(unit),
            deadline: *deadline,
        },
        Step::Reply {
            reply,
            document,
            class,
        } => Step::Reply {
            reply: m(reply),
            document: document.clone(),
            class: *class,
        },
        other => other.clone(),
    }
}

/// The station without its staff's credentials.
pub fn station_without_secrets(station: &Station) -> Station {
    Station {
        staff: station
            .staff
            .iter()
            .map(|s| Staff {
                pin_hash: None,
                ..s.clone()
            })
            .collect(),
        ..station.clone()
    }
}

/// The event as it may leave the terminal, when it holds a staff secret
/// (a `StationConfigured` with PIN hashes, or PINs in the clear from an
/// older journal); None when it holds none and may go as it is.
pub fn without_staff_secrets(event: &Event) -> Option<Event> {
    match &event.body {
        EventBody::StationConfigured { station } if station.staff.iter().any(Staff::has_pin) => Some(Event {
            body: EventBody::StationConfigured {
                station: station_without_secrets(station),
            },
            ..event.clone()
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visitor() -> Visitor {
        Visitor {
            name: "林晓梅".into(),
            phone: "13800138000".into(),
            id_number: "330999199001011234".into(),
            address: "明湖街道柳岸社区8幢2单元504室".into(),
        }
    }

    #[test]
    fn the_visitor_and_every_number_are_masked() {
        let v = visitor();
        let text = "林晓梅同志：请回电13800138000或138.0013.8000、138/0013/8000、+86 138 0013 8000，\
                    座机0571-88001234，身份证330999199001011234，家住柳岸社区8幢2单元504室。";
        let masked = mask_text(text, &v);
        for private in [
            "林晓梅",
            "13800138000",
            "138.0013.8000",
            "138/0013/8000",
            "138 0013 8000",
            "88001234",
            "330999199001011234",
            "8幢2单元504室",
        ] {
            assert!(!masked.contains(private), "{private} in {masked}");
        }
        assert!(masked.starts_with("林*同志：请回电138****8000"), "{masked}");
        assert!(masked.contains("家住***。"), "{masked}");
    }

    #[test]
    fn short_stretches_of_the_address_and_other_text_stay() {
        let v = visitor();
        assert_eq!(mask_text("柳岸社区门口路灯坏了", &v), "柳岸社区门口路灯坏了");
        assert_eq!(mask_text("2026.05.10 停车难", &v), "2026.05.10 停车难");
        let v = Visitor {
            address: "幸福路9号".into(),
            ..visitor()
        };
        assert_eq!(mask_text("就在幸福路9号旁边", &v), "就在***旁边");
        let anonymous = Visitor::default();
        assert_eq!(mask_text("路灯坏了", &anonymous), "路灯坏了");
    }
}
