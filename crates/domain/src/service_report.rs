//! The service report (服务报告, DOMAIN §2, seed 000, issue 14): what was done on a ticket,
//! assembled from it, which the customer signs as the acceptance sign-off (seed 003 验收).
//!
//! A report has versions. The newest version awaiting a signature may have its chosen
//! photos changed; once signed or refused a version never changes (its PDF is kept by its
//! SHA-256), and a correction is a new version beside it. Each version is signed at most
//! once: the second signature is refused, not recorded over the first.

use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{DomainError, Reason};
use crate::lang::Lang;
use crate::ticket::{Status, Ticket};
use crate::{Id, Timestamp};

coded_enum! {
    /// Where a version stands.
    pub enum ReportStatus {
        Draft = ("draft", "待签字", "Awaiting signature"),
        Signed = ("signed", "已签字", "Signed"),
        Refused = ("refused", "客户拒签", "Refused by the customer"),
    }
}

coded_enum! {
    /// Who signed, in relation to the device (the seeds' words).
    pub enum SignerRelationship {
        DeviceOwner = ("device_owner", "设备负责人", "Person responsible for the device"),
        Operator = ("operator", "操作员", "Operator"),
        Window = ("window", "客户窗口", "Customer's window"),
        Other = ("other", "其他", "Other"),
    }
}

coded_enum! {
    /// Where the signature was given.
    pub enum SignChannel {
        /// On the engineer's phone, on site.
        OnSite = ("on_site", "现场签字", "On site"),
        /// In the customer portal.
        Portal = ("portal", "客户门户", "Customer portal"),
        /// Through the signed link of the report's e-mail.
        Link = ("link", "邮件链接", "E-mail link"),
    }
}

/// The largest signature image accepted (a 360 px canvas drawn at 2× is well under it).
pub const MAX_SIGNATURE_BYTES: usize = 128 * 1024;
/// The largest signature image in pixels each way (a decompression bomb is refused).
pub const MAX_SIGNATURE_SIDE: u32 = 4000;
/// The most photos one report may place.
pub const MAX_PHOTOS: usize = 12;
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// One version of a ticket's service report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceReport {
    pub id: Id,
    pub ticket_id: Id,
    /// 1, 2, …: a correction is a new version, the old ones kept.
    pub version: i32,
    pub status: ReportStatus,
    /// The attachments (photos) the engineer chose to print, by id, in order.
    pub photo_ids: Vec<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub created_by: Id,
    pub signer_name: Option<String>,
    pub relationship: Option<SignerRelationship>,
    pub channel: Option<SignChannel>,
    /// When the customer signed or refused.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub signed_at: Option<Timestamp>,
    /// The account that recorded it (the engineer's on site, the contact's in the portal).
    pub recorded_by: Option<Id>,
    pub refusal_reason: Option<String>,
    /// The SHA-256 of the signed PDF as kept (64 hex digits); also in the ticket's history.
    pub pdf_sha256: Option<String>,
    pub pdf_size: Option<i64>,
}

impl ServiceReport {
    /// A new version awaiting a signature.
    pub fn draft(ticket_id: Id, version: i32, photo_ids: Vec<Id>, by: Id, at: Timestamp) -> ServiceReport {
        ServiceReport {
            id: 0,
            ticket_id,
            version,
            status: ReportStatus::Draft,
            photo_ids,
            created_at: at,
            created_by: by,
            signer_name: None,
            relationship: None,
            channel: None,
            signed_at: None,
            recorded_by: None,
            refusal_reason: None,
            pdf_sha256: None,
            pdf_size: None,
        }
    }

    /// Whether this version may still be signed or refused (once, and only the newest).
    pub fn check_open(&self, newest: i32) -> Result<(), ReportProblem> {
        match self.status {
            ReportStatus::Signed => Err(ReportProblem::AlreadySigned { version: self.version }),
            ReportStatus::Refused => Err(ReportProblem::AlreadyRefused { version: self.version }),
            ReportStatus::Draft if self.version != newest => Err(ReportProblem::NotNewest { newest }),
            ReportStatus::Draft => Ok(()),
        }
    }
}

