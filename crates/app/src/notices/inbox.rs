//! Notices as people read them: their list and inbox, acknowledgements with status notes
//! and instructions, and the daily "unclosed and notices" table (DOMAIN §7).

use super::*;

impl App {
    /// Lists notices: staff see all (filtered), customer contacts only their own inbox.
    pub async fn notices(&self, actor: &Actor, q: &NoticeQuery) -> Result<NoticePage> {
        actor.require(Action::ReadTicket)?;
        let page = Page::new(q.page, q.per_page)?;
        let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => Some(NoticeKind::from_code(k).ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    Reason::Malformed {
                        expected_en: "a notice type such as response_timeout or three_days_unclosed",
                        expected_zh: "通告类型编码，如 response_timeout、three_days_unclosed",
                    },
                )
            })?),
            None => None,
        };
        let (from, to) = match q.date.as_deref() {
            Some(d) => {
                let (a, b) = self.day_bounds(d)?;
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let recipient =
            if own_customer(actor).is_some() || q.mine == Some(true) { Some(actor.id()) } else { q.user_id };
        // A contact reads only the notices addressed to the customer, never an escalation.
        let kinds = if own_customer(actor).is_some() { NoticeKind::customer_facing() } else { Vec::new() };
        let f = NoticeFilter {
            kind,
            kinds,
            from,
            to,
            recipient,
            acknowledged: q.acknowledged,
            ticket: q.ticket_id,
            limit: page.limit(),
            offset: page.offset(),
        };
        let (items, total) = store::list_notices(self.store.read(), &f).await?;
        let items = items.into_iter().map(|n| for_reader(actor, n)).collect();
        Ok(NoticePage { items, total, page: page.page, per_page: page.per_page })
    }

    pub(crate) fn day_bounds(&self, date: &str) -> Result<(Timestamp, Timestamp)> {
        let malformed = || {
            AppError::invalid(
                "date",
                Reason::Malformed { expected_en: "YYYY-MM-DD", expected_zh: "YYYY-MM-DD 格式的日期" },
            )
        };
        let d: jiff::civil::Date = date.trim().parse().map_err(|_| malformed())?;
        let tz = self.settings.time_zone.clone();
        let start = d.to_zoned(tz.clone()).map_err(|_| malformed())?.timestamp();
        let end = d.tomorrow().map_err(|_| malformed())?.to_zoned(tz).map_err(|_| malformed())?.timestamp();
        Ok((start, end))
    }

    /// One notice; a contact sees only notices addressed to them.
    pub async fn notice(&self, actor: &Actor, id: Id) -> Result<Notice> {
        actor.require(Action::ReadTicket)?;
        let n = store::notice_by_id(self.store.read(), id).await?.ok_or_else(|| AppError::not_found("notice", id))?;
        if own_customer(actor).is_some()
            && (!n.kind.is_customer_facing() || !n.recipients.iter().any(|r| r.user_id == actor.id()))
        {
            return Err(AppError::not_found("notice", id));
        }
        Ok(for_reader(actor, n))
    }

    /// A recipient acknowledges a notice, with a status note or an instruction (批示).
    pub async fn acknowledge_notice(&self, actor: &Actor, id: Id, ack: &Acknowledgement) -> Result<Notice> {
        actor.require(Action::ReadTicket)?;
        let note = match ack.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if n.chars().count() > 2000 => {
                return Err(AppError::invalid("note", Reason::TooLong { max: 2000 }));
            }
            // A customer marks a notice read; what they have to say is a message on the
            // ticket, where the engineer sees it.
            Some(_) if actor.is_customer() => {
                return Err(AppError::invalid(
                    "note",
                    Reason::Mismatch {
                        detail_en: "is for staff; write to us as a message on the request instead",
                        detail_zh: "仅供内部人员填写，如需留言请在报修单上留言",
                    },
                ));
            }
            other => other.map(str::to_owned),
        };
        let tx = self.store.write().await?;
        let n = store::notice_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("notice", id))?;
        // An escalation a contact was once listed on (a route stored before the rule) is not
        // theirs to read, nor to acknowledge (DOMAIN §8).
        if own_customer(actor).is_some() && !n.kind.is_customer_facing() {
            return Err(AppError::not_found("notice", id));
        }
        if !n.recipients.iter().any(|r| r.user_id == actor.id()) {
            if own_customer(actor).is_some() {
                return Err(AppError::not_found("notice", id));
            }
            return Err(DomainError::from(Conflict::NotARecipient).into());
        }
        store::acknowledge(&*tx, id, actor.id(), note.as_deref(), self.now()).await?;
        if let Some(body) = &note {
            // The note joins the ticket's work log: as an instruction (批示) from those who
            // give them, else as a status note (状态说明); both internal (DOMAIN §8).
            let kind = if aftersales_domain::worklog::may_write(actor.user.role, LogKind::Instruction)
                && matches!(
                    actor.user.role,
                    Role::ProjectManager | Role::GeneralManager | Role::Supervisor | Role::TechnicalDirector
                ) {
                LogKind::Instruction
            } else {
                LogKind::StatusNote
            };
            if actor.user.role.is_staff() {
                let entry = aftersales_domain::worklog::LogEntry {
                    id: 0,
                    ticket_id: n.ticket_id,
                    kind,
                    body: format!("【{}】{body}", n.kind.label(aftersales_domain::Lang::Zh)),
                    author_id: actor.id(),
                    at: self.now(),
                    visibility: kind.default_visibility(),
                };
                tickets::insert_log(&*tx, &entry).await?;
            }
        }
        let n = store::notice_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("notice", id))?;
        tx.commit().await?;
        Ok(for_reader(actor, n))
    }

    /// A customer contact marks every notice in their inbox read at once (what they are told
    /// needs no answer; an answer is a message on the request). Staff acknowledge escalations
    /// one by one, with their status note or instruction.
    pub async fn read_all_notices(&self, actor: &Actor) -> Result<u64> {
        actor.require(Action::ReadTicket)?;
        if !actor.is_customer() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::ReadTicket }.into());
        }
        let now = self.now();
        let tx = self.store.write().await?;
        let n = store::acknowledge_all(&*tx, actor.id(), now + jiff::SignedDuration::from_millis(1), now).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The daily "unclosed and notices" table (DOMAIN §7) of `date`: every ticket with a
    /// notice that day, with the notes written on them.
    pub async fn daily_notices(&self, actor: &Actor, date: &str) -> Result<Vec<DailyRow>> {
        actor.require(Action::ReadTicket)?;
        if own_customer(actor).is_some() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::ReadServicePolicy }.into());
        }
        let (from, to) = self.day_bounds(date)?;
        let conn = self.store.read();
        // The table is of escalations (seed 004); what the customer was told is not one.
        let customer = NoticeKind::customer_facing();
        let internal = NoticeKind::ALL.iter().copied().filter(|k| !customer.contains(k)).collect();
        let f =
            NoticeFilter { from: Some(from), to: Some(to), kinds: internal, limit: 10_000, ..NoticeFilter::default() };
        let (notices, _) = store::list_notices(conn, &f).await?;
        let mut by_ticket: BTreeMap<Id, Vec<Notice>> = BTreeMap::new();
        for n in notices {
            by_ticket.entry(n.ticket_id).or_default().push(n);
        }
        let mut rows = Vec::new();
        let name = |id: Option<Id>| async move {
            match id {
                Some(i) => users::user_by_id(conn, i).await.map(|u| u.map(|u| u.display_name)),
                None => Ok(None),
            }
        };
        for (ticket, mut ns) in by_ticket {
            let Some(t) = tickets::by_id(conn, ticket).await? else { continue };
            ns.sort_by_key(|n| n.created_at);
            let customer =
                directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.short_name).unwrap_or_default();
            let mut kinds: Vec<NoticeKind> = ns.iter().map(|n| n.kind).collect();
            kinds.dedup();
            let notes = |audiences: &[Audience]| {
                let v: Vec<String> = ns
                    .iter()
                    .flat_map(|n| n.recipients.iter())
                    .filter(|r| audiences.contains(&r.audience))
                    .filter_map(|r| r.note.clone())
                    .collect();
                (!v.is_empty()).then(|| v.join("；"))
            };
            let mut desk_note = notes(&[Audience::Desk, Audience::ProjectSpecialist, Audience::Supervisor]);
            let manager_note = notes(&[Audience::ProjectManager, Audience::GeneralManager]);
            if desk_note.is_none() {
                desk_note = tickets::logs(conn, t.id)
                    .await?
                    .into_iter()
                    .rev()
                    .find(|l| l.kind == LogKind::Progress && l.at >= from && l.at < to)
                    .map(|l| l.body);
            }
            rows.push(DailyRow {
                ticket_id: t.id,
                number: t.number.to_string(),
                customer,
                accepted_at: t.accepted_at,
                description: notice::gist(&t.description),
                status: t.status.code().to_owned(),
                notices: kinds,
                first_line: name(t.first_line_id).await?,
                second_line: name(t.second_line_id).await?,
                desk_note,
                manager_note,
            });
        }
        Ok(rows)
    }
}
