//! The versioned service policy (DOMAIN §4): the deadline matrices per level and customer
//! level, a past version, and the table form that saves a new version.

use std::collections::BTreeSet;

use aftersales_app::AppError;
use aftersales_domain::calendar::{clock_text, parse_clock, parse_minutes, span_text};
use aftersales_domain::clock::{ClockKind, ClockRule, ServicePolicy};
use aftersales_domain::customer::CustomerLevel;
use aftersales_domain::error::Reason;
use aftersales_domain::grading::{Counting, GradingScheme};
use aftersales_domain::permission::Action;
use aftersales_domain::ticket::Status;
use aftersales_domain::{DomainError, Id, Lang};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Time;

use super::form::{Choice, PageId, app_err, choices, require, text};
use super::shared::{
    Done, Pairs, TableRow, chosen, counting_options, field_problem, is_stale, on_form, read_rows, refuse_rows,
    row_errors,
};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::{L, Length};
use crate::pages::{PageError, Signed, render};

// ----- service policy -----

/// The clocks a policy gives a length (arrival is the agreed time, progress the daily cutoff).
pub(crate) fn length_clocks() -> impl Iterator<Item = ClockKind> {
    ClockKind::ALL.iter().copied().filter(|c| c.has_length())
}

/// The states a rule may pause on.
pub(crate) const PAUSES: [Status; 2] = [Status::WaitingCustomer, Status::WaitingParts];

pub(crate) struct Cell {
    pub(crate) text: String,
    pub(crate) note: String,
    /// Set by a row for exactly this level (or customer level), not inherited from "any".
    pub(crate) specific: bool,
}

pub(crate) struct MatrixRow {
    pub(crate) level: String,
    pub(crate) cells: Vec<Cell>,
}

pub(crate) struct Matrix {
    pub(crate) title: String,
    pub(crate) rows: Vec<MatrixRow>,
}

pub(crate) struct RuleView {
    pub(crate) clock: &'static str,
    pub(crate) level: String,
    pub(crate) customer_level: String,
    pub(crate) length: String,
    pub(crate) counting: &'static str,
    pub(crate) pauses: String,
}

pub(crate) struct VersionRow {
    pub(crate) version: i64,
    pub(crate) at: String,
    pub(crate) by: String,
    pub(crate) current: bool,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
pub(crate) struct PolicyPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) version: i64,
    pub(crate) current: bool,
    pub(crate) progress_cutoff: String,
    pub(crate) columns: Vec<&'static str>,
    pub(crate) matrices: Vec<Matrix>,
    pub(crate) rules: Vec<RuleView>,
    pub(crate) versions: Vec<VersionRow>,
    pub(crate) message: Option<String>,
}

pub(crate) fn pauses_text(l: &L, pause_on: &[Status]) -> String {
    pause_on.iter().map(|s| s.label(l.lang)).collect::<Vec<_>>().join(l.t("common.sep_2"))
}

pub(crate) fn cell(l: &L, rule: Option<&ClockRule>, level: Option<&str>, customer_level: Option<&str>) -> Cell {
    match rule {
        None => Cell { text: "—".into(), note: l.t("admin.catalog.not_timed").to_owned(), specific: false },
        Some(r) => {
            let mut note = r.counting.label(l.lang).to_owned();
            if !r.pause_on.is_empty() {
                let p = pauses_text(l, &r.pause_on);
                note.push_str(&if l.is_en() { format!(" · paused while {p}") } else { format!(" · {p}时暂停") });
            }
            let specific = (level.is_some() && r.level.as_deref() == level)
                || (customer_level.is_some() && r.customer_level.as_deref() == customer_level);
            Cell { text: l.length(r.minutes, Length::Rule(r.counting)), note, specific }
        }
    }
}

pub(crate) fn level_title(l: &L, code: &str, scheme: &GradingScheme) -> String {
    match scheme.level(code) {
        Some(v) => format!("{} {}", v.code, if l.is_en() { &v.name_en } else { &v.name_zh }),
        None => code.to_owned(),
    }
}

pub(crate) fn customer_level_title(l: &L, code: &str, levels: &[CustomerLevel]) -> String {
    let name = levels.iter().find(|c| c.code == code).map(|c| if l.is_en() { &c.name_en } else { &c.name_zh });
    match (l.lang, name) {
        (Lang::Zh, Some(n)) => format!("客户级别 {code}（{n}）"),
        (Lang::En, Some(n)) => format!("Customer level {code} ({n})"),
        (Lang::Zh, None) => format!("客户级别 {code}"),
        (Lang::En, None) => format!("Customer level {code}"),
    }
}

