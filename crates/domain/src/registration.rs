//! Intake checks (seed 000 template 1, DOMAIN §2): a request is registered only with the
//! customer, a contact phone, a concrete symptom description, the time it occurred and the
//! impact scope; a vague phrase such as "设备故障" is sent back with a prompt.

use serde::{Deserialize, Serialize};

use crate::error::{Conflict, DomainError, Field, Reason, text};
use crate::phone::Phone;
use crate::ticket::{Channel, Department, Kind, WindowConfirmation};
use crate::{Id, Timestamp};

/// A request as the desk (or a customer in the portal) submits it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// 客户单位. Customer contacts may omit it: their own organization is used.
    pub customer_id: Option<Id>,
    /// The caller, when they are a known contact (their name and phone fill in).
    pub contact_id: Option<Id>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// Defaults to `phone` for staff and `portal` for customer contacts.
    pub channel: Option<Channel>,
    /// Defaults to `fault`.
    pub kind: Option<Kind>,
    pub category_id: Option<Id>,
    pub device_id: Option<Id>,
    /// A serial number alone is enough: the device and its model are looked up (seed 000).
    pub device_serial: Option<String>,
    /// The model as the caller states it, for a device not (yet) in the directory
    /// (seed 000 template 1 "设备型号"). A known device's own model takes precedence.
    pub device_model: Option<String>,
    pub fault_code: Option<String>,
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime, example = "2024-03-15T09:30:00+08:00"))]
    pub occurred_at: Option<Timestamp>,
    pub impact_scope: Option<String>,
    pub expected_resolution: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_by: Option<Timestamp>,
    #[serde(default)]
    pub cooperating_departments: Vec<Department>,
    /// For complaints: the number of the ticket complained about (e.g. `20240315-001`).
    pub complaint_about: Option<String>,
}

pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_SHORT_TEXT: usize = 200;

/// Phrases that say something is wrong without saying what (seed 000: "ask for the symptom").
const VAGUE: &[&str] = &[
    "设备故障",
    "故障",
    "坏了",
    "坏掉了",
    "设备坏了",
    "机器坏了",
    "打印机坏了",
    "复印机坏了",
    "不能用",
    "不能用了",
    "用不了",
    "无法使用",
    "有问题",
    "出问题了",
    "出问题",
    "有故障",
    "出故障了",
    "出故障",
    "不好用",
    "异常",
    "设备异常",
    "机器故障",
    "报错",
    "报错了",
    "不正常",
    "又坏了",
    "有毛病",
    "broken",
    "itsbroken",
    "notworking",
    "doesntwork",
    "itdoesntwork",
    "error",
    "problem",
    "fault",
    "issue",
    "help",
    "failure",
];

/// Is `description` only a vague phrase? Punctuation, spaces and polite filler are ignored;
/// anything under four meaningful characters is vague too.
pub fn is_vague(description: &str) -> bool {
    let mut core: String = description.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    for filler in [
        "请尽快处理",
        "请尽快",
        "麻烦看看",
        "麻烦",
        "请帮忙",
        "帮忙看看",
        "急",
        "我们的",
        "我们",
        "了",
        "啊",
        "呢",
        "吧",
        "please",
    ] {
        core = core.replace(filler, "");
    }
    core.chars().count() < 4 || VAGUE.contains(&core.as_str())
}

/// A registration that passed the intake checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub customer_id: Id,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub occurred_at: Timestamp,
    pub impact_scope: String,
    pub fault_code: Option<String>,
    pub device_model: Option<String>,
    pub expected_resolution: Option<String>,
    pub complaint_about: Option<String>,
}

/// Whether a request waits for the customer's window (seed 004, DOMAIN §2): a customer
/// with a designated window contact (`window`) has every request from anyone else
/// (`caller`, the contact the request names) confirmed by the window first.
pub fn window_confirmation(window: Option<Id>, caller: Option<Id>) -> WindowConfirmation {
    // DOMAIN §2: "a request from anyone else is still registered but marked to be confirmed".
    match window {
        Some(w) if caller != Some(w) => WindowConfirmation::Pending,
        _ => WindowConfirmation::NotNeeded,
    }
}

/// Who may confirm a request as the window (seed 004, DOMAIN §2): a customer contact only
/// when they are the customer's designated window (`window`); staff record it for them.
/// `contact` is the confirming person's own contact, `None` for staff.
pub fn check_window_confirmer(is_contact: bool, window: Option<Id>, contact: Option<Id>) -> Result<(), DomainError> {
    // DOMAIN §2: "until the window confirms it".
    if is_contact && window.is_none_or(|w| contact != Some(w)) {
        return Err(Conflict::NotTheWindow.into());
    }
    Ok(())
}

