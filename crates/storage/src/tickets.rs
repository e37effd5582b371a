//! Tickets, their history, work log, priority change requests and daily numbering.

use std::collections::HashMap;

use aftersales_domain::audience::Visibility;
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::event::{Change, Event};
use aftersales_domain::grading::{ChangeRequestStatus, PriorityChangeRequest};
use aftersales_domain::repeat::Prior;
use aftersales_domain::ticket::{
    CancelReason, Channel, ClosureMethod, Department, GradingDispute, GradingReview, Kind, Status, Ticket,
    WindowConfirmation,
};
use aftersales_domain::ticket_no::TicketNo;
use aftersales_domain::worklog::{LogEntry, LogKind};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{Customers, PriorityChangeRequests, TicketEvents, TicketSequences, Tickets, WorkLog};
use crate::{Result, StorageError, insert_returning_id};

/// Takes the next number of `day` (`YYYYMMDD`). The upsert locks the day's row until the
/// transaction ends, so concurrent registrations never get the same number.
pub async fn next_sequence<C: ConnectionTrait>(conn: &C, day: &str) -> Result<u32> {
    let stmt = Query::insert()
        .into_table(TicketSequences::Table)
        .columns([TicketSequences::Day, TicketSequences::LastSeq])
        .values_panic([day.into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(TicketSequences::Day)
                .value(TicketSequences::LastSeq, Expr::col((TicketSequences::Table, TicketSequences::LastSeq)).add(1))
                .to_owned(),
        )
        .returning_col(TicketSequences::LastSeq)
        .to_owned();
    let row =
        conn.query_one(&stmt).await?.ok_or_else(|| StorageError::Corrupt("sequence upsert returned no row".into()))?;
    let n: i64 = get(&row, "last_seq")?;
    u32::try_from(n).map_err(|_| StorageError::Corrupt(format!("sequence {n} out of range")))
}

/// Every stored ticket column except the id, in one order for insert and update.
const COLUMNS: [Tickets; 57] = [
    Tickets::Number,
    Tickets::Version,
    Tickets::CustomerId,
    Tickets::ContactId,
    Tickets::ContactName,
    Tickets::ContactPhone,
    Tickets::Channel,
    Tickets::Kind,
    Tickets::CategoryId,
    Tickets::DeviceId,
    Tickets::DeviceModel,
    Tickets::DeviceSerial,
    Tickets::FaultCode,
    Tickets::Description,
    Tickets::OccurredAt,
    Tickets::ImpactScope,
    Tickets::ExpectedResolution,
    Tickets::ExpectedBy,
    Tickets::CooperatingDepartments,
    Tickets::Status,
    Tickets::WindowConfirmation,
    Tickets::Priority,
    Tickets::PriorityRank,
    Tickets::GradingReason,
    Tickets::GradingReview,
    Tickets::GradingDispute,
    Tickets::GroupId,
    Tickets::FirstLineId,
    Tickets::SecondLineId,
    Tickets::RepeatOf,
    Tickets::ComplaintAbout,
    Tickets::SpecialistAttention,
    Tickets::RegisteredAt,
    Tickets::RegisteredBy,
    Tickets::AcceptedAt,
    Tickets::AcceptedBy,
    Tickets::DispatchedAt,
    Tickets::RespondedAt,
    Tickets::ResolvedAt,
    Tickets::Resolution,
    Tickets::ClosedAt,
    Tickets::ClosureMethod,
    Tickets::CustomerRefusals,
    Tickets::ReopenCount,
    Tickets::CancelReason,
    Tickets::CancelNote,
    Tickets::UpdatedAt,
    Tickets::CustomerLevel,
    Tickets::Calendar,
    Tickets::PolicyVersion,
    Tickets::VisitAt,
    Tickets::SurveyResult,
    Tickets::SurveyedAt,
    Tickets::Clocks,
    Tickets::NextDueAt,
    Tickets::ClockMisses,
    Tickets::Id,
];

fn departments_to_text(d: &[Department]) -> String {
    d.iter().map(|d| d.code()).collect::<Vec<_>>().join(",")
}

fn departments_from_text(s: &str) -> Result<Vec<Department>> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| Department::from_code(p).ok_or_else(|| StorageError::Corrupt(format!("department {p:?}"))))
        .collect()
}

