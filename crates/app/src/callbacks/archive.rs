//! The archive by customer – type – date (seed 000 (五): "按'客户名称-问题类型-日期'分类存储"):
//! closed tickets browsed with filters, and a period exported as a ZIP of a CSV table plus
//! the signed service reports, in folders 客户/类型/日期.

use std::io::Write as _;

use aftersales_domain::Lang;
use aftersales_domain::error::Reason;
use aftersales_domain::permission::Action;
use aftersales_domain::service_report::ReportStatus;
use aftersales_domain::ticket::Kind;
use aftersales_export::Cell;
use aftersales_files::BlobId;
use aftersales_storage::callbacks::{self as store, ArchiveFilter, ArchiveRow};
use serde::{Deserialize, Serialize};

use crate::reporting::ListFile;
use crate::users::Page;
use crate::{Actor, App, AppError, Result};

/// What the archive is asked for: customer, kind, category, closing dates (inclusive,
/// `YYYY-MM-DD` in the service time zone).
#[derive(Debug, Clone, Default)]
pub struct ArchiveQuery {
    pub customer_id: Option<i64>,
    pub kind: Option<String>,
    pub category_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Page,
}

/// A closed ticket in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveItem {
    pub ticket_id: i64,
    pub number: String,
    pub customer: String,
    pub kind: Kind,
    pub category: Option<String>,
    pub device_model: Option<String>,
    pub fault_code: Option<String>,
    pub description: String,
    pub resolution: Option<String>,
    pub engineer: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub registered_at: aftersales_domain::Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub closed_at: aftersales_domain::Timestamp,
    pub survey_result: Option<aftersales_domain::clock::SurveyResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchivePage {
    pub items: Vec<ArchiveItem>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The most tickets one ZIP export holds; a longer period is refused (choose a shorter one).
pub const MAX_EXPORT: u64 = 5000;

/// The CSV table's columns, in Chinese (seed 000 模板1/模板3 words).
const HEADERS: [&str; 12] = [
    "问题编号",
    "客户名称",
    "问题类型",
    "分类",
    "设备型号",
    "报警代码",
    "问题描述",
    "处理结果",
    "服务人员",
    "受理时间",
    "结案时间",
    "客户评价",
];

impl App {
    fn archive_filter(&self, q: &ArchiveQuery, limit: u64, offset: u64) -> Result<ArchiveFilter> {
        let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(Kind::from_code(k).ok_or_else(|| AppError::invalid("kind", Reason::Unknown))?),
        };
        let from = match q.from.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(self.period(d, d).map_err(|_| bad_date("from"))?.0),
        };
        let to = match q.to.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(self.period(d, d).map_err(|_| bad_date("to"))?.1),
        };
        if let (Some(a), Some(b)) = (from, to)
            && b <= a
        {
            return Err(AppError::invalid(
                "to",
                Reason::Mismatch { detail_en: "is before the start date", detail_zh: "早于开始日期" },
            ));
        }
        Ok(ArchiveFilter { customer_id: q.customer_id, kind, category_id: q.category_id, from, to, limit, offset })
    }

    /// Closed tickets by customer, kind and closing date.
    pub async fn archive(&self, actor: &Actor, q: &ArchiveQuery) -> Result<ArchivePage> {
        actor.require_staff(Action::ReadCallbacks)?;
        let f = self.archive_filter(q, q.page.limit(), q.page.offset())?;
        let (rows, total) = store::archive(self.store.read(), &f).await?;
        Ok(ArchivePage {
            items: rows.into_iter().map(item).collect(),
            total,
            page: q.page.page,
            per_page: q.page.per_page,
        })
    }

    /// The period as a ZIP: `归档.csv` (UTF-8 with BOM, Chinese headers, formula-like text
    /// neutralised) and each ticket's signed service reports under 客户/类型/日期/. At most
    /// [`MAX_EXPORT`] tickets; more is refused naming the period. The ZIP is written to an
    /// anonymous temporary file one report at a time (a report is read from the file store,
    /// added, and dropped), so memory holds the table and one PDF, not the whole archive.
    pub async fn archive_zip(&self, actor: &Actor, q: &ArchiveQuery) -> Result<ListFile> {
        actor.require_staff(Action::ReadCallbacks)?;
        let f = self.archive_filter(q, MAX_EXPORT + 1, 0)?;
        let conn = self.store.read();
        let (rows, total) = store::archive(conn, &f).await?;
        if total > MAX_EXPORT {
            return Err(AppError::invalid(
                "to",
                Reason::Mismatch {
                    detail_en: "makes the period too long: at most 5000 tickets per export",
                    detail_zh: "时间段过长：每次最多导出 5000 个工单",
                },
            ));
        }
        let mut table = vec![HEADERS.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
        table.extend(rows.iter().map(|r| self.csv_row(r)));
        let tmp = tempfile::tempfile().map_err(|e| AppError::internal("temporary file", e))?;
        let mut zip = Zip::new(tmp, &csv_bytes(&table))?;
        for r in &rows {
            for rep in aftersales_storage::reports::of_ticket(conn, r.ticket_id).await? {
                if rep.status != ReportStatus::Signed {
                    continue;
                }
                let Some(sha) = rep.pdf_sha256.as_deref().and_then(BlobId::parse) else { continue };
                let path = format!(
                    "{}/{}/{}/{}-服务报告-v{}.pdf",
                    folder(&r.customer),
                    r.kind.label(Lang::Zh),
                    self.local_date(r.closed_at),
                    r.number,
                    rep.version
                );
                let pdf = self.fetch(&sha).await?;
                zip.add(path, &pdf)?;
            }
        }
        let file = tokio::task::spawn_blocking(move || zip.finish())
            .await
            .map_err(|e| AppError::internal("making the archive ZIP", e))??;
        ListFile::of(file, "归档.zip".to_owned(), "application/zip", rows.len())
    }

    fn csv_row(&self, r: &ArchiveRow) -> Vec<String> {
        vec![
            r.number.clone(),
            r.customer.clone(),
            r.kind.label(Lang::Zh).to_owned(),
            r.category.clone().unwrap_or_default(),
            r.device_model.clone().unwrap_or_default(),
            r.fault_code.clone().unwrap_or_default(),
            r.description.clone(),
            r.resolution.clone().unwrap_or_default(),
            r.engineer.clone().unwrap_or_default(),
            self.local_time(r.registered_at),
            self.local_time(r.closed_at),
            r.survey_result.map(|s| s.label(Lang::Zh).to_owned()).unwrap_or_default(),
        ]
    }

    fn local_time(&self, t: aftersales_domain::Timestamp) -> String {
        t.to_zoned(self.settings.time_zone.clone()).strftime("%Y-%m-%d %H:%M").to_string()
    }

    fn local_date(&self, t: aftersales_domain::Timestamp) -> String {
        t.to_zoned(self.settings.time_zone.clone()).date().to_string()
    }
}

