//! Small helpers the administration forms share: the app's refusal shown on the form it
//! answers (with a message beside each refused field), the options of a select, reading
//! optional text, ids and dates from form fields into named field problems, the message
//! after a redirect, and the `{id}` of a page's path ([`PageId`]: anything that is no id is
//! the localized "not found" page, not axum's plain-text 400).
//!
//! Nothing here knows a particular form: the words for a field come from the caller.

use std::collections::HashMap;

use aftersales_app::AppError;
use aftersales_domain::error::{Field, Reason};
use aftersales_domain::permission::Action;
use aftersales_domain::{DomainError, Id, Lang};
use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use jiff::civil::Date;

use crate::AppState;
use crate::pages::view::L;
use crate::pages::{PageError, Signed};

// ----- refusals -----

/// The app's refusal as an error page (403, 404, 409 … in the reader's language).
pub fn app_err(l: &L) -> impl Fn(AppError) -> PageError + '_ {
    move |e| PageError::App(e, l.clone())
}

/// Refuses, with the app's own answer (403), someone who may not do `action`.
pub fn require(who: &Signed, action: Action) -> Result<(), PageError> {
    who.actor.require(action).map_err(app_err(&who.l))
}

/// Whether a refusal is shown on the form it answers (the input was wrong, or conflicts with
/// what is stored) rather than as an error page (no permission, nothing there, a failure).
pub fn shown_on_form(e: &AppError) -> bool {
    matches!(e, AppError::Domain(d) if !matches!(d, DomainError::Forbidden { .. }))
}

/// What went wrong with a form: one sentence for the top, and a message beside each field.
#[derive(Debug, Default)]
pub struct Problems {
    pub summary: Option<String>,
    fields: HashMap<&'static str, String>,
}

impl Problems {
    /// The refusal `e` as the form shows it, with its status (422 for refused fields, 409 for
    /// a rule such as "not yourself"); `Err(e)` for what is no form problem (no permission,
    /// nothing there, a failure), to answer with the error page. `label` names a field in
    /// `lang` (`用户名`, `Username`).
    pub fn of_error(
        e: AppError,
        lang: Lang,
        label: impl Fn(&str) -> String,
    ) -> Result<(StatusCode, Problems), AppError> {
        if !shown_on_form(&e) {
            return Err(e);
        }
        let status = crate::error::status_of(&e);
        match e {
            AppError::Domain(DomainError::Invalid(list)) => {
                let mut p = Problems::default();
                let mut parts = Vec::new();
                for (field, reason) in &list {
                    parts.push(field_problem(&label(field), reason, lang));
                    p.fields.entry(*field).or_insert_with(|| reason.message(lang));
                }
                p.summary = Some(match lang {
                    Lang::Zh => format!("提交的内容有误：{}", parts.join("；")),
                    Lang::En => format!("Please correct: {}", parts.join("; ")),
                });
                Ok((status, p))
            }
            e => Ok((status, Problems::message(e.message(lang)))),
        }
    }

    /// Only a sentence for the top of the form.
    pub fn message(summary: impl Into<String>) -> Problems {
        Problems { summary: Some(summary.into()), fields: HashMap::new() }
    }

    /// The message beside `field`, if it was refused.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

/// One refused field in words: `用户名（已存在）` / `Username already exists`.
pub fn field_problem(label: &str, reason: &Reason, lang: Lang) -> String {
    let msg = reason.message(lang);
    match lang {
        Lang::Zh => format!("{label}（{msg}）"),
        Lang::En => format!("{label} {msg}"),
    }
}

// ----- selects -----

/// One `<option>` of a select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One option, selected when its value is `chosen`.
pub fn choice(value: impl ToString, label: impl Into<String>, chosen: &str) -> Choice {
    let value = value.to_string();
    Choice { selected: value == chosen, value, label: label.into() }
}

/// The options of a select from `(value, label)` pairs, the one equal to `chosen` selected.
pub fn choices(options: impl IntoIterator<Item = (String, String)>, chosen: &str) -> Vec<Choice> {
    options.into_iter().map(|(value, label)| choice(value, label, chosen)).collect()
}

// ----- reading fields -----

/// Trimmed text; `None` when empty.
pub fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// An optional id (a select's value): empty is none; anything else that is not an id names
/// `field` as unknown.
pub fn parse_id(field: Field, s: &str) -> Result<Option<Id>, DomainError> {
    match s.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| DomainError::field(field, Reason::Unknown)),
    }
}

/// [`parse_id`] gathering the problem into `problems` (to name every bad field at once).
pub fn id_field(s: &str, field: Field, problems: &mut Vec<(Field, Reason)>) -> Option<Id> {
    parse_id(field, s).unwrap_or_else(|_| {
        problems.push((field, Reason::Unknown));
        None
    })
}

