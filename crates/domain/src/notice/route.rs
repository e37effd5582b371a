//! Who is told what (DOMAIN §5's table, §8 for the customer): notice routes, and the
//! wording of customer notices with their placeholders.

#[allow(unused_imports)]
use super::*;

/// Which notice goes to whom on which channels: configuration, with seed behaviour as default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub kind: NoticeKind,
    pub audiences: Vec<Audience>,
    /// Channels to people (in-app is always kept; e-mail goes to each person's address, and
    /// for customer notices to the contact's address, account or not).
    pub channels: Vec<ChannelKind>,
    /// Group robots and webhooks (names of configured targets) that also get this notice.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Off: the notice is not raised at all.
    #[serde(default = "on")]
    pub enabled: bool,
    /// The administrator's own words for a customer notice (placeholders such as
    /// `{number}`, see [`PLACEHOLDERS`]); none: the default wording ([`default_wording`]).
    #[serde(default)]
    pub wording: Option<Wording>,
}

pub(super) fn on() -> bool {
    true
}

/// A customer notice's text in both languages, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Wording {
    pub subject_zh: String,
    pub body_zh: String,
    pub subject_en: String,
    pub body_en: String,
}

/// What a customer notice's wording may name: `{number}` the ticket number, `{description}`
/// the description's first 12 characters, `{time}` when it happened, `{engineer}` the
/// engineer's name, `{visit}` the visit time, `{resolution}` the solution, `{progress}` the
/// progress message, `{amount}` a quote's or payment's sum, `{receipt}` a receipt number.
/// (A visit's cancel reason is the staff's words, not offered to the customer's wording.)
pub const PLACEHOLDERS: [&str; 9] =
    ["number", "description", "time", "engineer", "visit", "resolution", "progress", "amount", "receipt"];

/// Longest subject and body of a wording (characters).
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 2000;

/// Fills `{name}` placeholders from `vars` (a missing value reads as empty).
pub fn fill(template: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if PLACEHOLDERS.contains(&&after[..close]) => {
                let name = &after[..close];
                out.push_str(vars.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str()));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Wording {
    /// Every problem of a wording, by field: empty or too long texts, unknown placeholders.
    pub fn problems(&self) -> Vec<(crate::Field, crate::error::Reason)> {
        use crate::error::Reason;
        let mut out = Vec::new();
        for (field, text, max) in [
            ("subject_zh", &self.subject_zh, MAX_SUBJECT),
            ("body_zh", &self.body_zh, MAX_BODY),
            ("subject_en", &self.subject_en, MAX_SUBJECT),
            ("body_en", &self.body_en, MAX_BODY),
        ] {
            if text.trim().is_empty() {
                out.push((field, Reason::Missing));
            } else if text.chars().count() > max {
                out.push((field, Reason::TooLong { max }));
            } else if unknown_placeholder(text).is_some() {
                out.push((
                    field,
                    Reason::Malformed {
                        expected_en: "text whose placeholders are among {number} {description} {time} {engineer} {visit} {resolution} {progress}",
                        expected_zh: "文字中的占位符只能是 {number} {description} {time} {engineer} {visit} {resolution} {progress}",
                    },
                ));
            }
        }
        out
    }
}

/// The first `{word}` in `text` that is not a placeholder.
pub(super) fn unknown_placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Some(name);
        }
        rest = &after[close + 1..];
    }
    None
}

