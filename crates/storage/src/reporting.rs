//! Facts for reporting and the reports' aggregations (DOMAIN §7, issue 15).
//!
//! `ticket_facts` holds one row per ticket (`domain::reporting::TicketFacts`), written in
//! the transaction of every change to the ticket. The reports group and sum those rows in
//! SQL over one period index each; nothing here replays a history.

use aftersales_domain::clock::{ClockKind, SurveyResult};
use aftersales_domain::notice::NoticeKind;
use aftersales_domain::reporting::{COUNTED_NOTICES, NoticeCounts, TicketFacts};
use aftersales_domain::ticket::Kind;
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{Customers, Notices, Parts, ReportImprovements, StockMovements, TicketFacts as F, Tickets, Users};
use crate::{Result, StorageError};

/// The clock outcome columns, in `ClockKind::ALL` order.
const CLOCKS: [F; 9] = [
    F::ClkResponse,
    F::ClkEngineerContact,
    F::ClkPlan,
    F::ClkArrival,
    F::ClkResolution,
    F::ClkProgress,
    F::ClkServiceReport,
    F::ClkCallback,
    F::ClkRehandling,
];

/// The column name of a clock's outcome (`clk_response` …), for aggregations.
pub fn clock_column(k: ClockKind) -> &'static str {
    match k {
        ClockKind::Response => "clk_response",
        ClockKind::EngineerContact => "clk_engineer_contact",
        ClockKind::Plan => "clk_plan",
        ClockKind::Arrival => "clk_arrival",
        ClockKind::Resolution => "clk_resolution",
        ClockKind::Progress => "clk_progress",
        ClockKind::ServiceReport => "clk_service_report",
        ClockKind::Callback => "clk_callback",
        ClockKind::Rehandling => "clk_rehandling",
    }
}

fn flag(b: bool) -> i32 {
    i32::from(b)
}

fn fields(f: &TicketFacts) -> Vec<(F, SimpleExpr)> {
    let mut v: Vec<(F, SimpleExpr)> = vec![
        (F::TicketId, f.ticket_id.into()),
        (F::CustomerId, f.customer_id.into()),
        (F::Region, f.region.clone().into()),
        (F::CategoryId, f.category_id.into()),
        (F::Priority, f.priority.clone().into()),
        (F::Kind, f.kind.code().into()),
        (F::FirstLineId, f.first_line_id.into()),
        (F::SecondLineId, f.second_line_id.into()),
        (F::RegisteredBy, f.registered_by.into()),
        (F::DeviceModel, f.device_model.clone().into()),
        (F::FaultCode, f.fault_code.clone().into()),
        (F::RegisteredAt, ms(f.registered_at).into()),
        (F::AcceptedAt, opt_ms(f.accepted_at).into()),
        (F::DispatchedAt, opt_ms(f.dispatched_at).into()),
        (F::RespondedAt, opt_ms(f.responded_at).into()),
        (F::ResolvedAt, opt_ms(f.resolved_at).into()),
        (F::ClosedAt, opt_ms(f.closed_at).into()),
        (F::ResponseWorkMin, f.response_work_min.into()),
        (F::ResponseCalMin, f.response_cal_min.into()),
        (F::ResolutionWorkMin, f.resolution_work_min.into()),
        (F::ResolutionCalMin, f.resolution_cal_min.into()),
        (F::RepairWorkMin, f.repair_work_min.into()),
        (F::NResponseTimeout, f.notices.response_timeout.into()),
        (F::NSecondLine, f.notices.second_line.into()),
        (F::NSameDay, f.notices.same_day.into()),
        (F::NCustomerUnclosed, f.notices.customer_unclosed.into()),
        (F::NThreeDays, f.notices.three_days.into()),
        (F::NRepeat, f.notices.repeat.into()),
        (F::SecondLineCalled, flag(f.second_line_called).into()),
        (F::Survey, f.survey.map(|s| s.code()).into()),
        (F::PartsCostFen, f.parts_cost_fen.into()),
        (F::DeskLateRegistration, flag(f.desk_late_registration).into()),
        (F::DeskIncomplete, flag(f.desk_incomplete).into()),
        (F::DeskLateDispatch, flag(f.desk_late_dispatch).into()),
        (F::DeskLateReport, flag(f.desk_late_report).into()),
    ];
    for (c, o) in CLOCKS.iter().zip(f.clocks) {
        v.push((*c, o.into()));
    }
    v
}

