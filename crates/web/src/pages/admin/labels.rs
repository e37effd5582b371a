//! What the people of the service desk call each field of the administration forms: one
//! table for every form, the app's own words (`aftersales_domain::error::field_label`) for
//! the rest.

use aftersales_domain::Lang;

use crate::pages::view::L;

/// Which form a field is on, where one name means different things (a `name` is a
/// customer's, a person's or a record's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Customer,
    Contact,
    Device,
    /// The catalog, the clocks and the notice settings.
    Setting,
}

/// The label of `field` on a form of `kind`.
pub(crate) fn label(field: &str, kind: Kind, lang: Lang) -> &str {
    let (zh, en) = match field {
        "name" if kind == Kind::Customer => ("客户名称", "Name"),
        "name" if kind == Kind::Contact => ("姓名", "Name"),
        "customer_id" if kind == Kind::Device => ("所属客户单位", "Customer"),
        "username" => ("用户名", "Username"),
        "display_name" => ("姓名", "Name"),
        "role" => ("角色", "Role"),
        "email" => ("邮箱", "E-mail"),
        "phone" => ("电话", "Phone"),
        "region" => ("地域", "Region"),
        "group_id" => ("处理组", "Group"),
        "customer_id" => ("客户单位", "Customer"),
        "contact_id" => ("联系人", "Contact"),
        "password" => ("初始密码", "Initial password"),
        "new_password" => ("新密码", "New password"),
        "active" => ("账号状态", "Account status"),
        "left" => ("在职状态", "With the customer"),
        "name" => ("名称", "Name"),
        "short_name" => ("简称", "Short name"),
        "level" => ("客户级别", "Customer level"),
        "specialist_id" => ("项目专员", "Project specialist"),
        "window_contact_id" => ("客户窗口", "Customer window"),
        "calendar" => ("工作日历", "Calendar"),
        "department" => ("部门", "Department"),
        "model" => ("型号", "Model"),
        "serial" => ("序列号", "Serial number"),
        "location" => ("设备位置", "Location"),
        "purchase_date" => ("购买日期", "Purchase date"),
        "warranty_end" => ("保修截止", "Warranty end"),
        "consumable_model" => ("耗材型号", "Consumable model"),
        "code" => ("编码", "Code"),
        "name_zh" => ("中文名称", "Chinese name"),
        "name_en" => ("英文名称", "English name"),
        "family" => ("所属列表", "List"),
        "levels" => ("分级表（级别序号）", "Levels (ranks)"),
        "levels.code" => ("级别代码", "Level code"),
        "levels.name" => ("级别名称", "Level name"),
        "levels.minutes" => ("响应/解决时限", "Respond/resolve time"),
        "rules" => ("规则", "Rules"),
        "rules.clock" => ("时钟", "Clock"),
        "rules.minutes" => ("时长", "Length"),
        "rules.level" => ("问题级别", "Level"),
        "rules.customer_level" => ("客户级别", "Customer level"),
        "rules.pause_on" => ("暂停状态", "Paused while"),
        "progress_cutoff" => ("每日进展通报截止时间", "Daily progress cutoff"),
        "time_zone" => ("时区", "Time zone"),
        "week" => ("每周工作时间", "Weekly working hours"),
        "holiday_set" => ("节假日表", "Holiday set"),
        "data" => ("导入内容", "Data"),
        "source" => ("数据来源", "Source"),
        "format" => ("格式", "Format"),
        "working" => ("时长", "Span"),
        "from" => ("起算时间", "From"),
        "first" => ("开始日期", "First day"),
        "rank" => ("序号", "Rank"),
        "template" => ("模板", "Start from"),
        "respond" => ("响应时限", "Respond within"),
        "resolve" => ("解决时限", "Resolve within"),
        "length" => ("时长", "Length"),
        "hours_of" => ("按哪天的工作时间", "Worked with the hours of"),
        "last" => ("结束日期", "Last day"),
        "clock" => ("时钟", "Clock"),
        "counting" => ("计时方式", "Counting"),
        "kind" => ("类型", "Kind"),
        "audiences" => ("通知对象", "Who is told"),
        "channels" => ("通知渠道", "Channels"),
        "targets" => ("群机器人 / Webhook", "Robots / webhooks"),
        "url" => ("网址", "URL"),
        "secret" => ("签名密钥", "Signing secret"),
        "note" => ("确认说明", "Note"),
        _ => return aftersales_domain::error::field_label(field, lang),
    };
    if lang == Lang::En { en } else { zh }
}

/// The label of a field of the catalog, clocks and notice settings forms.
pub(crate) fn field_label(field: &str, l: &L) -> String {
    label(field, Kind::Setting, l.lang).to_owned()
}
