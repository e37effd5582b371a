//! What the administration pages share beyond the form helpers: the refusal shown on a
//! form, table forms (`Pairs`), the messages after a redirect, and the
//! lists' paging.

use aftersales_app::AppError;
use aftersales_app::users::Page;
use aftersales_domain::customer::CustomerLevel;
use aftersales_domain::error::Reason;
use aftersales_domain::grading::Counting;
use aftersales_domain::role::Role;
use aftersales_domain::{DomainError, Lang};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{self, Problems, app_err, done_message};
use super::labels::{Kind, field_label, label};
use crate::pages::PageError;
use crate::pages::view::L;

/// Whether the app refused an edit based on a version that is no longer the current one.
pub(crate) fn is_stale(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Domain(DomainError::Conflict(
            aftersales_domain::error::Conflict::StalePolicy { .. }
                | aftersales_domain::error::Conflict::StaleGradingScheme
        ))
    )
}

/// One refused field in words, as every administration form says it: `编码（已存在）` /
/// `Code already exists`.
pub(crate) fn field_problem(field: &str, reason: &Reason, l: &L) -> String {
    form::field_problem(&field_label(field, l), reason, l.lang)
}

/// The app's refusal `e` shown on the form it answers: the sentence naming every refused
/// field, and the status; the error page for what is no form problem (no permission,
/// nothing there, a failure).
pub(crate) fn on_form(e: AppError, l: &L) -> Result<(String, StatusCode), PageError> {
    let (status, p) = Problems::of_error(e, l.lang, |f| field_label(f, l)).map_err(app_err(l))?;
    Ok((p.summary.unwrap_or_default(), status))
}

pub(crate) fn row_name(l: &L, n: usize, what: &str) -> String {
    match (l.lang, what.is_empty()) {
        (Lang::Zh, true) => format!("第 {n} 行"),
        (Lang::Zh, false) => format!("第 {n} 行（{what}）"),
        (Lang::En, true) => format!("Row {n}"),
        (Lang::En, false) => format!("Row {n} ({what})"),
    }
}

/// A form as the pairs it posted, in order (table forms have a field per row and column).
pub(crate) struct Pairs(pub(crate) Vec<(String, String)>);

/// One row of a table form: its columns as posted (`l3.code` is column `code` of row 3).
#[derive(Default)]
pub(crate) struct PostedRow<'a>(Vec<(&'a str, &'a str)>);

impl PostedRow<'_> {
    pub(crate) fn get(&self, column: &str) -> String {
        self.0.iter().find(|(c, _)| *c == column).map_or("", |(_, v)| v).to_owned()
    }

    pub(crate) fn values<'b>(&'b self, column: &'b str) -> impl Iterator<Item = &'b str> + 'b {
        self.0.iter().filter(move |(c, _)| *c == column).map(|(_, v)| *v)
    }
}

impl Pairs {
    pub(crate) fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }

    /// Every value posted under `key` (checkbox groups repeat a name).
    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The rows with `prefix` (`l0.code`, `l1.code` …), in the order of their numbers; every
    /// posted row is kept (numbers need not be consecutive), so none is silently dropped.
    pub(crate) fn rows(&self, prefix: &str) -> Vec<PostedRow<'_>> {
        let mut rows: std::collections::BTreeMap<usize, PostedRow<'_>> = std::collections::BTreeMap::new();
        for (k, v) in &self.0 {
            let Some((n, column)) = k.strip_prefix(prefix).and_then(|rest| rest.split_once('.')) else { continue };
            let Ok(n) = n.parse::<usize>() else { continue };
            rows.entry(n).or_default().0.push((column, v.as_str()));
        }
        rows.into_values().collect()
    }

    /// The version (or revision) the form was based on; `None` when the form did not say.
    /// Anything else than a number matches no version.
    pub(crate) fn based_on(&self) -> Option<i64> {
        match self.get("based_on").trim() {
            "" => None,
            t => Some(t.parse().unwrap_or(i64::MIN)),
        }
    }
}