/// Whether a report may be made (or signed) on `t` now: once the work is resolved, and
/// after closure for a correction.
pub fn check_ticket(t: &Ticket) -> Result<(), ReportProblem> {
    match t.status {
        Status::Resolved | Status::Closed => Ok(()),
        status => Err(ReportProblem::TicketNotResolved { status }),
    }
}

/// Whether `user` may record a signature or a refusal on the customer's behalf (on the
/// engineer's phone, [`SignChannel::OnSite`]): only an engineer of the ticket (first or
/// second line) who is there, that is, who checked in on a visit of this ticket and has not
/// left, or left at most [`ON_SITE_GRACE`] ago (the customer often signs as the engineer
/// packs up). Anyone else, and the engineer back at the office days later, sends the report
/// for the customer to sign in the portal or through the e-mail link.
pub fn check_on_site(
    t: &Ticket,
    user: Id,
    visits: &[crate::visit::Visit],
    now: Timestamp,
) -> Result<(), ReportProblem> {
    let assigned = t.first_line_id == Some(user) || t.second_line_id == Some(user);
    let there = visits.iter().any(|v| {
        v.ticket_id == t.id
            && v.engineer_id == user
            && v.checked_in_at.is_some()
            && v.checked_out_at.is_none_or(|out| now.duration_since(out) <= ON_SITE_GRACE)
    });
    if assigned && there { Ok(()) } else { Err(ReportProblem::NotOnSite) }
}

/// How long after checking out the engineer may still record the customer's signature on
/// the phone.
pub const ON_SITE_GRACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(2);

/// Where the report is e-mailed: the contact's address. `contact` is the ticket's contact
/// name (for the refusal's words), `address` what the directory has for them.
pub fn check_recipient(contact: Option<(&str, bool)>, address: Option<&str>) -> Result<(), ReportProblem> {
    match (contact, address.map(str::trim).filter(|a| !a.is_empty())) {
        (None, _) => Err(ReportProblem::NoContact),
        (Some((name, true)), _) => Err(ReportProblem::ContactLeft { contact: name.to_owned() }),
        (Some((name, false)), None) => Err(ReportProblem::NoContactEmail { contact: name.to_owned() }),
        (Some(_), Some(_)) => Ok(()),
    }
}

/// A photo a version places: a photo of this ticket that is shared with the customer (the
/// report is the customer's document, so it shows nothing they may not see), printed from
/// its customer copy (no EXIF time or place).
pub fn check_photo(a: &crate::attachment::Attachment, ticket: Id) -> Result<(), DomainError> {
    let detail = if a.ticket_id != ticket {
        Some(("is not a photo of this ticket", "不是本工单的照片"))
    } else if a.kind != crate::attachment::FileKind::Image || a.customer_sha256.is_none() {
        Some(("is not a photo (only photos are printed in the report)", "不是照片（报告只能放入照片）"))
    } else if a.withdrawal.is_some() {
        Some(("was withdrawn", "已被撤回"))
    } else if a.visibility != crate::audience::Visibility::Customer {
        Some((
            "is internal: only a photo uploaded as visible to the customer can go into their report",
            "仅内部可见：只有上传时设为客户可见的照片才能放入客户的服务报告",
        ))
    } else {
        None
    };
    match detail {
        Some((detail_en, detail_zh)) => Err(DomainError::field("photo_ids", Reason::Mismatch { detail_en, detail_zh })),
        None => Ok(()),
    }
}

/// The photos a version places: at most [`MAX_PHOTOS`], each once, in the order chosen.
pub fn check_photos(ids: &[Id]) -> Result<Vec<Id>, DomainError> {
    if ids.len() > MAX_PHOTOS {
        return Err(DomainError::field("photo_ids", Reason::TooLong { max: MAX_PHOTOS }));
    }
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        if id <= 0 {
            return Err(DomainError::field("photo_ids", Reason::Unknown));
        }
        if out.contains(&id) {
            return Err(DomainError::field("photo_ids", Reason::Duplicate));
        }
        out.push(id);
    }
    Ok(out)
}

