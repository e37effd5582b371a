//! Evidence attachments (issue 14; DOMAIN §2 "evidence attachments (photos, video …)"):
//! what kinds of file are taken, judged by their content (magic bytes), never by their
//! name; how large each kind may be; the file name kept (cleaned); and the evidence rule of
//! a kind of service (before/after photos checked before the resolve step).
//!
//! SVG, HTML and anything else that a browser could run are never taken: an image is a
//! JPEG, PNG or WebP by its first bytes, and a document is a PDF, an Office file or plain
//! text without markup.

use serde::{Deserialize, Serialize};

use crate::audience::Visibility;
use crate::coded_enum;
use crate::error::{DomainError, Reason};
use crate::lang::Lang;
use crate::role::Role;
use crate::ticket::Kind;
use crate::{Id, Timestamp};

coded_enum! {
    /// What a file is, by its content.
    pub enum FileKind {
        Image = ("image", "图片", "Image"),
        Video = ("video", "视频", "Video"),
        Document = ("document", "文档", "Document"),
    }
}

coded_enum! {
    /// What a photo shows, for the evidence rule (ERPNext #57152: before/after photos).
    pub enum EvidenceTag {
        Before = ("before", "处理前", "Before"),
        After = ("after", "处理后", "After"),
        Other = ("other", "其他", "Other"),
    }
}

/// How many leading bytes are read to judge a file's type (an Office file names its parts
/// in the first entries of its zip directory).
pub const SNIFF_LEN: usize = 64 * 1024;

/// An image larger than this many pixels is refused before it is decoded (a
/// decompression bomb: a few kilobytes that decode to gigabytes).
pub const MAX_PIXELS: u64 = 100_000_000;
/// Nor may either side be longer than this.
pub const MAX_SIDE: u32 = 20_000;
/// The longest side of a photo's customer copy, in pixels (the original is kept whole).
pub const CUSTOMER_SIDE: u32 = 1600;
/// The longest file name kept, in characters.
pub const MAX_NAME: usize = 120;
/// The longest idempotency key taken.
pub const MAX_KEY: usize = 100;

/// Size limits per kind, in bytes (settings `attachment_*_mb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub image: u64,
    pub video: u64,
    pub document: u64,
}

const MB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits { image: 20 * MB, video: 200 * MB, document: 50 * MB }
    }
}

impl Limits {
    /// From megabytes (the settings' unit).
    pub fn from_mb(image: u64, video: u64, document: u64) -> Limits {
        Limits { image: image * MB, video: video * MB, document: document * MB }
    }

    pub fn of(&self, kind: FileKind) -> u64 {
        match kind {
            FileKind::Image => self.image,
            FileKind::Video => self.video,
            FileKind::Document => self.document,
        }
    }

    /// The largest of the limits: no upload is read further than this.
    pub fn largest(&self) -> u64 {
        self.image.max(self.video).max(self.document)
    }
}

/// A file's type as its content shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    pub kind: FileKind,
    /// The content type it is served with.
    pub mime: &'static str,
    /// The file name extension that goes with it (without the dot).
    pub ext: &'static str,
}

