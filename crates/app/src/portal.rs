//! The customer contact's side (DOMAIN §1 "contact portal", §8): what they read of their own
//! organization's tickets, always through the customer projection of
//! `domain::customer_view`; what waits for them; their steps; and the signed links of
//! customer e-mail that let a contact without an account confirm closure or rate the service.

use aftersales_domain::clock::SurveyResult;
use aftersales_domain::customer_link::{CustomerLink, LinkProblem, LinkPurpose};
use aftersales_domain::customer_view::{
    self, CustomerEvent, CustomerLogEntry, CustomerStatus, CustomerTicket, Reader, SURVEY_DAYS,
};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::lifecycle::Step;
use aftersales_domain::permission::Action;
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::{ClosureMethod, Ticket};
use aftersales_domain::user::User;
use aftersales_domain::{DomainError, Id};
use aftersales_storage::{Conn, WriteTx, directory, links, tickets, users};
use serde::{Deserialize, Serialize};

use crate::directory::own_customer;
use crate::tickets::{Command, ListQuery, Opened};
use crate::users::{random_bytes, token_hash};
use crate::{Actor, App, AppError, Idem, Outcome, Result};

/// One page of a customer's tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerTicketPage {
    pub items: Vec<CustomerTicket>,
    /// How many tickets match, counted up to 1,000 (see `total_exact`).
    pub total: u64,
    /// `false`: counting stopped at `total` (1,000), and more tickets match.
    pub total_exact: bool,
    pub page: u64,
    pub per_page: u64,
}

/// What the customer's ticket page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerScreen {
    pub ticket: CustomerTicket,
    pub timeline: Vec<CustomerEvent>,
    pub log: Vec<CustomerLogEntry>,
    /// The steps this contact may take now (confirm or refuse closure, confirm as the
    /// window, object to the grading, rate the service).
    pub steps: Vec<aftersales_domain::lifecycle::Step>,
}

/// A customer's answer through a link (or the portal's form, which takes the same words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
pub enum LinkAnswer {
    /// The problem is solved: close the ticket.
    Confirm,
    /// Not solved, and why.
    Refuse { reason: String },
    /// The satisfaction survey.
    /// The satisfaction survey (seed 000 模板3 and (四)): the result, and optionally whether
    /// the problem is fully solved, whether the response speed was acceptable, suggestions.
    Survey {
        result: SurveyResult,
        note: Option<String>,
        #[serde(default)]
        solved: Option<bool>,
        #[serde(default)]
        speed_ok: Option<bool>,
        #[serde(default)]
        suggestions: Option<String>,
    },
    /// A service report signed through its link: who signs, in what relation, and the drawn
    /// image (a PNG, base64 or a `data:` URL as a canvas gives it).
    Sign {
        signer_name: Option<String>,
        relationship: Option<aftersales_domain::service_report::SignerRelationship>,
        signature: Option<String>,
    },
}

/// What a link's page shows: what it is for and the ticket it is about (in the customer's
/// projection), or why it can no longer be used.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkState {
    Usable { purpose: LinkPurpose, ticket: Box<CustomerTicket>, contact: String },
    Spent { problem: LinkProblem, number: String },
}

/// How long a link token is (bytes of randomness; base64url in the mail).
const TOKEN_BYTES: usize = 32;

/// The stored link a token names, or "not found" for a token that was never issued (a
/// forged or altered link learns nothing about any ticket).
pub(crate) async fn link_of<C: Conn>(conn: &C, token: &str) -> Result<CustomerLink> {
    let plausible = token.len() <= 64 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let found = if plausible { links::by_token_hash(conn, &token_hash(token)).await? } else { None };
    found.ok_or_else(|| AppError::not_found("link", "—"))
}