/// Writes a ticket's facts (insert, or replace the row it has).
pub async fn upsert_facts<C: ConnectionTrait>(conn: &C, f: &TicketFacts) -> Result<()> {
    let (cols, vals): (Vec<F>, Vec<SimpleExpr>) = fields(f).into_iter().unzip();
    let update: Vec<F> = cols.iter().copied().filter(|c| !matches!(c, F::TicketId)).collect();
    let stmt = Query::insert()
        .into_table(F::Table)
        .columns(cols)
        .values_panic(vals)
        .on_conflict(OnConflict::column(F::TicketId).update_columns(update).to_owned())
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

fn facts_row(r: &QueryResult) -> Result<TicketFacts> {
    let b = |c: &str| -> Result<bool> { Ok(get::<i32>(r, c)? != 0) };
    let mut clocks = [None; 9];
    for (slot, k) in clocks.iter_mut().zip(ClockKind::ALL) {
        *slot = get::<Option<i32>>(r, clock_column(*k))?;
    }
    Ok(TicketFacts {
        ticket_id: get(r, "ticket_id")?,
        customer_id: get(r, "customer_id")?,
        region: get(r, "region")?,
        category_id: get(r, "category_id")?,
        priority: get(r, "priority")?,
        kind: get_code(r, "kind", Kind::from_code)?,
        first_line_id: get(r, "first_line_id")?,
        second_line_id: get(r, "second_line_id")?,
        registered_by: get(r, "registered_by")?,
        device_model: get(r, "device_model")?,
        fault_code: get(r, "fault_code")?,
        registered_at: get_ts(r, "registered_at")?,
        accepted_at: get_opt_ts(r, "accepted_at")?,
        dispatched_at: get_opt_ts(r, "dispatched_at")?,
        responded_at: get_opt_ts(r, "responded_at")?,
        resolved_at: get_opt_ts(r, "resolved_at")?,
        closed_at: get_opt_ts(r, "closed_at")?,
        response_work_min: get(r, "response_work_min")?,
        response_cal_min: get(r, "response_cal_min")?,
        resolution_work_min: get(r, "resolution_work_min")?,
        resolution_cal_min: get(r, "resolution_cal_min")?,
        repair_work_min: get(r, "repair_work_min")?,
        clocks,
        notices: NoticeCounts {
            response_timeout: get(r, "n_response_timeout")?,
            second_line: get(r, "n_second_line")?,
            same_day: get(r, "n_same_day")?,
            customer_unclosed: get(r, "n_customer_unclosed")?,
            three_days: get(r, "n_three_days")?,
            repeat: get(r, "n_repeat")?,
        },
        second_line_called: b("second_line_called")?,
        survey: get_opt_code(r, "survey", SurveyResult::from_code)?,
        parts_cost_fen: get(r, "parts_cost_fen")?,
        desk_late_registration: b("desk_late_registration")?,
        desk_incomplete: b("desk_incomplete")?,
        desk_late_dispatch: b("desk_late_dispatch")?,
        desk_late_report: b("desk_late_report")?,
    })
}

/// The stored facts of a ticket.
pub async fn facts<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Option<TicketFacts>> {
    let stmt =
        Query::select().expr(Expr::cust("*")).from(F::Table).and_where(Expr::col(F::TicketId).eq(ticket)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(facts_row).transpose()
}

/// How many notices of each counted kind a ticket has.
pub async fn notice_counts<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<NoticeCounts> {
    let stmt = Query::select()
        .column(Notices::Kind)
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(Notices::Table)
        .and_where(Expr::col(Notices::TicketId).eq(ticket))
        .and_where(Expr::col(Notices::Kind).is_in(COUNTED_NOTICES.map(|k| k.code())))
        .group_by_col(Notices::Kind)
        .to_owned();
    let mut pairs = Vec::new();
    for r in conn.query_all(&stmt).await? {
        let kind: String = get(&r, "kind")?;
        if let Some(k) = NoticeKind::from_code(&kind) {
            pairs.push((k, get::<i64>(&r, "n")?));
        }
    }
    Ok(NoticeCounts::from_pairs(pairs))
}

/// Recounts the notice columns of these tickets' facts from their notices (in the
/// transaction that raised them). A ticket without a facts row yet gets its counts when
/// its row is first written.
pub async fn recount_notices<C: ConnectionTrait>(conn: &C, tickets: &[Id]) -> Result<()> {
    if tickets.is_empty() {
        return Ok(());
    }
    let count = |k: NoticeKind| {
        Expr::cust(format!(
            "(SELECT COUNT(*) FROM notices WHERE notices.ticket_id = ticket_facts.ticket_id AND notices.kind = '{}')",
            k.code()
        ))
    };
    let stmt = Query::update()
        .table(F::Table)
        .value(F::NResponseTimeout, count(NoticeKind::ResponseTimeout))
        .value(F::NSecondLine, count(NoticeKind::SecondLine))
        .value(F::NSameDay, count(NoticeKind::NotClosedSameDay))
        .value(F::NCustomerUnclosed, count(NoticeKind::CustomerDidNotClose))
        .value(F::NThreeDays, count(NoticeKind::ThreeDaysUnclosed))
        .value(F::NRepeat, count(NoticeKind::RepeatReport))
        .and_where(Expr::col(F::TicketId).is_in(tickets.iter().copied()))
        .to_owned();
    conn.execute(&stmt).await?;
    // Second line called: a second-line engineer named, or a second-line notice raised.
    let stmt = Query::update()
        .table(F::Table)
        .value(
            F::SecondLineCalled,
            Expr::cust("CASE WHEN second_line_id IS NOT NULL OR n_second_line > 0 THEN 1 ELSE 0 END"),
        )
        .and_where(Expr::col(F::TicketId).is_in(tickets.iter().copied()))
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

/// The catalog value of the parts used on a ticket, in fen.
pub async fn parts_cost<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<i64> {
    let stmt = Query::select()
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(stock_movements.quantity * parts.price_fen), 0) AS BIGINT)"),
            Alias::new("cost"),
        )
        .from(StockMovements::Table)
        .inner_join(
            Parts::Table,
            Expr::col((Parts::Table, Parts::Id)).equals((StockMovements::Table, StockMovements::PartId)),
        )
        .and_where(Expr::col((StockMovements::Table, StockMovements::TicketId)).eq(ticket))
        .and_where(Expr::col((StockMovements::Table, StockMovements::Kind)).eq("use"))
        .to_owned();
    Ok(match conn.query_one(&stmt).await? {
        Some(r) => get::<Option<i64>>(&r, "cost")?.unwrap_or(0),
        None => 0,
    })
}