/// A yes/no field of a button's form: `1` or `0` exactly; anything else (or nothing) names
/// `field` instead of being read as either.
pub fn parse_flag(field: Field, s: &str) -> Result<bool, DomainError> {
    match s {
        "1" => Ok(true),
        "0" => Ok(false),
        _ => Err(DomainError::field(field, Reason::Malformed { expected_en: "1 or 0", expected_zh: "1 或 0" })),
    }
}

const DATE: Reason =
    Reason::Malformed { expected_en: "a date such as 2024-03-15", expected_zh: "日期，如 2024-03-15" };

/// A required civil date from a date input (`YYYY-MM-DD`); anything else names `field`.
pub fn parse_date(field: Field, s: &str) -> Result<Date, DomainError> {
    match s.trim() {
        "" => Err(DomainError::field(field, Reason::Missing)),
        t => t.parse().map_err(|_| DomainError::field(field, DATE)),
    }
}

/// An optional civil date (empty is none), gathering a malformed one into `problems`.
pub fn date_field(s: &str, field: Field, problems: &mut Vec<(Field, Reason)>) -> Option<Date> {
    if s.trim().is_empty() {
        return None;
    }
    match parse_date(field, s) {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push((field, DATE));
            None
        }
    }
}

// ----- after a redirect -----

/// The message for the common outcomes of a form after its redirect (`?saved=created`,
/// `?done=saved` …); `None` for anything else (the page may know more of its own).
pub fn done_message(l: &L, done: &str) -> Option<String> {
    let m = match done {
        "created" => l.t("admin.form.created"),
        "saved" => l.t("admin.form.saved"),
        "deleted" => l.t("admin.form.deleted"),
        "removed" => l.t("admin.form.removed"),
        _ => return None,
    };
    Some(m.to_owned())
}

// ----- the page's path -----

/// The `{id}` of a page's path. A path whose id is no number is answered like an unknown
/// record, with the "not found" page in the reader's language (a signed-out reader is sent
/// to sign in first, as for any page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageId(pub Id);

impl FromRequestParts<AppState> for PageId {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Ok(Path(raw)) = Path::<String>::from_request_parts(parts, state).await
            && let Ok(id) = raw.parse::<Id>()
        {
            return Ok(PageId(id));
        }
        // Only now is the reader's language needed: it is the session's.
        let who = Signed::from_request_parts(parts, state).await?;
        Err(PageError::NotFound(who.l))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_into_named_problems() {
        let mut p = Vec::new();
        assert_eq!(text("  a b "), Some("a b".into()));
        assert_eq!(text("   "), None);
        assert_eq!(id_field(" 12 ", "group_id", &mut p), Some(12));
        assert_eq!(id_field("", "group_id", &mut p), None);
        assert!(p.is_empty());
        assert_eq!(id_field("abc", "group_id", &mut p), None);
        assert_eq!(date_field("2024-03-15", "first", &mut p), Some(jiff::civil::date(2024, 3, 15)));
        assert_eq!(date_field("", "first", &mut p), None);
        assert_eq!(date_field("2024-13-45", "first", &mut p), None);
        assert_eq!(p.iter().map(|(f, _)| *f).collect::<Vec<_>>(), ["group_id", "first"]);
        assert!(AppError::unless_invalid(p).is_err());
        assert_eq!(parse_id("group_id", "x").map_err(|e| e.code()), Err("invalid_input"));
        assert!(matches!(parse_date("first", ""), Err(DomainError::Invalid(v)) if v[0].1 == Reason::Missing));
        assert_eq!((parse_flag("active", "1"), parse_flag("active", "0")), (Ok(true), Ok(false)));
        assert!(parse_flag("active", "").is_err() && parse_flag("active", "on").is_err());
    }

    #[test]
    fn a_refusal_names_its_fields_or_is_no_form_problem() {
        let e: AppError = DomainError::Invalid(vec![("username", Reason::Duplicate)]).into();
        let (status, p) =
            Problems::of_error(e, Lang::Zh, |f| if f == "username" { "用户名".into() } else { f.into() }).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p.summary.as_deref(), Some("提交的内容有误：用户名（已存在）"));
        assert!(p.of("username").is_some() && p.of("role").is_none());
        let e: AppError = DomainError::from(aftersales_domain::error::Conflict::WindowLeaving).into();
        let (status, p) = Problems::of_error(e, Lang::En, str::to_owned).unwrap();
        let said = aftersales_domain::error::Conflict::WindowLeaving.message(Lang::En);
        assert_eq!((status, p.summary.as_deref()), (StatusCode::CONFLICT, Some(said.as_str())));
        assert!(Problems::of_error(AppError::not_found("user", 1), Lang::Zh, str::to_owned).is_err());
        let c = choices([("1".to_owned(), "one".to_owned()), ("2".to_owned(), "two".to_owned())], "2");
        assert_eq!(c.iter().map(|c| c.selected).collect::<Vec<_>>(), [false, true]);
    }
}
