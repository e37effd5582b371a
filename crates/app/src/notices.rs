//! Notices and escalation (DOMAIN §5): jobs kept equal to each ticket's watched moments,
//! notices raised by steps and by due jobs, their recipients' inboxes and acknowledgements,
//! the delivery outbox, and the daily "unclosed and notices" table (DOMAIN §7).

use std::collections::{BTreeMap, HashMap, HashSet};

use aftersales_domain::calendar::Calendar;
use aftersales_domain::customer_link::LinkPurpose;
use aftersales_domain::error::Reason;
use aftersales_domain::event::Event;
use aftersales_domain::lifecycle::Step;
use aftersales_domain::notice::{
    self, Audience, ChannelKind, Delivery, DeliveryState, Notice, NoticeKind, NoticeSpec, Route,
};
use aftersales_domain::permission::Action;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::Ticket;
use aftersales_domain::worklog::LogKind;
use aftersales_domain::{DomainError, Id, Lang, Timestamp};
use aftersales_storage::notices::{self as store, NewDelivery, NoticeFilter, TargetRow};
use aftersales_storage::{Conn, WriteTx, directory, tickets, users};
use serde::{Deserialize, Serialize};

use crate::directory::own_customer;
use crate::users::Page;
use crate::{Actor, App, AppError, Result};

/// How long a claimed delivery stays with its worker; after it, an attempt still `sending`
/// is in doubt (jobs need no lease: the sweep's transaction holds them).
pub const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// A notice as `actor` may read it: a customer contact sees only their own line of the
/// recipients (not who else was told, nor the staff's status notes and instructions).
fn for_reader(actor: &Actor, mut n: Notice) -> Notice {
    if own_customer(actor).is_some() {
        n.recipients.retain(|r| r.user_id == actor.id());
    }
    n
}

fn invalid(field: &'static str, reason: Reason) -> AppError {
    DomainError::field(field, reason).into()
}

/// Notice list filters (`GET /api/v1/notices`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    /// A notice type code, e.g. `response_timeout`.
    pub kind: Option<String>,
    /// Notices of one day in the service time zone (`YYYY-MM-DD`).
    #[cfg_attr(feature = "openapi", param(format = Date))]
    pub date: Option<String>,
    /// Notices sent to this person (staff); contacts always see only their own.
    pub user_id: Option<Id>,
    /// Only my own notices.
    pub mine: Option<bool>,
    pub acknowledged: Option<bool>,
    pub ticket_id: Option<Id>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// One page of notices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticePage {
    pub items: Vec<Notice>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// An acknowledgement, with a status note (desk) or an instruction (批示, PM/GM).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    pub note: Option<String>,
}

/// One row of the daily "unclosed and notices" table (每日未结案暨通告总表, DOMAIN §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyRow {
    pub ticket_id: Id,
    pub number: String,
    pub customer: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub accepted_at: Option<Timestamp>,
    /// The description in 12 characters.
    pub description: String,
    pub status: String,
    /// Notice types raised that day (codes).
    pub notices: Vec<NoticeKind>,
    pub first_line: Option<String>,
    pub second_line: Option<String>,
    /// The desk's status notes on that day's notices.
    pub desk_note: Option<String>,
    /// The PM's or GM's instructions on that day's notices.
    pub manager_note: Option<String>,
}

/// A robot or webhook target as listed (the secret is never shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetInfo {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub has_secret: bool,
}

/// What saving a target does with its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretEdit {
    /// Keep the stored one (or none).
    Keep,
    Set(String),
    Remove,
}

/// A robot or webhook target as set (`PUT /api/v1/notify-targets/{name}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    pub kind: ChannelKind,
    pub url: String,
    pub secret: Option<String>,
}

/// What a delivery is about, as the administrators' delivery pages show it: the notice's
/// kind and subject and its ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryContext {
    pub notice_id: Id,
    pub kind: NoticeKind,
    pub ticket_id: Id,
    /// The ticket's number (`YYYYMMDD-NNN`); empty when the ticket is gone.
    pub ticket_number: String,
    pub subject_zh: String,
    pub subject_en: String,
}