/// The types taken, by the content type `infer` names.
const TAKEN: [(&str, FileKind, &str); 15] = [
    ("image/jpeg", FileKind::Image, "jpg"),
    ("image/png", FileKind::Image, "png"),
    ("image/webp", FileKind::Image, "webp"),
    ("video/mp4", FileKind::Video, "mp4"),
    ("video/quicktime", FileKind::Video, "mov"),
    ("video/webm", FileKind::Video, "webm"),
    ("video/x-m4v", FileKind::Video, "m4v"),
    ("video/3gpp", FileKind::Video, "3gp"),
    ("application/pdf", FileKind::Document, "pdf"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", FileKind::Document, "docx"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", FileKind::Document, "xlsx"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", FileKind::Document, "pptx"),
    ("application/msword", FileKind::Document, "doc"),
    ("application/vnd.ms-excel", FileKind::Document, "xls"),
    ("application/vnd.ms-powerpoint", FileKind::Document, "ppt"),
];

/// Plain text (a log or a CSV an instrument wrote).
const TEXT: Detected = Detected { kind: FileKind::Document, mime: "text/plain; charset=utf-8", ext: "txt" };

/// Markup a browser would render or run: never taken as text.
const MARKUP: [&str; 9] = ["<svg", "<html", "<script", "<!doctype", "<?xml", "<body", "<iframe", "<head", "<object"];

/// Judges a file by its first bytes (at least [`SNIFF_LEN`] of them, or all there is).
pub fn detect(head: &[u8]) -> Result<Detected, AttachmentProblem> {
    if head.is_empty() {
        return Err(AttachmentProblem::Empty);
    }
    if let Some(t) = infer::get(head) {
        let mime = t.mime_type();
        if let Some((mime, kind, ext)) = TAKEN.iter().find(|(m, _, _)| *m == mime) {
            return Ok(Detected { kind: *kind, mime, ext });
        }
        if matches!(mime, "image/heif" | "image/heic" | "image/avif") {
            return Err(AttachmentProblem::Heic);
        }
        return Err(AttachmentProblem::Unsupported { found: Some(t.extension().to_owned()) });
    }
    if is_plain_text(head) {
        return Ok(TEXT);
    }
    Err(AttachmentProblem::Unsupported { found: None })
}

/// UTF-8 (a character cut at the end of the sample is fine) with no control character but
/// tab and line breaks, and no markup.
fn is_plain_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(t) => t,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}')) {
        return false;
    }
    let lower = text.to_lowercase();
    !MARKUP.iter().any(|m| lower.contains(m))
}

/// The file name extension of a content type taken (`bin` for any other).
pub fn detect_ext(mime: &str) -> &'static str {
    if mime.starts_with("text/plain") {
        return "txt";
    }
    TAKEN.iter().find(|(m, _, _)| *m == mime).map_or("bin", |(_, _, e)| e)
}

/// Whether an image of `width` × `height` may be decoded.
pub fn check_dimensions(width: u32, height: u32) -> Result<(), AttachmentProblem> {
    if width == 0 || height == 0 {
        return Err(AttachmentProblem::Unreadable);
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(AttachmentProblem::TooManyPixels { width, height });
    }
    Ok(())
}

/// The file name kept: the last part of what the device sent (no folders), trimmed and
/// shortened; a control character is refused (field `file`); an empty one is `file`.
pub fn clean_name(raw: &str) -> Result<String, DomainError> {
    if let Some(found) = crate::text::forbidden_in_line(raw) {
        return Err(DomainError::field("file", Reason::ControlCharacter { found }));
    }
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let name: String = last.chars().filter(|c| !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':')).collect();
    let name = name.trim_start_matches('.').trim();
    let name = if name.is_empty() { "file".to_owned() } else { name.chars().take(MAX_NAME).collect() };
    Ok(name)
}

/// The name a download is saved under: the kept name, with the extension of what the file
/// really is when the name says otherwise (a PDF sent as `photo.jpg` is saved as
/// `photo.jpg.pdf`).
pub fn download_name(name: &str, ext: &str) -> String {
    let has = name
        .rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case(ext) || (ext == "jpg" && e.eq_ignore_ascii_case("jpeg")));
    if has { name.to_owned() } else { format!("{name}.{ext}") }
}

/// An idempotency key: printable ASCII, at most [`MAX_KEY`] characters.
pub fn check_key(key: &str) -> Result<(), DomainError> {
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DomainError::field(
            "idempotency_key",
            Reason::Malformed {
                expected_en: "1 to 100 printable ASCII characters",
                expected_zh: "1 至 100 个可打印 ASCII 字符",
            },
        ));
    }
    Ok(())
}

/// Where a photo was taken, from its EXIF data (degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
}

