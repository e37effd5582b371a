//! Ticket history (DESIGN: every change is an event — who, when, what, before → after).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ticket::Ticket;
use crate::{Id, Lang, Timestamp};

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

impl Change {
    /// A field that had no value before (a marker such as the kind of a log entry or notice).
    pub fn added(field: &str, after: impl Into<Value>) -> Change {
        Change { field: field.into(), before: Value::Null, after: after.into() }
    }
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: Id,
    pub ticket_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// The person who acted; 0 for the system (a notice raised by the worker).
    #[cfg_attr(feature = "openapi", schema(value_type = i64, minimum = 0))]
    pub actor_id: Id,
    /// What happened: `register`, `edit`, a lifecycle step code (`accept`, `dispatch`, …),
    /// `priority_change_requested`, `priority_change_approved`, `priority_change_rejected`,
    /// `repeat_flagged`, `log_added`, `notice` (the system raised a notice),
    /// `attachment_added`, `attachment_withdrawn` (its reason in `note`).
    pub action: String,
    pub changes: Vec<Change>,
    /// The reason or text given with the action, if any.
    pub note: Option<String>,
}

/// What an event's action is called in the history (Chinese from the seeds, English); an
/// unknown code (from a newer version) shows as itself.
pub fn action_label(action: &str, lang: Lang) -> String {
    if let Some(step) = crate::lifecycle::Step::from_code(action) {
        return step.label(lang).to_owned();
    }
    let (zh, en) = match action {
        "register" => ("登记报修", "Registered"),
        "edit" => ("修改登记信息", "Registration edited"),
        "log_added" => ("记录处理过程", "Work log entry"),
        "repeat_flagged" => ("标记为重复报修", "Flagged as a repeat report"),
        "priority_change_requested" => ("申请降级", "Downgrade requested"),
        "priority_change_approved" => ("批准降级", "Downgrade approved"),
        "priority_change_rejected" => ("驳回降级", "Downgrade rejected"),
        "notice" => ("发出通告", "Notice sent"),
        "visit_booked" => ("预约上门", "Visit booked"),
        "visit_rescheduled" => ("上门改期", "Visit rescheduled"),
        "visit_cancelled" => ("取消上门", "Visit cancelled"),
        "visit_checked_in" => ("上门签到", "Checked in on site"),
        "visit_checked_out" => ("上门签退", "Checked out"),
        "visit_delay_declared" => ("报告上门延误", "Visit delay declared"),
        "visit_late" => ("上门可能迟到", "Engineer running late"),
        "link_used" => ("客户通过邮件链接答复", "Customer answered through the e-mailed link"),
        "quote_written" => ("编制报价", "Quote written"),
        "quote_approved" => ("客户确认报价", "Quote approved"),
        "quote_refused" => ("客户拒绝报价", "Quote refused"),
        "payment_recorded" => ("收费结算", "Payment recorded"),
        "settled_free" => ("免费结算", "Recorded free of charge"),
        "work_order_opened" => ("派发协作工单", "Work order opened"),
        "work_order_changed" => ("修改协作工单", "Work order changed"),
        "work_order_status" => ("协作工单状态变更", "Work order status changed"),
        "report_prepared" => ("生成服务报告", "Service report prepared"),
        "report_sent" => ("发送服务报告", "Service report sent to the customer"),
        "report_signed" => ("客户签署服务报告", "Service report signed"),
        "report_refused" => ("客户拒签服务报告", "Service report refused"),
        "attachment_added" => ("上传附件", "File uploaded"),
        "attachment_withdrawn" => ("撤回附件", "File withdrawn"),
        other => return other.to_owned(),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
    .to_owned()
}

/// What a ticket field is called in the history; an unknown one shows as itself.
pub fn field_label(field: &str, lang: Lang) -> String {
    match (labels(field), lang) {
        (Some((zh, _)), Lang::Zh) => zh.to_owned(),
        (Some((_, en)), Lang::En) => en.to_owned(),
        (None, _) => field.to_owned(),
    }
}

/// The Chinese word of a ticket field, when it has one (for error messages that name it).
pub fn field_label_zh(field: &str) -> Option<&'static str> {
    labels(field).map(|(zh, _)| zh)
}

