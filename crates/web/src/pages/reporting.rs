//! The management reports on screen (DOMAIN §7, issue 15): each report's sheets as tables
//! with inline SVG charts, every number and bar a link to the tickets behind it; period
//! presets and a date picker; CSV and Excel downloads of the same numbers; the supervisor's
//! improvement actions; a contact's customer edition.

use aftersales_app::reporting::{CellParams, Links, ListFormat, ReportKind, ReportParams};
use aftersales_domain::reporting::{Period, Preset, ReportAccess};
use aftersales_export::{Cell, Kind, Sheet};
use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::L;
use super::{PageError, Posted, Signed, render};
use crate::AppState;

/// One cell as the page shows it.
pub struct ViewCell {
    pub text: String,
    pub href: Option<String>,
    pub number: bool,
}

/// One sheet as the page shows it.
pub struct ViewSheet {
    pub title: String,
    pub notes: Vec<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<ViewCell>>,
    pub totals: Option<Vec<ViewCell>>,
    pub charts: Vec<String>,
    pub csv: String,
}

fn show(c: &Cell, kind: Kind, l: &L) -> String {
    match c {
        Cell::Empty => "—".into(),
        Cell::Text(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Num(n) if kind == Kind::Integer => format!("{n:.0}"),
        Cell::Num(n) => format!("{n:.1}"),
        Cell::Percent(p) => format!("{:.1}%", p * 100.0),
        Cell::Date(d) => d.to_string(),
        Cell::DateTime(d) => match l.lang {
            aftersales_domain::Lang::Zh | aftersales_domain::Lang::En => d.strftime("%Y-%m-%d %H:%M").to_string(),
        },
    }
}

fn href(link: &Option<String>) -> Option<String> {
    link.as_ref().map(|q| match q.strip_prefix("ticket=") {
        Some(id) => format!("/tickets/{id}"),
        None => format!("/reporting/cell?{q}"),
    })
}

fn view_sheet(sheet: &Sheet, links: &Links, l: &L, download: &str, index: usize) -> ViewSheet {
    let kinds: Vec<Kind> = sheet.columns.iter().map(|c| c.kind).collect();
    let row = |cells: &[Cell], links: Option<&Vec<Option<String>>>| -> Vec<ViewCell> {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let kind = kinds.get(i).copied().unwrap_or(Kind::Text);
                ViewCell {
                    text: show(c, kind, l),
                    href: links.and_then(|ls| ls.get(i)).and_then(href).filter(|_| !matches!(c, Cell::Empty)),
                    number: c.number().is_some(),
                }
            })
            .collect()
    };
    let rows: Vec<Vec<ViewCell>> = sheet.rows.iter().enumerate().map(|(i, r)| row(r, links.get(i))).collect();
    let totals = sheet.totals.as_ref().map(|t| row(t, links.get(sheet.rows.len())));
    let charts = sheet
        .charts
        .iter()
        .map(|chart| {
            aftersales_export::svg_linked(sheet, chart, |r, series| {
                links.get(r).and_then(|ls| ls.get(series)).and_then(href)
            })
        })
        .collect();
    ViewSheet {
        title: sheet.title.clone(),
        notes: sheet.notes.clone(),
        headers: sheet.columns.iter().map(|c| c.header.clone()).collect(),
        rows,
        totals,
        charts,
        csv: format!("{download}&format=csv&sheet={index}"),
    }
}

#[derive(Template)]
#[template(path = "reporting/report.html")]
struct ReportPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    kind: &'a str,
    title: String,
    from: String,
    to: String,
    presets: Vec<(String, &'static str)>,
    sheets: Vec<ViewSheet>,
    xlsx: String,
    reports: Vec<(&'static str, &'static str)>,
    improvements: Option<aftersales_app::reporting::Improvements>,
    /// The reader may change the weights and the desk's amounts.
    configure: bool,
}

#[derive(Template)]
#[template(path = "reporting/cell.html")]
struct CellPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    cell: aftersales_app::reporting::CellTickets,
    back: String,
    counted: String,
    /// The cell's query for its whole-list export (`format` appended by the page).
    export: String,
}

#[derive(Template)]
#[template(path = "reporting/customer.html")]
struct CustomerPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    r: aftersales_domain::reporting::CustomerServiceReport,
    presets: Vec<(String, &'static str)>,
    response: String,
    resolution: String,
    avg_hours: String,
}

