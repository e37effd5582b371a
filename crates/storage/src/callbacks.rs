//! Callbacks, call attempts, surveys and praise/complaints per engineer (issue 15, DOMAIN §6;
//! m0019), and the reads of the closing check and the archive.

use aftersales_domain::callback::{
    Attempt, AttemptOutcome, Callback, CallbackStatus, Choice, ClosedTicket, ClosureFacts, Feedback, FeedbackKind,
    Survey, SurveyAnswers, SurveyChannel, reasons_code, reasons_from_code,
};
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::ticket::Kind;
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{
    CallbackAttempts, Callbacks, Categories, Customers, EngineerFeedback, Surveys, TicketFees, Tickets, Users,
};
use crate::{Result, StorageError, insert_returning_id};

// ----- the selection's facts -----

/// The audiences that count as "reached the PM/GM" and "reached the project specialist"
/// (codes of `domain::notice::Audience`; constants, never input).
const MANAGEMENT: &str = "('project_manager', 'general_manager')";
const SPECIALIST: &str = "('project_specialist')";

fn reached(audiences: &str) -> Expr {
    Expr::cust(format!(
        "EXISTS (SELECT 1 FROM notices n JOIN notice_recipients r ON r.notice_id = n.id \
         WHERE n.ticket_id = tickets.id AND r.audience IN {audiences})"
    ))
}

/// The tickets closed in `[from, to)` and still closed, with what the callback rule needs.
pub async fn closed_between<C: ConnectionTrait>(conn: &C, from: Timestamp, to: Timestamp) -> Result<Vec<ClosedTicket>> {
    let stmt = Query::select()
        .column((Tickets::Table, Tickets::Id))
        .column((Tickets::Table, Tickets::Number))
        .column((Tickets::Table, Tickets::ClosedAt))
        .column((Tickets::Table, Tickets::FirstLineId))
        .column((Tickets::Table, Tickets::SpecialistAttention))
        .expr_as(reached(MANAGEMENT), Alias::new("management"))
        .expr_as(reached(SPECIALIST), Alias::new("specialist"))
        .column((TicketFees::Table, TicketFees::CallbackDueAt))
        .column((Tickets::Table, Tickets::Kind))
        .from(Tickets::Table)
        .left_join(
            TicketFees::Table,
            Expr::col((TicketFees::Table, TicketFees::TicketId)).equals((Tickets::Table, Tickets::Id)),
        )
        .and_where(Expr::col((Tickets::Table, Tickets::Status)).eq("closed"))
        .and_where(Expr::col((Tickets::Table, Tickets::ClosedAt)).gte(ms(from)))
        .and_where(Expr::col((Tickets::Table, Tickets::ClosedAt)).lt(ms(to)))
        .order_by((Tickets::Table, Tickets::Id), Order::Asc)
        .to_owned();
    let rows = conn.query_all(&stmt).await?;
    rows.iter()
        .map(|r| {
            let kind = get_code(r, "kind", Kind::from_code)?;
            Ok(ClosedTicket {
                ticket_id: get(r, "id")?,
                number: get(r, "number")?,
                closed_at: get_ts(r, "closed_at")?,
                engineer_id: get(r, "first_line_id")?,
                reached_management: flag(r, "management")?,
                reached_specialist: flag(r, "specialist")? || flag(r, "specialist_attention")?,
                // Seed 003's date counts only for a consumables service.
                consumables_due: if kind == Kind::Consumables { get_opt_ts(r, "callback_due_at")? } else { None },
            })
        })
        .collect()
}

/// A boolean column or an `EXISTS` (an integer on SQLite, a boolean on PostgreSQL).
fn flag(r: &QueryResult, col: &str) -> Result<bool> {
    if let Ok(b) = r.try_get::<bool>("", col) {
        return Ok(b);
    }
    Ok(get::<i64>(r, col)? != 0)
}

