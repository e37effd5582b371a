//! The customer's signature or refusal of a service report version, on the engineer's
//! phone (only the ticket's engineer checked in on site records it), in the portal, or
//! through the signed link of the report's e-mail.
//!
//! A signature is made in two phases, so SQLite's single writer is never held while a PDF
//! is drawn: what the PDF needs is read and checked, the PDF is made and put in the file
//! store, and only then the write transaction opens, checks again (the version still the
//! newest draft and unchanged, the ticket still at the version the PDF was drawn from) and
//! writes. When the ticket moved meanwhile the PDF is drawn again from the new state (a
//! few times at most, then the signer is asked to submit again): the signature in hand is
//! still good, and a kept PDF must show the ticket as it was when it was signed. A PDF put
//! in the store for a write that did not happen is removed unless a report names it.

use aftersales_domain::customer_link::CustomerLink;
use aftersales_domain::notice;
use aftersales_storage::Conn;

use super::*;

/// How many times a signature's PDF is drawn again when the ticket moved while it was made.
const RENDER_ATTEMPTS: usize = 3;

fn report_conflict(p: report::ReportProblem) -> AppError {
    DomainError::from(Conflict::Report(p)).into()
}

/// Where a customer's answer comes from: a signed-in reader, or a mailed link (its token).
#[derive(Clone, Copy)]
pub(crate) enum Via<'a> {
    Reader,
    Link(&'a str),
}

impl App {
    /// The channel of a signature or refusal by `actor` without a link.
    pub(crate) fn channel_of(actor: &Actor) -> SignChannel {
        if actor.is_customer() { SignChannel::Portal } else { SignChannel::OnSite }
    }

    /// The checks of a signature or refusal of version `id` by `actor`, as `conn` sees the
    /// store (before the PDF is made, and again in the write transaction): the ticket is
    /// visible to the actor (another organization's is "not found"), the actor may record
    /// it (on the phone: only the ticket's engineer checked in on site), the version is the
    /// newest awaiting a signature, and the ticket is resolved or closed.
    pub(crate) async fn check_sign<C: Conn>(
        &self,
        conn: &C,
        actor: &Actor,
        id: Id,
        channel: SignChannel,
    ) -> Result<(ServiceReport, Ticket)> {
        let r = reports::by_id(conn, id).await?.ok_or_else(|| AppError::not_found("service report", id))?;
        let t = load_visible(conn, actor, r.ticket_id).await.map_err(|_| AppError::not_found("service report", id))?;
        Self::check_recorder(actor, &t, Self::sign_action(actor))?;
        if channel == SignChannel::OnSite {
            let visits = visits::by_ticket(conn, t.id).await?;
            report::check_on_site(&t, actor.id(), &visits, self.now()).map_err(report_conflict)?;
        }
        let newest = reports::of_ticket(conn, t.id).await?.last().map_or(r.version, |v| v.version);
        r.check_open(newest).and_then(|()| report::check_ticket(&t)).map_err(report_conflict)?;
        Ok((r, t))
    }

    /// The customer signs version `id`: see the module. `signature` is checked (a name
    /// without control characters, a relationship, a PNG with something drawn, not too
    /// big) before anything is written.
    pub async fn sign_report(&self, actor: &Actor, id: Id, input: &SignInput) -> Result<ServiceReport> {
        self.sign_via(actor, id, input, Self::channel_of(actor), Via::Reader).await
    }

    pub(crate) async fn sign_via(
        &self,
        actor: &Actor,
        id: Id,
        input: &SignInput,
        channel: SignChannel,
        via: Via<'_>,
    ) -> Result<ServiceReport> {
        actor.require(Self::sign_action(actor))?;
        let image = signature_bytes(input.signature.as_deref())?;
        let sig = report::check_signature(input.signer_name.as_deref(), input.relationship, &image)?;
        check_drawn(&sig.image)?;
        for _ in 0..RENDER_ATTEMPTS {
            // Read, check and draw with no write transaction open.
            let conn = self.store.read();
            let (drawn_from, t) = self.check_sign(conn, actor, id, channel).await?;
            if let Via::Link(token) = via {
                self.report_link(conn, token, &t, id).await?;
            }
            let now = self.now();
            let mut r = drawn_from.clone();
            r.status = ReportStatus::Signed;
            r.signer_name = Some(sig.signer_name.clone());
            r.relationship = Some(sig.relationship);
            r.channel = Some(channel);
            r.signed_at = Some(now);
            r.recorded_by = Some(actor.id()).filter(|&id| id != 0);
            let block = SignatureBlock::Signed {
                signer: sig.signer_name.clone(),
                relationship: sig.relationship.label(Lang::Zh).to_owned(),
                at: self.local(now),
                channel: channel.label(Lang::Zh).to_owned(),
                image: sig.image.clone(),
            };
            let doc = self.document(conn, &t, &r, block).await?;
            let bytes = tokio::task::spawn_blocking(move || pdf::render(&doc))
                .await
                .map_err(|e| AppError::internal("making the service report PDF", e))?
                .map_err(|e| match e {
                    pdf::PdfError::Signature(_) => AppError::invalid("signature", report::not_png()),
                    e => AppError::internal("making the service report PDF", e),
                })?;
            let size = bytes.len() as i64;
            let blob = self.keep(bytes).await?;
            r.pdf_sha256 = Some(blob.to_string());
            r.pdf_size = Some(size);
            match self.write_signature(actor, &drawn_from, &t, r, via).await {
                Ok(Some(done)) => return Ok(done),
                // The ticket or the version moved while the PDF was drawn: draw it again.
                Ok(None) => self.discard(&blob).await,
                Err(e) => {
                    self.discard(&blob).await;
                    return Err(e);
                }
            }
        }
        Err(report_conflict(report::ReportProblem::ChangedMeanwhile))
    }