/// A claimed delivery with what to send: the rendered message and where.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub delivery: Delivery,
    pub notice: Notice,
    /// The person's e-mail address, or the configured target.
    pub target: Option<TargetRow>,
    /// The signed link a customer's mail carries (confirm closure, or rate the service).
    pub link: Option<String>,
}

/// What notice recipients and deliveries are resolved from, read at most once per batch of
/// notices: they are raised in one transaction, in which none of it changes.
#[derive(Default)]
struct Lookups {
    routes: Option<Vec<Route>>,
    targets: Option<Vec<TargetRow>>,
    /// Project specialist by customer.
    specialists: HashMap<Id, Option<Id>>,
    /// Active users by role.
    roles: HashMap<Role, Vec<Id>>,
    /// Portal accounts by contact.
    contacts: HashMap<Id, Vec<Id>>,
    /// E-mail address by user.
    emails: HashMap<Id, Option<String>>,
}

impl Lookups {
    async fn route<C: Conn>(&mut self, app: &App, conn: &C, kind: NoticeKind) -> Result<Route> {
        let routes = match self.routes.take() {
            Some(r) => r,
            None => app.routes(conn).await?,
        };
        let route = notice::route_of(&routes, kind);
        self.routes = Some(routes);
        Ok(route)
    }

    async fn targets<C: Conn>(&mut self, conn: &C) -> Result<&[TargetRow]> {
        if self.targets.is_none() {
            self.targets = Some(store::targets(conn).await?);
        }
        Ok(self.targets.as_deref().unwrap_or_default())
    }

    async fn specialist<C: Conn>(&mut self, conn: &C, customer: Id) -> Result<Option<Id>> {
        if let Some(s) = self.specialists.get(&customer) {
            return Ok(*s);
        }
        let s = directory::customer_by_id(conn, customer).await?.and_then(|c| c.specialist_id);
        self.specialists.insert(customer, s);
        Ok(s)
    }

    async fn role<C: Conn>(&mut self, conn: &C, role: Role) -> Result<Vec<Id>> {
        if let Some(ids) = self.roles.get(&role) {
            return Ok(ids.clone());
        }
        let ids = users::active_with_role(conn, role).await?;
        self.roles.insert(role, ids.clone());
        Ok(ids)
    }

    async fn contact_users<C: Conn>(&mut self, conn: &C, contact: Id) -> Result<Vec<Id>> {
        if let Some(ids) = self.contacts.get(&contact) {
            return Ok(ids.clone());
        }
        let ids = users::users_of_contact(conn, contact).await?;
        self.contacts.insert(contact, ids.clone());
        Ok(ids)
    }

    /// Whether the ticket's reporting contact can be told anything: through a portal account,
    /// or by mail to an address (when mail is configured); a contact who left cannot.
    async fn reaches_contact<C: Conn>(&mut self, app: &App, conn: &C, t: &Ticket) -> Result<bool> {
        let Some(contact) = t.contact_id else { return Ok(false) };
        if !self.contact_users(conn, contact).await?.is_empty() {
            return Ok(true);
        }
        Ok(app.settings.email
            && directory::contact_by_id(conn, contact).await?.is_some_and(|k| !k.left && k.email.is_some()))
    }

    async fn email<C: Conn>(&mut self, conn: &C, user: Id) -> Result<Option<String>> {
        if let Some(e) = self.emails.get(&user) {
            return Ok(e.clone());
        }
        let e = users::user_by_id(conn, user).await?.and_then(|u| u.email);
        self.emails.insert(user, e.clone());
        Ok(e)
    }

    /// The people `spec` goes to on `t` by `route`, each once, with the audience they are
    /// in (the first that names them).
    async fn people<C: Conn>(
        &mut self,
        conn: &C,
        t: &Ticket,
        spec: &NoticeSpec,
        route: &Route,
    ) -> Result<Vec<(Id, Audience)>> {
        let mut people: Vec<(Id, Audience)> = Vec::new();
        for &audience in route.audiences.iter().filter(|a| spec.only.is_empty() || spec.only.contains(a)) {
            let ids: Vec<Id> = match audience {
                Audience::Engineer => t.first_line_id.into_iter().collect(),
                Audience::SecondLine => t.second_line_id.into_iter().collect(),
                Audience::ProjectSpecialist => self.specialist(conn, t.customer_id).await?.into_iter().collect(),
                Audience::Contact => match t.contact_id {
                    Some(c) => self.contact_users(conn, c).await?,
                    None => Vec::new(),
                },
                Audience::Supervisor => self.role(conn, Role::Supervisor).await?,
                Audience::TechLead => self.role(conn, Role::TechLead).await?,
                Audience::ProjectManager => self.role(conn, Role::ProjectManager).await?,
                Audience::GeneralManager => self.role(conn, Role::GeneralManager).await?,
                Audience::Desk => self.role(conn, Role::DeskAgent).await?,
            };
            for u in ids {
                if !people.iter().any(|(p, _)| *p == u) {
                    people.push((u, audience));
                }
            }
        }
        Ok(people)
    }
}