/// The default words of each customer notice (DOMAIN §8: professional wording).
pub fn default_wording(kind: NoticeKind) -> Option<Wording> {
    let w = |sz: &str, bz: &str, se: &str, be: &str| {
        Some(Wording { subject_zh: sz.into(), body_zh: bz.into(), subject_en: se.into(), body_en: be.into() })
    };
    match kind {
        NoticeKind::Accepted => w(
            "【已受理】您的报修 {number}",
            "您好，已受理您的反馈，我们将尽快处理。\n工单号：{number}\n受理时间：{time}\n问题：{description}",
            "[Accepted] Your request {number}",
            "We have received your request and will handle it as soon as possible.\nTicket: {number}\nAccepted at: {time}\nProblem: {description}",
        ),
        NoticeKind::EngineerAssigned => w(
            "【已安排工程师】您的报修 {number}",
            "您好，我们已安排工程师{engineer}处理您的报修 {number}（{description}），工程师将尽快与您联系。",
            "[Engineer assigned] Your request {number}",
            "Engineer {engineer} will handle your request {number} ({description}) and will contact you shortly.",
        ),
        NoticeKind::EngineerContacted => w(
            "【处理中】您的报修 {number}",
            "您好，工程师{engineer}已于 {time} 就报修 {number} 与您取得联系，后续进展我们会及时告知。",
            "[In progress] Your request {number}",
            "Engineer {engineer} contacted you at {time} about request {number}; we will keep you informed.",
        ),
        NoticeKind::VisitBooked => w(
            "【上门预约】您的报修 {number}",
            "您好，工程师{engineer}将于 {visit} 上门服务（报修 {number}）。如需调整时间，请与我们联系。",
            "[Visit booked] Your request {number}",
            "Engineer {engineer} will visit you at {visit} (request {number}). Please contact us if the time does not suit you.",
        ),
        NoticeKind::VisitMoved => w(
            "【上门时间变更】您的报修 {number}",
            "您好，报修 {number} 的上门服务时间调整为 {visit}，给您带来不便，敬请谅解。",
            "[Visit rescheduled] Your request {number}",
            "The visit for your request {number} is now at {visit}. We apologise for any inconvenience.",
        ),
        NoticeKind::VisitDelayed => w(
            "【上门延误】您的报修 {number}",
            "您好，工程师{engineer}因故将晚于约定时间到达（报修 {number}），预计到达时间为 {visit}，给您带来不便，敬请谅解。",
            "[Visit delayed] Your request {number}",
            "Engineer {engineer} will arrive later than agreed for your request {number}; expected arrival {visit}. We apologise for the inconvenience.",
        ),
        NoticeKind::VisitLate => w(
            "【上门可能迟到】您的报修 {number}",
            "您好，工程师{engineer}可能无法在约定的 {visit} 内到达（报修 {number}），我们正在确认最新到达时间并会尽快告知您，给您带来不便，敬请谅解。",
            "[Running late] Your request {number}",
            "Engineer {engineer} may not arrive within the agreed window {visit} (request {number}); we are confirming the new arrival time and will tell you shortly. We apologise for the inconvenience.",
        ),
        NoticeKind::VisitCancelled => w(
            "【上门取消】您的报修 {number}",
            "您好，原定于 {visit} 的上门服务（报修 {number}）已取消。如仍需上门，我们将尽快与您另约时间；其他已约定的上门不受影响。给您带来不便，敬请谅解。",
            "[Visit cancelled] Your request {number}",
            "The visit planned for {visit} (request {number}) is cancelled. If a visit is still needed, we will contact you shortly to arrange a new time; any other visit already agreed stays as it is. We apologise for the inconvenience.",
        ),
        NoticeKind::ProgressUpdate => w(
            "【进展通报】您的报修 {number}",
            "您的报修 {number}（{description}）今日进展：{progress}",
            "[Progress] Your request {number}",
            "Your request {number} ({description}) today: {progress}",
        ),
        NoticeKind::Resolved => w(
            "【请确认】您的报修 {number} 已处理完毕",
            "您好，您的报修 {number}（{description}）已处理完毕。\n处理结果：{resolution}\n请确认问题是否已解决；如仍未解决，请告诉我们原因，我们将继续处理。",
            "[Please confirm] Your request {number} is resolved",
            "Your request {number} ({description}) has been resolved.\nSolution: {resolution}\nPlease confirm that the problem is solved, or tell us why it is not and we will continue.",
        ),
        NoticeKind::Closed => w(
            "【已结案】您的报修 {number}",
            "您好，您的报修 {number}（{description}）已于 {time} 结案，感谢您的配合。",
            "[Closed] Your request {number}",
            "Your request {number} ({description}) was closed at {time}. Thank you.",
        ),
        NoticeKind::SurveyRequest => w(
            "【服务评价】您的报修 {number}",
            "您好，为持续改进服务质量，诚邀您对报修 {number}（{description}）的处理进行评价。",
            "[Your opinion] Request {number}",
            "To keep improving our service, please tell us how we handled your request {number} ({description}).",
        ),
        NoticeKind::QuoteToApprove => w(
            "【报价待确认】您的报修 {number}",
            "您好，报修 {number}（{description}）的服务方案涉及费用，报价合计 {amount}（含税）。\n请查看报价明细并确认，确认后我们将立即安排实施；如有疑问，请与我们联系。",
            "[Quote to approve] Your request {number}",
            "The service plan for your request {number} ({description}) is chargeable: the quote totals {amount} (tax included).\nPlease review its lines and approve it; we start the work once you have. Contact us with any question.",
        ),
        NoticeKind::Receipt => w(
            "【收费凭证】您的报修 {number}",
            "您好，已收到报修 {number} 的服务费用 {amount}，收据号 {receipt}。感谢您的支持。",
            "[Receipt] Your request {number}",
            "We received {amount} for request {number}; receipt number {receipt}. Thank you.",
        ),
        NoticeKind::ReportToSign => w(
            "【服务报告待签字】您的报修 {number}",
            "您好，报修 {number}（{description}）的服务报告见附件（PDF）。\n请阅读后通过下面的链接签字确认；如有异议，也可在链接页面说明不签字的原因。",
            "[Service report to sign] Your request {number}",
            "The service report for your request {number} ({description}) is attached (PDF).\nPlease read it and sign it through the link below, or tell us there why you do not sign.",
        ),
        NoticeKind::ReportSigned => w(
            "【服务报告已签字】您的报修 {number}",
            "您好，报修 {number}（{description}）的服务报告已于 {time} 签字确认，签字版报告见附件（PDF），请妥善保存。",
            "[Signed service report] Your request {number}",
            "The service report for your request {number} ({description}) was signed at {time}; the signed report is attached (PDF) for your records.",
        ),
        _ => None,
    }
}