fn labels(field: &str) -> Option<(&'static str, &'static str)> {
    Some(match field {
        "number" => ("工单号", "Ticket number"),
        "customer_id" => ("客户单位", "Customer"),
        "contact_id" => ("联系人", "Contact"),
        "contact_name" => ("报修人", "Caller"),
        "contact_phone" => ("联系电话", "Phone"),
        "channel" => ("报修渠道", "Channel"),
        "kind" => ("类型", "Type"),
        "category_id" => ("故障类别", "Category"),
        "device_id" | "device_serial" => ("设备序列号", "Device serial"),
        "device_model" => ("设备型号", "Device model"),
        "fault_code" => ("报警代码", "Fault code"),
        "description" => ("故障现象", "Description"),
        "occurred_at" => ("故障发生时间", "Occurred at"),
        "impact_scope" => ("影响范围", "Impact"),
        "expected_resolution" => ("期望的解决方式", "Expected resolution"),
        "expected_by" => ("期望解决时间", "Expected by"),
        "cooperating_departments" => ("协作部门", "Cooperating departments"),
        "status" => ("状态", "Status"),
        "window_confirmation" => ("客户窗口确认", "Window confirmation"),
        "priority" => ("优先级", "Priority"),
        "priority_rank" => ("优先级序号", "Priority rank"),
        "grading_reason" => ("分级理由", "Grading reason"),
        "grading_review" => ("分级审核", "Grading review"),
        "grading_dispute" => ("分级争议", "Grading dispute"),
        "group_id" => ("处理组", "Group"),
        "first_line_id" => ("一线工程师", "First-line engineer"),
        "second_line_id" => ("二线工程师", "Second-line engineer"),
        "repeat_of" => ("重复报修的原工单", "Repeat of"),
        "complaint_about" => ("被投诉的工单", "Complaint about"),
        "specialist_attention" => ("需项目专员关注", "Specialist attention"),
        "registered_at" => ("登记时间", "Registered at"),
        "registered_by" => ("登记人", "Registered by"),
        "accepted_at" => ("受理时间", "Accepted at"),
        "accepted_by" => ("受理人", "Accepted by"),
        "dispatched_at" => ("派单时间", "Dispatched at"),
        "responded_at" => ("响应时间", "Responded at"),
        "resolved_at" => ("解决时间", "Resolved at"),
        "resolution" => ("解决方案", "Resolution"),
        "closed_at" => ("结案时间", "Closed at"),
        "closure_method" => ("结案方式", "Closure method"),
        "customer_refusals" => ("客户拒绝结案次数", "Closure refusals"),
        "reopen_count" => ("重新打开次数", "Reopened"),
        "cancel_reason" => ("撤销原因", "Cancel reason"),
        "cancel_note" => ("撤销说明", "Cancel note"),
        "customer_level" => ("客户等级", "Customer level"),
        "calendar" => ("工作日历", "Calendar"),
        "policy_version" => ("服务策略版本", "Service policy version"),
        "visit_at" => ("预约上门时间", "Visit at"),
        "visit_due" => ("最迟到达时间", "Arrive by"),
        "visit_window" => ("上门时间窗", "Visit window"),
        "visit_engineer" => ("上门工程师", "Visit engineer"),
        "notice_kind" => ("通告类型", "Notice kind"),
        "log_kind" => ("记录类型", "Entry kind"),
        "visit_planned" => ("计划开始与时长", "Planned start and duration"),
        "visit_status" => ("上门状态", "Visit status"),
        "visit_expected_arrival" => ("预计到达时间", "Expected arrival"),
        "survey_result" => ("回访结果", "Survey result"),
        "file_name" => ("文件名", "File name"),
        "file_kind" => ("文件类型", "File type"),
        "visibility" => ("可见范围", "Audience"),
        "evidence_tag" => ("照片用途", "Photo shows"),
        "log_id" => ("所属处理记录", "Work log entry"),
        "surveyed_at" => ("回访时间", "Surveyed at"),
        _ => return None,
    })
}