/// A signature as given: who, in what relation, and the drawn image (PNG).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub signer_name: String,
    pub relationship: SignerRelationship,
    pub image: Vec<u8>,
}

/// Checks a signature before anything is stored: a name on one line (no control
/// character), a relationship, and a PNG image that is not empty and not too big. Whether
/// anything was drawn on it is for the caller that decodes it ([`blank_signature`]).
pub fn check_signature(
    signer_name: Option<&str>,
    relationship: Option<SignerRelationship>,
    image: &[u8],
) -> Result<Signature, DomainError> {
    let name = signer_name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(DomainError::field("signer_name", Reason::Missing));
    }
    if let Some(found) = crate::text::forbidden_in_line(name) {
        return Err(DomainError::field("signer_name", Reason::ControlCharacter { found }));
    }
    if name.chars().count() > 64 {
        return Err(DomainError::field("signer_name", Reason::TooLong { max: 64 }));
    }
    let relationship = relationship.ok_or_else(|| DomainError::field("relationship", Reason::Missing))?;
    if image.is_empty() {
        return Err(DomainError::field("signature", Reason::Missing));
    }
    if image.len() > MAX_SIGNATURE_BYTES {
        return Err(DomainError::field("signature", too_big()));
    }
    if !image.starts_with(PNG_MAGIC) {
        return Err(DomainError::field("signature", not_png()));
    }
    Ok(Signature { signer_name: name.to_owned(), relationship, image: image.to_vec() })
}

/// The field problem of a signature image that decodes to nothing drawn.
pub fn blank_signature() -> DomainError {
    DomainError::field(
        "signature",
        Reason::Mismatch {
            detail_en: "nothing was drawn: sign in the box", detail_zh: "签名为空，请在签名框内签字"
        },
    )
}

/// The field problem of a signature image that is not a readable PNG.
pub fn not_png() -> Reason {
    Reason::Malformed { expected_en: "a PNG image of the signature", expected_zh: "PNG 格式的签名图片" }
}

fn too_big() -> Reason {
    Reason::Mismatch {
        detail_en: "the signature image is too large (128 KB at most)",
        detail_zh: "签名图片过大（不超过 128 KB）",
    }
}

/// The reason a customer gives for not signing.
pub fn check_refusal(reason: Option<&str>) -> Result<String, DomainError> {
    let r = reason.map(str::trim).unwrap_or_default();
    if r.is_empty() {
        return Err(DomainError::field("reason", Reason::Missing));
    }
    if let Some(found) = crate::text::forbidden_in_text(r) {
        return Err(DomainError::field("reason", Reason::ControlCharacter { found }));
    }
    if r.chars().count() > 1000 {
        return Err(DomainError::field("reason", Reason::TooLong { max: 1000 }));
    }
    Ok(r.to_owned())
}

/// Why a report step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportProblem {
    /// A second signature on a signed version.
    AlreadySigned {
        version: i32,
    },
    AlreadyRefused {
        version: i32,
    },
    /// Only the newest version is signed; an older draft was corrected.
    NotNewest {
        newest: i32,
    },
    /// The report is signed once the work is resolved.
    TicketNotResolved {
        status: Status,
    },
    /// A signature (or refusal) recorded on the engineer's phone by someone who is not the
    /// ticket's engineer checked in on site.
    NotOnSite,
    /// The ticket names no contact to send the report to.
    NoContact,
    /// The ticket's contact has left the customer.
    ContactLeft {
        contact: String,
    },
    /// The contact has no e-mail address to send the report to.
    NoContactEmail {
        contact: String,
    },
    /// E-mail is not configured, or the notice that carries the report is switched off or
    /// not e-mailed in the notice routes.
    MailOff,
    /// The ticket kept changing while the signed PDF was made.
    ChangedMeanwhile,
}