/// The contact of a link, acting through it: their portal account when they have one (so
/// the history names them), else the contact themselves with no account (history shows
/// "customer contact" with the contact's name in the note).
pub(crate) async fn link_actor<C: Conn>(conn: &C, link: &CustomerLink) -> Result<Actor> {
    let contact =
        directory::contact_by_id(conn, link.contact_id).await?.ok_or_else(|| AppError::not_found("link", "—"))?;
    // Someone who has left the customer no longer answers for it (the links are revoked when
    // they leave; this holds for any issued before).
    if contact.left {
        return Err(link_refused(LinkProblem::Revoked));
    }
    let account = match users::users_of_contact(conn, contact.id).await?.first() {
        Some(id) => users::user_by_id(conn, *id).await?.filter(|u| u.active),
        None => None,
    };
    Ok(Actor {
        user: account.unwrap_or(User {
            id: 0,
            username: String::new(),
            display_name: contact.name.clone(),
            role: Role::CustomerContact,
            email: contact.email.clone(),
            phone: None,
            region: None,
            group_id: None,
            customer_id: Some(contact.customer_id),
            contact_id: Some(contact.id),
            active: true,
        }),
    })
}

impl App {
    /// The customer's projection of `t` for `actor` (a contact of its organization).
    pub(crate) async fn project(&self, actor: &Actor, t: &Ticket) -> Result<CustomerTicket> {
        let conn = self.store.read();
        let clocks = self.clock_views(t).await?;
        let engineer = match t.first_line_id {
            Some(e) => users::user_by_id(conn, e).await?.map(|u| u.display_name),
            None => None,
        };
        let window = directory::customer_by_id(conn, t.customer_id).await?.and_then(|c| c.window_contact_id);
        let reader = Reader {
            contact_id: actor.user.contact_id,
            window_contact_id: window,
            engineer: engineer.as_deref(),
            now: self.now(),
        };
        Ok(CustomerTicket::project(t, &clocks, reader))
    }

    /// A ticket of the contact's own organization, as the customer sees it.
    pub async fn customer_ticket(&self, actor: &Actor, id: Id) -> Result<CustomerTicket> {
        actor.require(Action::ReadTicket)?;
        self.warm().await?;
        let t = self.own_ticket(actor, id).await?;
        self.project(actor, &t).await
    }

    /// A ticket of the contact's own organization by its number, as the customer sees it.
    pub async fn customer_ticket_by_number(&self, actor: &Actor, number: &str) -> Result<CustomerTicket> {
        actor.require(Action::ReadTicket)?;
        self.warm().await?;
        match tickets::by_number(self.store.read(), number).await? {
            Some(t) if own_customer(actor).is_none_or(|own| own == t.customer_id) => self.project(actor, &t).await,
            _ => Err(AppError::not_found("ticket", number)),
        }
    }

    /// The customer's ticket page in one read: the ticket, its timeline, the entries
    /// addressed to them, and the steps open to this reader now.
    pub async fn customer_screen(&self, actor: &Actor, id: Id) -> Result<CustomerScreen> {
        actor.require(Action::ReadTicket)?;
        self.warm().await?;
        let t = self.own_ticket(actor, id).await?;
        let is_window = self.is_window(actor, &t).await?;
        let mut steps = self.available_steps(actor, &t).await?;
        steps.retain(|s| customer_view::offers(&t, *s, is_window, self.now()));
        Ok(CustomerScreen {
            ticket: self.project(actor, &t).await?,
            timeline: self.customer_timeline(actor, id).await?,
            log: self.customer_work_log(actor, id).await?,
            steps,
        })
    }

    /// Whether the reader is the designated window of the ticket's customer.
    async fn is_window(&self, actor: &Actor, t: &Ticket) -> Result<bool> {
        let window =
            directory::customer_by_id(self.store.read(), t.customer_id).await?.and_then(|c| c.window_contact_id);
        Ok(actor.user.contact_id.is_some() && actor.user.contact_id == window)
    }

    /// A ticket the reader's organization owns (any organization for staff); another
    /// customer's ticket is "not found".
    async fn own_ticket(&self, actor: &Actor, id: Id) -> Result<Ticket> {
        match tickets::by_id(self.store.read(), id).await? {
            Some(t) if own_customer(actor).is_none_or(|own| own == t.customer_id) => Ok(t),
            _ => Err(AppError::not_found("ticket", id)),
        }
    }