/// Values for `COLUMNS` without the id.
fn values(t: &Ticket) -> Result<Vec<Expr>> {
    let clocks = serde_json::to_string(&t.clocks).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    Ok(vec![
        t.number.as_str().into(),
        t.version.into(),
        t.customer_id.into(),
        t.contact_id.into(),
        t.contact_name.clone().into(),
        t.contact_phone.clone().into(),
        t.channel.code().into(),
        t.kind.code().into(),
        t.category_id.into(),
        t.device_id.into(),
        t.device_model.clone().into(),
        t.device_serial.clone().into(),
        t.fault_code.clone().into(),
        t.description.clone().into(),
        ms(t.occurred_at).into(),
        t.impact_scope.clone().into(),
        t.expected_resolution.clone().into(),
        opt_ms(t.expected_by).into(),
        departments_to_text(&t.cooperating_departments).into(),
        t.status.code().into(),
        t.window_confirmation.code().into(),
        t.priority.clone().into(),
        t.priority_rank.into(),
        t.grading_reason.clone().into(),
        t.grading_review.code().into(),
        t.grading_dispute.code().into(),
        t.group_id.into(),
        t.first_line_id.into(),
        t.second_line_id.into(),
        t.repeat_of.into(),
        t.complaint_about.into(),
        t.specialist_attention.into(),
        ms(t.registered_at).into(),
        t.registered_by.into(),
        opt_ms(t.accepted_at).into(),
        t.accepted_by.into(),
        opt_ms(t.dispatched_at).into(),
        opt_ms(t.responded_at).into(),
        opt_ms(t.resolved_at).into(),
        t.resolution.clone().into(),
        opt_ms(t.closed_at).into(),
        t.closure_method.map(|m| m.code()).into(),
        t.customer_refusals.into(),
        t.reopen_count.into(),
        t.cancel_reason.map(|r| r.code()).into(),
        t.cancel_note.clone().into(),
        ms(t.updated_at).into(),
        t.customer_level.clone().into(),
        t.calendar.clone().into(),
        t.policy_version.into(),
        opt_ms(t.visit_at).into(),
        t.survey_result.map(|r| r.code()).into(),
        opt_ms(t.surveyed_at).into(),
        clocks.into(),
        opt_ms(t.clocks.next_due()).into(),
        i64::from(t.clocks.misses()).into(),
    ])
}

