//! The management reports (DOMAIN §7, issue 15) as JSON, CSV and Excel; the drill-down from
//! a cell to its tickets; the report settings and the monthly improvement actions.

use aftersales_app::reporting::{
    CellParams, CellTickets, DeskCompliance, Improvements, ListFile, ListFormat, MonthlyRegions, MonthlyService,
    ReportKind, ReportParams, ReportSettings, WeeklyEngineers,
};
use aftersales_domain::Lang;
use aftersales_domain::error::Reason;
use aftersales_domain::reporting::{CustomerServiceReport, Period, Preset};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Query};
use crate::openapi::ErrorResponse;

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// The reader's language from `Accept-Language` (Chinese by default).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or(Lang::Zh)
}

/// A downloaded file's bytes, as the OpenAPI document describes them.
pub struct ReportDownload;

impl utoipa::PartialSchema for ReportDownload {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for ReportDownload {}

/// A report file as a download (CSV: one sheet, UTF-8 with a BOM; XLSX: every sheet).
pub fn download(
    file: &aftersales_app::reporting::ReportFile,
    format: &str,
    sheet: usize,
) -> Result<Response, ApiError> {
    let stem = &file.title;
    let (ctype, name, bytes) = match format {
        "csv" => {
            let s = file
                .sheets
                .get(sheet)
                .ok_or_else(|| ApiError::from(aftersales_app::AppError::invalid("sheet", Reason::Unknown)))?;
            ("text/csv; charset=utf-8", format!("{stem} {}.csv", s.name), aftersales_export::csv(s).into_bytes())
        }
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{stem}.xlsx"),
            aftersales_export::xlsx(&file.sheets)
                .map_err(|e| ApiError::from(aftersales_app::AppError::internal("xlsx", e)))?,
        ),
        _ => return Err(aftersales_app::AppError::invalid("format", Reason::Unknown).into()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// A `Content-Disposition` that keeps a Chinese file name: an ASCII fallback and the
/// RFC 5987 UTF-8 name (quotes, slashes and line breaks taken out).
pub(crate) fn attachment(name: &str) -> String {
    let name: String = name.chars().filter(|c| !matches!(c, '"' | '/' | '\\' | '\r' | '\n')).collect();
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", aftersales_app::reporting::enc(&name))
}

/// A written list as a download, streamed from its temporary file (never whole in memory).
pub fn list_download(file: ListFile) -> Response {
    let headers = [
        (header::CONTENT_TYPE, file.content_type.to_owned()),
        (header::CONTENT_DISPOSITION, attachment(&file.file_name)),
        (header::CONTENT_LENGTH, file.len.to_string()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    let stream = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file.file), 64 * 1024);
    (headers, axum::body::Body::from_stream(stream)).into_response()
}

/// 每周报修事件分析表 (tickets dispatched in the period); an engineer gets their own line.
#[utoipa::path(get, path = "/api/v1/reports/weekly-engineers", tag = "reporting", security(("bearer" = [])),
    params(ReportParams), responses((status = 200, body = WeeklyEngineers), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn weekly(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(p): Query<ReportParams>,
) -> Answer<WeeklyEngineers> {
    let f = s.app.report_filter(&actor, &p, ReportKind::WeeklyEngineers).await?;
    Ok(axum::Json(s.app.weekly_engineers(&actor, &f).await?))
}

/// 每月报修事件分析表 (tickets registered in the period) by region and customer.
#[utoipa::path(get, path = "/api/v1/reports/monthly-regions", tag = "reporting", security(("bearer" = [])),
    params(ReportParams), responses((status = 200, body = MonthlyRegions), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn regions(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(p): Query<ReportParams>,
) -> Answer<MonthlyRegions> {
    let f = s.app.report_filter(&actor, &p, ReportKind::MonthlyRegions).await?;
    Ok(axum::Json(s.app.monthly_regions(&actor, &f).await?))
}

/// 售后服务月度报告, the staff's edition.
#[utoipa::path(get, path = "/api/v1/reports/monthly-service", tag = "reporting", security(("bearer" = [])),
    params(ReportParams), responses((status = 200, body = MonthlyService), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn service(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(p): Query<ReportParams>,
) -> Answer<MonthlyService> {
    let f = s.app.report_filter(&actor, &p, ReportKind::MonthlyService).await?;
    Ok(axum::Json(s.app.monthly_service(&actor, &f).await?))
}

/// Desk compliance (seed 004): late or incomplete registrations, late dispatches, late
/// reports per desk agent, with the configured amounts.
#[utoipa::path(get, path = "/api/v1/reports/desk-compliance", tag = "reporting", security(("bearer" = [])),
    params(ReportParams), responses((status = 200, body = DeskCompliance), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn desk(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(p): Query<ReportParams>,
) -> Answer<DeskCompliance> {
    let f = s.app.report_filter(&actor, &p, ReportKind::DeskCompliance).await?;
    Ok(axum::Json(s.app.desk_compliance(&actor, &f).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerEditionQuery {
    /// The customer organization (staff only; a contact reads their own).
    pub customer: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub preset: Option<String>,
}

/// The customer edition of the monthly service report: a contact reads their own
/// organization's; staff who read the reports name the customer.
#[utoipa::path(get, path = "/api/v1/reports/customer-edition", tag = "reporting", security(("bearer" = [])),
    params(CustomerEditionQuery), responses((status = 200, body = CustomerServiceReport), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn customer_edition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<CustomerEditionQuery>,
) -> Answer<CustomerServiceReport> {
    let period = Period::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        q.preset.as_deref(),
        s.app.service_today(),
        Preset::LastMonth,
    )
    .map_err(aftersales_app::AppError::from)?;
    Ok(axum::Json(s.app.customer_service_report(&actor, q.customer, period).await?))
}

/// The tickets behind one cell of a report (the same filters and condition as its number).
#[utoipa::path(get, path = "/api/v1/reports/cell", tag = "reporting", security(("bearer" = [])),
    params(CellParams), responses((status = 200, body = CellTickets), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn cell(State(s): State<AppState>, Auth(actor): Auth, Query(p): Query<CellParams>) -> Answer<CellTickets> {
    Ok(axum::Json(s.app.report_cell(&actor, &p).await?))
}

/// The file of a list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ListFormatQuery {
    /// `csv` or `xlsx`.
    pub format: String,
}

/// Every ticket behind one cell as a CSV or Excel file: the drill-down's query and order
/// without its 500-ticket limit, streamed (a list of any length; Excel up to its row limit).
#[utoipa::path(get, path = "/api/v1/reports/cell/export", tag = "reporting", security(("bearer" = [])),
    params(CellParams, ListFormatQuery), responses(
        (status = 200, body = ReportDownload, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn cell_export(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    Query(p): Query<CellParams>,
    Query(f): Query<ListFormatQuery>,
) -> Result<Response, ApiError> {
    let format = ListFormat::parse(&f.format)?;
    Ok(list_download(s.app.report_cell_export(&actor, &p, format, lang_of(&headers)).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ExportQuery {
    /// `daily-notices`, `weekly-engineers`, `monthly-regions`, `monthly-service`, `desk-compliance`.
    pub report: String,
    /// `csv` (one sheet) or `xlsx` (every sheet, with native charts).
    pub format: String,
    /// The sheet of a CSV (0 first).
    pub sheet: Option<usize>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub preset: Option<String>,
    pub customer: Option<i64>,
    pub region: Option<String>,
    pub engineer: Option<i64>,
    pub category: Option<i64>,
    pub priority: Option<String>,
}

/// A report as a CSV or Excel file: the same numbers as on screen.
#[utoipa::path(get, path = "/api/v1/reports/export", tag = "reporting", security(("bearer" = [])),
    params(ExportQuery), responses(
        (status = 200, body = ReportDownload, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn export(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let kind = match q.report.trim() {
        "" => return Err(aftersales_app::AppError::invalid("report", Reason::Missing).into()),
        r => ReportKind::from_code(r).ok_or_else(|| aftersales_app::AppError::invalid("report", Reason::Unknown))?,
    };
    if !matches!(q.format.as_str(), "csv" | "xlsx") {
        return Err(aftersales_app::AppError::invalid("format", Reason::Unknown).into());
    }
    let p = ReportParams {
        from: q.from,
        to: q.to,
        preset: q.preset,
        customer: q.customer,
        region: q.region,
        engineer: q.engineer,
        category: q.category,
        priority: q.priority,
    };
    let f = s.app.report_filter(&actor, &p, kind).await?;
    let file = s.app.report_file_for(&actor, kind, &f, lang_of(&headers)).await?;
    download(&file, &q.format, q.sheet.unwrap_or(0))
}

/// The weekly table's blue/red weights and the desk's rules and amounts.
#[utoipa::path(get, path = "/api/v1/reports/settings", tag = "reporting", security(("bearer" = [])),
    responses((status = 200, body = ReportSettings), (status = 403, body = ErrorResponse)))]
pub async fn settings(State(s): State<AppState>, Auth(actor): Auth) -> Answer<ReportSettings> {
    Ok(axum::Json(s.app.report_settings(&actor).await?))
}

/// Sets the weights (a counter is blue, red or neither) and the desk's rules and amounts.
#[utoipa::path(put, path = "/api/v1/reports/settings", tag = "reporting", security(("bearer" = [])),
    request_body = ReportSettings, responses((status = 200, body = ReportSettings), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn put_settings(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(b): Json<ReportSettings>,
) -> Answer<ReportSettings> {
    Ok(axum::Json(s.app.put_report_settings(&actor, &b).await?))
}

/// A month's improvement actions (`YYYY-MM`).
#[utoipa::path(get, path = "/api/v1/reports/improvements/{month}", tag = "reporting", security(("bearer" = [])),
    params(("month" = String, Path)), responses((status = 200, body = Improvements), (status = 403, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn improvements(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(month): Path<String>,
) -> Answer<Improvements> {
    Ok(axum::Json(s.app.improvements(&actor, &month).await?))
}

/// What the supervisor writes: the text and the version it was based on (0: none yet).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImprovementsInput {
    pub body: String,
    pub version: i64,
}

/// Writes a month's improvement actions; an edit based on an older version is refused (409).
#[utoipa::path(put, path = "/api/v1/reports/improvements/{month}", tag = "reporting", security(("bearer" = [])),
    params(("month" = String, Path)), request_body = ImprovementsInput,
    responses((status = 200, body = Improvements), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 422, body = ErrorResponse)))]
pub async fn put_improvements(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(month): Path<String>,
    Json(b): Json<ImprovementsInput>,
) -> Answer<Improvements> {
    Ok(axum::Json(s.app.put_improvements(&actor, &month, &b.body, b.version).await?))
}
