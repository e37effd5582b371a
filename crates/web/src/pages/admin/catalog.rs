//! Administration of the catalog and the clocks (DOMAIN §1 administrator, §2–§4): handling
//! groups, problem categories, the grading scheme (问题分级), business calendars with their
//! holidays and make-up working days, and the versioned service policy.
//!
//! Every page calls the `app` use cases the JSON API calls; the manage permission is asked of
//! the app on every page (`Actor::require`), so a reader without it gets the app's 403 and
//! never a page with the buttons hidden. Forms follow Post/Redirect/Get; a refused form is
//! shown again with what was entered and the refusal, naming the field (and the row of a
//! table form).

use std::collections::BTreeSet;

use aftersales_app::AppError;
use aftersales_app::catalog::{CategoryInput, GroupInput};
use aftersales_app::clocks::{CalendarInfo, HolidayImport};
use aftersales_domain::calendar::{
    CalendarSpec, DayRule, HolidaySet, Interval, WEEKDAY_NAMES, clock_text, parse_clock, parse_minutes, span_text,
    weekday_from_name, weekday_index,
};
use aftersales_domain::catalog::{Category, CategoryFamily, Group};
use aftersales_domain::clock::{ClockKind, ClockRule, ServicePolicy};
use aftersales_domain::customer::CustomerLevel;
use aftersales_domain::error::Reason;
use aftersales_domain::grading::{Counting, GradingScheme, Level};
use aftersales_domain::permission::Action;
use aftersales_domain::ticket::Status;
use aftersales_domain::{DomainError, Id, Lang};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, routing::MethodRouter};
use jiff::civil::{Date, Time};
use serde::Deserialize;

use super::super::tickets::Nav;
use super::super::view::L;
use super::super::{PageError, Signed, form_urlencode, render};
use super::form::{
    self, Choice, PageId, Problems, app_err, choices, done_message, parse_date, parse_id, require, text,
};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/groups", get(groups).post(create_group))
        .route("/admin/groups/{id}", get(group).post(update_group))
        .route("/admin/categories", get(categories).post(create_category))
        .route("/admin/categories/{id}", get(category).post(update_category))
        .route("/admin/grading", get(grading))
        .route("/admin/grading/edit", get(grading_form).post(save_grading))
        .route("/admin/calendars", get(calendars).post(create_calendar))
        .route("/admin/calendars/{name}", get(calendar).post(save_hours))
        .route("/admin/calendars/{name}/holidays", post(add_holidays))
        .route("/admin/calendars/{name}/holidays/remove", post(remove_holidays))
        .route("/admin/calendars/{name}/import", post(import_holidays))
        .route("/admin/policy", get(policy))
        .route("/admin/policy/edit", policy_edit())
        .route("/admin/policy/versions/{version}", get(policy_version))
}

fn policy_edit() -> MethodRouter<AppState> {
    get(policy_form).post(save_policy)
}

// ----- shared -----

/// Whether the app refused an edit based on a version that is no longer the current one.
fn is_stale(e: &AppError) -> bool {
    matches!(e, AppError::Domain(DomainError::Conflict { code: "stale_policy" | "stale_grading_scheme", .. }))
}

/// What an input field is called on these forms.
fn field_label(field: &str, l: &L) -> String {
    let (zh, en) = match field {
        "code" => ("编码", "Code"),
        "name_zh" => ("中文名称", "Chinese name"),
        "name_en" => ("英文名称", "English name"),
        "family" => ("所属列表", "List"),
        "group_id" => ("处理组", "Group"),
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
        "name" => ("名称", "Name"),
        "time_zone" => ("时区", "Time zone"),
        "week" => ("每周工作时间", "Weekly working hours"),
        "holiday_set" => ("节假日表", "Holiday set"),
        "region" => ("地域", "Region"),
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
        _ => return field.to_owned(),
    };
    l.pick(zh, en).to_owned()
}

/// One refused field in words, as every administration form says it: `编码（已存在）` /
/// `Code already exists`.
fn field_problem(field: &str, reason: &Reason, l: &L) -> String {
    form::field_problem(&field_label(field, l), reason, l.lang)
}

/// The app's refusal `e` shown on the form it answers: the sentence naming every refused
/// field, and the status; the error page for what is no form problem (no permission,
/// nothing there, a failure).
fn on_form(e: AppError, l: &L) -> Result<(String, StatusCode), PageError> {
    let (status, p) = Problems::of_error(e, l.lang, |f| field_label(f, l)).map_err(app_err(l))?;
    Ok((p.summary.unwrap_or_default(), status))
}

fn row_name(l: &L, n: usize, what: &str) -> String {
    match (l.lang, what.is_empty()) {
        (Lang::Zh, true) => format!("第 {n} 行"),
        (Lang::Zh, false) => format!("第 {n} 行（{what}）"),
        (Lang::En, true) => format!("Row {n}"),
        (Lang::En, false) => format!("Row {n} ({what})"),
    }
}

/// A form of the pairs it posted (table forms have a field per row and column).
struct Pairs(Vec<(String, String)>);

/// One row of a table form: its columns as posted (`l3.code` is column `code` of row 3).
#[derive(Default)]
struct PostedRow<'a>(Vec<(&'a str, &'a str)>);

impl PostedRow<'_> {
    fn get(&self, column: &str) -> String {
        self.0.iter().find(|(c, _)| *c == column).map_or("", |(_, v)| v).to_owned()
    }

    fn values<'b>(&'b self, column: &'b str) -> impl Iterator<Item = &'b str> + 'b {
        self.0.iter().filter(move |(c, _)| *c == column).map(|(_, v)| *v)
    }
}

impl Pairs {
    fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }

    /// The rows with `prefix` (`l0.code`, `l1.code` …), in the order of their numbers; every
    /// posted row is kept (numbers need not be consecutive), so none is silently dropped.
    fn rows(&self, prefix: &str) -> Vec<PostedRow<'_>> {
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
    fn based_on(&self) -> Option<i64> {
        match self.get("based_on").trim() {
            "" => None,
            t => Some(t.parse().unwrap_or(i64::MIN)),
        }
    }
}

/// A length for reading: `2 小时`, `1 小时 30 分钟`, `120 小时（5 天）`.
fn readable(l: &L, minutes: i64, counting: Counting) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let mut out = match (l.lang, h, m) {
        (Lang::Zh, 0, m) => format!("{m} 分钟"),
        (Lang::Zh, h, 0) => format!("{h} 小时"),
        (Lang::Zh, h, m) => format!("{h} 小时 {m} 分钟"),
        (Lang::En, 0, m) => format!("{m} min"),
        (Lang::En, h, 0) => format!("{h} h"),
        (Lang::En, h, m) => format!("{h} h {m} min"),
    };
    if counting == Counting::WallClock && minutes >= 1440 && minutes % 1440 == 0 {
        let d = minutes / 1440;
        out.push_str(&if l.is_en() { format!(" ({d} days)") } else { format!("（{d} 天）") });
    }
    out
}