impl App {
    /// Notice routes in force (stored ones over the defaults).
    async fn routes<C: Conn>(&self, conn: &C) -> Result<Vec<Route>> {
        let stored = store::routes(conn).await?;
        Ok(notice::default_routes()
            .into_iter()
            .map(|d| stored.iter().find(|r| r.kind == d.kind).cloned().unwrap_or(d).sanitized())
            .collect())
    }

    /// Keeps the ticket's jobs equal to its watched moments (same transaction as the change).
    pub(crate) async fn reschedule(&self, tx: &WriteTx, t: &Ticket, cal: &Calendar) -> Result<()> {
        store::reconcile_jobs(&**tx, t.id, &notice::schedule(t, cal), self.now()).await?;
        Ok(())
    }

    /// Records a notice once (by its key), resolves its recipients, queues its deliveries
    /// and notes it on the ticket's history. Returns false when it existed already.
    /// `at` is when its condition arose (a job's due instant, even when a worker that was
    /// down runs it later), so the daily table files it under the right day.
    pub(crate) async fn raise<C: Conn>(&self, conn: &C, t: &Ticket, spec: &NoticeSpec, at: Timestamp) -> Result<bool> {
        Ok(self.raise_all(conn, &[(t, spec, at)]).await?.first().copied().unwrap_or(false))
    }