fn ticket(r: &QueryResult) -> Result<Ticket> {
    let number: String = get(r, "number")?;
    Ok(Ticket {
        id: get(r, "id")?,
        number: TicketNo::parse(&number).map_err(|e| StorageError::Corrupt(e.to_string()))?,
        version: get(r, "version")?,
        customer_id: get(r, "customer_id")?,
        contact_id: get(r, "contact_id")?,
        contact_name: get(r, "contact_name")?,
        contact_phone: get(r, "contact_phone")?,
        channel: get_code(r, "channel", Channel::from_code)?,
        kind: get_code(r, "kind", Kind::from_code)?,
        category_id: get(r, "category_id")?,
        device_id: get(r, "device_id")?,
        device_model: get(r, "device_model")?,
        device_serial: get(r, "device_serial")?,
        fault_code: get(r, "fault_code")?,
        description: get(r, "description")?,
        occurred_at: get_ts(r, "occurred_at")?,
        impact_scope: get(r, "impact_scope")?,
        expected_resolution: get(r, "expected_resolution")?,
        expected_by: get_opt_ts(r, "expected_by")?,
        cooperating_departments: departments_from_text(&get::<String>(r, "cooperating_departments")?)?,
        status: get_code(r, "status", Status::from_code)?,
        window_confirmation: get_code(r, "window_confirmation", WindowConfirmation::from_code)?,
        priority: get(r, "priority")?,
        priority_rank: get(r, "priority_rank")?,
        grading_reason: get(r, "grading_reason")?,
        grading_review: get_code(r, "grading_review", GradingReview::from_code)?,
        grading_dispute: get_code(r, "grading_dispute", GradingDispute::from_code)?,
        group_id: get(r, "group_id")?,
        first_line_id: get(r, "first_line_id")?,
        second_line_id: get(r, "second_line_id")?,
        repeat_of: get(r, "repeat_of")?,
        complaint_about: get(r, "complaint_about")?,
        specialist_attention: get(r, "specialist_attention")?,
        registered_at: get_ts(r, "registered_at")?,
        registered_by: get(r, "registered_by")?,
        accepted_at: get_opt_ts(r, "accepted_at")?,
        accepted_by: get(r, "accepted_by")?,
        dispatched_at: get_opt_ts(r, "dispatched_at")?,
        responded_at: get_opt_ts(r, "responded_at")?,
        resolved_at: get_opt_ts(r, "resolved_at")?,
        resolution: get(r, "resolution")?,
        closed_at: get_opt_ts(r, "closed_at")?,
        closure_method: get_opt_code(r, "closure_method", ClosureMethod::from_code)?,
        customer_refusals: get(r, "customer_refusals")?,
        reopen_count: get(r, "reopen_count")?,
        cancel_reason: get_opt_code(r, "cancel_reason", CancelReason::from_code)?,
        cancel_note: get(r, "cancel_note")?,
        updated_at: get_ts(r, "updated_at")?,
        customer_level: get(r, "customer_level")?,
        calendar: get(r, "calendar")?,
        policy_version: get(r, "policy_version")?,
        visit_at: get_opt_ts(r, "visit_at")?,
        survey_result: get_opt_code(r, "survey_result", SurveyResult::from_code)?,
        surveyed_at: get_opt_ts(r, "surveyed_at")?,
        clocks: serde_json::from_str(&get::<String>(r, "clocks")?)
            .map_err(|e| StorageError::Corrupt(format!("clocks: {e}")))?,
    })
}

pub async fn insert<C: ConnectionTrait>(conn: &C, t: &Ticket) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Tickets::Table)
        .columns(COLUMNS[..COLUMNS.len() - 1].iter().copied())
        .values_panic(values(t)?)
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// Writes `t` if the stored version is still `based_on`; the stored version becomes
/// `t.version`. Returns false when someone else changed the ticket meanwhile.
pub async fn update<C: ConnectionTrait>(conn: &C, t: &Ticket, based_on: i64) -> Result<bool> {
    let pairs: Vec<(Tickets, Expr)> = COLUMNS.iter().copied().zip(values(t)?).collect();
    let stmt = Query::update()
        .table(Tickets::Table)
        .values(pairs)
        .and_where(Expr::col(Tickets::Id).eq(t.id))
        .and_where(Expr::col(Tickets::Version).eq(based_on))
        .to_owned();
    let res = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(res.rows_affected() == 1)
}

