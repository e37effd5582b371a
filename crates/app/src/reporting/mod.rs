//! The management reports of DOMAIN §7 (seed 004 §4.1.3, seed 000 (五)): each one use case
//! that reads its whole screen, from `ticket_facts` aggregated in SQL; each one function
//! that turns that screen into its [`Sheet`]s, so the page, the CSV and the Excel file show
//! the same numbers ([`App::report_file`]); the drill-down from any cell to its tickets
//! ([`App::report_cell`]); settings (blue/red weights, the desk's rules and amounts) and the
//! monthly improvement actions.

mod facts;
mod list_export;
mod sheets;

use std::collections::{BTreeMap, BTreeSet};

use aftersales_domain::clock::{ClockKind, SurveyResult};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::notice::gist;
use aftersales_domain::permission::Action;
use aftersales_domain::reporting::{
    self as rules, DeskRules, EngineerCounts, Period, Preset, ReportAccess, ServiceSummary, Weights,
};
use aftersales_domain::ticket::Status;
use aftersales_domain::{DomainError, Id, Lang, Timestamp};
use aftersales_storage::reporting::{self as store, Basis, FactColumn, FactFilter, Slice};
use aftersales_storage::{Conn, catalog, directory, parts, visits};
use serde::{Deserialize, Serialize};

pub use list_export::{ListFile, ListFormat};
pub use sheets::{Links, enc, report_sheets};

use crate::{Actor, App, AppError, Result};

pub(crate) const DESK_RULES_SETTING: &str = "report_desk_rules";
const WEIGHTS_SETTING: &str = "report_weights";
/// At most this many tickets are listed behind one cell (the count is always exact).
pub const DRILL_LIMIT: u64 = 500;
/// The longest period of the daily table, in days.
pub const DAILY_MAX_DAYS: i64 = 31;

/// The reports, for files and subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    DailyNotices,
    WeeklyEngineers,
    MonthlyRegions,
    MonthlyService,
    DeskCompliance,
}

impl ReportKind {
    pub const ALL: [ReportKind; 5] = [
        ReportKind::DailyNotices,
        ReportKind::WeeklyEngineers,
        ReportKind::MonthlyRegions,
        ReportKind::MonthlyService,
        ReportKind::DeskCompliance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ReportKind::DailyNotices => "daily-notices",
            ReportKind::WeeklyEngineers => "weekly-engineers",
            ReportKind::MonthlyRegions => "monthly-regions",
            ReportKind::MonthlyService => "monthly-service",
            ReportKind::DeskCompliance => "desk-compliance",
        }
    }

    pub fn from_code(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The seeds' names of the tables.
    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ReportKind::DailyNotices, Lang::Zh) => "每日未结案暨通告总表",
            (ReportKind::DailyNotices, Lang::En) => "Daily unclosed tickets and notices",
            (ReportKind::WeeklyEngineers, Lang::Zh) => "每周报修事件分析表",
            (ReportKind::WeeklyEngineers, Lang::En) => "Weekly analysis per engineer",
            (ReportKind::MonthlyRegions, Lang::Zh) => "每月报修事件分析表",
            (ReportKind::MonthlyRegions, Lang::En) => "Monthly analysis by region and customer",
            (ReportKind::MonthlyService, Lang::Zh) => "售后服务月度报告",
            (ReportKind::MonthlyService, Lang::En) => "Monthly service report",
            (ReportKind::DeskCompliance, Lang::Zh) => "客服考核表",
            (ReportKind::DeskCompliance, Lang::En) => "Service desk compliance",
        }
    }

    /// The preset a report opens with.
    pub fn default_preset(self) -> Preset {
        match self {
            ReportKind::WeeklyEngineers => Preset::LastWeek,
            ReportKind::DailyNotices => Preset::ThisWeek,
            _ => Preset::LastMonth,
        }
    }

    /// Which instant puts a ticket in the period of this report.
    fn basis(self) -> Basis {
        match self {
            ReportKind::WeeklyEngineers => Basis::Dispatched,
            _ => Basis::Registered,
        }
    }
}

/// A report's period and filters as a person or a client wrote them (unchecked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(default)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` in the service time zone.
    pub from: Option<String>,
    /// Last day (included).
    pub to: Option<String>,
    /// `this_week`, `last_week`, `this_month` or `last_month` (instead of from/to).
    pub preset: Option<String>,
    pub customer: Option<Id>,
    pub region: Option<String>,
    pub engineer: Option<Id>,
    pub category: Option<Id>,
    /// A level code of the grading scheme (`none`: ungraded).
    pub priority: Option<String>,
}

/// A checked period and filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFilter {
    pub period: Period,
    pub customer: Option<Id>,
    pub region: Option<String>,
    pub engineer: Option<Id>,
    pub category: Option<Id>,
    pub priority: Option<String>,
}

impl ReportFilter {
    pub fn of_period(period: Period) -> ReportFilter {
        ReportFilter { period, customer: None, region: None, engineer: None, category: None, priority: None }
    }
}

/// The counters of the weekly table per engineer, with its indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineerLine {
    /// `None` on the totals line.
    pub engineer_id: Option<Id>,
    pub engineer: String,
    /// 总派工数.
    pub dispatches: i64,
    /// 平均故障修复时间, working hours from dispatch to resolution.
    pub mttr_hours: Option<f64>,
    pub response_timeout: i64,
    pub second_line: i64,
    pub same_day: i64,
    pub customer_unclosed: i64,
    pub repeat: i64,
    pub three_days: i64,
    /// 平均每周派单量.
    pub per_week: f64,
    /// 行动力指数.
    pub action_index: Option<f64>,
    /// 技术能力指数.
    pub capability_index: Option<f64>,
    /// 表扬 and 投诉 recorded in the period's callbacks ([`App::engineer_feedback`]).
    pub praise: Option<i64>,
    pub complaints: Option<i64>,
}

/// 每周报修事件分析表.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyEngineers {
    pub filter: ReportFilter,
    /// The weights the capability index was computed with, and the sentence stating them.
    pub weights: Weights,
    pub weights_text: String,
    pub rows: Vec<EngineerLine>,
    /// Omitted for an engineer reading their own line.
    pub totals: Option<EngineerLine>,
}