/// A stored attachment (the staff's view: with the photo's EXIF time and place).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: Id,
    pub ticket_id: Id,
    /// The work log entry it belongs to, if any.
    pub log_id: Option<Id>,
    /// SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
    /// The content type, by content.
    pub content_type: String,
    /// The file name as sent (folders dropped, cleaned).
    pub file_name: String,
    pub visibility: Visibility,
    pub tag: EvidenceTag,
    pub uploaded_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub uploaded_at: Timestamp,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// When the photo was taken, by its EXIF data (camera clock, no time zone): evidence.
    pub taken_at: Option<String>,
    /// Where the photo was taken, by its EXIF data: evidence, never shown to the customer.
    pub gps: Option<Gps>,
    #[serde(skip)]
    pub thumb_sha256: Option<String>,
    /// The copy a customer downloads: re-encoded, without EXIF.
    #[serde(skip)]
    pub customer_sha256: Option<String>,
    #[serde(skip)]
    pub customer_type: Option<String>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    /// Withdrawn: left out of the ticket's lists and downloads, kept for audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
}

/// Who withdrew a file, when and why (the file and its record are kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Withdrawal {
    pub by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub reason: String,
}

/// The longest reason for a withdrawal, in characters.
pub const MAX_REASON: usize = 1000;

/// Whether `role` may withdraw any file (not only their own): supervisors and administrators.
pub fn withdraws_any(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

impl Attachment {
    /// Whether the person `by` with `role` may withdraw this file: its uploader (staff) or a
    /// supervisor or administrator; never a customer contact.
    pub fn may_withdraw(&self, by: Id, role: Role) -> bool {
        role != Role::CustomerContact && (self.uploaded_by == by || withdraws_any(role))
    }

    /// Withdraws the file (evidence never silently vanishes: the record and the content are
    /// kept): refused to anyone but its uploader or a supervisor or administrator, without a
    /// reason, when already withdrawn, or when a signed service report shows it (the signed
    /// report keeps it).
    pub fn withdraw(
        &mut self,
        by: Id,
        role: Role,
        at: Timestamp,
        reason: &str,
        in_signed_report: bool,
    ) -> Result<(), DomainError> {
        if !self.may_withdraw(by, role) {
            return Err(AttachmentProblem::NotYours.into());
        }
        if self.withdrawal.is_some() {
            return Err(AttachmentProblem::AlreadyWithdrawn.into());
        }
        if in_signed_report {
            return Err(AttachmentProblem::InSignedReport.into());
        }
        let mut p = Vec::new();
        let reason = crate::error::text(&mut p, "reason", Some(reason), MAX_REASON, true);
        let Some(reason) = reason else { return Err(DomainError::Invalid(p)) };
        self.withdrawal = Some(Withdrawal { by, at, reason });
        Ok(())
    }

    /// Shown inline (an image); everything else is a download.
    pub fn inline(&self) -> bool {
        self.kind == FileKind::Image
    }

    pub fn has_thumbnail(&self) -> bool {
        self.thumb_sha256.is_some()
    }
}

/// What a customer contact reads of an attachment: no EXIF time or place, no uploader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerAttachment {
    pub id: Id,
    pub ticket_id: Id,
    /// The work log entry it belongs to (always one the customer reads: a file on an
    /// internal entry is never customer-visible).
    pub log_id: Option<Id>,
    pub size: u64,
    pub kind: FileKind,
    pub content_type: String,
    pub file_name: String,
    pub tag: EvidenceTag,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub uploaded_at: Timestamp,
    pub has_thumbnail: bool,
}

impl CustomerAttachment {
    /// The customer's projection of `a`, when `a` is theirs to see.
    pub fn project(a: &Attachment) -> Option<CustomerAttachment> {
        (a.visibility == Visibility::Customer && a.withdrawal.is_none()).then(|| CustomerAttachment {
            id: a.id,
            ticket_id: a.ticket_id,
            log_id: a.log_id,
            size: a.size,
            kind: a.kind,
            content_type: a.customer_type.clone().unwrap_or_else(|| a.content_type.clone()),
            file_name: a.file_name.clone(),
            tag: a.tag,
            uploaded_at: a.uploaded_at,
            has_thumbnail: a.has_thumbnail(),
        })
    }
}

