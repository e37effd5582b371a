//! Excel files with `rust_xlsxwriter`: typed cells, frozen header, widths, native charts.
//!
//! Layout of a sheet: the title (bold, larger) in the first row, one row per note, an empty
//! row, the header (bold, frozen), the rows, the totals row (bold); charts to the right.

use std::collections::HashSet;
use std::io::Write;

use rust_xlsxwriter::{
    Chart as XChart, ChartType, ColNum, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError,
};

use crate::{Cell, ChartKind, Column, Error, Kind, Sheet, display_width, looks_like_formula};

/// Excel's limits.
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
/// Column widths are kept between these (in characters).
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

/// The formats of one workbook, by column kind.
struct Formats {
    title: Format,
    header: Format,
    text: Format,
    quoted: Format,
    integer: Format,
    decimal: Format,
    percent: Format,
    money: Format,
    date: Format,
    datetime: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new().set_bold().set_text_wrap(),
            text: Format::new(),
            // Excel's quote prefix: the text stays text even when a person edits the cell.
            quoted: Format::new().set_quote_prefix(),
            integer: Format::new().set_num_format("0"),
            decimal: Format::new().set_num_format("0.0"),
            percent: Format::new().set_num_format("0.0%"),
            money: Format::new().set_num_format("#,##0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        }
    }

    fn number(&self, kind: Kind, bold: bool) -> Format {
        let f = match kind {
            Kind::Integer => self.integer.clone(),
            Kind::Percent => self.percent.clone(),
            Kind::Money => self.money.clone(),
            _ => self.decimal.clone(),
        };
        if bold { f.set_bold() } else { f }
    }
}

/// The sheets as one Excel workbook (one worksheet each).
pub fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, Error> {
    let mut wb = Workbook::new();
    let formats = Formats::new();
    let mut names = HashSet::new();
    for sheet in sheets {
        check_size(sheet)?;
        let name = unique_name(&sheet.name, &mut names);
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        let header_row = write_head(ws, sheet, &formats)?;
        let mut row = header_row + 1;
        for cells in &sheet.rows {
            write_row(ws, row, cells, &sheet.columns, &formats, false)?;
            row += 1;
        }
        let last_data = row.saturating_sub(1);
        if let Some(t) = &sheet.totals {
            write_row(ws, row, t, &sheet.columns, &formats, true)?;
        }
        for (i, c) in sheet.columns.iter().enumerate() {
            let content = sheet.rows.iter().chain(sheet.totals.iter()).filter_map(|r| r.get(i)).map(cell_width);
            let width = content.chain([display_width(&c.header)]).max().unwrap_or(MIN_WIDTH);
            ws.set_column_width(col(i)?, (width.clamp(MIN_WIDTH, MAX_WIDTH) + 2) as f64)?;
        }
        if !sheet.rows.is_empty() {
            insert_charts(ws, &name, sheet, header_row, last_data)?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// One sheet written row by row in constant-memory mode: each row goes to a temporary file
/// as soon as the next one starts, so a list of any length takes the memory of one row.
/// Column widths come from the headers and the column kinds (the content is not known ahead).
pub struct XlsxStream {
    wb: Workbook,
    formats: Formats,
    columns: Vec<Column>,
    next_row: RowNum,
    rows: usize,
}

impl std::fmt::Debug for XlsxStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxStream").field("rows", &self.rows).finish()
    }
}

impl XlsxStream {
    /// Starts the sheet `head` describes (its name, title, notes and columns; its rows,
    /// totals and charts are not written: push the rows).
    pub fn new(head: &Sheet) -> Result<XlsxStream, Error> {
        check_size(&Sheet { rows: Vec::new(), ..head.clone() })?;
        let mut wb = Workbook::new();
        let formats = Formats::new();
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(unique_name(&head.name, &mut HashSet::new()))?;
        for (i, c) in head.columns.iter().enumerate() {
            let width = match c.kind {
                Kind::DateTime => 17,
                Kind::Date => 11,
                Kind::Text => display_width(&c.header).max(16),
                _ => display_width(&c.header).max(8),
            };
            ws.set_column_width(col(i)?, (width.clamp(MIN_WIDTH, MAX_WIDTH) + 2) as f64)?;
        }
        let header_row = write_head(ws, head, &formats)?;
        Ok(XlsxStream { wb, formats, columns: head.columns.clone(), next_row: header_row + 1, rows: 0 })
    }

    /// Writes the next row.
    pub fn push(&mut self, cells: &[Cell]) -> Result<(), Error> {
        if self.next_row as usize >= MAX_ROWS {
            return Err(Error::TooManyRows { rows: self.rows + 1, max: MAX_ROWS });
        }
        let ws = self.wb.worksheet_from_index(0)?;
        write_row(ws, self.next_row, cells, &self.columns, &self.formats, false)?;
        self.next_row += 1;
        self.rows += 1;
        Ok(())
    }

    /// How many rows were pushed.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes the workbook to `out` (a file, so the finished workbook need not be held in
    /// memory either) and returns the number of rows.
    pub fn finish<W: Write + Send>(mut self, out: W) -> Result<usize, Error> {
        self.wb.save_to_writer(out)?;
        Ok(self.rows)
    }
}

fn check_size(sheet: &Sheet) -> Result<(), Error> {
    if sheet.columns.len() > MAX_COLUMNS {
        return Err(Error::TooManyColumns { columns: sheet.columns.len(), max: MAX_COLUMNS });
    }
    let rows = sheet.notes.len() + 3 + sheet.rows.len() + usize::from(sheet.totals.is_some());
    if rows > MAX_ROWS {
        return Err(Error::TooManyRows { rows: sheet.rows.len(), max: MAX_ROWS });
    }
    for c in &sheet.charts {
        for &i in c.series.iter().chain([&c.categories]) {
            if i >= sheet.columns.len() {
                return Err(Error::ChartColumn(i));
            }
        }
    }
    Ok(())
}

fn col(i: usize) -> Result<ColNum, Error> {
    ColNum::try_from(i).map_err(|_| Error::TooManyColumns { columns: i + 1, max: MAX_COLUMNS })
}

/// A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not starting
/// or ending with an apostrophe, unique in the workbook (case-insensitively).
fn unique_name(wanted: &str, taken: &mut HashSet<String>) -> String {
    let clean: String =
        wanted.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control()).collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = if clean.is_empty() { "Sheet".into() } else { clean.chars().take(31).collect() };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = 31 - suffix.chars().count();
        name = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    name
}

