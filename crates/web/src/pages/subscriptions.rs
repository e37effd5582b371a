//! 我的报表订阅 (issue 15): the reader's report subscriptions with each run (sent, skipped
//! because empty, failed), a form to subscribe, ending one, and the Excel file a run sent.

use aftersales_app::reporting::ReportKind;
use aftersales_app::subscriptions::{SubscriptionInput, SubscriptionView};
use aftersales_domain::Id;
use aftersales_domain::subscription::{Channel, Frequency, RunState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::L;
use super::{PageError, Posted, Signed, render};
use crate::AppState;
use crate::api::subscriptions::{XLSX_TYPE, download};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SubscriptionsQuery {
    /// A report to preselect (the report pages link here with it).
    report: String,
    done: String,
}

/// The subscribe form as typed (kept when it comes back with an error).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SubscribeForm {
    report: String,
    frequency: String,
    hour: String,
    channel: String,
    target: String,
}

#[derive(Template)]
#[template(path = "subscriptions.html")]
struct Subscriptions<'a> {
    l: &'a L,
    nav: Option<Nav>,
    list: Vec<SubscriptionView>,
    reports: &'static [ReportKind],
    frequencies: &'static [Frequency],
    robots: Vec<String>,
    form: SubscribeForm,
    message: Option<String>,
    error: Option<String>,
}

impl Subscriptions<'_> {
    fn state_class(&self, s: &RunState) -> &'static str {
        match s {
            RunState::Sent => "ok",
            RunState::Failed | RunState::Uncertain => "bad",
            _ => "muted",
        }
    }
}

pub async fn page(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<SubscriptionsQuery>,
) -> Result<Response, PageError> {
    let message = match q.done.as_str() {
        "subscribed" => Some(who.l.t("subscriptions.subscribed").to_owned()),
        "cancelled" => Some(who.l.t("subscriptions.cancelled").to_owned()),
        _ => None,
    };
    let form = SubscribeForm {
        report: q.report,
        frequency: "monthly".into(),
        hour: "8".into(),
        channel: "email".into(),
        ..Default::default()
    };
    show(&s, &who, form, message, None, StatusCode::OK).await
}

async fn show(
    s: &AppState,
    who: &Signed,
    form: SubscribeForm,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    let list = s.app.my_subscriptions(&who.actor).await.map_err(err)?;
    let robots = s.app.report_robots(&who.actor).await.map_err(err)?;
    let nav = Some(Nav::of(s, who, "subscriptions").await);
    let page = Subscriptions {
        l,
        nav,
        list,
        reports: &ReportKind::ALL,
        frequencies: Frequency::ALL,
        robots,
        form,
        message,
        error,
    };
    let mut res = render(&page);
    *res.status_mut() = status;
    Ok(res)
}

pub async fn subscribe(
    State(s): State<AppState>,
    Posted { who, form }: Posted<SubscribeForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let refuse = |msg: String| show(&s, &who, form.clone(), None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY);
    let Some(frequency) = Frequency::from_code(form.frequency.trim()) else {
        return refuse(l.t("subscriptions.choose_how_often").to_owned()).await;
    };
    let Some(channel) = Channel::from_code(form.channel.trim()) else {
        return refuse(l.t("subscriptions.choose_where").to_owned()).await;
    };
    let hour = match form.hour.trim() {
        "" => None,
        h => match h.parse::<u8>() {
            Ok(h) => Some(h),
            Err(_) => return refuse(l.t("subscriptions.the_hour_is_0_to_23").to_owned()).await,
        },
    };
    let input = SubscriptionInput {
        report: form.report.clone(),
        frequency,
        hour,
        channel,
        target: Some(form.target.clone()).filter(|t| !t.trim().is_empty()),
        lang: Some(l.lang),
    };
    match s.app.subscribe(&who.actor, &input, l.lang).await {
        Ok(_) => Ok(Redirect::to("/subscriptions?done=subscribed").into_response()),
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, l.clone()));
            }
            refuse(e.message(l.lang)).await
        }
    }
}

pub async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { who, form: _ }: Posted<super::NoFields>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    s.app.unsubscribe(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    Ok(Redirect::to("/subscriptions?done=cancelled").into_response())
}

pub async fn file(State(s): State<AppState>, Path(id): Path<String>, who: Signed) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let (name, bytes) = s.app.subscription_file(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    Ok(download(&name, XLSX_TYPE, bytes))
}