/// DOMAIN §5's table.
pub fn default_routes() -> Vec<Route> {
    use Audience::*;
    use NoticeKind::*;
    let route = |kind, audiences: &[Audience]| Route {
        kind,
        audiences: audiences.to_vec(),
        channels: vec![ChannelKind::InApp, ChannelKind::Email],
        targets: Vec::new(),
        enabled: true,
        wording: None,
    };
    vec![
        // The engineer at the first reminder; the project specialist at the second.
        route(PreBreach, &[Engineer, ProjectSpecialist]),
        route(ResponseTimeout, &[Supervisor, ProjectSpecialist]),
        route(NoticeKind::SecondLine, &[ProjectSpecialist, TechLead, Audience::SecondLine]),
        // The customer hears progress from the desk, in words the specialist provides
        // (seed 004), as the day's progress message; the notice itself is internal.
        route(NotClosedSameDay, &[ProjectSpecialist]),
        route(CustomerDidNotClose, &[ProjectSpecialist]),
        route(ThreeDaysUnclosed, &[ProjectManager, GeneralManager]),
        route(RepeatReport, &[ProjectSpecialist]),
        // The customer hears of a moved visit through `VisitMoved`, in customer words.
        // A late or delayed visit: the dispatcher rearranges the day (issue 13).
        route(VisitDelay, &[ProjectSpecialist, Dispatcher]),
        route(Dissatisfied, &[Supervisor, ProjectSpecialist]),
        route(FaultyPartOverdue, &[Engineer, Supervisor]),
        route(ProgressUpdate, &[Contact]),
        route(NoticeKind::Accepted, &[Contact]),
        route(EngineerAssigned, &[Contact]),
        route(EngineerContacted, &[Contact]),
        route(VisitBooked, &[Contact]),
        route(VisitMoved, &[Contact]),
        route(VisitDelayed, &[Contact]),
        route(VisitLate, &[Contact]),
        route(VisitCancelled, &[Contact]),
        route(Resolved, &[Contact]),
        route(Closed, &[Contact]),
        route(SurveyRequest, &[Contact]),
        route(WorkOrderOverdue, &[WorkOrderOwner, Engineer]),
        route(QuoteToApprove, &[Contact]),
        route(Receipt, &[Contact]),
        route(ReportToSign, &[Contact]),
        route(ReportSigned, &[Contact]),
    ]
}

impl Route {
    /// The route as it may act: a customer notice goes only to the reporting contact, and an
    /// internal notice never does (a route stored before this rule, or edited by hand, cannot
    /// send escalations to the customer); wording applies only to customer notices.
    pub fn sanitized(mut self) -> Route {
        let customer = self.kind.is_customer_facing();
        self.audiences.retain(|a| (*a == Audience::Contact) == customer);
        if !customer {
            self.wording = None;
        }
        self
    }

    /// Every problem of a route an administrator sends, by field.
    pub fn problems(&self) -> Vec<(crate::Field, crate::error::Reason)> {
        use crate::error::Reason;
        let mut out = Vec::new();
        let customer = self.kind.is_customer_facing();
        if self.audiences.iter().any(|a| (*a == Audience::Contact) != customer) {
            out.push((
                "audiences",
                if customer {
                    Reason::Mismatch {
                        detail_en: "of a customer notice can only be the reporting contact",
                        detail_zh: "客户通知只能发给报修联系人",
                    }
                } else {
                    Reason::Mismatch {
                        detail_en: "of an internal notice cannot include the customer's contact",
                        detail_zh: "内部通告不能发给客户联系人",
                    }
                },
            ));
        }
        if let Some(w) = &self.wording {
            if !customer {
                out.push((
                    "wording",
                    Reason::Mismatch {
                        detail_en: "can be set only for customer notices",
                        detail_zh: "只有客户通知可以修改措辞",
                    },
                ));
            } else {
                out.extend(w.problems());
            }
        }
        out
    }
}

/// The route of `kind` in `routes`, or the default one.
pub fn route_of(routes: &[Route], kind: NoticeKind) -> Route {
    routes
        .iter()
        .find(|r| r.kind == kind)
        .cloned()
        .unwrap_or_else(|| {
            default_routes().into_iter().find(|r| r.kind == kind).unwrap_or(Route {
                kind,
                audiences: Vec::new(),
                channels: vec![ChannelKind::InApp],
                targets: Vec::new(),
                enabled: true,
                wording: None,
            })
        })
        .sanitized()
}