/// Tickets without a facts row, after `after` (the backfill at start).
pub async fn tickets_without_facts<C: ConnectionTrait>(conn: &C, after: Id, limit: u64) -> Result<Vec<Id>> {
    let stmt = Query::select()
        .column((Tickets::Table, Tickets::Id))
        .from(Tickets::Table)
        .left_join(F::Table, Expr::col((F::Table, F::TicketId)).equals((Tickets::Table, Tickets::Id)))
        .and_where(Expr::col((F::Table, F::TicketId)).is_null())
        .and_where(Expr::col((Tickets::Table, Tickets::Id)).gt(after))
        .order_by((Tickets::Table, Tickets::Id), Order::Asc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get(r, "id")).collect()
}

// ----- aggregations -----

/// Which instant puts a ticket in a report's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Registered,
    Dispatched,
    Resolved,
    Closed,
}

impl Basis {
    fn column(self) -> F {
        match self {
            Basis::Registered => F::RegisteredAt,
            Basis::Dispatched => F::DispatchedAt,
            Basis::Resolved => F::ResolvedAt,
            Basis::Closed => F::ClosedAt,
        }
    }
}

/// The rows of a report cell or table: a period on one instant plus the filters chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct FactFilter {
    pub basis: Basis,
    pub from: Timestamp,
    /// Exclusive.
    pub to: Timestamp,
    pub customer: Option<Id>,
    pub region: Option<String>,
    pub engineer: Option<Id>,
    pub category: Option<Id>,
    pub priority: Option<String>,
    pub desk: Option<Id>,
    /// Only tickets with no category (the monthly table's 未分类 row).
    pub uncategorised: bool,
}

impl FactFilter {
    pub fn new(basis: Basis, from: Timestamp, to: Timestamp) -> FactFilter {
        FactFilter {
            basis,
            from,
            to,
            customer: None,
            region: None,
            engineer: None,
            category: None,
            priority: None,
            desk: None,
            uncategorised: false,
        }
    }