/// A kind of service's evidence minimum (photos tagged before / after), checked before
/// the resolve step; none by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRule {
    pub kind: Kind,
    /// Photos tagged "before" needed.
    pub before: u32,
    /// Photos tagged "after" needed.
    pub after: u32,
}

/// The most photos a rule may ask for of each tag.
pub const MAX_RULE: u32 = 20;

impl EvidenceRule {
    /// The rule's numbers, refused beyond [`MAX_RULE`].
    pub fn check(&self) -> Result<(), DomainError> {
        let mut p = Vec::new();
        for (field, n) in [("before", self.before), ("after", self.after)] {
            if n > MAX_RULE {
                p.push((
                    field,
                    Reason::Malformed { expected_en: "a number from 0 to 20", expected_zh: "0 至 20 的整数" },
                ));
            }
        }
        if p.is_empty() { Ok(()) } else { Err(DomainError::Invalid(p)) }
    }

    /// Whether the photos of a ticket meet the rule: what is missing otherwise.
    pub fn missing(&self, photos: &[&Attachment]) -> Result<(), AttachmentProblem> {
        let count = |tag| {
            photos.iter().filter(|a| a.kind == FileKind::Image && a.tag == tag && a.withdrawal.is_none()).count() as u32
        };
        let before = self.before.saturating_sub(count(EvidenceTag::Before));
        let after = self.after.saturating_sub(count(EvidenceTag::After));
        if before == 0 && after == 0 { Ok(()) } else { Err(AttachmentProblem::EvidenceMissing { before, after }) }
    }
}

/// A refused upload or a step refused for want of evidence (each names the problem and
/// what to do instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachmentProblem {
    Empty,
    /// HEIC/HEIF (an iPhone's default) or AVIF: not decodable here.
    Heic,
    /// Not one of the kinds taken (`found`: what it looks like, when known).
    Unsupported {
        found: Option<String>,
    },
    /// Larger than the limit of its kind.
    TooLarge {
        kind: FileKind,
        limit: u64,
    },
    /// An image whose size in pixels could be a decompression bomb.
    TooManyPixels {
        width: u32,
        height: u32,
    },
    /// Cut short or damaged: the content does not decode as what it starts as.
    Unreadable,
    /// The upload broke off before the end.
    Interrupted,
    /// Resolving without the photos the kind of service asks for (counts still missing).
    EvidenceMissing {
        before: u32,
        after: u32,
    },
    /// Withdrawing a file by someone who neither uploaded it nor supervises.
    NotYours,
    /// Withdrawing a file already withdrawn.
    AlreadyWithdrawn,
    /// Withdrawing a file a signed service report shows.
    InSignedReport,
}

