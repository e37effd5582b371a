//! Reading tickets: one, a filtered page, history, work log, downgrade requests, the
//! dispatch suggestion.

use super::*;

fn parse_sort(sort: Option<&str>) -> Result<(SortKey, bool)> {
    let Some(s) = sort.map(str::trim).filter(|s| !s.is_empty()) else { return Ok((SortKey::RegisteredAt, true)) };
    let (name, desc) = match s.strip_prefix('-') {
        Some(n) => (n, true),
        None => (s, false),
    };
    let key = match name {
        "registered_at" | "created_at" => SortKey::RegisteredAt,
        "updated_at" => SortKey::UpdatedAt,
        "number" => SortKey::Number,
        "priority" => SortKey::Priority,
        "status" => SortKey::Status,
        "due" => SortKey::Due,
        _ => {
            return Err(AppError::invalid(
                "sort",
                Reason::Malformed {
                    expected_en: "one of registered_at, updated_at, number, priority, status, due (prefix - for descending)",
                    expected_zh: "registered_at、updated_at、number、priority、status、due 之一（前加 - 为倒序）",
                },
            ));
        }
    };
    Ok((key, desc))
}

fn parse_statuses(s: Option<&str>) -> Result<Vec<Status>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        if part == "open" {
            out.extend(Status::ALL.iter().copied().filter(|s| s.is_open()));
        } else {
            out.push(Status::from_code(part).ok_or_else(|| {
                AppError::invalid(
                    "status",
                    Reason::Malformed {
                        expected_en: "status codes such as registered, in_progress, closed, or open",
                        expected_zh: "状态编码，如 registered、in_progress、closed 或 open",
                    },
                )
            })?);
        }
    }
    Ok(out)
}

impl App {
    /// What besides the ticket its steps depend on now: the fee file (seed 003: chargeable
    /// work starts once its quote is approved) and the open requisitions (issue 13: 等待备件).
    /// Read only when the ticket's state offers the step they hold back.
    pub async fn step_context(&self, t: &Ticket) -> Result<StepContext> {
        let conn = self.store.read();
        let mut ctx = StepContext::default();
        if t.offers(Step::Start) {
            ctx.start_waits_for_quote = aftersales_storage::fees::file(conn, t.id).await?.may_start(t.kind).is_err();
        }
        if t.offers(Step::WaitForParts) {
            ctx.open_requisitions = aftersales_storage::parts::open_requisitions(conn, t.id).await? > 0;
        }
        Ok(ctx)
    }

    /// The steps `actor` may take on `t` now ([`available_steps`] in the ticket's
    /// [`App::step_context`]): what a page offers as buttons.
    pub async fn available_steps(&self, actor: &Actor, t: &Ticket) -> Result<Vec<Step>> {
        Ok(available_steps(actor, t, &self.step_context(t).await?))
    }

    /// The staff's view of a ticket (a customer contact reads `App::customer_ticket`).
    pub async fn ticket(&self, actor: &Actor, id: Id) -> Result<TicketView> {
        actor.require_staff(Action::ReadTicket)?;
        self.warm().await?;
        self.view_of(present(actor, load_visible(self.store.read(), actor, id).await?)).await
    }

    pub async fn ticket_by_number(&self, actor: &Actor, number: &str) -> Result<TicketView> {
        actor.require_staff(Action::ReadTicket)?;
        let t = tickets::by_number(self.store.read(), number).await?;
        match t {
            Some(t) if own_customer(actor).is_none_or(|own| own == t.customer_id) => {
                self.view_of(present(actor, t)).await
            }
            _ => Err(AppError::not_found("ticket", number)),
        }
    }

    /// A page of tickets, counted up to [`COUNT_LIMIT`](super::COUNT_LIMIT).
    pub async fn tickets(&self, actor: &Actor, q: &ListQuery) -> Result<TicketPage> {
        actor.require_staff(Action::ReadTicket)?;
        let (items, (total, total_exact), page) = self.list_tickets(actor, q).await?;
        let mut views = Vec::with_capacity(items.len());
        for t in items {
            views.push(self.view_of(present(actor, t)).await?);
        }
        Ok(TicketPage { items: views, total, total_exact, page: page.page, per_page: page.per_page })
    }