    /// The contact's organization's tickets, as the customer sees them. A contact filters by
    /// customer status (codes of `CustomerStatus`, comma-separated) and registration dates,
    /// and sorts by registration, update or number: the staff's filters (priority, deadlines,
    /// group, engineer, region) would tell what the projection leaves out (DOMAIN §8).
    pub async fn customer_tickets(&self, actor: &Actor, q: &ListQuery) -> Result<CustomerTicketPage> {
        actor.require(Action::ReadTicket)?;
        let q = customer_query(q)?;
        let (items, (total, total_exact), page) = self.list_tickets(actor, &q).await?;
        let mut out = Vec::with_capacity(items.len());
        for t in &items {
            out.push(self.project(actor, t).await?);
        }
        Ok(CustomerTicketPage { items: out, total, total_exact, page: page.page, per_page: page.per_page })
    }

    /// What waits for the contact, most recent first: resolved tickets to confirm, requests
    /// waiting for them as the window, and closed tickets to rate (at most 50).
    pub async fn awaiting_customer(&self, actor: &Actor) -> Result<Vec<CustomerTicket>> {
        actor.require(Action::ReadTicket)?;
        let Some(customer) = own_customer(actor) else { return Ok(Vec::new()) };
        self.warm().await?;
        let conn = self.store.read();
        let window = directory::customer_by_id(conn, customer).await?.and_then(|c| c.window_contact_id);
        let is_window = actor.user.contact_id.is_some() && actor.user.contact_id == window;
        let since = self.now() - jiff::SignedDuration::from_hours(24 * SURVEY_DAYS);
        let mut out = Vec::new();
        for t in tickets::awaiting_customer(conn, customer, is_window, since, 50).await? {
            let c = self.project(actor, &t).await?;
            if !c.waiting_for_you.is_empty() {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// How many requests wait for the contact (the header's count), in one query.
    pub async fn awaiting_count(&self, actor: &Actor) -> Result<u64> {
        actor.require(Action::ReadTicket)?;
        let Some(customer) = own_customer(actor) else { return Ok(0) };
        let conn = self.store.read();
        let window = directory::customer_by_id(conn, customer).await?.and_then(|c| c.window_contact_id);
        let is_window = actor.user.contact_id.is_some() && actor.user.contact_id == window;
        let since = self.now() - jiff::SignedDuration::from_hours(24 * SURVEY_DAYS);
        Ok(tickets::count_awaiting_customer(conn, customer, is_window, since).await?)
    }

    /// The ticket's history as the customer reads it: its milestones, in order.
    pub async fn customer_timeline(&self, actor: &Actor, id: Id) -> Result<Vec<CustomerEvent>> {
        actor.require(Action::ReadTicket)?;
        let t = self.own_ticket(actor, id).await?;
        let conn = self.store.read();
        let events = tickets::events(conn, t.id).await?;
        let mut ids: Vec<Id> = events
            .iter()
            .flat_map(|e| &e.changes)
            .filter(|c| c.field == "first_line_id")
            .filter_map(|c| c.after.as_i64())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut names = std::collections::HashMap::new();
        for id in ids {
            if let Some(u) = users::user_by_id(conn, id).await? {
                names.insert(id, u.display_name);
            }
        }
        Ok(events.iter().filter_map(|e| CustomerEvent::project(e, actor.id(), |id| names.get(&id).cloned())).collect())
    }

    /// The work-log entries addressed to the customer (DOMAIN §8), with who wrote them.
    pub async fn customer_work_log(&self, actor: &Actor, id: Id) -> Result<Vec<CustomerLogEntry>> {
        actor.require(Action::ReadTicket)?;
        let t = self.own_ticket(actor, id).await?;
        let conn = self.store.read();
        let mut out = Vec::new();
        for e in tickets::logs(conn, t.id).await? {
            let author = users::user_by_id(conn, e.author_id).await?.map(|u| u.display_name).unwrap_or_default();
            out.extend(CustomerLogEntry::project(&e, author));
        }
        Ok(out)
    }

    /// A contact registers a request; the answer is the customer's projection.
    pub async fn customer_register(
        &self,
        actor: &Actor,
        input: &Registration,
        idem: Option<&Idem>,
    ) -> Result<Outcome<CustomerTicket>> {
        match self.register_core(actor, input, idem).await? {
            Opened::Replayed { status, body } => Ok(Outcome::Replayed { status, body }),
            Opened::Fresh(tx, t) => self.answer(tx, actor, idem, &t).await,
        }
    }

    /// A contact takes a step (confirm closure, refuse it, confirm as the window, object to
    /// the grading, rate the service); the answer is the customer's projection.
    pub async fn customer_act(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        cmd: &Command,
        idem: Option<&Idem>,
    ) -> Result<Outcome<CustomerTicket>> {
        // The customer's own rules first: the survey once closed, the window's confirmation
        // by the window (a refusal, not a step the page would not have offered).
        if matches!(cmd.step(), Step::RecordSurvey | Step::ConfirmWindow) && actor.is_customer() {
            let t = self.own_ticket(actor, id).await?;
            if !customer_view::offers(&t, cmd.step(), self.is_window(actor, &t).await?, self.now()) {
                return Err(not_now(cmd.step()));
            }
        }
        match self.act_core(actor, id, based_on, cmd, idem).await.map_err(in_customer_words)? {
            Opened::Replayed { status, body } => Ok(Outcome::Replayed { status, body }),
            Opened::Fresh(tx, (t, _)) => self.answer(tx, actor, idem, &t).await,
        }
    }

    async fn answer(
        &self,
        tx: WriteTx,
        actor: &Actor,
        idem: Option<&Idem>,
        t: &Ticket,
    ) -> Result<Outcome<CustomerTicket>> {
        let c = self.project(actor, t).await?;
        self.commit_with(tx, actor, idem, &c).await?;
        Ok(Outcome::Fresh(c))
    }

    // ----- signed links in customer e-mail -----

    /// Issues a link for a delivery to a contact (in the transaction that claims it) and
    /// returns its URL. Each attempt gets a fresh token; only its hash is stored.
    pub(crate) async fn issue_link<C: Conn>(
        &self,
        conn: &C,
        ticket: Id,
        contact: Id,
        purpose: LinkPurpose,
        report: Option<Id>,
        delivery: Id,
    ) -> Result<String> {
        let now = self.now();
        let token = base64url(&random_bytes::<TOKEN_BYTES>()?);
        let link = CustomerLink {
            id: 0,
            ticket_id: ticket,
            contact_id: contact,
            purpose,
            report_id: report,
            created_at: now,
            expires_at: now + purpose.lifetime(),
            used_at: None,
            revoked_at: None,
        };
        links::insert(conn, &token_hash(&token), &link, Some(delivery)).await?;
        Ok(format!("{}/l/{token}", self.settings.public_url.trim_end_matches('/')))
    }

    /// What a link's page shows. Opening it changes nothing (mail scanners open links).
    pub async fn link_state(&self, token: &str) -> Result<LinkState> {
        let conn = self.store.read();
        let link = link_of(conn, token).await?;
        let t = tickets::by_id(conn, link.ticket_id).await?.ok_or_else(|| AppError::not_found("link", "—"))?;
        let actor = link_actor(conn, &link).await?;
        // A spent report link says why without naming the ticket (issue 14 review).
        let number = if link.purpose == LinkPurpose::Report { String::new() } else { t.number.to_string() };
        if let Err(problem) = link.check(&t, self.now()) {
            return Ok(LinkState::Spent { problem, number });
        }
        // A report link is about its version: signed, refused or corrected since, it is spent.
        if link.purpose == LinkPurpose::Report && !self.report_link_open(conn, &link).await? {
            return Ok(LinkState::Spent { problem: LinkProblem::Superseded, number });
        }
        // A quote link is about the revision it was mailed for.
        if link.purpose == LinkPurpose::Quote && self.quote_link_check(conn, &t, link.created_at).await.is_err() {
            return Ok(LinkState::Spent { problem: LinkProblem::Superseded, number: t.number.to_string() });
        }
        let contact = actor.user.display_name.clone();
        Ok(LinkState::Usable { purpose: link.purpose, ticket: Box::new(self.project(&actor, &t).await?), contact })
    }

    /// Acts on a link's answer, once: the link is marked used in the same transaction as the
    /// step, so a second submission (or a race of two) finds it used and changes nothing.
    pub async fn use_link(&self, token: &str, answer: &LinkAnswer) -> Result<CustomerTicket> {
        let conn = self.store.read();
        let link = link_of(conn, token).await?;
        let actor = link_actor(conn, &link).await?;
        if link.purpose == LinkPurpose::Report {
            let t = self.answer_report_link(token, &link, answer).await?;
            return self.project(&actor, &t).await;
        }
        let act = match (link.purpose, answer) {
            (LinkPurpose::Closure, LinkAnswer::Confirm) => {
                LinkAct::Step(Command::ConfirmClosure { method: Some(ClosureMethod::Portal) })
            }
            (LinkPurpose::Closure, LinkAnswer::Refuse { reason }) => {
                LinkAct::Step(Command::RefuseClosure { reason: reason.clone() })
            }
            (LinkPurpose::Survey, LinkAnswer::Survey { result, note, solved, speed_ok, suggestions }) => {
                LinkAct::Step(Command::RecordSurvey {
                    result: *result,
                    note: note.clone(),
                    solved: *solved,
                    speed_ok: *speed_ok,
                    suggestions: suggestions.clone(),
                })
            }
            (LinkPurpose::Quote, LinkAnswer::Confirm) => LinkAct::Quote { approve: true, reason: None },
            (LinkPurpose::Quote, LinkAnswer::Refuse { reason }) => {
                LinkAct::Quote { approve: false, reason: Some(reason.clone()) }
            }
            _ => {
                return Err(DomainError::field(
                    "answer",
                    Reason::Mismatch {
                        detail_en: "is not what this link is for", detail_zh: "与此链接的用途不符"
                    },
                )
                .into());
            }
        };
        // The link's checks and what it does in one write: nothing half-done, never twice.
        let tx = self.store.write().await?;
        let link = link_of(&*tx, token).await?;
        let t = tickets::by_id(&*tx, link.ticket_id).await?.ok_or_else(|| AppError::not_found("link", "—"))?;
        let now = self.now();
        link.check(&t, now).map_err(link_refused)?;
        let t = match act {
            LinkAct::Quote { approve, reason } => {
                // The revision the mail was about, checked before the link is spent: a link
                // about a superseded revision stays unused and says why.
                aftersales_storage::fees::lock(&*tx, t.id).await?;
                let file = self.quote_link_check(&*tx, &t, link.created_at).await?;
                spend(&*tx, &link, now).await?;
                let revision = file.current().map(|q| q.revision).unwrap_or_default();
                let d = crate::fees::QuoteDecision { revision, approve, reason, signed_by: None };
                let method = aftersales_domain::fee::ApprovalMethod::EmailLink;
                self.decide_in(&tx, &actor, &t, &file, &d, method, None).await?;
                tx.commit().await?;
                t
            }
            LinkAct::Step(cmd) => {
                spend(&*tx, &link, now).await?;
                let version = t.version;
                let (tx, (t, _)) = self.step_in(tx, &actor, t, version, &cmd).await?;
                // Attributed (DOMAIN §8): who answered, and that it came through the mailed link.
                let note = format!("{}（邮件链接 / e-mail link）", actor.user.display_name);
                let e = aftersales_domain::event::Event {
                    id: 0,
                    ticket_id: t.id,
                    at: now,
                    actor_id: actor.id(),
                    action: "link_used".into(),
                    changes: Vec::new(),
                    note: Some(note),
                };
                tickets::insert_event(&*tx, &e).await?;
                if matches!(cmd, Command::RecordSurvey { .. }) {
                    // The survey kept by the step is the customer's through the mailed link.
                    aftersales_storage::callbacks::set_survey_channel(
                        &*tx,
                        t.id,
                        aftersales_domain::callback::SurveyChannel::Link,
                    )
                    .await?;
                }
                tx.commit().await?;
                t
            }
        };
        self.project(&actor, &t).await
    }
}

impl App {
    /// The quote a usable quote link asks about, in the customer's projection.
    pub async fn link_quote(&self, token: &str) -> Result<Option<aftersales_domain::fee::CustomerQuote>> {
        let conn = self.store.read();
        let link = link_of(conn, token).await?;
        if link.purpose != LinkPurpose::Quote {
            return Ok(None);
        }
        let file = aftersales_storage::fees::file(conn, link.ticket_id).await?;
        Ok(aftersales_domain::fee::CustomerFees::project(&file).quote)
    }
}

/// Marks a link used, in the transaction of what it does; refused when it was used already
/// (two clicks at once: one wins).
pub(crate) async fn spend<C: Conn>(conn: &C, link: &CustomerLink, now: aftersales_domain::Timestamp) -> Result<()> {
    if !links::mark_used(conn, link.id, now).await? {
        return Err(link_refused(LinkProblem::Used));
    }
    Ok(())
}

/// What a mailed link does: a lifecycle step, or the customer's decision on a quote.
enum LinkAct {
    Step(Command),
    Quote { approve: bool, reason: Option<String> },
}

/// A refusal as a contact reads it: a step the ticket's state does not allow names the state
/// in customer words, not the staff's (已响应, 等待备件 …).
fn in_customer_words(e: AppError) -> AppError {
    match e {
        AppError::Domain(DomainError::IllegalTransition { status, step }) => {
            let shown = CustomerStatus::from(status);
            DomainError::from(Conflict::CustomerIllegalTransition { shown, step }).into()
        }
        e => e,
    }
}

/// A step a contact may not take now, and why.
fn not_now(step: Step) -> AppError {
    let c = match step {
        Step::RecordSurvey => Conflict::SurveyAfterClosure,
        _ => Conflict::NotTheWindow,
    };
    DomainError::from(c).into()
}

/// A contact's list query: their filters only, statuses in customer words.
fn customer_query(q: &ListQuery) -> Result<ListQuery> {
    let sort_is_staffs = q.sort.as_deref().is_some_and(|s| {
        !matches!(s.trim().trim_start_matches('-'), "" | "registered_at" | "created_at" | "updated_at" | "number")
    });
    let staff_only: [(&'static str, bool); 8] = [
        ("priority", q.priority.is_some()),
        ("engineer_id", q.engineer_id.is_some()),
        ("group_id", q.group_id.is_some()),
        ("region", q.region.is_some()),
        ("overdue", q.overdue.is_some()),
        ("breached", q.breached.is_some()),
        ("due_within", q.due_within.is_some()),
        ("sort", sort_is_staffs),
    ];
    let not_yours = Reason::Mismatch {
        detail_en: "is not a filter of the customer's list (status, created_from, created_to; sort by registered_at, updated_at or number)",
        detail_zh: "不是客户列表的筛选条件（可用 status、created_from、created_to；排序可用 registered_at、updated_at、number）",
    };
    let problems: Vec<_> = staff_only.iter().filter(|(_, set)| *set).map(|(f, _)| (*f, not_yours.clone())).collect();
    if !problems.is_empty() {
        return Err(DomainError::Invalid(problems).into());
    }
    let mut statuses = Vec::new();
    for code in q.status.as_deref().unwrap_or_default().split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let s = CustomerStatus::from_code(code).ok_or_else(|| {
            DomainError::field(
                "status",
                Reason::Malformed {
                    expected_en: "customer status codes such as submitted, in_progress, resolved, closed",
                    expected_zh: "客户状态编码，如 submitted、in_progress、resolved、closed",
                },
            )
        })?;
        statuses.extend(s.statuses().into_iter().map(|s| s.code()));
    }
    Ok(ListQuery { status: (!statuses.is_empty()).then(|| statuses.join(",")), ..q.clone() })
}

/// A link that cannot act, as an error the link page explains.
pub(crate) fn link_refused(p: LinkProblem) -> AppError {
    DomainError::from(Conflict::Link(p)).into()
}

/// Unpadded base64url (RFC 4648 §5): safe in a URL path and in any mail client.
fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