fn counting_options(l: &L) -> Vec<(String, String)> {
    Counting::ALL.iter().map(|c| (c.code().to_owned(), c.label(l.lang).to_owned())).collect()
}

/// A `?done=` after a redirect.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
    #[serde(default)]
    version: String,
}

// ----- groups -----

#[derive(Debug, Default, Deserialize)]
pub struct GroupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
}

struct GroupRow {
    g: Group,
    categories: usize,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    groups: Vec<GroupRow>,
    f: GroupForm,
    message: Option<String>,
    error: Option<String>,
}

async fn groups_page(
    s: &AppState,
    who: &Signed,
    f: GroupForm,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let categories = s.app.categories(&who.actor).await.map_err(app_err(l))?;
    let groups = s
        .app
        .groups(&who.actor)
        .await
        .map_err(app_err(l))?
        .into_iter()
        .map(|g| GroupRow { categories: categories.iter().filter(|c| c.group_id == Some(g.id)).count(), g })
        .collect();
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&GroupsPage { l, nav, groups, f, message, error })).into_response())
}

async fn groups(State(s): State<AppState>, who: Signed, Query(q): Query<Done>) -> Result<Response, PageError> {
    let message = done_message(&who.l, &q.done);
    groups_page(&s, &who, GroupForm::default(), message, None, StatusCode::OK).await
}

fn group_input(f: &GroupForm, with_code: bool) -> GroupInput {
    GroupInput {
        code: with_code.then(|| f.code.trim().to_owned()),
        name_zh: Some(f.name_zh.clone()),
        name_en: Some(f.name_en.clone()),
    }
}

async fn create_group(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(f): Form<GroupForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    match s.app.create_group(&who.actor, &group_input(&f, true)).await {
        Ok(_) => Ok(Redirect::to("/admin/groups?done=created").into_response()),
        Err(e) => {
            let (error, status) = on_form(e, &who.l)?;
            groups_page(&s, &who, f, None, Some(error), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/groups_edit.html")]
struct GroupPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    id: Id,
    code: String,
    f: GroupForm,
    categories: Vec<Category>,
    error: Option<String>,
}

async fn group_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    f: Option<GroupForm>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let Some(g) = s.app.groups(&who.actor).await.map_err(app_err(l))?.into_iter().find(|g| g.id == id) else {
        return Err(PageError::NotFound(l.clone()));
    };
    let categories: Vec<Category> = s
        .app
        .categories(&who.actor)
        .await
        .map_err(app_err(l))?
        .into_iter()
        .filter(|c| c.group_id == Some(id))
        .collect();
    let f = f.unwrap_or_else(|| GroupForm {
        code: g.code.clone(),
        name_zh: g.name_zh.clone(),
        name_en: g.name_en.clone(),
        ..GroupForm::default()
    });
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&GroupPage { l, nav, id, code: g.code, f, categories, error })).into_response())
}

async fn group(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    group_page(&s, &who, id, None, None, StatusCode::OK).await
}

async fn update_group(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(f): Form<GroupForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    match s.app.update_group(&who.actor, id, &group_input(&f, false)).await {
        Ok(_) => Ok(Redirect::to("/admin/groups?done=saved").into_response()),
        Err(e) => {
            let (error, status) = on_form(e, &who.l)?;
            group_page(&s, &who, id, Some(f), Some(error), status).await
        }
    }
}

// ----- categories -----

#[derive(Debug, Default, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    group_id: String,
    /// A checkbox: present when ticked.
    active: Option<String>,
}

struct CategoryRow {
    c: Category,
    group: String,
}

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    categories: Vec<CategoryRow>,
    families: Vec<Choice>,
    groups: Vec<Choice>,
    f: CategoryForm,
    message: Option<String>,
    error: Option<String>,
}

fn group_name(l: &L, g: &Group) -> String {
    format!("{}（{}）", if l.is_en() { &g.name_en } else { &g.name_zh }, g.code)
}

fn group_choices(l: &L, groups: &[Group], selected: &str, none: Option<&str>) -> Vec<Choice> {
    let none = none.map(|n| (String::new(), n.to_owned()));
    choices(none.into_iter().chain(groups.iter().map(|g| (g.id.to_string(), group_name(l, g)))), selected)
}

async fn categories_page(
    s: &AppState,
    who: &Signed,
    f: CategoryForm,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let groups = s.app.groups(&who.actor).await.map_err(app_err(l))?;
    let mut categories: Vec<CategoryRow> = s
        .app
        .categories(&who.actor)
        .await
        .map_err(app_err(l))?
        .into_iter()
        .map(|c| {
            let group = groups
                .iter()
                .find(|g| Some(g.id) == c.group_id)
                .map_or_else(|| l.t("common.none").to_owned(), |g| group_name(l, g));
            CategoryRow { c, group }
        })
        .collect();
    categories.sort_by_key(|r| CategoryFamily::ALL.iter().position(|f| *f == r.c.family));
    let families =
        choices(CategoryFamily::ALL.iter().map(|f| (f.code().to_owned(), f.label(l.lang).to_owned())), &f.family);
    let groups = group_choices(l, &groups, &f.group_id, Some(l.t("common.none")));
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&CategoriesPage { l, nav, categories, families, groups, f, message, error })).into_response())
}

async fn categories(State(s): State<AppState>, who: Signed, Query(q): Query<Done>) -> Result<Response, PageError> {
    let message = done_message(&who.l, &q.done);
    let f = CategoryForm { active: Some("on".into()), ..CategoryForm::default() };
    categories_page(&s, &who, f, message, None, StatusCode::OK).await
}