/// Rewrites the folded clocks of a ticket (a replay after its calendar changed) if it is
/// still at version `t.version`, and moves the version on (the deadlines it shows changed).
/// False when the ticket changed meanwhile.
pub async fn update_clocks<C: ConnectionTrait>(conn: &C, t: &Ticket) -> Result<bool> {
    let clocks = serde_json::to_string(&t.clocks).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    let stmt = Query::update()
        .table(Tickets::Table)
        .values([
            (Tickets::Clocks, clocks.into()),
            (Tickets::NextDueAt, opt_ms(t.clocks.next_due()).into()),
            (Tickets::ClockMisses, i64::from(t.clocks.misses()).into()),
            (Tickets::Version, (t.version + 1).into()),
        ])
        .and_where(Expr::col(Tickets::Id).eq(t.id))
        .and_where(Expr::col(Tickets::Version).eq(t.version))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

fn select() -> SelectStatement {
    Query::select().columns(COLUMNS).from(Tickets::Table).to_owned()
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Ticket>> {
    let stmt = select().and_where(Expr::col(Tickets::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(ticket).transpose()
}

/// The tickets with these ids (unknown ids are left out), in one statement per batch.
pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: &[Id]) -> Result<Vec<Ticket>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let stmt = select().and_where(Expr::col(Tickets::Id).is_in(chunk.iter().copied())).to_owned();
        for r in conn.query_all(&stmt).await? {
            out.push(ticket(&r)?);
        }
    }
    Ok(out)
}

/// A customer's tickets that wait for the customer (DOMAIN §6, §8): resolved ones (confirm
/// closure), those awaiting the window's confirmation (when `window` reads), and those closed
/// since `surveys_since` whose survey is not answered. At most `limit`, most recent first.
pub async fn awaiting_customer<C: ConnectionTrait>(
    conn: &C,
    customer: Id,
    window: bool,
    surveys_since: Timestamp,
    limit: u64,
) -> Result<Vec<Ticket>> {
    let stmt = select()
        .and_where(Expr::col(Tickets::CustomerId).eq(customer))
        .and_where(awaiting(window, surveys_since))
        .order_by(Tickets::UpdatedAt, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(ticket).collect()
}

/// How many of a customer's tickets [`awaiting_customer`] would list (without a limit).
pub async fn count_awaiting_customer<C: ConnectionTrait>(
    conn: &C,
    customer: Id,
    window: bool,
    surveys_since: Timestamp,
) -> Result<u64> {
    let stmt = Query::select()
        .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::CustomerId).eq(customer))
        .and_where(awaiting(window, surveys_since))
        .to_owned();
    let n: i64 = match conn.query_one(&stmt).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What waits for a customer (see [`awaiting_customer`]).
fn awaiting(window: bool, surveys_since: Timestamp) -> sea_orm::sea_query::SimpleExpr {
    let open: Vec<&str> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    let mut waiting = Expr::col(Tickets::Status).eq(Status::Resolved.code()).or(Expr::col(Tickets::Status)
        .eq(Status::Closed.code())
        .and(Expr::col(Tickets::SurveyResult).is_null())
        .and(Expr::col(Tickets::ClosedAt).gte(ms(surveys_since))));
    if window {
        waiting = waiting.or(Expr::col(Tickets::WindowConfirmation)
            .eq(WindowConfirmation::Pending.code())
            .and(Expr::col(Tickets::Status).is_in(open)));
    }
    waiting
}

pub async fn by_number<C: ConnectionTrait>(conn: &C, number: &str) -> Result<Option<Ticket>> {
    let stmt = select().and_where(Expr::col(Tickets::Number).eq(number)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(ticket).transpose()
}

/// Fields a ticket list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    RegisteredAt,
    UpdatedAt,
    Number,
    Priority,
    Status,
    /// The nearest due instant of a running clock; tickets without one come last.
    Due,
}

impl SortKey {
    fn column(self) -> Tickets {
        match self {
            SortKey::RegisteredAt => Tickets::RegisteredAt,
            SortKey::UpdatedAt => Tickets::UpdatedAt,
            SortKey::Number => Tickets::Number,
            SortKey::Priority => Tickets::PriorityRank,
            SortKey::Status => Tickets::Status,
            SortKey::Due => Tickets::NextDueAt,
        }
    }
}

/// What a ticket list asks for. All conditions are combined with AND.
#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub priority: Option<String>,
    pub customer_id: Option<Id>,
    /// First- or second-line engineer.
    pub engineer_id: Option<Id>,
    pub group_id: Option<Id>,
    /// The customer's region (地域).
    pub region: Option<String>,
    pub registered_from: Option<Timestamp>,
    pub registered_to: Option<Timestamp>,
    /// A running clock is due at or after this instant…
    pub due_from: Option<Timestamp>,
    /// …and at or before this one (`due_to = now` lists overdue tickets).
    pub due_to: Option<Timestamp>,
    /// Breached as of this instant: a running clock overdue, or a clock stopped late.
    pub breached_at: Option<Timestamp>,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: u64,
    pub offset: u64,
    /// Count at most this many matches (the total is then a lower bound): a page that only
    /// says "10,000+" need not count 100,000 open tickets.
    pub count_limit: Option<u64>,
}