/// One region + customer line of the monthly table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionLine {
    pub region: String,
    pub customer_id: Option<Id>,
    pub customer: String,
    pub tickets: i64,
    /// Tickets per category, in the order of [`MonthlyRegions::categories`].
    pub by_category: Vec<i64>,
    /// 派工花费时数: working hours from dispatch to resolution.
    pub hours: f64,
    /// 平均每次报修花费时间 (hours, over the repaired tickets).
    pub avg_hours: Option<f64>,
    /// 未达服务标准: response timeout or same-day unclosed.
    pub below_standard: i64,
    /// 平均达标率.
    pub compliance: Option<f64>,
}

/// A category column of the monthly table (`id` `None`: not categorised).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryColumn {
    pub id: Option<Id>,
    pub name: String,
}

/// An important ticket's summary (P1, or escalated to the PM/GM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportantTicket {
    pub ticket_id: Id,
    pub number: String,
    pub customer: String,
    /// The description's first 12 characters (seed 004).
    pub gist: String,
    pub status: String,
}

/// 每月报修事件分析表.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyRegions {
    pub filter: ReportFilter,
    pub categories: Vec<CategoryColumn>,
    pub rows: Vec<RegionLine>,
    pub totals: RegionLine,
    pub important: Vec<ImportantTicket>,
}

/// One clock's compliance over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockCompliance {
    pub clock: ClockKind,
    /// Tickets whose clock settled.
    pub settled: i64,
    pub missed: i64,
    pub rate: Option<f64>,
}

/// A high-frequency problem: a device model and fault code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    pub model: Option<String>,
    pub fault_code: Option<String>,
    pub tickets: i64,
}

/// The improvement actions of a month, with who wrote them last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Improvements {
    /// `YYYY-MM`.
    pub month: String,
    pub body: String,
    /// Send it back with an edit (0 when none is written yet).
    pub version: i64,
    pub author: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub updated_at: Option<Timestamp>,
}

/// 售后服务月度报告 (the staff's edition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyService {
    pub filter: ReportFilter,
    pub summary: ServiceSummary,
    pub clocks: Vec<ClockCompliance>,
    pub problems: Vec<Problem>,
    /// Complaints registered in the period (tickets of kind complaint).
    pub complaints: i64,
    /// Of the month the period starts in.
    pub improvements: Improvements,
}

/// One desk agent's line of the desk compliance table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeskLine {
    pub agent_id: Option<Id>,
    pub agent: String,
    pub registered: i64,
    pub late_registration: i64,
    pub incomplete: i64,
    pub late_dispatch: i64,
    pub late_report: i64,
    /// The amount these misses cost under the configured rules (元).
    pub amount_yuan: i64,
}

/// Desk compliance (seed 004 §4.1.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeskCompliance {
    pub filter: ReportFilter,
    pub rules: DeskRules,
    pub rows: Vec<DeskLine>,
    pub totals: DeskLine,
}

/// The report settings an administrator or supervisor edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    pub weights: Weights,
    pub desk: DeskRules,
    /// When callbacks are due (DOMAIN §6). Absent in a request: left as it is.
    #[serde(default)]
    pub callbacks: Option<aftersales_domain::callback::CallbackPolicy>,
    /// The version of the stored settings this was read as (a digest of them). Give it back
    /// when saving and an edit made meanwhile by someone else is refused instead of lost;
    /// leave it empty to overwrite whatever is stored.
    #[serde(default)]
    pub version: String,
}

impl ReportSettings {
    /// The digest of the weights and the desk's rules: changes whenever either does.
    fn digest(weights: &Weights, desk: &DeskRules, callbacks: &aftersales_domain::callback::CallbackPolicy) -> String {
        use sha2::Digest;
        let desk = serde_json::to_string(desk).unwrap_or_default();
        let callbacks = serde_json::to_string(callbacks).unwrap_or_default();
        let d = sha2::Sha256::digest(format!("{}\n{desk}\n{callbacks}", weights.to_setting()));
        hex::encode(&d[..8])
    }
}

/// What a cell of a report counts (the drill-down's measure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    All,
    Resolved,
    OnTime,
    ResponseTimeout,
    SecondLine,
    SameDay,
    CustomerUnclosed,
    Repeat,
    ThreeDays,
    BelowStandard,
    Complaint,
    Important,
    Satisfied,
    Basic,
    Dissatisfied,
    ClockMissed,
    Problem,
    DeskLateRegistration,
    DeskIncomplete,
    DeskLateDispatch,
    DeskLateReport,
}

impl Measure {
    pub const ALL: [Measure; 21] = [
        Measure::All,
        Measure::Resolved,
        Measure::OnTime,
        Measure::ResponseTimeout,
        Measure::SecondLine,
        Measure::SameDay,
        Measure::CustomerUnclosed,
        Measure::Repeat,
        Measure::ThreeDays,
        Measure::BelowStandard,
        Measure::Complaint,
        Measure::Important,
        Measure::Satisfied,
        Measure::Basic,
        Measure::Dissatisfied,
        Measure::ClockMissed,
        Measure::Problem,
        Measure::DeskLateRegistration,
        Measure::DeskIncomplete,
        Measure::DeskLateDispatch,
        Measure::DeskLateReport,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Measure::All => "all",
            Measure::Resolved => "resolved",
            Measure::OnTime => "on_time",
            Measure::ResponseTimeout => "response_timeout",
            Measure::SecondLine => "second_line",
            Measure::SameDay => "same_day",
            Measure::CustomerUnclosed => "customer_unclosed",
            Measure::Repeat => "repeat",
            Measure::ThreeDays => "three_days",
            Measure::BelowStandard => "below_standard",
            Measure::Complaint => "complaint",
            Measure::Important => "important",
            Measure::Satisfied => "satisfied",
            Measure::Basic => "basic",
            Measure::Dissatisfied => "dissatisfied",
            Measure::ClockMissed => "clock_missed",
            Measure::Problem => "problem",
            Measure::DeskLateRegistration => "desk_late_registration",
            Measure::DeskIncomplete => "desk_incomplete",
            Measure::DeskLateDispatch => "desk_late_dispatch",
            Measure::DeskLateReport => "desk_late_report",
        }
    }

    pub fn from_code(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.code() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Measure::All => ("全部工单", "All tickets"),
            Measure::Resolved => ("已解决", "Resolved"),
            Measure::OnTime => ("响应准时", "Responded on time"),
            Measure::ResponseTimeout => ("响应超时", "Response timeout"),
            Measure::SecondLine => ("找二线支持", "Second-line support"),
            Measure::SameDay => ("当天未结案", "Not closed the same day"),
            Measure::CustomerUnclosed => ("客户未结案", "Customer did not close"),
            Measure::Repeat => ("重复报修", "Repeat report"),
            Measure::ThreeDays => ("三天未结案", "Unclosed for three days"),
            Measure::BelowStandard => ("未达服务标准", "Below the service standard"),
            Measure::Complaint => ("客户投诉", "Complaints"),
            Measure::Important => ("重要报修事件", "Important tickets"),
            Measure::Satisfied => ("满意", "Satisfied"),
            Measure::Basic => ("基本满意", "Basically satisfied"),
            Measure::Dissatisfied => ("不满意", "Dissatisfied"),
            Measure::ClockMissed => ("时限未达标", "Deadline missed"),
            Measure::Problem => ("高频问题", "High-frequency problem"),
            Measure::DeskLateRegistration => ("登记不及时", "Registered late"),
            Measure::DeskIncomplete => ("登记不完整", "Registered incomplete"),
            Measure::DeskLateDispatch => ("派工不及时", "Dispatched late"),
            Measure::DeskLateReport => ("报告发布不及时", "Report published late"),
        };
        if lang == Lang::Zh { zh } else { en }
    }
}

