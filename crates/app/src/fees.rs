//! Fees (费用, seed 003): the warranty fixed at registration, the quote the customer
//! approves before chargeable work starts, settlement with a receipt. Every change is a
//! ticket history event; the customer is told through the customer notices.

use aftersales_domain::customer::{Device, Warranty};
use aftersales_domain::customer_link::LinkPurpose;
use aftersales_domain::error::Reason;
use aftersales_domain::fee::{
    self, ApprovalMethod, CustomerFees, FeeConflict, FeeFile, FreeReason, PaymentMethod, Quote, QuoteInput,
    QuoteStatus, Settlement,
};
use aftersales_domain::permission::{self, Action, TicketScope};
use aftersales_domain::ticket::{Kind, Ticket};
use aftersales_domain::{DomainError, Id, Timestamp, notice};
use aftersales_storage::{Conn, WriteTx, directory, fees, links};
use serde::{Deserialize, Serialize};

use crate::tickets::load_visible;
use crate::{Actor, App, AppError, Result};

/// The fees of a ticket as the staff see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeeScreen {
    #[serde(flatten)]
    pub file: FeeFile,
    /// Seed 003: chargeable work (out of warranty, consumables) needs an approved quote.
    pub quote_needed: bool,
    /// Whether the start step is open as far as fees go (and why not, in the reader's words
    /// on the page).
    pub may_start: bool,
    /// Still to pay on the approved quote (fen).
    pub remaining: Option<i64>,
    /// The tax rate a new revision is written with (basis points).
    pub tax_rate_bp: i64,
    /// What the reader may do here now.
    pub offers: FeeOffers,
}

/// The fee actions a reader may take on a ticket now (the page shows only these forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeeOffers {
    /// Write a (new) quote revision.
    pub quote: bool,
    /// Record the customer's decision on the pending revision.
    pub decide: bool,
    /// Record a payment on the approved quote.
    pub pay: bool,
    /// Record the work as free of charge.
    pub free: bool,
}

/// A decision on a quote revision (the revision the person saw, so a changed quote is not
/// approved by mistake).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuoteDecision {
    pub revision: i32,
    pub approve: bool,
    /// Why the customer refuses (required to refuse).
    #[serde(default)]
    pub reason: Option<String>,
    /// Staff recording a paper signature: who signed (required then).
    #[serde(default)]
    pub signed_by: Option<String>,
}

/// A payment as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub method: PaymentMethod,
    /// Fen, above 0, at most what remains.
    pub amount: i64,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Work recorded with zero charge, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FreeInput {
    pub reason: FreeReason,
    #[serde(default)]
    pub note: Option<String>,
}

/// A printable receipt (收据): a document handed to the customer, so staff and the
/// customer's contacts read the same one, built from the customer's projection of the
/// settlement (never its internal note).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub receipt: fee::CustomerReceipt,
    pub ticket_id: Id,
    pub ticket_number: String,
    pub customer_name: String,
    pub device: Option<String>,
    /// The approved quote paid (none for a zero-charge record).
    pub quote: Option<fee::CustomerQuote>,
    /// Who received the payment (their name, as signed on paper).
    pub recorded_by: String,
}

fn text_field(field: &'static str, value: Option<&str>, max: usize, required: bool) -> Result<Option<String>> {
    let v = value.map(str::trim).filter(|s| !s.is_empty());
    match v {
        None if required => Err(AppError::invalid(field, Reason::Missing)),
        Some(s) if s.chars().count() > max => Err(AppError::invalid(field, Reason::TooLong { max })),
        v => Ok(v.map(str::to_owned)),
    }
}

impl App {
    /// The warranty a ticket is registered under (DOMAIN §2 fees), stored with it so a later
    /// edit of the device does not change a past ticket.
    pub(crate) async fn record_warranty(&self, tx: &WriteTx, t: &Ticket, device: Option<&Device>) -> Result<()> {
        let day = t.registered_at.to_zoned(self.settings.time_zone.clone()).date();
        let (warranty, end) = match device {
            Some(d) => d.warranty_with_term(day, self.settings.warranty_months),
            None => (aftersales_domain::customer::Warranty::Unknown, None),
        };
        fees::insert_warranty(&**tx, t.id, warranty, end).await?;
        Ok(())
    }