impl Default for TicketFilter {
    fn default() -> Self {
        TicketFilter {
            statuses: Vec::new(),
            priority: None,
            customer_id: None,
            engineer_id: None,
            group_id: None,
            region: None,
            registered_from: None,
            registered_to: None,
            due_from: None,
            due_to: None,
            breached_at: None,
            sort: SortKey::RegisteredAt,
            descending: true,
            limit: 50,
            offset: 0,
            count_limit: None,
        }
    }
}

fn apply_filter(stmt: &mut SelectStatement, f: &TicketFilter) {
    if !f.statuses.is_empty() {
        stmt.and_where(Expr::col(Tickets::Status).is_in(f.statuses.iter().map(|s| s.code())));
    }
    if let Some(p) = &f.priority {
        stmt.and_where(Expr::col(Tickets::Priority).eq(p.as_str()));
    }
    if let Some(c) = f.customer_id {
        stmt.and_where(Expr::col(Tickets::CustomerId).eq(c));
    }
    if let Some(e) = f.engineer_id {
        stmt.cond_where(Expr::col(Tickets::FirstLineId).eq(e).or(Expr::col(Tickets::SecondLineId).eq(e)));
    }
    if let Some(g) = f.group_id {
        stmt.and_where(Expr::col(Tickets::GroupId).eq(g));
    }
    if let Some(r) = &f.region {
        let customers = Query::select()
            .column(Customers::Id)
            .from(Customers::Table)
            .and_where(Expr::col(Customers::Region).eq(r.as_str()))
            .to_owned();
        stmt.and_where(Expr::col(Tickets::CustomerId).in_subquery(customers));
    }
    if let Some(from) = f.registered_from {
        stmt.and_where(Expr::col(Tickets::RegisteredAt).gte(ms(from)));
    }
    if let Some(to) = f.registered_to {
        stmt.and_where(Expr::col(Tickets::RegisteredAt).lt(ms(to)));
    }
    if let Some(from) = f.due_from {
        stmt.and_where(Expr::col(Tickets::NextDueAt).gte(ms(from)));
    }
    if let Some(to) = f.due_to {
        stmt.and_where(Expr::col(Tickets::NextDueAt).lte(ms(to)));
    }
    if let Some(at) = f.breached_at {
        // Each branch matches one partial index (ix_tickets_next_due, ix_tickets_missed).
        stmt.cond_where(
            Expr::col(Tickets::NextDueAt)
                .is_not_null()
                .and(Expr::col(Tickets::NextDueAt).lte(ms(at)))
                .or(Expr::col(Tickets::ClockMisses).gt(0)),
        );
    }
}

