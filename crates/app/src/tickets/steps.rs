//! Lifecycle steps on a ticket, one function each, and downgrade decisions.

use aftersales_domain::callback::SurveyAnswers;

use super::*;

impl App {
    /// Takes one lifecycle step on a ticket, based on version `based_on` (If-Match), and
    /// answers with the staff's view (a customer contact acts with `App::customer_act`).
    pub async fn act(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        cmd: &Command,
        idem: Option<&Idem>,
    ) -> Result<Outcome<StepOutcome>> {
        actor.require_staff(cmd.action())?;
        match self.act_core(actor, id, based_on, cmd, idem).await? {
            Opened::Replayed { status, body } => Ok(Outcome::Replayed { status, body }),
            Opened::Fresh(tx, (t, request)) => {
                let outcome =
                    StepOutcome { ticket: self.view_of(present(actor, t)).await?, priority_change_request: request };
                self.commit_with(tx, actor, idem, &outcome).await?;
                Ok(Outcome::Fresh(outcome))
            }
        }
    }

    /// A step up to its commit: the ticket as the step left it in the open transaction (and
    /// the downgrade request it created), or the answer recorded under the same key.
    pub(crate) async fn act_core(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        cmd: &Command,
        idem: Option<&Idem>,
    ) -> Result<Opened<(Ticket, Option<PriorityChangeRequest>)>> {
        actor.require(cmd.action())?;
        let based_on = based_on.ok_or(AppError::PreconditionRequired)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        if let Some((status, body)) = self.replay(&tx, actor, idem).await? {
            return Ok(Opened::Replayed { status, body });
        }
        let t = load_visible(&*tx, actor, id).await?;
        let (tx, done) = self.step_in(tx, actor, t, based_on, cmd).await?;
        Ok(Opened::Fresh(tx, done))
    }

