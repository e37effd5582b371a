//! The grading scheme (问题分级, DOMAIN §3): the levels and their rules, read and edited as a
//! table form.

use aftersales_domain::calendar::{parse_minutes, span_text};
use aftersales_domain::error::Reason;
use aftersales_domain::grading::{Counting, GradingScheme, Level};
use aftersales_domain::permission::Action;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::form::{Choice, app_err, choices, require};
use super::shared::{
    Done, Pairs, TableRow, chosen, counting_options, field_problem, is_stale, on_form, read_rows, refuse_rows,
    row_errors,
};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::{L, Length};
use crate::pages::{PageError, Signed, render};

// ----- grading scheme -----

/// One level of the scheme, for reading.
pub(crate) struct LevelView {
    pub(crate) code: String,
    pub(crate) rank: i32,
    pub(crate) name: String,
    pub(crate) scope: String,
    pub(crate) urgency: String,
    pub(crate) respond: String,
    pub(crate) resolve: String,
    pub(crate) counting: &'static str,
    pub(crate) owner: String,
}

#[derive(Template)]
#[template(path = "admin/grading.html")]
pub(crate) struct GradingPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) levels: Vec<LevelView>,
    pub(crate) message: Option<String>,
}

pub(crate) async fn grading(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
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
            respond: l.length(v.respond_minutes, Length::Rule(v.counting)),
            resolve: l.length(v.resolve_minutes, Length::Rule(v.counting)),
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
pub(crate) struct LevelRow {
    pub(crate) code: String,
    pub(crate) rank: String,
    pub(crate) name_zh: String,
    pub(crate) name_en: String,
    pub(crate) scope: String,
    pub(crate) urgency: String,
    pub(crate) respond: String,
    pub(crate) resolve: String,
    pub(crate) counting: String,
    pub(crate) owner: String,
    pub(crate) remove: bool,
    pub(crate) countings: Vec<Choice>,
    pub(crate) problems: Vec<String>,
}

impl LevelRow {
    pub(crate) fn of(v: &Level) -> LevelRow {
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
    pub(crate) fn is_blank(&self) -> bool {
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
    pub(crate) fn level(&self) -> Result<Level, Vec<(&'static str, Reason)>> {
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

impl TableRow for LevelRow {
    type Value = Level;

    fn skipped(&self) -> bool {
        self.remove || self.is_blank()
    }

    fn read(&self) -> Result<Level, Vec<(&'static str, Reason)>> {
        self.level()
    }

    fn title(&self) -> &str {
        &self.code
    }

    fn problems(&self) -> &[String] {
        &self.problems
    }

    fn problems_mut(&mut self) -> &mut Vec<String> {
        &mut self.problems
    }
}

pub(crate) fn level_rows(p: &Pairs) -> Vec<LevelRow> {
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
pub(crate) struct GradingEdit<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) csrf: String,
    /// The revision of the scheme the form shows ([`GradingScheme::revision`]).
    pub(crate) based_on: i64,
    pub(crate) rows: Vec<LevelRow>,
    pub(crate) error: Option<String>,
    /// Each refused row, named, for the summary at the top.
    pub(crate) row_errors: Vec<String>,
}

/// The scheme's form; `based_on` is the revision the rows were based on (`None`: the current
/// scheme's).
pub(crate) async fn grading_edit(
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
    let row_errors = row_errors(&rows, l);
    let nav = Some(Nav::of(s, who, "admin").await);
    let page = GradingEdit { l, nav, csrf: who.csrf.clone(), based_on, rows, error, row_errors };
    Ok((status, render(&page)).into_response())
}

pub(crate) async fn grading_form(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
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

pub(crate) async fn save_grading(
    State(s): State<AppState>,
    Posted { who, form: pairs }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = Pairs(pairs);
    let l = &who.l;
    require(&who, Action::ManageCatalog)?;
    let based_on = p.based_on();
    let mut rows = level_rows(&p);
    // Each level with the form row it came from.
    let levels = read_rows(&mut rows, l);
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
            refuse_rows(&mut rows, &levels, scheme.problems(), |f, why| field_problem(f, why, l));
            // Stale: the rows stay as entered, now based on the current scheme, so that saving
            // them again (after a look at it) is a deliberate choice.
            let based_on = if is_stale(&e) { None } else { based_on };
            let (error, status) = on_form(e, l)?;
            grading_edit(&s, &who, based_on, rows, Some(error), status).await
        }
    }
}