impl ReportProblem {
    pub fn code(&self) -> &'static str {
        match self {
            ReportProblem::AlreadySigned { .. } => "report_already_signed",
            ReportProblem::AlreadyRefused { .. } => "report_already_refused",
            ReportProblem::NotNewest { .. } => "report_not_newest",
            ReportProblem::TicketNotResolved { .. } => "report_ticket_not_resolved",
            ReportProblem::NotOnSite => "report_not_on_site",
            ReportProblem::NoContact => "report_no_contact",
            ReportProblem::ContactLeft { .. } => "report_contact_left",
            ReportProblem::NoContactEmail { .. } => "report_no_contact_email",
            ReportProblem::MailOff => "report_mail_off",
            ReportProblem::ChangedMeanwhile => "report_changed_meanwhile",
        }
    }

    pub fn status(&self) -> u16 {
        409
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ReportProblem::AlreadySigned { version }, Lang::Zh) => {
                format!("第 {version} 版服务报告已签字，不能再次签字；如需更正，请生成新版本")
            }
            (ReportProblem::AlreadySigned { version }, Lang::En) => {
                format!("Version {version} of the service report is signed already; a correction is a new version")
            }
            (ReportProblem::AlreadyRefused { version }, Lang::Zh) => {
                format!("客户已拒签第 {version} 版服务报告；如需重新签字，请生成新版本")
            }
            (ReportProblem::AlreadyRefused { version }, Lang::En) => {
                format!("Version {version} of the service report was refused; make a new version to sign again")
            }
            (ReportProblem::NotNewest { newest }, Lang::Zh) => {
                format!("该版本已被更正，请签署最新的第 {newest} 版")
            }
            (ReportProblem::NotNewest { newest }, Lang::En) => {
                format!("This version was corrected; sign the newest one (version {newest})")
            }
            (ReportProblem::TicketNotResolved { status }, Lang::Zh) => {
                format!("工单当前为「{}」，解决后才能生成和签署服务报告", status.label(Lang::Zh))
            }
            (ReportProblem::TicketNotResolved { status }, Lang::En) => format!(
                "The ticket is {}; the service report is made and signed once it is resolved",
                status.label(Lang::En).to_lowercase()
            ),
            (ReportProblem::NotOnSite, Lang::Zh) => "只有已在现场签到（或离场不超过 2 小时）的本工单工程师可以在手机上记录客户签字或拒签；请将服务报告发送给客户，由客户在客户门户或通过邮件链接签字".into(),
            (ReportProblem::NotOnSite, Lang::En) => "Only the ticket's engineer checked in on site (or checked out at most 2 hours ago) records the customer's signature or refusal on the phone; send the report to the customer to sign in the portal or by e-mail".into(),
            (ReportProblem::NoContact, Lang::Zh) => "工单没有报修联系人，无法发送服务报告".into(),
            (ReportProblem::NoContact, Lang::En) => "The ticket names no contact to send the service report to".into(),
            (ReportProblem::ContactLeft { contact }, Lang::Zh) => format!("联系人「{contact}」已离职，无法发送服务报告；请先更换工单联系人"),
            (ReportProblem::ContactLeft { contact }, Lang::En) => format!("The contact {contact} has left the customer; change the ticket's contact before sending the service report"),
            (ReportProblem::NoContactEmail { contact }, Lang::Zh) => format!("联系人「{contact}」没有电子邮箱，无法发送服务报告；请先在客户资料中填写该联系人的电子邮箱"),
            (ReportProblem::NoContactEmail { contact }, Lang::En) => format!("The contact {contact} has no e-mail address: add it to the contact in the directory before sending the service report"),
            (ReportProblem::MailOff, Lang::Zh) => "邮件未配置，或通知设置中「服务报告待签字」未启用邮件，无法发送服务报告；请联系管理员".into(),
            (ReportProblem::MailOff, Lang::En) => "E-mail is not configured, or the notice \"service report to sign\" is off or not e-mailed in the notice settings; ask an administrator".into(),
            (ReportProblem::ChangedMeanwhile, Lang::Zh) => "签字期间工单一直在变化，未能生成签字版报告；请稍后重新提交".into(),
            (ReportProblem::ChangedMeanwhile, Lang::En) => "The ticket kept changing while the signed report was made; submit again in a moment".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\nrest";

    #[test]
    fn on_site_means_checked_in_and_not_gone_for_long() {
        let at = |s: &str| -> Timestamp { s.parse().expect("instant") };
        let mut t = crate::ticket::tests_support::ticket();
        t.id = 5;
        t.first_line_id = Some(20);
        let mut v = crate::visit::Visit {
            id: 1,
            ticket_id: 5,
            ticket_number: "20240315-001".into(),
            engineer_id: 20,
            window_start: at("2024-03-15T01:00:00Z"),
            window_end: at("2024-03-15T03:00:00Z"),
            planned_start: at("2024-03-15T01:00:00Z"),
            duration_minutes: 60,
            travel_minutes: 30,
            address: String::new(),
            site: String::new(),
            status: crate::visit::VisitStatus::Booked,
            checked_in_at: None,
            check_in_geo: None,
            checked_out_at: None,
            check_out_geo: None,
            on_time: None,
            expected_arrival: None,
            delays: 0,
            late_notified_at: None,
            cancel_reason: None,
            version: 1,
            created_at: at("2024-03-14T01:00:00Z"),
        };
        let now = at("2024-03-15T02:00:00Z");
        assert_eq!(check_on_site(&t, 20, std::slice::from_ref(&v), now), Err(ReportProblem::NotOnSite));
        v.checked_in_at = Some(at("2024-03-15T01:10:00Z"));
        assert_eq!(check_on_site(&t, 20, std::slice::from_ref(&v), now), Ok(()));
        assert_eq!(check_on_site(&t, 21, std::slice::from_ref(&v), now), Err(ReportProblem::NotOnSite));
        v.checked_out_at = Some(at("2024-03-15T01:50:00Z"));
        assert_eq!(check_on_site(&t, 20, std::slice::from_ref(&v), at("2024-03-15T03:50:00Z")), Ok(()));
        // Back at the office days later: no longer on site.
        let later = at("2024-03-15T03:51:00Z");
        assert_eq!(check_on_site(&t, 20, std::slice::from_ref(&v), later), Err(ReportProblem::NotOnSite));
    }

    #[test]
    fn a_version_is_signed_once_and_only_while_newest() {
        let at = Timestamp::UNIX_EPOCH;
        let mut r = ServiceReport::draft(1, 1, vec![], 2, at);
        assert_eq!(r.check_open(1), Ok(()));
        assert_eq!(r.check_open(2), Err(ReportProblem::NotNewest { newest: 2 }));
        r.status = ReportStatus::Signed;
        assert_eq!(r.check_open(1), Err(ReportProblem::AlreadySigned { version: 1 }));
        assert_eq!(ReportProblem::AlreadySigned { version: 1 }.code(), "report_already_signed");
    }

    #[test]
    fn a_signature_needs_a_clean_name_and_a_png() {
        let rel = Some(SignerRelationship::Operator);
        assert!(check_signature(Some("王工"), rel, PNG).is_ok());
        let field = |r: Result<Signature, DomainError>| match r {
            Err(DomainError::Invalid(f)) => f[0].0,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(check_signature(Some("王\u{1b}工"), rel, PNG)), "signer_name");
        assert_eq!(field(check_signature(Some("王\n工"), rel, PNG)), "signer_name");
        assert_eq!(field(check_signature(Some(" "), rel, PNG)), "signer_name");
        assert_eq!(field(check_signature(Some("王工"), None, PNG)), "relationship");
        assert_eq!(field(check_signature(Some("王工"), rel, b"")), "signature");
        assert_eq!(field(check_signature(Some("王工"), rel, b"GIF89a")), "signature");
        let big = [PNG, &vec![0u8; MAX_SIGNATURE_BYTES][..]].concat();
        assert_eq!(field(check_signature(Some("王工"), rel, &big)), "signature");
    }

    #[test]
    fn photos_are_listed_once_each() {
        assert_eq!(check_photos(&[3, 1]), Ok(vec![3, 1]));
        assert!(check_photos(&[3, 3]).is_err());
        assert!(check_photos(&[0]).is_err());
    }
}