    /// One step on `t` (as read in `tx`) by `actor`, based on version `based_on`: the rules,
    /// the event, the clocks, the notices and the log entry, all in `tx`, not committed.
    pub(crate) async fn step_in(
        &self,
        tx: WriteTx,
        actor: &Actor,
        mut t: Ticket,
        based_on: i64,
        cmd: &Command,
    ) -> Result<(WriteTx, (Ticket, Option<PriorityChangeRequest>))> {
        let action = cmd.action();
        actor.require(action)?;
        if permission::scope(actor.user.role, action) == TicketScope::Assigned && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::from(Conflict::NotAssigned).into());
        }
        if t.version != based_on {
            return Err(self.stale(actor, t).await);
        }
        let now = self.now();
        let before = t.clone();
        let done = self.take(&tx, actor, &mut t, cmd, now).await?;
        let changes = event::diff(&before, &t);
        let action_name = if done.request.is_some() { "priority_change_requested" } else { cmd.name() };
        let log_kind = done.log.as_ref().map(|(k, _)| *k);
        let event_id =
            self.apply_event(&tx, &mut t, actor, action_name, changes, done.note, log_kind, based_on).await?;
        self.raise_for_step(&tx, cmd.step(), &before, &t, event_id).await?;
        self.after_step_fees(&tx, &before, &t).await?;
        // A link in an earlier mail must not act on the ticket once it moved on (DOMAIN §8:
        // links are revocable): closing, refusing or reopening withdraws the closure links,
        // a survey answered withdraws the survey links.
        if t.status != before.status && before.status == Status::Resolved {
            links::revoke(&*tx, Some(t.id), None, Some(LinkPurpose::Closure), now).await?;
        }
        let surveyed = t.survey_result.is_some() && before.survey_result.is_none();
        if surveyed || (t.status != before.status && before.status == Status::Closed) {
            links::revoke(&*tx, Some(t.id), None, Some(LinkPurpose::Survey), now).await?;
        }
        if let Some((kind, body)) = done.log {
            let visibility = kind.default_visibility();
            let entry = LogEntry { id: 0, ticket_id: t.id, kind, body, author_id: actor.id(), at: now, visibility };
            tickets::insert_log(&*tx, &entry).await?;
        }
        Ok((tx, (t, done.request)))
    }

    /// The step itself, by the rules of `domain` (one function per step).
    async fn take(&self, tx: &WriteTx, actor: &Actor, t: &mut Ticket, cmd: &Command, now: Timestamp) -> Result<Done> {
        let done = match cmd {
            Command::Accept => self.accept(tx, actor, t, now).await?,
            Command::ConfirmWindow => confirm_window(tx, actor, t).await?,
            Command::Grade { level, reason } => grade(tx, actor, t, level, reason, now).await?,
            Command::ReviewGrading { approve, note } => {
                t.review_grading(*approve)?;
                Done::noted(note)
            }
            Command::ObjectToGrading { reason } => {
                t.object_to_grading(reason)?;
                Done::reason(reason)
            }
            Command::RuleGradingDispute { level, reason } => rule_grading_dispute(tx, t, level, reason).await?,
            Command::Dispatch { group_id, engineer_id } => {
                dispatch(tx, t, *group_id, *engineer_id, now, &*self.calendar(None).await?).await?
            }
            Command::Respond { note } => {
                t.respond(now)?;
                Done::logged(LogKind::Contact, note)
            }
            Command::Start { plan } => {
                t.start()?;
                // Seed 003: chargeable work starts once the customer approved its fees.
                self.check_start_fees(&**tx, t).await?;
                Done::logged(LogKind::Plan, plan)
            }
            Command::WaitForCustomer { note } => {
                t.wait_for_customer()?;
                Done::noted(note)
            }
            Command::WaitForParts { note } => {
                // Issue 13: waiting for parts is waiting for a requisition still open.
                t.check(Step::WaitForParts)?;
                self.check_waiting_for_parts(&**tx, t.id).await?;
                t.wait_for_parts()?;
                Done::noted(note)
            }
            Command::Resume { note } => {
                t.resume()?;
                Done::noted(note)
            }
            Command::RequestSecondLine { engineer_id, reason } => {
                request_second_line(tx, t, *engineer_id, reason, now, &*self.calendar(None).await?).await?
            }
            Command::Resolve { resolution } => {
                // Issue 14: the photos the kind of service asks for come first.
                t.check(Step::Resolve)?;
                self.check_evidence(&**tx, t).await?;
                t.resolve(resolution, now)?;
                Done::default()
            }
            Command::ConfirmClosure { method } => {
                t.confirm_closure(lifecycle::closure_method(actor.user.role, *method)?, now)?;
                Done::default()
            }
            Command::RefuseClosure { reason } => {
                t.refuse_closure(reason)?;
                Done::reason(reason)
            }
            Command::Reopen { reason } => {
                t.reopen(reason)?;
                Done::reason(reason)
            }
            Command::Cancel { reason, note } => {
                t.cancel(*reason, note.as_deref())?;
                Done::noted(note)
            }
            Command::BookVisit { at, note } => {
                // The step books (or moves) a proper visit, checked like any booking.
                t.book_visit(*at, now)?;
                self.book_from_step(tx, actor, t, *at).await?;
                Done::noted(note)
            }
            Command::RecordSurvey { result, note, solved, speed_ok, suggestions } => {
                // Issue 15: the structured survey's fields are checked before anything moves.
                let answers = SurveyAnswers { solved: *solved, speed_ok: *speed_ok, suggestions: suggestions.clone() };
                let problems = answers.problems();
                if !problems.is_empty() {
                    return Err(DomainError::Invalid(problems).into());
                }
                let before = t.clone();
                // DOMAIN §5: a dissatisfied answer reopens the ticket (`Ticket::record_survey`).
                t.record_survey(*result, now)?;
                // One survey row per resolution round, for the reports (issue 15).
                let input = crate::callbacks::SurveyInput {
                    result: *result,
                    solved: *solved,
                    speed_ok: *speed_ok,
                    suggestions: suggestions.clone(),
                    note: note.clone(),
                };
                self.keep_survey(tx, actor, &before, &input, now).await?;
                Done::noted(note)
            }
        };
        Ok(done)
    }

    /// 受理. DOMAIN §3/§4: the customer level and calendar the clocks run under, and the
    /// policy version in force, are fixed on the ticket from here.
    async fn accept(&self, tx: &WriteTx, actor: &Actor, t: &mut Ticket, now: Timestamp) -> Result<Done> {
        t.accept(actor.id(), now)?;
        let customer = directory::customer_by_id(&**tx, t.customer_id)
            .await?
            .ok_or_else(|| AppError::not_found("customer", t.customer_id))?;
        t.calendar = Some(self.calendar_name_for(&customer).await?);
        t.customer_level = Some(customer.level);
        t.policy_version = current_policy_version(&**tx).await?;
        Ok(Done::default())
    }

    /// A supervisor approves (the lower level applies) or rejects a downgrade request.
    pub async fn decide_priority_change(
        &self,
        actor: &Actor,
        request_id: Id,
        approve: bool,
        note: Option<&str>,
    ) -> Result<StepOutcome> {
        actor.require(Action::DecidePriorityChange)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let mut q = tickets::change_request_by_id(&*tx, request_id)
            .await?
            .ok_or_else(|| AppError::not_found("priority change request", request_id))?;
        // DOMAIN §3: decided once; a rejection says why.
        q.decide(approve, note, actor.id(), self.now())?;
        let mut t = load_visible(&*tx, actor, q.ticket_id).await?;
        let before = t.clone();
        if approve {
            let lvl = level_of(&*tx, &q.to_level).await?;
            t.apply_approved_downgrade(&lvl, &q.reason)?;
            t.policy_version = current_policy_version(&*tx).await?;
        }
        tickets::decide_change_request(&*tx, &q).await?;
        let changes = event::diff(&before, &t);
        let based_on = t.version;
        let action = if approve { "priority_change_approved" } else { "priority_change_rejected" };
        self.apply_event(&tx, &mut t, actor, action, changes, q.decision_note.clone(), None, based_on).await?;
        tx.commit().await?;
        Ok(StepOutcome { ticket: self.view_of(present(actor, t)).await?, priority_change_request: Some(q) })
    }
}