    fn apply(&self, q: &mut SelectStatement) {
        let at = (F::Table, self.basis.column());
        q.and_where(Expr::col(at).gte(ms(self.from))).and_where(Expr::col(at).lt(ms(self.to)));
        if let Some(c) = self.customer {
            q.and_where(Expr::col((F::Table, F::CustomerId)).eq(c));
        }
        if let Some(r) = &self.region {
            q.and_where(Expr::col((F::Table, F::Region)).eq(r.clone()));
        }
        if let Some(e) = self.engineer {
            q.and_where(Expr::col((F::Table, F::FirstLineId)).eq(e));
        }
        if let Some(c) = self.category {
            q.and_where(Expr::col((F::Table, F::CategoryId)).eq(c));
        }
        if let Some(p) = &self.priority {
            if p == "none" {
                q.and_where(Expr::col((F::Table, F::Priority)).is_null());
            } else {
                q.and_where(Expr::col((F::Table, F::Priority)).eq(p.clone()));
            }
        }
        if let Some(d) = self.desk {
            q.and_where(Expr::col((F::Table, F::RegisteredBy)).eq(d));
        }
        if self.uncategorised {
            q.and_where(Expr::col((F::Table, F::CategoryId)).is_null());
        }
    }
}

/// Which of the filtered tickets a cell counts (the drill-down's condition). Each is one
/// SQL condition on a facts row, the same one the cell's number sums.
#[derive(Debug, Clone, PartialEq)]
pub enum Slice {
    All,
    Resolved,
    OnTimeResponse,
    ResponseTimeout,
    SecondLine,
    SameDay,
    CustomerUnclosed,
    Repeat,
    ThreeDays,
    /// Response timeout or same-day unclosed (seed 004's 未达服务标准).
    BelowStandard,
    Survey(SurveyResult),
    Complaint,
    /// The clock settled late.
    ClockMissed(ClockKind),
    DeskLateRegistration,
    DeskIncomplete,
    DeskLateDispatch,
    DeskLateReport,
    /// A device model and fault code (high-frequency problems); `None` matches a missing one.
    Problem(Option<String>, Option<String>),
    /// Important: P1-ranked or escalated to the PM/GM (a three-days notice).
    Important(String),
}

/// The SQL condition of a slice, over `ticket_facts` (fixed column names, no input text).
fn condition(s: &Slice) -> Option<SimpleExpr> {
    let c = |sql: &str| Some(Expr::cust(sql.to_owned()));
    match s {
        Slice::All => None,
        Slice::Resolved => c("ticket_facts.resolved_at IS NOT NULL"),
        Slice::OnTimeResponse => c("ticket_facts.clk_response = 0"),
        Slice::ResponseTimeout => c("ticket_facts.n_response_timeout > 0"),
        Slice::SecondLine => c("ticket_facts.second_line_called = 1"),
        Slice::SameDay => c("ticket_facts.n_same_day > 0"),
        Slice::CustomerUnclosed => c("ticket_facts.n_customer_unclosed > 0"),
        Slice::Repeat => c("ticket_facts.n_repeat > 0"),
        Slice::ThreeDays => c("ticket_facts.n_three_days > 0"),
        Slice::BelowStandard => c("(ticket_facts.n_response_timeout > 0 OR ticket_facts.n_same_day > 0)"),
        Slice::Survey(r) => Some(Expr::col((F::Table, F::Survey)).eq(r.code())),
        Slice::Complaint => Some(Expr::col((F::Table, F::Kind)).eq(Kind::Complaint.code())),
        Slice::ClockMissed(k) => Some(Expr::cust(format!("ticket_facts.{} > 0", clock_column(*k)))),
        Slice::DeskLateRegistration => c("ticket_facts.desk_late_registration = 1"),
        Slice::DeskIncomplete => c("ticket_facts.desk_incomplete = 1"),
        Slice::DeskLateDispatch => c("ticket_facts.desk_late_dispatch = 1"),
        Slice::DeskLateReport => c("ticket_facts.desk_late_report = 1"),
        Slice::Problem(model, code) => {
            let m = match model {
                Some(m) => Expr::col((F::Table, F::DeviceModel)).eq(m.clone()),
                None => Expr::col((F::Table, F::DeviceModel)).is_null(),
            };
            let f = match code {
                Some(x) => Expr::col((F::Table, F::FaultCode)).eq(x.clone()),
                None => Expr::col((F::Table, F::FaultCode)).is_null(),
            };
            Some(m.and(f))
        }
        Slice::Important(top) => {
            Some(Expr::col((F::Table, F::Priority)).eq(top.clone()).or(Expr::cust("ticket_facts.n_three_days > 0")))
        }
    }
}

/// One ticket behind a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellTicket {
    pub id: Id,
    pub number: String,
    pub customer_id: Id,
    pub status: String,
    pub description: String,
    pub at: Option<Timestamp>,
}

