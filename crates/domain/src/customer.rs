//! Customers (客户单位), their contacts and devices (DOMAIN §2).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::Id;
use crate::coded_enum;
use crate::error::{DomainError, Field, Reason, text};
use crate::phone::Phone;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: Id,
    pub name: String,
    /// 简称, used in reports and the daily table.
    pub short_name: String,
    /// 地域, e.g. 华东.
    pub region: String,
    /// 客户级别 code; selects the service policy.
    pub level: String,
    /// The designated window contact (客户窗口), if the customer has one (seed 004).
    pub window_contact_id: Option<Id>,
    /// The project specialist (项目专员) in charge.
    pub specialist_id: Option<Id>,
    /// The customer's own business calendar (e.g. a 24×7 production site); when unset, the
    /// calendar of its region, else `cn`.
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: Id,
    pub customer_id: Id,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub department: Option<String>,
    /// Whether this contact is the customer's designated window.
    pub is_window: bool,
    /// Whether the contact has left the customer (离职 / 调岗): kept for the history of
    /// their requests, but no longer the window and without a portal account.
    #[serde(default)]
    pub left: bool,
    /// The language customer notices and e-mail reach this contact in (DOMAIN §8).
    #[serde(default)]
    pub lang: crate::Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Device {
    pub id: Id,
    pub customer_id: Id,
    pub model: String,
    pub serial: String,
    pub location: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub purchase_date: Option<Date>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub warranty_end: Option<Date>,
    pub consumable_model: Option<String>,
}

coded_enum! {
    pub enum Warranty {
        InWarranty = ("in_warranty", "在保", "In warranty"),
        OutOfWarranty = ("out_of_warranty", "过保", "Out of warranty"),
        Unknown = ("unknown", "未知", "Unknown"),
    }
}

impl Device {
    /// In or out of warranty on `day` (DOMAIN §2 fees): from the warranty end, else from
    /// the purchase date with the standard one-year warranty.
    pub fn warranty_on(&self, day: Date) -> Warranty {
        self.warranty_with_term(day, crate::fee::DEFAULT_WARRANTY_MONTHS).0
    }

    /// The warranty end that applies: the recorded one, else the purchase date plus the
    /// default term of `months` (a setting).
    pub fn warranty_end_with_term(&self, months: i64) -> Option<Date> {
        self.warranty_end
            .or_else(|| self.purchase_date.and_then(|p| p.checked_add(jiff::Span::new().months(months)).ok()))
    }

    /// In or out of warranty on `day`, with the end it was judged by.
    pub fn warranty_with_term(&self, day: Date, months: i64) -> (Warranty, Option<Date>) {
        let end = self.warranty_end_with_term(months);
        let w = match end {
            Some(end) if day <= end => Warranty::InWarranty,
            Some(_) => Warranty::OutOfWarranty,
            None => Warranty::Unknown,
        };
        (w, end)
    }
}

/// A customer level (客户级别) an administrator defines; selects the service policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerLevel {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The default customer levels.
pub fn default_levels() -> Vec<CustomerLevel> {
    [("A", "战略客户", "Strategic"), ("B", "重点客户", "Key account"), ("C", "普通客户", "Standard")]
        .into_iter()
        .map(|(code, zh, en)| CustomerLevel { code: code.into(), name_zh: zh.into(), name_en: en.into() })
        .collect()
}

pub(crate) fn finish<T>(problems: Vec<(Field, Reason)>, value: impl FnOnce() -> T) -> Result<T, DomainError> {
    if problems.is_empty() { Ok(value()) } else { Err(DomainError::Invalid(problems)) }
}

/// Input to create or replace a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub region: Option<String>,
    pub level: Option<String>,
    pub window_contact_id: Option<Id>,
    pub specialist_id: Option<Id>,
    pub calendar: Option<String>,
}