/// What a step leaves to record with its event: a note, a downgrade request it created, a
/// work log entry.
#[derive(Default)]
struct Done {
    note: Option<String>,
    request: Option<PriorityChangeRequest>,
    log: Option<(LogKind, String)>,
}

/// Text a person typed, trimmed; nothing when blank.
fn typed(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl Done {
    fn noted(note: &Option<String>) -> Done {
        Done { note: typed(note), ..Done::default() }
    }

    fn reason(reason: &str) -> Done {
        Done { note: Some(reason.trim().to_owned()), ..Done::default() }
    }

    fn logged(kind: LogKind, body: &Option<String>) -> Done {
        Done { log: typed(body).map(|b| (kind, b)), ..Done::default() }
    }
}

/// The level `code` of the grading scheme.
async fn level_of<C: Conn>(conn: &C, code: &str) -> Result<Level> {
    let scheme = catalog::grading_scheme(conn).await?;
    scheme.level(code.trim()).cloned().ok_or_else(|| AppError::invalid("level", Reason::Unknown))
}

/// The customer's window confirms a request (a contact only when they are the window).
async fn confirm_window(tx: &WriteTx, actor: &Actor, t: &mut Ticket) -> Result<Done> {
    if actor.is_customer() {
        let window = directory::customer_by_id(&**tx, t.customer_id).await?.and_then(|c| c.window_contact_id);
        registration::check_window_confirmer(true, window, actor.user.contact_id)?;
    }
    t.confirm_window()?;
    Ok(Done::default())
}

/// 分级: applied at once, or (a downgrade by someone who is not a supervisor) a request a
/// supervisor decides on.
async fn grade(tx: &WriteTx, actor: &Actor, t: &mut Ticket, level: &str, reason: &str, now: Timestamp) -> Result<Done> {
    let lvl = level_of(&**tx, level).await?;
    match t.grade(&lvl, reason, actor.user.role)? {
        GradeOutcome::Applied => {
            t.policy_version = current_policy_version(&**tx).await?;
            Ok(Done::reason(reason))
        }
        GradeOutcome::NeedsApproval => {
            let pending = tickets::change_requests(&**tx, Some(t.id), Some(ChangeRequestStatus::Pending)).await?;
            let mut q = PriorityChangeRequest::ask(t, &lvl, reason, actor.id(), now, &pending)?;
            q.id = tickets::insert_change_request(&**tx, &q).await?;
            Ok(Done { note: Some(q.summary()), request: Some(q), log: None })
        }
    }
}

/// The technical director's ruling; a new level runs under the policy in force.
async fn rule_grading_dispute(tx: &WriteTx, t: &mut Ticket, level: &str, reason: &str) -> Result<Done> {
    let lvl = level_of(&**tx, level).await?;
    let before = t.priority.clone();
    t.rule_grading_dispute(&lvl, reason)?;
    if t.priority != before {
        t.policy_version = current_policy_version(&**tx).await?;
    }
    Ok(Done::reason(reason))
}

/// 派单: to the group `dispatch::group_for` picks, and the named or suggested engineer.
async fn dispatch(
    tx: &WriteTx,
    t: &mut Ticket,
    group_id: Option<Id>,
    engineer_id: Option<Id>,
    now: Timestamp,
    cal: &Calendar,
) -> Result<Done> {
    t.check(Step::Dispatch)?;
    let conn = &**tx;
    let category_group = category_group(conn, t).await?;
    let engineer_group = match engineer_id {
        Some(e) => users::user_by_id(conn, e).await?.and_then(|u| u.group_id),
        None => None,
    };
    let group = dispatch::group_for(group_id, category_group, t.group_id, engineer_group)
        .ok_or_else(|| AppError::invalid("group_id", Reason::Missing))?;
    if !catalog::groups(conn).await?.iter().any(|g| g.id == group) {
        return Err(AppError::invalid("group_id", Reason::Unknown));
    }
    let engineer = match engineer_id {
        Some(e) => {
            engineer_on_line(conn, e, &[Line::First, Line::Second]).await?;
            e
        }
        None => suggest_engineer(conn, t, group, &[Line::First, Line::Second], now, cal, Conflict::NoEngineer).await?,
    };
    t.dispatch(group, engineer, now)?;
    Ok(Done::default())
}

/// 申请二线支持: the named or suggested second-line engineer of the ticket's group.
async fn request_second_line(
    tx: &WriteTx,
    t: &mut Ticket,
    engineer_id: Option<Id>,
    reason: &str,
    now: Timestamp,
    cal: &Calendar,
) -> Result<Done> {
    t.check(Step::RequestSecondLine)?;
    let conn = &**tx;
    let reason = worklog::check_body(reason).map_err(|_| AppError::invalid("reason", Reason::Missing))?;
    let engineer = match engineer_id {
        Some(e) => {
            engineer_on_line(conn, e, &[Line::Second]).await?;
            e
        }
        None => {
            let group = t.group_id.ok_or_else(|| AppError::invalid("engineer_id", Reason::Missing))?;
            suggest_engineer(conn, t, group, &[Line::Second], now, cal, Conflict::NoSecondLineEngineer).await?
        }
    };
    t.request_second_line(engineer)?;
    Ok(Done { note: Some(reason), ..Done::default() })
}

/// The engineer dispatch's ranking puts first among `group`'s engineers on `lines`, for
/// the ticket; `none` when the group has no engineer at all, and the counted reasons when
/// nobody passes the hard filters.
async fn suggest_engineer<C: Conn>(
    conn: &C,
    t: &Ticket,
    group: Id,
    lines: &[Line],
    now: Timestamp,
    cal: &Calendar,
    none: Conflict,
) -> Result<Id> {
    let r = ranking(conn, t, group, lines, now, cal).await?;
    if let Some(best) = r.ranked.first() {
        return Ok(best.candidate.user_id);
    }
    // A group with no active engineer keeps its own words; otherwise the filters' reasons.
    if r.excluded.iter().all(|e| !e.candidate.available) {
        return Err(DomainError::from(none).into());
    }
    let why_zh = r.why_none(aftersales_domain::Lang::Zh).unwrap_or_default();
    let why_en = r.why_none(aftersales_domain::Lang::En).unwrap_or_default();
    Err(DomainError::from(Conflict::NoEligibleEngineer { why_en, why_zh }).into())
}
