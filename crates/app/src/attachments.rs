//! Evidence attachments (issue 14): photos, videos and documents on a ticket or a work log
//! entry, each with its audience. The content streams into the blob store under the limit
//! of its kind (judged by its first bytes, `domain::attachment::detect`); a photo is then
//! checked (its size in pixels from the header, before decoding), decoded once for a
//! thumbnail and for the customer's copy (re-encoded: no EXIF), and its EXIF time and
//! place are kept as internal evidence. Every download is checked here: a customer
//! contact reaches only customer-visible files of their own organization's tickets, and
//! anything else is "not found".
//!
//! A retried upload (same idempotency key from the same person) is stored once and
//! answered with the first one's record.

use std::io::Cursor;

use aftersales_domain::attachment::{
    self as rules, Attachment, AttachmentProblem, CustomerAttachment, Detected, EvidenceRule, EvidenceTag, FileKind,
    Gps,
};
use aftersales_domain::audience::Visibility;
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::event::Change;
use aftersales_domain::permission::Action;
use aftersales_domain::ticket::Ticket;
use aftersales_domain::{DomainError, Id};
use aftersales_files::{BlobError, BlobId, ByteStream};
use aftersales_storage::{Conn, attachments as store, tickets};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use crate::tickets::load_visible;
use crate::{Actor, App, AppError, Result};

mod withdrawal;

pub use withdrawal::WithdrawnFile;

/// What an upload says of its file (the content comes as a stream).
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub ticket_id: Id,
    /// The work log entry it belongs to.
    pub log_id: Option<Id>,
    pub visibility: Visibility,
    pub tag: EvidenceTag,
    /// The file name the device sent.
    pub file_name: String,
    /// The same key again (a retry after a broken connection) answers with the first.
    pub idempotency_key: Option<String>,
}

/// Which bytes of an attachment are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The file (for a customer contact: the re-encoded copy of a photo, without EXIF).
    File,
    /// The photo's thumbnail (a small JPEG).
    Thumbnail,
}

/// A download: what to call it, how to serve it, and its bytes.
pub struct Download {
    /// The name to save it under (its real type's extension added when the name says
    /// otherwise).
    pub file_name: String,
    pub content_type: String,
    /// Shown in the browser (an image); otherwise always saved.
    pub inline: bool,
    pub size: u64,
    pub content: ByteStream,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("inline", &self.inline)
            .field("size", &self.size)
            .finish()
    }
}

/// A ticket's attachments in its reader's projection.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TicketAttachments {
    Staff(Vec<Attachment>),
    Customer(Vec<CustomerAttachment>),
}

/// What a photo gave when it was decoded.
struct Processed {
    width: u32,
    height: u32,
    taken_at: Option<String>,
    gps: Option<Gps>,
    thumbnail: Vec<u8>,
    customer: Vec<u8>,
    customer_type: &'static str,
}

fn refused(p: AttachmentProblem) -> AppError {
    DomainError::from(p).into()
}

fn blob_error(e: BlobError, kind: FileKind, limit: u64) -> AppError {
    match e {
        BlobError::TooLarge { .. } => refused(AttachmentProblem::TooLarge { kind, limit }),
        BlobError::Source(_) => refused(AttachmentProblem::Interrupted),
        e => AppError::internal("keeping a file", e),
    }
}

/// Reads the first [`rules::SNIFF_LEN`] bytes (or all there are) of `content`, and gives
/// them back with the stream of the whole content.
async fn sniff(content: ByteStream) -> Result<(Bytes, ByteStream)> {
    // Fused: a stream that ended before the sample was full is not asked again.
    let mut content = content.fuse();
    let mut head = BytesMut::new();
    while head.len() < rules::SNIFF_LEN {
        match content.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(_)) => return Err(refused(AttachmentProblem::Interrupted)),
            None => break,
        }
    }
    let head = head.freeze();
    let whole = futures_util::stream::once(futures_util::future::ready(Ok(head.clone()))).chain(content).boxed();
    Ok((head, whole))
}

