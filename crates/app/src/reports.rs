//! The service report (服务报告, issue 14): assembled from the ticket, signed by the
//! customer as the acceptance sign-off (seed 003 验收), kept as a PDF whose SHA-256 is in
//! the ticket's history.
//!
//! * [`App::prepare_report`]: the engineer makes a version (or changes the photos of the
//!   newest one still awaiting a signature) once the ticket is resolved.
//! * [`App::send_report`] (`send`): the version is e-mailed to the contact, its PDF attached,
//!   with a one-time link to sign or refuse it; the report has reached the customer, which
//!   stops the 24-hour report clock.
//! * [`App::sign_report`] (`sign`): the customer signs, on the engineer's phone (recorded by
//!   the ticket's engineer checked in on site), in the portal, or through the mailed link.
//!   The PDF with the signature is made and kept in the file store before the write
//!   transaction, which re-checks and then marks the version signed (a conditional update: a
//!   second signature is refused), closes a resolved ticket with the method "signature",
//!   records the PDF's SHA-256 in the history, writes the customer-visible service-report
//!   entry (the 24-hour report clock stops at the first such entry), and mails the contact
//!   the signed copy.
//! * [`App::refuse_report`]: the customer does not sign; the reason is recorded, and the
//!   report clock stops as for a signature (the customer had the report).
//! * [`App::report_pdf`], [`App::report_pdf_by_hash`]: a signed version's kept PDF; any other
//!   version is rendered as a preview. A customer reaches only their own organization's.

pub mod pdf;
mod send;
mod sign;

use aftersales_domain::audience::Visibility;
use aftersales_domain::customer_link::{CustomerLink, LinkPurpose};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::event::{self, Change};
use aftersales_domain::lifecycle::Step;
use aftersales_domain::permission::{self, Action, TicketScope};
use aftersales_domain::service_report::{self as report, ReportStatus, ServiceReport, SignChannel, SignerRelationship};
use aftersales_domain::ticket::{ClosureMethod, Status, Ticket};
use aftersales_domain::worklog::{LogEntry, LogKind};
use aftersales_domain::{DomainError, Id, Lang, Timestamp};
use aftersales_files::BlobId;
use aftersales_storage::{Conn, WriteTx, catalog, directory, fees, links, parts, reports, tickets, users, visits};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use self::pdf::{PartRow, ReportDocument, SignatureBlock};
use crate::tickets::load_visible;
use crate::{Actor, App, AppError, Result};

/// The largest PDF kept (a report with photos stays far below).
const MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;

/// A ticket's report versions and what the reader may do with them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportScreen {
    /// Oldest first.
    pub versions: Vec<ServiceReport>,
    /// Make a new version, or change the photos of the newest awaiting a signature.
    pub may_prepare: bool,
    /// Sign or refuse the newest version (it awaits a signature, the ticket is resolved or
    /// closed, and the reader may record it: the contact in the portal, or on the phone the
    /// ticket's engineer checked in on site).
    pub may_sign: bool,
    /// Send the newest version to the contact to sign (staff who may prepare it).
    pub may_send: bool,
    /// The contact's e-mail address the report is sent to; none when they have none (the
    /// page says so before the button). Staff only.
    pub send_to: Option<String>,
    /// Why the report cannot be sent now (the page says it in place of the button).
    #[serde(skip)]
    pub send_blocked: Option<report::ReportProblem>,
}

/// Which photos (attachment ids) a version places.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PrepareInput {
    pub photo_ids: Vec<Id>,
}

/// A signature: who signed, in what relation to the device, and the drawn image as a
/// base64 PNG (a `data:image/png;base64,` URL is accepted as it comes from a canvas).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SignInput {
    pub signer_name: Option<String>,
    pub relationship: Option<SignerRelationship>,
    pub signature: Option<String>,
}

/// A refusal to sign and its reason (and who refused, when the engineer records it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RefuseInput {
    pub reason: Option<String>,
    pub signer_name: Option<String>,
}

/// A PDF to hand out.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Decodes the signature field: base64 of a PNG, optionally as a data URL.
fn signature_bytes(s: Option<&str>) -> Result<Vec<u8>> {
    let s = s.map(str::trim).unwrap_or_default();
    let b64 = s.strip_prefix("data:image/png;base64,").unwrap_or(s);
    if b64.is_empty() {
        return Ok(Vec::new());
    }
    // The size is checked on the encoded text first: nothing large is decoded.
    if b64.len() > report::MAX_SIGNATURE_BYTES * 4 / 3 + 4 {
        return Err(AppError::invalid(
            "signature",
            Reason::Mismatch {
                detail_en: "the signature image is too large (128 KB at most)",
                detail_zh: "签名图片过大（不超过 128 KB）",
            },
        ));
    }
    base64::engine::general_purpose::STANDARD.decode(b64).map_err(|_| AppError::invalid("signature", report::not_png()))
}