impl AttachmentProblem {
    pub fn code(&self) -> &'static str {
        match self {
            AttachmentProblem::Empty => "file_empty",
            AttachmentProblem::Heic => "file_heic",
            AttachmentProblem::Unsupported { .. } => "file_type_unsupported",
            AttachmentProblem::TooLarge { .. } => "file_too_large",
            AttachmentProblem::TooManyPixels { .. } => "image_too_many_pixels",
            AttachmentProblem::Unreadable => "file_unreadable",
            AttachmentProblem::Interrupted => "upload_interrupted",
            AttachmentProblem::EvidenceMissing { .. } => "evidence_missing",
            AttachmentProblem::NotYours => "attachment_not_yours",
            AttachmentProblem::AlreadyWithdrawn => "attachment_withdrawn",
            AttachmentProblem::InSignedReport => "attachment_in_signed_report",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AttachmentProblem::Heic | AttachmentProblem::Unsupported { .. } => 415,
            AttachmentProblem::TooLarge { .. } => 413,
            AttachmentProblem::EvidenceMissing { .. }
            | AttachmentProblem::AlreadyWithdrawn
            | AttachmentProblem::InSignedReport => 409,
            AttachmentProblem::NotYours => 403,
            AttachmentProblem::Interrupted => 400,
            _ => 422,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        const SEND: (&str, &str) = (
            "Send a JPEG, PNG or WebP photo, an MP4, MOV or WebM video, or a PDF, Word, Excel or text document",
            "请上传 JPEG、PNG 或 WebP 照片，MP4、MOV 或 WebM 视频，或 PDF、Word、Excel、文本文档",
        );
        let zh = lang == Lang::Zh;
        match self {
            AttachmentProblem::Empty if zh => "文件是空的，请重新选择".into(),
            AttachmentProblem::Empty => "The file is empty; choose it again".into(),
            AttachmentProblem::Heic if zh => {
                "不支持 HEIC/HEIF 格式的照片。请上传 JPEG 或 PNG（iPhone：设置 → 相机 → 格式 → 兼容性最佳）".into()
            }
            AttachmentProblem::Heic => {
                "HEIC/HEIF photos are not accepted. Send a JPEG or PNG (iPhone: Settings → Camera → Formats → Most Compatible)".into()
            }
            AttachmentProblem::Unsupported { found: Some(f) } if zh => format!("不支持此类文件（{f}）。{}", SEND.1),
            AttachmentProblem::Unsupported { found: Some(f) } => format!("This kind of file ({f}) is not accepted. {}", SEND.0),
            AttachmentProblem::Unsupported { found: None } if zh => format!("无法识别的文件类型。{}", SEND.1),
            AttachmentProblem::Unsupported { found: None } => format!("The type of this file is not recognized. {}", SEND.0),
            AttachmentProblem::TooLarge { kind, limit } if zh => {
                format!("{}不能超过 {} MB，未保存", kind.label(lang), limit / MB)
            }
            AttachmentProblem::TooLarge { kind, limit } => {
                format!("{} files may be at most {} MB; nothing was kept", kind.label(lang), limit / MB)
            }
            AttachmentProblem::TooManyPixels { width, height } if zh => {
                format!("图片尺寸过大（{width} × {height} 像素），请缩小后再上传")
            }
            AttachmentProblem::TooManyPixels { width, height } => {
                format!("The image is too large ({width} × {height} pixels); scale it down and send it again")
            }
            AttachmentProblem::Unreadable if zh => "文件已损坏或不完整，无法读取，请重新上传".into(),
            AttachmentProblem::Unreadable => "The file is damaged or incomplete and cannot be read; send it again".into(),
            AttachmentProblem::Interrupted if zh => "上传中断，未保存，请重试".into(),
            AttachmentProblem::Interrupted => "The upload broke off; nothing was kept. Retry".into(),
            AttachmentProblem::EvidenceMissing { before, after } if zh => {
                let mut need = Vec::new();
                if *before > 0 {
                    need.push(format!("{before} 张“处理前”照片"));
                }
                if *after > 0 {
                    need.push(format!("{after} 张“处理后”照片"));
                }
                format!("此类服务解决前须上传现场照片：还缺 {}", need.join("、"))
            }
            AttachmentProblem::EvidenceMissing { before, after } => {
                let mut need = Vec::new();
                if *before > 0 {
                    need.push(format!("{before} \"before\" photo(s)"));
                }
                if *after > 0 {
                    need.push(format!("{after} \"after\" photo(s)"));
                }
                format!("This kind of service needs photos before it is resolved: missing {}", need.join(" and "))
            }
            AttachmentProblem::NotYours if zh => "只有上传人、服务主管或管理员可以撤回此文件".into(),
            AttachmentProblem::NotYours => {
                "Only the person who uploaded this file, a supervisor or an administrator may withdraw it".into()
            }
            AttachmentProblem::AlreadyWithdrawn if zh => "此文件已被撤回".into(),
            AttachmentProblem::AlreadyWithdrawn => "This file has already been withdrawn".into(),
            AttachmentProblem::InSignedReport if zh => {
                "此照片已放入客户签字的服务报告，不能撤回：签字报告保留该照片".into()
            }
            AttachmentProblem::InSignedReport => {
                "This photo is in a service report the customer signed and cannot be withdrawn: the signed report keeps it".into()
            }
        }
    }
}