pub(crate) fn matrices(
    l: &L,
    p: &ServicePolicy,
    scheme: &GradingScheme,
    customer_levels: &[CustomerLevel],
) -> Vec<Matrix> {
    let mut levels: Vec<String> = {
        let mut v = scheme.levels.clone();
        v.sort_by_key(|v| v.rank);
        v.into_iter().map(|v| v.code).collect()
    };
    for r in &p.rules {
        if let Some(code) = &r.level
            && !levels.contains(code)
        {
            levels.push(code.clone());
        }
    }
    let customers: BTreeSet<&str> = p.rules.iter().filter_map(|r| r.customer_level.as_deref()).collect();
    std::iter::once(None)
        .chain(customers.into_iter().map(Some))
        .map(|customer| {
            let title = match customer {
                None => l.t("admin.catalog.all_customers").to_owned(),
                Some(c) => customer_level_title(l, c, customer_levels),
            };
            let rows = levels
                .iter()
                .map(|code| MatrixRow {
                    level: level_title(l, code, scheme),
                    cells: length_clocks()
                        .map(|clock| cell(l, p.rule(clock, Some(code), customer), Some(code), customer))
                        .collect(),
                })
                .collect();
            Matrix { title, rows }
        })
        .collect()
}

pub(crate) async fn policy_page(
    s: &AppState,
    who: &Signed,
    version: Option<i64>,
    message: Option<String>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let p = s.app.service_policy(&who.actor, version).await.map_err(app_err(l))?;
    let scheme = s.app.grading_scheme(&who.actor).await.map_err(app_err(l))?;
    let customer_levels = s.app.customer_levels(&who.actor).await.unwrap_or_default();
    let stored = s.app.policy_versions(&who.actor).await.map_err(app_err(l))?;
    let newest = stored.first().map(|v| v.version);
    let by: Vec<Id> = stored.iter().filter_map(|v| v.created_by).collect();
    let names = s.app.names(&who.actor, &by, &[]).await.map(|n| n.users).unwrap_or_default();
    let versions = stored
        .iter()
        .map(|v| VersionRow {
            version: v.version,
            at: l.ts(v.created_at),
            by: match v.created_by {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
                None => l.t("admin.catalog.initial_set_up").to_owned(),
            },
            current: Some(v.version) == newest,
        })
        .collect();
    let rules = p
        .rules
        .iter()
        .map(|r| RuleView {
            clock: r.clock.label(l.lang),
            level: r
                .level
                .as_deref()
                .map_or_else(|| l.t("admin.catalog.any_level").to_owned(), |c| level_title(l, c, &scheme)),
            customer_level: r.customer_level.as_deref().map_or_else(
                || l.t("admin.catalog.any_customer").to_owned(),
                |c| customer_level_title(l, c, &customer_levels),
            ),
            length: l.length(r.minutes, Length::Rule(r.counting)),
            counting: r.counting.label(l.lang),
            pauses: pauses_text(l, &r.pause_on),
        })
        .collect();
    let page = PolicyPage {
        l,
        nav: Some(Nav::of(s, who, "admin").await),
        version: p.version,
        current: Some(p.version) == newest,
        progress_cutoff: clock_text(p.progress_cutoff, false),
        columns: length_clocks().map(|c| c.label(l.lang)).collect(),
        matrices: matrices(l, &p, &scheme, &customer_levels),
        rules,
        versions,
        message,
    };
    Ok(render(&page))
}

pub(crate) async fn policy(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let message = match (q.done.as_str(), q.version.parse::<i64>()) {
        ("saved", Ok(v)) => Some(if l.is_en() {
            format!("Version {v} is saved; it applies to tickets accepted or graded from now on.")
        } else {
            format!("已保存为新版本 v{v}；此后受理或分级的工单按新版本计时。")
        }),
        _ => None,
    };
    policy_page(&s, &who, None, message).await
}

pub(crate) async fn policy_version(
    State(s): State<AppState>,
    who: Signed,
    PageId(v): PageId,
) -> Result<Response, PageError> {
    policy_page(&s, &who, Some(v), None).await
}

/// One rule of the policy's form, as entered.
#[derive(Default)]
pub(crate) struct RuleRow {
    pub(crate) clock: String,
    pub(crate) level: String,
    pub(crate) customer_level: String,
    pub(crate) length: String,
    pub(crate) counting: String,
    pub(crate) pause_customer: bool,
    pub(crate) pause_parts: bool,
    pub(crate) remove: bool,
    pub(crate) clocks: Vec<Choice>,
    pub(crate) levels: Vec<Choice>,
    pub(crate) customer_levels: Vec<Choice>,
    pub(crate) countings: Vec<Choice>,
    pub(crate) problems: Vec<String>,
}