/// A cell to drill into: a report's filters, what the cell counts, and the row's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(default)]
pub struct CellParams {
    /// The report: `weekly-engineers`, `monthly-regions`, `monthly-service`, `desk-compliance`.
    pub report: Option<String>,
    /// What the cell counts, e.g. `response_timeout`.
    pub measure: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub preset: Option<String>,
    pub customer: Option<Id>,
    pub region: Option<String>,
    pub engineer: Option<Id>,
    pub category: Option<Id>,
    /// A category column with no category: `true`.
    pub uncategorised: Option<bool>,
    pub priority: Option<String>,
    /// The desk agent (desk compliance).
    pub desk: Option<Id>,
    /// The clock (measure `clock_missed`).
    pub clock: Option<String>,
    /// Device model and fault code (measure `problem`; empty for a missing one).
    pub model: Option<String>,
    pub fault_code: Option<String>,
}

/// One ticket behind a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellTicket {
    pub ticket_id: Id,
    pub number: String,
    pub customer: String,
    pub gist: String,
    pub status: Status,
    /// The instant that put it in the period.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub at: Option<Timestamp>,
}

/// The tickets behind a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellTickets {
    pub report: ReportKind,
    pub measure: Measure,
    /// What the list is, in the reader's language ("张工 · 响应超时 · 2026-11-30 至 2026-12-06").
    pub title: String,
    /// How many tickets the cell counts (the list holds at most 500, newest first).
    pub total: i64,
    pub tickets: Vec<CellTicket>,
}

/// A cell's query, resolved and checked ([`App::cell_query`]).
#[derive(Debug, Clone)]
pub(crate) struct CellQuery {
    pub(crate) kind: ReportKind,
    pub(crate) measure: Measure,
    pub(crate) facts: FactFilter,
    pub(crate) slice: Slice,
    pub(crate) title: String,
}

/// The service report's passes over the facts, added up ([`App::service_summary`]).
struct ServicePasses {
    summary: ServiceSummary,
    registered: Vec<store::RegisteredGroup>,
    /// Per clock: settled, missed.
    clocks: Vec<(ClockKind, i64, i64)>,
}

/// A report as files and a summary, for downloads and subscriptions.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub title: String,
    pub sheets: Vec<aftersales_export::Sheet>,
    /// Two to four lines for a chat robot.
    pub summary: String,
    pub is_empty: bool,
}

fn hours(min: i64) -> f64 {
    min as f64 / 60.0
}

fn forbidden(actor: &Actor) -> AppError {
    AppError::Domain(DomainError::Forbidden { role: actor.user.role, action: Action::ReadReports })
}

impl App {
    fn access(&self, actor: &Actor) -> ReportAccess {
        if !actor.user.active {
            return ReportAccess::None;
        }
        rules::access(actor.user.role, actor.id(), actor.user.customer_id)
    }

    fn require_reports(&self, actor: &Actor) -> Result<()> {
        match self.access(actor) {
            ReportAccess::All => Ok(()),
            _ => Err(forbidden(actor)),
        }
    }

    /// Today in the service time zone.
    pub fn service_today(&self) -> jiff::civil::Date {
        self.now().to_zoned(self.settings.time_zone.clone()).date()
    }

    /// The first instant of `d` and of the day after `to` in the service time zone.
    fn bounds(&self, p: &Period) -> Result<(Timestamp, Timestamp)> {
        let tz = self.settings.time_zone.clone();
        let bad = |_| {
            AppError::invalid(
                "to",
                Reason::Malformed { expected_en: "a date in range", expected_zh: "有效范围内的日期" },
            )
        };
        let start = p.from.to_zoned(tz.clone()).map_err(bad)?.timestamp();
        let end = p.to.tomorrow().map_err(bad)?.to_zoned(tz).map_err(bad)?.timestamp();
        Ok((start, end))
    }

