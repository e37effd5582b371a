//! The whole list behind a report cell as a file (CSV or Excel), however long.
//!
//! The screen's drill-down shows the newest [`super::DRILL_LIMIT`] tickets of a cell; a
//! data specialist who needs all of them takes this file. It is read page by page through
//! a keyset (`storage::reporting::drill_page`) and written row by row to an anonymous
//! temporary file (CSV lines, or `aftersales_export::XlsxStream` in rust_xlsxwriter's
//! constant-memory mode), so memory stays that of one page whatever the number of
//! tickets. Issue 15's target, 100,000 rows in under 5 s with memory that does not grow,
//! is measured by `aftersales bench export`.

use std::io::{BufWriter, Seek, SeekFrom, Write};

use aftersales_domain::error::Reason;
use aftersales_domain::ticket::Status;
use aftersales_domain::{Lang, Timestamp};
use aftersales_export::{Cell, Column, Kind, Sheet, XlsxStream, csv_row};
use aftersales_storage::catalog;
use aftersales_storage::reporting::{self as store, Basis, ListedTicket};

use super::CellParams;
use crate::{Actor, App, AppError, Result};

/// Tickets read per page.
const PAGE: u64 = 2_000;
/// Excel's rows per sheet, less the title, notes and header.
const XLSX_MAX_ROWS: i64 = 1_048_576 - 8;
/// Excel's limit of characters in one cell.
const XLSX_MAX_CELL: usize = 32_767;

/// The file a list is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Csv,
    Xlsx,
}

impl ListFormat {
    /// `csv` or `xlsx`; anything else is refused naming the field.
    pub fn parse(code: &str) -> Result<ListFormat> {
        match code.trim() {
            "csv" => Ok(ListFormat::Csv),
            "xlsx" => Ok(ListFormat::Xlsx),
            "" => Err(AppError::invalid("format", Reason::Missing)),
            _ => Err(AppError::invalid("format", Reason::Unknown)),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ListFormat::Csv => "text/csv; charset=utf-8",
            ListFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ListFormat::Csv => "csv",
            ListFormat::Xlsx => "xlsx",
        }
    }
}

/// A file made for download: an anonymous temporary file (removed when dropped), at its
/// start, streamed to the reader rather than held in memory.
#[derive(Debug)]
pub struct ListFile {
    /// The name a download suggests (e.g. "张工 · 响应超时 · 2026-11-30 至 2026-12-06.xlsx").
    pub file_name: String,
    pub content_type: &'static str,
    /// Rows (tickets) in the file.
    pub rows: usize,
    /// Bytes in the file.
    pub len: u64,
    pub file: std::fs::File,
}

impl ListFile {
    /// Wraps a finished temporary file, rewound to its start.
    pub(crate) fn of(
        mut file: std::fs::File,
        file_name: String,
        content_type: &'static str,
        rows: usize,
    ) -> Result<ListFile> {
        let len = file.seek(SeekFrom::End(0)).map_err(|e| AppError::internal("temporary file", e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| AppError::internal("temporary file", e))?;
        Ok(ListFile { file_name, content_type, rows, len, file })
    }
}

fn basis_label(basis: Basis, lang: Lang) -> &'static str {
    match (basis, lang) {
        (Basis::Registered, Lang::Zh) => "报修时间",
        (Basis::Registered, Lang::En) => "Registered at",
        (Basis::Dispatched, Lang::Zh) => "派工时间",
        (Basis::Dispatched, Lang::En) => "Dispatched at",
        (Basis::Resolved, Lang::Zh) => "解决时间",
        (Basis::Resolved, Lang::En) => "Resolved at",
        (Basis::Closed, Lang::Zh) => "结案时间",
        (Basis::Closed, Lang::En) => "Closed at",
    }
}

fn columns(basis: Basis, lang: Lang) -> Vec<Column> {
    let zh = lang == Lang::Zh;
    let t = |z: &str, e: &str| if zh { z.to_owned() } else { e.to_owned() };
    vec![
        Column::new(t("工单编号", "Ticket"), Kind::Text),
        Column::new(t("客户", "Customer"), Kind::Text),
        Column::new(t("区域", "Region"), Kind::Text),
        Column::new(t("级别", "Level"), Kind::Text),
        Column::new(t("一线工程师", "First-line engineer"), Kind::Text),
        Column::new(t("状态", "Status"), Kind::Text),
        Column::new(basis_label(basis, lang), Kind::DateTime),
        Column::new(t("问题描述", "Problem description"), Kind::Text),
    ]
}