impl RuleRow {
    pub(crate) fn of(r: &ClockRule) -> RuleRow {
        RuleRow {
            clock: r.clock.code().to_owned(),
            level: r.level.clone().unwrap_or_default(),
            customer_level: r.customer_level.clone().unwrap_or_default(),
            length: span_text(r.minutes),
            counting: r.counting.code().to_owned(),
            pause_customer: r.pause_on.contains(&Status::WaitingCustomer),
            pause_parts: r.pause_on.contains(&Status::WaitingParts),
            ..RuleRow::default()
        }
    }

    pub(crate) fn blank() -> RuleRow {
        RuleRow { counting: Counting::WallClock.code().to_owned(), ..RuleRow::default() }
    }

    /// The rule the row describes, or what of it could not be read (each named). The rules a
    /// policy must follow are the domain's ([`ServicePolicy::problems`]).
    pub(crate) fn rule(&self) -> Result<ClockRule, Vec<(&'static str, Reason)>> {
        let mut p = Vec::new();
        let clock = chosen("clock", &self.clock, ClockKind::from_code).map_err(|why| p.push(why));
        let minutes = parse_minutes(&self.length).map_err(|why| p.push(("length", why)));
        let counting = chosen("counting", &self.counting, Counting::from_code).map_err(|why| p.push(why));
        let (Ok(clock), Ok(minutes), Ok(counting)) = (clock, minutes, counting) else { return Err(p) };
        let pause_on =
            PAUSES.iter().zip([self.pause_customer, self.pause_parts]).filter(|(_, on)| *on).map(|(s, _)| *s).collect();
        Ok(ClockRule {
            clock,
            level: text(&self.level),
            customer_level: text(&self.customer_level),
            minutes,
            counting,
            pause_on,
        })
    }
}

impl TableRow for RuleRow {
    type Value = ClockRule;

    fn skipped(&self) -> bool {
        self.remove || self.length.trim().is_empty()
    }

    fn read(&self) -> Result<ClockRule, Vec<(&'static str, Reason)>> {
        self.rule()
    }

    /// Rules have no name of their own: the row's number says which.
    fn title(&self) -> &str {
        ""
    }

    fn problems(&self) -> &[String] {
        &self.problems
    }

    fn problems_mut(&mut self) -> &mut Vec<String> {
        &mut self.problems
    }
}