/// A page of tickets and the total number matching.
pub async fn list<C: ConnectionTrait>(conn: &C, f: &TicketFilter) -> Result<(Vec<Ticket>, u64)> {
    let count = match f.count_limit {
        None => {
            let mut count = Query::select()
                .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
                .from(Tickets::Table)
                .to_owned();
            apply_filter(&mut count, f);
            count
        }
        Some(cap) => {
            let mut ids = Query::select().column(Tickets::Id).from(Tickets::Table).limit(cap).to_owned();
            apply_filter(&mut ids, f);
            Query::select()
                .expr_as(Func::count(Expr::col(Alias::new("id"))), Alias::new("n"))
                .from_subquery(ids, Alias::new("capped"))
                .to_owned()
        }
    };
    let total: i64 = match conn.query_one(&count).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    let order = if f.descending { Order::Desc } else { Order::Asc };
    if f.sort == SortKey::Due {
        let rows = by_due(conn, f, order).await?;
        return Ok((rows, u64::try_from(total).unwrap_or(0)));
    }
    let mut stmt = select();
    apply_filter(&mut stmt, f);
    if f.sort == SortKey::Number {
        // `YYYYMMDD-NNN` compared as text puts `-999` after `-4221` (the sequence grows past
        // three digits on a busy day): order by the date, then the sequence as a number.
        // The date is fixed-width text; among equal dates a longer sequence is a larger one.
        let number = || Expr::col(Tickets::Number);
        stmt.order_by_expr(Func::cust(Alias::new("SUBSTR")).arg(number()).arg(1).arg(8).into(), order.clone());
        stmt.order_by_expr(Func::cust(Alias::new("LENGTH")).arg(number()).into(), order.clone());
    }
    stmt.order_by(f.sort.column(), order.clone());
    stmt.order_by(Tickets::Id, order).limit(f.limit).offset(f.offset);
    let rows = conn.query_all(&stmt).await?;
    Ok((rows.iter().map(ticket).collect::<Result<_>>()?, u64::try_from(total).unwrap_or(0)))
}

/// A page sorted by the nearest due instant, tickets with nothing due last (whichever the
/// direction). Two reads instead of one `ORDER BY next_due_at NULLS LAST`, which neither
/// database can answer from an index: first the tickets with a due instant, in the order of
/// the partial index `ix_tickets_next_due` (so the first page of a board of 100,000 open
/// tickets reads 50 rows, not all of them); then, if the page is not full, those without.
async fn by_due<C: ConnectionTrait>(conn: &C, f: &TicketFilter, order: Order) -> Result<Vec<Ticket>> {
    let mut due = select();
    apply_filter(&mut due, f);
    due.and_where(Expr::col(Tickets::NextDueAt).is_not_null())
        .order_by(Tickets::NextDueAt, order.clone())
        .order_by(Tickets::Id, order.clone())
        .limit(f.limit)
        .offset(f.offset);
    let mut out: Vec<Ticket> = conn.query_all(&due).await?.iter().map(ticket).collect::<Result<_>>()?;
    let missing = f.limit.saturating_sub(out.len() as u64);
    if missing == 0 {
        return Ok(out);
    }
    // How many tickets with a due instant come before the ones without.
    let skipped = if out.is_empty() && f.offset > 0 {
        let mut count = Query::select()
            .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
            .from(Tickets::Table)
            .to_owned();
        apply_filter(&mut count, f);
        count.and_where(Expr::col(Tickets::NextDueAt).is_not_null());
        let n: i64 = match conn.query_one(&count).await? {
            Some(r) => get(&r, "n")?,
            None => 0,
        };
        u64::try_from(n).unwrap_or(0)
    } else {
        f.offset + out.len() as u64
    };
    let mut none = select();
    apply_filter(&mut none, f);
    none.and_where(Expr::col(Tickets::NextDueAt).is_null())
        .order_by(Tickets::Id, order)
        .limit(missing)
        .offset(f.offset.saturating_sub(skipped));
    for r in conn.query_all(&none).await? {
        out.push(ticket(&r)?);
    }
    Ok(out)
}

/// Earlier tickets of a device registered since `since` (for the repeat-report rule).
pub async fn priors_for_device<C: ConnectionTrait>(conn: &C, device: Id, since: Timestamp) -> Result<Vec<Prior>> {
    let stmt = Query::select()
        .columns([Tickets::Id, Tickets::FaultCode, Tickets::CategoryId, Tickets::RegisteredAt, Tickets::Status])
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::DeviceId).eq(device))
        .and_where(Expr::col(Tickets::RegisteredAt).gte(ms(since)))
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(Prior {
                id: get(r, "id")?,
                fault_code: get(r, "fault_code")?,
                category_id: get(r, "category_id")?,
                registered_at: get_ts(r, "registered_at")?,
                status: get_code(r, "status", Status::from_code)?,
            })
        })
        .collect()
}