async fn create_category(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(f): Form<CategoryForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let result = match parse_id("group_id", &f.group_id) {
        Err(e) => Err(e.into()),
        Ok(group_id) => {
            let input = CategoryInput {
                family: CategoryFamily::from_code(&f.family),
                code: Some(f.code.trim().to_owned()),
                name_zh: Some(f.name_zh.clone()),
                name_en: Some(f.name_en.clone()),
                group_id,
                active: Some(f.active.is_some()),
            };
            s.app.create_category(&who.actor, &input).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/categories?done=created").into_response()),
        Err(e) => {
            let (error, status) = on_form(e, &who.l)?;
            categories_page(&s, &who, f, None, Some(error), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/categories_edit.html")]
struct CategoryPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    c: Category,
    groups: Vec<Choice>,
    f: CategoryForm,
    error: Option<String>,
}

async fn category_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    f: Option<CategoryForm>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let Some(c) = s.app.categories(&who.actor).await.map_err(app_err(l))?.into_iter().find(|c| c.id == id) else {
        return Err(PageError::NotFound(l.clone()));
    };
    let f = f.unwrap_or_else(|| CategoryForm {
        name_zh: c.name_zh.clone(),
        name_en: c.name_en.clone(),
        group_id: c.group_id.map(|g| g.to_string()).unwrap_or_default(),
        active: c.active.then(|| "on".into()),
        ..CategoryForm::default()
    });
    let groups = s.app.groups(&who.actor).await.map_err(app_err(l))?;
    // A category's group can be changed but not taken away (dispatch needs one once set).
    let none = c.group_id.is_none().then(|| l.t("common.none"));
    let groups = group_choices(l, &groups, &f.group_id, none);
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&CategoryPage { l, nav, c, groups, f, error })).into_response())
}

async fn category(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    category_page(&s, &who, id, None, None, StatusCode::OK).await
}

async fn update_category(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(f): Form<CategoryForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let result = match parse_id("group_id", &f.group_id) {
        Err(e) => Err(e.into()),
        Ok(group_id) => {
            let input = CategoryInput {
                name_zh: Some(f.name_zh.clone()),
                name_en: Some(f.name_en.clone()),
                group_id,
                active: Some(f.active.is_some()),
                ..CategoryInput::default()
            };
            s.app.update_category(&who.actor, id, &input).await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/categories?done=saved").into_response()),
        Err(e) => {
            let (error, status) = on_form(e, &who.l)?;
            category_page(&s, &who, id, Some(f), Some(error), status).await
        }
    }
}

// ----- grading scheme -----

/// One level of the scheme, for reading.
struct LevelView {
    code: String,
    rank: i32,
    name: String,
    scope: String,
    urgency: String,
    respond: String,
    resolve: String,
    counting: &'static str,
    owner: String,
}

#[derive(Template)]
#[template(path = "admin/grading.html")]
struct GradingPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    levels: Vec<LevelView>,
    message: Option<String>,
}

async fn grading(State(s): State<AppState>, who: Signed, Query(q): Query<Done>) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageCatalog)?;
    let mut scheme = s.app.grading_scheme(&who.actor).await.map_err(app_err(l))?;
    scheme.levels.sort_by_key(|v| v.rank);
    let levels = scheme
        .levels
        .iter()
        .map(|v| LevelView {
            code: v.code.clone(),
            rank: v.rank,
            name: if l.is_en() { v.name_en.clone() } else { v.name_zh.clone() },
            scope: v.scope.clone(),
            urgency: v.urgency.clone(),
            respond: readable(l, v.respond_minutes, v.counting),
            resolve: readable(l, v.resolve_minutes, v.counting),
            counting: v.counting.label(l.lang),
            owner: v.default_owner.clone(),
        })
        .collect();
    let message = match (q.done.as_str(), q.version.parse::<i64>()) {
        ("saved", Ok(v)) => Some(if l.is_en() {
            format!("The grading scheme is saved; its times are in the new service policy version {v}.")
        } else {
            format!("分级标准已保存；其响应与解决时限已写入服务策略新版本 v{v}。")
        }),
        ("saved", _) => Some(l.t("admin.catalog.the_grading_scheme_is_saved").to_owned()),
        _ => None,
    };
    let nav = Some(Nav::of(&s, &who, "admin").await);
    Ok(render(&GradingPage { l, nav, levels, message }))
}

/// One row of the scheme's form, as entered.
#[derive(Default)]
struct LevelRow {
    code: String,
    rank: String,
    name_zh: String,
    name_en: String,
    scope: String,
    urgency: String,
    respond: String,
    resolve: String,
    counting: String,
    owner: String,
    remove: bool,
    countings: Vec<Choice>,
    problems: Vec<String>,
}

impl LevelRow {
    fn of(v: &Level) -> LevelRow {
        LevelRow {
            code: v.code.clone(),
            rank: v.rank.to_string(),
            name_zh: v.name_zh.clone(),
            name_en: v.name_en.clone(),
            scope: v.scope.clone(),
            urgency: v.urgency.clone(),
            respond: span_text(v.respond_minutes),
            resolve: span_text(v.resolve_minutes),
            counting: v.counting.code().to_owned(),
            owner: v.default_owner.clone(),
            ..LevelRow::default()
        }
    }