pub(crate) fn rule_rows(p: &Pairs) -> Vec<RuleRow> {
    p.rows("r")
        .into_iter()
        .map(|row| {
            let pauses: Vec<&str> = row.values("pause").collect();
            RuleRow {
                clock: row.get("clock"),
                level: row.get("level"),
                customer_level: row.get("customer_level"),
                length: row.get("length"),
                counting: row.get("counting"),
                pause_customer: pauses.contains(&Status::WaitingCustomer.code()),
                pause_parts: pauses.contains(&Status::WaitingParts.code()),
                remove: !row.get("remove").is_empty(),
                ..RuleRow::default()
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/policy_edit.html")]
pub(crate) struct PolicyEdit<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) csrf: String,
    /// The version the rows are based on (posted back as `based_on`).
    pub(crate) version: i64,
    pub(crate) cutoff: String,
    pub(crate) rows: Vec<RuleRow>,
    pub(crate) pause_customer: &'static str,
    pub(crate) pause_parts: &'static str,
    pub(crate) error: Option<String>,
    pub(crate) row_errors: Vec<String>,
}

/// The policy's form; `based_on` is the version the rows were based on (`None`: the current
/// version).
pub(crate) async fn policy_edit_page(
    s: &AppState,
    who: &Signed,
    based_on: Option<i64>,
    cutoff: String,
    mut rows: Vec<RuleRow>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let version = match based_on {
        Some(v) => v,
        None => s.app.service_policy(&who.actor, None).await.map_err(app_err(l))?.version,
    };
    let mut scheme = s.app.grading_scheme(&who.actor).await.map_err(app_err(l))?;
    scheme.levels.sort_by_key(|v| v.rank);
    let customer_levels = s.app.customer_levels(&who.actor).await.map_err(app_err(l))?;
    let clock_options: Vec<(String, String)> =
        length_clocks().map(|c| (c.code().to_owned(), c.label(l.lang).to_owned())).collect();
    let level_options: Vec<(String, String)> =
        std::iter::once((String::new(), l.t("admin.catalog.any_level").to_owned()))
            .chain(scheme.levels.iter().map(|v| (v.code.clone(), level_title(l, &v.code, &scheme))))
            .collect();
    let customer_options: Vec<(String, String)> =
        std::iter::once((String::new(), l.t("admin.catalog.any_customer").to_owned()))
            .chain(customer_levels.iter().map(|c| (c.code.clone(), customer_level_title(l, &c.code, &customer_levels))))
            .collect();
    for r in &mut rows {
        // A value the lists no longer offer (a removed level) stays visible, so it can be changed.
        let keep = |options: &[(String, String)], v: &str| {
            let mut o = options.to_vec();
            if !v.is_empty() && !o.iter().any(|(k, _)| k == v) {
                o.push((v.to_owned(), v.to_owned()));
            }
            o
        };
        r.clocks = choices(keep(&clock_options, &r.clock), &r.clock);
        r.levels = choices(keep(&level_options, &r.level), &r.level);
        r.customer_levels = choices(keep(&customer_options, &r.customer_level), &r.customer_level);
        r.countings = choices(counting_options(l), &r.counting);
    }
    let row_errors = row_errors(&rows, l);
    let page = PolicyEdit {
        l,
        nav: Some(Nav::of(s, who, "admin").await),
        csrf: who.csrf.clone(),
        version,
        cutoff,
        rows,
        pause_customer: Status::WaitingCustomer.label(l.lang),
        pause_parts: Status::WaitingParts.label(l.lang),
        error,
        row_errors,
    };
    Ok((status, render(&page)).into_response())
}

pub(crate) async fn policy_form(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let current = s.app.service_policy(&who.actor, None).await.map_err(app_err(l))?;
    let mut rows: Vec<RuleRow> = current.rules.iter().map(RuleRow::of).collect();
    rows.extend((0..3).map(|_| RuleRow::blank()));
    let cutoff = clock_text(current.progress_cutoff, false);
    policy_edit_page(&s, &who, Some(current.version), cutoff, rows, None, StatusCode::OK).await
}

pub(crate) async fn save_policy(
    State(s): State<AppState>,
    Posted { who, form: pairs }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = Pairs(pairs);
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let based_on = p.based_on();
    let cutoff_text = p.get("progress_cutoff").trim().to_owned();
    let mut rows = rule_rows(&p);
    // Each rule with the form row it came from.
    let rules = read_rows(&mut rows, l);
    let cutoff = parse_clock(&cutoff_text, false);
    if cutoff.is_none() || rows.iter().any(|r| !r.problems.is_empty()) {
        let mut error = l.t("admin.catalog.please_correct_what_is_named_below").to_owned();
        if cutoff.is_none() {
            let why =
                Reason::Malformed { expected_en: "a time of day such as 17:00", expected_zh: "时刻，如 17:00" };
            error = format!("{error} {}", field_problem("progress_cutoff", &why, l));
        }
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return policy_edit_page(&s, &who, based_on, cutoff_text, rows, Some(error), status).await;
    }
    let policy = ServicePolicy {
        version: 0,
        rules: rules.iter().map(|(_, r)| r.clone()).collect(),
        progress_cutoff: cutoff.unwrap_or(Time::midnight()),
    };
    match s.app.save_service_policy(&who.actor, &policy, based_on).await {
        Ok(stored) => Ok(Redirect::to(&format!("/admin/policy?done=saved&version={}", stored.version)).into_response()),
        Err(e) => {
            if matches!(e, AppError::Domain(DomainError::Invalid(_))) {
                // The domain names the rows it refused; they are shown on the rows they came from.
                let scheme = s.app.grading_scheme(&who.actor).await.map_err(app_err(l))?;
                let levels: Vec<String> =
                    s.app.customer_levels(&who.actor).await.map_err(app_err(l))?.into_iter().map(|c| c.code).collect();
                refuse_rows(&mut rows, &rules, policy.problems(&scheme, &levels), |f, why| rule_problem(f, why, l));
            }
            // Stale: the rows stay as entered, now based on the current version, so that
            // saving them again (after a look at it) is a deliberate choice.
            let based_on = if is_stale(&e) { None } else { based_on };
            let (error, status) = on_form(e, l)?;
            policy_edit_page(&s, &who, based_on, cutoff_text, rows, Some(error), status).await
        }
    }
}

/// A refusal of one rule, on its row.
pub(crate) fn rule_problem(field: &str, why: &Reason, l: &L) -> String {
    match (field, why) {
        ("rules", Reason::Duplicate) => l.t("admin.catalog.same_clock_level_and_customer_level").to_owned(),
        _ => field_problem(field, why, l),
    }
}