/// Open tickets each of `users` holds in `group` (first or second line).
pub async fn open_load<C: ConnectionTrait>(conn: &C, group: Id, users: &[Id]) -> Result<HashMap<Id, i64>> {
    let mut load: HashMap<Id, i64> = users.iter().map(|&u| (u, 0)).collect();
    if users.is_empty() {
        return Ok(load);
    }
    let open: Vec<&str> =
        aftersales_domain::ticket::Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    for col in [Tickets::FirstLineId, Tickets::SecondLineId] {
        let stmt = Query::select()
            .expr_as(Expr::col(col), Alias::new("user_id"))
            .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
            .from(Tickets::Table)
            .and_where(Expr::col(Tickets::GroupId).eq(group))
            .and_where(Expr::col(Tickets::Status).is_in(open.clone()))
            .and_where(Expr::col(col).is_in(users.iter().copied()))
            .group_by_col(col)
            .to_owned();
        for r in conn.query_all(&stmt).await? {
            let user: Id = get(&r, "user_id")?;
            let n: i64 = get(&r, "n")?;
            *load.entry(user).or_default() += n;
        }
    }
    Ok(load)
}

pub async fn insert_event<C: ConnectionTrait>(conn: &C, e: &Event) -> Result<Id> {
    let changes = serde_json::to_string(&e.changes).map_err(|err| StorageError::Corrupt(err.to_string()))?;
    let stmt = Query::insert()
        .into_table(TicketEvents::Table)
        .columns([
            TicketEvents::TicketId,
            TicketEvents::At,
            TicketEvents::ActorId,
            TicketEvents::Action,
            TicketEvents::Changes,
            TicketEvents::Note,
        ])
        .values_panic([
            e.ticket_id.into(),
            ms(e.at).into(),
            e.actor_id.into(),
            e.action.clone().into(),
            changes.into(),
            e.note.clone().into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn events<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Event>> {
    let stmt = Query::select()
        .columns([
            TicketEvents::Id,
            TicketEvents::TicketId,
            TicketEvents::At,
            TicketEvents::ActorId,
            TicketEvents::Action,
            TicketEvents::Changes,
            TicketEvents::Note,
        ])
        .from(TicketEvents::Table)
        .and_where(Expr::col(TicketEvents::TicketId).eq(ticket))
        .order_by(TicketEvents::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            let changes: String = get(r, "changes")?;
            let changes: Vec<Change> =
                serde_json::from_str(&changes).map_err(|e| StorageError::Corrupt(format!("event changes: {e}")))?;
            Ok(Event {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                at: get_ts(r, "at")?,
                actor_id: get(r, "actor_id")?,
                action: get(r, "action")?,
                changes,
                note: get(r, "note")?,
            })
        })
        .collect()
}

pub async fn insert_log<C: ConnectionTrait>(conn: &C, l: &LogEntry) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(WorkLog::Table)
        .columns([WorkLog::TicketId, WorkLog::Kind, WorkLog::Body, WorkLog::AuthorId, WorkLog::At, WorkLog::Visibility])
        .values_panic([
            l.ticket_id.into(),
            l.kind.code().into(),
            l.body.clone().into(),
            l.author_id.into(),
            ms(l.at).into(),
            l.visibility.code().into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn logs<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<LogEntry>> {
    let stmt = Query::select()
        .columns([
            WorkLog::Id,
            WorkLog::TicketId,
            WorkLog::Kind,
            WorkLog::Body,
            WorkLog::AuthorId,
            WorkLog::At,
            WorkLog::Visibility,
        ])
        .from(WorkLog::Table)
        .and_where(Expr::col(WorkLog::TicketId).eq(ticket))
        .order_by(WorkLog::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(LogEntry {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                kind: get_code(r, "kind", LogKind::from_code)?,
                body: get(r, "body")?,
                author_id: get(r, "author_id")?,
                at: get_ts(r, "at")?,
                visibility: get_code(r, "visibility", Visibility::from_code)?,
            })
        })
        .collect()
}

const REQUEST_COLS: [PriorityChangeRequests; 11] = [
    PriorityChangeRequests::Id,
    PriorityChangeRequests::TicketId,
    PriorityChangeRequests::FromLevel,
    PriorityChangeRequests::ToLevel,
    PriorityChangeRequests::Reason,
    PriorityChangeRequests::RequestedBy,
    PriorityChangeRequests::RequestedAt,
    PriorityChangeRequests::Status,
    PriorityChangeRequests::DecidedBy,
    PriorityChangeRequests::DecidedAt,
    PriorityChangeRequests::DecisionNote,
];

fn request(r: &QueryResult) -> Result<PriorityChangeRequest> {
    Ok(PriorityChangeRequest {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        from_level: get(r, "from_level")?,
        to_level: get(r, "to_level")?,
        reason: get(r, "reason")?,
        requested_by: get(r, "requested_by")?,
        requested_at: get_ts(r, "requested_at")?,
        status: get_code(r, "status", ChangeRequestStatus::from_code)?,
        decided_by: get(r, "decided_by")?,
        decided_at: get_opt_ts(r, "decided_at")?,
        decision_note: get(r, "decision_note")?,
    })
}

pub async fn insert_change_request<C: ConnectionTrait>(conn: &C, q: &PriorityChangeRequest) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(PriorityChangeRequests::Table)
        .columns(REQUEST_COLS[1..8].iter().copied())
        .values_panic([
            q.ticket_id.into(),
            q.from_level.clone().into(),
            q.to_level.clone().into(),
            q.reason.clone().into(),
            q.requested_by.into(),
            ms(q.requested_at).into(),
            q.status.code().into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn decide_change_request<C: ConnectionTrait>(conn: &C, q: &PriorityChangeRequest) -> Result<()> {
    let stmt = Query::update()
        .table(PriorityChangeRequests::Table)
        .values([
            (PriorityChangeRequests::Status, q.status.code().into()),
            (PriorityChangeRequests::DecidedBy, q.decided_by.into()),
            (PriorityChangeRequests::DecidedAt, opt_ms(q.decided_at).into()),
            (PriorityChangeRequests::DecisionNote, q.decision_note.clone().into()),
        ])
        .and_where(Expr::col(PriorityChangeRequests::Id).eq(q.id))
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

/// One downgrade request.
pub async fn change_request_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<PriorityChangeRequest>> {
    let stmt = Query::select()
        .columns(REQUEST_COLS)
        .from(PriorityChangeRequests::Table)
        .and_where(Expr::col(PriorityChangeRequests::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(request).transpose()
}

/// The most recently decided downgrade requests, newest first.
pub async fn decided_change_requests<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<PriorityChangeRequest>> {
    let stmt = Query::select()
        .columns(REQUEST_COLS)
        .from(PriorityChangeRequests::Table)
        .and_where(Expr::col(PriorityChangeRequests::Status).ne(ChangeRequestStatus::Pending.code()))
        .order_by(PriorityChangeRequests::DecidedAt, Order::Desc)
        .order_by(PriorityChangeRequests::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(request).collect()
}

pub async fn change_requests<C: ConnectionTrait>(
    conn: &C,
    ticket: Option<Id>,
    status: Option<ChangeRequestStatus>,
) -> Result<Vec<PriorityChangeRequest>> {
    let mut stmt = Query::select().columns(REQUEST_COLS).from(PriorityChangeRequests::Table).to_owned();
    if let Some(t) = ticket {
        stmt.and_where(Expr::col(PriorityChangeRequests::TicketId).eq(t));
    }
    if let Some(s) = status {
        stmt.and_where(Expr::col(PriorityChangeRequests::Status).eq(s.code()));
    }
    stmt.order_by(PriorityChangeRequests::Id, Order::Asc);
    conn.query_all(&stmt).await?.iter().map(request).collect()
}
