//! The ledgers as one xlsx workbook: a sheet a ledger, its header row in
//! bold and frozen, each column as wide as its words say (long text
//! wraps), subtotal rows in bold.

use std::io::Write;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::Sheet;
use super::rows::Cell;
use crate::i18n::Lang;

/// Writes `sheets` as one workbook to `out`.
pub fn write(out: &mut (dyn Write + Send), sheets: &[Sheet], lang: Lang) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_align(FormatAlign::Top);
    let plain = Format::new().set_align(FormatAlign::Top);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let bold = Format::new().set_bold().set_align(FormatAlign::Top);
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.ledger.name(lang))?;
        for (c, column) in sheet.ledger.columns.iter().enumerate() {
            let c = c as u16;
            ws.set_column_width(c, f64::from(column.width))?;
            ws.write_string_with_format(0, c, column.header(lang), &header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, (cell, column)) in row.cells.iter().zip(sheet.ledger.columns).enumerate() {
                let c = c as u16;
                let format = match (row.subtotal, column.wrap) {
                    (true, _) => &bold,
                    (false, true) => &wrap,
                    (false, false) => &plain,
                };
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string_with_format(r, c, t, format)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number_with_format(r, c, f64::from(*n), format)?;
                    }
                }
            }
        }
    }
    book.save_to_writer(out)
}