/// The tickets behind a cell, newest first, at most `limit`; and how many there are.
pub async fn drill<C: ConnectionTrait>(
    conn: &C,
    f: &FactFilter,
    slice: &Slice,
    limit: u64,
) -> Result<(Vec<CellTicket>, i64)> {
    let mut count = Query::select();
    count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from(F::Table);
    f.apply(&mut count);
    if let Some(c) = condition(slice) {
        count.and_where(c);
    }
    let total = match conn.query_one(&count).await? {
        Some(r) => get::<i64>(&r, "n")?,
        None => 0,
    };
    let at = f.basis.column();
    let mut q = Query::select();
    q.column((Tickets::Table, Tickets::Id))
        .column((Tickets::Table, Tickets::Number))
        .column((Tickets::Table, Tickets::CustomerId))
        .column((Tickets::Table, Tickets::Status))
        .column((Tickets::Table, Tickets::Description))
        .expr_as(Expr::col((F::Table, at)), Alias::new("at"))
        .from(F::Table)
        .inner_join(Tickets::Table, Expr::col((Tickets::Table, Tickets::Id)).equals((F::Table, F::TicketId)));
    f.apply(&mut q);
    if let Some(c) = condition(slice) {
        q.and_where(c);
    }
    q.order_by((F::Table, at), Order::Desc).order_by((F::Table, F::TicketId), Order::Desc).limit(limit);
    let rows = conn
        .query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(CellTicket {
                id: get(r, "id")?,
                number: get(r, "number")?,
                customer_id: get(r, "customer_id")?,
                status: get(r, "status")?,
                description: get(r, "description")?,
                at: get_opt_ts(r, "at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// One ticket of a cell's whole list (the export): the drill's columns and the facts'
/// dimensions a reader sorts by, names already joined in.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedTicket {
    pub id: Id,
    pub number: String,
    pub customer: String,
    pub region: String,
    pub priority: Option<String>,
    pub engineer: Option<String>,
    pub status: String,
    pub description: String,
    /// The instant that put the ticket in the period (the cell's basis).
    pub at: Timestamp,
}

/// Where a page of [`drill_page`] ended: give it back to read the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrillCursor {
    at_ms: i64,
    id: Id,
}

/// The next `limit` tickets behind a cell after `after`, in the drill's order (newest
/// first, then by ticket). A keyset page: each page costs the same however deep it is, so
/// a list of any length is read in constant memory. Returns the rows and the cursor after
/// the last one (`None` when this page was the last).
pub async fn drill_page<C: ConnectionTrait>(
    conn: &C,
    f: &FactFilter,
    slice: &Slice,
    after: Option<DrillCursor>,
    limit: u64,
) -> Result<(Vec<ListedTicket>, Option<DrillCursor>)> {
    let at = f.basis.column();
    let mut q = Query::select();
    q.column((Tickets::Table, Tickets::Id))
        .column((Tickets::Table, Tickets::Number))
        .column((Tickets::Table, Tickets::Status))
        .column((Tickets::Table, Tickets::Description))
        .column((F::Table, F::Region))
        .column((F::Table, F::Priority))
        .expr_as(Expr::col((Customers::Table, Customers::ShortName)), Alias::new("customer"))
        .expr_as(Expr::col((Users::Table, Users::DisplayName)), Alias::new("engineer"))
        .expr_as(Expr::col((F::Table, at)), Alias::new("at"))
        .from(F::Table)
        .inner_join(Tickets::Table, Expr::col((Tickets::Table, Tickets::Id)).equals((F::Table, F::TicketId)))
        .inner_join(Customers::Table, Expr::col((Customers::Table, Customers::Id)).equals((F::Table, F::CustomerId)))
        .left_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((F::Table, F::FirstLineId)));
    f.apply(&mut q);
    if let Some(c) = condition(slice) {
        q.and_where(c);
    }
    if let Some(c) = after {
        // The bound on the instant alone lets the index start the page where the last one
        // ended (an OR alone would scan from the period's end on every page).
        q.and_where(Expr::col((F::Table, at)).lte(c.at_ms));
        q.and_where(
            Expr::col((F::Table, at))
                .lt(c.at_ms)
                .or(Expr::col((F::Table, at)).eq(c.at_ms).and(Expr::col((F::Table, F::TicketId)).lt(c.id))),
        );
    }
    q.order_by((F::Table, at), Order::Desc).order_by((F::Table, F::TicketId), Order::Desc).limit(limit);
    let rows = conn
        .query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(ListedTicket {
                id: get(r, "id")?,
                number: get(r, "number")?,
                customer: get(r, "customer")?,
                region: get(r, "region")?,
                priority: get(r, "priority")?,
                engineer: get(r, "engineer")?,
                status: get(r, "status")?,
                description: get(r, "description")?,
                at: get_ts(r, "at")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let next = match rows.last() {
        Some(last) if rows.len() as u64 == limit => Some(DrillCursor { at_ms: ms(last.at), id: last.id }),
        _ => None,
    };
    Ok((rows, next))
}

/// One engineer's line of the weekly table, as summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineerSums {
    pub engineer: Id,
    pub dispatches: i64,
    pub on_time: i64,
    pub response_timeout: i64,
    pub second_line: i64,
    pub same_day: i64,
    pub customer_unclosed: i64,
    pub repeat: i64,
    pub three_days: i64,
    /// Sum and count of dispatched → resolved working minutes (mean time to repair).
    pub repair_min: i64,
    pub repaired: i64,
}

const ENGINEER_SUMS: &str = "COUNT(*) AS dispatches, \
    CAST(COALESCE(SUM(CASE WHEN clk_response = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS on_time, \
    CAST(COALESCE(SUM(CASE WHEN n_response_timeout > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS response_timeout, \
    CAST(COALESCE(SUM(second_line_called), 0) AS BIGINT) AS second_line, \
    CAST(COALESCE(SUM(CASE WHEN n_same_day > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS same_day, \
    CAST(COALESCE(SUM(CASE WHEN n_customer_unclosed > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS customer_unclosed, \
    CAST(COALESCE(SUM(CASE WHEN n_repeat > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS repeat_reports, \
    CAST(COALESCE(SUM(CASE WHEN n_three_days > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS three_days, \
    CAST(COALESCE(SUM(repair_work_min), 0) AS BIGINT) AS repair_min, \
    COUNT(repair_work_min) AS repaired";

fn sum_i64(r: &QueryResult, c: &str) -> Result<i64> {
    // Every sum is cast to BIGINT in its SQL (PostgreSQL's SUM of a BIGINT is NUMERIC).
    Ok(get::<Option<i64>>(r, c)?.unwrap_or(0))
}

/// The weekly table: each engineer's counts over the tickets dispatched in the period
/// (a ticket counts once per dispatch period, for its first-line engineer).
pub async fn engineer_sums<C: ConnectionTrait>(conn: &C, f: &FactFilter) -> Result<Vec<EngineerSums>> {
    let mut q = Query::select();
    q.column((F::Table, F::FirstLineId)).expr(Expr::cust(ENGINEER_SUMS)).from(F::Table);
    f.apply(&mut q);
    q.and_where(Expr::col((F::Table, F::FirstLineId)).is_not_null()).group_by_col((F::Table, F::FirstLineId));
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(EngineerSums {
                engineer: get(r, "first_line_id")?,
                dispatches: sum_i64(r, "dispatches")?,
                on_time: sum_i64(r, "on_time")?,
                response_timeout: sum_i64(r, "response_timeout")?,
                second_line: sum_i64(r, "second_line")?,
                same_day: sum_i64(r, "same_day")?,
                customer_unclosed: sum_i64(r, "customer_unclosed")?,
                repeat: sum_i64(r, "repeat_reports")?,
                three_days: sum_i64(r, "three_days")?,
                repair_min: sum_i64(r, "repair_min")?,
                repaired: sum_i64(r, "repaired")?,
            })
        })
        .collect()
}