/// Stores the chosen callbacks of `day`; one per closure, so a rerun adds nothing. Returns
/// how many were new.
pub async fn insert_choices<C: ConnectionTrait>(
    conn: &C,
    day: &str,
    choices: &[Choice],
    now: Timestamp,
) -> Result<u64> {
    let mut added = 0;
    for c in choices {
        let stmt = Query::insert()
            .into_table(Callbacks::Table)
            .columns([
                Callbacks::TicketId,
                Callbacks::ClosedAt,
                Callbacks::Day,
                Callbacks::Reasons,
                Callbacks::SampledFor,
                Callbacks::DueAt,
                Callbacks::Status,
                Callbacks::Attempts,
                Callbacks::CreatedAt,
                Callbacks::Version,
            ])
            .values_panic([
                c.ticket_id.into(),
                ms(c.closed_at).into(),
                day.into(),
                reasons_code(&c.reasons).into(),
                c.sampled_for.into(),
                ms(c.due_at).into(),
                CallbackStatus::Pending.code().into(),
                0i32.into(),
                ms(now).into(),
                1i64.into(),
            ])
            .on_conflict(OnConflict::columns([Callbacks::TicketId, Callbacks::ClosedAt]).do_nothing().to_owned())
            .to_owned();
        added += conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected();
    }
    Ok(added)
}

