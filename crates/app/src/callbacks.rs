//! Callbacks (回访) and surveys, the closing check and the archive (DOMAIN §6, issue 15).
//!
//! After each service day a background job ([`CallbackSelection`]) asks the rule
//! (`domain::callback::select`) which of the day's closed tickets are called back and stores
//! the choice (a rerun adds nothing). The desk works the worklist ([`App::callbacks`]): each
//! call attempt is logged ([`App::log_attempt`]); reaching the customer records the
//! structured survey through the ticket's own survey step (so a dissatisfied answer reopens
//! the ticket for re-handling, DOMAIN §5) and any praise or complaint per engineer. A survey
//! the customer answers in the portal or through the mailed link completes the ticket's
//! callback too. Engineers and customer contacts never read callbacks.

use aftersales_domain::callback::{
    self, Attempt, AttemptOutcome, Callback, CallbackPolicy, CallbackReason, CallbackStatus, ClosurePart, Feedback,
    FeedbackKind, Survey, SurveyAnswers, SurveyChannel,
};
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::error::Reason;
use aftersales_domain::permission::{self, Action};
use aftersales_domain::ticket::{Kind, Ticket};
use aftersales_domain::{DomainError, Id, Lang, Timestamp, phone};
use aftersales_storage::callbacks::{self as store, Filter};
use aftersales_storage::jobs::Subject;
use aftersales_storage::{StorageError, WriteTx, tickets, users};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::jobs::{BackgroundJob, JobError};
use crate::tickets::Command;
use crate::users::Page;
use crate::{Actor, App, AppError, Result};

mod archive;
pub use archive::*;

/// A reason with its words in both languages (the sample names its engineer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonView {
    pub code: CallbackReason,
    pub zh: String,
    pub en: String,
}

/// A callback on the worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackLine {
    #[serde(flatten)]
    pub callback: Callback,
    pub number: String,
    pub customer: String,
    pub contact_name: String,
    /// Masked for the readers who do not call customers (DOMAIN §8).
    pub contact_phone: String,
    pub description: String,
    /// The first-line engineer's name.
    pub engineer: Option<String>,
    /// Why it was chosen, in words.
    pub why: Vec<ReasonView>,
    /// Still to call and past its due time.
    pub overdue: bool,
}

/// One page of the worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackPage {
    pub items: Vec<CallbackLine>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// Which due times the worklist shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DueFilter {
    #[default]
    All,
    /// Past its due time.
    Overdue,
    /// Due by the end of today (service time zone), overdue ones included.
    Today,
}

/// What the worklist is asked for.
#[derive(Debug, Clone, Default)]
pub struct CallbackQuery {
    /// `pending` or `done`; all when none.
    pub status: Option<String>,
    pub due: DueFilter,
    /// A reason code.
    pub reason: Option<String>,
    pub page: Page,
}

/// A callback's screen: the line, its attempts, the survey of the closure, the praise and
/// complaints of the ticket, the ticket's engineers to name, and whether the reader may work it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackScreen {
    pub line: CallbackLine,
    pub attempts: Vec<AttemptView>,
    pub survey: Option<Survey>,
    pub feedback: Vec<FeedbackView>,
    /// The ticket's engineers (first and second line): whom praise or a complaint may name.
    pub engineers: Vec<EngineerName>,
    /// The reader works callbacks (the desk) and this one is still to call.
    pub may_work: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    #[serde(flatten)]
    pub attempt: Attempt,
    pub by_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedbackView {
    #[serde(flatten)]
    pub feedback: Feedback,
    pub engineer_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineerName {
    pub id: Id,
    pub name: String,
}

/// The survey recorded on a call (seed 000 模板3 and (四)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// 满意 / 基本满意 / 不满意.
    pub result: SurveyResult,
    #[serde(default)]
    pub solved: Option<bool>,
    #[serde(default)]
    pub speed_ok: Option<bool>,
    #[serde(default)]
    pub suggestions: Option<String>,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Praise or a complaint about one of the ticket's engineers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    pub engineer_id: Id,
    pub kind: FeedbackKind,
    #[serde(default)]
    pub note: Option<String>,
}

