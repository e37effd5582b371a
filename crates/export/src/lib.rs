//! Tables as people take them away: CSV, Excel (XLSX) and SVG charts.
//!
//! A report says what it shows once, as a [`Sheet`]: its title, the notes a reader needs
//! (period, filters, the weights used), typed columns, rows, a totals row and the charts
//! drawn from them. The screen, the CSV, the Excel file and the charts all come from that one
//! value, so their numbers cannot disagree.
//!
//! * [`csv`]: UTF-8 with a byte-order mark (Excel in China opens it without garbling),
//!   RFC 4180 quoting, numbers as numbers, and text that a spreadsheet would take for a
//!   formula (`=`, `+`, `-`, `@` first, after spaces too, or full-width; tab or line break
//!   first) neutralised with a leading
//!   apostrophe (OWASP "CSV injection").
//! * [`xlsx`]: real numbers, percentages and dates (never text), the header frozen, column
//!   widths from the content (a CJK character is two columns wide), the totals row bold, and a
//!   native Excel chart for each [`Chart`]; text cells that begin like a formula get Excel's
//!   quote prefix, so they stay text even when a person edits them.
//! * [`XlsxStream`]: one sheet written row by row in `rust_xlsxwriter`'s constant-memory mode
//!   for long lists (100,000 rows and more): memory does not grow with the rows.
//! * [`svg`], [`svg_linked`]: a chart as inline SVG, printable and offline, every bar or
//!   slice a link to the list behind it when the caller gives one.
//!
//! This crate knows nothing of tickets: callers build the sheets.

mod chart_svg;
mod csv_out;
mod xlsx_out;

pub use chart_svg::{svg, svg_linked};
pub use csv_out::{csv, csv_row};
pub use xlsx_out::{XlsxStream, xlsx};

/// What went wrong making a file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the Excel writer failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("a sheet holds {rows} rows; Excel holds at most {max}")]
    TooManyRows { rows: usize, max: usize },
    #[error("a sheet has {columns} columns; Excel holds at most {max}")]
    TooManyColumns { columns: usize, max: usize },
    #[error("chart column {0} is not a column of the sheet")]
    ChartColumn(usize),
    #[error("writing the file failed: {0}")]
    Io(#[from] std::io::Error),
}

/// One table of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// The worksheet's tab (cut to Excel's 31 characters, without `[]:*?/\`).
    pub name: String,
    /// The first line of the sheet, e.g. "每周报修事件分析表".
    pub title: String,
    /// Lines under the title: the period, the filters, the weights used.
    pub notes: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// A totals row (its first cell usually the word for "total").
    pub totals: Option<Vec<Cell>>,
    pub charts: Vec<Chart>,
}

/// A column: its header and the kind of its values, which decides its number format.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub kind: Kind,
}

impl Column {
    pub fn new(header: impl Into<String>, kind: Kind) -> Column {
        Column { header: header.into(), kind }
    }
}

/// How a column's numbers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Whole numbers: counts.
    Integer,
    /// Numbers with one decimal: hours, averages.
    Decimal,
    /// A share from 0 to 1, shown as a percentage with one decimal.
    Percent,
    /// Yuan with two decimals.
    Money,
    Date,
    /// A civil date and time (already in the service time zone), to the minute.
    DateTime,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Num(f64),
    /// A share from 0 to 1.
    Percent(f64),
    Date(jiff::civil::Date),
    DateTime(jiff::civil::DateTime),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The value as a number, when it is one (totals are compared through this).
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Num(n) | Cell::Percent(n) => Some(*n),
            _ => None,
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(i: i64) -> Cell {
        Cell::Int(i)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// A chart drawn from a sheet: the categories are one column's values (one bar or slice
/// per row), each series another column's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub kind: ChartKind,
    /// The column holding the category labels.
    pub categories: usize,
    /// The columns holding the numbers, one series each.
    pub series: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Vertical bars.
    Column,
    /// Horizontal bars (long category names).
    Bar,
    Line,
    /// Shares of a whole (the first series only).
    Pie,
}

/// Whether a spreadsheet would read this text as a formula (or a DDE command): it begins
/// with `=`, `+`, `-`, `@`, a tab, a carriage return or a line feed; or with one of the
/// four signs after spaces (Excel drops leading spaces on import), or their full-width forms
/// `＝＋－＠` (a Chinese input method types these, and some spreadsheets fold them).
pub fn looks_like_formula(s: &str) -> bool {
    if matches!(s.chars().next(), Some('\t' | '\r' | '\n')) {
        return true;
    }
    let first = s.trim_start_matches([' ', '\u{a0}', '\u{3000}']).chars().next();
    matches!(first, Some('=' | '+' | '-' | '@' | '＝' | '＋' | '－' | '＠'))
}

/// How wide a text is in Excel's columns: a CJK or other wide character takes two.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 && is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A number as a person reads it in a CSV cell: whole numbers without decimals, others with
/// the column's decimals.
pub(crate) fn plain_number(n: f64, kind: Kind) -> String {
    if !n.is_finite() {
        return String::new();
    }
    match kind {
        Kind::Money => format!("{:.2}", round_half_away(n, 2)),
        Kind::Integer => format!("{}", n.round() as i64),
        Kind::Decimal => format!("{:.1}", round_half_away(n, 1)),
        // Shares go out as the number itself (0.853): a CSV is read by programs as much as by
        // people, and "85.3%" parses only in some locales.
        Kind::Percent => format!("{n:.4}"),
        _ => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", n as i64)
            } else {
                format!("{n}")
            }
        }
    }
}

/// Rounds half away from zero (1.25 → 1.3), as people and Excel's display do; `{:.1}` alone
/// would round half to even on the binary value.
pub(crate) fn round_half_away(n: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (n * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_recognised_by_their_first_character() {
        for s in [
            "=1+1",
            "+86 138",
            "-5",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\nx",
            "  =1+1",
            "\u{3000}@x",
            "＝HYPERLINK(1)",
            "＋1",
            "－1",
            "＠A1",
        ] {
            assert!(looks_like_formula(s), "{s:?}");
        }
        for s in ["", "卡纸", "E02 报警", "1-2", "a=b", "  卡纸", "型号＝X1"] {
            assert!(!looks_like_formula(s), "{s:?}");
        }
    }

    #[test]
    fn chinese_characters_are_two_columns_wide() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("卡纸"), 4);
        assert_eq!(display_width("P1 紧急"), 7);
    }
}
