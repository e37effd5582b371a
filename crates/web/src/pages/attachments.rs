//! Evidence attachments on the pages (issue 14): the ticket page's section
//! (`templates/ticket/_attachments.html`: the list, the phone camera and desk upload form,
//! each file sent on its own by `assets/attachments.js` with its state shown until the
//! server has it; the form posts whole without script), the portal's customer-visible
//! files (`templates/portal/_attachments.html`), downloads for a signed-in reader, and the
//! administrator's evidence rules (`/admin/evidence`).

use aftersales_app::AppError;
use aftersales_app::attachments::{TicketAttachments, Variant, WithdrawnFile};
use aftersales_domain::Id;
use aftersales_domain::attachment::{Attachment, CustomerAttachment, EvidenceRule};
use aftersales_domain::permission::{self, Action};
use aftersales_domain::ticket::{Kind, Ticket};
use askama::Template;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::L;
use super::{PageError, Posted, Signed, constant_time_eq, render, same_origin};
use crate::AppState;
use crate::api::attachments::{UploadError, answer, receive, serve};
use crate::extract::IdPath;

/// A size in bytes as people read it.
fn size_text(n: u64) -> String {
    const KB: u64 = 1024;
    match n {
        n if n >= KB * KB => format!("{:.1} MB", n as f64 / (KB * KB) as f64),
        n if n >= KB => format!("{} KB", n.div_ceil(KB)),
        n => format!("{n} B"),
    }
}

/// The ticket page's attachments section.
#[derive(Debug)]
pub struct TicketAttachmentsSection {
    /// The ticket's files (withdrawn ones left out), read once for the page: the list and
    /// each work log entry's files come from it.
    pub items: Vec<Attachment>,
    /// Who reads the page (whether they may withdraw a file).
    pub reader: (Id, aftersales_domain::role::Role),
    /// The reader may upload here (staff who may write the work log; an engineer only on
    /// their own ticket).
    pub may_upload: bool,
    /// What the kind of service asks for before it is resolved.
    pub rule: Option<EvidenceRule>,
    /// The limits, in MB, for the form's hint.
    pub limits: (u64, u64, u64),
}

impl TicketAttachmentsSection {
    /// The section for `who` on `t` (none for a customer contact, or when the list fails).
    pub async fn of(s: &AppState, who: &Signed, t: &Ticket) -> Option<TicketAttachmentsSection> {
        if who.actor.is_customer() {
            return None;
        }
        let items = match s.app.attachments(&who.actor, t.id).await {
            Ok(TicketAttachments::Staff(items)) => items,
            _ => return None,
        };
        let role = who.actor.user.role;
        let may_upload = permission::allows(role, Action::AddLogEntry)
            && (role.line().is_none() || t.is_assigned_to(who.actor.id()));
        let rule = s.app.evidence_rules(&who.actor).await.ok().and_then(|rs| rs.into_iter().find(|r| r.kind == t.kind));
        let l = s.app.settings().attachment_limits;
        const MB: u64 = 1024 * 1024;
        Some(TicketAttachmentsSection {
            items,
            reader: (who.actor.id(), role),
            may_upload,
            rule,
            limits: (l.image / MB, l.video / MB, l.document / MB),
        })
    }

    /// What the kind of service asks for, in words.
    pub fn rule_text(&self, l: &L) -> Option<String> {
        self.rule.map(|r| l.tf("att.rule_needs", &[("before", &r.before), ("after", &r.after)]))
    }

    /// The size limits, in words.
    pub fn limits_text(&self, l: &L) -> String {
        let (image, video, document) = self.limits;
        l.tf("att.limits", &[("image", &image), ("video", &video), ("document", &document)])
    }

    pub fn size(&self, a: &Attachment) -> String {
        size_text(a.size)
    }

    /// The files of work log entry `log`.
    pub fn of_log(&self, log: &Id) -> Vec<&Attachment> {
        self.items.iter().filter(|a| a.log_id == Some(*log)).collect()
    }

    /// Whether the reader may withdraw `a` (its uploader, a supervisor, an administrator).
    pub fn may_withdraw(&self, a: &Attachment) -> bool {
        a.withdrawal.is_none() && a.may_withdraw(self.reader.0, self.reader.1)
    }

    /// `lat, lon` with five decimals (about a metre).
    pub fn place(&self, a: &Attachment) -> String {
        a.gps.map(|g| format!("{:.5}, {:.5}", g.lat, g.lon)).unwrap_or_default()
    }
}

/// The portal's customer-visible files of a ticket.
pub async fn portal_section(s: &AppState, who: &Signed, ticket: Id) -> Vec<CustomerAttachment> {
    match s.app.attachments(&who.actor, ticket).await {
        Ok(TicketAttachments::Customer(items)) => items,
        _ => Vec::new(),
    }
}