/// One call attempt, as sent to `POST /api/v1/callbacks/{id}/attempts` (with `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttemptInput {
    pub outcome: AttemptOutcome,
    #[serde(default)]
    pub note: Option<String>,
    /// "Call back later": when the customer asked to be called.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub call_back_at: Option<Timestamp>,
    /// "Reached": the survey (required unless the customer answered it already).
    #[serde(default)]
    pub survey: Option<SurveyInput>,
    /// "Reached": praise or complaints gathered on the call.
    #[serde(default)]
    pub feedback: Vec<FeedbackInput>,
}

/// A closed ticket missing one of the four parts (DOMAIN §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClosureGap {
    pub ticket_id: Id,
    pub number: String,
    pub customer: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub closed_at: Timestamp,
    pub missing: Vec<ClosurePart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClosureGapPage {
    pub items: Vec<ClosureGap>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// What one day's selection stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Selection {
    pub day: String,
    /// Tickets closed that day.
    pub closed: usize,
    /// Callbacks added by this run (0 on a rerun).
    pub added: u64,
    /// The day's callbacks, by ticket.
    pub callbacks: Vec<Callback>,
}

/// The daily selection of callbacks, run after the service day `day` ended (seed 004: "每日
/// 三分之一的结案事件"). Deduplicated by the day, so any number of workers run it once;
/// each run enqueues the next day's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackSelection {
    /// The service day, `YYYY-MM-DD` in the service time zone.
    pub day: String,
    /// The service time zone (IANA name), in which the next day ends.
    pub time_zone: String,
}

impl BackgroundJob for CallbackSelection {
    const KIND: &'static str = "callback_selection";
    const DEDUPLICATED: bool = true;

    fn subject(&self) -> Subject {
        Subject::named("callbacks")
    }

    fn dedup_key(&self) -> String {
        self.day.clone()
    }

    async fn run(&self, app: &App) -> std::result::Result<(), JobError> {
        let day: Date = self.day.parse().map_err(|e| AppError::internal("callback selection day", e))?;
        let s = app.select_callbacks(day).await?;
        tracing::info!(day = %s.day, closed = s.closed, added = s.added, "callbacks selected");
        Ok(())
    }

    fn then(&self, _now: Timestamp) -> Option<(Self, Timestamp)> {
        let next = self.day.parse::<Date>().ok()?.tomorrow().ok()?;
        let tz = jiff::tz::TimeZone::get(&self.time_zone).ok()?;
        let due = next.tomorrow().ok()?.to_zoned(tz).ok()?.timestamp();
        Some((CallbackSelection { day: next.to_string(), time_zone: self.time_zone.clone() }, due))
    }
}

/// The settings key of the callback policy (JSON of `CallbackPolicy`).
pub(crate) const CALLBACK_POLICY_SETTING: &str = "callback_policy";

impl App {
    /// The callback policy as the supervisor set it in the report settings (by default seed
    /// 004's week, and the confirmation by the next working day).
    pub(crate) async fn callback_policy_in<C: aftersales_storage::Conn>(&self, conn: &C) -> Result<CallbackPolicy> {
        Ok(aftersales_storage::visits::setting(conn, CALLBACK_POLICY_SETTING)
            .await?
            .and_then(|s| serde_json::from_str::<CallbackPolicy>(&s).ok())
            .filter(|p| p.check().is_ok())
            .unwrap_or_default())
    }

    /// The selection jobs a worker keeps scheduled: yesterday's (due now, in case no worker
    /// ran at midnight) and today's (due when today ends).
    pub async fn schedule_callback_selection(&self) -> Result<()> {
        let now = self.now();
        let today = now.to_zoned(self.settings.time_zone.clone()).date();
        for day in [today.yesterday(), Ok(today)].into_iter().flatten() {
            let due = self.day_end(day)?.max(now);
            let time_zone = self.settings.time_zone.iana_name().unwrap_or("UTC").to_owned();
            self.enqueue_now(&CallbackSelection { day: day.to_string(), time_zone }, due).await?;
        }
        Ok(())
    }

    fn day_end(&self, day: Date) -> Result<Timestamp> {
        let (_, end) = self.day_bounds(&day.to_string())?;
        Ok(end)
    }

