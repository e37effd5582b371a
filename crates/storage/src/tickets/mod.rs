//! Tickets, their history, work log, priority change requests and daily numbering.

mod history;
mod list;
mod requests;

pub use history::*;
pub(crate) use history::{EVENT_COLUMNS, event_row};
pub use list::*;
pub use requests::*;

use aftersales_domain::Id;
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::ticket::{
    CancelReason, Channel, ClosureMethod, Department, GradingDispute, GradingReview, Kind, Status, Ticket,
    WindowConfirmation,
};
use aftersales_domain::ticket_no::TicketNo;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{TicketSequences, Tickets};
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
const COLUMNS: [Tickets; 58] = [
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
    Tickets::VisitDue,
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
        opt_ms(t.visit_due).into(),
        t.survey_result.map(|r| r.code()).into(),
        opt_ms(t.surveyed_at).into(),
        clocks.into(),
        opt_ms(t.clocks.next_due()).into(),
        i64::from(t.clocks.misses()).into(),
    ])
}

pub(super) fn ticket(r: &QueryResult) -> Result<Ticket> {
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
        visit_due: get_opt_ts(r, "visit_due")?,
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

/// Takes ticket `id`'s row lock until the transaction ends (an update that changes
/// nothing): a second transaction deciding something about the same ticket waits here, and
/// on PostgreSQL its next statement sees what the first committed. SQLite has one writer
/// at a time anyway. False when there is no such ticket.
pub async fn lock<C: ConnectionTrait>(conn: &C, id: Id) -> Result<bool> {
    let stmt = Query::update()
        .table(Tickets::Table)
        .value(Tickets::Version, Expr::col(Tickets::Version))
        .and_where(Expr::col(Tickets::Id).eq(id))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
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

pub(super) fn select() -> SelectStatement {
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

pub async fn by_number<C: ConnectionTrait>(conn: &C, number: &str) -> Result<Option<Ticket>> {
    let stmt = select().and_where(Expr::col(Tickets::Number).eq(number)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(ticket).transpose()
}

/// Makes registrations of device `device` take turns until the transaction ends (the
/// repeat-report check reads the device's earlier tickets; issue 18). SQLite needs nothing:
/// its writers already take turns.
pub async fn lock_device<C: ConnectionTrait>(conn: &C, device: Id) -> Result<()> {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [format!("device:{device}").into()],
        ))
        .await?;
    }
    Ok(())
}
