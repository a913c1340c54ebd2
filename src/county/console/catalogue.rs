//! The unit catalogue (`/office/units`): every handling unit with its
//! pinyin initials; the office adds and disables units and imports the
//! units the stations' appeals name (`county::units`); a viewer reads.
//! Referrals in the console pick from this catalogue only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{CsrfForm, Staff};
use super::layout::{self, PageLang};
use super::words::work::{Work, words};
use crate::county::accounts::Role;
use crate::county::audit;
use crate::county::server::Shared;
use crate::county::units::{self, Unit, UnitProblem};
use crate::i18n::Lang;

/// The add form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub name: String,
}

/// What the page says after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Done(String),
    Problem(String),
}

/// The page's content: `editable` for the office, with its CSRF field.
pub fn render(w: &Work, units: &[Unit], editable: Option<Markup>, notice: Option<&Notice>) -> Markup {
    html! {
        @match notice {
            Some(Notice::Done(text)) => p.done role="status" { (text) },
            Some(Notice::Problem(text)) => p.error role="alert" { (text) },
            None => {},
        }
        @if editable.is_none() { p.muted { (w.read_only) } }
        table.units {
            thead { tr {
                th { (w.col_name) } th { (w.col_initials) } th { (w.col_state) }
                @if editable.is_some() { th {} }
            } }
            tbody {
                @for u in units {
                    tr class=[u.disabled.then_some("disabled")] {
                        td { (u.name) }
                        td { (u.initials) }
                        td { (if u.disabled { w.disabled } else { w.in_use }) }
                        @if let Some(csrf) = &editable {
                            td {
                                @if !u.disabled {
                                    form.inline method="post" action={ "/office/units/" (u.id) "/disable" } {
                                        (csrf)
                                        button type="submit" { (w.disable) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(csrf) = &editable {
            form method="post" action="/office/units" {
                (csrf)
                fieldset {
                    legend { (w.add_unit) }
                    label { (w.unit_name) " " input type="text" name="name" required size="30"; }
                    " " button type="submit" { (w.add) }
                }
            }
            form method="post" action="/office/units/import" {
                (csrf)
                p { (w.import_hint) " " button type="submit" { (w.import_units) } }
            }
        }
    }
}

/// The catalogue as `staff` may see it, with `notice`.
async fn show(shared: &Shared, staff: &Staff, lang: Lang, notice: Option<Notice>) -> Response {
    let w = words(lang);
    let units = match units::list(&shared.db, true).await {
        Ok(units) => units,
        Err(e) => return super::server_error("the unit catalogue", &e),
    };
    let editable = (staff.role() == Role::Office).then(|| layout::csrf_field(staff));
    let status = match notice {
        Some(Notice::Problem(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    layout::answer(
        status,
        layout::page(
            lang,
            Some(staff),
            w.catalogue,
            render(w, &units, editable, notice.as_ref()),
        ),
    )
}

/// `GET /office/units`.
pub async fn page(staff: Staff, PageLang(lang): PageLang, State(shared): State<Shared>) -> Response {
    show(&shared, &staff, lang, None).await
}

/// `POST /office/units`: a unit added.
pub async fn add(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    CsrfForm { staff, form }: CsrfForm<AddForm>,
) -> Response {
    let w = words(lang);
    let notice = match units::add(&shared.db, &form.name).await {
        Ok(unit) => {
            audit::note(
                &shared.db,
                &staff.user.name,
                "unit_add",
                &unit.name,
                &staff.address,
                &unit.initials,
            )
            .await;
            Notice::Done(w.unit_added(&unit.name, &unit.initials))
        }
        Err(UnitProblem::County(e)) => return super::server_error("adding a unit", &e),
        Err(problem) => Notice::Problem(problem.message(lang)),
    };
    show(&shared, &staff, lang, Some(notice)).await
}

/// `POST /office/units/{id}/disable`: a unit no longer offered.
pub async fn disable(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    Path(id): Path<i64>,
    CsrfForm { staff, .. }: CsrfForm<super::appeal::Empty>,
) -> Response {
    let w = words(lang);
    let disabled = async {
        let name = units::list(&shared.db, true)
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .map(|u| u.name);
        Ok::<_, crate::county::CountyError>(match name {
            Some(name) if units::disable(&shared.db, id).await? => Some(name),
            _ => None,
        })
    }
    .await;
    let notice = match disabled {
        Ok(Some(name)) => {
            audit::note(
                &shared.db,
                &staff.user.name,
                "unit_disable",
                &name,
                &staff.address,
                "",
            )
            .await;
            Some(Notice::Done(w.unit_disabled(&name)))
        }
        Ok(None) => None,
        Err(e) => return super::server_error("disabling a unit", &e),
    };
    show(&shared, &staff, lang, notice).await
}

/// `POST /office/units/import`: the units the stations' appeals name.
pub async fn import(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    CsrfForm { staff, .. }: CsrfForm<super::appeal::Empty>,
) -> Response {
    let w = words(lang);
    let added = match units::import_from_appeals(&shared.db).await {
        Ok(added) => added,
        Err(e) => return super::server_error("importing units", &e),
    };
    let names: Vec<String> = added.into_iter().map(|u| u.name).collect();
    audit::note(
        &shared.db,
        &staff.user.name,
        "unit_import",
        "units",
        &staff.address,
        &names.join("\n"),
    )
    .await;
    show(&shared, &staff, lang, Some(Notice::Done(w.imported(&names)))).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::console::words::work::words;
    use crate::i18n::Lang;

    fn units() -> Vec<Unit> {
        vec![
            Unit {
                id: 1,
                name: "青禾县住房和城乡建设局".into(),
                initials: "qhxzfhcxjsj".into(),
                disabled: false,
            },
            Unit {
                id: 2,
                name: "青禾县<旧>局".into(),
                initials: "qhxjj".into(),
                disabled: true,
            },
        ]
    }

    #[test]
    fn a_viewer_reads_the_catalogue_without_forms() {
        let page = render(words(Lang::Zh), &units(), None, None).into_string();
        assert!(page.contains("qhxzfhcxjsj"));
        assert!(page.contains("青禾县&lt;旧&gt;局"), "escaped: {page}");
        assert!(!page.contains("<form"), "{page}");
    }

    #[test]
    fn the_office_may_add_disable_and_import() {
        let csrf = html! { input type="hidden" name="csrf" value="t"; };
        let page = render(words(Lang::Zh), &units(), Some(csrf), None).into_string();
        assert!(page.contains("/office/units/1/disable"));
        assert!(!page.contains("/office/units/2/disable"), "disabled already");
        assert!(page.contains("action=\"/office/units/import\""));
        assert_eq!(page.matches("name=\"csrf\"").count(), 3);
    }
}
