//! Withdrawing an attachment (issue 14): evidence never silently vanishes. Its uploader or
//! a supervisor or administrator withdraws a file with a reason; the file leaves the
//! ticket's lists, downloads and evidence count for everyone, but its record and content
//! are kept, the history says who withdrew it and why, and administrators list withdrawn
//! files. A photo a signed service report shows is never withdrawn (the signed report
//! keeps it); one a report awaiting its signature shows leaves that draft.

use std::collections::HashMap;

use aftersales_domain::Id;
use aftersales_domain::attachment::{Attachment, AttachmentProblem};
use aftersales_domain::permission::Action;
use aftersales_domain::service_report::ReportStatus;
use aftersales_storage::{attachments as store, reports, tickets, users};

use super::{file_changes, refused};
use crate::{Actor, App, Result};

/// The most withdrawn files an administrator's list shows (the latest first).
pub const WITHDRAWN_LIST: u64 = 200;

/// A withdrawn file as an administrator's list shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawnFile {
    /// The record, with its withdrawal (who, when, why).
    pub attachment: Attachment,
    /// The ticket's number (`YYYYMMDD-NNN`).
    pub ticket_number: String,
    /// Who uploaded it and who withdrew it, by name.
    pub uploaded_by_name: String,
    pub withdrawn_by_name: String,
}

impl App {
    /// Withdraws attachment `id` with `reason` (required): refused to a customer contact,
    /// to staff who neither uploaded it nor supervise, for a file already withdrawn, and
    /// for a photo a signed service report shows. Answers with the withdrawn record.
    pub async fn withdraw_attachment(&self, actor: &Actor, id: Id, reason: &str) -> Result<Attachment> {
        actor.require_staff(Action::ReadTicket)?;
        let (mut a, t) = self.reachable(actor, id).await?;
        let tx = self.store.write().await?;
        // Signing and preparing a report lock the ticket too: a signature cannot slip in
        // between the check below and the withdrawal.
        tickets::lock(&*tx, t.id).await?;
        let versions = reports::of_ticket(&*tx, t.id).await?;
        let signed = versions.iter().any(|r| r.status == ReportStatus::Signed && r.photo_ids.contains(&a.id));
        a.withdraw(actor.id(), actor.user.role, self.now(), reason, signed)?;
        let Some(w) = a.withdrawal.clone() else { return Err(refused(AttachmentProblem::AlreadyWithdrawn)) };
        if !store::withdraw(&*tx, a.id, &w).await? {
            return Err(refused(AttachmentProblem::AlreadyWithdrawn));
        }
        // A report still awaiting its signature no longer places the photo.
        for r in versions.iter().filter(|r| r.status == ReportStatus::Draft && r.photo_ids.contains(&a.id)) {
            let rest: Vec<Id> = r.photo_ids.iter().copied().filter(|p| *p != a.id).collect();
            if !reports::set_photos(&*tx, r.id, &rest).await? {
                return Err(refused(AttachmentProblem::InSignedReport));
            }
        }
        self.record(&tx, &t, actor, "attachment_withdrawn", file_changes(&a), Some(w.reason.clone())).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Whether `actor` may withdraw `a` (for the page's form).
    pub fn may_withdraw(&self, actor: &Actor, a: &Attachment) -> bool {
        a.withdrawal.is_none() && a.may_withdraw(actor.id(), actor.user.role)
    }

    /// The withdrawn files of every ticket, the latest first (administrators: evidence
    /// kept for audit).
    pub async fn withdrawn_attachments(&self, actor: &Actor) -> Result<Vec<WithdrawnFile>> {
        actor.require_staff(Action::ManageUsers)?;
        let conn = self.store.read();
        let files = store::withdrawn(conn, WITHDRAWN_LIST).await?;
        let mut ticket_ids: Vec<Id> = files.iter().map(|a| a.ticket_id).collect();
        ticket_ids.sort_unstable();
        ticket_ids.dedup();
        let numbers: HashMap<Id, String> =
            tickets::by_ids(conn, &ticket_ids).await?.into_iter().map(|t| (t.id, t.number.to_string())).collect();
        let mut people: Vec<Id> = Vec::new();
        for a in &files {
            people.push(a.uploaded_by);
            people.extend(a.withdrawal.as_ref().map(|w| w.by));
        }
        people.sort_unstable();
        people.dedup();
        let mut names: HashMap<Id, String> = HashMap::new();
        for id in people {
            if let Some(u) = users::user_by_id(conn, id).await? {
                names.insert(id, u.display_name);
            }
        }
        let name = |id: Id| names.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
        Ok(files
            .into_iter()
            .map(|a| WithdrawnFile {
                ticket_number: numbers.get(&a.ticket_id).cloned().unwrap_or_default(),
                uploaded_by_name: name(a.uploaded_by),
                withdrawn_by_name: a.withdrawal.as_ref().map(|w| name(w.by)).unwrap_or_default(),
                attachment: a,
            })
            .collect())
    }
}