impl From<AttachmentProblem> for DomainError {
    fn from(p: AttachmentProblem) -> Self {
        DomainError::Conflict(crate::error::Conflict::Attachment(p))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";

    #[test]
    fn a_file_is_judged_by_its_content() {
        assert_eq!(detect(JPEG).unwrap().mime, "image/jpeg");
        assert_eq!(detect(PDF).unwrap().kind, FileKind::Document);
        assert_eq!(detect(b"E02 paper jam at 10:02\r\nE03\n").unwrap().ext, "txt");
        assert_eq!(detect(b""), Err(AttachmentProblem::Empty));
        assert!(matches!(detect(b"MZ\x90\0\x03\0\0\0"), Err(AttachmentProblem::Unsupported { .. })));
    }

    #[test]
    fn svg_html_and_heic_are_refused() {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        assert!(matches!(detect(svg), Err(AttachmentProblem::Unsupported { .. })));
        assert!(matches!(detect(b"<!DOCTYPE html><html></html>"), Err(AttachmentProblem::Unsupported { .. })));
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(detect(heic), Err(AttachmentProblem::Heic));
    }

    #[test]
    fn names_lose_folders_and_keep_their_words() {
        assert_eq!(clean_name("C:\\fakepath\\现场照片 1.jpg").unwrap(), "现场照片 1.jpg");
        assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_name("").unwrap(), "file");
        assert!(clean_name("a\u{7}.jpg").is_err());
        assert_eq!(download_name("photo.jpg", "pdf"), "photo.jpg.pdf");
        assert_eq!(download_name("photo.JPEG", "jpg"), "photo.JPEG");
    }

    fn photo(by: Id) -> Attachment {
        Attachment {
            id: 1,
            ticket_id: 1,
            log_id: None,
            sha256: "0".repeat(64),
            size: 10,
            kind: FileKind::Image,
            content_type: "image/jpeg".into(),
            file_name: "a.jpg".into(),
            visibility: Visibility::Customer,
            tag: EvidenceTag::Before,
            uploaded_by: by,
            uploaded_at: "2026-12-07T01:00:00Z".parse().unwrap(),
            width: None,
            height: None,
            taken_at: None,
            gps: None,
            thumb_sha256: None,
            customer_sha256: None,
            customer_type: None,
            idempotency_key: None,
            withdrawal: None,
        }
    }

    #[test]
    fn a_withdrawal_needs_the_uploader_or_a_supervisor_a_reason_and_no_signed_report() {
        let at = "2026-12-07T02:00:00Z".parse().unwrap();
        let mut a = photo(7);
        let refused = |r: Result<(), DomainError>| r.unwrap_err().code();
        assert_eq!(refused(a.withdraw(8, Role::DeskAgent, at, "wrong ticket", false)), "attachment_not_yours");
        assert_eq!(refused(a.withdraw(7, Role::CustomerContact, at, "x", false)), "attachment_not_yours");
        assert_eq!(refused(a.withdraw(7, Role::DeskAgent, at, "  ", false)), "invalid_input");
        assert_eq!(refused(a.withdraw(9, Role::Supervisor, at, "x", true)), "attachment_in_signed_report");
        a.withdraw(9, Role::Supervisor, at, " 传错工单 ", false).unwrap();
        assert_eq!(a.withdrawal.as_ref().map(|w| (w.by, w.reason.as_str())), Some((9, "传错工单")));
        assert_eq!(refused(a.withdraw(7, Role::DeskAgent, at, "again", false)), "attachment_withdrawn");
        // Gone from the customer's view and from the evidence count.
        assert!(CustomerAttachment::project(&a).is_none());
        let rule = EvidenceRule { kind: Kind::Fault, before: 1, after: 0 };
        assert!(rule.missing(&[&a]).is_err());
        assert!(rule.missing(&[&photo(7)]).is_ok());
    }

    #[test]
    fn bombs_are_refused_by_their_header() {
        assert!(check_dimensions(4000, 3000).is_ok());
        assert!(check_dimensions(50_000, 50_000).is_err());
        assert!(check_dimensions(0, 10).is_err());
    }
}