    /// The start step is refused for chargeable work until the quote is approved (seed 003).
    pub(crate) async fn check_start_fees<C: Conn>(&self, conn: &C, t: &Ticket) -> Result<()> {
        let file = fees::file(conn, t.id).await?;
        file.may_start(t.kind).map_err(|c| AppError::Domain(c.into()))
    }

    /// Seed 003: a consumables service's callback is due within 3–5 working days of the
    /// service, recorded when it is resolved.
    pub(crate) async fn after_step_fees(&self, tx: &WriteTx, before: &Ticket, after: &Ticket) -> Result<()> {
        if after.kind != Kind::Consumables || after.resolved_at == before.resolved_at {
            return Ok(());
        }
        let Some(resolved) = after.resolved_at else { return Ok(()) };
        let cal = self.calendar(after.calendar.as_deref()).await?;
        if let Some(due) = fee::callback_due(&cal, resolved) {
            fees::set_callback_due(&**tx, after.id, due).await?;
        }
        Ok(())
    }

    fn screen(&self, actor: &Actor, t: &Ticket, file: FeeFile) -> FeeScreen {
        let may = |action: Action| {
            actor.require_staff(action).is_ok()
                && (permission::scope(actor.user.role, action) != TicketScope::Assigned || t.is_assigned_to(actor.id()))
        };
        let offers = FeeOffers {
            quote: may(Action::WriteQuote) && file.may_revise(t).is_ok(),
            decide: may(Action::DecideQuote) && file.decidable(t, None).is_ok(),
            pay: may(Action::Settle) && file.may_pay(t, 1).is_ok(),
            free: may(Action::Settle) && file.may_record_free(t).is_ok(),
        };
        FeeScreen {
            offers,
            quote_needed: fee::quote_needed(file.warranty, t.kind),
            may_start: file.may_start(t.kind).is_ok(),
            remaining: file.remaining(),
            tax_rate_bp: self.settings.tax_rate_bp,
            file,
        }
    }

    /// A ticket's fees, for the staff.
    pub async fn fees(&self, actor: &Actor, ticket: Id) -> Result<FeeScreen> {
        actor.require_staff(Action::ReadTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, ticket).await?;
        Ok(self.screen(actor, &t, fees::file(conn, t.id).await?))
    }

    /// The warranty of each of `tickets` the reader may see (staff: the board shows it
    /// beside the number; tickets registered before fees existed have none).
    pub async fn warranties(&self, actor: &Actor, tickets: &[Id]) -> Result<std::collections::HashMap<Id, Warranty>> {
        actor.require_staff(Action::ReadTicket)?;
        Ok(fees::warranties(self.store.read(), tickets).await?.into_iter().collect())
    }