/// The portal's files of work log entry `log` (called from `templates/portal/_log_files.html`).
pub fn portal_files_of<'a>(items: &'a [CustomerAttachment], log: &Id) -> Vec<&'a CustomerAttachment> {
    items.iter().filter(|a| a.log_id == Some(*log)).collect()
}

/// A customer copy's size in words.
pub fn customer_size(a: &CustomerAttachment) -> String {
    size_text(a.size)
}

/// What a redirect after an attachment form says on the ticket page (`?done=…`).
pub fn done_message(l: &L, done: &str) -> Option<String> {
    (done == "withdrawn").then(|| l.t("attachment.withdrawn_done").to_owned())
}

/// Whether the page's script asked (it reads the answer as JSON).
fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"))
}

/// The refusal for the page's script: the status the API gives, the sentence in the
/// reader's language.
fn json_error(l: &L, e: &UploadError) -> Response {
    let (status, code, message) = match e {
        UploadError::App(e) => (crate::error::status_of(e), e.code(), e.message(l.lang)),
        UploadError::Malformed(detail) => (StatusCode::BAD_REQUEST, "bad_request", detail.clone()),
        UploadError::Field(field, _) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{}：{field}", l.t("att.bad_field")))
        }
        UploadError::Csrf => (StatusCode::FORBIDDEN, "csrf", l.t("pages.the_form_expired_or_came_from").to_owned()),
    };
    (status, axum::Json(serde_json::json!({"error": {"code": code, "message": message}}))).into_response()
}

/// `POST /tickets/{id}/attachments`: one file from the page's script (answered in JSON), or
/// the whole form without script (back to the ticket page).
pub async fn upload(
    State(s): State<AppState>,
    who: Signed,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, PageError> {
    let json = wants_json(&headers);
    if let Err(e) = s.app.may_attach(&who.actor, id).await {
        return if json { Ok(json_error(&who.l, &UploadError::App(e))) } else { Err(PageError::App(e, who.l.clone())) };
    }
    let origin = same_origin(&headers);
    let csrf = who.csrf.clone();
    let allowed = move |f: &crate::api::attachments::Fields| {
        origin && f.csrf.as_deref().is_some_and(|t| constant_time_eq(t.as_bytes(), csrf.as_bytes()))
    };
    let result = receive(&s.app, &who.actor, id, &headers, body, &allowed).await;
    match (result, json) {
        (Ok(received), true) => match answer(received, who.l.lang) {
            Ok((status, uploaded)) => Ok((status, axum::Json(uploaded)).into_response()),
            Err(e) => Ok(json_error(&who.l, &UploadError::App(e))),
        },
        (Ok(received), false) if received.iter().all(|r| r.outcome.is_ok()) => {
            Ok(Redirect::to(&format!("/tickets/{id}#attachments")).into_response())
        }
        (Ok(received), false) => {
            // Without script several files go at once: each one's outcome is said.
            let l = &who.l;
            let stored: Vec<&str> =
                received.iter().filter(|r| r.outcome.is_ok()).map(|r| r.file_name.as_str()).collect();
            let refused: Vec<String> = received
                .iter()
                .filter_map(|r| r.outcome.as_ref().err().map(|e| format!("{}：{}", r.file_name, e.message(l.lang))))
                .collect();
            let message =
                (!stored.is_empty()).then(|| l.tf("attachment.stored_files", &[("files", &stored.join("、"))]));
            let error = l.tf("attachment.refused_files", &[("files", &refused.join("；"))]);
            let status = received
                .iter()
                .find_map(|r| r.outcome.as_ref().err())
                .map_or(StatusCode::UNPROCESSABLE_ENTITY, crate::error::status_of);
            super::tickets::ticket_page(&s, &who, id, message, Some(error), status, None).await
        }
        (Err(e), true) => Ok(json_error(&who.l, &e)),
        (Err(UploadError::Csrf), false) => Err(PageError::Csrf(who.l.clone())),
        (
            Err(UploadError::App(
                e @ (AppError::NotFound { .. } | AppError::Domain(aftersales_domain::DomainError::Forbidden { .. })),
            )),
            false,
        ) => Err(PageError::App(e, who.l.clone())),
        (Err(e), false) => {
            let status = match &e {
                UploadError::App(e) => crate::error::status_of(e),
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let message = match e {
                UploadError::App(e) => e.message(who.l.lang),
                UploadError::Malformed(d) => d,
                UploadError::Field(f, _) => format!("{}：{f}", who.l.t("att.bad_field")),
                UploadError::Csrf => String::new(),
            };
            super::tickets::ticket_page(&s, &who, id, None, Some(message), status, None).await
        }
    }
}

/// The withdrawal form of one file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    /// The ticket page to show again when the withdrawal is refused.
    ticket: Option<Id>,
    reason: String,
}

/// `POST /attachments/{id}/withdraw`: the file leaves the ticket's lists (kept for audit),
/// back to the ticket; a refusal (no reason, not theirs, in a signed report) is said there.
pub async fn withdraw(
    State(s): State<AppState>,
    IdPath(id): IdPath,
    Posted { who, form }: Posted<WithdrawForm>,
) -> Result<Response, PageError> {
    match s.app.withdraw_attachment(&who.actor, id, &form.reason).await {
        Ok(a) => Ok(Redirect::to(&format!("/tickets/{}?done=withdrawn#attachments", a.ticket_id)).into_response()),
        Err(e) if e.is_internal() || matches!(e, AppError::NotFound { .. }) => Err(PageError::App(e, who.l.clone())),
        Err(e) => match form.ticket {
            Some(ticket) => {
                let status = crate::error::status_of(&e);
                let message = e.message(who.l.lang);
                super::tickets::ticket_page(&s, &who, ticket, None, Some(message), status, None).await
            }
            None => Err(PageError::App(e, who.l.clone())),
        },
    }
}

async fn download(s: &AppState, who: &Signed, id: Id, variant: Variant) -> Result<Response, PageError> {
    let d = s.app.attachment_content(&who.actor, id, variant).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    Ok(serve(d))
}

/// `GET /attachments/{id}`: the file (a customer contact gets a photo's copy without EXIF).
pub async fn file(State(s): State<AppState>, who: Signed, IdPath(id): IdPath) -> Result<Response, PageError> {
    download(&s, &who, id, Variant::File).await
}

/// `GET /attachments/{id}/thumbnail`.
pub async fn thumbnail(State(s): State<AppState>, who: Signed, IdPath(id): IdPath) -> Result<Response, PageError> {
    download(&s, &who, id, Variant::Thumbnail).await
}

/// A kind of service and its rule, for the form.
#[derive(Debug)]
pub struct RuleRow {
    pub kind: Kind,
    pub before: u32,
    pub after: u32,
}

#[derive(Template)]
#[template(path = "admin/evidence.html")]
struct EvidencePage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    rows: Vec<RuleRow>,
    /// Withdrawn files with who withdrew them and why (administrators only).
    withdrawn: Option<Vec<WithdrawnFile>>,
    message: Option<String>,
    error: Option<String>,
}