fn bad_date(field: &'static str) -> AppError {
    AppError::invalid(field, Reason::Malformed { expected_en: "YYYY-MM-DD", expected_zh: "YYYY-MM-DD 格式的日期" })
}

fn item(r: ArchiveRow) -> ArchiveItem {
    ArchiveItem {
        ticket_id: r.ticket_id,
        number: r.number,
        customer: r.customer,
        kind: r.kind,
        category: r.category,
        device_model: r.device_model,
        fault_code: r.fault_code,
        description: r.description,
        resolution: r.resolution,
        engineer: r.engineer,
        registered_at: r.registered_at,
        closed_at: r.closed_at,
        survey_result: r.survey_result,
    }
}

/// A folder name from a customer's name: no path separators or characters archive tools
/// refuse.
fn folder(name: &str) -> String {
    let s: String =
        name.chars()
            .map(|c| {
                if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
    let s = s.trim().trim_matches('.').to_owned();
    if s.is_empty() { "_".into() } else { s }
}

/// The table as CSV through `aftersales_export` (UTF-8 with a BOM so Excel reads the Chinese,
/// CRLF, RFC 4180 quoting, text starting with = + - @ neutralised by an apostrophe).
pub fn csv_bytes(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    for row in rows {
        let cells: Vec<Cell> = row.iter().map(|c| Cell::text(c.as_str())).collect();
        out.push_str(&aftersales_export::csv_row(&cells, &[]));
    }
    out.into_bytes()
}

/// The archive's ZIP as it is written: the table first, then the reports.
struct Zip {
    w: zip::ZipWriter<std::fs::File>,
    seen: std::collections::HashSet<String>,
}

fn zip_failed(e: impl std::error::Error + Send + Sync + 'static) -> AppError {
    AppError::internal("making the archive ZIP", e)
}

impl Zip {
    fn new(file: std::fs::File, csv: &[u8]) -> Result<Zip> {
        let mut w = zip::ZipWriter::new(file);
        let deflate = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("归档.csv", deflate).map_err(zip_failed)?;
        w.write_all(csv).map_err(zip_failed)?;
        Ok(Zip { w, seen: std::collections::HashSet::new() })
    }

    /// Adds a PDF (stored: PDFs are compressed already); a path already added is skipped.
    fn add(&mut self, path: String, bytes: &[u8]) -> Result<()> {
        if !self.seen.insert(path.clone()) {
            return Ok(());
        }
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        self.w.start_file(path, stored).map_err(zip_failed)?;
        self.w.write_all(bytes).map_err(zip_failed)
    }

    fn finish(self) -> Result<std::fs::File> {
        self.w.finish().map_err(zip_failed)
    }
}