    /// [`App::raise`] for many notices at once (a sweep's), with the same outcome as raising
    /// them one after the other in the same transaction: each key is recorded once, and
    /// recipients, deliveries and history events follow for those recorded now. It takes a
    /// few statements for the whole batch instead of several per notice, and reads routes,
    /// targets, role members, specialists and addresses once. Returns, for each, whether it
    /// was recorded now.
    async fn raise_all<C: Conn>(&self, conn: &C, batch: &[(&Ticket, &NoticeSpec, Timestamp)]) -> Result<Vec<bool>> {
        let mut lookups = Lookups::default();
        // A notice whose route is off is not raised, nor a customer notice that nobody can
        // receive (no contact named, or one with neither a portal account nor an address we
        // may mail): the ticket then shows no one was told. A customer notice takes the
        // administrator's wording when there is one.
        let mut worded: Vec<Option<NoticeSpec>> = Vec::with_capacity(batch.len());
        for (t, spec, _) in batch {
            let route = lookups.route(self, conn, spec.kind).await?;
            let reachable = !spec.kind.is_customer_facing() || lookups.reaches_contact(self, conn, t).await?;
            worded.push(match (&route.wording, route.enabled && reachable) {
                (_, false) => None,
                (Some(w), true) => Some((*spec).clone().reworded(w)),
                (None, true) => Some((*spec).clone()),
            });
        }
        // A key twice in the batch: the first records it, as it would one after the other.
        let mut keys = HashSet::new();
        let first: Vec<usize> =
            (0..batch.len()).filter(|&i| worded[i].is_some() && keys.insert(batch[i].1.key.as_str())).collect();
        let rows: Vec<(Id, &NoticeSpec, Timestamp)> =
            first.iter().filter_map(|&i| Some((batch[i].0.id, worded[i].as_ref()?, batch[i].2))).collect();
        let ids = store::insert_notices(conn, &rows).await?;
        let mut raised = vec![false; batch.len()];
        let (mut recipients, mut deliveries, mut events) = (Vec::new(), Vec::new(), Vec::new());
        for (&i, id) in first.iter().zip(ids) {
            let Some(id) = id else { continue };
            raised[i] = true;
            let (t, _, now) = batch[i];
            let Some(spec) = worded[i].as_ref() else { continue };
            let route = lookups.route(self, conn, spec.kind).await?;
            let email = self.settings.email && route.channels.contains(&ChannelKind::Email);
            let customer = spec.kind.is_customer_facing();
            for (user, audience) in lookups.people(conn, t, spec, &route).await? {
                recipients.push((id, user, audience));
                // A customer is e-mailed at the contact's address below, once.
                if email
                    && !customer
                    && let Some(email) = lookups.email(conn, user).await?
                {
                    deliveries.push(NewDelivery {
                        notice: id,
                        user: Some(user),
                        channel: ChannelKind::Email,
                        target: email,
                        at: now,
                        contact: None,
                        lang: None,
                    });
                }
            }
            // DOMAIN §8: the reporting contact is told whether or not they have an account,
            // at the contact's address (else their account's), in their language.
            if email
                && customer
                && route.audiences.contains(&Audience::Contact)
                && let Some(contact) = t.contact_id
                && let Some(k) = directory::contact_by_id(conn, contact).await?
                && !k.left
            {
                let address = match k.email.clone() {
                    Some(e) => Some(e),
                    None => match lookups.contact_users(conn, contact).await?.first() {
                        Some(u) => lookups.email(conn, *u).await?,
                        None => None,
                    },
                };
                if let Some(address) = address {
                    deliveries.push(NewDelivery {
                        notice: id,
                        user: lookups.contact_users(conn, contact).await?.first().copied(),
                        channel: ChannelKind::Email,
                        target: address,
                        at: now,
                        contact: Some(contact),
                        lang: Some(k.lang),
                    });
                }
            }
            if !route.targets.is_empty() {
                let targets = lookups.targets(conn).await?;
                for name in &route.targets {
                    if let Some(target) = targets.iter().find(|x| &x.name == name) {
                        deliveries.push(NewDelivery {
                            notice: id,
                            user: None,
                            channel: target.kind,
                            target: target.name.clone(),
                            at: now,
                            contact: None,
                            lang: None,
                        });
                    }
                }
            }
            events.push(Event {
                id: 0,
                ticket_id: t.id,
                at: now,
                actor_id: 0,
                action: "notice".into(),
                changes: vec![aftersales_domain::event::Change::added("notice_kind", spec.kind.code())],
                note: Some(spec.subject_zh.clone()),
            });
        }
        store::insert_recipients(conn, &recipients).await?;
        store::insert_deliveries(conn, &deliveries).await?;
        store::insert_events(conn, &events).await?;
        Ok(raised)
    }

    /// The notices a step raises at once (second line, refusal, visit delay, dissatisfied).
    pub(crate) async fn raise_for_step(
        &self,
        tx: &WriteTx,
        step: Step,
        before: &Ticket,
        after: &Ticket,
        event_id: Id,
    ) -> Result<()> {
        let cal = self.calendar(after.calendar.as_deref()).await?;
        let engineer = match after.first_line_id {
            Some(e) => users::user_by_id(&**tx, e).await?.map(|u| u.display_name),
            None => None,
        };
        for spec in notice::on_step(step, before, after, event_id, &cal, self.now(), engineer.as_deref()) {
            self.raise(&**tx, after, &spec, self.now()).await?;
        }
        Ok(())
    }