    /// The write of a signature whose PDF is kept already: `None` when the version or the
    /// ticket changed since `drawn_from` and `drawn_at` were read (nothing is written).
    async fn write_signature(
        &self,
        actor: &Actor,
        drawn_from: &ServiceReport,
        drawn_at: &Ticket,
        r: ServiceReport,
        via: Via<'_>,
    ) -> Result<Option<ServiceReport>> {
        let channel = r.channel.unwrap_or(SignChannel::OnSite);
        let tx = self.store.write().await?;
        tickets::lock(&*tx, drawn_at.id).await?;
        let (now_r, mut t) = self.check_sign(&*tx, actor, r.id, channel).await?;
        if t.version != drawn_at.version || now_r != *drawn_from {
            return Ok(None);
        }
        let now = self.now();
        if let Via::Link(token) = via {
            let link = self.report_link(&*tx, token, &t, r.id).await?;
            crate::portal::spend(&*tx, &link, now).await?;
        }
        if !reports::settle(&*tx, &r).await? {
            return Err(report_conflict(report::ReportProblem::AlreadySigned { version: r.version }));
        }
        // Seed 003 验收: the customer's signature is their agreement that it is solved.
        if t.status == Status::Resolved {
            self.close_by_signature(&tx, actor, &mut t, r.version).await?;
        }
        let sha = r.pdf_sha256.clone().unwrap_or_default();
        let signer = r.signer_name.clone().unwrap_or_default();
        // The report is the customer's now (the portal offers it, the mail carries it): the
        // service-report entry stops the 24-hour clock if sending it did not already, and
        // the history keeps the PDF's hash.
        let body = format!("服务报告第 {} 版已由{signer}签字确认，PDF 可在客户门户下载（SHA-256 {sha}）", r.version);
        let hash = vec![Change::added("report_sha256", sha)];
        self.report_entry(&tx, &mut t, actor, "report_signed", r.version, body, hash, None).await?;
        // The signed copy goes to the contact by e-mail, the kept PDF attached.
        let cal = self.calendar(t.calendar.as_deref()).await?;
        self.raise(&*tx, &t, &notice::on_report_signed(&t, r.id, now, &cal), now).await?;
        if let Via::Link(_) = via {
            self.link_used_event(&tx, &t, actor).await?;
        }
        tx.commit().await?;
        Ok(Some(r))
    }