fn app_err(who: &Signed) -> impl Fn(aftersales_app::AppError) -> PageError + '_ {
    |e| PageError::App(e, who.l.clone())
}

/// The reports a reader may open, as (kind code, title).
fn menu(who: &Signed) -> Vec<(&'static str, &'static str)> {
    let access = aftersales_domain::reporting::access(who.actor.user.role, who.actor.id(), who.actor.user.customer_id);
    ReportKind::ALL
        .iter()
        .filter(|k| match access {
            ReportAccess::All => true,
            ReportAccess::OwnLine(_) => **k == ReportKind::WeeklyEngineers,
            _ => false,
        })
        .map(|k| (k.code(), k.title(who.l.lang)))
        .collect()
}

/// `/reporting`: the first report the reader may open (a contact: their customer edition).
pub async fn index(who: Signed) -> Result<Response, PageError> {
    if who.actor.is_customer() {
        return Ok(Redirect::to("/reporting/customer").into_response());
    }
    match menu(&who).first() {
        Some((code, _)) => Ok(Redirect::to(&format!("/reporting/{code}")).into_response()),
        None => Err(PageError::App(
            aftersales_app::AppError::Domain(aftersales_domain::DomainError::Forbidden {
                role: who.actor.user.role,
                action: aftersales_domain::permission::Action::ReadReports,
            }),
            who.l.clone(),
        )),
    }
}

fn query_of(p: &ReportParams, period: &Period) -> String {
    let mut q = format!("from={}&to={}", period.from, period.to);
    for (k, v) in [("customer", p.customer), ("engineer", p.engineer), ("category", p.category)] {
        if let Some(v) = v {
            q.push_str(&format!("&{k}={v}"));
        }
    }
    for (k, v) in [("region", &p.region), ("priority", &p.priority)] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            q.push_str(&format!("&{k}={}", aftersales_app::reporting::enc(v)));
        }
    }
    q
}

fn presets(kind: &str, l: &L) -> Vec<(String, &'static str)> {
    Preset::ALL
        .iter()
        .map(|p| {
            let label = match p {
                Preset::ThisWeek => l.t("reporting.this_week"),
                Preset::LastWeek => l.t("reporting.last_week"),
                Preset::ThisMonth => l.t("reporting.this_month"),
                Preset::LastMonth => l.t("reporting.last_month"),
            };
            (format!("/reporting/{kind}?preset={}", p.code()), label)
        })
        .collect()
}