    /// The tickets a list asks for, within the reader's scope (a contact's own organization),
    /// and how many match: counted up to [`COUNT_LIMIT`](super::COUNT_LIMIT), with whether
    /// that count is exact.
    pub(crate) async fn list_tickets(&self, actor: &Actor, q: &ListQuery) -> Result<(Vec<Ticket>, (u64, bool), Page)> {
        self.warm().await?;
        let page = Page::new(q.page, q.per_page)?;
        let (sort, descending) = parse_sort(q.sort.as_deref())?;
        let customer_id = match (own_customer(actor), q.customer_id) {
            (Some(own), Some(c)) if own != c => return Ok((Vec::new(), (0, true), page)),
            (Some(own), _) => Some(own),
            (None, c) => c,
        };
        let now = self.now();
        let (mut due_from, mut due_to) = (None, None);
        if q.overdue == Some(true) {
            due_to = Some(now);
        }
        if let Some(minutes) = q.due_within {
            if !(0..=60 * 24 * 366).contains(&minutes) {
                return Err(AppError::invalid(
                    "due_within",
                    Reason::Malformed { expected_en: "0 to 527040 minutes", expected_zh: "0 至 527040 分钟" },
                ));
            }
            due_from = Some(now);
            due_to = Some(now + jiff::SignedDuration::from_mins(minutes));
        }
        let filter = TicketFilter {
            due_from,
            due_to,
            breached_at: (q.breached == Some(true)).then_some(now),
            statuses: parse_statuses(q.status.as_deref())?,
            priority: q.priority.clone().filter(|p| !p.trim().is_empty()),
            customer_id,
            engineer_id: q.engineer_id,
            group_id: q.group_id,
            region: q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned),
            registered_from: q.created_from,
            registered_to: q.created_to,
            sort,
            descending,
            limit: page.limit(),
            offset: page.offset(),
            // One more than the limit, to know whether the count stopped there.
            count_limit: Some(super::COUNT_LIMIT + 1),
        };
        let (items, total) = tickets::list(self.store.read(), &filter).await?;
        let counted = if total > super::COUNT_LIMIT { (super::COUNT_LIMIT, false) } else { (total, true) };
        Ok((items, counted, page))
    }

    /// Every change with who, when and before → after (staff; a contact reads the
    /// milestones of `App::customer_timeline`).
    pub async fn history(&self, actor: &Actor, id: Id) -> Result<Vec<Event>> {
        actor.require_staff(Action::ReadTicket)?;
        let t = load_visible(self.store.read(), actor, id).await?;
        let mut events = tickets::events(self.store.read(), t.id).await?;
        // The history shows phone numbers only to those who see them on the ticket.
        if !permission::sees_contact_phones(actor.user.role) {
            for c in events.iter_mut().flat_map(|e| e.changes.iter_mut()).filter(|c| c.field == "contact_phone") {
                for v in [&mut c.before, &mut c.after] {
                    if let Some(p) = v.as_str() {
                        *v = serde_json::Value::String(phone::mask(p));
                    }
                }
            }
        }
        Ok(events)
    }

    /// The whole work log, internal entries included (staff; a contact reads
    /// `App::customer_work_log`).
    pub async fn work_log(&self, actor: &Actor, id: Id) -> Result<Vec<LogEntry>> {
        actor.require_staff(Action::ReadTicket)?;
        let t = load_visible(self.store.read(), actor, id).await?;
        Ok(tickets::logs(self.store.read(), t.id).await?)
    }

    /// Downgrade requests, optionally of one ticket or one status (supervisors' queue).
    pub async fn priority_change_requests(
        &self,
        actor: &Actor,
        ticket: Option<Id>,
        status: Option<ChangeRequestStatus>,
    ) -> Result<Vec<PriorityChangeRequest>> {
        actor.require(Action::ReadTicket)?;
        if own_customer(actor).is_some() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::DecidePriorityChange }.into());
        }
        Ok(tickets::change_requests(self.store.read(), ticket, status).await?)
    }

    /// The latest decided downgrade requests, newest first (the supervisor's record).
    pub async fn recent_priority_decisions(&self, actor: &Actor, limit: u64) -> Result<Vec<PriorityChangeRequest>> {
        actor.require(Action::ReadTicket)?;
        if own_customer(actor).is_some() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::DecidePriorityChange }.into());
        }
        Ok(tickets::decided_change_requests(self.store.read(), limit.min(500)).await?)
    }

    /// Several tickets at once, as the reader may see them (unknown or invisible ones are
    /// left out): for lists that name tickets, without a query per row.
    pub async fn tickets_by_ids(&self, actor: &Actor, ids: &[Id]) -> Result<Vec<Ticket>> {
        actor.require_staff(Action::ReadTicket)?;
        let own = own_customer(actor);
        Ok(tickets::by_ids(self.store.read(), ids)
            .await?
            .into_iter()
            .filter(|t| own.is_none_or(|c| c == t.customer_id))
            .map(|t| present(actor, t))
            .collect())
    }

    /// The dispatcher's suggestion for a ticket: its group and that group's engineers, best first.
    pub async fn dispatch_suggestion(&self, actor: &Actor, id: Id, group: Option<Id>) -> Result<DispatchSuggestion> {
        actor.require(Action::DispatchTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, id).await?;
        if let Some(g) = group
            && !catalog::groups(conn).await?.iter().any(|x| x.id == g)
        {
            return Err(AppError::invalid("group_id", Reason::Unknown));
        }
        let Some(group) = dispatch::group_for(group, category_group(conn, &t).await?, t.group_id, None) else {
            return Ok(DispatchSuggestion::of(None, Ranking::default()));
        };
        // The step the dispatcher is about to take decides the lines: a ticket with an
        // engineer already asks for second-line help.
        let lines: &[Line] = if t.first_line_id.is_some() && t.status.is_being_worked() {
            &[Line::Second]
        } else {
            &[Line::First, Line::Second]
        };
        let r = ranking(conn, &t, group, lines, self.now(), &*self.calendar(None).await?).await?;
        Ok(DispatchSuggestion::of(Some(group), r))
    }
}