/// EXIF time (the camera's clock) and place of a photo, when it has them.
fn exif_of(bytes: &[u8]) -> (Option<String>, Option<Gps>) {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else { return (None, None) };
    let taken = exif
        .get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
        .or_else(|| exif.get_field(exif::Tag::DateTime, exif::In::PRIMARY))
        .and_then(|f| match &f.value {
            exif::Value::Ascii(v) => v.first().and_then(|s| std::str::from_utf8(s).ok()).map(str::to_owned),
            _ => None,
        })
        .filter(|s| !s.trim().is_empty() && s.len() <= 32);
    let degrees = |tag, reference| -> Option<f64> {
        let f = exif.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(parts) = &f.value else { return None };
        if parts.len() < 3 {
            return None;
        }
        let d = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        let r = exif.get_field(reference, exif::In::PRIMARY).map(|f| f.display_value().to_string());
        let negative = r.is_some_and(|r| r.starts_with('S') || r.starts_with('W'));
        d.is_finite().then_some(if negative { -d } else { d })
    };
    let lat = degrees(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef);
    let lon = degrees(exif::Tag::GPSLongitude, exif::Tag::GPSLongitudeRef);
    let gps = lat.zip(lon).filter(|(a, o)| a.abs() <= 90.0 && o.abs() <= 180.0).map(|(lat, lon)| Gps { lat, lon });
    (taken, gps)
}

/// Checks a photo's size in pixels from its header, then decodes it (turned upright as its
/// EXIF orientation says) for a thumbnail and the customer's copy, neither with EXIF.
fn process_image(bytes: &[u8], detected: Detected) -> Result<Processed, AttachmentProblem> {
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
    let format = match detected.mime {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/webp" => ImageFormat::WebP,
        _ => return Err(AttachmentProblem::Unreadable),
    };
    let reader = || {
        let mut r = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(rules::MAX_SIDE);
        limits.max_image_height = Some(rules::MAX_SIDE);
        limits.max_alloc = Some(rules::MAX_PIXELS * 4);
        r.limits(limits);
        r
    };
    let (width, height) = reader().into_dimensions().map_err(|_| AttachmentProblem::Unreadable)?;
    rules::check_dimensions(width, height)?;
    let mut decoder = reader().into_decoder().map_err(|_| AttachmentProblem::Unreadable)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| AttachmentProblem::Unreadable)?;
    img.apply_orientation(orientation);
    let (taken_at, gps) = exif_of(bytes);
    let jpeg = |img: &DynamicImage, quality: u8| -> Result<Vec<u8>, AttachmentProblem> {
        let mut out = Vec::new();
        let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&rgb)
            .map_err(|_| AttachmentProblem::Unreadable)?;
        Ok(out)
    };
    let thumbnail = jpeg(&img.thumbnail(320, 320), 80)?;
    // The customer's copy (the portal's download, the service report's photo) is at most
    // `CUSTOMER_SIDE` on its long side, turned upright; the original stays the evidence.
    let copy = if img.width().max(img.height()) > rules::CUSTOMER_SIDE {
        img.resize(rules::CUSTOMER_SIDE, rules::CUSTOMER_SIDE, image::imageops::FilterType::Lanczos3)
    } else {
        img.clone()
    };
    let (customer, customer_type) = if format == ImageFormat::Png {
        let mut out = Cursor::new(Vec::new());
        copy.write_to(&mut out, ImageFormat::Png).map_err(|_| AttachmentProblem::Unreadable)?;
        (out.into_inner(), "image/png")
    } else {
        (jpeg(&copy, 85)?, "image/jpeg")
    };
    Ok(Processed { width: img.width(), height: img.height(), taken_at, gps, thumbnail, customer, customer_type })
}

/// What the history says of a file: its name, kind, audience and what it shows.
pub(crate) fn file_changes(a: &Attachment) -> Vec<Change> {
    vec![
        Change::added("file_name", a.file_name.clone()),
        Change::added("file_kind", a.kind.code()),
        Change::added("visibility", a.visibility.code()),
        Change::added("evidence_tag", a.tag.code()),
    ]
}