    /// Checks a report's period and filters: dates, presets and every named record. Someone
    /// who may read none of the staff's reports is refused first, so the answer tells them
    /// nothing of which customers or engineers exist.
    pub async fn report_filter(&self, actor: &Actor, params: &ReportParams, kind: ReportKind) -> Result<ReportFilter> {
        if !matches!(self.access(actor), ReportAccess::All | ReportAccess::OwnLine(_)) {
            return Err(forbidden(actor));
        }
        let period = Period::parse(
            params.from.as_deref(),
            params.to.as_deref(),
            params.preset.as_deref(),
            self.service_today(),
            kind.default_preset(),
        )?;
        let conn = self.store.read();
        let mut problems = Vec::new();
        // The daily table is one table per day: a month of them at most (each day is read
        // on its own, and nobody reads four hundred daily tables in one file).
        if kind == ReportKind::DailyNotices && period.days() > DAILY_MAX_DAYS {
            problems.push((
                "to",
                Reason::Mismatch {
                    detail_en: "the daily table covers at most 31 days: choose a shorter period",
                    detail_zh: "每日未结案暨通告总表最多覆盖 31 天：请缩短期间",
                },
            ));
        }
        if let Some(c) = params.customer
            && directory::customer_by_id(conn, c).await?.is_none()
        {
            problems.push(("customer", Reason::Unknown));
        }
        if let Some(e) = params.engineer
            && aftersales_storage::users::user_by_id(conn, e).await?.is_none()
        {
            problems.push(("engineer", Reason::Unknown));
        }
        if let Some(c) = params.category
            && !catalog::categories(conn).await?.iter().any(|x| x.id == c)
        {
            problems.push(("category", Reason::Unknown));
        }
        let region = params.region.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
        if let Some(r) = &region {
            if r.chars().count() > 100 {
                problems.push(("region", Reason::TooLong { max: 100 }));
            } else if let Some(found) = aftersales_domain::text::forbidden_in_text(r) {
                problems.push(("region", Reason::ControlCharacter { found }));
            }
        }
        let priority = params.priority.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
        if let Some(p) = &priority
            && p != "none"
            && !catalog::grading_scheme(conn).await?.levels.iter().any(|l| &l.code == p)
        {
            problems.push(("priority", Reason::Unknown));
        }
        AppError::unless_invalid(problems)?;
        Ok(ReportFilter {
            period,
            customer: params.customer,
            region,
            engineer: params.engineer,
            category: params.category,
            priority,
        })
    }

    fn fact_filter(&self, f: &ReportFilter, basis: Basis) -> Result<FactFilter> {
        let (from, to) = self.bounds(&f.period)?;
        let mut ff = FactFilter::new(basis, from, to);
        ff.customer = f.customer;
        ff.region = f.region.clone();
        ff.engineer = f.engineer;
        ff.category = f.category;
        ff.priority = f.priority.clone();
        Ok(ff)
    }

    // ----- settings -----

    pub async fn report_settings(&self, actor: &Actor) -> Result<ReportSettings> {
        self.require_reports(actor)?;
        self.report_settings_in(self.store.read()).await
    }

    async fn report_settings_in<C: Conn>(&self, conn: &C) -> Result<ReportSettings> {
        let weights =
            visits::setting(conn, WEIGHTS_SETTING).await?.and_then(|s| Weights::from_setting(&s)).unwrap_or_default();
        let desk = self.desk_rules_in(conn).await?;
        let callbacks = self.callback_policy_in(conn).await?;
        let version = ReportSettings::digest(&weights, &desk, &callbacks);
        Ok(ReportSettings { weights, desk, callbacks: Some(callbacks), version })
    }