/// `/reporting/{kind}`: one report with its period, filters, charts and downloads.
pub async fn report(
    State(s): State<AppState>,
    who: Signed,
    Path(kind): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let Some(k) = ReportKind::from_code(&kind) else { return Err(PageError::NotFound(l.clone())) };
    let err = app_err(&who);
    let filter = s.app.report_filter(&who.actor, &p, k).await.map_err(&err)?;
    let screen = s.app.report_screen(&who.actor, k, &filter).await.map_err(&err)?;
    let filters = query_of(&p, &filter.period);
    let download = format!("/reporting/{}/download?{filters}", k.code());
    let sheets = aftersales_app::reporting::report_sheets(&screen, l.lang, &s.app.settings().time_zone)
        .iter()
        .enumerate()
        .map(|(i, (sheet, links))| view_sheet(sheet, links, l, &download, i))
        .collect();
    let improvements = match &screen {
        aftersales_app::reporting::ReportScreen::MonthlyService(m)
            if aftersales_domain::permission::allows(
                who.actor.user.role,
                aftersales_domain::permission::Action::WriteImprovements,
            ) =>
        {
            Some(m.improvements.clone())
        }
        _ => None,
    };
    let nav = Some(Nav::of(&s, &who, "reporting").await);
    Ok(render(&ReportPage {
        l,
        nav,
        kind: k.code(),
        title: k.title(l.lang).to_owned(),
        from: filter.period.from.to_string(),
        to: filter.period.to.to_string(),
        presets: presets(k.code(), l),
        sheets,
        xlsx: format!("{download}&format=xlsx"),
        reports: menu(&who),
        improvements,
        configure: aftersales_domain::permission::allows(
            who.actor.user.role,
            aftersales_domain::permission::Action::ManageReportSettings,
        ),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DownloadQuery {
    format: String,
    sheet: Option<usize>,
    #[serde(flatten)]
    params: ReportParams,
}

/// `/reporting/{kind}/download?format=csv|xlsx`: the report's file, same numbers as the page.
pub async fn download(
    State(s): State<AppState>,
    who: Signed,
    Path(kind): Path<String>,
    Query(q): Query<DownloadQuery>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let Some(k) = ReportKind::from_code(&kind) else { return Err(PageError::NotFound(l.clone())) };
    let err = app_err(&who);
    let filter = s.app.report_filter(&who.actor, &q.params, k).await.map_err(&err)?;
    let file = s.app.report_file_for(&who.actor, k, &filter, l.lang).await.map_err(&err)?;
    crate::api::reporting::download(&file, &q.format, q.sheet.unwrap_or(0)).map_err(|_| PageError::Invalid {
        field: "format".into(),
        reason: aftersales_domain::error::Reason::Unknown,
        l: l.clone(),
    })
}

/// `/reporting/cell?…`: the tickets behind one number or bar.
pub async fn cell(
    State(s): State<AppState>,
    who: Signed,
    RawQuery(raw): RawQuery,
    Query(p): Query<CellParams>,
) -> Result<Response, PageError> {
    let cell = s.app.report_cell(&who.actor, &p).await.map_err(app_err(&who))?;
    let export = format!(
        "/reporting/cell/export?{}",
        form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .filter(|(k, _)| k != "format")
            .fold(form_urlencoded::Serializer::new(String::new()), |mut q, (k, v)| {
                q.append_pair(&k, &v);
                q
            })
            .finish()
    );
    let back = format!(
        "/reporting/{}?{}",
        cell.report.code(),
        [("from", &p.from), ("to", &p.to)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", aftersales_app::reporting::enc(v))))
            .collect::<Vec<_>>()
            .join("&")
    );
    let nav = Some(Nav::of(&s, &who, "reporting").await);
    let counted = who.l.tf("reporting.tickets_counted", &[("n", &cell.total)]);
    Ok(render(&CellPage { l: &who.l, nav, cell, back, counted, export }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListFormatForm {
    format: String,
}

/// `/reporting/cell/export?…&format=xlsx|csv`: every ticket behind the cell as a file.
pub async fn cell_export(
    State(s): State<AppState>,
    who: Signed,
    Query(p): Query<CellParams>,
    Query(f): Query<ListFormatForm>,
) -> Result<Response, PageError> {
    let err = app_err(&who);
    let format = ListFormat::parse(&f.format).map_err(&err)?;
    let file = s.app.report_cell_export(&who.actor, &p, format, who.l.lang).await.map_err(&err)?;
    Ok(crate::api::reporting::list_download(file))
}

#[derive(Template)]
#[template(path = "reporting/settings.html")]
struct SettingsPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    /// Each counter: its code, its name, and its colour now (`blue`, `red` or `none`).
    counters: Vec<(&'static str, &'static str, &'static str)>,
    colours: Vec<(&'static str, &'static str)>,
    desk: aftersales_domain::reporting::DeskRules,
    callbacks: aftersales_domain::callback::CallbackPolicy,
    version: String,
    saved: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `/reporting/settings`: the weekly table's blue/red weights and the desk's amounts per
/// miss (seed 004), for the administrator and the supervisor.
pub async fn settings(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let l = &who.l;
    if !aftersales_domain::permission::allows(
        who.actor.user.role,
        aftersales_domain::permission::Action::ManageReportSettings,
    ) {
        return Err(PageError::App(
            aftersales_app::AppError::Domain(aftersales_domain::DomainError::Forbidden {
                role: who.actor.user.role,
                action: aftersales_domain::permission::Action::ManageReportSettings,
            }),
            l.clone(),
        ));
    }
    let current = s.app.report_settings(&who.actor).await.map_err(app_err(&who))?;
    use aftersales_domain::reporting::{Colour, Counter};
    let counters = Counter::ALL
        .iter()
        .map(|c| {
            let colour = if current.weights.red.contains(c) {
                "red"
            } else if current.weights.blue.contains(c) {
                "blue"
            } else {
                "none"
            };
            (c.code(), c.label(l.lang), colour)
        })
        .collect();
    let none = if l.lang == aftersales_domain::Lang::Zh { "不计入（权重 0）" } else { "Not counted (weight 0)" };
    let colours = vec![
        (Colour::Blue.code(), Colour::Blue.label(l.lang)),
        (Colour::Red.code(), Colour::Red.label(l.lang)),
        ("none", none),
    ];
    let nav = Some(Nav::of(&s, &who, "reporting").await);
    Ok(render(&SettingsPage {
        l,
        nav,
        counters,
        colours,
        desk: current.desk,
        callbacks: current.callbacks.unwrap_or_default(),
        version: current.version,
        saved: q.saved.is_some(),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    version: String,
    accept_within_minutes: String,
    dispatch_within_minutes: String,
    registration_yuan: String,
    dispatch_yuan: String,
    report_yuan: String,
    management_days: String,
    confirm_working_days: String,
    #[serde(flatten)]
    colours: std::collections::BTreeMap<String, String>,
}

pub async fn save_settings(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<SettingsForm>,
) -> Result<Response, PageError> {
    use aftersales_domain::error::Reason;
    use aftersales_domain::reporting::{Counter, DeskRules, Weights};
    let l = &who.l;
    let invalid = |field: &str, reason: Reason| PageError::Invalid { field: field.into(), reason, l: l.clone() };
    let number = |field: &'static str, v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| invalid(field, Reason::Malformed { expected_en: "a whole number", expected_zh: "整数" }))
    };
    let desk = DeskRules {
        accept_within_minutes: number("accept_within_minutes", &f.accept_within_minutes)?,
        dispatch_within_minutes: number("dispatch_within_minutes", &f.dispatch_within_minutes)?,
        registration_yuan: number("registration_yuan", &f.registration_yuan)?,
        dispatch_yuan: number("dispatch_yuan", &f.dispatch_yuan)?,
        report_yuan: number("report_yuan", &f.report_yuan)?,
    };
    let mut weights = Weights { blue: Vec::new(), red: Vec::new() };
    for &c in Counter::ALL {
        match f.colours.get(&format!("colour_{}", c.code())).map(String::as_str) {
            Some("blue") => weights.blue.push(c),
            Some("red") => weights.red.push(c),
            Some("none") | None => {}
            Some(_) => return Err(invalid("weights", Reason::Unknown)),
        }
    }
    let callbacks = aftersales_domain::callback::CallbackPolicy {
        management_days: number("management_days", &f.management_days)?,
        confirm_working_days: i32::try_from(number("confirm_working_days", &f.confirm_working_days)?).map_err(
            |_| {
                invalid(
                    "confirm_working_days",
                    Reason::Malformed { expected_en: "a whole number", expected_zh: "整数" },
                )
            },
        )?,
    };
    let settings =
        aftersales_app::reporting::ReportSettings { weights, desk, callbacks: Some(callbacks), version: f.version };
    s.app.put_report_settings(&who.actor, &settings).await.map_err(app_err(&who))?;
    Ok(Redirect::to("/reporting/settings?saved=1").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImprovementsForm {
    month: String,
    body: String,
    version: i64,
    from: String,
    to: String,
}

/// The supervisor saves the month's improvement actions (a stale edit is refused).
pub async fn save_improvements(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<ImprovementsForm>,
) -> Result<Response, PageError> {
    s.app.put_improvements(&who.actor, &f.month, &f.body, f.version).await.map_err(app_err(&who))?;
    let back = format!(
        "/reporting/monthly-service?from={}&to={}",
        aftersales_app::reporting::enc(&f.from),
        aftersales_app::reporting::enc(&f.to)
    );
    Ok(Redirect::to(&back).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomerQuery {
    /// Staff who read the reports name the customer; a contact reads their own.
    customer: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    preset: Option<String>,
}

/// `/reporting/customer`: a contact's customer edition of the monthly service report.
pub async fn customer(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<CustomerQuery>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = app_err(&who);
    let period = Period::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        q.preset.as_deref(),
        s.app.service_today(),
        Preset::LastMonth,
    )
    .map_err(|e| err(e.into()))?;
    let r = s.app.customer_service_report(&who.actor, q.customer, period).await.map_err(&err)?;
    let pct = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    let response = pct(r.response_met);
    let resolution = pct(r.resolution_met);
    let avg_hours = r.summary.avg_resolution_work_min.map_or_else(|| "—".to_owned(), |m| format!("{:.1}", m / 60.0));
    let nav = Some(Nav::of(&s, &who, "reporting").await);
    Ok(render(&CustomerPage { l, nav, r, presets: presets_customer(l), response, resolution, avg_hours }))
}

fn presets_customer(l: &L) -> Vec<(String, &'static str)> {
    [(Preset::ThisMonth, l.t("reporting.this_month")), (Preset::LastMonth, l.t("reporting.last_month"))]
        .into_iter()
        .map(|(p, label)| (format!("/reporting/customer?preset={}", p.code()), label))
        .collect()
}