fn one_chunk(bytes: Vec<u8>) -> ByteStream {
    futures_util::stream::once(futures_util::future::ready(Ok(Bytes::from(bytes)))).boxed()
}

impl App {
    /// Stores one uploaded file on a ticket (or one of its work log entries) for its
    /// audience: refused unless the content is a kind taken and within its limit, and, for
    /// a photo, decodable and not a decompression bomb. Nothing is kept of a refused file.
    /// Answers with the record and whether it was stored before under the same key.
    pub async fn attach(&self, actor: &Actor, new: NewAttachment, content: ByteStream) -> Result<(Attachment, bool)> {
        let t = self.attachable(actor, new.ticket_id).await?;
        let conn = self.store.read();
        let file_name = rules::clean_name(&new.file_name)?;
        if let Some(key) = &new.idempotency_key {
            rules::check_key(key)?;
            if let Some(done) = store::by_key(conn, actor.id(), key).await? {
                return if done.ticket_id == t.id { Ok((done, true)) } else { Err(AppError::IdempotencyMismatch) };
            }
        }
        if let Some(log) = new.log_id {
            let entry = tickets::logs(conn, t.id).await?.into_iter().find(|e| e.id == log);
            match entry {
                None => return Err(AppError::invalid("log_id", Reason::Unknown)),
                Some(e) if e.visibility == Visibility::Internal && new.visibility == Visibility::Customer => {
                    return Err(AppError::invalid(
                        "visibility",
                        Reason::Mismatch {
                            detail_en: "an internal work log entry's files stay internal",
                            detail_zh: "内部处理记录的附件只能内部可见",
                        },
                    ));
                }
                Some(_) => {}
            }
        }
        let files = self.files()?;
        let (head, whole) = sniff(content).await?;
        let detected = rules::detect(&head).map_err(refused)?;
        let limit = self.settings.attachment_limits.of(detected.kind);
        let blob = files.put(whole, limit).await.map_err(|e| blob_error(e, detected.kind, limit))?;
        let a = Attachment {
            id: 0,
            ticket_id: t.id,
            log_id: new.log_id,
            sha256: blob.id.to_string(),
            size: blob.size,
            kind: detected.kind,
            content_type: detected.mime.to_owned(),
            file_name,
            visibility: new.visibility,
            tag: new.tag,
            uploaded_by: actor.id(),
            uploaded_at: self.now(),
            width: None,
            height: None,
            taken_at: None,
            gps: None,
            thumb_sha256: None,
            customer_sha256: None,
            customer_type: None,
            idempotency_key: new.idempotency_key.clone(),
            withdrawal: None,
        };
        // Every blob stored for this upload: removed again (unless another attachment
        // shares it) when the record is not written, or when an earlier upload under the
        // same key answers instead.
        let mut blobs = vec![blob.id.clone()];
        let kept = self.keep_upload(actor, &t, a, detected, &mut blobs).await;
        if !matches!(kept, Ok((_, false))) {
            self.forget(&blobs).await;
        }
        kept
    }

    /// After the content is stored: a photo's derived copies, then the record and its
    /// history event in one transaction.
    async fn keep_upload(
        &self,
        actor: &Actor,
        t: &Ticket,
        mut a: Attachment,
        detected: Detected,
        blobs: &mut Vec<BlobId>,
    ) -> Result<(Attachment, bool)> {
        if detected.kind == FileKind::Image {
            let p = self.derive_image(&blobs[0].clone(), detected, blobs).await?;
            a.width = Some(p.width);
            a.height = Some(p.height);
            a.taken_at = p.taken_at;
            a.gps = p.gps;
            a.thumb_sha256 = blobs.get(1).map(|b| b.to_string());
            a.customer_sha256 = blobs.get(2).map(|b| b.to_string());
            a.customer_type = Some(p.customer_type.to_owned());
        }
        let tx = self.store.write().await?;
        match store::insert(&*tx, &a).await {
            Ok(id) => a.id = id,
            Err(aftersales_storage::StorageError::Duplicate(_)) => {
                // The same key arrived twice at once: the first one stored answers both.
                drop(tx);
                let key = a.idempotency_key.as_deref().unwrap_or_default();
                return match store::by_key(self.store.read(), actor.id(), key).await? {
                    Some(done) if done.ticket_id == t.id => Ok((done, true)),
                    _ => Err(AppError::IdempotencyMismatch),
                };
            }
            Err(e) => return Err(e.into()),
        }
        self.record(&tx, t, actor, "attachment_added", file_changes(&a), None).await?;
        tx.commit().await?;
        Ok((a, false))
    }