/// One (region, customer, category) group of the monthly table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSums {
    pub region: String,
    pub customer: Id,
    pub category: Option<Id>,
    pub tickets: i64,
    pub repair_min: i64,
    pub repaired: i64,
    pub below_standard: i64,
}

/// The monthly table by region and customer, split by category, over the tickets
/// registered in the period.
pub async fn region_sums<C: ConnectionTrait>(conn: &C, f: &FactFilter) -> Result<Vec<RegionSums>> {
    let mut q = Query::select();
    q.column((F::Table, F::Region))
        .column((F::Table, F::CustomerId))
        .column((F::Table, F::CategoryId))
        .expr(Expr::cust(
            "COUNT(*) AS tickets, CAST(COALESCE(SUM(repair_work_min), 0) AS BIGINT) AS repair_min, COUNT(repair_work_min) AS repaired, \
             CAST(COALESCE(SUM(CASE WHEN n_response_timeout > 0 OR n_same_day > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS below_standard",
        ))
        .from(F::Table);
    f.apply(&mut q);
    q.group_by_col((F::Table, F::Region))
        .group_by_col((F::Table, F::CustomerId))
        .group_by_col((F::Table, F::CategoryId));
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(RegionSums {
                region: get(r, "region")?,
                customer: get(r, "customer_id")?,
                category: get(r, "category_id")?,
                tickets: sum_i64(r, "tickets")?,
                repair_min: sum_i64(r, "repair_min")?,
                repaired: sum_i64(r, "repaired")?,
                below_standard: sum_i64(r, "below_standard")?,
            })
        })
        .collect()
}