/// Whether anything is drawn on the signature: some pixel neither transparent nor white.
/// The image is decoded under a memory limit and a size limit (a PNG bomb is refused).
fn check_drawn(png_bytes: &[u8]) -> Result<()> {
    let not_png = || AppError::invalid("signature", report::not_png());
    let limits = png::Limits { bytes: 64 * 1024 * 1024 };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(png_bytes), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|_| not_png())?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 || w > report::MAX_SIGNATURE_SIDE || h > report::MAX_SIGNATURE_SIDE {
        return Err(not_png());
    }
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(not_png)?];
    let info = reader.next_frame(&mut buf).map_err(|_| not_png())?;
    let data = &buf[..info.buffer_size()];
    let inked = |px: &[u8], alpha: Option<u8>| alpha.is_none_or(|a| a > 16) && px.iter().any(|&c| c < 200);
    let drawn = match info.color_type {
        png::ColorType::Rgba => data.chunks_exact(4).any(|p| inked(&p[..3], Some(p[3]))),
        png::ColorType::Rgb => data.chunks_exact(3).any(|p| inked(p, None)),
        png::ColorType::GrayscaleAlpha => data.chunks_exact(2).any(|p| inked(&p[..1], Some(p[1]))),
        png::ColorType::Grayscale => data.iter().any(|&g| g < 200),
        png::ColorType::Indexed => true,
    };
    if drawn { Ok(()) } else { Err(report::blank_signature().into()) }
}

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.abs();
    format!("{sign}¥{}.{:02}", f / 100, f % 100)
}