    /// A row offered for a new level and left empty.
    fn is_blank(&self) -> bool {
        [
            &self.code,
            &self.name_zh,
            &self.name_en,
            &self.scope,
            &self.urgency,
            &self.respond,
            &self.resolve,
            &self.owner,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    /// The level the row describes, or what of it could not be read (each named). The rules
    /// a level must follow are the domain's ([`GradingScheme::problems`]).
    fn level(&self) -> Result<Level, Vec<(&'static str, Reason)>> {
        let mut p = Vec::new();
        let rank = self.rank.trim().parse::<i32>().map_err(|_| {
            p.push((
                "rank",
                Reason::Malformed {
                    expected_en: "a whole number, 1 the most urgent", expected_zh: "整数，1 为最紧急"
                },
            ))
        });
        let respond = parse_minutes(&self.respond).map_err(|why| p.push(("respond", why)));
        let resolve = parse_minutes(&self.resolve).map_err(|why| p.push(("resolve", why)));
        let counting = chosen("counting", &self.counting, Counting::from_code).map_err(|why| p.push(why));
        match (rank, respond, resolve, counting) {
            (Ok(rank), Ok(respond_minutes), Ok(resolve_minutes), Ok(counting)) => Ok(Level {
                code: self.code.trim().to_owned(),
                rank,
                name_zh: self.name_zh.trim().to_owned(),
                name_en: self.name_en.trim().to_owned(),
                scope: self.scope.trim().to_owned(),
                urgency: self.urgency.trim().to_owned(),
                respond_minutes,
                resolve_minutes,
                counting,
                default_owner: self.owner.trim().to_owned(),
            }),
            _ => Err(p),
        }
    }
}

/// The value a select posted, read by `from_code`: missing or unknown is named, never
/// replaced by a default.
fn chosen<T>(field: &'static str, code: &str, from_code: fn(&str) -> Option<T>) -> Result<T, (&'static str, Reason)> {
    match code.trim() {
        "" => Err((field, Reason::Missing)),
        c => from_code(c).ok_or((field, Reason::Unknown)),
    }
}

fn level_rows(p: &Pairs) -> Vec<LevelRow> {
    p.rows("l")
        .into_iter()
        .map(|row| {
            let v = |c: &str| row.get(c);
            LevelRow {
                code: v("code"),
                rank: v("rank"),
                name_zh: v("name_zh"),
                name_en: v("name_en"),
                scope: v("scope"),
                urgency: v("urgency"),
                respond: v("respond"),
                resolve: v("resolve"),
                counting: v("counting"),
                owner: v("owner"),
                remove: !v("remove").is_empty(),
                ..LevelRow::default()
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/grading_edit.html")]
struct GradingEdit<'a> {
    l: &'a L,
    nav: Option<Nav>,
    csrf: String,
    /// The revision of the scheme the form shows ([`GradingScheme::revision`]).
    based_on: i64,
    rows: Vec<LevelRow>,
    error: Option<String>,
    /// Each refused row, named, for the summary at the top.
    row_errors: Vec<String>,
}

/// The scheme's form; `based_on` is the revision the rows were based on (`None`: the current
/// scheme's).
async fn grading_edit(
    s: &AppState,
    who: &Signed,
    based_on: Option<i64>,
    mut rows: Vec<LevelRow>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let based_on = match based_on {
        Some(b) => b,
        None => s.app.grading_scheme(&who.actor).await.map_err(app_err(l))?.revision(),
    };
    for r in &mut rows {
        r.countings = choices(counting_options(l), &r.counting);
    }
    let row_errors = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.problems.is_empty())
        .map(|(i, r)| {
            format!(
                "{}{}{}",
                row_name(l, i + 1, r.code.trim()),
                l.t("admin.catalog.sep"),
                r.problems.join(l.t("common.sep"))
            )
        })
        .collect();
    let nav = Some(Nav::of(s, who, "admin").await);
    let page = GradingEdit { l, nav, csrf: who.csrf.clone(), based_on, rows, error, row_errors };
    Ok((status, render(&page)).into_response())
}

async fn grading_form(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageCatalog)?;
    let mut scheme = s.app.grading_scheme(&who.actor).await.map_err(app_err(l))?;
    scheme.levels.sort_by_key(|v| v.rank);
    let mut rows: Vec<LevelRow> = scheme.levels.iter().map(LevelRow::of).collect();
    rows.push(LevelRow {
        rank: (rows.len() + 1).to_string(),
        counting: Counting::WallClock.code().to_owned(),
        ..LevelRow::default()
    });
    grading_edit(&s, &who, Some(scheme.revision()), rows, None, StatusCode::OK).await
}

async fn save_grading(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = Pairs(pairs);
    who.check_form(&headers, p.get("csrf"))?;
    let l = &who.l;
    require(&who, Action::ManageCatalog)?;
    let based_on = p.based_on();
    let mut rows = level_rows(&p);
    // Each level with the form row it came from.
    let mut levels: Vec<(usize, Level)> = Vec::new();
    for (i, r) in rows.iter_mut().enumerate() {
        if r.remove || r.is_blank() {
            continue;
        }
        match r.level() {
            Ok(v) => levels.push((i, v)),
            Err(problems) => r.problems.extend(problems.iter().map(|(f, why)| field_problem(f, why, l))),
        }
    }
    if rows.iter().any(|r| !r.problems.is_empty()) {
        let error = Some(l.t("admin.catalog.please_correct_the_rows_named_below").to_owned());
        return grading_edit(&s, &who, based_on, rows, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let scheme = GradingScheme { levels: levels.iter().map(|(_, v)| v.clone()).collect() };
    match s.app.save_grading_scheme(&who.actor, &scheme, based_on).await {
        Ok(saved) => {
            let to = match saved.policy_version {
                Some(v) => format!("/admin/grading?done=saved&version={v}"),
                None => "/admin/grading?done=saved".to_owned(),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            // The domain names the rows it refused; they are shown on the rows they came from.
            for (k, field, why) in scheme.problems() {
                if let Some(&(i, _)) = k.and_then(|k| levels.get(k)) {
                    rows[i].problems.push(field_problem(field, &why, l));
                }
            }
            // Stale: the rows stay as entered, now based on the current scheme, so that saving
            // them again (after a look at it) is a deliberate choice.
            let based_on = if is_stale(&e) { None } else { based_on };
            let (error, status) = on_form(e, l)?;
            grading_edit(&s, &who, based_on, rows, Some(error), status).await
        }
    }
}

// ----- calendars -----

fn weekday_label(l: &L, i: usize) -> &'static str {
    const ZH: [&str; 7] = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];
    const EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    if l.is_en() { EN[i % 7] } else { ZH[i % 7] }
}

/// A day's working hours for reading.
fn hours_text(l: &L, day: &[Interval]) -> String {
    if day.is_empty() {
        return l.t("admin.catalog.day_off").to_owned();
    }
    day.iter()
        .map(|iv| format!("{}–{}", clock_text(iv.start, false), clock_text(iv.end, true)))
        .collect::<Vec<_>>()
        .join(l.t("common.sep_2"))
}

/// The week in one line: `星期一至星期五 08:30–12:00、13:30–17:30；星期六至星期日 休息`.
fn week_summary(l: &L, week: &[Vec<Interval>]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < week.len() {
        let mut j = i;
        while j + 1 < week.len() && week[j + 1] == week[i] {
            j += 1;
        }
        let days = match j - i {
            0 => weekday_label(l, i).to_owned(),
            1 => format!("{}{}{}", weekday_label(l, i), l.t("common.sep_2"), weekday_label(l, j)),
            _ => format!("{}{}{}", weekday_label(l, i), l.t("admin.catalog.words"), weekday_label(l, j)),
        };
        parts.push(format!("{days} {}", hours_text(l, &week[i])));
        i = j + 1;
    }
    parts.join(l.t("common.sep"))
}

struct CalendarRow {
    name: String,
    region: String,
    time_zone: String,
    holiday_set: String,
    week: String,
    day: String,
    years: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewCalendarForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    region: String,
    /// `copy:<name>` (the hours and holidays of that calendar) or `around` (every minute counts).
    #[serde(default)]
    template: String,
}

#[derive(Template)]
#[template(path = "admin/calendars.html")]
struct CalendarsPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    calendars: Vec<CalendarRow>,
    templates: Vec<Choice>,
    f: NewCalendarForm,
    message: Option<String>,
    error: Option<String>,
}

fn day_text(l: &L, minutes: i64) -> String {
    readable(l, minutes, Counting::WorkingTime)
}

async fn calendars_page(
    s: &AppState,
    who: &Signed,
    f: NewCalendarForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let list = s.app.calendars(&who.actor).await.map_err(app_err(l))?;
    let none = l.t("common.none_2");
    let calendars: Vec<CalendarRow> = list
        .iter()
        .map(|c| CalendarRow {
            name: c.spec.name.clone(),
            region: c.spec.region.clone().unwrap_or_else(|| none.to_owned()),
            time_zone: c.spec.time_zone.clone(),
            holiday_set: c.spec.holiday_set.clone().unwrap_or_else(|| none.to_owned()),
            week: week_summary(l, &c.spec.week),
            day: day_text(l, c.day_minutes),
            years: c.holiday_years.keys().map(|y| y.to_string()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let selected = if f.template.is_empty() { "copy:cn".to_owned() } else { f.template.clone() };
    let templates = choices(
        list.iter()
            .map(|c| {
                let label = if l.is_en() {
                    format!("Same hours and holidays as {}", c.spec.name)
                } else {
                    format!("与 {} 相同的工作时间和节假日", c.spec.name)
                };
                (format!("copy:{}", c.spec.name), label)
            })
            .chain([("around".to_owned(), l.t("admin.catalog.around_the_clock_no_holidays").to_owned())]),
        &selected,
    );
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&CalendarsPage { l, nav, calendars, templates, f, message: None, error })).into_response())
}

async fn calendars(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    calendars_page(&s, &who, NewCalendarForm::default(), None, StatusCode::OK).await
}

async fn create_calendar(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(f): Form<NewCalendarForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let name = f.name.trim().to_owned();
    let template = match f.template.strip_prefix("copy:") {
        Some(from) => match s.app.calendar_info(&who.actor, from).await {
            Ok(c) => Ok(c.spec),
            // A calendar to copy that is not there (removed meanwhile, or a forged form).
            Err(AppError::NotFound { .. }) => Err(DomainError::field("template", Reason::Unknown).into()),
            Err(e) => Err(e),
        },
        None if f.template == "around" => Ok(CalendarSpec::around_the_clock(&name)),
        None if f.template.trim().is_empty() => Err(DomainError::field("template", Reason::Missing).into()),
        None => Err(DomainError::field("template", Reason::Unknown).into()),
    };
    let result = match template {
        Ok(spec) => {
            let spec = CalendarSpec { name: name.clone(), region: text(&f.region), ..spec };
            s.app.create_calendar(&who.actor, &spec).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => {
            Ok(Redirect::to(&format!("/admin/calendars/{}?done=created", form_urlencode(&c.spec.name))).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            calendars_page(&s, &who, f, Some(error), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HoursForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    d0: String,
    #[serde(default)]
    d1: String,
    #[serde(default)]
    d2: String,
    #[serde(default)]
    d3: String,
    #[serde(default)]
    d4: String,
    #[serde(default)]
    d5: String,
    #[serde(default)]
    d6: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    holiday_set: String,
}

impl HoursForm {
    fn days(&self) -> [&String; 7] {
        [&self.d0, &self.d1, &self.d2, &self.d3, &self.d4, &self.d5, &self.d6]
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct HolidayForm {
    #[serde(default)]
    csrf: String,
    /// `off` or `work`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    hours_of: String,
    #[serde(default)]
    source: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    data: String,
    #[serde(default)]
    source: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    year: String,
    /// The clock check: `YYYY-MM-DDTHH:MM` in the calendar's zone, and a span.
    #[serde(default)]
    from: String,
    #[serde(default)]
    working: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    tickets: String,
}

/// The forms of the calendar page, as entered, and what refused each.
#[derive(Default)]
struct CalendarForms {
    hours: Option<HoursForm>,
    holiday: HolidayForm,
    import: ImportForm,
    hours_error: Option<String>,
    holiday_error: Option<String>,
    import_error: Option<String>,
}

struct DayRow {
    index: usize,
    label: &'static str,
    hours: String,
    value: String,
}

/// Consecutive days with the same rule.
struct HolidayRun {
    first: String,
    last: String,
    when: String,
    days: i32,
    work: bool,
    kind: String,
    name: String,
}

/// The "what does the clock say" check.
#[derive(Default)]
struct Check {
    from: String,
    working: String,
    due: Option<String>,
    minutes: String,
    warnings: Vec<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    csrf: String,
    name: String,
    time_zone: String,
    region: String,
    holiday_set: Option<String>,
    day: String,
    week: Vec<DayRow>,
    sets: Vec<Choice>,
    shared_with: Vec<String>,
    sources: Vec<(i16, String)>,
    missing_years: Vec<i16>,
    year: i16,
    years: Vec<i16>,
    holidays: Vec<HolidayRun>,
    kinds: Vec<Choice>,
    weekdays: Vec<Choice>,
    formats: Vec<Choice>,
    check: Check,
    f: CalendarForms,
    message: Option<String>,
}

fn date_text(l: &L, d: Date) -> String {
    let w = weekday_label(l, weekday_index(d.weekday()));
    if l.is_en() { format!("{d} ({w})") } else { format!("{d}（{w}）") }
}

fn holiday_runs(l: &L, set: &HolidaySet, year: i16) -> Vec<HolidayRun> {
    let (Ok(from), Ok(to)) = (Date::new(year, 1, 1), Date::new(year, 12, 31)) else { return Vec::new() };
    let mut runs: Vec<(Date, Date, &DayRule)> = Vec::new();
    for (d, r) in set.days.range(from..=to) {
        match runs.last_mut() {
            Some(last) if last.2 == r && last.1.tomorrow().ok() == Some(*d) => last.1 = *d,
            _ => runs.push((*d, *d, r)),
        }
    }
    runs.into_iter()
        .map(|(first, last, rule)| {
            let when = if first == last {
                date_text(l, first)
            } else {
                format!("{} {} {}", date_text(l, first), l.t("admin.catalog.to"), date_text(l, last))
            };
            let (work, kind, name) = match rule {
                DayRule::Off { name } => (false, l.t("admin.catalog.day_off_2").to_owned(), name.clone()),
                DayRule::Work { name, hours_of } => {
                    let kind = if l.is_en() {
                        format!("Make-up working day (hours of {})", weekday_label(l, weekday_index(*hours_of)))
                    } else {
                        format!("调休上班（按{}的工作时间）", weekday_label(l, weekday_index(*hours_of)))
                    };
                    (true, kind, name.clone())
                }
            };
            HolidayRun {
                first: first.to_string(),
                last: last.to_string(),
                when,
                days: (last - first).get_days() + 1,
                work,
                kind,
                name,
            }
        })
        .collect()
}

fn calendar_tz(s: &AppState, info: &CalendarInfo) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&info.spec.time_zone).unwrap_or_else(|_| s.app.settings().time_zone.clone())
}

async fn run_check(s: &AppState, who: &Signed, info: &CalendarInfo, q: &CalendarQuery) -> Result<Check, PageError> {
    let l = &who.l;
    let tz = calendar_tz(s, info);
    let now = s.app.now().to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M").to_string();
    let mut check = Check {
        from: if q.from.trim().is_empty() { now } else { q.from.trim().to_owned() },
        working: if q.working.trim().is_empty() { "4h".into() } else { q.working.trim().to_owned() },
        ..Check::default()
    };
    if q.working.trim().is_empty() {
        return Ok(check);
    }
    let from = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", &check.from)
        .ok()
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .map(|z| z.timestamp());
    let Some(from) = from else {
        check.error = Some(field_problem(
            "from",
            &Reason::Malformed {
                expected_en: "a date and time such as 2025-09-30T16:00",
                expected_zh: "日期和时间，如 2025-09-30T16:00",
            },
            l,
        ));
        return Ok(check);
    };
    match s.app.calendar_add(&who.actor, &info.spec.name, from, &check.working).await {
        Ok(a) => {
            check.due = a.due.as_deref().and_then(|d| d.parse::<jiff::Timestamp>().ok()).map(|t| {
                let z = t.to_zoned(tz.clone());
                format!("{} {}", date_text(l, z.date()), z.strftime("%H:%M"))
            });
            check.minutes = day_text(l, a.working_minutes);
            check.warnings = a.warnings.iter().map(|w| w.message(l.lang)).collect();
        }
        Err(e) => check.error = Some(on_form(e, l)?.0),
    }
    Ok(check)
}

async fn calendar_page(
    s: &AppState,
    who: &Signed,
    name: &str,
    q: &CalendarQuery,
    f: CalendarForms,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let info = s.app.calendar_info(&who.actor, name).await.map_err(app_err(l))?;
    let tz = calendar_tz(s, &info);
    let this_year = s.app.now().to_zoned(tz).year();
    let year = q.year.trim().parse::<i16>().ok().filter(|y| (2000..=2099).contains(y)).unwrap_or(this_year);
    let set = match &info.spec.holiday_set {
        Some(n) => s.app.holiday_set(&who.actor, n).await.ok(),
        None => None,
    };
    let holidays = set.as_ref().map(|set| holiday_runs(l, set, year)).unwrap_or_default();
    let mut years: BTreeSet<i16> = info.holiday_years.keys().copied().collect();
    years.extend([this_year, year]);
    let missing_years = match &info.spec.holiday_set {
        Some(_) => [this_year, this_year + 1].into_iter().filter(|y| !info.holiday_years.contains_key(y)).collect(),
        None => Vec::new(),
    };
    let shared_with = match &info.spec.holiday_set {
        Some(set) => s
            .app
            .calendars(&who.actor)
            .await
            .map_err(app_err(l))?
            .into_iter()
            .filter(|c| c.spec.holiday_set.as_ref() == Some(set) && c.spec.name != info.spec.name)
            .map(|c| c.spec.name)
            .collect(),
        None => Vec::new(),
    };
    let hours = f.hours.unwrap_or_else(|| {
        let d = |i: usize| info.spec.week.get(i).map(|d| Interval::day_text(d)).unwrap_or_default();
        HoursForm {
            d0: d(0),
            d1: d(1),
            d2: d(2),
            d3: d(3),
            d4: d(4),
            d5: d(5),
            d6: d(6),
            time_zone: info.spec.time_zone.clone(),
            region: info.spec.region.clone().unwrap_or_default(),
            holiday_set: info.spec.holiday_set.clone().unwrap_or_default(),
            ..HoursForm::default()
        }
    });
    let week = (0..7)
        .map(|i| DayRow {
            index: i,
            label: weekday_label(l, i),
            hours: hours_text(l, info.spec.week.get(i).map_or(&[][..], |d| d.as_slice())),
            value: hours.days()[i].clone(),
        })
        .collect();
    let set_names = s.app.holiday_set_names(&who.actor).await.map_err(app_err(l))?;
    let sets = choices(
        std::iter::once((String::new(), l.t("admin.catalog.no_holiday_set").to_owned()))
            .chain(set_names.into_iter().map(|n| (n.clone(), n))),
        &hours.holiday_set,
    );
    let kind = if f.holiday.kind.is_empty() { "off" } else { f.holiday.kind.as_str() };
    let kinds = choices(
        [
            ("off".to_owned(), l.t("admin.catalog.day_off_2").to_owned()),
            ("work".to_owned(), l.t("admin.catalog.make_up_working_day").to_owned()),
        ],
        kind,
    );
    let hours_of = if f.holiday.hours_of.is_empty() { "monday" } else { f.holiday.hours_of.as_str() };
    let weekdays = choices((0..7).map(|i| (WEEKDAY_NAMES[i].to_owned(), weekday_label(l, i).to_owned())), hours_of);
    let format = if f.import.format.is_empty() { "csv" } else { f.import.format.as_str() };
    let formats = choices(
        [
            ("csv".to_owned(), l.t("admin.catalog.csv_the_format_of_the_shipped").to_owned()),
            ("ics".to_owned(), l.t("admin.catalog.icalendar_ics_file").to_owned()),
        ],
        format,
    );
    let check = run_check(s, who, &info, q).await?;
    let n = |t: &str| t.parse::<u64>().unwrap_or(0);
    let message = match q.done.as_str() {
        "created" => Some(l.t("admin.catalog.the_calendar_is_created_check_its").to_owned()),
        "saved" => Some(l.t("admin.catalog.the_working_hours_are_saved_open").to_owned()),
        "holiday" | "removed" | "imported" => Some(match (l.lang, q.done.as_str()) {
            (Lang::Zh, "holiday") => format!("节假日安排已保存；{} 张未结工单已重新计算时限。", n(&q.tickets)),
            (Lang::Zh, "removed") => format!("该安排已删除；{} 张未结工单已重新计算时限。", n(&q.tickets)),
            (Lang::Zh, _) => format!("已导入 {} 天的安排；{} 张未结工单已重新计算时限。", n(&q.days), n(&q.tickets)),
            (Lang::En, "holiday") => {
                format!("The holiday is saved; {} open tickets had their deadlines recomputed.", n(&q.tickets))
            }
            (Lang::En, "removed") => {
                format!("The entry is removed; {} open tickets had their deadlines recomputed.", n(&q.tickets))
            }
            (Lang::En, _) => {
                format!("{} days imported; {} open tickets had their deadlines recomputed.", n(&q.days), n(&q.tickets))
            }
        }),
        _ => None,
    };
    let f = CalendarForms { hours: Some(hours), ..f };
    let nav = Some(Nav::of(s, who, "admin").await);
    let page = CalendarPage {
        l,
        nav,
        csrf: who.csrf.clone(),
        name: info.spec.name.clone(),
        time_zone: info.spec.time_zone.clone(),
        region: info.spec.region.clone().unwrap_or_default(),
        holiday_set: info.spec.holiday_set.clone(),
        day: day_text(l, info.day_minutes),
        week,
        sets,
        shared_with,
        sources: info.holiday_years.iter().map(|(y, s)| (*y, s.clone())).collect(),
        missing_years,
        year,
        years: years.into_iter().collect(),
        holidays,
        kinds,
        weekdays,
        formats,
        check,
        f,
        message,
    };
    Ok((status, render(&page)).into_response())
}

async fn calendar(
    State(s): State<AppState>,
    who: Signed,
    Path(name): Path<String>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, PageError> {
    calendar_page(&s, &who, &name, &q, CalendarForms::default(), StatusCode::OK).await
}

fn calendar_url(name: &str, query: &str) -> String {
    format!("/admin/calendars/{}?{query}", form_urlencode(name))
}

async fn save_hours(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Path(name): Path<String>,
    Form(f): Form<HoursForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let l = &who.l;
    let mut week = Vec::new();
    let mut bad = Vec::new();
    for (i, text) in f.days().into_iter().enumerate() {
        match Interval::parse_day(text) {
            Ok(day) => week.push(day),
            Err(why) => bad.push(form::field_problem(weekday_label(l, i), &why, l.lang)),
        }
    }
    let result = if bad.is_empty() {
        let spec = CalendarSpec {
            name: name.clone(),
            time_zone: f.time_zone.trim().to_owned(),
            week,
            holiday_set: text(&f.holiday_set),
            region: text(&f.region),
        };
        // Only an existing calendar is edited here (a new one is created from the list).
        match s.app.calendar_info(&who.actor, &name).await {
            Ok(_) => s.app.put_calendar(&who.actor, &spec).await.map(|_| ()),
            Err(e) => Err(e),
        }
    } else {
        Ok(())
    };
    let error = match result {
        Ok(()) if bad.is_empty() => return Ok(Redirect::to(&calendar_url(&name, "done=saved")).into_response()),
        Ok(()) => (
            format!("{}{}", l.t("admin.catalog.please_correct"), bad.join(l.t("common.sep"))),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => on_form(e, l)?,
    };
    let forms = CalendarForms { hours: Some(f), hours_error: Some(error.0), ..CalendarForms::default() };
    calendar_page(&s, &who, &name, &CalendarQuery::default(), forms, error.1).await
}

/// The holiday set a calendar observes, or the refusal to edit holidays of one that has none.
async fn observed_set(s: &AppState, who: &Signed, name: &str) -> Result<Result<String, AppError>, PageError> {
    let info = s.app.calendar_info(&who.actor, name).await.map_err(app_err(&who.l))?;
    Ok(info.spec.holiday_set.ok_or_else(|| {
        DomainError::field(
            "holiday_set",
            Reason::Mismatch {
                detail_en: "this calendar observes no holiday set: choose one under working hours first",
                detail_zh: "此日历未采用节假日表，请先在工作时间中选择节假日表",
            },
        )
        .into()
    }))
}

async fn add_holidays(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Path(name): Path<String>,
    Form(f): Form<HolidayForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let set = observed_set(&s, &who, &name).await?;
    let result = async {
        let set = set?;
        let first = parse_date("first", &f.first)?;
        let last = if f.last.trim().is_empty() { first } else { parse_date("last", &f.last)? };
        let label = f.name.trim().to_owned();
        let rule = match f.kind.trim() {
            "work" => {
                let hours_of = chosen("hours_of", &f.hours_of, weekday_from_name)
                    .map_err(|(field, why)| DomainError::field(field, why))?;
                DayRule::Work { name: label, hours_of }
            }
            "off" => DayRule::Off { name: label },
            "" => return Err(DomainError::field("kind", Reason::Missing).into()),
            _ => return Err(DomainError::field("kind", Reason::Unknown).into()),
        };
        let source = Some(f.source.as_str()).filter(|t| !t.trim().is_empty());
        s.app.edit_holidays(&who.actor, &set, first, last, Some(&rule), source).await.map(|r| (first, r))
    }
    .await;
    match result {
        Ok((first, r)) => {
            let q = format!("year={}&done=holiday&tickets={}", first.year(), r.tickets_recomputed);
            Ok(Redirect::to(&calendar_url(&name, &q)).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            let forms = CalendarForms { holiday_error: Some(error), holiday: f, ..CalendarForms::default() };
            let year = forms.holiday.first.get(..4).unwrap_or_default().to_owned();
            let q = CalendarQuery { year, ..CalendarQuery::default() };
            calendar_page(&s, &who, &name, &q, forms, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first: String,
    #[serde(default)]
    last: String,
}

async fn remove_holidays(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Path(name): Path<String>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let set = observed_set(&s, &who, &name).await?;
    let result = async {
        let set = set?;
        let first = parse_date("first", &f.first)?;
        let last = if f.last.trim().is_empty() { first } else { parse_date("last", &f.last)? };
        s.app.edit_holidays(&who.actor, &set, first, last, None, None).await.map(|r| (first, r))
    }
    .await;
    match result {
        Ok((first, r)) => {
            let q = format!("year={}&done=removed&tickets={}", first.year(), r.tickets_recomputed);
            Ok(Redirect::to(&calendar_url(&name, &q)).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            let forms = CalendarForms { holiday_error: Some(error), ..CalendarForms::default() };
            calendar_page(&s, &who, &name, &CalendarQuery::default(), forms, status).await
        }
    }
}

async fn import_holidays(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Path(name): Path<String>,
    Form(f): Form<ImportForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let set = observed_set(&s, &who, &name).await?;
    let result = async {
        let set = set?;
        let source = text(&f.source);
        let import = HolidayImport { format: f.format.clone(), data: f.data.clone(), source };
        s.app.import_holidays(&who.actor, &set, &import).await
    }
    .await;
    match result {
        Ok(r) => {
            let year = r.years.keys().next_back().map(|y| format!("year={y}&")).unwrap_or_default();
            let q = format!("{year}done=imported&days={}&tickets={}", r.days_imported, r.tickets_recomputed);
            Ok(Redirect::to(&calendar_url(&name, &q)).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            let forms = CalendarForms { import_error: Some(error), import: f, ..CalendarForms::default() };
            calendar_page(&s, &who, &name, &CalendarQuery::default(), forms, status).await
        }
    }
}

// ----- service policy -----

/// The clocks a policy gives a length (arrival is the agreed time, progress the daily cutoff).
fn length_clocks() -> impl Iterator<Item = ClockKind> {
    ClockKind::ALL.iter().copied().filter(|c| c.has_length())
}

/// The states a rule may pause on.
const PAUSES: [Status; 2] = [Status::WaitingCustomer, Status::WaitingParts];

struct Cell {
    text: String,
    note: String,
    /// Set by a row for exactly this level (or customer level), not inherited from "any".
    specific: bool,
}

struct MatrixRow {
    level: String,
    cells: Vec<Cell>,
}

struct Matrix {
    title: String,
    rows: Vec<MatrixRow>,
}

struct RuleView {
    clock: &'static str,
    level: String,
    customer_level: String,
    length: String,
    counting: &'static str,
    pauses: String,
}

struct VersionRow {
    version: i64,
    at: String,
    by: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "admin/policy.html")]
struct PolicyPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    version: i64,
    current: bool,
    progress_cutoff: String,
    columns: Vec<&'static str>,
    matrices: Vec<Matrix>,
    rules: Vec<RuleView>,
    versions: Vec<VersionRow>,
    message: Option<String>,
}

fn pauses_text(l: &L, pause_on: &[Status]) -> String {
    pause_on.iter().map(|s| s.label(l.lang)).collect::<Vec<_>>().join(l.t("common.sep_2"))
}

fn cell(l: &L, rule: Option<&ClockRule>, level: Option<&str>, customer_level: Option<&str>) -> Cell {
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
            Cell { text: readable(l, r.minutes, r.counting), note, specific }
        }
    }
}

fn level_title(l: &L, code: &str, scheme: &GradingScheme) -> String {
    match scheme.level(code) {
        Some(v) => format!("{} {}", v.code, if l.is_en() { &v.name_en } else { &v.name_zh }),
        None => code.to_owned(),
    }
}

fn customer_level_title(l: &L, code: &str, levels: &[CustomerLevel]) -> String {
    let name = levels.iter().find(|c| c.code == code).map(|c| if l.is_en() { &c.name_en } else { &c.name_zh });
    match (l.lang, name) {
        (Lang::Zh, Some(n)) => format!("客户级别 {code}（{n}）"),
        (Lang::En, Some(n)) => format!("Customer level {code} ({n})"),
        (Lang::Zh, None) => format!("客户级别 {code}"),
        (Lang::En, None) => format!("Customer level {code}"),
    }
}

fn matrices(l: &L, p: &ServicePolicy, scheme: &GradingScheme, customer_levels: &[CustomerLevel]) -> Vec<Matrix> {
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

async fn policy_page(
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
            length: readable(l, r.minutes, r.counting),
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

async fn policy(State(s): State<AppState>, who: Signed, Query(q): Query<Done>) -> Result<Response, PageError> {
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

async fn policy_version(State(s): State<AppState>, who: Signed, PageId(v): PageId) -> Result<Response, PageError> {
    policy_page(&s, &who, Some(v), None).await
}

/// One rule of the policy's form, as entered.
#[derive(Default)]
struct RuleRow {
    clock: String,
    level: String,
    customer_level: String,
    length: String,
    counting: String,
    pause_customer: bool,
    pause_parts: bool,
    remove: bool,
    clocks: Vec<Choice>,
    levels: Vec<Choice>,
    customer_levels: Vec<Choice>,
    countings: Vec<Choice>,
    problems: Vec<String>,
}

impl RuleRow {
    fn of(r: &ClockRule) -> RuleRow {
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

    fn blank() -> RuleRow {
        RuleRow { counting: Counting::WallClock.code().to_owned(), ..RuleRow::default() }
    }

    /// The rule the row describes, or what of it could not be read (each named). The rules a
    /// policy must follow are the domain's ([`ServicePolicy::problems`]).
    fn rule(&self) -> Result<ClockRule, Vec<(&'static str, Reason)>> {
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

fn rule_rows(p: &Pairs) -> Vec<RuleRow> {
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
struct PolicyEdit<'a> {
    l: &'a L,
    nav: Option<Nav>,
    csrf: String,
    /// The version the rows are based on (posted back as `based_on`).
    version: i64,
    cutoff: String,
    rows: Vec<RuleRow>,
    pause_customer: &'static str,
    pause_parts: &'static str,
    error: Option<String>,
    row_errors: Vec<String>,
}

/// The policy's form; `based_on` is the version the rows were based on (`None`: the current
/// version).
async fn policy_edit_page(
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
    let row_errors = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.problems.is_empty())
        .map(|(i, r)| {
            format!("{}{}{}", row_name(l, i + 1, ""), l.t("admin.catalog.sep"), r.problems.join(l.t("common.sep")))
        })
        .collect();
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

async fn policy_form(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let current = s.app.service_policy(&who.actor, None).await.map_err(app_err(l))?;
    let mut rows: Vec<RuleRow> = current.rules.iter().map(RuleRow::of).collect();
    rows.extend((0..3).map(|_| RuleRow::blank()));
    let cutoff = clock_text(current.progress_cutoff, false);
    policy_edit_page(&s, &who, Some(current.version), cutoff, rows, None, StatusCode::OK).await
}

async fn save_policy(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = Pairs(pairs);
    who.check_form(&headers, p.get("csrf"))?;
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let based_on = p.based_on();
    let cutoff_text = p.get("progress_cutoff").trim().to_owned();
    let mut rows = rule_rows(&p);
    // Each rule with the form row it came from.
    let mut rules: Vec<(usize, ClockRule)> = Vec::new();
    for (i, r) in rows.iter_mut().enumerate() {
        if r.remove || r.length.trim().is_empty() {
            continue;
        }
        match r.rule() {
            Ok(rule) => rules.push((i, rule)),
            Err(problems) => r.problems.extend(problems.iter().map(|(f, why)| field_problem(f, why, l))),
        }
    }
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
                for (k, field, why) in policy.problems(&scheme, &levels) {
                    if let Some(&(i, _)) = k.and_then(|k| rules.get(k)) {
                        rows[i].problems.push(rule_problem(field, &why, l));
                    }
                }
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
fn rule_problem(field: &str, why: &Reason, l: &L) -> String {
    match (field, why) {
        ("rules", Reason::Duplicate) => l.t("admin.catalog.same_clock_level_and_customer_level").to_owned(),
        _ => field_problem(field, why, l),
    }
}