/// `(value, count)` pairs of a column over the filtered rows, for counts by level or
/// survey, and for percentiles of minutes.
pub async fn histogram<C: ConnectionTrait>(conn: &C, f: &FactFilter, column: F) -> Result<Vec<(Option<String>, i64)>> {
    let mut q = Query::select();
    q.column((F::Table, column)).expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from(F::Table);
    f.apply(&mut q);
    q.group_by_col((F::Table, column));
    let mut out = Vec::new();
    for r in conn.query_all(&q).await? {
        // Text and numbers alike come back as text for the caller to read.
        let v: Option<String> = match get::<Option<String>>(&r, &col_name(column)) {
            Ok(v) => v,
            Err(_) => get::<Option<i64>>(&r, &col_name(column))?.map(|n| n.to_string()),
        };
        out.push((v, sum_i64(&r, "n")?));
    }
    Ok(out)
}

fn col_name(c: F) -> String {
    use sea_orm::sea_query::Iden;
    c.to_string()
}

pub use crate::schema::TicketFacts as FactColumn;

/// The tickets registered in a period, grouped in one pass by what the monthly service
/// report splits them by: level, device model, fault code, and whether it is a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredGroup {
    pub priority: Option<String>,
    pub device_model: Option<String>,
    pub fault_code: Option<String>,
    pub complaint: bool,
    pub tickets: i64,
}

/// One pass over the filtered tickets (the monthly service report's volume, levels,
/// problems and complaints all add these groups up: one pass instead of three; the index
/// `ix_ticket_facts_registered` covers it).
pub async fn registered_groups<C: ConnectionTrait>(conn: &C, f: &FactFilter) -> Result<Vec<RegisteredGroup>> {
    let complaint = format!("CASE WHEN ticket_facts.kind = '{}' THEN 1 ELSE 0 END", Kind::Complaint.code());
    let mut q = Query::select();
    q.column((F::Table, F::Priority))
        .column((F::Table, F::DeviceModel))
        .column((F::Table, F::FaultCode))
        .expr_as(Expr::cust(complaint.clone()), Alias::new("complaint"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from(F::Table);
    f.apply(&mut q);
    q.group_by_col((F::Table, F::Priority))
        .group_by_col((F::Table, F::DeviceModel))
        .group_by_col((F::Table, F::FaultCode))
        .add_group_by([Expr::cust(complaint)]);
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(RegisteredGroup {
                priority: get(r, "priority")?,
                device_model: get(r, "device_model")?,
                fault_code: get(r, "fault_code")?,
                complaint: get::<i32>(r, "complaint")? == 1,
                tickets: sum_i64(r, "n")?,
            })
        })
        .collect()
}

/// Minutes of a column as a sorted histogram (for average and P90).
pub async fn minutes_histogram<C: ConnectionTrait>(conn: &C, f: &FactFilter, column: F) -> Result<Vec<(i64, i64)>> {
    let mut q = Query::select();
    q.column((F::Table, column)).expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from(F::Table);
    f.apply(&mut q);
    q.and_where(Expr::col((F::Table, column)).is_not_null())
        .group_by_col((F::Table, column))
        .order_by((F::Table, column), Order::Asc);
    conn.query_all(&q).await?.iter().map(|r| Ok((get::<i64>(r, &col_name(column))?, sum_i64(r, "n")?))).collect()
}

/// Per clock: how many tickets settled it and how many of those missed it.
pub async fn clock_compliance<C: ConnectionTrait>(conn: &C, f: &FactFilter) -> Result<Vec<(ClockKind, i64, i64)>> {
    let exprs: Vec<String> = ClockKind::ALL
        .iter()
        .map(|k| {
            let c = clock_column(*k);
            format!(
                "COUNT({c}) AS s_{c}, CAST(COALESCE(SUM(CASE WHEN {c} > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS m_{c}"
            )
        })
        .collect();
    let mut q = Query::select();
    q.expr(Expr::cust(exprs.join(", "))).from(F::Table);
    f.apply(&mut q);
    let Some(r) = conn.query_one(&q).await? else { return Ok(Vec::new()) };
    ClockKind::ALL
        .iter()
        .map(|k| {
            let c = clock_column(*k);
            Ok((*k, sum_i64(&r, &format!("s_{c}"))?, sum_i64(&r, &format!("m_{c}"))?))
        })
        .collect()
}