    /// A ticket's fees in the customer's projection (their own organization only).
    pub async fn customer_fees(&self, actor: &Actor, ticket: Id) -> Result<CustomerFees> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, ticket).await?;
        Ok(CustomerFees::project(&fees::file(conn, t.id).await?))
    }

    /// Opens a fee change on `ticket`: the permission (and assignment for engineers), the
    /// ticket, and the ticket's fee row locked for the rest of the transaction, so two fee
    /// changes of one ticket never interleave (PostgreSQL row lock; SQLite's one writer).
    async fn open_fees(&self, actor: &Actor, ticket: Id, action: Action) -> Result<(WriteTx, Ticket, FeeFile)> {
        actor.require(action)?;
        let tx = self.store.write().await?;
        let t = load_visible(&*tx, actor, ticket).await?;
        if permission::scope(actor.user.role, action) == TicketScope::Assigned && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::from(aftersales_domain::error::Conflict::NotAssigned).into());
        }
        fees::lock(&*tx, t.id).await?;
        let file = fees::file(&*tx, t.id).await?;
        Ok((tx, t, file))
    }

    /// Writes a new quote revision (a change of an approved or pending quote supersedes it
    /// and needs a new approval), and asks the customer to approve it.
    pub async fn save_quote(&self, actor: &Actor, ticket: Id, input: &QuoteInput) -> Result<FeeScreen> {
        actor.require_staff(Action::WriteQuote)?;
        // Who before what: the assignment is checked before the lines (nothing is written
        // before the commit either way).
        let (tx, t, file) = self.open_fees(actor, ticket, Action::WriteQuote).await?;
        let numbers: Vec<String> = input
            .lines
            .iter()
            .filter_map(|l| l.part_no.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned))
            .collect();
        let catalog = aftersales_storage::parts::parts_by_numbers(&*tx, &numbers).await?;
        let (lines, totals) =
            fee::price_with_catalog(input, &catalog, t.device_model.as_deref(), self.settings.tax_rate_bp)?;
        let internal_note = text_field("internal_note", input.internal_note.as_deref(), 2000, false)?;
        file.may_revise(&t).map_err(fee_conflict)?;
        let now = self.now();
        if let Some(prev) = file.current().filter(|q| matches!(q.status, QuoteStatus::Pending | QuoteStatus::Approved))
        {
            let mut old = prev.clone();
            old.status = QuoteStatus::Superseded;
            if !fees::decide_quote(&*tx, &old, prev.status).await? {
                return Err(fee_conflict(FeeConflict::QuoteDecided { revision: prev.revision, status: prev.status }));
            }
        }
        let mut q = Quote {
            id: 0,
            ticket_id: t.id,
            revision: file.next_revision(),
            status: QuoteStatus::Pending,
            lines,
            totals,
            internal_note,
            created_at: now,
            created_by: actor.id(),
            decided_at: None,
            decided_by: None,
            approval: None,
            signed_by: None,
            refusal_reason: None,
        };
        q.id = fees::insert_quote(&*tx, &q).await?;
        // A mail about an earlier revision must not approve this one.
        links::revoke(&*tx, Some(t.id), None, Some(LinkPurpose::Quote), now).await?;
        let note = format!(
            "报价第 {} 版：{} 项，小计 {}，税额 {}，合计 {}",
            q.revision,
            q.lines.len(),
            fee::yuan(totals.subtotal),
            fee::yuan(totals.tax),
            fee::yuan(totals.total)
        );
        self.record(&tx, &t, actor, "quote_written", Vec::new(), Some(note)).await?;
        // Seed 003: the plan's fees go to the customer to confirm (a mail carries the link).
        self.raise(&*tx, &t, &notice::on_quote(&t, &q), now).await?;
        let file = fees::file(&*tx, t.id).await?;
        tx.commit().await?;
        Ok(self.screen(actor, &t, file))
    }

    /// Staff record the customer's decision: a paper signature (with who signed) or a refusal
    /// the customer gave by phone.
    pub async fn decide_quote(&self, actor: &Actor, ticket: Id, d: &QuoteDecision) -> Result<FeeScreen> {
        actor.require_staff(Action::DecideQuote)?;
        let (tx, t, file) = self.open_fees(actor, ticket, Action::DecideQuote).await?;
        let signed_by = if d.approve { text_field("signed_by", d.signed_by.as_deref(), 64, true)? } else { None };
        self.decide_in(&tx, actor, &t, &file, d, ApprovalMethod::Paper, signed_by).await?;
        let file = fees::file(&*tx, t.id).await?;
        tx.commit().await?;
        Ok(self.screen(actor, &t, file))
    }

    /// The customer approves or refuses their quote in the portal.
    pub async fn customer_decide_quote(&self, actor: &Actor, ticket: Id, d: &QuoteDecision) -> Result<CustomerFees> {
        if !actor.is_customer() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::DecideQuote }.into());
        }
        let (tx, t, file) = self.open_fees(actor, ticket, Action::DecideQuote).await?;
        self.decide_in(&tx, actor, &t, &file, d, ApprovalMethod::Portal, None).await?;
        let file = fees::file(&*tx, t.id).await?;
        tx.commit().await?;
        Ok(CustomerFees::project(&file))
    }

    /// A decision in `tx`: the revision named must be the current, pending one; the update
    /// is conditional on it still being pending, so two approvals never both succeed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn decide_in(
        &self,
        tx: &WriteTx,
        actor: &Actor,
        t: &Ticket,
        file: &FeeFile,
        d: &QuoteDecision,
        method: ApprovalMethod,
        signed_by: Option<String>,
    ) -> Result<()> {
        let reason = if d.approve { None } else { text_field("reason", d.reason.as_deref(), 500, true)? };
        let current = file.decidable(t, Some(d.revision)).map_err(fee_conflict)?;
        let now = self.now();
        let mut q = current.clone();
        q.status = if d.approve { QuoteStatus::Approved } else { QuoteStatus::Refused };
        q.decided_at = Some(now);
        q.decided_by = Some(actor.id());
        q.approval = d.approve.then_some(method);
        q.signed_by = signed_by.clone();
        q.refusal_reason = reason.clone();
        if !fees::decide_quote(&**tx, &q, QuoteStatus::Pending).await? {
            return Err(fee_conflict(FeeConflict::QuoteDecided { revision: q.revision, status: q.status }));
        }
        // Decided: the mailed links of this quote are spent (the link's own use marks it used
        // before this, so revoking leaves that one as used).
        links::revoke(&**tx, Some(t.id), None, Some(LinkPurpose::Quote), now).await?;
        let (action, note) = if d.approve {
            let who = signed_by.map(|s| format!("，签字人 {s}")).unwrap_or_default();
            (
                "quote_approved",
                format!(
                    "客户确认第 {} 版报价（{}{who}），合计 {}",
                    q.revision,
                    method.label(aftersales_domain::Lang::Zh),
                    fee::yuan(q.totals.total)
                ),
            )
        } else {
            ("quote_refused", format!("客户拒绝第 {} 版报价：{}", q.revision, reason.unwrap_or_default()))
        };
        self.record(tx, t, actor, action, Vec::new(), Some(note)).await?;
        Ok(())
    }

    /// Records a payment against the approved quote, with the next receipt number of the
    /// year, and sends the customer the receipt.
    pub async fn record_payment(&self, actor: &Actor, ticket: Id, p: &PaymentInput) -> Result<Settlement> {
        actor.require_staff(Action::Settle)?;
        let (tx, t, file) = self.open_fees(actor, ticket, Action::Settle).await?;
        fee::check_payment(p.amount, p.reference.as_deref())?;
        let reference = text_field("reference", p.reference.as_deref(), 64, false)?;
        let note = text_field("note", p.note.as_deref(), 500, false)?;
        file.may_pay(&t, p.amount).map_err(fee_conflict)?;
        let quote_id = file.approved().map(|q| q.id);
        let s = Settlement {
            id: 0,
            ticket_id: t.id,
            quote_id,
            receipt_no: String::new(),
            amount: p.amount,
            method: Some(p.method),
            reference,
            free_reason: None,
            note,
            at: self.now(),
            by: actor.id(),
        };
        let s = self.settle_in(&tx, actor, &t, s).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Records work with zero charge and why (保修期内免费, 合同内, goodwill); it opens the
    /// start of chargeable work as an approved quote would.
    pub async fn record_free(&self, actor: &Actor, ticket: Id, f: &FreeInput) -> Result<Settlement> {
        actor.require_staff(Action::Settle)?;
        let (tx, t, file) = self.open_fees(actor, ticket, Action::Settle).await?;
        let note = text_field("note", f.note.as_deref(), 500, false)?;
        file.may_record_free(&t).map_err(fee_conflict)?;
        let s = Settlement {
            id: 0,
            ticket_id: t.id,
            quote_id: None,
            receipt_no: String::new(),
            amount: 0,
            method: None,
            reference: None,
            free_reason: Some(f.reason),
            note,
            at: self.now(),
            by: actor.id(),
        };
        let s = self.settle_in(&tx, actor, &t, s).await?;
        tx.commit().await?;
        Ok(s)
    }

    async fn settle_in(&self, tx: &WriteTx, actor: &Actor, t: &Ticket, mut s: Settlement) -> Result<Settlement> {
        let year = s.at.to_zoned(self.settings.time_zone.clone()).year();
        s.receipt_no = fee::receipt_no(year, fees::next_receipt(&**tx, year).await?);
        s.id = fees::insert_settlement(&**tx, &s).await?;
        let (action, note) = match (s.free_reason, s.method) {
            (Some(r), _) => {
                ("settled_free", format!("免费结算（{}），收据 {}", r.label(aftersales_domain::Lang::Zh), s.receipt_no))
            }
            (None, m) => (
                "payment_recorded",
                format!(
                    "收款 {}（{}），收据 {}",
                    fee::yuan(s.amount),
                    m.map(|m| m.label(aftersales_domain::Lang::Zh)).unwrap_or_default(),
                    s.receipt_no
                ),
            ),
        };
        self.record(tx, t, actor, action, Vec::new(), Some(note)).await?;
        if s.free_reason.is_none() {
            self.raise(&**tx, t, &notice::on_settlement(t, &s), s.at).await?;
        }
        Ok(s)
    }

    /// A printable receipt by its number: staff, or a contact of the ticket's customer
    /// (another customer's receipt is not found, so numbers cannot be probed).
    pub async fn receipt(&self, actor: &Actor, receipt_no: &str) -> Result<Receipt> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let s = fees::settlement_by_receipt(conn, receipt_no)
            .await?
            .ok_or_else(|| AppError::not_found("receipt", receipt_no))?;
        let t = load_visible(conn, actor, s.ticket_id).await.map_err(|_| AppError::not_found("receipt", receipt_no))?;
        let customer = directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.name).unwrap_or_default();
        let file = fees::file(conn, t.id).await?;
        let quote = s.quote_id.and_then(|id| file.quotes.iter().find(|q| q.id == id)).map(|q| fee::CustomerQuote {
            revision: q.revision,
            status: q.status,
            lines: q.lines.clone(),
            totals: q.totals,
            created_at: q.created_at,
            decided_at: q.decided_at,
            approval: q.approval,
            refusal_reason: None,
        });
        let recorded_by =
            aftersales_storage::users::user_by_id(conn, s.by).await?.map(|u| u.display_name).unwrap_or_default();
        let device = t.device_model.as_ref().map(|m| match &t.device_serial {
            Some(sn) => format!("{m}（{sn}）"),
            None => m.clone(),
        });
        Ok(Receipt {
            ticket_id: t.id,
            ticket_number: t.number.to_string(),
            customer_name: customer,
            device,
            quote,
            recorded_by,
            receipt: fee::CustomerReceipt::of(&s),
        })
    }

    /// The quote check of a mailed link (seed 003): the current revision must be pending and
    /// written before the link was issued (a link from an earlier revision's mail is spent).
    pub(crate) async fn quote_link_check<C: Conn>(&self, conn: &C, t: &Ticket, issued: Timestamp) -> Result<FeeFile> {
        let file = fees::file(conn, t.id).await?;
        match file.current() {
            Some(q) if q.status == QuoteStatus::Pending && q.created_at <= issued => Ok(file),
            _ => Err(DomainError::from(aftersales_domain::error::Conflict::Link(
                aftersales_domain::customer_link::LinkProblem::Superseded,
            ))
            .into()),
        }
    }
}

fn fee_conflict(c: FeeConflict) -> AppError {
    AppError::Domain(c.into())
}
