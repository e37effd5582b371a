//! CSV as Excel in China opens it: UTF-8 with a byte-order mark, CRLF, RFC 4180 quoting.

use crate::{Cell, Kind, Sheet, looks_like_formula, plain_number};

/// The sheet as CSV: the header row, the rows, then the totals row. The title and notes are
/// not written (a CSV is one table; the Excel file carries them).
pub fn csv(sheet: &Sheet) -> String {
    let kinds: Vec<Kind> = sheet.columns.iter().map(|c| c.kind).collect();
    let mut out = String::from("\u{feff}");
    let header: Vec<Cell> = sheet.columns.iter().map(|c| Cell::Text(c.header.clone())).collect();
    out.push_str(&csv_row(&header, &[]));
    for row in &sheet.rows {
        out.push_str(&csv_row(row, &kinds));
    }
    if let Some(t) = &sheet.totals {
        out.push_str(&csv_row(t, &kinds));
    }
    out
}

/// One CSV line (with its CRLF) of `cells`, numbers formatted by the column `kinds` (a cell
/// past the kinds is written plainly). For streaming long lists line by line.
pub fn csv_row(cells: &[Cell], kinds: &[Kind]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let kind = kinds.get(i).copied().unwrap_or(Kind::Text);
        let value = match cell {
            Cell::Empty => String::new(),
            Cell::Text(s) if looks_like_formula(s) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(n) => plain_number(*n, if kind == Kind::Text { Kind::Decimal } else { kind }),
            Cell::Percent(n) => plain_number(*n, Kind::Percent),
            Cell::Date(d) => d.strftime("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.strftime("%Y-%m-%d %H:%M").to_string(),
        };
        push_field(&mut line, &value);
    }
    line.push_str("\r\n");
    line
}

fn push_field(line: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Column;

    #[test]
    fn quoting_numbers_and_formulas() {
        let s = Sheet {
            name: "t".into(),
            title: "t".into(),
            columns: vec![
                Column::new("名称", Kind::Text),
                Column::new("次数", Kind::Integer),
                Column::new("时长", Kind::Decimal),
                Column::new("达标率", Kind::Percent),
            ],
            rows: vec![
                vec!["卡纸, 黑线".into(), Cell::Int(3), Cell::Num(1.25), Cell::Percent(0.5)],
                vec!["=HYPERLINK(\"x\")".into(), Cell::Int(-2), Cell::Num(2.0), Cell::Empty],
            ],
            totals: Some(vec!["合计".into(), Cell::Int(1), Cell::Num(3.25), Cell::Percent(0.5)]),
            ..Sheet::default()
        };
        let out = csv(&s);
        assert!(out.starts_with('\u{feff}'));
        let lines: Vec<&str> = out.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "名称,次数,时长,达标率");
        assert_eq!(lines[1], "\"卡纸, 黑线\",3,1.3,0.5000");
        assert_eq!(lines[2], "\"'=HYPERLINK(\"\"x\"\")\",-2,2.0,");
        assert_eq!(lines[3], "合计,1,3.3,0.5000");
    }
}