/// How far back a problem may be reported by default: a year. Older than that, the time is
/// a typo far more often than a real late report (`1970-01-01`, `2014` for `2024`); a
/// deployment that registers older problems (a migration of old records) sets
/// `occurred_horizon_days`.
pub const DEFAULT_OCCURRED_HORIZON_DAYS: i64 = 365;

/// Between which instants the time a problem occurred (`occurred_at`) may lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccurredBounds {
    /// When the problem is reported: it cannot have occurred later (10 minutes of clock
    /// skew allowed).
    pub reported_at: Timestamp,
    /// How many days before `reported_at` it may have occurred; `None` does not look back
    /// (an edit that keeps the stored time).
    pub horizon_days: Option<i64>,
    /// The start of the device's purchase date (in the service time zone) when the device
    /// and its purchase are known: a device does not fail before it is bought.
    pub purchased: Option<Timestamp>,
}

impl OccurredBounds {
    /// Reported now, with the default horizon and no device.
    pub fn reported(at: Timestamp) -> OccurredBounds {
        OccurredBounds { reported_at: at, horizon_days: Some(DEFAULT_OCCURRED_HORIZON_DAYS), purchased: None }
    }

    /// What is wrong with `at`, if anything.
    pub fn problem(&self, at: Timestamp) -> Option<Reason> {
        // A little clock skew is fine; a time in the future is a typo.
        if at > self.reported_at + jiff::SignedDuration::from_mins(10) {
            return Some(Reason::Mismatch { detail_en: "is in the future", detail_zh: "不能晚于当前时间" });
        }
        if let Some(bought) = self.purchased
            && at < bought
        {
            return Some(Reason::Mismatch {
                detail_en: "is before the device was purchased",
                detail_zh: "不能早于设备的购买日期",
            });
        }
        if let Some(days) = self.horizon_days
            && at < self.reported_at - jiff::SignedDuration::from_hours(24 * days)
        {
            return Some(Reason::TooOld { days });
        }
        None
    }
}

