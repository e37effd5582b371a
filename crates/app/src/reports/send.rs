//! The service report reaches the customer by e-mail (issue 14): the send step mails the
//! contact the version's PDF with a signed link to sign or refuse it; a signature (any
//! channel) mails them the signed copy. Each is a customer notice whose e-mail carries the
//! version's PDF, read (or drawn, for a version awaiting a signature) when the mail is
//! built, so a retried delivery attaches the same document and nothing is stored twice.

use aftersales_domain::customer_link::LinkProblem;
use aftersales_domain::notice::{self, Audience, ChannelKind, NoticeKind};
use aftersales_storage::Conn;

use super::sign::Via;
use super::*;
use crate::portal::{LinkAnswer, link_actor, link_of};

fn report_conflict(p: report::ReportProblem) -> AppError {
    DomainError::from(Conflict::Report(p)).into()
}

impl App {
    /// Where the report of `t` is e-mailed: the contact's address, else their portal
    /// account's (as customer notices are), refused naming what is missing.
    pub(crate) async fn report_recipient<C: Conn>(&self, conn: &C, t: &Ticket) -> Result<String> {
        self.recipient_or_problem(conn, t).await?.map_err(report_conflict)
    }

    /// Where the report of `t` would be e-mailed, or why it cannot be (no contact, the
    /// contact left or has no address, mail is off): what the page says before the button.
    pub(crate) async fn recipient_or_problem<C: Conn>(
        &self,
        conn: &C,
        t: &Ticket,
    ) -> Result<std::result::Result<String, report::ReportProblem>> {
        let contact = match t.contact_id {
            Some(c) => directory::contact_by_id(conn, c).await?,
            None => None,
        };
        let mut address = contact.as_ref().and_then(|c| c.email.clone());
        if address.is_none()
            && let Some(c) = &contact
            && let Some(&u) = users::users_of_contact(conn, c.id).await?.first()
        {
            address = users::user_by_id(conn, u).await?.and_then(|u| u.email);
        }
        let named = contact.as_ref().map(|c| (c.name.as_str(), c.left));
        if let Err(p) = report::check_recipient(named, address.as_deref()) {
            return Ok(Err(p));
        }
        if let Err(AppError::Domain(DomainError::Conflict(Conflict::Report(p)))) = self.check_report_mail(conn).await {
            return Ok(Err(p));
        }
        Ok(Ok(address.unwrap_or_default()))
    }

    /// Whether the "please sign" notice is e-mailed to the contact at all: e-mail is
    /// configured and the notice's route is on, e-mails, and names the contact.
    async fn check_report_mail<C: Conn>(&self, conn: &C) -> Result<()> {
        let route = notice::route_of(&self.routes(conn).await?, NoticeKind::ReportToSign);
        let mails = self.settings.email
            && route.enabled
            && route.channels.contains(&ChannelKind::Email)
            && route.audiences.contains(&Audience::Contact);
        if mails { Ok(()) } else { Err(report_conflict(report::ReportProblem::MailOff)) }
    }

    /// Sends version `id` to the ticket's contact to sign: an e-mail with its PDF (the
    /// preview, awaiting a signature) and a one-time link to sign or refuse it. For staff
    /// who may prepare the report (an engineer of the ticket, the supervisor, the desk).
    /// The report has reached the customer: its service-report entry stops the 24-hour
    /// report clock. Sending again (a lost mail) mails a new link; the first answer wins.
    pub async fn send_report(&self, actor: &Actor, id: Id) -> Result<ServiceReport> {
        actor.require_staff(Action::ResolveTicket)?;
        let tx = self.store.write().await?;
        let r = reports::by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("service report", id))?;
        let mut t =
            load_visible(&*tx, actor, r.ticket_id).await.map_err(|_| AppError::not_found("service report", id))?;
        Self::check_recorder(actor, &t, Action::ResolveTicket)?;
        tickets::lock(&*tx, t.id).await?;
        let newest = reports::of_ticket(&*tx, t.id).await?.last().map_or(r.version, |v| v.version);
        r.check_open(newest).and_then(|()| report::check_ticket(&t)).map_err(report_conflict)?;
        self.report_recipient(&*tx, &t).await?;
        self.check_report_mail(&*tx).await?;
        let body = format!(
            "服务报告第 {} 版已通过电子邮件发送给联系人{}（附 PDF 及签字链接），待客户签字",
            r.version, t.contact_name
        );
        let event_id = self.report_entry(&tx, &mut t, actor, "report_sent", r.version, body, Vec::new(), None).await?;
        let now = self.now();
        self.raise(&*tx, &t, &notice::on_report_sent(&t, r.id, event_id), now).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// The PDF a customer's e-mail about version `report` carries: the kept one once
    /// signed, else the version as it stands (awaiting a signature, or refused).
    pub async fn report_attachment(&self, report: Id) -> Result<ReportFile> {
        let conn = self.store.read();
        let r = reports::by_id(conn, report).await?.ok_or_else(|| AppError::not_found("service report", report))?;
        let t = tickets::by_id(conn, r.ticket_id).await?.ok_or_else(|| AppError::not_found("ticket", r.ticket_id))?;
        self.file_of(conn, &t, &r).await
    }