/// Marks done, at `now`, the pending callbacks of `day` whose ticket already holds the
/// survey of that closure (the customer answered before the selection ran: the callback's
/// purpose is met, DOMAIN §6 "有回访").
pub async fn complete_surveyed<C: ConnectionTrait>(conn: &C, day: &str, now: Timestamp) -> Result<u64> {
    let stmt = Query::update()
        .table(Callbacks::Table)
        .value(Callbacks::Status, CallbackStatus::Done.code())
        .value(Callbacks::CompletedAt, ms(now))
        .value(Callbacks::Version, Expr::col(Callbacks::Version).add(1))
        .and_where(Expr::col(Callbacks::Day).eq(day))
        .and_where(Expr::col(Callbacks::Status).eq(CallbackStatus::Pending.code()))
        .and_where(Expr::cust(
            "EXISTS (SELECT 1 FROM tickets t WHERE t.id = callbacks.ticket_id \
             AND t.survey_result IS NOT NULL AND t.closed_at = callbacks.closed_at)",
        ))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

// ----- callbacks -----

const COLS: [Callbacks; 15] = [
    Callbacks::Id,
    Callbacks::TicketId,
    Callbacks::ClosedAt,
    Callbacks::Day,
    Callbacks::Reasons,
    Callbacks::SampledFor,
    Callbacks::DueAt,
    Callbacks::Status,
    Callbacks::NextCallAt,
    Callbacks::Attempts,
    Callbacks::CompletedAt,
    Callbacks::CompletedBy,
    Callbacks::CreatedAt,
    Callbacks::Version,
    Callbacks::Day,
];

fn callback(r: &QueryResult) -> Result<Callback> {
    Ok(Callback {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        closed_at: get_ts(r, "closed_at")?,
        day: get(r, "day")?,
        reasons: reasons_from_code(&get::<String>(r, "reasons")?),
        sampled_for: get(r, "sampled_for")?,
        due_at: get_ts(r, "due_at")?,
        status: get_code(r, "status", CallbackStatus::from_code)?,
        next_call_at: get_opt_ts(r, "next_call_at")?,
        attempts: get(r, "attempts")?,
        completed_at: get_opt_ts(r, "completed_at")?,
        completed_by: get(r, "completed_by")?,
        created_at: get_ts(r, "created_at")?,
        version: get(r, "version")?,
    })
}

fn select_callbacks() -> SelectStatement {
    let mut q = Query::select();
    for c in &COLS[..14] {
        q.column((Callbacks::Table, *c));
    }
    q.from(Callbacks::Table).to_owned()
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Callback>> {
    let stmt = select_callbacks().and_where(Expr::col((Callbacks::Table, Callbacks::Id)).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(callback).transpose()
}

/// The callbacks of a ticket, oldest closure first.
pub async fn of_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Callback>> {
    let stmt = select_callbacks()
        .and_where(Expr::col((Callbacks::Table, Callbacks::TicketId)).eq(ticket))
        .order_by((Callbacks::Table, Callbacks::ClosedAt), Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(callback).collect()
}

/// The callbacks chosen for `day` (the selection's stored result).
pub async fn of_day<C: ConnectionTrait>(conn: &C, day: &str) -> Result<Vec<Callback>> {
    let stmt = select_callbacks()
        .and_where(Expr::col((Callbacks::Table, Callbacks::Day)).eq(day))
        .order_by((Callbacks::Table, Callbacks::TicketId), Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(callback).collect()
}

/// What the worklist filters on.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<CallbackStatus>,
    /// Due before this instant (e.g. "overdue": now; "due today": the day's end).
    pub due_before: Option<Timestamp>,
    /// Reason code (`CallbackReason`), matched within the stored list.
    pub reason: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

/// A worklist line: the callback and the ticket's words.
#[derive(Debug, Clone)]
pub struct Line {
    pub callback: Callback,
    pub number: String,
    pub customer: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub engineer: Option<String>,
    pub sampled_for_name: Option<String>,
}

/// The worklist: by due time (the earliest first), then id; and the total matching.
pub async fn list<C: ConnectionTrait>(conn: &C, f: &Filter) -> Result<(Vec<Line>, u64)> {
    let eng = Alias::new("eng");
    let smp = Alias::new("smp");
    let mut q = select_callbacks();
    q.column((Tickets::Table, Tickets::Number))
        .expr_as(Expr::col((Customers::Table, Customers::Name)), Alias::new("customer"))
        .column((Tickets::Table, Tickets::ContactName))
        .column((Tickets::Table, Tickets::ContactPhone))
        .column((Tickets::Table, Tickets::Description))
        .expr_as(Expr::col((eng.clone(), Users::DisplayName)), Alias::new("engineer"))
        .expr_as(Expr::col((smp.clone(), Users::DisplayName)), Alias::new("sampled_name"))
        .inner_join(
            Tickets::Table,
            Expr::col((Tickets::Table, Tickets::Id)).equals((Callbacks::Table, Callbacks::TicketId)),
        )
        .inner_join(
            Customers::Table,
            Expr::col((Customers::Table, Customers::Id)).equals((Tickets::Table, Tickets::CustomerId)),
        )
        .join_as(
            sea_orm::sea_query::JoinType::LeftJoin,
            Users::Table,
            eng.clone(),
            Expr::col((eng.clone(), Users::Id)).equals((Tickets::Table, Tickets::FirstLineId)),
        )
        .join_as(
            sea_orm::sea_query::JoinType::LeftJoin,
            Users::Table,
            smp.clone(),
            Expr::col((smp.clone(), Users::Id)).equals((Callbacks::Table, Callbacks::SampledFor)),
        );
    if let Some(s) = f.status {
        q.and_where(Expr::col((Callbacks::Table, Callbacks::Status)).eq(s.code()));
    }
    if let Some(t) = f.due_before {
        q.and_where(Expr::col((Callbacks::Table, Callbacks::DueAt)).lt(ms(t)));
    }
    if let Some(r) = &f.reason {
        // Codes are a closed vocabulary checked by the caller; matched as a list element.
        // No reason code is part of another, so a substring match is exact.
        q.and_where(Expr::col((Callbacks::Table, Callbacks::Reasons)).like(format!("%{r}%")));
    }
    let count_q = q.clone();
    let total = count(conn, count_q).await?;
    q.order_by((Callbacks::Table, Callbacks::DueAt), Order::Asc)
        .order_by((Callbacks::Table, Callbacks::Id), Order::Asc)
        .limit(f.limit)
        .offset(f.offset);
    let rows = conn.query_all(&q).await?;
    let lines = rows
        .iter()
        .map(|r| {
            Ok(Line {
                callback: callback(r)?,
                number: get(r, "number")?,
                customer: get(r, "customer")?,
                contact_name: get(r, "contact_name")?,
                contact_phone: get(r, "contact_phone")?,
                description: get(r, "description")?,
                engineer: get(r, "engineer")?,
                sampled_for_name: get(r, "sampled_name")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((lines, total))
}

async fn count<C: ConnectionTrait>(conn: &C, q: SelectStatement) -> Result<u64> {
    let stmt =
        Query::select().expr_as(Expr::cust("COUNT(*)"), Alias::new("n")).from_subquery(q, Alias::new("q")).to_owned();
    let row = conn.query_one(&stmt).await?.ok_or_else(|| StorageError::Corrupt("count returned no row".into()))?;
    Ok(u64::try_from(get::<i64>(&row, "n")?).unwrap_or(0))
}

/// Records the state after an attempt, if the callback is still at version `based_on`;
/// false when another change came first.
pub async fn update_after_attempt<C: ConnectionTrait>(conn: &C, c: &Callback, based_on: i64) -> Result<bool> {
    let stmt = Query::update()
        .table(Callbacks::Table)
        .value(Callbacks::Status, c.status.code())
        .value(Callbacks::NextCallAt, opt_ms(c.next_call_at))
        .value(Callbacks::Attempts, c.attempts)
        .value(Callbacks::CompletedAt, opt_ms(c.completed_at))
        .value(Callbacks::CompletedBy, c.completed_by)
        .value(Callbacks::Version, based_on + 1)
        .and_where(Expr::col(Callbacks::Id).eq(c.id))
        .and_where(Expr::col(Callbacks::Version).eq(based_on))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

/// Marks the ticket's pending callbacks done (the customer answered the survey themselves).
pub async fn complete_pending<C: ConnectionTrait>(conn: &C, ticket: Id, by: Id, at: Timestamp) -> Result<u64> {
    let stmt = Query::update()
        .table(Callbacks::Table)
        .value(Callbacks::Status, CallbackStatus::Done.code())
        .value(Callbacks::CompletedAt, ms(at))
        .value(Callbacks::CompletedBy, by)
        .value(Callbacks::Version, Expr::col(Callbacks::Version).add(1))
        .and_where(Expr::col(Callbacks::TicketId).eq(ticket))
        .and_where(Expr::col(Callbacks::Status).eq(CallbackStatus::Pending.code()))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

// ----- attempts -----

pub async fn insert_attempt<C: ConnectionTrait>(conn: &C, a: &Attempt) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(CallbackAttempts::Table)
        .columns([
            CallbackAttempts::CallbackId,
            CallbackAttempts::Outcome,
            CallbackAttempts::Note,
            CallbackAttempts::CallBackAt,
            CallbackAttempts::ById,
            CallbackAttempts::At,
        ])
        .values_panic([
            a.callback_id.into(),
            a.outcome.code().into(),
            a.note.clone().into(),
            opt_ms(a.call_back_at).into(),
            a.by_id.into(),
            ms(a.at).into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn attempts<C: ConnectionTrait>(conn: &C, callback: Id) -> Result<Vec<Attempt>> {
    let stmt = Query::select()
        .columns([
            CallbackAttempts::Id,
            CallbackAttempts::CallbackId,
            CallbackAttempts::Outcome,
            CallbackAttempts::Note,
            CallbackAttempts::CallBackAt,
            CallbackAttempts::ById,
            CallbackAttempts::At,
        ])
        .from(CallbackAttempts::Table)
        .and_where(Expr::col(CallbackAttempts::CallbackId).eq(callback))
        .order_by(CallbackAttempts::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(Attempt {
                id: get(r, "id")?,
                callback_id: get(r, "callback_id")?,
                outcome: get_code(r, "outcome", AttemptOutcome::from_code)?,
                note: get(r, "note")?,
                call_back_at: get_opt_ts(r, "call_back_at")?,
                by_id: get(r, "by_id")?,
                at: get_ts(r, "at")?,
            })
        })
        .collect()
}

// ----- surveys -----

/// Stores a survey; `StorageError::Duplicate` when the round has one already.
pub async fn insert_survey<C: ConnectionTrait>(conn: &C, s: &Survey) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Surveys::Table)
        .columns([
            Surveys::TicketId,
            Surveys::Round,
            Surveys::Result,
            Surveys::Solved,
            Surveys::SpeedOk,
            Surveys::Suggestions,
            Surveys::Note,
            Surveys::Channel,
            Surveys::CallbackId,
            Surveys::RecordedBy,
            Surveys::RecordedAt,
        ])
        .values_panic([
            s.ticket_id.into(),
            s.round.into(),
            s.result.code().into(),
            s.answers.solved.into(),
            s.answers.speed_ok.into(),
            s.answers.suggestions.clone().into(),
            s.note.clone().into(),
            s.channel.code().into(),
            s.callback_id.into(),
            s.recorded_by.into(),
            ms(s.recorded_at).into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// Names the callback on which the ticket's latest survey was taken.
pub async fn link_survey<C: ConnectionTrait>(conn: &C, ticket: Id, callback: Id) -> Result<()> {
    let latest = Query::select()
        .expr(Expr::cust("MAX(round)"))
        .from(Surveys::Table)
        .and_where(Expr::col(Surveys::TicketId).eq(ticket))
        .to_owned();
    let stmt = Query::update()
        .table(Surveys::Table)
        .value(Surveys::CallbackId, callback)
        .and_where(Expr::col(Surveys::TicketId).eq(ticket))
        .and_where(Expr::col(Surveys::Round).in_subquery(latest))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Marks the ticket's latest survey as answered through `channel` (the mailed link, which
/// acts as the contact).
pub async fn set_survey_channel<C: ConnectionTrait>(conn: &C, ticket: Id, channel: SurveyChannel) -> Result<()> {
    let latest = Query::select()
        .expr(Expr::cust("MAX(round)"))
        .from(Surveys::Table)
        .and_where(Expr::col(Surveys::TicketId).eq(ticket))
        .to_owned();
    let stmt = Query::update()
        .table(Surveys::Table)
        .value(Surveys::Channel, channel.code())
        .and_where(Expr::col(Surveys::TicketId).eq(ticket))
        .and_where(Expr::col(Surveys::Round).in_subquery(latest))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// The surveys of a ticket, one per resolution round, oldest first.
pub async fn surveys_of<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Survey>> {
    let stmt = Query::select()
        .columns([
            Surveys::Id,
            Surveys::TicketId,
            Surveys::Round,
            Surveys::Result,
            Surveys::Solved,
            Surveys::SpeedOk,
            Surveys::Suggestions,
            Surveys::Note,
            Surveys::Channel,
            Surveys::CallbackId,
            Surveys::RecordedBy,
            Surveys::RecordedAt,
        ])
        .from(Surveys::Table)
        .and_where(Expr::col(Surveys::TicketId).eq(ticket))
        .order_by(Surveys::Round, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(Survey {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                round: get(r, "round")?,
                result: get_code(r, "result", SurveyResult::from_code)?,
                answers: SurveyAnswers {
                    solved: get(r, "solved")?,
                    speed_ok: get(r, "speed_ok")?,
                    suggestions: get(r, "suggestions")?,
                },
                note: get(r, "note")?,
                channel: get_code(r, "channel", SurveyChannel::from_code)?,
                callback_id: get(r, "callback_id")?,
                recorded_by: get(r, "recorded_by")?,
                recorded_at: get_ts(r, "recorded_at")?,
            })
        })
        .collect()
}

// ----- praise and complaints -----

const FEEDBACK_COLS: [EngineerFeedback; 12] = [
    EngineerFeedback::Id,
    EngineerFeedback::TicketId,
    EngineerFeedback::EngineerId,
    EngineerFeedback::Kind,
    EngineerFeedback::Note,
    EngineerFeedback::CallbackId,
    EngineerFeedback::RecordedBy,
    EngineerFeedback::RecordedAt,
    EngineerFeedback::Action,
    EngineerFeedback::ActionBy,
    EngineerFeedback::ReportedBackAt,
    EngineerFeedback::Id,
];

fn feedback(r: &QueryResult) -> Result<Feedback> {
    Ok(Feedback {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        engineer_id: get(r, "engineer_id")?,
        kind: get_code(r, "kind", FeedbackKind::from_code)?,
        note: get(r, "note")?,
        callback_id: get(r, "callback_id")?,
        recorded_by: get(r, "recorded_by")?,
        recorded_at: get_ts(r, "recorded_at")?,
        action: get(r, "action")?,
        action_by: get(r, "action_by")?,
        reported_back_at: get_opt_ts(r, "reported_back_at")?,
    })
}

pub async fn insert_feedback<C: ConnectionTrait>(conn: &C, f: &Feedback) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(EngineerFeedback::Table)
        .columns(FEEDBACK_COLS[1..8].iter().copied())
        .values_panic([
            f.ticket_id.into(),
            f.engineer_id.into(),
            f.kind.code().into(),
            f.note.clone().into(),
            f.callback_id.into(),
            f.recorded_by.into(),
            ms(f.recorded_at).into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn feedback_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Feedback>> {
    let stmt = Query::select()
        .columns(FEEDBACK_COLS[..11].iter().copied())
        .from(EngineerFeedback::Table)
        .and_where(Expr::col(EngineerFeedback::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(feedback).transpose()
}

pub async fn feedback_of_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Feedback>> {
    let stmt = Query::select()
        .columns(FEEDBACK_COLS[..11].iter().copied())
        .from(EngineerFeedback::Table)
        .and_where(Expr::col(EngineerFeedback::TicketId).eq(ticket))
        .order_by(EngineerFeedback::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(feedback).collect()
}

/// Records a complaint's improvement action reported back at `at`, unless one was recorded
/// first; false then.
pub async fn set_action<C: ConnectionTrait>(conn: &C, id: Id, action: &str, by: Id, at: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(EngineerFeedback::Table)
        .value(EngineerFeedback::Action, action)
        .value(EngineerFeedback::ActionBy, by)
        .value(EngineerFeedback::ReportedBackAt, ms(at))
        .and_where(Expr::col(EngineerFeedback::Id).eq(id))
        .and_where(Expr::col(EngineerFeedback::ReportedBackAt).is_null())
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

/// Praise and complaints per engineer recorded in `[from_ms, to_ms)`: (engineer id, praise,
/// complaints), by engineer id. For the weekly per-engineer table (DOMAIN §7).
pub async fn feedback_counts<C: ConnectionTrait>(conn: &C, from_ms: i64, to_ms: i64) -> Result<Vec<(Id, i64, i64)>> {
    let stmt = Query::select()
        .column(EngineerFeedback::EngineerId)
        .expr_as(Expr::cust("CAST(SUM(CASE WHEN kind = 'praise' THEN 1 ELSE 0 END) AS BIGINT)"), Alias::new("praise"))
        .expr_as(
            Expr::cust("CAST(SUM(CASE WHEN kind = 'complaint' THEN 1 ELSE 0 END) AS BIGINT)"),
            Alias::new("complaints"),
        )
        .from(EngineerFeedback::Table)
        .and_where(Expr::col(EngineerFeedback::RecordedAt).gte(from_ms))
        .and_where(Expr::col(EngineerFeedback::RecordedAt).lt(to_ms))
        .group_by_col(EngineerFeedback::EngineerId)
        .order_by(EngineerFeedback::EngineerId, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| Ok((get(r, "engineer_id")?, get(r, "praise")?, get(r, "complaints")?)))
        .collect()
}

// ----- the closing check -----

/// A closed ticket with its closing facts.
#[derive(Debug, Clone)]
pub struct ClosedFacts {
    pub ticket_id: Id,
    pub number: String,
    pub customer: String,
    pub closed_at: Timestamp,
    pub facts: ClosureFacts,
}

/// The closed tickets closed in `[from, to)` that lack one of the four parts (DOMAIN §6;
/// the parts are defined by `domain::callback::ClosureFacts`), by closure time; at most
/// `limit`, and the total.
pub async fn closure_gaps<C: ConnectionTrait>(
    conn: &C,
    from: Timestamp,
    to: Timestamp,
    limit: u64,
    offset: u64,
) -> Result<(Vec<ClosedFacts>, u64)> {
    let feedback = "(TRIM(tickets.description) <> '' AND TRIM(tickets.contact_name) <> '')";
    let handling = "(tickets.responded_at IS NOT NULL OR EXISTS (SELECT 1 FROM work_log w \
                    WHERE w.ticket_id = tickets.id AND w.author_id IN (tickets.first_line_id, tickets.second_line_id)))";
    let result = "(tickets.resolution IS NOT NULL AND TRIM(tickets.resolution) <> '')";
    let callback = "(tickets.survey_result IS NOT NULL OR EXISTS (SELECT 1 FROM surveys s WHERE s.ticket_id = tickets.id) \
                    OR EXISTS (SELECT 1 FROM callbacks c WHERE c.ticket_id = tickets.id AND c.status = 'done'))";
    let as_flag = |e: &str| Expr::cust(format!("CASE WHEN {e} THEN 1 ELSE 0 END"));
    let mut q = Query::select()
        .column((Tickets::Table, Tickets::Id))
        .column((Tickets::Table, Tickets::Number))
        .expr_as(Expr::col((Customers::Table, Customers::Name)), Alias::new("customer"))
        .column((Tickets::Table, Tickets::ClosedAt))
        .expr_as(as_flag(feedback), Alias::new("has_feedback"))
        .expr_as(as_flag(handling), Alias::new("has_handling"))
        .expr_as(as_flag(result), Alias::new("has_result"))
        .expr_as(as_flag(callback), Alias::new("has_callback"))
        .from(Tickets::Table)
        .inner_join(
            Customers::Table,
            Expr::col((Customers::Table, Customers::Id)).equals((Tickets::Table, Tickets::CustomerId)),
        )
        .and_where(Expr::col((Tickets::Table, Tickets::Status)).eq("closed"))
        .and_where(Expr::col((Tickets::Table, Tickets::ClosedAt)).gte(ms(from)))
        .and_where(Expr::col((Tickets::Table, Tickets::ClosedAt)).lt(ms(to)))
        .and_where(Expr::cust(format!("NOT ({feedback} AND {handling} AND {result} AND {callback})")))
        .to_owned();
    let total = count(conn, q.clone()).await?;
    q.order_by((Tickets::Table, Tickets::ClosedAt), Order::Desc)
        .order_by((Tickets::Table, Tickets::Id), Order::Desc)
        .limit(limit)
        .offset(offset);
    let rows = conn.query_all(&q).await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(ClosedFacts {
                ticket_id: get(r, "id")?,
                number: get(r, "number")?,
                customer: get(r, "customer")?,
                closed_at: get_ts(r, "closed_at")?,
                facts: ClosureFacts {
                    feedback: get::<i32>(r, "has_feedback")? != 0,
                    handling: get::<i32>(r, "has_handling")? != 0,
                    result: get::<i32>(r, "has_result")? != 0,
                    callback: get::<i32>(r, "has_callback")? != 0,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}

// ----- the archive -----

/// What the archive filters on (seed 000 (五): 客户名称-问题类型-日期).
#[derive(Debug, Clone, Default)]
pub struct ArchiveFilter {
    pub customer_id: Option<Id>,
    pub kind: Option<Kind>,
    pub category_id: Option<Id>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: u64,
    pub offset: u64,
}

/// A closed ticket as the archive lists it.
#[derive(Debug, Clone)]
pub struct ArchiveRow {
    pub ticket_id: Id,
    pub number: String,
    pub customer: String,
    pub kind: Kind,
    pub category: Option<String>,
    pub device_model: Option<String>,
    pub fault_code: Option<String>,
    pub description: String,
    pub resolution: Option<String>,
    pub engineer: Option<String>,
    pub registered_at: Timestamp,
    pub closed_at: Timestamp,
    pub survey_result: Option<SurveyResult>,
}

/// Closed tickets by customer, kind and closing date (the archive's order); and the total.
pub async fn archive<C: ConnectionTrait>(conn: &C, f: &ArchiveFilter) -> Result<(Vec<ArchiveRow>, u64)> {
    let eng = Alias::new("eng");
    let mut q = Query::select()
        .column((Tickets::Table, Tickets::Id))
        .column((Tickets::Table, Tickets::Number))
        .expr_as(Expr::col((Customers::Table, Customers::Name)), Alias::new("customer"))
        .column((Tickets::Table, Tickets::Kind))
        .expr_as(Expr::col((Categories::Table, Categories::NameZh)), Alias::new("category"))
        .column((Tickets::Table, Tickets::DeviceModel))
        .column((Tickets::Table, Tickets::FaultCode))
        .column((Tickets::Table, Tickets::Description))
        .column((Tickets::Table, Tickets::Resolution))
        .expr_as(Expr::col((eng.clone(), Users::DisplayName)), Alias::new("engineer"))
        .column((Tickets::Table, Tickets::RegisteredAt))
        .column((Tickets::Table, Tickets::ClosedAt))
        .column((Tickets::Table, Tickets::SurveyResult))
        .from(Tickets::Table)
        .inner_join(
            Customers::Table,
            Expr::col((Customers::Table, Customers::Id)).equals((Tickets::Table, Tickets::CustomerId)),
        )
        .left_join(
            Categories::Table,
            Expr::col((Categories::Table, Categories::Id)).equals((Tickets::Table, Tickets::CategoryId)),
        )
        .join_as(
            sea_orm::sea_query::JoinType::LeftJoin,
            Users::Table,
            eng.clone(),
            Expr::col((eng.clone(), Users::Id)).equals((Tickets::Table, Tickets::FirstLineId)),
        )
        .and_where(Expr::col((Tickets::Table, Tickets::Status)).eq("closed"))
        .to_owned();
    if let Some(c) = f.customer_id {
        q.and_where(Expr::col((Tickets::Table, Tickets::CustomerId)).eq(c));
    }
    if let Some(k) = f.kind {
        q.and_where(Expr::col((Tickets::Table, Tickets::Kind)).eq(k.code()));
    }
    if let Some(c) = f.category_id {
        q.and_where(Expr::col((Tickets::Table, Tickets::CategoryId)).eq(c));
    }
    if let Some(t) = f.from {
        q.and_where(Expr::col((Tickets::Table, Tickets::ClosedAt)).gte(ms(t)));
    }
    if let Some(t) = f.to {
        q.and_where(Expr::col((Tickets::Table, Tickets::ClosedAt)).lt(ms(t)));
    }
    let total = count(conn, q.clone()).await?;
    q.order_by((Customers::Table, Customers::Name), Order::Asc)
        .order_by((Tickets::Table, Tickets::Kind), Order::Asc)
        .order_by((Tickets::Table, Tickets::ClosedAt), Order::Asc)
        .order_by((Tickets::Table, Tickets::Id), Order::Asc)
        .limit(f.limit)
        .offset(f.offset);
    let rows = conn.query_all(&q).await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(ArchiveRow {
                ticket_id: get(r, "id")?,
                number: get(r, "number")?,
                customer: get(r, "customer")?,
                kind: get_code(r, "kind", Kind::from_code)?,
                category: get(r, "category")?,
                device_model: get(r, "device_model")?,
                fault_code: get(r, "fault_code")?,
                description: get(r, "description")?,
                resolution: get(r, "resolution")?,
                engineer: get(r, "engineer")?,
                registered_at: get_ts(r, "registered_at")?,
                closed_at: get_ts(r, "closed_at")?,
                survey_result: get_opt_code(r, "survey_result", SurveyResult::from_code)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((items, total))
}