    /// Whether `actor` may attach files to `ticket` (staff who write the work log; an
    /// engineer on their own ticket): asked before an upload is read.
    pub async fn may_attach(&self, actor: &Actor, ticket: Id) -> Result<()> {
        self.attachable(actor, ticket).await.map(|_| ())
    }

    async fn attachable(&self, actor: &Actor, ticket: Id) -> Result<Ticket> {
        actor.require_staff(Action::AddLogEntry)?;
        let t = load_visible(self.store.read(), actor, ticket).await?;
        if actor.user.role.line().is_some() && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::from(Conflict::NotAssignedToRecord).into());
        }
        Ok(t)
    }

    /// Reads a stored photo back (within the image limit), checks and decodes it off the
    /// async threads, and stores its thumbnail and customer copy.
    /// Its thumbnail's and customer copy's blob ids are pushed onto `blobs` as they are kept.
    async fn derive_image(&self, id: &BlobId, detected: Detected, blobs: &mut Vec<BlobId>) -> Result<Processed> {
        let files = self.files()?;
        let mut content = files.get(id).await.map_err(|e| AppError::internal("reading a file back", e))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = content.next().await {
            bytes.extend_from_slice(&chunk.map_err(|e| AppError::internal("reading a file back", e))?);
        }
        let p = tokio::task::spawn_blocking(move || process_image(&bytes, detected))
            .await
            .map_err(|e| AppError::internal("decoding a photo", e))?
            .map_err(refused)?;
        let limit = self.settings.attachment_limits.image.max(p.customer.len() as u64);
        let thumb = files
            .put(one_chunk(p.thumbnail.clone()), limit)
            .await
            .map_err(|e| AppError::internal("keeping a thumbnail", e))?;
        blobs.push(thumb.id);
        let customer = files
            .put(one_chunk(p.customer.clone()), limit)
            .await
            .map_err(|e| AppError::internal("keeping a customer copy", e))?;
        blobs.push(customer.id);
        Ok(p)
    }

    /// Whether anything kept refers to blob `sha256`: an attachment (its content, thumbnail
    /// or customer copy), a signed service report's PDF or a subscription run's file. The
    /// store is content-addressed, so an unused blob may still be another record's file.
    pub(crate) async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        let conn = self.store.read();
        Ok(store::blob_in_use(conn, sha256).await?
            || aftersales_storage::reports::by_pdf(conn, sha256).await?.is_some()
            || aftersales_storage::subscriptions::file_in_use(conn, sha256).await?)
    }

    /// Removes blobs of a file not kept (refused, or its record not written) that nothing
    /// refers to (content-addressed: the same file may be another's).
    async fn forget(&self, ids: &[BlobId]) {
        let Ok(files) = self.files() else { return };
        for id in ids {
            match self.blob_in_use(id.as_str()).await {
                Ok(false) => {
                    if let Err(e) = files.delete(id).await {
                        tracing::warn!(blob = %id, error = %e, "removing a refused file");
                    }
                }
                Ok(true) => {}
                Err(e) => tracing::warn!(blob = %id, error = %e, "checking a refused file"),
            }
        }
    }

    /// A ticket's attachments in the reader's projection: every one (staff, with EXIF time
    /// and place), or the customer-visible ones of their own organization's ticket.
    pub async fn attachments(&self, actor: &Actor, ticket: Id) -> Result<TicketAttachments> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, ticket).await?;
        let all = store::of_ticket(conn, t.id).await?;
        Ok(if actor.is_customer() {
            TicketAttachments::Customer(all.iter().filter_map(CustomerAttachment::project).collect())
        } else {
            TicketAttachments::Staff(all)
        })
    }

    /// An attachment's record, if `actor` may reach it (else "not found", whatever the
    /// reason, so ids cannot be probed).
    async fn reachable(&self, actor: &Actor, id: Id) -> Result<(Attachment, Ticket)> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let nf = || AppError::not_found("attachment", id);
        let a = store::by_id(conn, id).await?.ok_or_else(nf)?;
        let t = load_visible(conn, actor, a.ticket_id).await.map_err(|_| nf())?;
        if actor.is_customer() && a.visibility != Visibility::Customer {
            return Err(nf());
        }
        // A withdrawn file is kept for audit: only an administrator still reaches it.
        if a.withdrawal.is_some() && !aftersales_domain::permission::allows(actor.user.role, Action::ManageUsers) {
            return Err(nf());
        }
        Ok((a, t))
    }

    /// One attachment's record (staff: everything; a customer contact: their projection).
    pub async fn attachment(&self, actor: &Actor, id: Id) -> Result<TicketAttachments> {
        let (a, _) = self.reachable(actor, id).await?;
        Ok(if actor.is_customer() {
            TicketAttachments::Customer(CustomerAttachment::project(&a).into_iter().collect())
        } else {
            TicketAttachments::Staff(vec![a])
        })
    }

    /// The bytes of an attachment for `actor`: staff get the original; a customer contact
    /// gets a photo's re-encoded copy (no EXIF time or place).
    pub async fn attachment_content(&self, actor: &Actor, id: Id, variant: Variant) -> Result<Download> {
        let (a, _) = self.reachable(actor, id).await?;
        let (blob, content_type, inline) = match variant {
            Variant::Thumbnail => match &a.thumb_sha256 {
                Some(t) => (t.clone(), "image/jpeg".to_owned(), true),
                None => return Err(AppError::not_found("attachment", id)),
            },
            Variant::File if actor.is_customer() && a.customer_sha256.is_some() => (
                a.customer_sha256.clone().unwrap_or_default(),
                a.customer_type.clone().unwrap_or_else(|| "image/jpeg".into()),
                a.inline(),
            ),
            Variant::File => (a.sha256.clone(), a.content_type.clone(), a.inline()),
        };
        let blob = BlobId::parse(&blob).ok_or_else(|| AppError::internal("reading a file", "malformed blob id"))?;
        let files = self.files()?;
        let head = files.head(&blob).await.map_err(|e| AppError::internal("reading a file", e))?;
        let content = files.get(&blob).await.map_err(|e| AppError::internal("reading a file", e))?;
        let ext = match content_type.as_str() {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            _ => rules::detect_ext(&a.content_type),
        };
        Ok(Download {
            file_name: rules::download_name(&a.file_name, ext),
            content_type,
            inline,
            size: head.size,
            content,
        })
    }

    /// Whether `t` has the photos its kind of service asks for before it is resolved.
    pub(crate) async fn check_evidence<C: Conn>(&self, conn: &C, t: &Ticket) -> Result<()> {
        let Some(rule) = store::rule_of(conn, t.kind).await? else { return Ok(()) };
        let all = store::of_ticket(conn, t.id).await?;
        let refs: Vec<&Attachment> = all.iter().collect();
        rule.missing(&refs).map_err(refused)
    }

    /// Every kind of service's evidence rule (a kind without one asks for nothing).
    pub async fn evidence_rules(&self, actor: &Actor) -> Result<Vec<EvidenceRule>> {
        actor.require_staff(Action::ReadTicket)?;
        Ok(store::rules(self.store.read()).await?)
    }

    /// Sets a kind of service's evidence rule (zeros: no rule).
    pub async fn put_evidence_rule(&self, actor: &Actor, rule: &EvidenceRule) -> Result<Vec<EvidenceRule>> {
        actor.require_staff(Action::ManageCatalog)?;
        rule.check()?;
        let tx = self.store.write().await?;
        store::put_rule(&*tx, rule, self.now()).await?;
        tx.commit().await?;
        Ok(store::rules(self.store.read()).await?)
    }
}