/// Writes the title, notes and header; returns the header's row.
fn write_head(ws: &mut Worksheet, sheet: &Sheet, f: &Formats) -> Result<RowNum, Error> {
    let mut row: RowNum = 0;
    if !sheet.title.is_empty() {
        ws.write_string_with_format(row, 0, &sheet.title, &f.title)?;
        row += 1;
    }
    for note in &sheet.notes {
        ws.write_string_with_format(row, 0, note, &f.text)?;
        row += 1;
    }
    if row > 0 {
        row += 1;
    }
    for (i, c) in sheet.columns.iter().enumerate() {
        ws.write_string_with_format(row, col(i)?, &c.header, &f.header)?;
    }
    ws.set_freeze_panes(row + 1, 0)?;
    Ok(row)
}

fn write_row(
    ws: &mut Worksheet,
    row: RowNum,
    cells: &[Cell],
    columns: &[Column],
    f: &Formats,
    bold: bool,
) -> Result<(), Error> {
    for (i, cell) in cells.iter().enumerate() {
        let c = col(i)?;
        let kind = columns.get(i).map_or(Kind::Text, |c| c.kind);
        match cell {
            Cell::Empty => {}
            Cell::Text(s) => {
                let fmt = if looks_like_formula(s) { &f.quoted } else { &f.text };
                let fmt = if bold { fmt.clone().set_bold() } else { fmt.clone() };
                ws.write_string_with_format(row, c, s, &fmt)?;
            }
            Cell::Int(n) => {
                let k = if kind == Kind::Text { Kind::Integer } else { kind };
                ws.write_number_with_format(row, c, *n as f64, &f.number(k, bold))?;
            }
            Cell::Num(n) if n.is_finite() => {
                let k = if kind == Kind::Text { Kind::Decimal } else { kind };
                ws.write_number_with_format(row, c, *n, &f.number(k, bold))?;
            }
            Cell::Percent(n) if n.is_finite() => {
                ws.write_number_with_format(row, c, *n, &f.number(Kind::Percent, bold))?;
            }
            Cell::Num(_) | Cell::Percent(_) => {}
            Cell::Date(d) => {
                let x = excel_date(*d)?;
                let fmt = if bold { f.date.clone().set_bold() } else { f.date.clone() };
                ws.write_datetime_with_format(row, c, &x, &fmt)?;
            }
            Cell::DateTime(t) => {
                let x = excel_date(t.date())?.and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64)?;
                let fmt = if bold { f.datetime.clone().set_bold() } else { f.datetime.clone() };
                ws.write_datetime_with_format(row, c, &x, &fmt)?;
            }
        }
    }
    Ok(())
}

fn excel_date(d: jiff::civil::Date) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

fn cell_width(c: &Cell) -> usize {
    match c {
        Cell::Empty => 0,
        Cell::Text(s) => s.lines().map(display_width).max().unwrap_or(0),
        Cell::Int(n) => n.to_string().len(),
        Cell::Num(n) => format!("{n:.1}").len(),
        Cell::Percent(_) => 6,
        Cell::Date(_) => 10,
        Cell::DateTime(_) => 16,
    }
}

/// Each chart to the right of the table, one under the other, reading the sheet's own cells.
fn insert_charts(ws: &mut Worksheet, name: &str, sheet: &Sheet, header: RowNum, last: RowNum) -> Result<(), Error> {
    let right = col(sheet.columns.len() + 1)?;
    for (n, spec) in sheet.charts.iter().enumerate() {
        let mut chart = XChart::new(match spec.kind {
            ChartKind::Column => ChartType::Column,
            ChartKind::Bar => ChartType::Bar,
            ChartKind::Line => ChartType::Line,
            ChartKind::Pie => ChartType::Pie,
        });
        chart.title().set_name(&spec.title);
        let cat = col(spec.categories)?;
        let series = if spec.kind == ChartKind::Pie { &spec.series[..spec.series.len().min(1)] } else { &spec.series };
        for &s in series {
            let c = col(s)?;
            chart
                .add_series()
                .set_name((name, header, c))
                .set_categories((name, header + 1, cat, last, cat))
                .set_values((name, header + 1, c, last, c));
        }
        chart.set_width(640).set_height(360);
        ws.insert_chart(header + (n as RowNum) * 20, right, &chart)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_cleaned_cut_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(unique_name("每周报修事件分析表", &mut taken), "每周报修事件分析表");
        assert_eq!(unique_name("每周报修事件分析表", &mut taken), "每周报修事件分析表 (2)");
        assert_eq!(unique_name("a/b:c*d?[e]", &mut taken), "abcde");
        assert_eq!(unique_name("", &mut taken), "Sheet");
        let long = "长".repeat(40);
        assert_eq!(unique_name(&long, &mut taken).chars().count(), 31);
        assert_eq!(unique_name(&long, &mut taken).chars().count(), 31);
    }
}