impl EvidencePage<'_> {
    fn size(&self, a: &Attachment) -> String {
        size_text(a.size)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EvidenceQuery {
    done: String,
}

async fn evidence_page(
    s: &AppState,
    who: &Signed,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    who.actor.require(Action::ManageCatalog).map_err(|e| PageError::App(e, l.clone()))?;
    let rules = s.app.evidence_rules(&who.actor).await.map_err(|e| PageError::App(e, l.clone()))?;
    let rows = Kind::ALL
        .iter()
        .map(|k| {
            let r = rules.iter().find(|r| r.kind == *k);
            RuleRow { kind: *k, before: r.map_or(0, |r| r.before), after: r.map_or(0, |r| r.after) }
        })
        .collect();
    let withdrawn = if permission::allows(who.actor.user.role, Action::ManageUsers) {
        Some(s.app.withdrawn_attachments(&who.actor).await.map_err(|e| PageError::App(e, l.clone()))?)
    } else {
        None
    };
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&EvidencePage { l, nav, rows, withdrawn, message, error })).into_response())
}

/// `GET /admin/evidence`: the photos each kind of service needs before it is resolved.
pub async fn evidence(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<EvidenceQuery>,
) -> Result<Response, PageError> {
    let message = (q.done == "saved").then(|| who.l.t("att.rule_saved").to_owned());
    evidence_page(&s, &who, message, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    kind: String,
    before: String,
    after: String,
}

/// `POST /admin/evidence`: one kind's rule.
pub async fn save_evidence(
    State(s): State<AppState>,
    Posted { who, form }: Posted<RuleForm>,
) -> Result<Response, PageError> {
    let l = who.l.clone();
    let Some(kind) = Kind::from_code(&form.kind) else {
        return evidence_page(&s, &who, None, Some(l.t("att.bad_rule").to_owned()), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let count = |v: &str| if v.trim().is_empty() { Some(0) } else { v.trim().parse::<u32>().ok() };
    let (Some(before), Some(after)) = (count(&form.before), count(&form.after)) else {
        return evidence_page(&s, &who, None, Some(l.t("att.bad_rule").to_owned()), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    match s.app.put_evidence_rule(&who.actor, &EvidenceRule { kind, before, after }).await {
        Ok(_) => Ok(Redirect::to("/admin/evidence?done=saved").into_response()),
        Err(e @ AppError::Domain(aftersales_domain::DomainError::Invalid(_))) => {
            let status = crate::error::status_of(&e);
            evidence_page(&s, &who, None, Some(e.message(l.lang)), status).await
        }
        Err(e) => Err(PageError::App(e, l)),
    }
}