/// Fields that change with every write and say nothing on their own.
const BOOKKEEPING: &[&str] = &["version", "updated_at"];

/// The fields that differ between two states of a ticket, by field name.
pub fn diff(before: &Ticket, after: &Ticket) -> Vec<Change> {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) = (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    let mut out: Vec<Change> = a
        .iter()
        .filter(|(k, _)| !BOOKKEEPING.contains(&k.as_str()))
        .filter_map(|(k, av)| {
            let bv = b.get(k).cloned().unwrap_or(Value::Null);
            (bv != *av).then(|| Change { field: k.clone(), before: bv, after: av.clone() })
        })
        .collect();
    // The arrival clock reads a visit's window from the history (`clock::facts`): a move of
    // the window's start alone still names its end, which is when the clock is due.
    let changed = |f: &str| out.iter().any(|c| c.field == f);
    if changed("visit_at")
        && !changed("visit_due")
        && let Some(due) = a.get("visit_due").filter(|v| !v.is_null())
    {
        out.push(Change { field: "visit_due".into(), before: due.clone(), after: due.clone() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::tests_support::ticket;

    #[test]
    fn a_window_whose_start_alone_moves_still_names_its_end() {
        let at = |s: &str| s.parse::<Timestamp>().expect("ts");
        let mut before = ticket();
        before.visit_at = Some(at("2024-03-18T06:00:00Z"));
        before.visit_due = Some(at("2024-03-18T08:00:00Z"));
        let mut after = before.clone();
        after.visit_at = Some(at("2024-03-18T07:00:00Z"));
        let changes = diff(&before, &after);
        let due = changes.iter().find(|c| c.field == "visit_due").expect("the end travels with the start");
        assert_eq!(due.after, serde_json::json!("2024-03-18T08:00:00Z"));
        // The clock's facts read the end as the deadline.
        let e = Event {
            id: 1,
            ticket_id: 1,
            at: at("2024-03-15T02:00:00Z"),
            actor_id: 1,
            action: "x".into(),
            changes,
            note: None,
        };
        assert_eq!(crate::clock::facts(&e), vec![crate::clock::Fact::VisitBooked(at("2024-03-18T08:00:00Z"))]);
    }

    #[test]
    fn diff_lists_only_changed_fields() {
        let before = ticket();
        let mut after = before.clone();
        after.accept(9, "2024-03-15T02:00:00Z".parse().expect("ts")).expect("accept");
        after.version += 1;
        let fields: Vec<_> = diff(&before, &after).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["accepted_at", "accepted_by", "status"]);
    }

    #[test]
    fn every_ticket_field_and_action_has_a_name_in_both_languages() {
        let Ok(Value::Object(fields)) = serde_json::to_value(ticket()) else { panic!("a ticket is an object") };
        for field in fields.keys().filter(|f| !BOOKKEEPING.contains(&f.as_str()) && *f != "id" && *f != "clocks") {
            assert_ne!(field_label(field, Lang::Zh), *field, "no Chinese name for {field}");
            assert_ne!(field_label(field, Lang::En), *field, "no English name for {field}");
        }
        for action in [
            "register",
            "edit",
            "accept",
            "resolve",
            "priority_change_approved",
            "repeat_flagged",
            "attachment_added",
            "attachment_withdrawn",
        ] {
            assert_ne!(action_label(action, Lang::Zh), action);
        }
        assert_eq!(action_label("something_new", Lang::Zh), "something_new");
    }
}