impl CustomerInput {
    /// Checks field forms; the app checks that referenced records exist.
    pub fn check(&self) -> Result<Customer, DomainError> {
        let mut p = Vec::new();
        let name = text(&mut p, "name", self.name.as_deref(), 100, true);
        let short_name = text(&mut p, "short_name", self.short_name.as_deref(), 20, true);
        let region = text(&mut p, "region", self.region.as_deref(), 20, true);
        let level = text(&mut p, "level", self.level.as_deref(), 16, true);
        let calendar = text(&mut p, "calendar", self.calendar.as_deref(), 32, false);
        finish(p, || Customer {
            id: 0,
            name: name.unwrap_or_default(),
            short_name: short_name.unwrap_or_default(),
            region: region.unwrap_or_default(),
            level: level.unwrap_or_default(),
            window_contact_id: self.window_contact_id,
            specialist_id: self.specialist_id,
            calendar,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub department: Option<String>,
    /// `zh-CN` (default) or `en`: the language of the customer notices they receive.
    pub lang: Option<crate::Lang>,
}

impl ContactInput {
    pub fn check(&self, customer_id: Id) -> Result<Contact, DomainError> {
        let mut p = Vec::new();
        let name = text(&mut p, "name", self.name.as_deref(), 50, true);
        let phone = match Phone::parse(self.phone.as_deref().unwrap_or("")) {
            Ok(ph) => Some(ph.as_str().to_owned()),
            Err(r) => {
                p.push(("phone", r));
                None
            }
        };
        let email = text(&mut p, "email", self.email.as_deref(), 100, false);
        if let Some(e) = &email
            && !is_email(e)
        {
            p.push(("email", Reason::Malformed { expected_en: "an e-mail address", expected_zh: "电子邮箱地址" }));
        }
        let department = text(&mut p, "department", self.department.as_deref(), 50, false);
        finish(p, || Contact {
            id: 0,
            customer_id,
            name: name.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
            email,
            department,
            is_window: false,
            left: false,
            lang: self.lang.unwrap_or_default(),
        })
    }
}

/// A plausible e-mail address: one `@`, a dot in the domain, no spaces or angle brackets.
pub fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '"' | ',' | ';'))
                && s.matches('@').count() == 1
        }
        None => false,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    pub customer_id: Option<Id>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub location: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub purchase_date: Option<Date>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub warranty_end: Option<Date>,
    pub consumable_model: Option<String>,
}

impl DeviceInput {
    pub fn check(&self) -> Result<Device, DomainError> {
        let mut p = Vec::new();
        if self.customer_id.is_none() {
            p.push(("customer_id", Reason::Missing));
        }
        let model = text(&mut p, "model", self.model.as_deref(), 60, true);
        let serial = text(&mut p, "serial", self.serial.as_deref(), 60, true);
        if let Some(s) = &serial
            && !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        {
            p.push((
                "serial",
                Reason::Malformed {
                    expected_en: "letters, digits and - _ / .", expected_zh: "字母、数字及 - _ / ."
                },
            ));
        }
        let location = text(&mut p, "location", self.location.as_deref(), 100, false);
        let consumable_model = text(&mut p, "consumable_model", self.consumable_model.as_deref(), 60, false);
        if let (Some(buy), Some(end)) = (self.purchase_date, self.warranty_end)
            && end < buy
        {
            p.push((
                "warranty_end",
                Reason::Mismatch { detail_en: "is before the purchase date", detail_zh: "早于购买日期" },
            ));
        }
        finish(p, || Device {
            id: 0,
            customer_id: self.customer_id.unwrap_or_default(),
            model: model.unwrap_or_default(),
            serial: serial.map(|s| s.to_uppercase()).unwrap_or_default(),
            location,
            purchase_date: self.purchase_date,
            warranty_end: self.warranty_end,
            consumable_model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn warranty_comes_from_end_date_or_one_year_after_purchase() {
        let mut d = DeviceInput {
            customer_id: Some(1),
            model: Some("bizhub C300i".into()),
            serial: Some("a1b2-0001".into()),
            purchase_date: Some(date(2023, 5, 1)),
            ..DeviceInput::default()
        }
        .check()
        .expect("device");
        assert_eq!(d.serial, "A1B2-0001");
        assert_eq!(d.warranty_on(date(2024, 5, 1)), Warranty::InWarranty);
        assert_eq!(d.warranty_on(date(2024, 5, 2)), Warranty::OutOfWarranty);
        d.warranty_end = Some(date(2026, 5, 1));
        assert_eq!(d.warranty_on(date(2025, 1, 1)), Warranty::InWarranty);
        d.purchase_date = None;
        d.warranty_end = None;
        assert_eq!(d.warranty_on(date(2025, 1, 1)), Warranty::Unknown);
    }

    #[test]
    fn contacts_need_a_name_and_a_dialable_phone() {
        let err = ContactInput { phone: Some("abc".into()), email: Some("x@y".into()), ..ContactInput::default() }
            .check(1)
            .expect_err("bad");
        let fields: Vec<_> = err.fields(crate::Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["name", "phone", "email"]);
        assert!(is_email("li.lei@example.com.cn"));
        assert!(!is_email("<b>@x.com"));
    }
}
