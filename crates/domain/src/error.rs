//! Rule violations, each naming what is wrong in the words of the person who made it.
//!
//! Errors carry codes and parameters, not sentences; [`DomainError::message`] and
//! [`Reason::message`] render them in Chinese or English so the API and the pages say the
//! same thing (DESIGN: "bad input gets a clear, localized error naming the field").

use crate::lang::Lang;
use crate::lifecycle::Step;
use crate::permission::Action;
use crate::role::Role;
use crate::ticket::Status;

mod conflict;
pub use conflict::Conflict;

/// The name of an input field, spelled as in the JSON API.
pub type Field = &'static str;

/// Why one field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Missing,
    /// The description is a vague phrase such as "设备故障" (seed 000: ask for the symptom).
    Vague,
    TooLong {
        max: usize,
    },
    /// Not of the expected form; `expected` says what is expected, in English and Chinese.
    Malformed {
        expected_en: &'static str,
        expected_zh: &'static str,
    },
    /// Names a record that does not exist (or that the user may not see).
    Unknown,
    /// Refers to something that does not belong with the rest (e.g. a device of another customer).
    Mismatch {
        detail_en: &'static str,
        detail_zh: &'static str,
    },
    Duplicate,
    /// A time further in the past than the rule looks back (`days`).
    TooOld {
        days: i64,
    },
    /// Holds a control character that text may not hold (`crate::text`).
    ControlCharacter {
        found: char,
    },
    /// A line of an imported file is wrong (the line number and what is wrong).
    AtLine {
        line: usize,
        en: String,
        zh: String,
    },
}

impl Reason {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Reason::Missing, Lang::Zh) => "必填项，不能为空".into(),
            (Reason::Missing, Lang::En) => "is required".into(),
            (Reason::Vague, Lang::Zh) => {
                "描述过于笼统，请说明具体现象（出现了什么、何时出现、报警代码如 E02、操作步骤）".into()
            }
            (Reason::Vague, Lang::En) => {
                "is too vague: describe the symptom (what happens, when, the fault code such as E02, the steps)".into()
            }
            (Reason::TooLong { max }, Lang::Zh) => format!("过长，最多 {max} 个字符"),
            (Reason::TooLong { max }, Lang::En) => format!("is too long (at most {max} characters)"),
            (Reason::Malformed { expected_zh, .. }, Lang::Zh) => format!("格式不正确，应为{expected_zh}"),
            (Reason::Malformed { expected_en, .. }, Lang::En) => format!("is malformed: expected {expected_en}"),
            (Reason::Unknown, Lang::Zh) => "不存在".into(),
            (Reason::Unknown, Lang::En) => "does not exist".into(),
            (Reason::Mismatch { detail_zh, .. }, Lang::Zh) => (*detail_zh).into(),
            (Reason::Mismatch { detail_en, .. }, Lang::En) => (*detail_en).into(),
            (Reason::Duplicate, Lang::Zh) => "已存在".into(),
            (Reason::Duplicate, Lang::En) => "already exists".into(),
            (Reason::TooOld { days }, Lang::Zh) => format!("过早：只能登记 {days} 天内发生的问题"),
            (Reason::TooOld { days }, Lang::En) => {
                format!("is too long ago: only problems of the last {days} days can be registered")
            }
            (Reason::ControlCharacter { found }, Lang::Zh) => {
                format!("含有不允许的控制字符（U+{:04X}），请删除后重新提交", u32::from(*found))
            }
            (Reason::ControlCharacter { found }, Lang::En) => {
                format!("contains a control character (U+{:04X}) that text may not hold", u32::from(*found))
            }
            (Reason::AtLine { line, zh, .. }, Lang::Zh) => format!("第 {line} 行：{zh}"),
            (Reason::AtLine { line, en, .. }, Lang::En) => format!("line {line}: {en}"),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::Vague => "vague",
            Reason::TooLong { .. } => "too_long",
            Reason::Malformed { .. } => "malformed",
            Reason::Unknown => "unknown",
            Reason::Mismatch { .. } => "mismatch",
            Reason::Duplicate => "duplicate",
            Reason::TooOld { .. } => "too_old",
            Reason::ControlCharacter { .. } => "control_character",
            Reason::AtLine { .. } => "malformed_line",
        }
    }
}