    /// Chooses the callbacks of the tickets closed on `day` by the rule and stores them (one
    /// per closure: a rerun adds nothing and answers the same set).
    pub async fn select_callbacks(&self, day: Date) -> Result<Selection> {
        let (from, to) = self.day_bounds(&day.to_string())?;
        let cal = self.calendar(None).await?;
        let tx = self.store.write().await?;
        let closed = store::closed_between(&*tx, from, to).await?;
        let policy = self.callback_policy_in(&*tx).await?;
        let choices = callback::select(day, &closed, &policy, &cal);
        let added = store::insert_choices(&*tx, &day.to_string(), &choices, self.now()).await?;
        store::complete_surveyed(&*tx, &day.to_string(), self.now()).await?;
        let callbacks = store::of_day(&*tx, &day.to_string()).await?;
        tx.commit().await?;
        Ok(Selection { day: day.to_string(), closed: closed.len(), added, callbacks })
    }

    /// Runs the selection of `day` now, for the desk (the job runs it after each day; a
    /// rerun adds nothing and answers the same set).
    pub async fn run_callback_selection(&self, actor: &Actor, day: &str) -> Result<Selection> {
        actor.require_staff(Action::WorkCallbacks)?;
        self.day_bounds(day)?;
        let day: Date = day.trim().parse().map_err(|_| {
            AppError::invalid(
                "date",
                Reason::Malformed { expected_en: "YYYY-MM-DD", expected_zh: "YYYY-MM-DD 格式的日期" },
            )
        })?;
        self.select_callbacks(day).await
    }