/// Counts of the filtered tickets in a slice.
pub async fn count<C: ConnectionTrait>(conn: &C, f: &FactFilter, slice: &Slice) -> Result<i64> {
    let mut q = Query::select();
    q.expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from(F::Table);
    f.apply(&mut q);
    if let Some(c) = condition(slice) {
        q.and_where(c);
    }
    Ok(match conn.query_one(&q).await? {
        Some(r) => sum_i64(&r, "n")?,
        None => 0,
    })
}

/// One desk agent's misses over the tickets they registered in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskSums {
    pub agent: Id,
    pub registered: i64,
    pub late_registration: i64,
    pub incomplete: i64,
    pub late_dispatch: i64,
    pub late_report: i64,
}

pub async fn desk_sums<C: ConnectionTrait>(conn: &C, f: &FactFilter) -> Result<Vec<DeskSums>> {
    let mut q = Query::select();
    q.column((F::Table, F::RegisteredBy))
        .expr(Expr::cust(
            "COUNT(*) AS registered, CAST(COALESCE(SUM(desk_late_registration), 0) AS BIGINT) AS late_registration, \
             CAST(COALESCE(SUM(desk_incomplete), 0) AS BIGINT) AS incomplete, CAST(COALESCE(SUM(desk_late_dispatch), 0) AS BIGINT) AS late_dispatch, \
             CAST(COALESCE(SUM(desk_late_report), 0) AS BIGINT) AS late_report",
        ))
        .from(F::Table);
    f.apply(&mut q);
    q.group_by_col((F::Table, F::RegisteredBy));
    conn.query_all(&q)
        .await?
        .iter()
        .map(|r| {
            Ok(DeskSums {
                agent: get(r, "registered_by")?,
                registered: sum_i64(r, "registered")?,
                late_registration: sum_i64(r, "late_registration")?,
                incomplete: sum_i64(r, "incomplete")?,
                late_dispatch: sum_i64(r, "late_dispatch")?,
                late_report: sum_i64(r, "late_report")?,
            })
        })
        .collect()
}

// ----- improvement actions -----

/// A month's improvement actions with who wrote them last and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Improvements {
    pub month: String,
    pub body: String,
    pub version: i64,
    pub author_id: Id,
    pub updated_at: Timestamp,
}

pub async fn improvements<C: ConnectionTrait>(conn: &C, month: &str) -> Result<Option<Improvements>> {
    let stmt = Query::select()
        .columns([
            ReportImprovements::Month,
            ReportImprovements::Body,
            ReportImprovements::Version,
            ReportImprovements::AuthorId,
            ReportImprovements::UpdatedAt,
        ])
        .from(ReportImprovements::Table)
        .and_where(Expr::col(ReportImprovements::Month).eq(month))
        .to_owned();
    conn.query_one(&stmt)
        .await?
        .as_ref()
        .map(|r| {
            Ok(Improvements {
                month: get(r, "month")?,
                body: get(r, "body")?,
                version: get(r, "version")?,
                author_id: get(r, "author_id")?,
                updated_at: get_ts(r, "updated_at")?,
            })
        })
        .transpose()
}

/// Writes a month's improvement actions if they are still at `based_on` (0: none yet).
/// Returns false when someone saved another version first.
pub async fn put_improvements<C: ConnectionTrait>(
    conn: &C,
    month: &str,
    body: &str,
    based_on: i64,
    author: Id,
    at: Timestamp,
) -> Result<bool> {
    if based_on == 0 {
        let stmt = Query::insert()
            .into_table(ReportImprovements::Table)
            .columns([
                ReportImprovements::Month,
                ReportImprovements::Body,
                ReportImprovements::Version,
                ReportImprovements::AuthorId,
                ReportImprovements::UpdatedAt,
            ])
            .values_panic([month.into(), body.into(), 1i64.into(), author.into(), ms(at).into()])
            .on_conflict(OnConflict::column(ReportImprovements::Month).do_nothing().to_owned())
            .to_owned();
        let r = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
        return Ok(r.rows_affected() == 1);
    }
    let stmt = Query::update()
        .table(ReportImprovements::Table)
        .value(ReportImprovements::Body, body)
        .value(ReportImprovements::Version, based_on + 1)
        .value(ReportImprovements::AuthorId, author)
        .value(ReportImprovements::UpdatedAt, ms(at))
        .and_where(Expr::col(ReportImprovements::Month).eq(month))
        .and_where(Expr::col(ReportImprovements::Version).eq(based_on))
        .to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected() == 1)
}