/// Checks a registration after the app filled in what it knows (the contact's name and
/// phone, the customer of a customer contact, the device's purchase). Names every missing
/// or bad field at once.
pub fn check(r: &Registration, bounds: &OccurredBounds) -> Result<Checked, DomainError> {
    let mut problems: Vec<(Field, Reason)> = Vec::new();
    if r.customer_id.is_none() {
        problems.push(("customer_id", Reason::Missing));
    }
    let contact_name = text(&mut problems, "contact_name", r.contact_name.as_deref(), 50, false);
    let contact_phone = match r.contact_phone.as_deref().map(Phone::parse) {
        None => {
            problems.push(("contact_phone", Reason::Missing));
            None
        }
        Some(Err(reason)) => {
            problems.push(("contact_phone", reason));
            None
        }
        Some(Ok(p)) => Some(p.as_str().to_owned()),
    };
    let description = text(&mut problems, "description", r.description.as_deref(), MAX_DESCRIPTION, true);
    if let Some(d) = &description
        && is_vague(d)
    {
        problems.push(("description", Reason::Vague));
    }
    match r.occurred_at.map(|at| bounds.problem(at)) {
        None => problems.push(("occurred_at", Reason::Missing)),
        Some(Some(reason)) => problems.push(("occurred_at", reason)),
        Some(None) => {}
    }
    let impact_scope = text(&mut problems, "impact_scope", r.impact_scope.as_deref(), MAX_SHORT_TEXT, true);
    let fault_code = text(&mut problems, "fault_code", r.fault_code.as_deref(), 32, false);
    let device_model = text(&mut problems, "device_model", r.device_model.as_deref(), 60, false);
    let expected_resolution =
        text(&mut problems, "expected_resolution", r.expected_resolution.as_deref(), MAX_SHORT_TEXT, false);
    let complaint_about = text(&mut problems, "complaint_about", r.complaint_about.as_deref(), 32, false);
    if r.kind == Some(Kind::Complaint) && complaint_about.is_none() {
        problems.push(("complaint_about", Reason::Missing));
    }
    if let (Some(by), Some(at)) = (r.expected_by, r.occurred_at)
        && by < at
    {
        problems.push((
            "expected_by",
            Reason::Mismatch {
                detail_en: "is before the time the problem occurred", detail_zh: "早于故障发生时间"
            },
        ));
    }
    if !problems.is_empty() {
        return Err(DomainError::Invalid(problems));
    }
    match (r.customer_id, contact_phone, description, r.occurred_at, impact_scope) {
        (Some(customer_id), Some(contact_phone), Some(description), Some(occurred_at), Some(impact_scope)) => {
            Ok(Checked {
                customer_id,
                contact_name: contact_name.unwrap_or_default(),
                contact_phone,
                description,
                occurred_at,
                impact_scope,
                fault_code: fault_code.map(|c| c.to_uppercase()),
                device_model,
                expected_resolution,
                complaint_about,
            })
        }
        // Every None above pushed a problem, so this arm is not reached; keep it total.
        _ => Err(DomainError::field("description", Reason::Missing)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_from_anyone_but_the_window_waits_for_the_window() {
        assert_eq!(window_confirmation(None, Some(3)), WindowConfirmation::NotNeeded);
        assert_eq!(window_confirmation(Some(3), Some(3)), WindowConfirmation::NotNeeded);
        assert_eq!(window_confirmation(Some(3), Some(4)), WindowConfirmation::Pending);
        assert_eq!(window_confirmation(Some(3), None), WindowConfirmation::Pending);
        assert!(check_window_confirmer(false, None, None).is_ok());
        assert!(check_window_confirmer(true, Some(3), Some(3)).is_ok());
        assert_eq!(check_window_confirmer(true, Some(3), Some(4)), Err(Conflict::NotTheWindow.into()));
        assert_eq!(check_window_confirmer(true, None, Some(4)), Err(Conflict::NotTheWindow.into()));
    }

    fn now() -> Timestamp {
        "2024-03-15T02:00:00Z".parse().expect("ts")
    }

    fn complete() -> Registration {
        Registration {
            customer_id: Some(1),
            contact_phone: Some("13800138000".into()),
            description: Some("复印时第二纸盒卡纸，面板报警 E02".into()),
            occurred_at: Some("2024-03-15T01:30:00Z".parse().expect("ts")),
            impact_scope: Some("财务部一台复印机".into()),
            fault_code: Some("e02".into()),
            ..Registration::default()
        }
    }

    #[test]
    fn a_complete_request_passes_and_normalizes_the_fault_code() {
        let c = check(&complete(), &OccurredBounds::reported(now())).expect("valid");
        assert_eq!(c.fault_code.as_deref(), Some("E02"));
    }

    #[test]
    fn every_missing_required_field_is_named_at_once() {
        let err = check(&Registration::default(), &OccurredBounds::reported(now())).expect_err("empty");
        let fields: Vec<_> = err.fields(crate::Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["customer_id", "contact_phone", "description", "occurred_at", "impact_scope"]);
        assert!(err.message(crate::Lang::Zh).contains("联系电话"));
    }

    #[test]
    fn vague_descriptions_are_refused_with_a_prompt() {
        for vague in ["设备故障", "坏了！", "机器坏了，请尽快处理", "  Not working ", "??"] {
            let mut r = complete();
            r.description = Some(vague.into());
            let err = check(&r, &OccurredBounds::reported(now())).expect_err(vague);
            assert_eq!(err, DomainError::field("description", Reason::Vague), "{vague}");
            assert!(err.message(crate::Lang::Zh).contains("报警代码"));
        }
        assert!(!is_vague("卡纸 E02"));
    }

    #[test]
    fn complaints_must_name_the_ticket_and_times_must_make_sense() {
        let mut r = complete();
        r.kind = Some(Kind::Complaint);
        r.occurred_at = Some("2024-03-16T02:00:00Z".parse().expect("ts"));
        let err = check(&r, &OccurredBounds::reported(now())).expect_err("bad");
        let fields: Vec<_> = err.fields(crate::Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["occurred_at", "complaint_about"]);
    }

    #[test]
    fn a_problem_cannot_have_occurred_before_the_purchase_or_long_before_the_report() {
        let at = |s: &str| -> Timestamp { s.parse().expect("ts") };
        let bought = Some(at("2024-01-09T16:00:00Z"));
        let bounds = OccurredBounds { purchased: bought, ..OccurredBounds::reported(now()) };
        let refused = |when: &str, b: &OccurredBounds| {
            let r = Registration { occurred_at: Some(at(when)), ..complete() };
            check(&r, b).err().map(|e| (e.fields(crate::Lang::Zh), e.message(crate::Lang::En)))
        };
        let (fields, en) = refused("1970-01-01T00:00:00Z", &OccurredBounds::reported(now())).expect("epoch");
        assert_eq!(fields, vec![("occurred_at", "过早：只能登记 365 天内发生的问题".to_owned())]);
        assert!(en.contains("occurred_at is too long ago"), "{en}");
        let (fields, _) = refused("2024-01-09T15:59:00Z", &bounds).expect("before the purchase");
        assert_eq!(fields, vec![("occurred_at", "不能早于设备的购买日期".to_owned())]);
        assert_eq!(refused("2024-01-09T16:00:00Z", &bounds), None, "on the day of the purchase");
        assert_eq!(refused("2023-03-17T00:00:00Z", &OccurredBounds::reported(now())), None, "within the year");
        assert!(refused("2024-03-15T02:11:00Z", &bounds).is_some(), "in the future");
        let no_look_back = OccurredBounds { horizon_days: None, ..OccurredBounds::reported(now()) };
        assert_eq!(refused("1999-01-01T00:00:00Z", &no_look_back), None);
    }
}