    /// The worklist, by due time (DOMAIN §6).
    pub async fn callbacks(&self, actor: &Actor, q: &CallbackQuery) -> Result<CallbackPage> {
        actor.require_staff(Action::ReadCallbacks)?;
        let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(CallbackStatus::from_code(s).ok_or_else(|| AppError::invalid("status", Reason::Unknown))?),
        };
        let reason = match q.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(r) => {
                Some(CallbackReason::from_code(r).ok_or_else(|| AppError::invalid("reason", Reason::Unknown))?.code())
            }
        };
        let now = self.now();
        let due_before = match q.due {
            DueFilter::All => None,
            DueFilter::Overdue => Some(now),
            DueFilter::Today => Some(self.day_end(now.to_zoned(self.settings.time_zone.clone()).date())?),
        };
        // "Overdue" and "today" are about what is still to call.
        let status = if q.due == DueFilter::All { status } else { status.or(Some(CallbackStatus::Pending)) };
        let f = Filter {
            status,
            due_before,
            reason: reason.map(str::to_owned),
            limit: q.page.limit(),
            offset: q.page.offset(),
        };
        let (lines, total) = store::list(self.store.read(), &f).await?;
        let items = lines.into_iter().map(|l| line(actor, l, now)).collect();
        Ok(CallbackPage { items, total, page: q.page.page, per_page: q.page.per_page })
    }

    /// The callbacks the selection stored for `day`.
    pub async fn callbacks_of_day(&self, actor: &Actor, day: &str) -> Result<Vec<Callback>> {
        actor.require_staff(Action::ReadCallbacks)?;
        self.day_bounds(day)?;
        Ok(store::of_day(self.store.read(), day.trim()).await?)
    }

    /// One callback's screen.
    pub async fn callback(&self, actor: &Actor, id: Id) -> Result<CallbackScreen> {
        actor.require_staff(Action::ReadCallbacks)?;
        let conn = self.store.read();
        let c = store::by_id(conn, id).await?.ok_or_else(|| AppError::not_found("callback", id))?;
        let t = tickets::by_id(conn, c.ticket_id).await?.ok_or_else(|| AppError::not_found("callback", id))?;
        let names = Names::of(conn, &t, &c).await?;
        let line = line(actor, names.line(&t, c.clone()), self.now());
        let mut attempts = Vec::new();
        for a in store::attempts(conn, id).await? {
            let by_name = name_of(conn, a.by_id).await?;
            attempts.push(AttemptView { attempt: a, by_name });
        }
        let survey = store::surveys_of(conn, t.id)
            .await?
            .into_iter()
            .find(|s| s.callback_id == Some(id) || s.round == round_of(&t, &c));
        let mut feedback = Vec::new();
        for fb in store::feedback_of_ticket(conn, t.id).await? {
            let engineer_name = name_of(conn, fb.engineer_id).await?;
            feedback.push(FeedbackView { feedback: fb, engineer_name });
        }
        let may_work = permission::allows(actor.user.role, Action::WorkCallbacks)
            && actor.user.active
            && c.status == CallbackStatus::Pending;
        Ok(CallbackScreen { line, attempts, survey, feedback, engineers: names.engineers, may_work })
    }

    /// Logs a call attempt on callback `id`, based on its version `based_on` (`If-Match`).
    /// "Reached" records the survey through the ticket's survey step (a dissatisfied answer
    /// reopens it, DOMAIN §5) and the praise or complaints gathered, and completes the
    /// callback; all in one transaction, so a refusal changes nothing.
    pub async fn log_attempt(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        input: &AttemptInput,
    ) -> Result<CallbackScreen> {
        actor.require_staff(Action::WorkCallbacks)?;
        let based_on = based_on.ok_or(AppError::PreconditionRequired)?;
        let now = self.now();
        let note = typed(&input.note);
        callback::check_attempt(input.outcome, note.as_deref(), input.call_back_at, now)?;
        if input.outcome != AttemptOutcome::Reached && (input.survey.is_some() || !input.feedback.is_empty()) {
            return Err(AppError::invalid(
                "survey",
                Reason::Mismatch {
                    detail_en: "is only recorded when the customer was reached",
                    detail_zh: "仅在已联系到客户时填写",
                },
            ));
        }
        if let Some(s) = &input.survey {
            let problems = answers_of(s).problems();
            let mut problems = problems;
            if let Some(p) = typed(&s.note).and_then(|n| text_problem("survey.note", &n)) {
                problems.push(p);
            }
            if !problems.is_empty() {
                return Err(DomainError::Invalid(problems).into());
            }
        }
        self.warm().await?;
        let tx = self.store.write().await?;
        let mut c = store::by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("callback", id))?;
        c.check_open(based_on).map_err(DomainError::from)?;
        let t = tickets::by_id(&*tx, c.ticket_id).await?.ok_or_else(|| AppError::not_found("callback", id))?;
        for fb in &input.feedback {
            callback::check_feedback(fb.kind, fb.engineer_id, &engineers_of(&t), typed(&fb.note).as_deref())?;
        }
        c.attempts += 1;
        match input.outcome {
            AttemptOutcome::NoAnswer => {}
            AttemptOutcome::CallBackLater => c.next_call_at = input.call_back_at,
            AttemptOutcome::Reached => {
                if input.survey.is_none() && t.survey_result.is_none() {
                    return Err(DomainError::from(callback::CallbackProblem::SurveyNeeded).into());
                }
                if input.survey.is_some() && t.survey_result.is_some() {
                    return Err(DomainError::from(callback::CallbackProblem::AlreadySurveyed).into());
                }
                c.status = CallbackStatus::Done;
                c.next_call_at = None;
                c.completed_at = Some(now);
                c.completed_by = Some(actor.id());
            }
        }
        if !store::update_after_attempt(&*tx, &c, based_on).await? {
            let current = store::by_id(&*tx, id).await?.map(|c| c.version).unwrap_or(based_on);
            return Err(DomainError::from(callback::CallbackProblem::Stale { current }).into());
        }
        let attempt = Attempt {
            id: 0,
            callback_id: id,
            outcome: input.outcome,
            note,
            call_back_at: input.call_back_at,
            by_id: actor.id(),
            at: now,
        };
        store::insert_attempt(&*tx, &attempt).await?;
        for fb in &input.feedback {
            let f = Feedback {
                id: 0,
                ticket_id: t.id,
                engineer_id: fb.engineer_id,
                kind: fb.kind,
                note: typed(&fb.note),
                callback_id: Some(id),
                recorded_by: actor.id(),
                recorded_at: now,
                action: None,
                action_by: None,
                reported_back_at: None,
            };
            store::insert_feedback(&*tx, &f).await?;
        }
        let tx = match &input.survey {
            Some(s) => {
                let cmd = Command::RecordSurvey {
                    result: s.result,
                    note: s.note.clone(),
                    solved: s.solved,
                    speed_ok: s.speed_ok,
                    suggestions: s.suggestions.clone(),
                };
                let version = t.version;
                let (tx, _) = self.step_in(tx, actor, t, version, &cmd).await?;
                store::link_survey(&*tx, c.ticket_id, id).await?;
                tx
            }
            None => tx,
        };
        tx.commit().await?;
        self.callback(actor, id).await
    }

    /// Praise or a complaint about an engineer of the callback's ticket, outside an attempt
    /// (e.g. the customer rings back).
    pub async fn add_feedback(&self, actor: &Actor, id: Id, input: &FeedbackInput) -> Result<CallbackScreen> {
        actor.require_staff(Action::WorkCallbacks)?;
        let tx = self.store.write().await?;
        let c = store::by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("callback", id))?;
        let t = tickets::by_id(&*tx, c.ticket_id).await?.ok_or_else(|| AppError::not_found("callback", id))?;
        let note = typed(&input.note);
        callback::check_feedback(input.kind, input.engineer_id, &engineers_of(&t), note.as_deref())?;
        let f = Feedback {
            id: 0,
            ticket_id: t.id,
            engineer_id: input.engineer_id,
            kind: input.kind,
            note,
            callback_id: Some(id),
            recorded_by: actor.id(),
            recorded_at: self.now(),
            action: None,
            action_by: None,
            reported_back_at: None,
        };
        store::insert_feedback(&*tx, &f).await?;
        tx.commit().await?;
        self.callback(actor, id).await
    }

    /// A complaint's improvement action, reported back to the customer now (seed 003).
    pub async fn report_action(&self, actor: &Actor, feedback_id: Id, action: &str) -> Result<Feedback> {
        actor.require_staff(Action::WorkCallbacks)?;
        callback::check_action(action)?;
        let tx = self.store.write().await?;
        let f = store::feedback_by_id(&*tx, feedback_id)
            .await?
            .ok_or_else(|| AppError::not_found("feedback", feedback_id))?;
        if f.kind != FeedbackKind::Complaint {
            return Err(DomainError::from(callback::CallbackProblem::NotAComplaint).into());
        }
        if !store::set_action(&*tx, feedback_id, action.trim(), actor.id(), self.now()).await? {
            return Err(DomainError::from(callback::CallbackProblem::ActionReported).into());
        }
        let f = store::feedback_by_id(&*tx, feedback_id)
            .await?
            .ok_or_else(|| AppError::not_found("feedback", feedback_id))?;
        tx.commit().await?;
        Ok(f)
    }

    /// Keeps the structured survey of a survey step (every channel: the desk's step, the
    /// portal, the mailed link), and completes the ticket's pending callbacks: the customer
    /// has been heard. Called by the step in its transaction.
    pub(crate) async fn keep_survey(
        &self,
        tx: &WriteTx,
        actor: &Actor,
        before: &Ticket,
        input: &SurveyInput,
        now: Timestamp,
    ) -> Result<()> {
        let channel = if actor.is_customer() { SurveyChannel::Portal } else { SurveyChannel::Desk };
        let s = Survey {
            id: 0,
            ticket_id: before.id,
            round: before.reopen_count,
            result: input.result,
            answers: answers_of(input).cleaned(),
            note: typed(&input.note),
            channel,
            callback_id: None,
            recorded_by: actor.id(),
            recorded_at: now,
        };
        match store::insert_survey(&**tx, &s).await {
            Ok(_) => {}
            Err(StorageError::Duplicate(_)) => {
                return Err(DomainError::from(callback::CallbackProblem::AlreadySurveyed).into());
            }
            Err(e) => return Err(e.into()),
        }
        store::complete_pending(&**tx, before.id, actor.id(), now).await?;
        Ok(())
    }

    /// The closed tickets of `[from, to]` (dates, service time zone) missing one of the four
    /// parts "有反馈、有处理、有结果、有回访" (DOMAIN §6), each with the parts it lacks.
    pub async fn closure_check(&self, actor: &Actor, from: &str, to: &str, page: Page) -> Result<ClosureGapPage> {
        actor.require_staff(Action::ReadCallbacks)?;
        let (start, end) = self.period(from, to)?;
        let (rows, total) = store::closure_gaps(self.store.read(), start, end, page.limit(), page.offset()).await?;
        let items = rows
            .into_iter()
            .map(|r| ClosureGap {
                ticket_id: r.ticket_id,
                number: r.number,
                customer: r.customer,
                closed_at: r.closed_at,
                missing: callback::closure_gaps(&r.facts),
            })
            .collect();
        Ok(ClosureGapPage { items, total, page: page.page, per_page: page.per_page })
    }

    /// `[from 00:00, the day after to 00:00)` in the service time zone; `from` after `to`
    /// is refused naming `to`.
    pub(crate) fn period(&self, from: &str, to: &str) -> Result<(Timestamp, Timestamp)> {
        let named = |field: &'static str, e: AppError| match e {
            AppError::Domain(DomainError::Invalid(mut p)) => {
                for x in &mut p {
                    x.0 = field;
                }
                AppError::Domain(DomainError::Invalid(p))
            }
            e => e,
        };
        let (start, _) = self.day_bounds(from).map_err(|e| named("from", e))?;
        let (_, end) = self.day_bounds(to).map_err(|e| named("to", e))?;
        if end <= start {
            return Err(AppError::invalid(
                "to",
                Reason::Mismatch { detail_en: "is before the start date", detail_zh: "早于开始日期" },
            ));
        }
        Ok((start, end))
    }
}