/// Checks one optional text input: trimmed, required or not, at most `max` characters.
/// Pushes what is wrong onto `problems` (so a form's problems are all named at once) and
/// returns the trimmed text when it is usable.
pub fn text(
    problems: &mut Vec<(Field, Reason)>,
    field: Field,
    value: Option<&str>,
    max: usize,
    required: bool,
) -> Option<String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => {
            if required {
                problems.push((field, Reason::Missing));
            }
            None
        }
        Some(v) if v.chars().count() > max => {
            problems.push((field, Reason::TooLong { max }));
            None
        }
        Some(v) => match crate::text::forbidden_in_text(v) {
            Some(found) => {
                problems.push((field, Reason::ControlCharacter { found }));
                None
            }
            None => Some(v.to_owned()),
        },
    }
}

/// A broken rule of DOMAIN.md.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more input fields were refused; nothing was changed.
    #[error("invalid input: {}", .0.iter().map(|(f, r)| format!("{f} ({})", r.code())).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<(Field, Reason)>),
    /// The ticket's state does not allow this step (DOMAIN §2 lifecycle).
    #[error("cannot {step} a ticket that is {status}")]
    IllegalTransition { status: Status, step: Step },
    /// The role may not do this at all (DOMAIN §1).
    #[error("role {role} may not {action}")]
    Forbidden { role: Role, action: Action },
    /// A precondition of the rule is not met; the variant says which.
    #[error("{}", .0.code())]
    Conflict(Conflict),
}

impl From<Conflict> for DomainError {
    fn from(c: Conflict) -> Self {
        DomainError::Conflict(c)
    }
}

impl DomainError {
    /// A single refused field.
    pub fn field(field: Field, reason: Reason) -> Self {
        DomainError::Invalid(vec![(field, reason)])
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid(_) => "invalid_input",
            DomainError::IllegalTransition { .. } => "illegal_transition",
            DomainError::Forbidden { .. } => "forbidden",
            DomainError::Conflict(c) => c.code(),
        }
    }

    /// One sentence for a person, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (DomainError::Invalid(fields), Lang::Zh) => format!(
                "提交的内容有误：{}",
                fields
                    .iter()
                    .map(|(f, r)| format!("{}（{}）", field_label(f, lang), r.message(lang)))
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            (DomainError::Invalid(fields), Lang::En) => format!(
                "Invalid input: {}",
                fields.iter().map(|(f, r)| format!("{f} {}", r.message(lang))).collect::<Vec<_>>().join("; ")
            ),
            (DomainError::IllegalTransition { status, step }, Lang::Zh) => {
                format!("工单当前状态为「{}」，不能执行「{}」", status.label(lang), step.label(lang))
            }
            (DomainError::IllegalTransition { status, step }, Lang::En) => {
                format!("Cannot {} a ticket whose status is \"{}\"", step.label(lang), status.label(lang))
            }
            (DomainError::Forbidden { role, action }, Lang::Zh) => {
                format!("{}无权{}", role.label(lang), action.label(lang))
            }
            (DomainError::Forbidden { role, action }, Lang::En) => {
                format!("A {} may not {}", role.label(lang).to_lowercase(), action.label(lang))
            }
            (DomainError::Conflict(c), _) => c.message(lang),
        }
    }

    /// Per-field messages, for forms and the JSON `fields` object.
    pub fn fields(&self, lang: Lang) -> Vec<(Field, String)> {
        match self {
            DomainError::Invalid(fields) => fields.iter().map(|(f, r)| (*f, r.message(lang))).collect(),
            _ => Vec::new(),
        }
    }
}

