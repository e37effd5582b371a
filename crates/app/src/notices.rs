//! Notices and escalation (DOMAIN §5): jobs kept equal to each ticket's watched moments,
//! notices raised by steps and by due jobs, their recipients' inboxes and acknowledgements,
//! the delivery outbox, and the daily "unclosed and notices" table (DOMAIN §7).

use std::collections::{BTreeMap, HashMap, HashSet};

use aftersales_domain::calendar::Calendar;
use aftersales_domain::customer_link::LinkPurpose;
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::event::Event;
use aftersales_domain::lifecycle::Step;
use aftersales_domain::notice::{
    self, Audience, ChannelKind, Delivery, DeliveryState, Notice, NoticeKind, NoticeSpec, Route,
};
use aftersales_domain::permission::Action;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::Ticket;
use aftersales_domain::worklog::LogKind;
use aftersales_domain::{DomainError, Id, Timestamp};
use aftersales_storage::notices::{self as store, NewDelivery, NoticeFilter, TargetRow};
use aftersales_storage::{Conn, WriteTx, directory, tickets, users};
use serde::{Deserialize, Serialize};

use crate::directory::own_customer;
use crate::users::Page;
use crate::{Actor, App, AppError, Result};

mod inbox;
mod outbox;
mod routes;

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
    /// The signed link a customer's mail carries (confirm closure, rate the service,
    /// approve a quote, sign a service report).
    pub link: Option<String>,
    /// The service report version whose PDF a customer's e-mail attaches
    /// ([`App::report_attachment`]).
    pub report_id: Option<Id>,
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
    /// Active tech leads by group.
    leads: HashMap<Id, Vec<Id>>,
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

    /// The active tech leads of `group` (every active tech lead when the ticket has no
    /// group yet, so a notice is never lost).
    async fn group_leads<C: Conn>(&mut self, conn: &C, group: Option<Id>) -> Result<Vec<Id>> {
        let Some(group) = group else {
            return self.role(conn, Role::TechLead).await;
        };
        if let Some(ids) = self.leads.get(&group) {
            return Ok(ids.clone());
        }
        let ids: Vec<Id> = users::users(conn, &[Role::TechLead], Some(group), None, 1000, 0)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| u.id)
            .collect();
        self.leads.insert(group, ids.clone());
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
                // DOMAIN §5 二线支持: the lead of the ticket's own group, not every group's.
                Audience::TechLead => self.group_leads(conn, t.group_id).await?,
                Audience::WorkOrderOwner => spec.people.clone(),
                Audience::ProjectManager => self.role(conn, Role::ProjectManager).await?,
                Audience::GeneralManager => self.role(conn, Role::GeneralManager).await?,
                Audience::Desk => self.role(conn, Role::DeskAgent).await?,
                Audience::Dispatcher => self.role(conn, Role::Dispatcher).await?,
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
    pub(crate) async fn routes<C: Conn>(&self, conn: &C) -> Result<Vec<Route>> {
        let stored = store::routes(conn).await?;
        Ok(notice::default_routes()
            .into_iter()
            .map(|d| stored.iter().find(|r| r.kind == d.kind).cloned().unwrap_or(d).sanitized())
            .collect())
    }

    /// Keeps the ticket's jobs equal to its watched moments (same transaction as the change).
    pub(crate) async fn reschedule(&self, tx: &WriteTx, t: &Ticket, cal: &Calendar) -> Result<()> {
        store::reconcile_jobs(&**tx, t.id, &notice::schedule(t, cal), self.now()).await?;
        // Issue 15: the ticket's report facts settle with the change, in its transaction.
        self.settle_facts(&**tx, t).await?;
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
    pub(crate) async fn raise_all<C: Conn>(
        &self,
        conn: &C,
        batch: &[(&Ticket, &NoticeSpec, Timestamp)],
    ) -> Result<Vec<bool>> {
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
            // `/metrics` (issue 18): counted as written, before the surrounding transaction
            // commits (one that fails is rare; its retry counts again).
            metrics::counter!("aftersales_notices_raised_total", "kind" => spec.kind.code()).increment(1);
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
        // Issue 15: the notice counts of the report facts, in the transaction that raised them.
        let mut counted: Vec<Id> = (0..batch.len()).filter(|&i| raised[i]).map(|i| batch[i].0.id).collect();
        counted.sort_unstable();
        counted.dedup();
        aftersales_storage::reporting::recount_notices(conn, &counted).await?;
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
}
