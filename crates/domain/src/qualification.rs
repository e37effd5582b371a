//! Qualified engineers (seed 003: only qualified staff do the work): an engineer's
//! qualifications (a product line or a device model, the certificate and its number, when
//! it expires) and training records (course, date, result). Dispatch asks
//! [`Qualification::covers`] before it suggests anyone for a device.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{DomainError, Reason};
use crate::{Id, Timestamp};

/// What an engineer is certified for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Qualification {
    pub id: Id,
    pub user_id: Id,
    /// A device model (`HP M4`) or a product line it starts (`HP LaserJet` covers
    /// `HP LaserJet M404dn`).
    pub scope: String,
    /// 证书名称.
    pub certificate: String,
    /// 证书编号.
    pub certificate_no: String,
    /// The last day it is valid; none for one that does not expire.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expires_on: Option<Date>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A qualification as an administrator or supervisor enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct QualificationInput {
    pub scope: String,
    pub certificate: String,
    pub certificate_no: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub expires_on: Option<Date>,
}

fn required(p: &mut Vec<(crate::Field, Reason)>, field: crate::Field, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.is_empty() {
        p.push((field, Reason::Missing));
    } else if v.chars().count() > max {
        p.push((field, Reason::TooLong { max }));
    }
    v.to_owned()
}

impl QualificationInput {
    /// The trimmed input, or every field's problem.
    pub fn check(&self) -> Result<QualificationInput, DomainError> {
        let mut p = Vec::new();
        let scope = required(&mut p, "scope", &self.scope, 100);
        let certificate = required(&mut p, "certificate", &self.certificate, 100);
        let certificate_no = required(&mut p, "certificate_no", &self.certificate_no, 60);
        if p.is_empty() {
            Ok(QualificationInput { scope, certificate, certificate_no, expires_on: self.expires_on })
        } else {
            Err(DomainError::Invalid(p))
        }
    }
}

impl Qualification {
    /// Still valid on `today` (the expiry day itself counts).
    pub fn valid_on(&self, today: Date) -> bool {
        self.expires_on.is_none_or(|e| today <= e)
    }

    /// Whether it qualifies its holder for a device of `model` on `today`: valid, and its
    /// scope is the model or a product line the model's name starts with (a whole word:
    /// `HP M4` does not cover `HP M404`).
    pub fn covers(&self, model: &str, today: Date) -> bool {
        self.valid_on(today) && scope_covers(&self.scope, model)
    }
}

/// Whether a qualification `scope` names `model` or a product line of it (case and
/// surrounding spaces ignored).
pub fn scope_covers(scope: &str, model: &str) -> bool {
    let scope = scope.trim().to_lowercase();
    let model = model.trim().to_lowercase();
    if scope.is_empty() {
        return false;
    }
    model == scope || model.strip_prefix(&scope).is_some_and(|rest| rest.starts_with([' ', '-', '/', '_']))
}

coded_enum! {
    /// How a training ended.
    pub enum TrainingResult {
        Passed = ("passed", "合格", "Passed"),
        Failed = ("failed", "不合格", "Failed"),
        Attended = ("attended", "已参加", "Attended"),
    }
}

/// A course an engineer took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingRecord {
    pub id: Id,
    pub user_id: Id,
    pub course: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub taken_on: Date,
    pub outcome: TrainingResult,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A training record as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingInput {
    #[serde(default)]
    pub course: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    #[serde(default)]
    pub taken_on: Option<Date>,
    #[serde(default)]
    pub outcome: Option<TrainingResult>,
}

impl TrainingInput {
    /// The course (trimmed), date and result, or every field's problem; a training cannot
    /// be recorded before it happened (`today`).
    pub fn check(&self, today: Date) -> Result<(String, Date, TrainingResult), DomainError> {
        let mut p = Vec::new();
        let course = required(&mut p, "course", &self.course, 100);
        match self.taken_on {
            None => p.push(("taken_on", Reason::Missing)),
            Some(d) if d > today => {
                p.push(("taken_on", Reason::Mismatch { detail_en: "is in the future", detail_zh: "不能晚于今天" }))
            }
            Some(_) => {}
        }
        if self.outcome.is_none() {
            p.push(("outcome", Reason::Missing));
        }
        match (self.taken_on, self.outcome) {
            (Some(d), Some(r)) if p.is_empty() => Ok((course, d, r)),
            _ => Err(DomainError::Invalid(p)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn q(scope: &str, expires: Option<Date>) -> Qualification {
        Qualification {
            id: 1,
            user_id: 1,
            scope: scope.into(),
            certificate: "惠普认证维修工程师".into(),
            certificate_no: "HP-2024-001".into(),
            expires_on: expires,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_model_or_its_product_line_is_covered_until_the_expiry_day() {
        let today = date(2026, 3, 15);
        assert!(q("HP M4", None).covers("hp m4", today));
        assert!(q("HP LaserJet", None).covers("HP LaserJet M404dn", today));
        assert!(!q("HP M4", None).covers("HP M404", today));
        assert!(q("HP M4", Some(today)).covers("HP M4", today));
        assert!(!q("HP M4", Some(date(2026, 3, 14))).covers("HP M4", today));
        assert!(!q("", None).covers("HP M4", today));
    }

    #[test]
    fn a_training_in_the_future_or_without_result_is_refused_by_field() {
        let today = date(2026, 3, 15);
        let bad = TrainingInput { course: " ".into(), taken_on: Some(date(2026, 3, 16)), outcome: None };
        let Err(DomainError::Invalid(p)) = bad.check(today) else { panic!("accepted") };
        let fields: Vec<_> = p.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["course", "taken_on", "outcome"]);
    }
}