    /// Whether report link `link` still signs its version: the newest, awaiting a signature.
    pub(crate) async fn report_link_open<C: Conn>(&self, conn: &C, link: &CustomerLink) -> Result<bool> {
        let Some(id) = link.report_id else { return Ok(false) };
        let Some(r) = reports::by_id(conn, id).await? else { return Ok(false) };
        let newest = reports::of_ticket(conn, r.ticket_id).await?.last().map_or(r.version, |v| v.version);
        Ok(r.ticket_id == link.ticket_id && r.check_open(newest).is_ok())
    }

    /// The version a usable report link asks to sign (for its page).
    pub async fn link_report(&self, token: &str) -> Result<Option<ServiceReport>> {
        let conn = self.store.read();
        let link = link_of(conn, token).await?;
        match (link.purpose, link.report_id) {
            (LinkPurpose::Report, Some(id)) => Ok(reports::by_id(conn, id).await?),
            _ => Ok(None),
        }
    }

    /// The PDF a usable report link asks to sign, for reading before signing (a mail client
    /// may have dropped the attachment). An unknown token is "not found"; a spent link says
    /// why, and hands out nothing.
    pub async fn link_report_pdf(&self, token: &str) -> Result<ReportFile> {
        let conn = self.store.read();
        let link = link_of(conn, token).await?;
        let report = match (link.purpose, link.report_id) {
            (LinkPurpose::Report, Some(id)) => id,
            _ => return Err(AppError::not_found("link", "—")),
        };
        let t = tickets::by_id(conn, link.ticket_id).await?.ok_or_else(|| AppError::not_found("link", "—"))?;
        link.check(&t, self.now()).map_err(crate::portal::link_refused)?;
        if !self.report_link_open(conn, &link).await? {
            return Err(crate::portal::link_refused(LinkProblem::Superseded));
        }
        self.report_attachment(report).await
    }

    /// A report link's answer: the signature (channel "e-mail link") or the refusal, taken
    /// once (the link is spent in the transaction that records it).
    pub(crate) async fn answer_report_link(
        &self,
        token: &str,
        link: &CustomerLink,
        answer: &LinkAnswer,
    ) -> Result<Ticket> {
        let conn = self.store.read();
        let actor = link_actor(conn, link).await?;
        let report = link.report_id.ok_or_else(|| AppError::not_found("link", "—"))?;
        let t = tickets::by_id(conn, link.ticket_id).await?.ok_or_else(|| AppError::not_found("link", "—"))?;
        link.check(&t, self.now()).map_err(crate::portal::link_refused)?;
        if !self.report_link_open(conn, link).await? {
            return Err(crate::portal::link_refused(LinkProblem::Superseded));
        }
        let via = Via::Link(token);
        let r = match answer {
            LinkAnswer::Sign { signer_name, relationship, signature } => {
                let input = SignInput {
                    signer_name: signer_name.clone(),
                    relationship: *relationship,
                    signature: signature.clone(),
                };
                self.sign_via(&actor, report, &input, SignChannel::Link, via).await?
            }
            LinkAnswer::Refuse { reason } => {
                let input = RefuseInput { reason: Some(reason.clone()), signer_name: None };
                self.refuse_via(&actor, report, &input, SignChannel::Link, via).await?
            }
            _ => {
                return Err(AppError::invalid(
                    "answer",
                    Reason::Mismatch {
                        detail_en: "is not what this link is for", detail_zh: "与此链接的用途不符"
                    },
                ));
            }
        };
        tickets::by_id(self.store.read(), r.ticket_id).await?.ok_or_else(|| AppError::not_found("link", "—"))
    }
}