    /// Sets the weekly table's blue/red weights and the desk's rules and amounts. The desk's
    /// lateness limits apply to facts settled from now on (older tickets keep theirs until
    /// they change). With a `version`, an edit based on settings someone has changed since is
    /// refused (`Conflict::StaleReportSettings`) and nothing is written.
    pub async fn put_report_settings(&self, actor: &Actor, s: &ReportSettings) -> Result<ReportSettings> {
        actor.require_staff(Action::ManageReportSettings)?;
        let mut problems = Vec::new();
        for check in [s.weights.check(), s.desk.check(), s.callbacks.map_or(Ok(()), |p| p.check())] {
            if let Err(DomainError::Invalid(mut p)) = check {
                problems.append(&mut p);
            } else {
                check?;
            }
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let tx = self.store.write().await?;
        let version = s.version.trim();
        if !version.is_empty() && self.report_settings_in(&*tx).await?.version != version {
            return Err(DomainError::from(Conflict::StaleReportSettings).into());
        }
        visits::put_setting(&*tx, WEIGHTS_SETTING, &s.weights.to_setting()).await?;
        let desk = serde_json::to_string(&s.desk).map_err(|e| AppError::internal("desk rules", e))?;
        visits::put_setting(&*tx, DESK_RULES_SETTING, &desk).await?;
        if let Some(p) = &s.callbacks {
            let p = serde_json::to_string(p).map_err(|e| AppError::internal("callback policy", e))?;
            visits::put_setting(&*tx, crate::callbacks::CALLBACK_POLICY_SETTING, &p).await?;
        }
        let saved = self.report_settings_in(&*tx).await?;
        tx.commit().await?;
        Ok(saved)
    }

    // ----- the reports -----

    /// 表扬/投诉 per engineer recorded in the period's callbacks (seed 003: praise recorded
    /// and rewarded, complaints analysed), by the instant they were recorded.
    pub async fn engineer_feedback(&self, period: &Period) -> Result<Option<BTreeMap<Id, (i64, i64)>>> {
        let (from, to) = self.bounds(period)?;
        let rows = aftersales_storage::callbacks::feedback_counts(
            self.store.read(),
            from.as_millisecond(),
            to.as_millisecond(),
        )
        .await?;
        Ok(Some(rows.into_iter().map(|(id, praise, complaints)| (id, (praise, complaints))).collect()))
    }

    /// 每周报修事件分析表 over the tickets dispatched in the period. An engineer reads only
    /// their own line.
    pub async fn weekly_engineers(&self, actor: &Actor, filter: &ReportFilter) -> Result<WeeklyEngineers> {
        let mut filter = filter.clone();
        let own = match self.access(actor) {
            ReportAccess::All => false,
            ReportAccess::OwnLine(me) => {
                if filter.engineer.is_some_and(|e| e != me) {
                    return Err(forbidden(actor));
                }
                filter.engineer = Some(me);
                true
            }
            _ => return Err(forbidden(actor)),
        };
        let conn = self.store.read();
        let weights = self.report_settings_in(conn).await?.weights;
        let ff = self.fact_filter(&filter, Basis::Dispatched)?;
        let sums = store::engineer_sums(conn, &ff).await?;
        let ids: Vec<Id> = sums.iter().map(|s| s.engineer).collect();
        let names: BTreeMap<Id, String> = parts::user_names(conn, &ids).await?.into_iter().collect();
        let feedback = self.engineer_feedback(&filter.period).await?;
        let days = filter.period.days();
        let line = |id: Option<Id>, name: String, s: &store::EngineerSums| {
            let c = EngineerCounts {
                dispatches: s.dispatches,
                on_time_responses: s.on_time,
                response_timeout: s.response_timeout,
                second_line: s.second_line,
                same_day: s.same_day,
                customer_unclosed: s.customer_unclosed,
                repeat: s.repeat,
                three_days: s.three_days,
            };
            let fb = feedback.as_ref().map(|m| match id {
                Some(i) => m.get(&i).copied().unwrap_or((0, 0)),
                None => m.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
            });
            EngineerLine {
                engineer_id: id,
                engineer: name,
                dispatches: s.dispatches,
                mttr_hours: (s.repaired > 0).then(|| hours(s.repair_min) / s.repaired as f64),
                response_timeout: s.response_timeout,
                second_line: s.second_line,
                same_day: s.same_day,
                customer_unclosed: s.customer_unclosed,
                repeat: s.repeat,
                three_days: s.three_days,
                per_week: rules::per_week(s.dispatches, days),
                action_index: c.action_index(),
                capability_index: c.capability_index(&weights),
                praise: fb.map(|f| f.0),
                complaints: fb.map(|f| f.1),
            }
        };
        let mut rows: Vec<EngineerLine> = sums
            .iter()
            .map(|s| line(Some(s.engineer), names.get(&s.engineer).cloned().unwrap_or_default(), s))
            .collect();
        rows.sort_by(|a, b| b.dispatches.cmp(&a.dispatches).then_with(|| a.engineer.cmp(&b.engineer)));
        let totals = (!own).then(|| {
            let mut t = store::EngineerSums::default();
            for s in &sums {
                t.dispatches += s.dispatches;
                t.on_time += s.on_time;
                t.response_timeout += s.response_timeout;
                t.second_line += s.second_line;
                t.same_day += s.same_day;
                t.customer_unclosed += s.customer_unclosed;
                t.repeat += s.repeat;
                t.three_days += s.three_days;
                t.repair_min += s.repair_min;
                t.repaired += s.repaired;
            }
            line(None, String::new(), &t)
        });
        let lang = Lang::Zh;
        Ok(WeeklyEngineers { filter, weights_text: weights.describe(lang), weights, rows, totals })
    }

    /// 每月报修事件分析表 over the tickets registered in the period, by region and customer.
    pub async fn monthly_regions(&self, actor: &Actor, filter: &ReportFilter) -> Result<MonthlyRegions> {
        self.require_reports(actor)?;
        let conn = self.store.read();
        let ff = self.fact_filter(filter, Basis::Registered)?;
        let sums = store::region_sums(conn, &ff).await?;
        let all_categories = catalog::categories(conn).await?;
        let used: BTreeSet<Option<Id>> = sums.iter().map(|s| s.category).collect();
        let mut categories: Vec<CategoryColumn> = all_categories
            .iter()
            .filter(|c| used.contains(&Some(c.id)))
            .map(|c| CategoryColumn { id: Some(c.id), name: c.name_zh.clone() })
            .collect();
        if used.contains(&None) {
            categories.push(CategoryColumn { id: None, name: "未分类".into() });
        }
        let col = |c: Option<Id>| categories.iter().position(|x| x.id == c);
        let mut lines: BTreeMap<(String, Id), (RegionLine, i64, i64)> = BTreeMap::new();
        let mut customers: BTreeMap<Id, String> = BTreeMap::new();
        for s in &sums {
            if let std::collections::btree_map::Entry::Vacant(e) = customers.entry(s.customer) {
                e.insert(directory::customer_by_id(conn, s.customer).await?.map(|c| c.short_name).unwrap_or_default());
            }
            let e = lines.entry((s.region.clone(), s.customer)).or_insert_with(|| {
                (
                    RegionLine {
                        region: s.region.clone(),
                        customer_id: Some(s.customer),
                        customer: customers.get(&s.customer).cloned().unwrap_or_default(),
                        tickets: 0,
                        by_category: vec![0; categories.len()],
                        hours: 0.0,
                        avg_hours: None,
                        below_standard: 0,
                        compliance: None,
                    },
                    0,
                    0,
                )
            });
            e.0.tickets += s.tickets;
            if let Some(i) = col(s.category) {
                e.0.by_category[i] += s.tickets;
            }
            e.0.below_standard += s.below_standard;
            e.1 += s.repair_min;
            e.2 += s.repaired;
        }
        let finish = |mut l: RegionLine, min: i64, repaired: i64| {
            l.hours = hours(min);
            l.avg_hours = (repaired > 0).then(|| hours(min) / repaired as f64);
            l.compliance = rules::share(l.tickets - l.below_standard, l.tickets);
            l
        };
        let mut total = RegionLine {
            region: String::new(),
            customer_id: None,
            customer: String::new(),
            tickets: 0,
            by_category: vec![0; categories.len()],
            hours: 0.0,
            avg_hours: None,
            below_standard: 0,
            compliance: None,
        };
        let (mut tmin, mut trep) = (0, 0);
        let mut rows = Vec::new();
        for (_, (l, min, rep)) in lines {
            total.tickets += l.tickets;
            for (a, b) in total.by_category.iter_mut().zip(&l.by_category) {
                *a += b;
            }
            total.below_standard += l.below_standard;
            tmin += min;
            trep += rep;
            rows.push(finish(l, min, rep));
        }
        let totals = finish(total, tmin, trep);
        // Important tickets: the most urgent level, or escalated to the PM and GM.
        let scheme = catalog::grading_scheme(conn).await?;
        let top = scheme.levels.iter().find(|l| l.rank == 1).map(|l| l.code.clone()).unwrap_or_else(|| "P1".into());
        let (cells, _) = store::drill(conn, &ff, &Slice::Important(top), 50).await?;
        let mut important = Vec::new();
        for c in cells {
            let customer = match customers.get(&c.customer_id) {
                Some(n) => n.clone(),
                None => directory::customer_by_id(conn, c.customer_id).await?.map(|c| c.short_name).unwrap_or_default(),
            };
            let status = Status::from_code(&c.status).map(|s| s.label(Lang::Zh).to_owned()).unwrap_or_default();
            important.push(ImportantTicket {
                ticket_id: c.id,
                number: c.number,
                customer,
                gist: gist(&c.description),
                status,
            });
        }
        Ok(MonthlyRegions { filter: filter.clone(), categories, rows, totals, important })
    }

    /// The service report's numbers: one pass over the tickets registered in the period
    /// (grouped by everything the report splits them by, added up here), three over those
    /// resolved, one over those closed; each an index-only scan when no filter is chosen
    /// (m0022's covering indexes). The five passes are independent reads, so they run at
    /// once: on the read pool each takes a connection of its own (in a transaction they
    /// simply take turns).
    async fn service_summary<C: Conn>(&self, conn: &C, f: &ReportFilter) -> Result<ServicePasses> {
        let registered_f = self.fact_filter(f, Basis::Registered)?;
        let resolved = self.fact_filter(f, Basis::Resolved)?;
        let closed = self.fact_filter(f, Basis::Closed)?;
        let (registered, work, cal, clocks, surveys) = tokio::try_join!(
            store::registered_groups(conn, &registered_f),
            store::minutes_histogram(conn, &resolved, FactColumn::ResolutionWorkMin),
            store::minutes_histogram(conn, &resolved, FactColumn::ResolutionCalMin),
            store::clock_compliance(conn, &resolved),
            store::histogram(conn, &closed, FactColumn::Survey),
        )?;
        let mut by_priority: BTreeMap<String, i64> = BTreeMap::new();
        for g in &registered {
            *by_priority.entry(g.priority.clone().unwrap_or_else(|| "none".into())).or_default() += g.tickets;
        }
        let avg = |h: &[(i64, i64)]| {
            let n: i64 = h.iter().map(|(_, c)| c).sum();
            (n > 0).then(|| h.iter().map(|(v, c)| (*v as f64) * (*c as f64)).sum::<f64>() / n as f64)
        };
        // Every closed ticket is in one group (those without a survey in the empty one).
        let closed_count = surveys.iter().map(|(_, n)| n).sum();
        let satisfaction: BTreeMap<String, i64> = surveys.into_iter().filter_map(|(k, n)| Some((k?, n))).collect();
        let summary = ServiceSummary {
            registered: by_priority.values().sum(),
            resolved: work.iter().map(|(_, n)| n).sum(),
            closed: closed_count,
            by_priority,
            avg_resolution_work_min: avg(&work),
            p90_resolution_work_min: rules::percentile(&work, 90.0),
            avg_resolution_cal_min: avg(&cal),
            p90_resolution_cal_min: rules::percentile(&cal, 90.0),
            satisfaction,
        };
        Ok(ServicePasses { summary, registered, clocks })
    }

    async fn improvements_of<C: Conn>(&self, conn: &C, month: &str) -> Result<Improvements> {
        Ok(match store::improvements(conn, month).await? {
            Some(i) => {
                let author = aftersales_storage::users::user_by_id(conn, i.author_id).await?.map(|u| u.display_name);
                Improvements {
                    month: i.month,
                    body: i.body,
                    version: i.version,
                    author,
                    updated_at: Some(i.updated_at),
                }
            }
            None => Improvements {
                month: month.to_owned(),
                body: String::new(),
                version: 0,
                author: None,
                updated_at: None,
            },
        })
    }

    /// 售后服务月度报告 (the staff's edition): volume, priority split, resolution times,
    /// satisfaction, compliance per clock, high-frequency problems, complaints and the
    /// month's improvement actions.
    pub async fn monthly_service(&self, actor: &Actor, filter: &ReportFilter) -> Result<MonthlyService> {
        self.require_reports(actor)?;
        let conn = self.store.read();
        let ServicePasses { summary, registered, clocks } = self.service_summary(conn, filter).await?;
        let clocks = clocks
            .into_iter()
            .map(|(clock, settled, missed)| ClockCompliance {
                clock,
                settled,
                missed,
                rate: rules::share(settled - missed, settled),
            })
            .collect();
        // The most frequent (model, fault code) pairs: by count, then model and code.
        let mut pairs: BTreeMap<(Option<String>, Option<String>), i64> = BTreeMap::new();
        for g in registered.iter().filter(|g| g.device_model.is_some() || g.fault_code.is_some()) {
            *pairs.entry((g.device_model.clone(), g.fault_code.clone())).or_default() += g.tickets;
        }
        let mut problems: Vec<Problem> =
            pairs.into_iter().map(|((model, fault_code), tickets)| Problem { model, fault_code, tickets }).collect();
        problems.sort_by_key(|p| std::cmp::Reverse(p.tickets));
        problems.truncate(10);
        let complaints = registered.iter().filter(|g| g.complaint).map(|g| g.tickets).sum();
        let improvements = self.improvements_of(conn, &month_of(filter.period.from)).await?;
        Ok(MonthlyService { filter: filter.clone(), summary, clocks, problems, complaints, improvements })
    }

    /// The customer's edition of the monthly service report, for their own organization
    /// only (a contact reads their own; staff who read all reports may read any).
    pub async fn customer_service_report(
        &self,
        actor: &Actor,
        customer: Option<Id>,
        period: Period,
    ) -> Result<rules::CustomerServiceReport> {
        let customer = match (self.access(actor), customer) {
            (ReportAccess::CustomerEdition(own), None) => own,
            (ReportAccess::CustomerEdition(own), Some(c)) if c == own => own,
            // Another organization's edition is "not found" to a contact (DOMAIN §8).
            (ReportAccess::CustomerEdition(_), Some(c)) => return Err(AppError::not_found("customer", c)),
            (ReportAccess::All, Some(c)) => c,
            (ReportAccess::All, None) => return Err(AppError::invalid("customer", Reason::Missing)),
            _ => return Err(forbidden(actor)),
        };
        let conn = self.store.read();
        let c = directory::customer_by_id(conn, customer)
            .await?
            .ok_or_else(|| AppError::not_found("customer", customer))?;
        let mut filter = ReportFilter::of_period(period);
        filter.customer = Some(customer);
        let ServicePasses { summary, clocks, .. } = self.service_summary(conn, &filter).await?;
        let rate = |k: ClockKind| {
            clocks.iter().find(|c| c.0 == k).and_then(|(_, settled, missed)| rules::share(settled - missed, *settled))
        };
        Ok(rules::CustomerServiceReport {
            customer: c.name,
            period,
            summary,
            response_met: rate(ClockKind::Response),
            resolution_met: rate(ClockKind::Resolution),
        })
    }

    /// The supervisor writes or edits a month's improvement actions (seed 000 (五)); an
    /// edit based on an older version is refused (409 naming the current one).
    pub async fn put_improvements(
        &self,
        actor: &Actor,
        month: &str,
        body: &str,
        based_on: i64,
    ) -> Result<Improvements> {
        actor.require_staff(Action::WriteImprovements)?;
        let month = parse_month(month)?;
        let mut problems = Vec::new();
        let body = aftersales_domain::error::text(&mut problems, "body", Some(body), rules::MAX_IMPROVEMENTS, false)
            .unwrap_or_default();
        if based_on < 0 {
            problems.push(("version", Reason::Malformed { expected_en: "a version number", expected_zh: "版本号" }));
        }
        AppError::unless_invalid(problems)?;
        let tx = self.store.write().await?;
        if !store::put_improvements(&*tx, &month, &body, based_on, actor.id(), self.now()).await? {
            let current = store::improvements(&*tx, &month).await?.map(|i| i.version).unwrap_or(0);
            return Err(DomainError::from(Conflict::StaleImprovements { current }).into());
        }
        let out = self.improvements_of(&*tx, &month).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// A month's improvement actions.
    pub async fn improvements(&self, actor: &Actor, month: &str) -> Result<Improvements> {
        self.require_reports(actor)?;
        let month = parse_month(month)?;
        self.improvements_of(self.store.read(), &month).await
    }

    /// Desk compliance (seed 004 §4.1.2) over the tickets registered in the period, per
    /// desk agent, with the configured amount per miss.
    pub async fn desk_compliance(&self, actor: &Actor, filter: &ReportFilter) -> Result<DeskCompliance> {
        self.require_reports(actor)?;
        let conn = self.store.read();
        let rules = self.desk_rules_in(conn).await?;
        let ff = self.fact_filter(filter, Basis::Registered)?;
        let sums = store::desk_sums(conn, &ff).await?;
        let ids: Vec<Id> = sums.iter().map(|s| s.agent).collect();
        let names: BTreeMap<Id, String> = parts::user_names(conn, &ids).await?.into_iter().collect();
        let line = |id: Option<Id>, agent: String, s: &store::DeskSums| DeskLine {
            agent_id: id,
            agent,
            registered: s.registered,
            late_registration: s.late_registration,
            incomplete: s.incomplete,
            late_dispatch: s.late_dispatch,
            late_report: s.late_report,
            amount_yuan: (s.late_registration + s.incomplete) * rules.registration_yuan
                + s.late_dispatch * rules.dispatch_yuan
                + s.late_report * rules.report_yuan,
        };
        let mut rows: Vec<DeskLine> =
            sums.iter().map(|s| line(Some(s.agent), names.get(&s.agent).cloned().unwrap_or_default(), s)).collect();
        rows.sort_by(|a, b| b.amount_yuan.cmp(&a.amount_yuan).then_with(|| a.agent.cmp(&b.agent)));
        let mut t = store::DeskSums::default();
        for s in &sums {
            t.registered += s.registered;
            t.late_registration += s.late_registration;
            t.incomplete += s.incomplete;
            t.late_dispatch += s.late_dispatch;
            t.late_report += s.late_report;
        }
        let totals = line(None, String::new(), &t);
        Ok(DeskCompliance { filter: filter.clone(), rules, rows, totals })
    }

    // ----- drill-down -----

    /// The tickets behind one cell of a report: the same filters and the same condition
    /// the cell's number counts. An engineer drills only into their own weekly line. The
    /// list holds the newest [`DRILL_LIMIT`]; [`App::report_cell_export`] gives them all.
    pub async fn report_cell(&self, actor: &Actor, p: &CellParams) -> Result<CellTickets> {
        let cell = self.cell_query(actor, p).await?;
        let conn = self.store.read();
        let (rows, total) = store::drill(conn, &cell.facts, &cell.slice, DRILL_LIMIT).await?;
        let mut tickets: Vec<CellTicket> = Vec::with_capacity(rows.len());
        let mut names: BTreeMap<Id, String> = BTreeMap::new();
        for r in rows {
            if let std::collections::btree_map::Entry::Vacant(e) = names.entry(r.customer_id) {
                e.insert(
                    directory::customer_by_id(conn, r.customer_id).await?.map(|c| c.short_name).unwrap_or_default(),
                );
            }
            tickets.push(CellTicket {
                ticket_id: r.id,
                number: r.number,
                customer: names.get(&r.customer_id).cloned().unwrap_or_default(),
                gist: gist(&r.description),
                status: Status::from_code(&r.status).unwrap_or(Status::Registered),
                at: r.at,
            });
        }
        Ok(CellTickets { report: cell.kind, measure: cell.measure, title: cell.title, total, tickets })
    }

    /// A cell's query resolved and checked: which report and measure, the facts filter, the
    /// condition and the list's title. The reader's access is checked here, once for the
    /// screen and the export.
    pub(crate) async fn cell_query(&self, actor: &Actor, p: &CellParams) -> Result<CellQuery> {
        let kind = match p.report.as_deref().map(str::trim) {
            None | Some("") => return Err(AppError::invalid("report", Reason::Missing)),
            Some(r) => ReportKind::from_code(r)
                .filter(|k| *k != ReportKind::DailyNotices)
                .ok_or_else(|| AppError::invalid("report", Reason::Unknown))?,
        };
        let measure = match p.measure.as_deref().map(str::trim) {
            None | Some("") => Measure::All,
            Some(m) => Measure::from_code(m).ok_or_else(|| AppError::invalid("measure", Reason::Unknown))?,
        };
        let params = ReportParams {
            from: p.from.clone(),
            to: p.to.clone(),
            preset: p.preset.clone(),
            customer: p.customer,
            region: p.region.clone(),
            engineer: p.engineer,
            category: p.category,
            priority: p.priority.clone(),
        };
        let mut filter = self.report_filter(actor, &params, kind).await?;
        match self.access(actor) {
            ReportAccess::All => {}
            ReportAccess::OwnLine(me) if kind == ReportKind::WeeklyEngineers => {
                if filter.engineer.is_some_and(|e| e != me) {
                    return Err(forbidden(actor));
                }
                filter.engineer = Some(me);
            }
            _ => return Err(forbidden(actor)),
        }
        let slice = match measure {
            Measure::All => Slice::All,
            Measure::Resolved => Slice::Resolved,
            Measure::OnTime => Slice::OnTimeResponse,
            Measure::ResponseTimeout => Slice::ResponseTimeout,
            Measure::SecondLine => Slice::SecondLine,
            Measure::SameDay => Slice::SameDay,
            Measure::CustomerUnclosed => Slice::CustomerUnclosed,
            Measure::Repeat => Slice::Repeat,
            Measure::ThreeDays => Slice::ThreeDays,
            Measure::BelowStandard => Slice::BelowStandard,
            Measure::Complaint => Slice::Complaint,
            Measure::Important => {
                let scheme = catalog::grading_scheme(self.store.read()).await?;
                Slice::Important(scheme.levels.iter().find(|l| l.rank == 1).map(|l| l.code.clone()).unwrap_or_default())
            }
            Measure::Satisfied => Slice::Survey(SurveyResult::Satisfied),
            Measure::Basic => Slice::Survey(SurveyResult::Basic),
            Measure::Dissatisfied => Slice::Survey(SurveyResult::Dissatisfied),
            Measure::ClockMissed => {
                let c = p.clock.as_deref().map(str::trim).unwrap_or_default();
                Slice::ClockMissed(ClockKind::from_code(c).ok_or_else(|| {
                    AppError::invalid("clock", if c.is_empty() { Reason::Missing } else { Reason::Unknown })
                })?)
            }
            Measure::Problem => {
                let opt = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
                Slice::Problem(opt(&p.model), opt(&p.fault_code))
            }
            Measure::DeskLateRegistration => Slice::DeskLateRegistration,
            Measure::DeskIncomplete => Slice::DeskIncomplete,
            Measure::DeskLateDispatch => Slice::DeskLateDispatch,
            Measure::DeskLateReport => Slice::DeskLateReport,
        };
        // The service report's satisfaction counts closed tickets, its times and clocks
        // resolved ones; every other cell counts the report's own period.
        let basis = match (kind, measure) {
            (ReportKind::MonthlyService, Measure::Satisfied | Measure::Basic | Measure::Dissatisfied) => Basis::Closed,
            (ReportKind::MonthlyService, Measure::Resolved | Measure::ClockMissed) => Basis::Resolved,
            _ => kind.basis(),
        };
        let mut ff = self.fact_filter(&filter, basis)?;
        ff.desk = p.desk;
        if p.uncategorised == Some(true) {
            ff.category = None;
            ff.uncategorised = true;
        }
        let mut parts_of_title = Vec::new();
        let conn = self.store.read();
        if let Some(e) = ff.engineer.or(ff.desk)
            && let Some(u) = aftersales_storage::users::user_by_id(conn, e).await?
        {
            parts_of_title.push(u.display_name);
        }
        if let Some(c) = ff.customer
            && let Some(c) = directory::customer_by_id(conn, c).await?
        {
            parts_of_title.push(c.short_name);
        }
        parts_of_title.push(measure.label(Lang::Zh).to_owned());
        parts_of_title.push(format!("{} 至 {}", filter.period.from, filter.period.to));
        Ok(CellQuery { kind, measure, facts: ff, slice, title: parts_of_title.join(" · ") })
    }

    // ----- files -----

    /// A report as sheets (the same numbers as the screen), a summary and whether it is
    /// empty: for downloads and for subscriptions.
    pub async fn report_file(
        &self,
        actor: &Actor,
        kind: ReportKind,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        lang: Lang,
    ) -> Result<ReportFile> {
        let filter = ReportFilter::of_period(Period::new(from, to)?);
        self.report_file_for(actor, kind, &filter, lang).await
    }

    /// [`App::report_file`] with filters.
    pub async fn report_file_for(
        &self,
        actor: &Actor,
        kind: ReportKind,
        filter: &ReportFilter,
        lang: Lang,
    ) -> Result<ReportFile> {
        let screen = self.report_screen(actor, kind, filter).await?;
        Ok(sheets::file(&screen, lang, &self.settings.time_zone))
    }

    /// The whole screen of one report.
    pub async fn report_screen(&self, actor: &Actor, kind: ReportKind, filter: &ReportFilter) -> Result<ReportScreen> {
        Ok(match kind {
            ReportKind::DailyNotices => {
                let mut days = Vec::new();
                let mut d = filter.period.from;
                while d <= filter.period.to {
                    let rows = self.daily_notices(actor, &d.to_string()).await?;
                    days.push((d, rows));
                    d = d.tomorrow().map_err(|e| AppError::internal("date", e))?;
                }
                ReportScreen::DailyNotices { filter: filter.clone(), days }
            }
            ReportKind::WeeklyEngineers => ReportScreen::WeeklyEngineers(self.weekly_engineers(actor, filter).await?),
            ReportKind::MonthlyRegions => ReportScreen::MonthlyRegions(self.monthly_regions(actor, filter).await?),
            ReportKind::MonthlyService => ReportScreen::MonthlyService(self.monthly_service(actor, filter).await?),
            ReportKind::DeskCompliance => ReportScreen::DeskCompliance(self.desk_compliance(actor, filter).await?),
        })
    }
}

/// One report's screen, whichever it is.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportScreen {
    DailyNotices { filter: ReportFilter, days: Vec<(jiff::civil::Date, Vec<crate::notices::DailyRow>)> },
    WeeklyEngineers(WeeklyEngineers),
    MonthlyRegions(MonthlyRegions),
    MonthlyService(MonthlyService),
    DeskCompliance(DeskCompliance),
}

impl ReportScreen {
    pub fn kind(&self) -> ReportKind {
        match self {
            ReportScreen::DailyNotices { .. } => ReportKind::DailyNotices,
            ReportScreen::WeeklyEngineers(_) => ReportKind::WeeklyEngineers,
            ReportScreen::MonthlyRegions(_) => ReportKind::MonthlyRegions,
            ReportScreen::MonthlyService(_) => ReportKind::MonthlyService,
            ReportScreen::DeskCompliance(_) => ReportKind::DeskCompliance,
        }
    }

    pub fn filter(&self) -> &ReportFilter {
        match self {
            ReportScreen::DailyNotices { filter, .. } => filter,
            ReportScreen::WeeklyEngineers(r) => &r.filter,
            ReportScreen::MonthlyRegions(r) => &r.filter,
            ReportScreen::MonthlyService(r) => &r.filter,
            ReportScreen::DeskCompliance(r) => &r.filter,
        }
    }
}

fn month_of(d: jiff::civil::Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn parse_month(s: &str) -> Result<String> {
    let bad =
        || AppError::invalid("month", Reason::Malformed { expected_en: "YYYY-MM", expected_zh: "YYYY-MM 格式的月份" });
    let s = s.trim();
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let (y, m): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if s.len() == 7 && (1900..=9999).contains(&y) && (1..=12).contains(&m) {
        Ok(format!("{y:04}-{m:02}"))
    } else {
        Err(bad())
    }
}