    /// Runs the jobs due now, up to `limit`, in one transaction: each is taken (on
    /// PostgreSQL with `SKIP LOCKED`, so workers share the queue), its condition checked on
    /// the ticket as it now is, and its notice recorded once. The transaction is the lease:
    /// a worker that dies mid-way rolls the whole batch back and the jobs are due again for
    /// the next sweep. The batch's tickets are read in one query and its notices recorded
    /// together (`raise_all`), so a sweep costs a few statements whatever its size.
    pub async fn run_due_jobs(&self, worker: &str, limit: u64) -> Result<usize> {
        let now = self.now();
        let tx = self.store.write().await?;
        let jobs = store::take_jobs(&*tx, worker, now, limit).await?;
        let mut ids: Vec<Id> = jobs.iter().map(|j| j.ticket_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let loaded: HashMap<Id, Ticket> = tickets::by_ids(&*tx, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
        let mut due = Vec::new();
        for job in &jobs {
            if let Some(t) = loaded.get(&job.ticket_id) {
                let cal = self.calendar(t.calendar.as_deref()).await?;
                if let Some(spec) = notice::evaluate(&job.key, job.kind, t, &cal) {
                    due.push((t, spec, job.due_at.min(now)));
                }
            }
        }
        let batch: Vec<(&Ticket, &NoticeSpec, Timestamp)> = due.iter().map(|(t, spec, at)| (*t, spec, *at)).collect();
        self.raise_all(&*tx, &batch).await?;
        tx.commit().await?;
        Ok(jobs.len())
    }

    /// Claims the deliveries due now (leased for [`LEASE`]) with what to send. Claim just
    /// before sending (the worker claims one at a time): a delivery whose lease runs out
    /// while `sending` was in flight when its worker stopped, and is marked uncertain by the
    /// next claim rather than sent again.
    pub async fn claim_deliveries(&self, limit: u64) -> Result<Vec<Outgoing>> {
        let now = self.now();
        let tx = self.store.write().await?;
        let doubtful = store::mark_uncertain(&*tx, now, 500).await?;
        let claimed = store::claim_deliveries(&*tx, now, now + LEASE, limit).await?;
        // A customer's "please confirm" and survey mails carry a signed link (DOMAIN §8),
        // issued with the attempt that sends it.
        let mut links = HashMap::new();
        for d in claimed.iter().filter(|d| d.channel == ChannelKind::Email) {
            let Some(contact) = d.contact_id else { continue };
            let Some(n) = store::notice_by_id(&*tx, d.notice_id).await? else { continue };
            let purpose = match n.kind {
                NoticeKind::Resolved => LinkPurpose::Closure,
                NoticeKind::SurveyRequest => LinkPurpose::Survey,
                _ => continue,
            };
            links.insert(d.id, self.issue_link(&*tx, n.ticket_id, contact, purpose, d.id).await?);
        }
        tx.commit().await?;
        for d in &doubtful {
            tracing::warn!(
                delivery = d.id,
                notice = d.notice_id,
                channel = %d.channel,
                target = %d.target,
                "a worker stopped while sending this delivery; it is in doubt and waits for an administrator"
            );
        }
        let conn = self.store.read();
        let targets = if claimed.iter().any(|d| d.channel != ChannelKind::Email) {
            store::targets(conn).await?
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(claimed.len());
        for d in claimed {
            let Some(notice) = store::notice_by_id(conn, d.notice_id).await? else { continue };
            let target = if d.channel == ChannelKind::Email {
                None
            } else {
                targets.iter().find(|t| t.name == d.target).cloned()
            };
            let link = links.remove(&d.id);
            out.push(Outgoing { delivery: d, notice, target, link });
        }
        Ok(out)
    }

    /// Records how an attempt by `worker` went: sent; failed and retried later; or dead
    /// (permanent failure, or the last retry). Each attempt is a line in the delivery's log.
    pub async fn finish_delivery(
        &self,
        worker: &str,
        d: &Delivery,
        outcome: std::result::Result<String, (bool, String)>,
    ) -> Result<()> {
        let now = self.now();
        let tx = self.store.write().await?;
        let recorded = match outcome {
            Ok(receipt) => store::finish_delivery(&*tx, d, DeliveryState::Sent, &receipt, None, worker, now).await?,
            Err((retryable, error)) if retryable && d.attempts < notice::MAX_ATTEMPTS => {
                let at = now + notice::backoff(d.attempts);
                store::finish_delivery(&*tx, d, DeliveryState::Pending, &error, Some(at), worker, now).await?
            }
            Err((_, error)) => store::finish_delivery(&*tx, d, DeliveryState::Dead, &error, None, worker, now).await?,
        };
        tx.commit().await?;
        if !recorded {
            tracing::warn!(delivery = d.id, "the attempt ended after its lease; the delivery stays in doubt");
        }
        Ok(())
    }

    // ----- people -----

    /// Lists notices: staff see all (filtered), customer contacts only their own inbox.
    pub async fn notices(&self, actor: &Actor, q: &NoticeQuery) -> Result<NoticePage> {
        actor.require(Action::ReadTicket)?;
        let page = Page::new(q.page, q.per_page)?;
        let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => Some(NoticeKind::from_code(k).ok_or_else(|| {
                invalid(
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

    fn day_bounds(&self, date: &str) -> Result<(Timestamp, Timestamp)> {
        let malformed =
            || invalid("date", Reason::Malformed { expected_en: "YYYY-MM-DD", expected_zh: "YYYY-MM-DD 格式的日期" });
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
            Some(n) if n.chars().count() > 2000 => return Err(invalid("note", Reason::TooLong { max: 2000 })),
            // A customer marks a notice read; what they have to say is a message on the
            // ticket, where the engineer sees it.
            Some(_) if actor.is_customer() => {
                return Err(invalid(
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
            return Err(DomainError::conflict(
                "not_a_recipient",
                "Only the people a notice was sent to can acknowledge it",
                "只有通告的接收人可以确认该通告",
            )
            .into());
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

    /// The deliveries of a notice (staff), or of every notice in `state` (administrators).
    pub async fn deliveries(
        &self,
        actor: &Actor,
        notice: Option<Id>,
        state: Option<DeliveryState>,
    ) -> Result<Vec<Delivery>> {
        if notice.is_none() {
            actor.require(Action::ManageServicePolicy)?;
        } else {
            actor.require(Action::ReadServicePolicy)?;
        }
        Ok(store::deliveries(self.store.read(), notice, state, 500).await?)
    }

    /// One delivery with its log (administrators).
    pub async fn delivery(&self, actor: &Actor, id: Id) -> Result<Delivery> {
        actor.require(Action::ManageServicePolicy)?;
        store::delivery_by_id(self.store.read(), id).await?.ok_or_else(|| AppError::not_found("delivery", id))
    }

    /// An administrator puts a dead or in-doubt delivery back in the queue.
    pub async fn retry_delivery(&self, actor: &Actor, id: Id) -> Result<Delivery> {
        actor.require(Action::ManageServicePolicy)?;
        let tx = self.store.write().await?;
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        if !store::requeue_delivery(&*tx, id, &actor.user.username, self.now()).await? {
            return Err(DomainError::conflict(
                "not_retryable",
                format!("Only a dead or in-doubt delivery can be retried; this one is {}", d.state.label(Lang::En)),
                format!("只有发送失败或待确认的投递可以重试；此投递为{}", d.state.label(Lang::Zh)),
            )
            .into());
        }
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        tx.commit().await?;
        Ok(d)
    }

    /// An administrator records that an in-doubt delivery did arrive (they checked the
    /// mailbox or the robot's group), so it is not sent twice.
    pub async fn confirm_delivery(&self, actor: &Actor, id: Id, note: &str) -> Result<Delivery> {
        actor.require(Action::ManageServicePolicy)?;
        let note = note.trim();
        if note.chars().count() > 500 {
            return Err(invalid("note", Reason::TooLong { max: 500 }));
        }
        let tx = self.store.write().await?;
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        if !store::confirm_delivery(&*tx, id, &actor.user.username, note, self.now()).await? {
            return Err(DomainError::conflict(
                "not_uncertain",
                format!("Only an in-doubt delivery can be confirmed; this one is {}", d.state.label(Lang::En)),
                format!("只有待确认的投递可以确认送达；此投递为{}", d.state.label(Lang::Zh)),
            )
            .into());
        }
        let d = store::delivery_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("delivery", id))?;
        tx.commit().await?;
        Ok(d)
    }

    /// The notices these deliveries belong to, by notice id (administrators; read only).
    pub async fn delivery_contexts(&self, actor: &Actor, notice_ids: &[Id]) -> Result<HashMap<Id, DeliveryContext>> {
        actor.require(Action::ManageServicePolicy)?;
        let conn = self.store.read();
        let mut ids = notice_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut notices = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(n) = store::notice_by_id(conn, id).await? {
                notices.push(n);
            }
        }
        let mut ticket_ids: Vec<Id> = notices.iter().map(|n| n.ticket_id).collect();
        ticket_ids.sort_unstable();
        ticket_ids.dedup();
        let numbers: HashMap<Id, String> =
            tickets::by_ids(conn, &ticket_ids).await?.into_iter().map(|t| (t.id, t.number.to_string())).collect();
        Ok(notices
            .into_iter()
            .map(|n| {
                let c = DeliveryContext {
                    notice_id: n.id,
                    kind: n.kind,
                    ticket_id: n.ticket_id,
                    ticket_number: numbers.get(&n.ticket_id).cloned().unwrap_or_default(),
                    subject_zh: n.subject_zh,
                    subject_en: n.subject_en,
                };
                (n.id, c)
            })
            .collect())
    }

    pub async fn notice_routes(&self, actor: &Actor) -> Result<Vec<Route>> {
        actor.require(Action::ReadServicePolicy)?;
        self.routes(self.store.read()).await
    }

    pub async fn put_notice_route(&self, actor: &Actor, route: &Route) -> Result<Route> {
        actor.require(Action::ManageServicePolicy)?;
        let problems = route.problems();
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let tx = self.store.write().await?;
        let targets = store::targets(&*tx).await?;
        if route.targets.iter().any(|n| !targets.iter().any(|t| &t.name == n)) {
            return Err(invalid("targets", Reason::Unknown));
        }
        let mut r = route.clone();
        if !r.channels.contains(&ChannelKind::InApp) {
            r.channels.insert(0, ChannelKind::InApp);
        }
        store::put_route(&*tx, &r).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn notify_targets(&self, actor: &Actor) -> Result<Vec<TargetInfo>> {
        actor.require(Action::ManageServicePolicy)?;
        Ok(store::targets(self.store.read())
            .await?
            .into_iter()
            .map(|t| TargetInfo { name: t.name, kind: t.kind, url: t.url, has_secret: t.secret.is_some() })
            .collect())
    }

    pub async fn put_notify_target(&self, actor: &Actor, name: &str, input: &TargetInput) -> Result<TargetInfo> {
        let secret = input.secret.clone().map_or(SecretEdit::Remove, SecretEdit::Set);
        self.save_notify_target(actor, name, input.kind, &input.url, secret).await
    }

    /// Sets a robot or webhook target; its secret is kept, replaced or removed as `secret`
    /// says (a page never shows the stored secret, so an edit can only keep it).
    pub async fn save_notify_target(
        &self,
        actor: &Actor,
        name: &str,
        kind: ChannelKind,
        url: &str,
        secret: SecretEdit,
    ) -> Result<TargetInfo> {
        actor.require(Action::ManageServicePolicy)?;
        let tx = self.store.write().await?;
        let secret = match secret {
            SecretEdit::Keep => store::targets(&*tx).await?.into_iter().find(|t| t.name == name).and_then(|t| t.secret),
            SecretEdit::Set(s) => Some(s),
            SecretEdit::Remove => None,
        };
        let mut problems = Vec::new();
        if name.is_empty()
            || name.len() > 32
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push((
                "name",
                Reason::Malformed {
                    expected_en: "1 to 32 of a-z 0-9 _ -",
                    expected_zh: "1 至 32 个字母、数字、_ 或 -",
                },
            ));
        }
        if matches!(kind, ChannelKind::InApp | ChannelKind::Email) {
            problems.push((
                "kind",
                Reason::Mismatch {
                    detail_en: "must be wecom, dingtalk, feishu or webhook",
                    detail_zh: "须为企业微信、钉钉、飞书或 Webhook",
                },
            ));
        }
        let url = url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            problems.push(("url", Reason::Malformed { expected_en: "an http(s) URL", expected_zh: "http(s) 网址" }));
        }
        if kind == ChannelKind::Webhook && secret.as_deref().is_none_or(|s| s.trim().len() < 16) {
            problems.push((
                "secret",
                Reason::Mismatch {
                    detail_en: "a generic webhook needs a secret of at least 16 characters",
                    detail_zh: "通用 Webhook 须设置至少 16 个字符的签名密钥",
                },
            ));
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let row = TargetRow {
            name: name.to_owned(),
            kind,
            url: url.to_owned(),
            secret: secret.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
        };
        store::put_target(&*tx, &row, self.now()).await?;
        tx.commit().await?;
        Ok(TargetInfo { name: row.name, kind: row.kind, url: row.url, has_secret: row.secret.is_some() })
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