/// Chinese label of an input field (of the API, a page form, a query or a path), for
/// sentences that name it (seed 000 template 1 wording): "结案方式必填", never "method必填".
/// A ticket field not listed here reads as in the history (`event::field_label`); a field
/// without any label reads as itself, which a test of the web crate refuses for every
/// field the API and the rules can name.
pub fn field_label(field: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return field;
    }
    match field {
        // Report subscriptions (issue 15).
        "frequency" => "发送频率",
        "hour" => "发送时间",
        "target" => "群机器人",
        // The management reports (issue 15).
        "preset" => "统计期间",
        "customer" => "客户",
        "engineer" => "工程师",
        "category" => "问题分类",
        "desk" => "客服专员",
        "report" => "报表",
        "measure" => "统计项",
        "month" => "月份",
        "sheet" => "工作表",
        "uncategorised" => "未分类",
        "weights" => "权重",
        "blue" => "蓝色项目",
        "red" => "红色项目",
        "accept_within_minutes" => "受理时限（分钟）",
        "dispatch_within_minutes" => "派工时限（分钟）",
        "registration_yuan" => "登记扣款（元）",
        "dispatch_yuan" => "派工扣款（元）",
        "report_yuan" => "报表扣款（元）",
        "callbacks" => "回访时限",
        "management_days" => "项目经理/总经理回访（结案后天数）",
        "confirm_working_days" => "结案确认回访（工作日）",
        // Evidence attachments (issue 14).
        "file" => "文件",
        "tag" => "照片用途",
        "log_id" => "所属处理记录",
        "idempotency_key" => "重试标识",
        "before" => "处理前照片数",
        "after" => "处理后照片数",
        // The service report (issue 14).
        "signer_name" => "签字人",
        "relationship" => "签字人身份",
        "signature" => "签名",
        "token" => "邮件链接",
        "photo_ids" => "照片",
        "sha256" => "文件校验值",
        // Spare parts (issue 13).
        "part_id" => "备件",
        "quantity" => "数量",
        "warehouse_id" => "仓库",
        "to_warehouse_id" => "调入仓库",
        "price_fen" => "单价",
        "models" => "适用型号",
        "unit" => "单位",
        "serial_tracked" => "按序列号管理",
        "faulty" => "旧件返还",
        "faulty_serial" => "旧件序列号",
        "visibility" => "可见范围",
        "answer" => "答复",
        "enabled" => "是否发送",
        "wording" => "通知措辞",
        "subject_zh" => "中文标题",
        "body_zh" => "中文正文",
        "subject_en" => "英文标题",
        "body_en" => "英文正文",
        "customer_id" => "客户单位",
        "contact_id" => "联系人",
        "contact_name" => "联系人姓名",
        "contact_phone" => "联系电话",
        "description" => "故障描述",
        "occurred_at" => "发生时间",
        "impact_scope" => "影响范围",
        "device_id" => "设备",
        "device_serial" => "序列号",
        "device_model" => "设备型号",
        "fault_code" => "报警代码",
        "category_id" => "问题分类",
        "complaint_about" => "被投诉工单",
        "expected_by" => "期望解决时间",
        "reason" => "原因",
        "resolution" => "解决方案",
        "level" => "问题级别",
        "engineer_id" => "工程师",
        // Visits (issue 13).
        "window_start" => "到达时间窗开始",
        "window_end" => "到达时间窗结束",
        "window_minutes" => "到达时间窗长度",
        "planned_start" => "计划开始时间",
        "duration_minutes" => "计划时长",
        "travel_minutes" => "路程时间",
        "address" => "上门地址",
        "site" => "客户现场说明",
        "expected_arrival" => "预计到达时间",
        "geo" | "lat" | "lon" | "accuracy_m" => "定位",
        "engineers" => "工程师",
        "group_id" => "处理组",
        "name" => "名称",
        "short_name" => "简称",
        "region" => "地域",
        "phone" => "电话",
        "email" => "邮箱",
        "serial" => "序列号",
        "model" => "型号",
        "username" => "用户名",
        "password" => "密码",
        "old_password" => "当前密码",
        "new_password" => "新密码",
        "role" => "角色",
        "body" => "内容",
        "levels" => "分级表",
        // Steps and work log.
        "action" => "操作",
        "method" => "结案方式",
        "note" => "备注",
        "plan" => "处理计划",
        "at" => "时间",
        "result" => "回访结果",
        "approve" => "审批意见",
        // Directory and users.
        "active" => "启用状态",
        "left" => "离职状态",
        "department" => "部门",
        "display_name" => "姓名",
        "location" => "设备位置",
        "consumable_model" => "耗材型号",
        "purchase_date" => "购买日期",
        "warranty_end" => "保修截止日期",
        "specialist_id" => "项目专员",
        "window_contact_id" => "客户窗口",
        "customer_level" => "客户级别",
        "family" => "分类组",
        "code" => "代码",
        // Fees (seed 003).
        "lines" => "报价明细",
        "unit_price" => "单价",
        "part_no" => "备件编号",
        "internal_note" => "内部备注",
        "tax_rate_bp" => "税率",
        "revision" => "报价版本",
        "signed_by" => "签字人",
        "amount" => "金额",
        "reference" => "交易单号",
        // Grading scheme and service policy.
        "rank" => "级别序号",
        "name_zh" => "中文名称",
        "name_en" => "英文名称",
        "scope" => "适用范围",
        "urgency" => "紧急程度",
        "respond" | "respond_minutes" => "响应时限",
        "resolve" | "resolve_minutes" => "解决时限",
        "counting" => "计时方式",
        "default_owner" => "默认负责人",
        "rules" => "时限规则",
        "clock" => "时钟",
        "minutes" => "时长（分钟）",
        "pause_on" => "暂停条件",
        "progress_cutoff" => "每日进展截止时间",
        "length" => "时长",
        // Work orders and qualifications (issue 13).
        "cooperating_departments" => "协作部门",
        "needed" => "协作需求",
        "resources" => "所需资源",
        "deadline" => "完成期限",
        "owner_id" => "负责人",
        "status" => "状态",
        "certificate" => "证书名称",
        "certificate_no" => "证书编号",
        "expires_on" => "有效期至",
        "course" => "培训课程",
        "taken_on" => "培训日期",
        // A training's or a call attempt's outcome (issue 15 shares the name).
        "outcome" => "结果",
        // Callbacks and surveys (issue 15).
        "call_back_at" => "约定再打时间",
        "due" => "回访期限",
        "feedback" => "表扬或投诉",
        "survey" => "满意度调查",
        "solved" => "问题是否彻底解决",
        "speed_ok" => "服务响应速度是否满意",
        "suggestions" => "改进建议",
        // Calendars and holidays.
        "week" => "每周工作时间",
        "start" => "开始时间",
        "end" => "结束时间",
        "time_zone" => "时区",
        "holiday_set" => "节假日数据",
        "calendar" => "工作日历",
        "data" => "数据",
        "format" => "格式",
        "source" => "来源",
        "first" => "开始日期",
        "last" => "结束日期",
        "date" => "日期",
        "template" => "模板",
        "working" => "工作时长",
        "years" => "年份",
        "days" => "日期",
        // Notices and their channels.
        "audiences" => "通知对象",
        "targets" => "通知渠道",
        "channels" => "通知方式",
        "url" => "地址",
        "secret" => "签名密钥",
        "due_at" => "到期时间",
        // Queries, paths and headers.
        "id" => "编号",
        "q" => "搜索词",
        "page" => "页码",
        "per_page" => "每页条数",
        "sort" => "排序",
        "from" => "开始时间",
        "to" => "结束时间",
        "created_from" => "登记时间起",
        "created_to" => "登记时间止",
        "due_within" => "到期时限",
        "overdue" => "已超时",
        "breached" => "已违约",
        "mine" => "我的",
        "state" => "状态",
        "acknowledged" => "已确认",
        "ticket_id" => "工单",
        "user_id" => "用户",
        "version" => "版本",
        "next" => "跳转地址",
        "csrf" => "表单令牌",
        "lang" => "语言",
        "Idempotency-Key" => "幂等键（Idempotency-Key）",
        "If-Match" => "所依据的版本（If-Match）",
        other => crate::event::field_label_zh(other).unwrap_or(other),
    }
}