impl App {
    fn local(&self, t: Timestamp) -> String {
        t.to_zoned(self.settings.time_zone.clone()).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// The actor records a report step on `t`: staff by their ticket scope, a contact on
    /// their own organization's ticket (already checked by `load_visible`).
    fn check_recorder(actor: &Actor, t: &Ticket, action: Action) -> Result<()> {
        actor.require(action)?;
        if permission::scope(actor.user.role, action) == TicketScope::Assigned && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::from(Conflict::NotAssigned).into());
        }
        Ok(())
    }

    /// What a reader may do: staff make and record versions as the resolver of the
    /// ticket; a contact signs in the portal as the one who confirms closure.
    fn sign_action(actor: &Actor) -> Action {
        if actor.is_customer() { Action::ConfirmClosure } else { Action::ResolveTicket }
    }

    /// A ticket's report versions.
    pub async fn service_reports(&self, actor: &Actor, ticket: Id) -> Result<ReportScreen> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, ticket).await?;
        let versions = reports::of_ticket(conn, t.id).await?;
        let newest = versions.last();
        let resolved = report::check_ticket(&t).is_ok();
        let may_prepare =
            !actor.is_customer() && resolved && Self::check_recorder(actor, &t, Action::ResolveTicket).is_ok();
        let draft = resolved && newest.is_some_and(|r| r.status == ReportStatus::Draft);
        let may_sign = match newest {
            Some(r) if draft => self.check_sign(conn, actor, r.id, Self::channel_of(actor)).await.is_ok(),
            _ => false,
        };
        let may_send = draft && may_prepare;
        let (send_to, send_blocked) = match may_send {
            true => match self.recipient_or_problem(conn, &t).await? {
                Ok(to) => (Some(to), None),
                Err(p) => (None, Some(p)),
            },
            false => (None, None),
        };
        Ok(ReportScreen { versions, may_prepare, may_sign, may_send, send_to, send_blocked })
    }

    /// One version and its ticket's number, for a reader of the ticket.
    pub async fn service_report(&self, actor: &Actor, id: Id) -> Result<(ServiceReport, String)> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let r = reports::by_id(conn, id).await?.ok_or_else(|| AppError::not_found("service report", id))?;
        let t = load_visible(conn, actor, r.ticket_id).await.map_err(|_| AppError::not_found("service report", id))?;
        Ok((r, t.number.to_string()))
    }

    /// Makes a new version of the ticket's report (or changes the photos of the newest
    /// version still awaiting a signature), once the ticket is resolved.
    pub async fn prepare_report(&self, actor: &Actor, ticket: Id, input: &PrepareInput) -> Result<ServiceReport> {
        actor.require_staff(Action::ResolveTicket)?;
        let photo_ids = report::check_photos(&input.photo_ids)?;
        let tx = self.store.write().await?;
        let t = load_visible(&*tx, actor, ticket).await?;
        Self::check_recorder(actor, &t, Action::ResolveTicket)?;
        report::check_ticket(&t).map_err(|p| DomainError::from(Conflict::Report(p)))?;
        // Locked before the photos are checked: a withdrawal (which locks the ticket too)
        // cannot slip a withdrawn photo into the version.
        tickets::lock(&*tx, t.id).await?;
        for &id in &photo_ids {
            match aftersales_storage::attachments::by_id(&*tx, id).await? {
                Some(a) => report::check_photo(&a, t.id)?,
                None => return Err(AppError::invalid("photo_ids", Reason::Unknown)),
            }
        }
        let versions = reports::of_ticket(&*tx, t.id).await?;
        let now = self.now();
        let r = match versions.last() {
            Some(r) if r.status == ReportStatus::Draft => {
                reports::set_photos(&*tx, r.id, &photo_ids).await?;
                ServiceReport { photo_ids, ..r.clone() }
            }
            last => {
                let version = last.map_or(1, |r| r.version + 1);
                let mut r = ServiceReport::draft(t.id, version, photo_ids, actor.id(), now);
                r.id = reports::insert(&*tx, &r).await?;
                let note = Some(format!("第 {version} 版"));
                self.record(&tx, &t, actor, "report_prepared", vec![Change::added("report_version", version)], note)
                    .await?;
                r
            }
        };
        tx.commit().await?;
        Ok(r)
    }

    /// Keeps `bytes` in the file store; its name (the SHA-256).
    async fn keep(&self, bytes: Vec<u8>) -> Result<BlobId> {
        let stream = futures_util::stream::once(async move { Ok(bytes::Bytes::from(bytes)) });
        let blob = self
            .files()?
            .put(Box::pin(stream), MAX_PDF_BYTES)
            .await
            .map_err(|e| AppError::internal("keeping the service report PDF", e))?;
        Ok(blob.id)
    }

    pub(crate) async fn fetch(&self, id: &BlobId) -> Result<Vec<u8>> {
        use futures_util::TryStreamExt as _;
        let stream =
            self.files()?.get(id).await.map_err(|e| AppError::internal("reading the service report PDF", e))?;
        let chunks: Vec<bytes::Bytes> =
            stream.try_collect().await.map_err(|e| AppError::internal("reading the service report PDF", e))?;
        Ok(chunks.concat())
    }

    /// Version `id` as a PDF: the kept one once signed, a preview otherwise.
    pub async fn report_pdf(&self, actor: &Actor, id: Id) -> Result<ReportFile> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let r = reports::by_id(conn, id).await?.ok_or_else(|| AppError::not_found("service report", id))?;
        let t = load_visible(conn, actor, r.ticket_id).await.map_err(|_| AppError::not_found("service report", id))?;
        self.file_of(conn, &t, &r).await
    }

    /// Version `r` of `t` as a PDF: the kept one once signed, a preview otherwise.
    pub(crate) async fn file_of<C: Conn>(&self, conn: &C, t: &Ticket, r: &ServiceReport) -> Result<ReportFile> {
        let filename = format!("service-report-{}-v{}.pdf", t.number, r.version);
        if let Some(sha) = r.pdf_sha256.as_deref().and_then(BlobId::parse) {
            return Ok(ReportFile { filename, bytes: self.fetch(&sha).await? });
        }
        let block = match (&r.status, &r.refusal_reason) {
            (ReportStatus::Refused, Some(reason)) => SignatureBlock::Refused {
                signer: r.signer_name.clone().unwrap_or_default(),
                at: r.signed_at.map(|a| self.local(a)).unwrap_or_default(),
                reason: reason.clone(),
            },
            _ => SignatureBlock::Awaiting,
        };
        let doc = self.document(conn, t, r, block).await?;
        let bytes = tokio::task::spawn_blocking(move || pdf::render(&doc))
            .await
            .map_err(|e| AppError::internal("making the service report PDF", e))?
            .map_err(|e| AppError::internal("making the service report PDF", e))?;
        Ok(ReportFile { filename, bytes })
    }

    /// A signed report's PDF by its SHA-256 (as the history names it); only for a reader
    /// of its ticket (another organization's is "not found", as is an unknown hash).
    pub async fn report_pdf_by_hash(&self, actor: &Actor, sha256: &str) -> Result<ReportFile> {
        actor.require(Action::ReadTicket)?;
        let sha = BlobId::parse(sha256).ok_or_else(|| AppError::not_found("service report", sha256))?;
        let conn = self.store.read();
        let r =
            reports::by_pdf(conn, sha.as_str()).await?.ok_or_else(|| AppError::not_found("service report", sha256))?;
        let t =
            load_visible(conn, actor, r.ticket_id).await.map_err(|_| AppError::not_found("service report", sha256))?;
        let filename = format!("service-report-{}-v{}.pdf", t.number, r.version);
        Ok(ReportFile { filename, bytes: self.fetch(&sha).await? })
    }

    /// What the report prints, from the ticket as `conn` sees it.
    /// The chosen photos' customer copies (re-encoded, without EXIF), in the order chosen,
    /// each captioned with what it shows and its file name.
    async fn report_photos<C: Conn>(&self, conn: &C, r: &ServiceReport) -> Result<Vec<pdf::Photo>> {
        use futures_util::TryStreamExt as _;
        let mut out = Vec::with_capacity(r.photo_ids.len());
        for &id in &r.photo_ids {
            let a = aftersales_storage::attachments::by_id(conn, id)
                .await?
                .ok_or_else(|| AppError::internal("placing a photo", format!("attachment {id} is gone")))?;
            let blob = a.customer_sha256.as_deref().and_then(BlobId::parse).ok_or_else(|| {
                AppError::internal("placing a photo", format!("attachment {id} has no customer copy"))
            })?;
            let stream = self.files()?.get(&blob).await.map_err(|e| AppError::internal("placing a photo", e))?;
            let image: Vec<u8> = stream
                .try_fold(Vec::new(), |mut acc, chunk| async move {
                    acc.extend_from_slice(&chunk);
                    Ok::<_, std::io::Error>(acc)
                })
                .await
                .map_err(|e| AppError::internal("placing a photo", e))?;
            out.push(pdf::Photo { caption: format!("{}：{}", a.tag.label(Lang::Zh), a.file_name), image });
        }
        Ok(out)
    }

    async fn document<C: Conn>(
        &self,
        conn: &C,
        t: &Ticket,
        r: &ServiceReport,
        signature: SignatureBlock,
    ) -> Result<ReportDocument> {
        let customer = directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.name).unwrap_or_default();
        let category = match t.category_id {
            Some(c) => catalog::category_by_id(conn, c).await?.map(|c| c.name_zh).unwrap_or_default(),
            None => String::new(),
        };
        let mut engineers = Vec::new();
        for id in [t.first_line_id, t.second_line_id].into_iter().flatten() {
            if let Some(u) = users::user_by_id(conn, id).await? {
                engineers.push(u.display_name);
            }
        }
        let visits = visits::by_ticket(conn, t.id).await?;
        let arrivals: Vec<String> = visits.iter().filter_map(|v| v.checked_in_at).map(|a| self.local(a)).collect();
        let departures: Vec<String> = visits.iter().filter_map(|v| v.checked_out_at).map(|a| self.local(a)).collect();
        let fault = match (&t.fault_code, category.is_empty()) {
            (Some(code), false) => format!("{code}（{category}）"),
            (Some(code), true) => code.clone(),
            (None, _) => category,
        };
        let fields = vec![
            ("客户".into(), customer),
            ("联系人".into(), t.contact_name.clone()),
            ("设备型号".into(), t.device_model.clone().unwrap_or_default()),
            ("设备序列号".into(), t.device_serial.clone().unwrap_or_default()),
            ("故障现象".into(), t.description.clone()),
            ("故障代码/分类".into(), fault),
            ("到场时间".into(), arrivals.join("；")),
            ("离场时间".into(), departures.join("；")),
            ("服务工程师".into(), engineers.join("、")),
            ("解决方案".into(), t.resolution.clone().unwrap_or_default()),
        ];
        let process = tickets::logs(conn, t.id)
            .await?
            .into_iter()
            .filter(|e| e.visibility == Visibility::Customer && e.kind != LogKind::ServiceReport)
            .map(|e| (self.local(e.at), format!("{}：{}", e.kind.label(Lang::Zh), e.body)))
            .collect();
        let parts = parts::used_on_ticket(conn, t.id)
            .await?
            .into_iter()
            .map(|p| PartRow {
                number: p.part_number,
                name: p.part_name,
                quantity: format!("{} {}", p.quantity, p.unit),
                serial: p.serial.unwrap_or_default(),
                returned_serial: p.faulty_serial.unwrap_or_default(),
            })
            .collect();
        let file = fees::file(conn, t.id).await?;
        let mut fee_rows = Vec::new();
        fee_rows.push(("保修".into(), file.warranty.label(Lang::Zh).to_owned()));
        if let Some(q) = file.current() {
            for line in &q.lines {
                let what = match &line.part_no {
                    Some(no) => format!("{}（{no}）×{}", line.description, line.quantity),
                    None => format!("{} ×{}", line.description, line.quantity),
                };
                fee_rows.push((what, yuan(line.amount)));
            }
            fee_rows.push((format!("报价第 {} 版（{}）", q.revision, q.status.label(Lang::Zh)), yuan(q.totals.total)));
            fee_rows.push(("含税".into(), yuan(q.totals.tax)));
        }
        if !file.settlements.is_empty() {
            fee_rows.push(("已结算".into(), yuan(file.paid())));
        }
        Ok(ReportDocument {
            ticket_number: t.number.to_string(),
            version: r.version,
            generated_at: self.local(self.now()),
            fields,
            process,
            parts,
            fees: fee_rows,
            photos: self.report_photos(conn, r).await?,
            signature,
        })
    }
}