impl App {
    /// Every ticket behind one cell of a report (the same query, access rule and order as
    /// [`App::report_cell`], without its limit), written as a CSV or Excel file.
    pub async fn report_cell_export(
        &self,
        actor: &Actor,
        p: &CellParams,
        format: ListFormat,
        lang: Lang,
    ) -> Result<ListFile> {
        let cell = self.cell_query(actor, p).await?;
        let conn = self.store.read();
        let (_, total) = store::drill(conn, &cell.facts, &cell.slice, 0).await?;
        if format == ListFormat::Xlsx && total > XLSX_MAX_ROWS {
            return Err(AppError::invalid(
                "format",
                Reason::Mismatch {
                    detail_en: "the list is longer than Excel's 1,048,576 rows: take the CSV, or a shorter period",
                    detail_zh: "清单超过 Excel 的 1,048,576 行上限：请导出 CSV，或缩短统计期间",
                },
            ));
        }
        let levels: Vec<(String, String)> = catalog::grading_scheme(conn)
            .await?
            .levels
            .into_iter()
            .map(|l| {
                let name = if lang == Lang::Zh { l.name_zh } else { l.name_en };
                (l.code, name)
            })
            .collect();
        let tz = self.settings.time_zone.clone();
        let row = |t: ListedTicket| -> Vec<Cell> {
            let level = t.priority.map(|code| {
                let name = levels.iter().find(|(c, _)| *c == code).map(|(_, n)| n.as_str());
                match name {
                    Some(n) if !n.is_empty() => format!("{code} {n}"),
                    _ => code,
                }
            });
            let status = Status::from_code(&t.status).map_or(t.status.clone(), |s| s.label(lang).to_owned());
            let mut description = t.description;
            if description.chars().count() > XLSX_MAX_CELL {
                description = description.chars().take(XLSX_MAX_CELL - 1).chain(['…']).collect();
            }
            vec![
                Cell::Text(t.number),
                Cell::Text(t.customer),
                Cell::Text(t.region),
                level.into(),
                t.engineer.into(),
                Cell::Text(status),
                civil(t.at, &tz),
                Cell::Text(description),
            ]
        };
        let counted = match lang {
            Lang::Zh => format!("共 {total} 张工单，按{}从新到旧", basis_label(cell.facts.basis, lang)),
            Lang::En => format!("{total} tickets, newest first ({})", basis_label(cell.facts.basis, lang)),
        };
        let head = Sheet {
            name: cell.measure.label(lang).to_owned(),
            title: cell.title.clone(),
            notes: vec![counted],
            columns: columns(cell.facts.basis, lang),
            ..Sheet::default()
        };
        let tmp = tempfile::tempfile().map_err(|e| AppError::internal("temporary file", e))?;
        let mut after = None;
        let (file, rows) = match format {
            ListFormat::Csv => {
                let kinds: Vec<Kind> = head.columns.iter().map(|c| c.kind).collect();
                let mut out = BufWriter::with_capacity(64 * 1024, tmp);
                let header: Vec<Cell> = head.columns.iter().map(|c| Cell::Text(c.header.clone())).collect();
                let write = |out: &mut BufWriter<std::fs::File>, line: &str| {
                    out.write_all(line.as_bytes()).map_err(|e| AppError::internal("writing the list", e))
                };
                write(&mut out, "\u{feff}")?;
                write(&mut out, &csv_row(&header, &[]))?;
                let mut rows = 0;
                loop {
                    let (page, next) = store::drill_page(conn, &cell.facts, &cell.slice, after, PAGE).await?;
                    for t in page {
                        write(&mut out, &csv_row(&row(t), &kinds))?;
                        rows += 1;
                    }
                    match next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                }
                let file = out.into_inner().map_err(|e| AppError::internal("writing the list", e.into_error()))?;
                (file, rows)
            }
            ListFormat::Xlsx => {
                let export = |e: aftersales_export::Error| AppError::internal("xlsx", e);
                let mut sheet = XlsxStream::new(&head).map_err(export)?;
                loop {
                    let (page, next) = store::drill_page(conn, &cell.facts, &cell.slice, after, PAGE).await?;
                    for t in page {
                        sheet.push(&row(t)).map_err(export)?;
                    }
                    match next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                }
                // Zipping the sheet is seconds of CPU for a long list: off the async workers.
                tokio::task::spawn_blocking(move || {
                    let mut file = tmp;
                    let rows = sheet.finish(&mut file).map_err(export)?;
                    Ok::<_, AppError>((file, rows))
                })
                .await
                .map_err(|e| AppError::internal("xlsx", e))??
            }
        };
        let name = format!("{}.{}", cell.title, format.extension());
        ListFile::of(file, name, format.content_type(), rows)
    }
}

fn civil(t: Timestamp, tz: &jiff::tz::TimeZone) -> Cell {
    Cell::DateTime(t.to_zoned(tz.clone()).datetime())
}