    /// The customer-visible service-report entry and its history event: what stops the
    /// 24-hour report clock (its first one does; a later one finds the clock stopped and
    /// changes nothing).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn report_entry(
        &self,
        tx: &WriteTx,
        t: &mut Ticket,
        actor: &Actor,
        action: &str,
        version: i32,
        body: String,
        extra: Vec<Change>,
        note: Option<String>,
    ) -> Result<Id> {
        let entry = LogEntry {
            id: 0,
            ticket_id: t.id,
            kind: LogKind::ServiceReport,
            body,
            author_id: actor.id(),
            at: self.now(),
            visibility: Visibility::Customer,
        };
        tickets::insert_log(&**tx, &entry).await?;
        let mut changes = vec![Change::added("report_version", version)];
        changes.extend(extra);
        let based_on = t.version;
        self.apply_event(tx, t, actor, action, changes, note, Some(LogKind::ServiceReport), based_on).await
    }

    /// Notes on the history that an answer came through the mailed link (DOMAIN §8).
    pub(crate) async fn link_used_event(&self, tx: &WriteTx, t: &Ticket, actor: &Actor) -> Result<()> {
        let note = format!("{}（邮件链接 / e-mail link）", actor.user.display_name);
        self.record(tx, t, actor, "link_used", Vec::new(), Some(note)).await
    }

    /// The usable report link `token` for version `report` of `t`.
    pub(crate) async fn report_link<C: Conn>(
        &self,
        conn: &C,
        token: &str,
        t: &Ticket,
        report: Id,
    ) -> Result<CustomerLink> {
        let link = crate::portal::link_of(conn, token).await?;
        link.check(t, self.now()).map_err(crate::portal::link_refused)?;
        if link.purpose != LinkPurpose::Report || link.report_id != Some(report) || link.ticket_id != t.id {
            return Err(AppError::not_found("link", "—"));
        }
        Ok(link)
    }

    /// Closes a resolved ticket on the customer's signature, as the confirm-closure step
    /// does (its event, clocks, notices, fee follow-up, and the closure links withdrawn).
    async fn close_by_signature(&self, tx: &WriteTx, actor: &Actor, t: &mut Ticket, version: i32) -> Result<()> {
        let now = self.now();
        let before = t.clone();
        t.confirm_closure(ClosureMethod::Signature, now)?;
        let changes = event::diff(&before, t);
        let note = Some(format!("服务报告第 {version} 版客户签字验收"));
        let based_on = t.version;
        let event_id =
            self.apply_event(tx, t, actor, Step::ConfirmClosure.code(), changes, note, None, based_on).await?;
        self.raise_for_step(tx, Step::ConfirmClosure, &before, t, event_id).await?;
        self.after_step_fees(tx, &before, t).await?;
        links::revoke(&**tx, Some(t.id), None, Some(LinkPurpose::Closure), now).await?;
        Ok(())
    }

    /// The customer does not sign version `id`; the reason is recorded (the ticket stays
    /// as it is: the desk follows up). The customer had the report in hand, so the
    /// service-report entry stops the 24-hour report clock as a signature does.
    pub async fn refuse_report(&self, actor: &Actor, id: Id, input: &RefuseInput) -> Result<ServiceReport> {
        self.refuse_via(actor, id, input, Self::channel_of(actor), Via::Reader).await
    }

    pub(crate) async fn refuse_via(
        &self,
        actor: &Actor,
        id: Id,
        input: &RefuseInput,
        channel: SignChannel,
        via: Via<'_>,
    ) -> Result<ServiceReport> {
        actor.require(Self::sign_action(actor))?;
        let reason = report::check_refusal(input.reason.as_deref())?;
        let signer = match input.signer_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                if let Some(found) = aftersales_domain::text::forbidden_in_line(s) {
                    return Err(AppError::invalid("signer_name", Reason::ControlCharacter { found }));
                }
                if s.chars().count() > 64 {
                    return Err(AppError::invalid("signer_name", Reason::TooLong { max: 64 }));
                }
                Some(s.to_owned())
            }
            None if actor.is_customer() => Some(actor.user.display_name.clone()),
            None => None,
        };
        let tx = self.store.write().await?;
        let ticket = reports::by_id(&*tx, id).await?.map(|r| r.ticket_id);
        if let Some(ticket) = ticket {
            tickets::lock(&*tx, ticket).await?;
        }
        let (mut r, mut t) = self.check_sign(&*tx, actor, id, channel).await?;
        let now = self.now();
        if let Via::Link(token) = via {
            let link = self.report_link(&*tx, token, &t, r.id).await?;
            crate::portal::spend(&*tx, &link, now).await?;
        }
        r.status = ReportStatus::Refused;
        r.signer_name = signer;
        r.channel = Some(channel);
        r.signed_at = Some(now);
        r.recorded_by = Some(actor.id()).filter(|&id| id != 0);
        r.refusal_reason = Some(reason.clone());
        if !reports::settle(&*tx, &r).await? {
            return Err(report_conflict(report::ReportProblem::AlreadySigned { version: r.version }));
        }
        let who = r.signer_name.as_deref().map(|s| format!("（{s}）")).unwrap_or_default();
        let body = format!("服务报告第 {} 版已交客户，客户未签字{who}：{reason}", r.version);
        self.report_entry(&tx, &mut t, actor, "report_refused", r.version, body, Vec::new(), Some(reason)).await?;
        if let Via::Link(_) = via {
            self.link_used_event(&tx, &t, actor).await?;
        }
        tx.commit().await?;
        Ok(r)
    }

    /// Removes a PDF put in the store for a signature that was not written, unless a
    /// report names it (the same bytes kept for another version). A failure is logged: the
    /// signer's answer does not depend on it.
    async fn discard(&self, blob: &BlobId) {
        if !matches!(self.blob_in_use(blob.as_str()).await, Ok(false)) {
            return;
        }
        let Ok(files) = self.files() else { return };
        if let Err(e) = files.delete(blob).await {
            tracing::warn!(blob = %blob, error = %e, "removing an unused service report PDF failed");
        }
    }
}