/// The survey round a callback's closure belongs to: the ticket's current one while the
/// ticket is still at that closure.
fn round_of(t: &Ticket, c: &Callback) -> i32 {
    if t.closed_at == Some(c.closed_at) { t.reopen_count } else { -1 }
}

fn answers_of(s: &SurveyInput) -> SurveyAnswers {
    SurveyAnswers { solved: s.solved, speed_ok: s.speed_ok, suggestions: s.suggestions.clone() }
}

fn text_problem(field: &'static str, s: &str) -> Option<(&'static str, Reason)> {
    if let Some(c) = aftersales_domain::text::forbidden_in_text(s) {
        return Some((field, Reason::ControlCharacter { found: c }));
    }
    (s.chars().count() > callback::MAX_TEXT).then_some((field, Reason::TooLong { max: callback::MAX_TEXT }))
}

fn typed(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn engineers_of(t: &Ticket) -> Vec<Id> {
    t.first_line_id.into_iter().chain(t.second_line_id).collect()
}

async fn name_of<C: aftersales_storage::Conn>(conn: &C, id: Id) -> Result<String> {
    Ok(users::user_by_id(conn, id).await?.map(|u| u.display_name).unwrap_or_else(|| format!("#{id}")))
}

/// The names a callback's screen shows.
struct Names {
    customer: String,
    engineer: Option<String>,
    sampled: Option<String>,
    engineers: Vec<EngineerName>,
}

impl Names {
    async fn of<C: aftersales_storage::Conn>(conn: &C, t: &Ticket, c: &Callback) -> Result<Names> {
        let customer = aftersales_storage::directory::customer_by_id(conn, t.customer_id)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        let mut engineers = Vec::new();
        for id in engineers_of(t) {
            engineers.push(EngineerName { id, name: name_of(conn, id).await? });
        }
        let engineer = engineers.iter().find(|e| Some(e.id) == t.first_line_id).map(|e| e.name.clone());
        let sampled = match c.sampled_for {
            Some(id) => Some(name_of(conn, id).await?),
            None => None,
        };
        Ok(Names { customer, engineer, sampled, engineers })
    }

    fn line(&self, t: &Ticket, c: Callback) -> store::Line {
        store::Line {
            callback: c,
            number: t.number.to_string(),
            customer: self.customer.clone(),
            contact_name: t.contact_name.clone(),
            contact_phone: t.contact_phone.clone(),
            description: t.description.clone(),
            engineer: self.engineer.clone(),
            sampled_for_name: self.sampled.clone(),
        }
    }
}

fn line(actor: &Actor, l: store::Line, now: Timestamp) -> CallbackLine {
    let why = l
        .callback
        .reasons
        .iter()
        .map(|r| ReasonView {
            code: *r,
            zh: callback::reason_text(*r, l.sampled_for_name.as_deref(), Lang::Zh),
            en: callback::reason_text(*r, l.sampled_for_name.as_deref(), Lang::En),
        })
        .collect();
    let contact_phone =
        if permission::sees_contact_phones(actor.user.role) { l.contact_phone } else { phone::mask(&l.contact_phone) };
    CallbackLine {
        overdue: l.callback.overdue(now),
        callback: l.callback,
        number: l.number,
        customer: l.customer,
        contact_name: l.contact_name,
        contact_phone,
        description: l.description,
        engineer: l.engineer,
        why,
    }
}

/// The kinds of service, for the archive's filter.
pub fn kinds() -> &'static [Kind] {
    Kind::ALL
}