/// A row of a table form (the grading scheme's levels, the service policy's rules): read
/// into its value, or refused with each problem shown on the row.
pub(crate) trait TableRow {
    type Value;
    /// A row left empty or marked for removal: not read.
    fn skipped(&self) -> bool;
    /// The value the row describes, or what of it could not be read (each field named).
    fn read(&self) -> Result<Self::Value, Vec<(&'static str, Reason)>>;
    /// What names the row in the summary beside its number (`""`: the number alone).
    fn title(&self) -> &str;
    /// The row's problems in words (empty: the row is fine).
    fn problems(&self) -> &[String];
    fn problems_mut(&mut self) -> &mut Vec<String>;
}

/// Reads every row that is not skipped: each value with the index of its row; a row that
/// cannot be read gets its problems, in words.
pub(crate) fn read_rows<R: TableRow>(rows: &mut [R], l: &L) -> Vec<(usize, R::Value)> {
    let mut values = Vec::new();
    for (i, r) in rows.iter_mut().enumerate() {
        if r.skipped() {
            continue;
        }
        match r.read() {
            Ok(v) => values.push((i, v)),
            Err(problems) => r.problems_mut().extend(problems.iter().map(|(f, why)| field_problem(f, why, l))),
        }
    }
    values
}

/// Puts the domain's refusals of the values read by [`read_rows`] (`k` indexes those values)
/// on the rows they came from, in words from `say`.
pub(crate) fn refuse_rows<R: TableRow, V>(
    rows: &mut [R],
    values: &[(usize, V)],
    refusals: impl IntoIterator<Item = (Option<usize>, &'static str, Reason)>,
    say: impl Fn(&str, &Reason) -> String,
) {
    for (k, field, why) in refusals {
        if let Some(&(i, _)) = k.and_then(|k| values.get(k)) {
            rows[i].problems_mut().push(say(field, &why));
        }
    }
}

/// The summary at the top of a table form: each refused row, named, with its problems.
pub(crate) fn row_errors<R: TableRow>(rows: &[R], l: &L) -> Vec<String> {
    let named = |(i, r): (usize, &R)| {
        let name = row_name(l, i + 1, r.title().trim());
        format!("{name}{}{}", l.t("admin.catalog.sep"), r.problems().join(l.t("common.sep")))
    };
    rows.iter().enumerate().filter(|(_, r)| !r.problems().is_empty()).map(named).collect()
}

pub(crate) fn counting_options(l: &L) -> Vec<(String, String)> {
    Counting::ALL.iter().map(|c| (c.code().to_owned(), c.label(l.lang).to_owned())).collect()
}

/// A `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Done {
    pub(crate) done: String,
    pub(crate) version: String,
}

/// Rows of a list page.
pub(crate) const PER_PAGE: u64 = 50;

/// Post/Redirect/Get: once the app did what a form asked (`result`), a redirect to the page
/// `to` names; when it refused what the form sent, the form again from `again`, with each
/// refused field named (labels of `kind`) and the refusal's status (422, 409); anything else
/// (no permission, nothing there, a failure) is the error page.
pub(crate) async fn after_post<T, Fut>(
    result: Result<T, AppError>,
    to: impl FnOnce(T) -> String,
    kind: Kind,
    l: &L,
    again: impl FnOnce(Problems, StatusCode) -> Fut,
) -> Result<Response, PageError>
where
    Fut: Future<Output = Result<Response, PageError>>,
{
    match result {
        Ok(v) => Ok(Redirect::to(&to(v)).into_response()),
        Err(e) => {
            let (status, problems) =
                Problems::of_error(e, l.lang, |f| label(f, kind, l.lang).to_owned()).map_err(app_err(l))?;
            again(problems, status).await
        }
    }
}

/// [`after_post`] for a settings form that states a refusal as one sentence above the form:
/// a redirect to `to` once saved, else the page again from `again` with that sentence and
/// the refusal's status.
pub(crate) async fn save_or_say<T, Fut>(
    result: Result<T, AppError>,
    to: &str,
    l: &L,
    again: impl FnOnce(String, StatusCode) -> Fut,
) -> Result<Response, PageError>
where
    Fut: Future<Output = Result<Response, PageError>>,
{
    after_post(result, |_| to.to_owned(), Kind::Setting, l, |p, status| again(p.summary.unwrap_or_default(), status))
        .await
}

/// A form problem to show again with the form, with its status (422, or 409 for a rule such
/// as "not yourself"); `Err` for what is no form problem (refusal, not found, failure).
pub(crate) fn problems(e: AppError, kind: Kind, lang: Lang) -> Result<(StatusCode, Problems), AppError> {
    Problems::of_error(e, lang, |field| label(field, kind, lang).to_owned())
}

/// A list's page from the address (`?page=`): 0 is read as the first; a number beyond any
/// list is refused (422) like the API's.
pub(crate) fn page_of(p: Option<u64>, l: &L) -> Result<Page, PageError> {
    Page::new(Some(p.unwrap_or(1).max(1)), Some(PER_PAGE)).map_err(app_err(l))
}

/// The message after a redirect (`?saved=…`).
pub(crate) fn saved_message(l: &L, saved: &str) -> Option<String> {
    let m = match saved {
        "deactivated" => l.t("admin.directory.account_deactivated_its_sessions_ended"),
        "reactivated" => l.t("admin.directory.account_reactivated"),
        "password" => l.t("admin.directory.password_reset_all_of_the_user"),
        "contact" => l.t("admin.directory.contact_saved"),
        "contact_added" => l.t("admin.directory.contact_added"),
        "left" => l.t("admin.directory.marked_as_left_their_portal_accounts"),
        "back" => l.t("admin.directory.the_contact_is_with_the_customer"),
        "device" => l.t("admin.directory.device_saved"),
        "device_added" => l.t("admin.directory.device_added"),
        other => return done_message(l, other),
    };
    Some(m.to_owned())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Saved {
    pub(crate) saved: String,
    /// Devices page of a customer.
    pub(crate) dpage: Option<u64>,
}

pub(crate) fn role_label(r: Role, lang: Lang) -> &'static str {
    r.label(lang)
}

/// Every role as `(code, label)`.
pub(crate) fn role_options(lang: Lang) -> impl Iterator<Item = (String, String)> {
    Role::ALL.iter().map(move |r| (r.code().to_owned(), r.label(lang).to_owned()))
}

pub(crate) fn level_name(levels: &[CustomerLevel], code: &str, lang: Lang) -> String {
    levels
        .iter()
        .find(|v| v.code == code)
        .map(|v| format!("{} · {}", v.code, if lang == Lang::En { &v.name_en } else { &v.name_zh }))
        .unwrap_or_else(|| code.to_owned())
}

/// The value a select posted, read by `from_code`: missing or unknown is named, never
/// replaced by a default.
pub(crate) fn chosen<T>(
    field: &'static str,
    code: &str,
    from_code: fn(&str) -> Option<T>,
) -> Result<T, (&'static str, Reason)> {
    match code.trim() {
        "" => Err((field, Reason::Missing)),
        c => from_code(c).ok_or((field, Reason::Unknown)),
    }
}
